//! Building the HTTP server: state, middleware (request id, metrics, security headers),
//! body limits, error handlers and routes, bound to a `TcpListener` (port 0 in tests), with
//! optional TLS (rustls).

use crate::error::{ApiError, REQUEST_ID};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;
use store::{Role, Store};

/// A server ready to run (`server.await`), with where it listens and what it set up.
pub struct Running {
    pub server: Server,
    pub addr: SocketAddr,
    pub store: Store,
    /// Set on first start with no users: the `demo` tenant's `admin` and its password
    /// (shown once).
    pub bootstrap: Option<(String, String)>,
    /// One line per migrated target.
    pub migrations: Vec<store::MigrationReport>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .field("migrations", &self.migrations)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("rule packs: {0}")]
    Rules(#[from] rule_engine::RuleError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Service(#[from] service::ServiceError),
}

/// Open the store, migrate everything, bootstrap a fresh installation and build the server.
pub async fn build(settings: Settings) -> Result<Running, ServeError> {
    // Refuse to start on a malformed rule pack or an unusable audit key, before touching
    // the databases.
    let rules = match &settings.rules_dir {
        Some(dir) => rule_engine::RuleSet::load_dir(dir)?,
        None => rule_engine::RuleSet::builtin(),
    };
    let key = Arc::new(audit::SigningKey::load_or_create(
        &settings.audit_key_path(),
    )?);
    let models = Arc::new(service::models::ModelHub::new(
        settings.models_dir.clone(),
        service::models::load_manifest(settings.models_manifest.as_deref())?,
        settings.models_auto_fetch,
    ));
    let store = Store::open(settings.store_config()).await?;
    store.set_audit_signer(store::AuditSigner {
        key: key.clone(),
        every_events: settings.audit_checkpoint_events,
    });
    let migrations = store.migrate().await?;
    let bootstrap = bootstrap(&store).await?;
    record_start(&store, &settings, &rules, &key, models.pinned()).await?;
    let listener = TcpListener::bind(&settings.bind).map_err(|source| ServeError::Bind {
        bind: settings.bind.clone(),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        bind: settings.bind.clone(),
        source,
    })?;
    let tls = settings.tls_enabled();
    let tls_config = if tls {
        Some(tls_config(&settings)?)
    } else {
        None
    };
    let state = AppState {
        store: store.clone(),
        settings: Arc::new(settings.clone()),
        metrics: Arc::new(Metrics::default()),
        audit_key: key,
        rules: Arc::new(rules),
        models,
    };
    state.models.prepare_defaults(store.clone());
    if settings.audit_checkpoint_minutes > 0 {
        spawn_checkpoints(store.clone(), settings.audit_checkpoint_minutes);
    }
    let workers = settings.workers;
    let http =
        HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
            .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .add((header::X_FRAME_OPTIONS, "DENY"))
            .add((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ))
            .add((header::REFERRER_POLICY, "no-referrer"))
            .add((header::CACHE_CONTROL, "no-store"));
            if tls {
                headers = headers.add((
                    header::STRICT_TRANSPORT_SECURITY,
                    "max-age=31536000; includeSubDomains",
                ));
            }
            App::new()
                .app_data(web::Data::new(state.clone()))
                .app_data(
                    web::JsonConfig::default()
                        .limit(64 * 1024)
                        .error_handler(|e, _| {
                            ApiError::BadRequest(format!("invalid JSON body: {e}")).into()
                        }),
                )
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::NotFound("resource").into()),
                )
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::BadRequest(format!("invalid query: {e}")).into()
                }))
                .configure(crate::routes::configure)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(ApiError::NotFound("resource"))
                }))
                .wrap(headers)
                .wrap(from_fn(request_context))
        });
    let http = match workers {
        Some(n) => http.workers(n.max(1)),
        None => http,
    };
    let http = match tls_config {
        Some(cfg) => http.listen_rustls_0_23(listener, cfg),
        None => http.listen(listener),
    }
    .map_err(|source| ServeError::Bind {
        bind: addr.to_string(),
        source,
    })?;
    Ok(Running {
        server: http.run(),
        addr,
        store,
        bootstrap,
        migrations,
    })
}

/// Gives every request an id (`X-Request-Id`, also in problem bodies) and records metrics.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let start = Instant::now();
    let mut res = REQUEST_ID.scope(id.clone(), next.call(req)).await?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    if let Some(m) = metrics {
        m.observe(res.status().as_u16(), start.elapsed());
    }
    Ok(res)
}

/// On a fresh installation (no users at all): tenant `demo` with user `admin` (role admin)
/// and a random password, returned so the caller shows it once.
async fn bootstrap(store: &Store) -> Result<Option<(String, String)>, store::StoreError> {
    if store.has_users().await? {
        return Ok(None);
    }
    if store.find_tenant("demo").await?.is_none() {
        store
            .create_tenant("demo", "Demo", &store::By::system())
            .await?;
    }
    let password = store::credentials::random_password();
    let slug = store::Slug::parse("demo")?;
    store
        .create_user(
            &slug,
            store::NewUser {
                username: "admin".into(),
                display_name: Some("Administrator".into()),
                password: password.clone(),
                roles: vec![Role::Admin],
            },
            &store::By::system(),
        )
        .await?;
    Ok(Some(("admin".into(), password)))
}

/// Start-up: record in every tenant's trail what this process runs with (version, settings
/// fingerprint, rule packs, models, audit public key).
async fn record_start(
    store: &Store,
    settings: &Settings,
    rules: &rule_engine::RuleSet,
    key: &audit::SigningKey,
    models: serde_json::Value,
) -> Result<(), store::StoreError> {
    let value = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "settings_sha256": settings.fingerprint(),
        "rules": { "version": rules.version, "sha256": rules.hash },
        "models": models,
        "audit_public_key": key.public_hex(),
    });
    for t in store.list_tenants().await? {
        let slug = store::Slug::parse(&t.slug)?;
        let mut d = store::By::system().draft("system.start", "installation", None);
        d.new_value = Some(value.clone());
        store.record_now(&slug, d).await?;
    }
    Ok(())
}

/// Sign a checkpoint of every tenant with new events every `minutes`.
fn spawn_checkpoints(store: Store, minutes: u64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(minutes * 60));
        tick.tick().await;
        loop {
            tick.tick().await;
            let Ok(tenants) = store.list_tenants().await else {
                continue;
            };
            for t in tenants {
                if let Ok(slug) = store::Slug::parse(&t.slug)
                    && let Err(e) = store.checkpoint(&slug).await
                {
                    tracing::error!(tenant = %t.slug, error = %e, "scheduled audit checkpoint failed");
                }
            }
        }
    });
}

fn tls_config(settings: &Settings) -> Result<rustls::ServerConfig, ServeError> {
    use std::io::BufReader;
    let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) else {
        return Err(ServeError::Tls("set both tls_cert and tls_key".into()));
    };
    let open = |p: &std::path::Path| {
        std::fs::File::open(p)
            .map(BufReader::new)
            .map_err(|e| ServeError::Tls(format!("cannot read {}: {e}", p.display())))
    };
    let certs = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("bad certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "no certificate in {}",
            cert.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut open(key)?)
        .map_err(|e| ServeError::Tls(format!("bad key {}: {e}", key.display())))?
        .ok_or_else(|| ServeError::Tls(format!("no private key in {}", key.display())))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(e.to_string()))
}

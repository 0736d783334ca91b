//! Building the HTTP server: state, middleware (request id, metrics, security headers),
//! body limits, error handlers and routes, bound to a `TcpListener` (port 0 in tests), with
//! optional TLS (rustls).

mod bootstrap;
mod middleware;
mod timers;
mod tls;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::state::AppState;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use store::Store;

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
    /// The in-process analysis workers (`[workers] count`); they stop when this is dropped.
    pub workers: service::worker::Pool,
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
    #[error("migrations: {0}")]
    Migrate(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("rule packs: {0}")]
    Rules(#[from] rule_engine::RuleError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Service(#[from] service::ServiceError),
}

/// What the analysis workers of this process share.
pub fn worker_context(
    settings: &Settings,
    store: &Store,
    rules: Arc<rule_engine::RuleSet>,
    models: Arc<service::models::ModelHub>,
) -> service::worker::WorkerContext {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    service::worker::WorkerContext {
        store: store.clone(),
        rules,
        hub: models,
        config: settings.worker_config(),
        name: format!("{host}:{}", std::process::id()),
    }
}

/// Open the store, migrate everything, bootstrap a fresh installation and build the server.
pub async fn build(settings: Settings) -> Result<Running, ServeError> {
    // Refuse to start on a malformed rule pack or an unusable audit key, before touching
    // the databases.
    let rules = settings.rule_set()?;
    let signer = settings.audit_signer()?;
    let key = signer.key.clone();
    let models = Arc::new(service::models::ModelHub::new(
        settings.models.dir.clone(),
        service::models::load_manifest(settings.models.manifest.as_deref())?,
        settings.models.auto_fetch,
    ));
    let store = Store::open(settings.store_config()).await?;
    store.set_audit_signer(signer.clone());
    let (migrations, bootstrap) = if settings.database.owner_url.is_some() {
        // Migrations and the first tenant (DDL) as the owner; then only the runtime role.
        let owner = Store::open(settings.owner_store_config()).await?;
        owner.set_audit_signer(signer);
        let m = owner.migrate().await?;
        (m, bootstrap::bootstrap(&owner).await?)
    } else if settings.database.runtime_role.is_some() && store.migrations_current().await? {
        // The runtime role cannot migrate, and need not.
        (Vec::new(), bootstrap::bootstrap(&store).await?)
    } else {
        let m = store.migrate().await.map_err(|e| match &settings.database.runtime_role {
            Some(role) => ServeError::Migrate(format!(
                "{e}; the runtime role {role} cannot migrate: run `dualcheck migrate` with the owner's URL ([database] owner_url) first"
            )),
            None => e.into(),
        })?;
        (m, bootstrap::bootstrap(&store).await?)
    };
    bootstrap::record_start(&store, &settings, &rules, &key, models.pinned()).await?;
    let listener = TcpListener::bind(&settings.server.bind).map_err(|source| ServeError::Bind {
        bind: settings.server.bind.clone(),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        bind: settings.server.bind.clone(),
        source,
    })?;
    let tls = settings.tls_enabled();
    let tls_config = if tls {
        Some(tls::tls_config(&settings)?)
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
        ingest: settings.ingest_gate(),
        attempts: Arc::new(service::attempts::Attempts::new(settings.attempt_limits())),
    };
    timers::spawn_attempt_digest(store.clone(), state.attempts.clone());
    state.models.prepare_defaults(store.clone());
    if settings.audit.checkpoint_minutes > 0 {
        timers::spawn_checkpoints(store.clone(), settings.audit.checkpoint_minutes);
    }
    if let Some(path) = &settings.audit.checkpoint_copy {
        let copy = service::checkpoint_copy::CheckpointCopy::open(path)?;
        copy.copy_new(&store).await?;
        timers::spawn_checkpoint_copy(store.clone(), Arc::new(copy));
    }
    let pool = service::worker::Pool::start(
        worker_context(&settings, &store, state.rules.clone(), state.models.clone()),
        usize::try_from(settings.workers.count).unwrap_or(0),
        tokio::runtime::Handle::current(),
    );
    let workers = settings.server.workers;
    let http =
        HttpServer::new(move || {
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
                .configure(crate::web::configure)
                .default_service(web::to(|req: actix_web::HttpRequest| async move {
                    if let Some(page) = crate::web::not_found_page(&req) {
                        return Ok(page);
                    }
                    // A route that exists with other methods: 405 with `Allow`.
                    let allowed = crate::routes::openapi_errors::allowed_methods(req.path());
                    if allowed.is_empty() {
                        Err::<actix_web::HttpResponse, _>(ApiError::NotFound("resource"))
                    } else {
                        Err(ApiError::MethodNotAllowed(allowed.join(", ")))
                    }
                }))
                .wrap(middleware::security_headers(tls))
                .wrap(from_fn(middleware::request_context))
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
        workers: pool,
    })
}

//! The real HTTP server, in-process on port 0, against a temporary SQLite data directory or
//! a fresh PostgreSQL database.

use dualcheck_api::Settings;
use dualcheck_api::settings::DatabaseUrl;
use std::time::Duration;
use store::{NewUser, Role, Slug, Store, StoreConfig};
use testkit::Require;

/// The local PostgreSQL the tests use (CI starts it).
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The role the PostgreSQL test servers run as: not the owner of the tables, granted only
/// what the service needs (`[database] runtime_role`), so every PostgreSQL test also checks
/// that least privilege is enough.
pub const PG_RUNTIME_ROLE: &str = "dualcheck_test_runtime";

/// A running server and what the test needs to talk to it.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:<port>` (`https` when TLS is configured).
    pub base: String,
    /// The server's databases, to set up tenants and users and to look inside (SQLite: the
    /// server's own store; PostgreSQL: the owner's, the server running as the runtime role).
    pub store: Store,
    pub client: reqwest::Client,
    /// The `demo` admin created on first start, and its password.
    pub bootstrap: Option<(String, String)>,
    /// The settings the server started with (a `dualcheck worker` process started by a
    /// test reads the same database with them).
    pub settings: Settings,
    handle: actix_web::dev::ServerHandle,
    workers: Option<service::worker::Pool>,
    pg_database: Option<String>,
    _dir: tempfile::TempDir,
}

/// Which database the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl TestServer {
    /// Start a server; `None` (after printing "skipped: no PostgreSQL ...") when PostgreSQL
    /// is asked for and unreachable, a panic instead under `DUALCHECK_REQUIRE_PG=1` (CI).
    pub async fn start(db: Db, customize: impl FnOnce(&mut Settings)) -> Option<TestServer> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::default();
        settings.server.bind = "127.0.0.1:0".into();
        settings.server.workers = Some(2);
        settings.storage.data_dir = dir.path().join("data");
        settings.database.max_connections = 8;
        // No weights and no downloads: the built-in manifest is listed, nothing is
        // fetched; tests that want models set their own manifest and turn fetching on.
        settings.models.dir = dir.path().join("models");
        settings.models.auto_fetch = false;
        settings.workers.poll_ms = 50;
        // Tests log in often from one address, and count failure events one by one; the
        // tests of the limits and of the collapsed bursts set their own.
        settings.limits.attempts_per_address_per_minute = 100_000;
        settings.limits.attempts_per_tenant_per_minute = 100_000;
        settings.limits.collapse_failures_secs = 0;
        let mut pg_database = None;
        if db == Db::Postgres {
            let name = format!("dc_{}", uuid::Uuid::new_v4().simple());
            let admin = pg_admin(dir.path()).await?;
            admin.create_database(&name).await.expect("CREATE DATABASE");
            admin
                .ensure_login_role(PG_RUNTIME_ROLE)
                .await
                .expect("CREATE ROLE");
            settings.database.url = Some(DatabaseUrl::new(format!(
                "postgres://{PG_RUNTIME_ROLE}@127.0.0.1:5432/{name}"
            )));
            settings.database.owner_url = Some(DatabaseUrl::new(format!(
                "postgres://postgres@127.0.0.1:5432/{name}"
            )));
            settings.database.runtime_role = Some(PG_RUNTIME_ROLE.into());
            pg_database = Some(name);
        }
        customize(&mut settings);
        let owner = settings.owner_store_config();
        let scheme = if settings.tls_enabled() {
            "https"
        } else {
            "http"
        };
        let started_with = settings.clone();
        let running = dualcheck_api::build(settings).await.expect("server starts");
        // On PostgreSQL the server runs as the runtime role; the tests set up tenants and
        // look inside as the owner.
        let store = match db {
            Db::Sqlite => running.store.clone(),
            Db::Postgres => Store::open(owner).await.expect("owner store"),
        };
        let handle = running.server.handle();
        let workers = Some(running.workers);
        tokio::spawn(running.server);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .danger_accept_invalid_certs(true)
            .build()
            .expect("client");
        Some(TestServer {
            base: format!("{scheme}://{}", running.addr),
            store,
            client,
            bootstrap: running.bootstrap,
            settings: started_with,
            handle,
            workers,
            pg_database,
            _dir: dir,
        })
    }

    /// PostgreSQL: a store connected as the runtime role the server runs as (to show what
    /// that role cannot do); `None` on SQLite.
    pub async fn runtime_store(&self) -> Option<Store> {
        let name = self.pg_database.as_ref()?;
        Some(
            Store::open(StoreConfig {
                data_dir: self._dir.path().join("runtime"),
                database_url: Some(format!(
                    "postgres://{PG_RUNTIME_ROLE}@127.0.0.1:5432/{name}"
                )),
                max_connections: 1,
                runtime_role: Some(PG_RUNTIME_ROLE.into()),
            })
            .await
            .expect("runtime store"),
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Create a tenant (if needed) and a user with `roles`; returns the password.
    pub async fn user(&self, tenant: &str, username: &str, roles: &[Role]) -> String {
        if self
            .store
            .find_tenant(tenant)
            .await
            .expect("tenant lookup")
            .is_none()
        {
            self.store
                .create_tenant(tenant, &format!("Tenant {tenant}"), &store::By::system())
                .await
                .expect("create tenant");
        }
        let password = format!("{username} has a long passphrase");
        self.store
            .create_user(
                &Slug::parse(tenant).expect("slug"),
                NewUser {
                    username: username.into(),
                    display_name: None,
                    password: password.clone(),
                    roles: roles.to_vec(),
                    must_change_password: false,
                },
                &store::By::system(),
            )
            .await
            .expect("create user");
        password
    }

    /// Log in over HTTP; returns the response.
    pub async fn login_raw(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(
                &serde_json::json!({"tenant": tenant, "username": username, "password": password}),
            )
            .send()
            .await
            .expect("login request")
    }

    /// Create a user with `roles` and log in; returns the bearer token.
    pub async fn token(&self, tenant: &str, username: &str, roles: &[Role]) -> String {
        let pw = self.user(tenant, username, roles).await;
        let res = self.login_raw(tenant, username, &pw).await;
        assert_eq!(res.status(), 200, "login of {username}");
        let v: serde_json::Value = res.json().await.expect("login json");
        v["token"].as_str().expect("token").to_owned()
    }

    /// Upload `bytes` as `filename` with `token`.
    pub async fn upload(&self, token: &str, filename: &str, bytes: Vec<u8>) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.client
            .post(self.url("/api/v1/documents"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload request")
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    /// Stop the server and drop the PostgreSQL database, if any.
    pub async fn finish(self) {
        self.handle.stop(false).await;
        let TestServer {
            store,
            pg_database,
            workers,
            _dir,
            ..
        } = self;
        if let Some(w) = workers {
            let _ = tokio::task::spawn_blocking(move || w.stop()).await;
        }
        drop(store);
        if let Some(name) = pg_database
            && let Some(admin) = pg_admin(_dir.path()).await
        {
            let _ = admin.drop_database(&name).await;
        }
    }
}

async fn pg_admin(dir: &std::path::Path) -> Option<Store> {
    let open = Store::open(StoreConfig {
        data_dir: dir.join("pg-admin"),
        database_url: Some(PG_ADMIN_URL.into()),
        max_connections: 1,
        runtime_role: None,
    });
    match tokio::time::timeout(Duration::from_secs(5), open).await {
        Ok(Ok(s)) => Some(s),
        Ok(Err(e)) => {
            testkit::skip(
                Require::Pg,
                format_args!("no PostgreSQL at {PG_ADMIN_URL}: {e}"),
            );
            None
        }
        Err(_) => {
            testkit::skip(
                Require::Pg,
                format_args!("no PostgreSQL at {PG_ADMIN_URL}: no answer in 5 s"),
            );
            None
        }
    }
}

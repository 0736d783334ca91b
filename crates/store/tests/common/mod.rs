//! PostgreSQL helpers shared by the store's test files: a fresh database per test, dropped
//! at the end; `None` (and a printed line) when there is no server, a panic instead under
//! `DUALCHECK_REQUIRE_PG=1` (CI).
#![allow(clippy::unwrap_used, dead_code)]

use store::{Store, StoreConfig};
use testkit::Require;

pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database: its URL and name.
pub async fn pg_database(dir: &std::path::Path) -> Option<(String, String)> {
    let admin = match tokio::time::timeout(
        std::time::Duration::from_secs(3),
        Store::open(StoreConfig {
            data_dir: dir.join("admin"),
            database_url: Some(PG_ADMIN.into()),
            max_connections: 1,
            runtime_role: None,
        }),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            testkit::skip(
                Require::Pg,
                format_args!("no PostgreSQL at {PG_ADMIN}: {e}"),
            );
            return None;
        }
        Err(_) => {
            testkit::skip(
                Require::Pg,
                format_args!("no PostgreSQL at {PG_ADMIN}: no answer in 3 s"),
            );
            return None;
        }
    };
    let name = format!("dc_{}", uuid::Uuid::new_v4().simple());
    admin.create_database(&name).await.unwrap();
    Some((format!("postgres://postgres@127.0.0.1:5432/{name}"), name))
}

pub async fn drop_db(dir: &std::path::Path, name: &str) {
    if let Ok(admin) = Store::open(StoreConfig {
        data_dir: dir.join("admin"),
        database_url: Some(PG_ADMIN.into()),
        max_connections: 1,
        runtime_role: None,
    })
    .await
    {
        let _ = admin.drop_database(name).await;
    }
}

//! End-to-end tests in one binary (one link on 2 cores instead of eleven), one module per
//! resource: the real server in-process on port 0 spoken to over HTTP, on SQLite and on
//! PostgreSQL (a fresh database per test; under `DUALCHECK_REQUIRE_PG=1` a missing server
//! fails the test instead of skipping it), and the real `dualcheck` binary as a user runs
//! it.
//!
//! Run one resource with `cargo test -p dualcheck-tests --test e2e signatures::`.
#![allow(clippy::unwrap_used)]

/// A scenario `$scenario(&TestServer)` as two tests, `$name::sqlite` and `$name::postgres`,
/// each on a fresh server; `$settings` adjusts the settings before the start.
macro_rules! on_both {
    ($name:ident, $scenario:ident) => {
        on_both!($name, $scenario, |_| {});
    };
    ($name:ident, $scenario:ident, $settings:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = TestServer::start(Db::Sqlite, $settings).await.unwrap();
                $scenario(&s).await;
                s.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(s) = TestServer::start(Db::Postgres, $settings).await else {
                    return;
                };
                $scenario(&s).await;
                s.finish().await;
            }
        }
    };
}

mod support;

// Over HTTP, both engines.
mod attempts;
mod audit;
mod documents;
mod jobs;
mod models;
mod ops;
mod pages;
mod review;
mod sessions;
mod signatures;
mod startup;
mod tenants;
mod tls;
mod uploads;
mod users;

// The command line.
mod cli_admin;
mod cli_ingest;
mod cli_rules;
mod cli_settings;

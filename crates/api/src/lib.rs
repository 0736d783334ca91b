//! # dualcheck-api
//!
//! The only crate that knows HTTP and the command line: the `dualcheck` binary, its CLI
//! (clap) and the actix-web application ([`server::build`]). Domain crates (`ingest`,
//! `store`, ...) expose plain Rust types; their errors become RFC 7807 problems in one place
//! ([`error`]). Authentication and the role guard live in [`auth`]; one file per resource
//! under [`routes`]. The web pages for people ([`web`]) call the same application layer
//! with cookie sessions and CSRF tokens.

pub mod auth;
pub mod cli;
pub mod context;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;
pub mod web;

pub use server::{Running, build};
pub use settings::Settings;

//! `dualcheck serve`: migrate, bootstrap a fresh installation, and serve HTTP.

use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        let tls = settings.tls_enabled();
        let running = crate::server::build(settings.clone())
            .await
            .context("cannot start the server")?;
        for m in &running.migrations {
            println!("migrated {}: {} applied", m.target, m.applied);
        }
        if let Some((user, password)) = &running.bootstrap {
            println!(
                "first start: created tenant \"demo\" with user \"{user}\" (role admin), password: {password}"
            );
            println!(
                "this password is shown once and must be changed at first login (POST /api/v1/me/password)"
            );
        }
        let scheme = if tls { "https" } else { "http" };
        println!("dualcheck listening on {scheme}://{}", running.addr);
        running.server.await.context("server stopped")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The multi-threaded tokio runtime the CLI's async commands run on.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

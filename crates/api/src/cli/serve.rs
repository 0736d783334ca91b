//! `dualcheck serve`: migrate, bootstrap a fresh installation, and serve HTTP.

use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Settings file (default: ./dualcheck.toml if present). DUALCHECK_* variables override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.config.as_deref())?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    runtime()?.block_on(async move {
        let tls = settings.tls_enabled();
        let running = crate::server::build(settings)
            .await
            .context("cannot start the server")?;
        for m in &running.migrations {
            println!("migrated {}: {} applied", m.target, m.applied);
        }
        if let Some((user, password)) = &running.bootstrap {
            println!(
                "first start: created tenant \"demo\" with user \"{user}\" (role admin), password: {password}"
            );
            println!("this password is shown once; change it or create other users now");
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

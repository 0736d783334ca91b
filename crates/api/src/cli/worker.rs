//! `dualcheck worker`: analysis workers on their own, against the database `serve` uses
//! (every tenant's jobs). The models are loaded once per worker; many workers on many
//! machines drain one PostgreSQL. Stops after the current batch on Ctrl-C or SIGTERM (a
//! job it was running is claimed again once its lease expires).

use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Worker threads (default: `[workers] count`, at least 1).
    #[arg(long)]
    pub count: Option<usize>,
}

pub fn run(args: WorkerArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let rules = Arc::new(settings.rule_set()?);
    let signer = settings.audit_signer()?;
    let hub = Arc::new(service::models::ModelHub::new(
        settings.models.dir.clone(),
        service::models::load_manifest(settings.models.manifest.as_deref())?,
        settings.models.auto_fetch,
    ));
    let count = args
        .count
        .unwrap_or(usize::try_from(settings.workers.count).unwrap_or(1))
        .max(1);
    let rt = super::serve::runtime()?;
    rt.block_on(async move {
        let store = store::Store::open(settings.store_config())
            .await
            .context("cannot open the database")?;
        if !store.migrations_current().await? {
            anyhow::bail!(
                "the database schema is not current: run `dualcheck migrate` (or start `dualcheck serve`) first"
            );
        }
        store.set_audit_signer(signer);
        let ctx = crate::server::worker_context(settings, &store, rules, hub);
        let pool = service::worker::Pool::start(ctx, count, tokio::runtime::Handle::current());
        println!("dualcheck worker: {} worker(s) polling for analysis jobs", pool.len());
        wait_for_stop().await;
        println!("dualcheck worker: stopping after the current batch");
        tokio::task::spawn_blocking(move || pool.stop())
            .await
            .context("stopping the workers")?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_stop() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

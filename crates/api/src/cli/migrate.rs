//! `dualcheck migrate`: migrate the control plane and every tenant, one line each.

use crate::settings::Settings;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MigrateArgs {}

pub fn run(_args: MigrateArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    super::serve::runtime()?.block_on(async move {
        let store = store::Store::open(settings.store_config()).await?;
        for m in store.migrate().await? {
            println!(
                "{}: {} migration(s) applied, up to date",
                m.target, m.applied
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

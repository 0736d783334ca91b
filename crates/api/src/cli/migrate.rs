//! `dualcheck migrate`: migrate the control plane and every tenant, one line each.

use crate::settings::Settings;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Settings file (default: ./dualcheck.toml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.config.as_deref())?;
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

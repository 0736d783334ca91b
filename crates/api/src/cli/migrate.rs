//! `dualcheck migrate`: migrate the control plane and every tenant, one line each, as the
//! owner (`[database] owner_url` when set); with `[database] runtime_role`, the role is
//! granted what the service needs on each of them.

use crate::settings::Settings;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MigrateArgs {}

pub fn run(_args: MigrateArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    super::serve::runtime()?.block_on(async move {
        let store = store::Store::open(settings.owner_store_config()).await?;
        for m in store.migrate().await? {
            println!(
                "{}: {} migration(s) applied, up to date",
                m.target, m.applied
            );
        }
        if let (Some(role), true) = (store.runtime_role(), store.is_postgres()) {
            println!("runtime role {role}: granted what the service needs, nothing more");
        }
        Ok(ExitCode::SUCCESS)
    })
}

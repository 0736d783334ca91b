//! `dualcheck tenant create SLUG --name NAME` and `dualcheck tenant list`.

use crate::settings::Settings;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    pub command: TenantCommand,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (its schema or database file, migrated).
    Create {
        /// Lower-case letters, digits and '_', a letter first, 2 to 31 characters.
        slug: String,
        /// Display name of the customer.
        #[arg(long)]
        name: String,
    },
    /// List the tenants.
    List,
}

pub fn run(args: TenantArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    super::serve::runtime()?.block_on(async move {
        let store = super::open_store(settings).await?;
        match args.command {
            TenantCommand::Create { slug, name } => {
                let t = store
                    .create_tenant(&slug, &name, &super::operator())
                    .await?;
                println!("created tenant {} ({}) id {}", t.slug, t.name, t.id);
            }
            TenantCommand::List => {
                for t in store.list_tenants().await? {
                    println!("{}\t{}\t{}", t.slug, t.name, t.created_at.to_rfc3339());
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

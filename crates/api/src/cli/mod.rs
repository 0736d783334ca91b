//! Command-line interface: one subcommand per file.

mod check;
mod crosscheck;
mod ingest;
mod migrate;
mod models;
mod rules;
mod serve;
mod suggest;
mod tenant;
mod user;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "dualcheck",
    version,
    about = "Dual-control review of clinical documents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a PDF or DOCX and print its outline, or the whole document as JSON.
    Ingest(ingest::IngestArgs),
    /// Document QC findings on a PDF or DOCX.
    Check(check::CheckArgs),
    /// Dual-control cross-check of proposals against their original sentences.
    Crosscheck(crosscheck::CrosscheckArgs),
    /// Rule packs: run every rule's examples.
    Rules(rules::RulesArgs),
    /// Fetch or verify the local models pinned in `models/manifest.toml`.
    Models(models::ModelsArgs),
    /// Propose rewrites of a sentence or of a document's candidate sentences (local model).
    Suggest(suggest::SuggestArgs),
    /// Migrate, then serve the HTTP API (first start creates tenant demo and its admin).
    Serve(serve::ServeArgs),
    /// Migrate the control plane and every tenant.
    Migrate(migrate::MigrateArgs),
    /// Create or list tenants.
    Tenant(tenant::TenantArgs),
    /// Add users.
    User(user::UserArgs),
}

/// Parse the command line, run it, and turn the outcome into an exit code. Errors are
/// printed as one line on stderr: `error: <what happened and what to do>`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(args) => ingest::run(args),
        Command::Check(args) => check::run(args),
        Command::Crosscheck(args) => crosscheck::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Models(args) => models::run(args),
        Command::Suggest(args) => suggest::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Tenant(args) => tenant::run(args),
        Command::User(args) => user::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

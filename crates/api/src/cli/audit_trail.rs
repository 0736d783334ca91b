//! `dualcheck audit verify --tenant SLUG [--checkpoints FILE]` and
//! `dualcheck audit export --tenant SLUG [--format jsonl|csv|html] [--out FILE]`.
//!
//! Verification recomputes the chain and checks every stored checkpoint, plus any held
//! outside the database (`--checkpoints`: a JSON-lines export or a file of checkpoint
//! objects), with the installation's key; it exits non-zero on any problem. An export is
//! recorded in the trail (`audit.export`, by the operator) before it is taken.

use crate::settings::Settings;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use service::audit_trail;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the chain and check the signed checkpoints; non-zero exit on any problem.
    Verify {
        #[arg(long)]
        tenant: String,
        /// Checkpoints held outside the database (JSON lines; other lines are ignored).
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the complete trail (events and checkpoints).
    Export {
        #[arg(long)]
        tenant: String,
        /// jsonl (default), csv or html.
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Write here instead of standard output (written to a temporary file, then renamed).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Checkpoint objects found in a file of JSON lines (a `jsonl` export holds them as
/// `{"checkpoint": {...}}`; bare checkpoint objects are accepted too).
fn read_checkpoints(path: &std::path::Path) -> anyhow::Result<Vec<audit::Checkpoint>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read checkpoints from {}", path.display()))?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let obj = v.get("checkpoint").cloned().unwrap_or(v);
        if let Ok(cp) = serde_json::from_value::<audit::Checkpoint>(obj) {
            out.push(cp);
        }
    }
    Ok(out)
}

pub fn run(args: AuditArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let key_path = settings.audit_key_path();
    super::serve::runtime()?.block_on(async move {
        let store = super::open_store(settings).await?;
        match args.command {
            AuditCommand::Verify {
                tenant,
                checkpoints,
                json,
            } => {
                let slug = store::Slug::parse(&tenant)?;
                let key = audit::SigningKey::load(&key_path)?;
                let held = match &checkpoints {
                    Some(p) => read_checkpoints(p)?,
                    None => Vec::new(),
                };
                let r = audit_trail::verify_as_operator(&store, &slug, &key.verifying_key(), &held)
                    .await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&r)?);
                } else if r.ok {
                    println!(
                        "ok: tenant {slug}, {} events, head {}, {} checkpoints verified",
                        r.events, r.head_hash, r.checkpoints_verified
                    );
                }
                match r.first_problem {
                    None => Ok(ExitCode::SUCCESS),
                    Some(p) => bail!(
                        "audit trail of tenant {slug} is NOT intact: {:?} at sequence {}: {}",
                        p.kind,
                        p.seq,
                        p.detail
                    ),
                }
            }
            AuditCommand::Export {
                tenant,
                format,
                out,
            } => {
                let slug = store::Slug::parse(&tenant)?;
                let key = audit::SigningKey::load(&key_path)?;
                let export = audit_trail::export_as_operator(
                    &store,
                    &slug,
                    &super::operator(),
                    &format,
                    &key.verifying_key(),
                )
                .await?;
                let body = export.body;
                match out {
                    None => print!("{body}"),
                    Some(path) => {
                        let tmp = path.with_extension("partial");
                        std::fs::write(&tmp, &body)
                            .with_context(|| format!("cannot write {}", tmp.display()))?;
                        std::fs::rename(&tmp, &path)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        eprintln!("wrote {} events to {}", export.events, path.display());
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

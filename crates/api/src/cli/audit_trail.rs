//! `dualcheck audit verify --tenant SLUG [--checkpoints FILE]` and
//! `dualcheck audit export --tenant SLUG [--format jsonl|csv|html] [--out FILE]`.
//!
//! Verification recomputes the chain and checks every stored checkpoint, plus any held
//! outside the database (`--checkpoints`: a JSON-lines export or a file of checkpoint
//! objects), with the installation's key or the one given (`--public-key`); it never
//! creates a key and writes nothing; it exits non-zero on any problem. An export is
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
        /// The expected public key (hex, as in `audit-signing.key.pub`), kept apart from
        /// the installation: checkpoints must verify with it. Default: the installation's
        /// key file, which must exist (verification never creates a key).
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
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

/// An Ed25519 public key from a file holding its 64 hex digits.
fn read_public_key(path: &std::path::Path) -> anyhow::Result<audit::VerifyingKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the public key {}", path.display()))?;
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| {
            format!(
                "{} does not hold an Ed25519 public key (64 hex digits, as in audit-signing.key.pub)",
                path.display()
            )
        })?;
    audit::VerifyingKey::from_bytes(&bytes)
        .with_context(|| format!("{} is not a valid Ed25519 public key", path.display()))
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
        match args.command {
            AuditCommand::Verify {
                tenant,
                checkpoints,
                public_key,
                json,
            } => {
                let slug = store::Slug::parse(&tenant)?;
                let key = match &public_key {
                    Some(p) => read_public_key(p)?,
                    None => audit::SigningKey::load(&key_path)?.verifying_key(),
                };
                // Read only: no migration, no signing key (nothing is written).
                let store = store::Store::open(settings.store_config()).await?;
                let held = match &checkpoints {
                    Some(p) => read_checkpoints(p)?,
                    None => Vec::new(),
                };
                let r = audit_trail::verify_as_operator(&store, &slug, &key, &held).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&r)?);
                } else if r.ok {
                    println!(
                        "ok: tenant {slug}, {} events, head {}, {} checkpoints verified, {} signatures attested",
                        r.events, r.head_hash, r.checkpoints_verified, r.signatures_checked
                    );
                }
                if !r.time_reversals.is_empty() {
                    eprintln!(
                        "warning: tenant {slug}: {} events are timed earlier than the event before them (first at sequence {}): a clock stepped back or a backdated event; review them",
                        r.time_reversals.len(),
                        r.time_reversals[0]
                    );
                }
                if let Some(p) = r.first_problem {
                    bail!(
                        "audit trail of tenant {slug} is NOT intact: {:?} at sequence {}: {}",
                        p.kind,
                        p.seq,
                        p.detail
                    );
                }
                if let Some(u) = r.unattested_signatures.first() {
                    bail!(
                        "audit trail of tenant {slug}: {} of {} signatures are not attested by their audit event (forged or altered rows); first: signature {} on {}: {}",
                        r.unattested_signatures.len(),
                        r.signatures_checked,
                        u.signature_id,
                        u.record_id,
                        u.problem
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            AuditCommand::Export {
                tenant,
                format,
                out,
            } => {
                let store = super::open_store(settings).await?;
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

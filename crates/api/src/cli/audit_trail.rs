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

/// Checkpoint objects found in a file of JSON lines (a `jsonl` export, or the copy of
/// `[audit] checkpoint_copy`).
fn read_checkpoints(path: &std::path::Path) -> anyhow::Result<Vec<audit::Checkpoint>> {
    if !path.is_file() {
        anyhow::bail!(
            "cannot read checkpoints from {}: no such file",
            path.display()
        );
    }
    Ok(service::checkpoint_copy::read_checkpoints(path)?)
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
                // Written page by page to a partial file, then moved into place (or copied
                // to standard output): nothing half-written under the final name.
                let tmp = match &out {
                    Some(path) => path.with_extension("partial"),
                    None => {
                        let dir = settings.storage.data_dir.join("exports");
                        std::fs::create_dir_all(&dir)
                            .with_context(|| format!("cannot write {}", dir.display()))?;
                        dir.join(format!("{}.partial", uuid::Uuid::new_v4().simple()))
                    }
                };
                let export = audit_trail::export_as_operator(
                    &store,
                    &slug,
                    &super::operator(),
                    &format,
                    &key.verifying_key(),
                    &tmp,
                )
                .await;
                let export = match export {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        return Err(e.into());
                    }
                };
                match out {
                    None => {
                        let copied = std::fs::File::open(&tmp).and_then(|mut f| {
                            std::io::copy(&mut f, &mut std::io::stdout().lock())
                        });
                        let _ = std::fs::remove_file(&tmp);
                        copied.context("cannot write the export to standard output")?;
                    }
                    Some(path) => {
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

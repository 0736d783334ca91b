//! `dualcheck check FILE [--json]`: document QC findings.

use crate::settings::Settings;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The PDF or DOCX to check.
    pub file: PathBuf,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Rule packs directory (default: `[rules] dir`, else the packs built into the binary).
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

pub fn run(args: CheckArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let rules = super::rules::resolve(args.rules.as_deref(), settings)?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let doc = ingest::parse_with(&bytes, &settings.ingest_limits())
        .with_context(|| format!("cannot ingest {}", args.file.display()))?;
    let findings = rule_engine::check(&doc, &rules);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let v = serde_json::json!({
            "document_sha256": doc.metadata.sha256,
            "rules_version": rules.version,
            "rules_hash": rules.hash,
            "findings": findings,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        for f in &findings {
            writeln!(
                out,
                "{:<6} {:<10} {:<36} {}",
                f.level.as_str(),
                f.anchor,
                f.rule_id,
                f.message
            )?;
        }
        writeln!(
            out,
            "{} finding(s); rules {} ({})",
            findings.len(),
            rules.version,
            &rules.hash[..12]
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

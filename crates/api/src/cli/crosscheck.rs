//! `dualcheck crosscheck --original T --proposal T [--json]` and
//! `dualcheck crosscheck --pairs FILE.jsonl --json`.

use crate::settings::Settings;
use anyhow::{Context, bail};
use clap::Args;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CrosscheckArgs {
    /// The original sentence.
    #[arg(long, requires = "proposal", conflicts_with = "pairs")]
    pub original: Option<String>,
    /// The proposed rewrite.
    #[arg(long, requires = "original")]
    pub proposal: Option<String>,
    /// JSON Lines of `{"id", "original", "proposal"}`; one output line per input line.
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Rule packs directory (default: `[rules] dir`, else the packs built into the binary).
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

pub fn run(args: CrosscheckArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let rules = super::rules::resolve(args.rules.as_deref(), settings)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let (Some(o), Some(p)) = (&args.original, &args.proposal) {
        let c = rule_engine::crosscheck(o, p, &rules);
        if args.json {
            serde_json::to_writer(&mut out, &c)?;
            writeln!(out)?;
        } else {
            writeln!(out, "verdict: {}", c.verdict.as_str())?;
            for r in &c.reasons {
                writeln!(
                    out,
                    "  {:<5} {:<20} {}",
                    r.level.as_str(),
                    r.rule_id,
                    r.message
                )?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = &args.pairs else {
        bail!("give --original and --proposal, or --pairs FILE.jsonl");
    };
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not a JSON object", path.display(), n + 1))?;
        let (Some(o), Some(p)) = (v["original"].as_str(), v["proposal"].as_str()) else {
            bail!(
                "{} line {}: needs string fields \"original\" and \"proposal\"",
                path.display(),
                n + 1
            );
        };
        let c = rule_engine::crosscheck(o, p, &rules);
        let line = serde_json::json!({
            "id": v["id"],
            "verdict": c.verdict,
            "reasons": c.reasons,
            "rules_version": c.rules_version,
            "rules_hash": c.rules_hash,
        });
        writeln!(out, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}

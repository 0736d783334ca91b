//! `dualcheck suggest --text TEXT` and `dualcheck suggest FILE`: proposals from the local
//! model, with provenance.

use super::models::{fetch_model, load_manifest};
use ai_suggest::{Decoding, Generator, GgufGenerator, Role, Template, suggest};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// A PDF or DOCX: proposals for its candidate sentences.
    pub file: Option<PathBuf>,
    /// One sentence to rewrite.
    #[arg(long, conflicts_with = "file")]
    pub text: Option<String>,
    /// Generator from the manifest (default: the first generator).
    #[arg(long)]
    pub model: Option<String>,
    /// Prompt template: plain_language, conciseness, active_voice, terminology.
    #[arg(long, default_value = "plain_language")]
    pub template: String,
    /// Most candidate sentences taken from a document.
    #[arg(long, default_value_t = 16)]
    pub limit: usize,
    /// Print JSON lines (one proposal per line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Models directory (holds `manifest.toml` and the weights).
    #[arg(long, env = "DUALCHECK_MODELS_DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Rules directory (the cross-check of every proposal).
    #[arg(long, default_value = "rules")]
    pub rules: PathBuf,
    /// Do not download missing models; fail instead.
    #[arg(long, env = "DUALCHECK_NO_MODEL_FETCH")]
    pub no_fetch: bool,
}

/// Candidate sentences of a document: body sentences of 15 words or more (long sentences
/// are where plain-language rewrites help), in reading order.
fn candidates(doc: &ingest::Document, limit: usize) -> Vec<String> {
    doc.blocks
        .iter()
        .filter(|b| {
            !matches!(
                b.kind,
                ingest::BlockKind::Heading { .. } | ingest::BlockKind::Table { .. }
            )
        })
        .flat_map(|b| b.sentences.iter())
        .filter(|s| s.text.split_whitespace().count() >= 15)
        .take(limit)
        .map(|s| s.text.clone())
        .collect()
}

pub fn run(args: SuggestArgs) -> anyhow::Result<ExitCode> {
    let sentences = match (&args.text, &args.file) {
        (Some(t), _) => vec![t.clone()],
        (None, Some(f)) => {
            let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            let doc =
                ingest::parse(&bytes).with_context(|| format!("cannot ingest {}", f.display()))?;
            candidates(&doc, args.limit)
        }
        (None, None) => anyhow::bail!("give a FILE or --text TEXT"),
    };
    let rules = super::rules::load(&args.rules)?;
    let manifest = load_manifest(&args.models_dir)?;
    let entry = match &args.model {
        Some(n) => manifest.get(n)?,
        None => manifest
            .default_for(Role::Generator)
            .context("the manifest lists no generator")?,
    };
    let needs_fetch = entry
        .check(&args.models_dir)?
        .iter()
        .any(|c| c.actual.is_none());
    if needs_fetch && !args.no_fetch {
        fetch_model(entry, &args.models_dir)?;
    }
    let template = Template::get(&args.template)?;
    let mut generator = GgufGenerator::load(entry, &args.models_dir)?;
    let decoding = Decoding::for_format(generator.prompt_format());
    let proposals = suggest(&mut generator, &template, &sentences, &decoding)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (s, p) in sentences.iter().zip(&proposals) {
        let check = p
            .as_ref()
            .map(|p| rule_engine::crosscheck(&p.original, &p.proposal, &rules));
        if args.json {
            let line = serde_json::json!({
                "original": s,
                "proposal": p.as_ref().map(|p| &p.proposal),
                "dropped": p.is_none(),
                "verdict": check.as_ref().map(|c| c.verdict),
                "reasons": check.as_ref().map(|c| &c.reasons),
                "rules_version": rules.version,
                "rules_hash": rules.hash,
                "provenance": p.as_ref().map(|p| &p.provenance),
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "original: {s}")?;
            match (p, &check) {
                (Some(p), Some(c)) => {
                    writeln!(
                        out,
                        "proposal: {}\nverdict:  {}",
                        p.proposal,
                        c.verdict.as_str()
                    )?;
                    for r in &c.reasons {
                        writeln!(out, "  {:<5} {}", r.level.as_str(), r.message)?;
                    }
                    writeln!(out)?;
                }
                _ => writeln!(
                    out,
                    "proposal: (none: the model copied the sentence or said nothing)\n"
                )?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

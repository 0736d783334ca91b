//! `dualcheck suggest --text TEXT` and `dualcheck suggest FILE`: proposals from the local
//! model, each cross-checked, with provenance and a summary. The pipeline is
//! [`service::analysis`]; this file parses the arguments and prints.

use super::models::{ModelsLocation, print_progress};
use crate::settings::Settings;
use ai_suggest::Role;
use anyhow::Context;
use clap::Args;
use service::analysis::{Analyser, Approach, SentenceAnalysis, Summary};
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
    /// Print JSON lines (one proposal per line, then `{"summary": ...}`) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub models: ModelsLocation,
    /// Rule packs directory for the cross-check of every proposal (default: `[rules] dir`,
    /// else the packs built into the binary, as `serve`).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Do not download missing models; fail instead (as `[models] auto_fetch = false`).
    #[arg(long)]
    pub no_fetch: bool,
    /// `both` (default): the model's own proposal and the rules' rewrites ranked by the
    /// model; `model` or `rules` alone (to measure each).
    #[arg(long, default_value = "both", value_parser = ["both", "model", "rules"])]
    pub approach: String,
    /// Fewest words a document's sentence needs for the model to write its own proposal
    /// (the rules' rewrites are made for every candidate; `--text` is always asked).
    #[arg(long, default_value_t = service::analysis::MODEL_MIN_WORDS)]
    pub model_min_words: usize,
}

pub fn run(args: SuggestArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    if args.text.is_none() && args.file.is_none() {
        anyhow::bail!("give a FILE or --text TEXT");
    }
    let rules = super::rules::resolve(args.rules.as_deref(), settings)?;
    let hub = args.models.hub(settings)?;
    let fetch = settings.models.auto_fetch && !args.no_fetch;
    let entry = hub.entry(args.model.as_deref(), Role::Generator)?.clone();
    let mut announced = false;
    hub.ensure_blocking(&entry, fetch, &mut |ev| {
        if !std::mem::replace(&mut announced, true) {
            eprintln!(
                "models: fetching {} into {}",
                entry.name,
                hub.dir().display()
            );
        }
        print_progress(ev)
    })?;
    let approach = Approach {
        model_proposals: args.approach != "rules",
        rule_rewrites: args.approach != "model",
        // A sentence given on its own is asked whatever its length.
        model_min_words: if args.text.is_some() {
            0
        } else {
            args.model_min_words
        },
    };
    let mut analyser =
        Analyser::load(&entry, hub.dir(), &args.template, &rules)?.with_approach(approach);
    let (items, summary) = match (&args.text, &args.file) {
        (Some(t), _) => {
            let items = analyser.sentences(std::slice::from_ref(t))?;
            let summary = Summary::of(&items);
            (items, summary)
        }
        (None, Some(f)) => {
            let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            let a = analyser
                .document(&bytes, &settings.ingest_limits(), args.limit)
                .with_context(|| format!("cannot analyse {}", f.display()))?;
            (a.sentences, a.summary)
        }
        (None, None) => anyhow::bail!("give a FILE or --text TEXT"),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for a in &items {
        if args.json {
            writeln!(out, "{}", json_line(a, &rules))?;
        } else {
            write_text(&mut out, a)?;
        }
    }
    if args.json {
        writeln!(out, "{}", serde_json::json!({ "summary": summary }))?;
    } else {
        writeln!(
            out,
            "summary: {} candidate(s) ({} non-prose sentences left out); model asked for {}: {} dropped (copies/empty), {} blocked, {} warned, {} passed; {} rule rewrite(s); {} offered to a reviewer, {} changing wording",
            summary.candidates,
            summary.not_prose,
            summary.asked,
            summary.dropped,
            summary.blocked,
            summary.warned,
            summary.passed,
            summary.rule_rewrites,
            summary.offered,
            summary.substantive
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn json_line(a: &SentenceAnalysis, rules: &rule_engine::RuleSet) -> serde_json::Value {
    serde_json::json!({
        "original": a.original,
        "proposal": a.proposal,
        "dropped": a.dropped(),
        "verdict": a.verdict(),
        "reasons": a.check.as_ref().map(|c| &c.reasons),
        "rules_version": rules.version,
        "rules_hash": rules.hash,
        "provenance": a.provenance,
        "rewrite": a.rewrite,
        "offered": a.offered().map(|(source, text, check)| serde_json::json!({
            "source": source, "text": text, "verdict": check.verdict,
        })),
    })
}

fn write_text(out: &mut impl Write, a: &SentenceAnalysis) -> std::io::Result<()> {
    writeln!(out, "original: {}", a.original)?;
    match (&a.proposal, &a.check) {
        (Some(p), Some(c)) => {
            writeln!(out, "proposal: {p}\nverdict:  {}", c.verdict.as_str())?;
            for r in &c.reasons {
                writeln!(out, "  {:<5} {}", r.level.as_str(), r.message)?;
            }
        }
        _ => writeln!(
            out,
            "proposal: (none: the model copied the sentence or said nothing)"
        )?,
    }
    if let Some(r) = &a.rewrite {
        match &r.ranking {
            Some(k) => writeln!(
                out,
                "rules:    {}\nverdict:  {} (best of {} rule-made rewrite(s) by {}, {:.3} per token)",
                r.text,
                r.check.verdict.as_str(),
                r.ranked,
                k.model,
                k.score
            )?,
            None => writeln!(
                out,
                "rules:    {}\nverdict:  {} (the only rule-made rewrite)",
                r.text,
                r.check.verdict.as_str()
            )?,
        }
    }
    writeln!(out)
}

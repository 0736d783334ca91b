//! QC findings per rule id on each PDF of `../shared/corpus/clinical/` with the shipped
//! packs (`rules/`): `cargo run -p dualcheck-rule-engine --example qc_counts [-- --dump RULE]`.
//! `--blocks` prints every block (anchor, page, kind, text); `--dump RULE` also prints every finding of the rules whose id starts with RULE (anchor,
//! matched text, message, and the sentence) for reading against `pdftotext`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rule_engine::{RuleSet, check};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1).cloned());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = RuleSet::load_dir(&root.join("rules")).expect("rules/");
    let dir = root.join("../shared/corpus/clinical");
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("../shared/corpus/clinical")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    pdfs.sort();
    for pdf in pdfs {
        let bytes = std::fs::read(&pdf).expect("read");
        let doc = ingest::parse(&bytes).expect("ingest");
        if args.iter().any(|a| a == "--blocks") {
            for b in &doc.blocks {
                let kind = match &b.kind {
                    ingest::BlockKind::Heading { level, .. } => format!("H{level}"),
                    ingest::BlockKind::Paragraph => "P".into(),
                    ingest::BlockKind::ListItem { .. } => "L".into(),
                    ingest::BlockKind::Table { rows } => format!("T{}", rows.len()),
                };
                let text: String = b.text.replace('\n', " | ").chars().take(160).collect();
                println!("{} p{} {kind} {text}", b.anchor, b.page.unwrap_or(0));
            }
        }
        // The mean of 20 runs.
        let t = Instant::now();
        let mut findings = check(&doc, &rules);
        for _ in 1..20 {
            findings = check(&doc, &rules);
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / 20.0;
        let name = pdf.file_name().map(|n| n.to_string_lossy().into_owned());
        println!(
            "== {} ({} findings, {ms:.1} ms)",
            name.unwrap_or_default(),
            findings.len()
        );
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &findings {
            *counts.entry(f.rule_id.as_str()).or_default() += 1;
        }
        for (id, n) in &counts {
            println!("{n:6}  {id}");
        }
        let merged = findings.iter().filter(|f| !f.also.is_empty()).count();
        println!("({merged} of them merge findings of other rules, named in `also`)");
        if let Some(prefix) = &dump {
            let texts = rule_engine::qc::units(&doc);
            let by: BTreeMap<&str, &str> =
                texts.iter().map(|u| (u.anchor.as_str(), u.text)).collect();
            for f in findings
                .iter()
                .filter(|f| f.rule_id.starts_with(prefix.as_str()))
            {
                let text = by.get(f.anchor.as_str()).copied().unwrap_or("");
                let m: String = text
                    .chars()
                    .skip(f.span.0)
                    .take(f.span.1.saturating_sub(f.span.0))
                    .collect();
                println!(
                    "-- {} {} [{m}] {} :: {}",
                    f.rule_id,
                    f.anchor,
                    f.message,
                    text.replace('\n', " ")
                );
            }
        }
    }
}

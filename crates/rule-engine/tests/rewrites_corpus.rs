//! Rule-made rewrites on the three corpus protocols (`../shared/corpus/clinical`): every
//! one passes the cross-check, and per 100 candidate sentences how many get one. Prints
//! the figures and samples:
//! `cargo test -p dualcheck-rule-engine --test rewrites_corpus -- --nocapture`.
#![allow(clippy::unwrap_used)]

use rule_engine::{RuleSet, Verdict, prose, rewrites};
use std::path::PathBuf;

#[test]
fn rule_rewrites_on_the_corpus_protocols() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/clinical");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        testkit::skip(
            testkit::Require::Shared,
            format!("{} is absent", dir.display()),
        );
        return;
    };
    let rules = RuleSet::builtin();
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let (mut total, mut with_rewrite, mut lexical) = (0usize, 0usize, 0usize);
    for f in &files {
        let doc = ingest::parse(&std::fs::read(f).unwrap()).unwrap();
        let cands = prose::candidates(&doc, 15, usize::MAX);
        let mut n = 0;
        for c in &cands {
            let rs = rewrites(&c.text, &rules, &c.earlier, 6);
            for r in &rs {
                assert_eq!(r.check.verdict, Verdict::Pass, "{} => {}", c.text, r.text);
            }
            if let Some(best) = rs.first() {
                n += 1;
                // More than a linking word or an intensifier removed.
                if best
                    .edits
                    .iter()
                    .any(|e| !e.rule_id.starts_with("edit.filler"))
                {
                    lexical += 1;
                }
                if n % 12 == 1 {
                    println!("  {}\n  => {}\n", c.text, best.text);
                }
            }
        }
        println!(
            "{}: {} candidates, {} with a rule rewrite ({:.1} per 100)\n",
            f.file_name().unwrap().to_string_lossy(),
            cands.len(),
            n,
            100.0 * n as f64 / cands.len().max(1) as f64
        );
        total += cands.len();
        with_rewrite += n;
    }
    let per100 = 100.0 * with_rewrite as f64 / total.max(1) as f64;
    let lex100 = 100.0 * lexical as f64 / total.max(1) as f64;
    println!(
        "all: {total} candidates, {with_rewrite} with a rule rewrite ({per100:.1} per 100), \
         {lexical} with more than a filler removed ({lex100:.1} per 100)"
    );
    assert!(total > 100, "{total} candidates");
    assert!(
        lex100 >= 10.0,
        "{lex100:.1} lexical rewrites per 100 candidates"
    );
}

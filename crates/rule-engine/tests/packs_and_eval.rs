//! The shipped packs against their own examples, and malformed packs (the labelled pairs
//! of `../shared/eval` are measured in `eval_real.rs`).
#![allow(clippy::unwrap_used)]

use rule_engine::{RuleError, RuleSet, Verdict, crosscheck, test_examples};
use std::path::PathBuf;

#[test]
fn shipped_packs_pass_their_examples() {
    let rules = RuleSet::builtin();
    let (bad, n) = test_examples(&rules);
    assert!(n > 40, "{n} examples");
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(rules.hash.len(), 64);
    assert_eq!(
        rules.version,
        "dual-control@2.0.0+house-style@1.0.0+safe-edits@1.0.0"
    );
    // Loading the directory gives the same set and hash as the compiled-in copy.
    let dir =
        RuleSet::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")).unwrap();
    assert_eq!(dir.hash, rules.hash);
}

#[test]
fn malformed_packs_are_clear_errors() {
    let bad = |text: &str| {
        RuleSet::from_files(vec![(PathBuf::from("rules/bad.toml"), text.to_string())]).unwrap_err()
    };
    let e = bad("[pack]\nid = \"x\"\nversion = \"1\"\n[[rule]]\nid = \"a\"\n");
    assert!(matches!(e, RuleError::Pack { line: 4, .. }), "{e}");
    let e = bad(
        "[pack]\nid = \"x\"\nversion = \"1\"\n[[rule]]\nid = \"a\"\nversion = 1\ndescription = \"d\"\nlevel = \"warn\"\nscope = \"sentence\"\nkind = \"substitution\"\nmessage = \"m\"\nexamples.flag = [\"a\"]\nexamples.pass = [\"b\"]\n",
    );
    match &e {
        RuleError::Pack { field, line, .. } => {
            assert_eq!(field.as_deref(), Some("swap"));
            assert_eq!(*line, 5);
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("bad.toml"));
}

#[test]
fn spans_are_character_offsets() {
    let rules = RuleSet::builtin();
    let c = crosscheck(
        "Müller saw no effect at ≥ 5 mg.",
        "Müller saw an effect at ≥ 5 mg.",
        &rules,
    );
    assert_eq!(c.verdict, Verdict::Block);
    let r = &c.reasons[0];
    assert_eq!(r.kind, "negation_dropped");
    let (s, e) = r.original_span.unwrap();
    let chars: String = "Müller saw no effect at ≥ 5 mg."
        .chars()
        .skip(s)
        .take(e - s)
        .collect();
    assert_eq!(chars, "no");
}

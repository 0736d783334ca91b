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
        "dual-control@2.0.0+fact-words@1.1.0+house-style@1.0.0+safe-edits@1.1.0"
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
    // A filler's position is one of the named ones, never a silent default.
    let e = bad(
        "[pack]\nid = \"x\"\nversion = \"1\"\n[[rule]]\nid = \"a\"\nversion = 1\ndescription = \"d\"\nlevel = \"info\"\nscope = \"proposal\"\nkind = \"edit\"\nedit = \"filler\"\nposition = \"begining\"\ntokens = [\"thus\"]\nmessage = \"m\"\nexamples.flag = []\nexamples.pass = []\n",
    );
    let text = e.to_string();
    assert!(
        text.contains("begining") && text.contains("after_comma") && text.contains("correlative"),
        "{text}"
    );
}

/// The two tolerated filler positions: a list's last "and" after a comma (warn: the reviewer
/// looks), a correlative "both" (info); neither reaches further than its position allows.
#[test]
fn list_and_and_correlative_both() {
    let rules = RuleSet::builtin();
    let check = |o: &str, p: &str| crosscheck(o, p, &rules);
    let c = check(
        "Weight, height, and pulse are recorded at each visit.",
        "Weight, height, pulse are recorded at each visit.",
    );
    assert_eq!(c.verdict, Verdict::Warn, "{:?}", c.reasons);
    assert!(c.reasons.iter().any(|r| r.rule_id == "edit.list-and"));
    for (o, p) in [
        // No comma before the "and": it joins, it goes nowhere.
        (
            "Weight and pulse are recorded at each visit.",
            "Weight pulse are recorded at each visit.",
        ),
        // "or" is never a list's filler.
        (
            "Weight, height, or pulse is recorded at each visit.",
            "Weight, height, pulse is recorded at each visit.",
        ),
        // "both" counting two things stays.
        (
            "Both tablets are swallowed whole.",
            "Tablets are swallowed whole.",
        ),
        // A verb between "both" and "and": the quantifier.
        (
            "Both samples are frozen and shipped weekly.",
            "Samples are frozen and shipped weekly.",
        ),
        // Punctuation between them: the quantifier.
        (
            "Both arms (low dose) and the control arm are unblinded.",
            "Arms (low dose) and the control arm are unblinded.",
        ),
    ] {
        let c = check(o, p);
        assert_eq!(c.verdict, Verdict::Block, "{o} => {p}: {:?}", c.reasons);
    }
    let c = check(
        "Consent is signed by both the participant and the witness.",
        "Consent is signed by the participant and the witness.",
    );
    assert_eq!(c.verdict, Verdict::Pass, "{:?}", c.reasons);
    assert!(c.reasons.iter().any(|r| r.rule_id == "edit.correlative"));
}

/// The fact vocabulary is data: a rule set's own `[facts]` replaces the shipped one (a
/// word it adds is a fact, a word it leaves out is not), a set without one uses the shipped
/// vocabulary (listed and hashed), and a wrong fact kind is an error naming the field.
#[test]
fn fact_words_are_pack_data() {
    let shipped: Vec<(PathBuf, String)> =
        ["dual-control.toml", "safe-edits.toml", "fact-words.toml"]
            .iter()
            .map(|f| {
                let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../rules")
                    .join(f);
                (p.clone(), std::fs::read_to_string(&p).unwrap())
            })
            .collect();
    let with = |facts: &str| {
        let mut files: Vec<(PathBuf, String)> = shipped
            .iter()
            .filter(|(p, _)| !p.ends_with("fact-words.toml"))
            .cloned()
            .collect();
        files.push((PathBuf::from("rules/my-facts.toml"), facts.to_string()));
        RuleSet::from_files(files)
    };
    let pair = ("Dosing stops at the sponsor's request.", "Dosing stops.");
    // Shipped: "at the sponsor's request" is an omission, whatever the vocabulary says.
    let base = RuleSet::from_files(shipped.clone()).unwrap();
    assert_eq!(crosscheck(pair.0, pair.1, &base).verdict, Verdict::Block);
    // A vocabulary of our own: "sometimes" becomes a quantifier, so dropping it blocks as
    // a quantifier (not only as an omission).
    let own = with(
        "[pack]\nid = \"my-facts\"\nversion = \"1\"\n[facts]\n[[facts.word]]\nkind = \"quantifier\"\nvalue = \"some\"\nwords = [\"sometimes\"]\n",
    )
    .unwrap();
    assert!(own.version.contains("my-facts@1"), "{}", own.version);
    assert!(!own.version.contains("fact-words@"), "{}", own.version);
    let c = crosscheck(
        "The nurse sometimes repeats the test.",
        "The nurse repeats the test.",
        &own,
    );
    assert!(
        c.reasons.iter().any(|r| r.kind.starts_with("quantifier")),
        "{:?}",
        c.reasons
    );
    let c = crosscheck(
        "The nurse sometimes repeats the test.",
        "The nurse repeats the test.",
        &base,
    );
    assert!(
        !c.reasons.iter().any(|r| r.kind.starts_with("quantifier")),
        "{:?}",
        c.reasons
    );
    // Without any `[facts]`, the shipped vocabulary is in force, listed and hashed.
    let none = RuleSet::from_files(
        shipped
            .iter()
            .filter(|(p, _)| !p.ends_with("fact-words.toml"))
            .cloned()
            .collect(),
    )
    .unwrap();
    assert!(
        none.version.contains("fact-words@1.1.0"),
        "{}",
        none.version
    );
    assert_eq!(none.hash, base.hash);
    // A kind that does not exist names the field.
    let e = with("[pack]\nid = \"my-facts\"\nversion = \"1\"\n[facts]\n[[facts.word]]\nkind = \"mood\"\nvalue = \"x\"\nwords = [\"y\"]\n")
        .unwrap_err();
    match &e {
        RuleError::Pack { field, message, .. } => {
            assert_eq!(field.as_deref(), Some("facts.word.kind"));
            assert!(message.contains("mood"), "{message}");
        }
        other => panic!("{other}"),
    }
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

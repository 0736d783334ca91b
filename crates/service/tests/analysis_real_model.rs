//! The analysis pipeline with the shipped default generator (SmolLM2, when fetched: CI
//! fetches it and sets DUALCHECK_REQUIRE_MODELS=1, which turns a missing model into a
//! failure): rule-made rewrites are ranked by the model, pass the cross-check, and the
//! ranking is the same on every run.
#![allow(clippy::unwrap_used)]

use rule_engine::{RuleSet, Verdict};
use service::analysis::{Analyser, Approach, Source, Summary};
use std::path::PathBuf;

#[test]
fn rule_rewrites_ranked_by_smollm2() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let manifest = service::models::load_manifest(None).unwrap();
    let entry = manifest.get("smollm2-135m-instruct").unwrap().clone();
    if !dir.join(&entry.files[0].name).exists() {
        testkit::skip(testkit::Require::Models, "SmolLM2 is not fetched");
        return;
    }
    let rules = RuleSet::builtin();
    let sentences = vec![
        "The nurse will weigh each volunteer prior to the first dose in order to adjust the dose for body weight.".to_string(),
        "The diary will be collected at every visit and the entries will be checked by the study nurse.".to_string(),
        "The tablets will be swallowed approximately two hours after breakfast on each day of the treatment period.".to_string(),
    ];
    let mut a = Analyser::load(&entry, &dir, "plain_language", &rules)
        .unwrap()
        .with_approach(Approach {
            model_proposals: false,
            rule_rewrites: true,
            ..Approach::default()
        });
    let first = a.sentences(&sentences).unwrap();
    let again = a.sentences(&sentences).unwrap();
    let r = first[0].rewrite.as_ref().expect("a rule-made rewrite");
    assert_eq!(r.check.verdict, Verdict::Pass);
    assert!(r.ranked >= 2, "{} rewrites ranked", r.ranked);
    let k = r
        .ranking
        .as_ref()
        .expect("two or more rewrites are ranked by the model");
    assert!(k.score < 0.0 && k.score.is_finite());
    assert_eq!(k.model, "smollm2-135m-instruct");
    let r2 = again[0].rewrite.as_ref().unwrap();
    let k2 = r2.ranking.as_ref().unwrap();
    assert_eq!(
        (&r.text, k.score),
        (&r2.text, k2.score),
        "deterministic ranking"
    );
    assert_eq!(first[0].offered().map(|o| o.0), Some(Source::Rules));
    // Nothing the rules may change: no rewrite, nothing offered.
    assert!(first[1].rewrite.is_none());
    // One rewrite only: taken as it is, no model named.
    let one = first[2]
        .rewrite
        .as_ref()
        .expect("'approximately' has a plain form");
    assert_eq!(one.ranked, 1);
    assert!(one.ranking.is_none(), "{one:?}");
    assert_eq!(one.check.verdict, Verdict::Pass);
    let s = Summary::of(&first);
    assert_eq!((s.candidates, s.rule_rewrites, s.offered), (3, 2, 2));
    assert_eq!(s.substantive, 2);
}

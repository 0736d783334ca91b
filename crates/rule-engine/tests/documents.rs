//! The rule engine on whole documents built by the fixture kit (`testkit::docx`,
//! `testkit::pdf`) and read by the real ingest back-ends: candidate selection keeps body
//! prose only, a definition made earlier in the document lets a later sentence contract
//! its long form, and QC anchors its findings in the document's sentences.
#![allow(clippy::unwrap_used)]

use rule_engine::{RuleSet, Verdict, crosscheck_in_document, prose};

const DEFINES: &str = "Every serious adverse event (SAE) and every adverse event of special interest \
                       is reported to the sponsor by the investigator within one working day.";
const LATER: &str = "The investigator reports each serious adverse event that occurs after the last dose \
                     of the study drug to the sponsor within one working day of learning of it.";

fn docx() -> ingest::Document {
    let bytes = testkit::docx::outline(&[
        (
            1,
            "Safety Reporting Requirements For All Participants",
            &[DEFINES],
        ),
        (
            2,
            "Events After The Last Dose Of Study Drug",
            &[LATER, "Short line."],
        ),
    ]);
    ingest::parse(&bytes).unwrap()
}

#[test]
fn candidates_of_a_docx_are_its_body_prose_with_earlier_definitions() {
    let doc = docx();
    let sel = prose::select(&doc, 12, 10);
    let texts: Vec<&str> = sel.candidates.iter().map(|c| c.text.as_str()).collect();
    // Headings and the short line are not candidates; the two sentences are, in order.
    assert_eq!(texts, vec![DEFINES, LATER]);

    // The second candidate carries the definition the first sentence made: contracting the
    // long form passes there, and blocks without the document's definitions.
    let rules = RuleSet::builtin();
    let later = &sel.candidates[1];
    let proposal = LATER.replace("serious adverse event", "SAE");
    let with = crosscheck_in_document(
        &later.text,
        &proposal,
        &rules,
        &rules.lexicon,
        &later.earlier,
    );
    assert_eq!(with.verdict, Verdict::Pass, "{:?}", with.reasons);
    let first = &sel.candidates[0];
    let without = crosscheck_in_document(
        &first.text,
        &first.text.replace("the sponsor", "the SAE"),
        &rules,
        &rules.lexicon,
        &first.earlier,
    );
    assert_eq!(without.verdict, Verdict::Block, "{:?}", without.reasons);
}

#[test]
fn qc_findings_of_a_pdf_are_anchored_in_its_sentences() {
    let bytes = testkit::pdf::text_pdf(&[
        "Participants will utilize the diary in order to record every dose they take.",
        "The nurse checks the diary at each visit.",
    ]);
    let doc = ingest::parse(&bytes).unwrap();
    let rules = RuleSet::builtin();
    let findings = rule_engine::check(&doc, &rules);
    let anchors: Vec<&str> = doc
        .blocks
        .iter()
        .flat_map(|b| b.sentences.iter().map(|s| s.anchor.as_str()))
        .collect();
    assert!(!findings.is_empty(), "wordy phrases are found");
    for f in &findings {
        assert!(
            anchors.contains(&f.anchor.as_str()) || doc.blocks.iter().any(|b| b.anchor == f.anchor),
            "finding {} anchored at {}, not in the document",
            f.rule_id,
            f.anchor
        );
    }
    let sentence = doc
        .blocks
        .iter()
        .flat_map(|b| &b.sentences)
        .find(|s| s.text.contains("utilize"))
        .unwrap();
    let on_it: Vec<&rule_engine::Finding> = findings
        .iter()
        .filter(|f| f.anchor == sentence.anchor)
        .collect();
    let spans: Vec<String> = on_it
        .iter()
        .map(|f| {
            sentence
                .text
                .chars()
                .skip(f.span.0)
                .take(f.span.1 - f.span.0)
                .collect()
        })
        .collect();
    assert!(
        spans.iter().any(|s| s.eq_ignore_ascii_case("utilize")),
        "a finding spans 'utilize': {spans:?}"
    );
}

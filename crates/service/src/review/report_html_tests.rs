//! The HTML report rendered from a report written here, with hostile text in every field a
//! document, a reviewer or a rule can fill.

use super::render;
use crate::review::export::SkippedChange;
use crate::review::jobs::{ReviewView, StateChangeView};
use crate::review::read::{DecisionView, FindingView, SuggestionView, SuppressionView};
use crate::review::report::{
    Report, ReportDecision, ReportDocument, ReportFinding, ReportModel, ReportSignature,
    ReportSuggestion,
};
use chrono::{TimeZone, Utc};
use store::DocState;
use uuid::Uuid;

const HOSTILE: &str =
    "<script>alert(1)</script> & \"quoted\" 'single' <img src=x onerror=alert(2)>";

fn signature(name: &str, meaning: &str) -> ReportSignature {
    let at = "2026-11-23T10:00:00.000000+01:00";
    ReportSignature {
        id: format!("sig-{meaning}"),
        printed_name: name.into(),
        username: "quinn".into(),
        meaning: meaning.into(),
        signed_at: at.into(),
        manifestation: format!("{name} (quinn), {meaning}, {at}"),
    }
}

fn suggestion(verdict: &str, status: &str, original: &str, proposal: &str) -> SuggestionView {
    SuggestionView {
        id: Uuid::new_v4(),
        job_id: Uuid::nil(),
        document_id: Uuid::nil(),
        version: 1,
        anchor: "b3.s0".into(),
        section: Some(format!("1 Intro {HOSTILE}")),
        source: "rule".into(),
        parent_id: None,
        original: original.into(),
        proposal: proposal.into(),
        verdict: verdict.into(),
        reasons: serde_json::json!([{
            "rule_id": "facts.number", "level": "block", "kind": "number_changed",
            "message": format!("number changed {HOSTILE}"),
        }]),
        rules_version: "default-1".into(),
        rules_hash: "ab".repeat(32),
        status: status.into(),
        created_at: Utc::now(),
    }
}

fn event(seq: i64, action: &str, reason: Option<&str>) -> audit::Event {
    audit::Event {
        seq,
        time: "2026-11-23T10:00:00.000000+00:00".into(),
        actor: audit::Actor::user("u1", "quinn", format!("Quinn {HOSTILE}")),
        action: action.into(),
        entity_type: "document".into(),
        entity_id: Some("doc-1".into()),
        old_value: None,
        new_value: None,
        reason: reason.map(str::to_owned),
        ai: None,
        request: audit::RequestContext::default(),
        prev_hash: "0".repeat(64),
        hash: "cd".repeat(32),
    }
}

fn report(chain_ok: bool) -> Report {
    let at = Utc
        .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("a time");
    let accepted = ReportSuggestion {
        suggestion: suggestion(
            "pass",
            "accepted",
            "The nurse will record it prior to the first dose.",
            "The nurse will record it before the first dose.",
        ),
        provenance: Some(serde_json::json!({
            "ranking_model": "SmolLM2", "model_sha256": "ef".repeat(32),
            "template_id": "plain_language.v1", "template_sha256": "12".repeat(32), "score": -1.5,
        })),
        decisions: vec![ReportDecision {
            decision: DecisionView {
                id: Uuid::new_v4(),
                decision: "accept".into(),
                edit_id: None,
                reason_code: None,
                reason: Some(format!("fine {HOSTILE}")),
                decided_by: Uuid::nil(),
                signature_id: "sig-reviewed".into(),
                at,
            },
            reviewer: Some("Quinn Q (quinn)".into()),
            signature: Some(signature("Quinn Q", "reviewed")),
        }],
        signatures: vec![signature("Quinn Q", "reviewed").manifestation],
    };
    let hostile = ReportSuggestion {
        suggestion: suggestion("block", "blocked", HOSTILE, "x < y && z > 10 mg"),
        provenance: None,
        decisions: vec![],
        signatures: vec![],
    };
    Report {
        document: ReportDocument {
            id: Uuid::nil(),
            title: HOSTILE.into(),
            filename: "protocol\".docx".into(),
            format: "docx".into(),
            version: 3,
            sha256: "9f".repeat(32),
        },
        review: ReviewView {
            state: DocState::Approved,
            locked: true,
            history: vec![StateChangeView {
                from: "reviewed".into(),
                to: "approved".into(),
                by: Some(Uuid::nil()),
                reason: Some(HOSTILE.into()),
                at,
            }],
        },
        analysis: None,
        rules_version: Some("default-1".into()),
        rules_hash: Some("ab".repeat(32)),
        models: vec![ReportModel {
            name: "SmolLM2".into(),
            sha256: "ef".repeat(32),
            template_id: "plain_language.v1".into(),
            template_sha256: "12".repeat(32),
        }],
        findings: vec![ReportFinding {
            finding: FindingView {
                id: Uuid::new_v4(),
                job_id: Uuid::nil(),
                rule_id: "qc.abbrev".into(),
                level: "warn".into(),
                anchor: None,
                section: None,
                message: format!("undefined {HOSTILE}"),
                span: (0, 3),
                replacement: None,
                status: "suppressed".into(),
                suppression: Some(SuppressionView {
                    by: Uuid::nil(),
                    at,
                    reason: "house style".into(),
                    signature_id: "sig-f".into(),
                }),
            },
            suppression_signature: Some(signature("Quinn Q", "reviewed")),
        }],
        suggestions: vec![accepted, hostile],
        signatures: vec![signature("Mona M", "approved").manifestation],
        version_signatures: vec![signature("Mona M", "approved")],
        tracked_changes_skipped: vec![SkippedChange {
            suggestion_id: "s1".into(),
            reason: "field".into(),
            message: HOSTILE.into(),
        }],
        audit_excerpt: vec![
            event(1, "document.upload", None),
            event(2, "suggestion.decide", Some(HOSTILE)),
        ],
        chain: audit::ChainReport {
            ok: chain_ok,
            events: 42,
            head_hash: "cd".repeat(32),
            checkpoints_verified: 1,
            first_problem: (!chain_ok).then(|| audit::Tamper {
                seq: 7,
                kind: audit::TamperKind::Modified,
                detail: HOSTILE.into(),
            }),
            signatures_checked: 3,
            unattested_signatures: vec![],
            time_reversals: vec![],
        },
        exported_at: at,
        exported_by: format!("Audrey {HOSTILE}"),
    }
}

/// The names of the elements a page opens or closes.
fn tags(page: &str) -> std::collections::BTreeSet<String> {
    page.split('<')
        .skip(1)
        .map(|t| {
            t.trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                .collect()
        })
        .collect()
}

#[test]
fn hostile_text_is_escaped_everywhere() {
    let page = render(&report(true));
    assert!(!page.contains("<script"), "no script element: {page}");
    assert!(!page.contains("<img"), "no image element");
    assert!(page.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39; &lt;img"
    ));
    assert!(
        page.contains("x &lt; y &amp;&amp; z &gt; 10 mg"),
        "the proposal, escaped"
    );
    assert!(page.contains("protocol&quot;.docx"));
    // The only elements are the renderer's own: nothing loads, links or runs.
    let allowed = [
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "section", "h1",
        "h2", "h3", "h4", "p", "dl", "dt", "dd", "code", "table", "thead", "tbody", "tr", "th",
        "td", "article", "span", "ul", "li", "b", "del", "ins",
    ];
    for t in tags(&page) {
        assert!(allowed.contains(&t.as_str()), "element {t:?} in the page");
    }
    for s in ["href=", "url(", "@import"] {
        assert!(!page.contains(s), "{s} in the page");
    }
}

#[test]
fn the_page_holds_identity_decisions_signatures_and_the_chain() {
    let page = render(&report(true));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(&"9f".repeat(32)), "the document's SHA-256");
    assert!(page.contains("approved (locked)"), "the state");
    assert!(page.contains(&"ab".repeat(32)), "the rule-pack hash");
    assert!(page.contains(&"ef".repeat(32)), "the model hash");
    assert!(page.contains("<td>Quinn Q (quinn)</td>"), "the reviewer");
    assert!(
        page.contains("Mona M (quinn), approved, 2026-11-23T10:00:00.000000+01:00"),
        "the version's signature manifestation"
    );
    assert!(page.contains("<td>reviewed</td>"), "a decision's meaning");
    assert!(page.contains("Audit chain verified: yes"));
    assert!(page.contains("suggestion.decide"));
    assert!(page.contains("@media print"));
    assert!(page.contains("thead{display:table-header-group}"));
    assert!(page.contains("size:A4"));
    assert!(page.ends_with("</html>\n"));
}

#[test]
fn a_failed_chain_is_stated_with_its_first_problem() {
    let page = render(&report(false));
    assert!(page.contains("Audit chain verified: NO"));
    assert!(page.contains("at sequence 7: modified (&lt;script&gt;"));
    assert!(!page.contains("verified: yes"));
}

#[test]
fn the_diff_marks_removed_and_added_words() {
    let page = render(&report(true));
    assert!(page.contains("<del>prior to</del>"), "{page}");
    assert!(page.contains("<ins>before</ins>"), "{page}");
}

#[test]
fn the_summary_counts_suggestions_by_verdict_and_status() {
    let page = render(&report(true));
    let start = page
        .find("Suggestions by verdict and status")
        .expect("the summary");
    let table = &page[start..start + page[start..].find("</table>").expect("its end")];
    // pass: 1 accepted; block: 1 blocked; 2 in all.
    let row = |v: &str| {
        let i = table.find(&format!("<tr><th>{v}</th>")).expect("a row");
        table[i..i + table[i..].find("</tr>").expect("row end")].to_owned()
    };
    let cells = |r: String| {
        r.split("<td class=\"n\">")
            .skip(1)
            .map(|c| c[..c.find('<').unwrap_or(0)].to_owned())
            .collect::<Vec<_>>()
    };
    // Columns: open, accepted, rejected, edited, blocked, superseded, total.
    assert_eq!(cells(row("pass")), ["0", "1", "0", "0", "0", "0", "1"]);
    assert_eq!(cells(row("block")), ["0", "0", "0", "0", "1", "0", "1"]);
    assert!(row("total").ends_with("colspan=\"7\">2</td>"), "{table}");
}

//! The review of a version's suggestions: each one with the original and the proposal
//! side by side, the word-level diff, the verdict with its reasons marked on the spans they
//! refer to, the provenance on demand, the decisions so far with their signatures; and
//! the accept, edit and reject forms, each signed (password and meaning). A blocked
//! proposal says why and has no accept form; the server refuses one regardless.

use super::error::PageError;
use super::session::Viewer;
use super::view::{Chrome, Piece, marked, page, urlencode, when};
use crate::auth::{AnyRole, CanDecide};
use crate::context::Ctx;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use service::authz::Action;
use service::review::decide::{DecisionInput, SignatureInput};
use service::review::read::Scope;
use store::review::SuggestionFilter;
use store::{Decision, Meaning, ReasonCode};
use uuid::Uuid;

/// Suggestions on one page of the review.
const PAGE: u64 = 20;

pub struct ReasonRow {
    pub n: usize,
    pub level: String,
    pub kind: String,
    pub rule_id: String,
    pub message: String,
}

pub struct DecisionRow {
    pub decision: String,
    pub reason: String,
    pub at: String,
    pub manifestation: String,
}

pub struct Card {
    pub id: Uuid,
    pub number: u64,
    pub section: String,
    pub source: String,
    pub verdict: String,
    pub verdict_icon: &'static str,
    pub status: String,
    pub original: Vec<Piece>,
    pub proposal: Vec<Piece>,
    pub proposal_text: String,
    pub diff: Vec<(String, String)>,
    pub reasons: Vec<ReasonRow>,
    pub rule_ids: String,
    pub provenance: Vec<(String, String)>,
    pub decisions: Vec<DecisionRow>,
    pub decidable: bool,
    pub blocked: bool,
    pub warned: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    chrome: Chrome,
    id: Uuid,
    version: i32,
    cards: Vec<Card>,
    total: u64,
    has_analysis: bool,
    status: String,
    verdict: String,
    section: String,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    can_decide: bool,
    locked: bool,
    back: String,
}

#[derive(Debug, Deserialize)]
pub struct ReviewQuery {
    /// `pending` (default), `all`, or a status.
    status: Option<String>,
    verdict: Option<String>,
    section: Option<String>,
    page: Option<u64>,
}

fn icon(verdict: &str) -> &'static str {
    match verdict {
        "pass" => "✔",
        "warn" => "⚠",
        _ => "⛔",
    }
}

/// The reasons of a cross-check, numbered, and their spans in the original and the
/// proposal.
type Spans = Vec<(usize, usize, usize, String)>;

fn reasons(v: &serde_json::Value) -> (Vec<ReasonRow>, Spans, Spans) {
    let mut rows = Vec::new();
    let (mut in_original, mut in_proposal) = (Vec::new(), Vec::new());
    let span = |s: &serde_json::Value| -> Option<(usize, usize)> {
        Some((
            usize::try_from(s[0].as_u64()?).ok()?,
            usize::try_from(s[1].as_u64()?).ok()?,
        ))
    };
    for (i, r) in v
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let n = i + 1;
        let level = r["level"].as_str().unwrap_or("info").to_owned();
        if let Some((a, b)) = span(&r["original_span"]) {
            in_original.push((a, b, n, level.clone()));
        }
        if let Some((a, b)) = span(&r["proposal_span"]) {
            in_proposal.push((a, b, n, level.clone()));
        }
        rows.push(ReasonRow {
            n,
            level,
            kind: r["kind"].as_str().unwrap_or_default().to_owned(),
            rule_id: r["rule_id"].as_str().unwrap_or_default().to_owned(),
            message: r["message"].as_str().unwrap_or_default().to_owned(),
        });
    }
    (rows, in_original, in_proposal)
}

/// The provenance as key and value lines (nested values as compact JSON).
fn provenance(p: Option<serde_json::Value>) -> Vec<(String, String)> {
    match p {
        Some(serde_json::Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[get("/documents/{id}/versions/{version}/review")]
pub async fn review(
    state: web::Data<AppState>,
    who: Viewer<AnyRole>,
    path: web::Path<(Uuid, i32)>,
    q: web::Query<ReviewQuery>,
) -> Result<HttpResponse, PageError> {
    let (id, version) = path.into_inner();
    let q = q.into_inner();
    let (d, _) = service::documents::get_version(&state.store, &who, id, version).await?;
    let review = service::review::jobs::review_state(&state.store, &who, id, version).await?;
    let status = q.status.clone().unwrap_or_else(|| "pending".into());
    let verdict = q
        .verdict
        .clone()
        .filter(|v| ["pass", "warn", "block"].contains(&v.as_str()))
        .unwrap_or_default();
    let section = q.section.clone().unwrap_or_default();
    let filter = SuggestionFilter {
        status: match status.as_str() {
            "all" => None,
            "pending" => Some("open".into()),
            s @ ("accepted" | "rejected" | "edited" | "blocked" | "superseded") => {
                Some(s.to_owned())
            }
            _ => Some("open".into()),
        },
        verdict: (!verdict.is_empty()).then(|| verdict.clone()),
        section: (!section.trim().is_empty()).then(|| section.trim().to_owned()),
        rule: None,
        source: None,
    };
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let listed = service::review::read::suggestions(
        &state.store,
        &who,
        id,
        Scope {
            version: Some(version),
            job: None,
        },
        filter,
        PAGE,
        (page_no - 1) * PAGE,
    )
    .await?;
    let can_decide = who.can(Action::Decide) && !review.locked;
    let mut cards = Vec::new();
    let ids = listed.items.iter().map(|s| s.id).collect();
    let details = service::review::read::suggestions_in_full(&state.store, &who, ids).await?;
    for (i, (detail, sigs)) in details.into_iter().enumerate() {
        let (reason_rows, in_original, in_proposal) = reasons(&detail.suggestion.reasons);
        let v = &detail.suggestion;
        let decisions = detail
            .decisions
            .iter()
            .map(|dv| DecisionRow {
                decision: dv.decision.clone(),
                reason: [dv.reason_code.clone(), dv.reason.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
                at: when(&dv.at),
                manifestation: sigs
                    .iter()
                    .find(|g| g.id == dv.signature_id)
                    .map(|g| g.manifestation.clone())
                    .unwrap_or_else(|| format!("signature {}", dv.signature_id)),
            })
            .collect();
        let open = v.status == "open" || v.status == "blocked";
        cards.push(Card {
            id: v.id,
            number: (page_no - 1) * PAGE + i as u64 + 1,
            section: v.section.clone().unwrap_or_default(),
            source: v.source.clone(),
            verdict: v.verdict.clone(),
            verdict_icon: icon(&v.verdict),
            status: v.status.clone(),
            original: marked(&v.original, &in_original),
            proposal: marked(&v.proposal, &in_proposal),
            proposal_text: v.proposal.clone(),
            diff: detail
                .diff
                .iter()
                .map(|p| (p.op.to_owned(), p.text.clone()))
                .collect(),
            reasons: reason_rows,
            rule_ids: detail.rule_ids.join(", "),
            provenance: provenance(detail.provenance.clone()),
            decisions,
            decidable: can_decide && open,
            blocked: v.verdict == "block",
            warned: v.verdict == "warn",
        });
    }
    let pages = listed.total.div_ceil(PAGE).max(1);
    let base = format!(
        "/documents/{id}/versions/{version}/review?status={}&verdict={}&section={}",
        urlencode(&status),
        urlencode(&verdict),
        urlencode(&section)
    );
    let link = |p: u64| format!("{base}&page={p}");
    let p = ReviewPage {
        chrome: Chrome::of(&who, format!("Review: {} (version {version})", d.title)),
        id,
        version,
        cards,
        total: listed.total,
        has_analysis: listed.job_id.is_some(),
        status,
        verdict,
        section,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page_no < pages).then(|| link(page_no + 1)),
        can_decide,
        locked: review.locked,
        back: link(page_no),
    };
    Ok(page(&who, &p))
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason: String,
    meaning: String,
    password: String,
    #[serde(default)]
    back: String,
}

/// Accept, edit or reject a suggestion, signed; back to the review with the outcome and
/// the signature's manifestation, or the refusal, as a message.
#[post("/documents/{id}/versions/{version}/suggestions/{suggestion}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Viewer<CanDecide>,
    ctx: Ctx,
    path: web::Path<(Uuid, i32, Uuid)>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let (id, version, suggestion) = path.into_inner();
    let f = form.into_inner();
    let fallback = format!("/documents/{id}/versions/{version}/review");
    let back_to = match super::view::safe_next(&f.back) {
        b if b.starts_with(&fallback) => b.to_owned(),
        _ => fallback,
    };
    let parsed = (|| -> Result<DecisionInput, PageError> {
        let decision = Decision::parse(&f.decision)?;
        let reason_code = match f.reason_code.trim() {
            "" => None,
            c => Some(ReasonCode::parse(c)?),
        };
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        Ok(DecisionInput {
            decision,
            text: text(&f.text),
            reason_code,
            reason: text(&f.reason),
            signature: SignatureInput {
                password: f.password.clone(),
                meaning: Meaning::parse(&f.meaning)?,
            },
        })
    })();
    let input = match parsed {
        Ok(i) => i,
        Err(e) => return super::back(&who, &back_to, Err(e)),
    };
    let decision = input.decision;
    let out = service::review::decide::decide(
        &state.store,
        &state.attempts,
        &state.rules,
        &who,
        suggestion,
        input,
        ctx.0,
    )
    .await
    .map_err(PageError::from);
    let out = match out {
        Ok(o) => {
            let sigs =
                service::review::read::decision_signatures(&state.store, &who, suggestion).await?;
            let manifestation = sigs
                .iter()
                .find(|s| s.id == o.signature_id)
                .map(|s| s.manifestation.clone())
                .unwrap_or_else(|| format!("signature {}", o.signature_id));
            let done = match decision {
                Decision::Accept => "accepted",
                Decision::Edit => "edited",
                Decision::Reject => "rejected",
            };
            Ok(format!(
                "suggestion {done}; signed: {manifestation}; the version is now {}",
                o.version_state
            ))
        }
        Err(e) => Err(e),
    };
    super::back(&who, &back_to, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::view::Chrome;

    fn card(verdict: &str, proposal: &str) -> Card {
        Card {
            id: Uuid::new_v4(),
            number: 1,
            section: "5.1 Dosing".into(),
            source: "ai".into(),
            verdict: verdict.into(),
            verdict_icon: icon(verdict),
            status: if verdict == "block" {
                "blocked"
            } else {
                "open"
            }
            .into(),
            original: marked("Take 5 mg daily.", &[(5, 9, 1, "block".into())]),
            proposal: marked(proposal, &[]),
            proposal_text: proposal.into(),
            diff: vec![
                ("equal".into(), "Take ".into()),
                ("delete".into(), "5".into()),
            ],
            reasons: vec![ReasonRow {
                n: 1,
                level: "block".into(),
                kind: "number_changed".into(),
                rule_id: "dc.number".into(),
                message: "5 mg is not in the proposal".into(),
            }],
            rule_ids: String::new(),
            provenance: vec![("model".into(), "smollm2".into())],
            decisions: Vec::new(),
            decidable: true,
            blocked: verdict == "block",
            warned: verdict == "warn",
        }
    }

    fn page(cards: Vec<Card>) -> String {
        ReviewPage {
            chrome: Chrome::anonymous("Review", "c".repeat(64), None),
            id: Uuid::new_v4(),
            version: 1,
            total: cards.len() as u64,
            cards,
            has_analysis: true,
            status: "pending".into(),
            verdict: String::new(),
            section: String::new(),
            page: 1,
            pages: 1,
            prev: None,
            next: None,
            can_decide: true,
            locked: false,
            back: "/documents/x/versions/1/review".into(),
        }
        .render()
        .expect("renders")
    }

    /// The part of the page that is the card with this id.
    fn article(html: &str, id: Uuid) -> &str {
        let start = html.find(&format!("id=\"s-{id}\"")).expect("the card");
        let end = html[start..].find("</article>").expect("its end") + start;
        &html[start..end]
    }

    #[test]
    fn a_blocked_proposal_says_why_and_offers_no_accept() {
        let blocked = card("block", "Take the tablet daily.");
        let passing = card("pass", "Take 5 mg each day.");
        let (b, p) = (blocked.id, passing.id);
        let html = page(vec![blocked, passing]);
        let b = article(&html, b);
        assert!(b.contains("can never be accepted"), "{b}");
        assert!(!b.contains("decision accept"), "{b}");
        assert!(b.contains("decision reject") && b.contains("decision edit"));
        assert!(b.contains("⛔ block"), "the verdict in words and an icon");
        assert!(
            b.contains("<mark class=\"level-block\" title=\"reason 1\">5 mg<sup>[1]</sup></mark>"),
            "{b}"
        );
        let p = article(&html, p);
        assert!(p.contains("decision accept"), "{p}");
        assert!(!p.contains("can never be accepted"));
        assert!(p.contains("✔ pass"));
    }

    #[test]
    fn text_from_a_document_or_a_model_is_escaped() {
        let hostile = card("pass", "<script>alert(1)</script> & \"x\"");
        let html = page(vec![hostile]);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)"), "{html}");
    }
}

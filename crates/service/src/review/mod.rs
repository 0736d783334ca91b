//! The review workflow: a writer requests an analysis of a document version (a job that a
//! worker runs, [`crate::worker`]); its findings and suggestions are stored with their
//! verdicts; QA decides on each suggestion with an electronic signature and suppresses
//! findings with a reason; the version moves draft → in review (an analysis finished) →
//! reviewed (every suggestion decided) → approved or rejected (signed), and an approved or
//! rejected version is locked.
//!
//! - [`options`]: what an analysis may be limited to;
//! - [`jobs`]: request, read and cancel analyses;
//! - [`read`]: findings and suggestions with filters and pages, one suggestion in full
//!   (word-level diff, reasons with spans, provenance, decisions);
//! - [`decide`]: decisions and suppressions, separation of duties, the state changes;
//! - [`export`]: the revised DOCX with tracked changes, the review report as JSON or HTML;
//! - [`report`]: the review report, one value every report format is written from;
//!   `report_html` writes it as a printable page (every text escaped by `html`);
//! - [`replay`]: a stored model proposal regenerated from its provenance.
//!
//! Choices: decisions are for QA and managers (writers request, QA decides); a suggestion
//! the cross-check blocked is stored as `blocked` (visible, never acceptable, needs no
//! decision for the version to count as reviewed); accepting one suggestion of a sentence
//! supersedes the others still open for it; the suggestions that count are those of the
//! version's latest finished analysis.

pub mod decide;
pub mod export;
mod html;
pub mod jobs;
mod options;
pub mod read;
pub mod replay;
pub mod report;
mod report_html;
#[cfg(feature = "openapi")]
mod schema;

pub use options::{AnalysisOptions, Kind, MAX_LIMIT};

use crate::ServiceError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{By, DocState, JobState, Store, StoreError};

/// Counts of one analysis (kept up to date while it runs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// Candidate sentences taken (prose body sentences in the requested sections).
    pub candidates: usize,
    /// Long body sentences left out as not prose (title-page fields, lists of codes).
    pub not_prose: usize,
    /// QC findings stored.
    pub findings: usize,
    /// Candidates the model was asked to rewrite (long enough: `model_min_words`).
    #[serde(default)]
    pub ai_asked: usize,
    /// Model proposals dropped because they only copied the sentence (or were empty).
    pub dropped: usize,
    /// The model's proposals by verdict.
    pub ai_blocked: usize,
    pub ai_warned: usize,
    pub ai_passed: usize,
    /// Sentences with a rule-made rewrite.
    pub rule_rewrites: usize,
    /// Suggestions stored.
    pub stored: usize,
}

/// A model proposal's provenance as the audit event's `ai` field records it.
pub(crate) fn ai_provenance(p: &ai_suggest::Provenance) -> audit::AiProvenance {
    audit::AiProvenance {
        model: p.model.clone(),
        weights_sha256: p.model_sha256.clone(),
        template_id: p.template_id.clone(),
        template_sha256: p.template_sha256.clone(),
        decoding: serde_json::to_value(&p.decoding).unwrap_or_default(),
        input_sha256: p.input_sha256.clone(),
    }
}

pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The section of each block of `doc` (by block index): the nearest heading at or before
/// it, as `"<number> <text>"` (clipped), `None` before the first heading.
pub fn section_index(doc: &ingest::Document) -> Vec<Option<String>> {
    let mut current: Option<String> = None;
    doc.blocks
        .iter()
        .map(|b| {
            if let ingest::BlockKind::Heading { number, .. } = &b.kind {
                let text = b.text.trim();
                let label = match number {
                    Some(n) if !text.starts_with(n.as_str()) => format!("{n} {text}"),
                    _ => text.to_owned(),
                };
                current = Some(store::clip(&label, 300));
            }
            current.clone()
        })
        .collect()
}

/// After an analysis finished: the version goes to review, or straight to reviewed when
/// the analysis left nothing to decide (`document.state`); an approved or rejected version
/// stays as it is.
pub(crate) async fn after_analysis(
    store: &Store,
    tenant: &store::Slug,
    job: &store::jobs::Job,
    by: &By,
) -> Result<(), ServiceError> {
    let (doc, version, job_id) = (job.document_id, job.version, job.id);
    let by = by.clone();
    let out = store
        .tenant_write(tenant, move |uow| {
            Box::pin(async move {
                let from = store::review::version_state(uow.txn(), doc, version).await?;
                let open = store::review::open_suggestions(uow.txn(), job_id).await?;
                let to = if open == 0 {
                    DocState::Reviewed
                } else {
                    DocState::InReview
                };
                if jobs::locked(from) || from == to {
                    // Nothing changes, so nothing is recorded (and nothing commits).
                    return Err(StoreError::Unrecorded);
                }
                let why = format!("analysis {job_id} finished; {open} suggestion(s) to decide");
                store::review::set_version_state(
                    uow.txn(),
                    doc,
                    version,
                    to,
                    None,
                    Some(why.clone()),
                )
                .await?;
                uow.record(state_event(&by, doc, version, from, to, Some(why)))
                    .await?;
                Ok(())
            })
        })
        .await;
    match out {
        Ok(()) | Err(StoreError::Unrecorded) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The `document.state` event of a version's state change.
pub(crate) fn state_event(
    by: &By,
    doc: uuid::Uuid,
    version: i32,
    from: DocState,
    to: DocState,
    reason: Option<String>,
) -> audit::EventDraft {
    let mut e = by.draft(
        "document.state",
        "document_version",
        Some(format!("{doc}/v{version}")),
    );
    e.old_value = Some(serde_json::json!({"state": from}));
    e.new_value = Some(serde_json::json!({"state": to}));
    e.reason = reason;
    e
}

/// Whether a job's state lets its results be read as the version's analysis.
pub(crate) fn finished(state: &str) -> bool {
    JobState::parse(state).is_ok_and(|s| s == JobState::Done)
}

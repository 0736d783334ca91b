//! Exports of a reviewed version (each recorded first as `document.export`, with its
//! format):
//!
//! - `docx`: the revised document, every accepted suggestion a native Word tracked change
//!   ([`revise`]): authored `dualcheck AI (<model short hash>)` (a reviewer's own edit:
//!   the reviewer), dated by the decision, the reviewer and the signature's meaning in a
//!   comment on it. A DOCX source is edited in place (every other part copied); a PDF
//!   source becomes a DOCX built from its structure first. A sentence the writer cannot
//!   change safely (a field, a hyperlink's edge, a content control, a bookmark edge...)
//!   is not rewritten: it is listed with its reason in the export's notes (the
//!   `Dualcheck-Export-Notes` header, the `document.export` event and the reports).
//! - `json`: the review report ([`report::Report`]), machine-readable.
//! - `html`: the same report as one self-contained, printable page
//!   ([`super::report_html`]).
//!
//! The reports are built once ([`super::report::build`]) and then written: one source of
//! truth for every format.

use super::read::{FindingView, finding_view};
use super::{report, report_html};
use crate::ServiceError;
use crate::authz::{Action, require};
use audit::RequestContext;
use serde::Serialize;
use std::collections::HashMap;
use store::review::{self, FindingFilter, SuggestionFilter};
use store::signatures::SignatureInfo;
use store::{By, Principal, Store, StoreError, SuggestionStatus};
use uuid::Uuid;

/// What an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The revised document with tracked changes.
    Docx,
    /// The review report, machine-readable.
    Json,
    /// The review report as a printable page.
    Html,
}

/// Every format with its name: the one list [`Format::parse`], [`Format::as_str`] and the
/// OpenAPI document use.
const FORMATS: [(Format, &str); 3] = [
    (Format::Docx, "docx"),
    (Format::Json, "json"),
    (Format::Html, "html"),
];

impl Format {
    /// Every format, in the order the API documents them.
    pub const ALL: [Format; FORMATS.len()] = [Format::Docx, Format::Json, Format::Html];

    /// The format named `s`, or an error listing the names.
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        if let Some((f, _)) = FORMATS.iter().find(|(_, name)| *name == s) {
            return Ok(*f);
        }
        if s == "pdf" {
            return Err(ServiceError::Invalid(format!(
                "export format \"pdf\" is not offered: export html (the same report, with an \
                 A4 print style) and print it to PDF from a browser; formats: {}",
                Self::names()
            )));
        }
        Err(ServiceError::Invalid(format!(
            "unknown export format {:?}: use one of {}",
            store::clip(s, 16),
            Self::names()
        )))
    }

    pub fn as_str(self) -> &'static str {
        FORMATS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, name)| name)
    }

    /// The names, comma-separated (for messages).
    pub fn names() -> String {
        FORMATS.map(|(_, name)| name).join(", ")
    }

    /// What a caller must be allowed to take this export: the revised document is for
    /// every role, the review report for QA, managers and auditors.
    fn action(self) -> Action {
        match self {
            Format::Docx => Action::Read,
            Format::Json | Format::Html => Action::ExportReport,
        }
    }
}

/// An export's bytes and how to serve them.
#[derive(Debug, Clone)]
pub struct Export {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub filename: String,
    /// Suggestions accepted but not written as tracked changes, with the reason.
    pub skipped: Vec<SkippedChange>,
}

/// An accepted suggestion the DOCX does not carry, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedChange {
    pub suggestion_id: String,
    /// A stable code (`field`, `hyperlink`, `bookmark`, `not_found`, ...).
    pub reason: String,
    pub message: String,
}

/// Everything read for an export, in one read transaction.
pub(super) struct Loaded {
    pub(super) doc: store::documents::Document,
    pub(super) version: store::documents::Version,
    pub(super) job: Option<store::jobs::Job>,
    pub(super) suggestions: Vec<review::Suggestion>,
    pub(super) decisions: HashMap<Uuid, Vec<review::DecisionRow>>,
    /// The signatures of the decisions and of the suppressions, by id.
    pub(super) signatures: HashMap<String, SignatureInfo>,
    pub(super) findings: Vec<FindingView>,
    pub(super) version_signatures: Vec<SignatureInfo>,
}

async fn load(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: Option<i32>,
) -> Result<Loaded, ServiceError> {
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let (doc, current) = store::documents::get(txn, id)
                    .await?
                    .ok_or(StoreError::NotFound("document"))?;
                let version = match version {
                    Some(n) if n != current.version => store::documents::get_version(txn, id, n)
                        .await?
                        .ok_or(StoreError::NotFound("document version"))?,
                    _ => current,
                };
                let job = store::jobs::of_version(txn, id, version.version)
                    .await?
                    .into_iter()
                    .find(|j| super::finished(&j.state));
                let mut suggestions = Vec::new();
                let mut findings = Vec::new();
                let mut decisions = HashMap::new();
                let mut signatures = HashMap::new();
                if let Some(j) = &job {
                    suggestions = review::list_suggestions(
                        txn,
                        j.id,
                        &SuggestionFilter::default(),
                        u64::MAX,
                        0,
                    )
                    .await?
                    .0;
                    findings =
                        review::list_findings(txn, j.id, &FindingFilter::default(), u64::MAX, 0)
                            .await?
                            .0
                            .into_iter()
                            .map(|(f, s)| finding_view(f, s))
                            .collect();
                    for f in findings.iter().filter(|f| f.suppression.is_some()) {
                        for sig in store::signatures::of_record(
                            txn,
                            super::decide::FINDING,
                            &f.id.to_string(),
                        )
                        .await?
                        {
                            signatures.insert(sig.id.clone(), sig);
                        }
                    }
                    for s in &suggestions {
                        let ds = review::decisions_of(txn, s.id).await?;
                        for sig in store::signatures::of_record(
                            txn,
                            super::decide::SUGGESTION,
                            &s.id.to_string(),
                        )
                        .await?
                        {
                            signatures.insert(sig.id.clone(), sig);
                        }
                        decisions.insert(s.id, ds);
                    }
                }
                let record = format!("{id}/v{}", version.version);
                let version_signatures =
                    store::signatures::of_record(txn, crate::signing::DOCUMENT_VERSION, &record)
                        .await?;
                Ok(Loaded {
                    doc,
                    version,
                    job,
                    suggestions,
                    decisions,
                    signatures,
                    findings,
                    version_signatures,
                })
            })
        })
        .await?)
}

/// The final text of every accepted suggestion (an edit carries the reviewer's text) as a
/// tracked change.
fn edits(l: &Loaded, doc: &ingest::Document) -> Vec<revise::Edit> {
    let mut out = Vec::new();
    for s in &l.suggestions {
        if s.status != SuggestionStatus::Accepted.as_str() {
            continue;
        }
        // The decision that accepted it: on the suggestion itself, or on its parent (edit).
        let decision = l.decisions.get(&s.id).and_then(|d| d.last()).or_else(|| {
            s.parent_id
                .and_then(|p| l.decisions.get(&p))
                .and_then(|d| d.iter().rev().find(|d| d.edit_id == Some(s.id)))
        });
        let Some(d) = decision else { continue };
        let Some(occurrence) = revise::occurrence_of(doc, &s.anchor) else {
            continue;
        };
        let sig = l.signatures.get(&d.signature_id);
        let author = match s.source.as_str() {
            "edit" => sig.map_or_else(|| "reviewer".into(), |g| g.signer_printed_name.clone()),
            _ => {
                let sha = s
                    .provenance
                    .as_deref()
                    .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
                    .and_then(|p| p["model_sha256"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                format!("dualcheck AI ({})", sha.get(..8).unwrap_or("unknown"))
            }
        };
        let comment = sig.map(|g| {
            let mut c = format!("{} (signature {})", g.manifestation, g.id);
            if let Some(r) = &d.reason {
                c.push_str(&format!("; reason: {r}"));
            }
            c
        });
        out.push(revise::Edit {
            id: s.id.to_string(),
            original: s.original.clone(),
            occurrence,
            replacement: s.proposal.clone(),
            author,
            date: d.created_at,
            comment,
        });
    }
    out
}

/// Write the tracked changes; the DOCX and what could not be written.
fn revised_docx(
    l: &Loaded,
    original: &[u8],
    limits: &ingest::Limits,
) -> Result<(Vec<u8>, Vec<SkippedChange>), ServiceError> {
    let doc: ingest::Document = serde_json::from_str(&l.version.structure)
        .map_err(|e| ServiceError::Internal(format!("stored structure: {e}")))?;
    let base = if l.version.format == "docx" {
        original.to_vec()
    } else {
        revise::docx_from_document(&doc).map_err(|e| ServiceError::Internal(e.to_string()))?
    };
    let edits = edits(l, &doc);
    let opts = revise::Options {
        limits: revise::Limits {
            max_bytes: limits.max_bytes.max(base.len() as u64 + 1),
            ..revise::Limits::default()
        },
        ..revise::Options::default()
    };
    let out = revise::apply_tracked_changes(&base, &edits, &opts)
        .map_err(|e| ServiceError::Internal(format!("writing the tracked changes: {e}")))?;
    let skipped = out
        .skipped
        .iter()
        .map(|s| SkippedChange {
            suggestion_id: s.id.clone(),
            reason: s.reason.code().into(),
            message: s.reason.message().into(),
        })
        .collect();
    Ok((out.bytes, skipped))
}

fn stem(filename: &str) -> &str {
    filename.rsplit_once('.').map_or(filename, |(s, _)| s)
}

/// What is exported.
#[derive(Debug, Clone, Copy)]
pub struct ExportOf {
    pub document: Uuid,
    /// Default: the current version.
    pub version: Option<i32>,
    pub format: Format,
}

/// Export a version of a document (`docx`: every role; `json` and `html`, the review
/// report: QA, managers, auditors), recorded first as `document.export` with its format.
pub async fn export(
    store: &Store,
    who: &Principal,
    key: &audit::VerifyingKey,
    what: ExportOf,
    limits: &ingest::Limits,
    request: RequestContext,
) -> Result<Export, ServiceError> {
    let ExportOf {
        document: id,
        version,
        format,
    } = what;
    require(who, format.action())?;
    let l = load(store, who, id, version).await?;
    let blobs = store.blobs(&who.tenant);
    let sha = l.version.blob_sha256.clone();
    let original = tokio::task::spawn_blocking(move || blobs.get(&sha))
        .await
        .map_err(ServiceError::internal)??;
    let (docx, skipped) = revised_docx(&l, &original, limits)?;
    let mut e =
        By::principal(who, request).draft("document.export", "document", Some(id.to_string()));
    e.new_value = Some(serde_json::json!({
        "version": l.version.version,
        "format": format.as_str(),
        "sha256": l.version.blob_sha256,
        "analysis": l.job.as_ref().map(|j| j.id),
        "tracked_changes_skipped": skipped,
    }));
    store.record_now(&who.tenant, e).await?;
    let name = format!("{}-v{}", stem(&l.doc.filename), l.version.version);
    let (bytes, media_type, filename) = match format {
        Format::Docx => (
            docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            format!("{name}-reviewed.docx"),
        ),
        Format::Json => {
            let report = report::build(store, who, key, l, skipped.clone()).await?;
            (
                serde_json::to_vec_pretty(&report).map_err(ServiceError::internal)?,
                "application/json",
                format!("{name}-review.json"),
            )
        }
        Format::Html => {
            let report = report::build(store, who, key, l, skipped.clone()).await?;
            (
                report_html::render(&report).into_bytes(),
                "text/html; charset=utf-8",
                format!("{name}-review.html"),
            )
        }
    };
    Ok(Export {
        bytes,
        media_type,
        filename,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn every_format_parses_from_its_one_name() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()).expect("a format"), f);
        }
        assert_eq!(Format::names(), "docx, json, html");
    }

    #[test]
    fn an_unknown_format_is_refused_naming_the_formats() {
        for bad in ["xml", "HTML", "", "pdf"] {
            let e = Format::parse(bad).expect_err("refused").to_string();
            assert!(e.contains("docx, json, html"), "{bad}: {e}");
        }
        let e = Format::parse("pdf").expect_err("refused").to_string();
        assert!(e.contains("export html") && e.contains("print"), "{e}");
    }
}

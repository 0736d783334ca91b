//! Exports of a reviewed version (each recorded first as `document.export`):
//!
//! - `docx`: the revised document, every accepted suggestion a native Word tracked change
//!   ([`revise`]): authored `dualcheck AI (<model short hash>)` (a reviewer's own edit:
//!   the reviewer), dated by the decision, the reviewer and the signature's meaning in a
//!   comment on it. A DOCX source is edited in place (every other part copied); a PDF
//!   source becomes a DOCX built from its structure first. A sentence the writer cannot
//!   change safely (a field, a hyperlink's edge, a content control, a bookmark edge...)
//!   is not rewritten: it is listed with its reason in the export's notes (the
//!   `Dualcheck-Export-Notes` header, the `document.export` event and the JSON export).
//! - `json`: everything a QA lead files, machine-readable: the document's identity and
//!   SHA-256, version and review state with its history, rule-pack and model hashes, the
//!   findings and suggestions with verdicts, reasons, decisions and the signatures'
//!   manifestations, the version's signatures, the tracked-change notes, this document's
//!   audit excerpt and the chain verification result.

use super::jobs::{JobView, ReviewView, review_state};
use super::read::{DecisionView, FindingView, SuggestionView, finding_view, suggestion_view};
use crate::ServiceError;
use crate::authz::{Action, require};
use audit::RequestContext;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use store::review::{self, FindingFilter, SuggestionFilter};
use store::signatures::SignatureInfo;
use store::{By, Principal, Store, StoreError, SuggestionStatus};
use uuid::Uuid;

/// What an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Docx,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        match s {
            "docx" => Ok(Format::Docx),
            "json" => Ok(Format::Json),
            other => Err(ServiceError::Invalid(format!(
                "unknown export format {:?}: use docx or json",
                store::clip(other, 16)
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Json => "json",
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

/// A suggestion with its decisions and their signatures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSuggestion {
    #[serde(flatten)]
    pub suggestion: SuggestionView,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub provenance: Option<serde_json::Value>,
    pub decisions: Vec<DecisionView>,
    /// The signatures of the decisions (printed name, date-time with zone, meaning).
    pub signatures: Vec<String>,
}

/// The identity of the exported version.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDocument {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    pub format: String,
    pub version: i32,
    /// SHA-256 of the original bytes as uploaded.
    pub sha256: String,
}

/// A model that made or ranked a stored proposal.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportModel {
    pub name: String,
    pub sha256: String,
    pub template_id: String,
    pub template_sha256: String,
}

/// The review report of one version (the JSON export).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub document: ReportDocument,
    pub review: ReviewView,
    /// The analysis reported (the version's latest finished one).
    pub analysis: Option<JobView>,
    pub rules_version: Option<String>,
    pub rules_hash: Option<String>,
    pub models: Vec<ReportModel>,
    pub findings: Vec<FindingView>,
    pub suggestions: Vec<ReportSuggestion>,
    /// The version's electronic signatures (manifestations).
    pub signatures: Vec<String>,
    /// Accepted suggestions the DOCX export does not carry, with the reason.
    pub tracked_changes_skipped: Vec<SkippedChange>,
    /// This document's events in the tenant's trail (its versions, analyses, suggestions,
    /// findings and signatures), oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub audit_excerpt: Vec<audit::Event>,
    /// The verification of the tenant's whole chain at the time of the export.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub chain: audit::ChainReport,
    pub exported_at: chrono::DateTime<chrono::Utc>,
    pub exported_by: String,
}

/// Everything read for an export, in one read transaction.
struct Loaded {
    doc: store::documents::Document,
    version: store::documents::Version,
    job: Option<store::jobs::Job>,
    suggestions: Vec<review::Suggestion>,
    decisions: HashMap<Uuid, Vec<review::DecisionRow>>,
    signatures: HashMap<String, SignatureInfo>,
    findings: Vec<FindingView>,
    version_signatures: Vec<SignatureInfo>,
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

/// Export a version of a document (`docx`: every role; `json`, the review report: QA,
/// managers, auditors), recorded first as `document.export`.
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
    require(
        who,
        match format {
            Format::Docx => Action::Read,
            Format::Json => Action::ExportReport,
        },
    )?;
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
    let base = stem(&l.doc.filename).to_owned();
    match format {
        Format::Docx => Ok(Export {
            bytes: docx,
            media_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename: format!("{base}-v{}-reviewed.docx", l.version.version),
            skipped,
        }),
        Format::Json => {
            let report = report(store, who, key, l, skipped.clone()).await?;
            Ok(Export {
                bytes: serde_json::to_vec_pretty(&report).map_err(ServiceError::internal)?,
                media_type: "application/json",
                filename: format!("{base}-v{}-review.json", report.document.version),
                skipped,
            })
        }
    }
}

async fn report(
    store: &Store,
    who: &Principal,
    key: &audit::VerifyingKey,
    l: Loaded,
    skipped: Vec<SkippedChange>,
) -> Result<Report, ServiceError> {
    let id = l.doc.id;
    let version = l.version.version;
    let review = review_state(store, who, id, version).await?;
    let mut models: Vec<ReportModel> = Vec::new();
    let mut seen = HashSet::new();
    let mut entities: HashSet<String> = [id.to_string(), format!("{id}/v{version}")].into();
    if let Some(j) = &l.job {
        entities.insert(j.id.to_string());
    }
    for f in &l.findings {
        entities.insert(f.id.to_string());
    }
    let mut suggestions = Vec::new();
    for s in &l.suggestions {
        entities.insert(s.id.to_string());
        let provenance: Option<serde_json::Value> = s
            .provenance
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        if let Some(p) = provenance
            .as_ref()
            .filter(|p| p["model"].is_string() || p["ranking_model"].is_string())
        {
            let m = ReportModel {
                name: p["model"]
                    .as_str()
                    .or(p["ranking_model"].as_str())
                    .unwrap_or_default()
                    .into(),
                sha256: p["model_sha256"].as_str().unwrap_or_default().into(),
                template_id: p["template_id"].as_str().unwrap_or_default().into(),
                template_sha256: p["template_sha256"].as_str().unwrap_or_default().into(),
            };
            if seen.insert(m.clone()) {
                models.push(m);
            }
        }
        let decisions = l.decisions.get(&s.id).cloned().unwrap_or_default();
        let signatures = decisions
            .iter()
            .filter_map(|d| l.signatures.get(&d.signature_id))
            .map(|g| g.manifestation.clone())
            .collect();
        suggestions.push(ReportSuggestion {
            suggestion: suggestion_view(s.clone()),
            provenance,
            decisions: decisions.into_iter().map(DecisionView::from).collect(),
            signatures,
        });
    }
    let (rules_version, rules_hash) = suggestions
        .first()
        .map(|s| {
            (
                Some(s.suggestion.rules_version.clone()),
                Some(s.suggestion.rules_hash.clone()),
            )
        })
        .unwrap_or((None, None));
    let mut audit_excerpt = Vec::new();
    let mut pages = store.audit_pages(&who.tenant);
    while let Some(page) = pages.next().await? {
        audit_excerpt.extend(
            page.into_iter()
                .filter(|e| e.entity_id.as_ref().is_some_and(|x| entities.contains(x))),
        );
    }
    let chain = super::super::audit_trail::verify_for_report(store, &who.tenant, key).await?;
    Ok(Report {
        document: ReportDocument {
            id,
            title: l.doc.title.clone(),
            filename: l.version.filename.clone(),
            format: l.version.format.clone(),
            version,
            sha256: l.version.blob_sha256.clone(),
        },
        review,
        analysis: l.job.map(JobView::try_from).transpose()?,
        rules_version,
        rules_hash,
        models,
        findings: l.findings,
        suggestions,
        signatures: l
            .version_signatures
            .iter()
            .map(|s| s.manifestation.clone())
            .collect(),
        tracked_changes_skipped: skipped,
        audit_excerpt,
        chain,
        exported_at: chrono::Utc::now(),
        exported_by: format!("{} ({})", who.display_name, who.username),
    })
}

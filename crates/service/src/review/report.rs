//! The review report of one version: one [`Report`] value, built once per export from what
//! [`super::export`] read, then written as JSON (serde), as an HTML page
//! ([`super::report_html`]) or as a PDF ([`super::report_pdf`]). Everything a QA lead
//! files: the document's identity and SHA-256, the version's review state with its
//! history, rule-pack and model hashes, the findings and suggestions with verdicts,
//! reasons, decisions, reviewers and the signatures' manifestations, the version's
//! signatures, the tracked-change notes, this document's audit excerpt and the chain
//! verification result.

use super::export::{Loaded, SkippedChange};
use super::jobs::{JobView, ReviewView, review_state};
use super::read::{DecisionView, FindingView, SuggestionView, suggestion_view};
use crate::ServiceError;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use store::signatures::SignatureInfo;
use store::{Principal, Store};

/// An electronic signature as a report shows it (21 CFR Part 11 §11.50: printed name,
/// date-time with zone, meaning).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSignature {
    pub id: String,
    pub printed_name: String,
    pub username: String,
    /// `authored`, `reviewed`, `approved`, `rejected` or `responsible`.
    pub meaning: String,
    /// RFC 3339 with offset.
    pub signed_at: String,
    /// "Jane Doe (jdoe), approved, 2026-11-23T10:00:00.000000+00:00".
    pub manifestation: String,
}

impl From<&SignatureInfo> for ReportSignature {
    fn from(s: &SignatureInfo) -> Self {
        ReportSignature {
            id: s.id.clone(),
            printed_name: s.signer_printed_name.clone(),
            username: s.signer_username.clone(),
            meaning: s.meaning.as_str().to_owned(),
            signed_at: s.signed_at.clone(),
            manifestation: s.manifestation.clone(),
        }
    }
}

/// A decision with its reviewer and signature.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDecision {
    #[serde(flatten)]
    pub decision: DecisionView,
    /// The signer of the decision, "printed name (username)".
    pub reviewer: Option<String>,
    pub signature: Option<ReportSignature>,
}

/// A suggestion with its decisions and their signatures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSuggestion {
    #[serde(flatten)]
    pub suggestion: SuggestionView,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub provenance: Option<serde_json::Value>,
    pub decisions: Vec<ReportDecision>,
    /// The signatures of the decisions (printed name, date-time with zone, meaning).
    pub signatures: Vec<String>,
}

/// A finding with the signature of its suppression, if suppressed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFinding {
    #[serde(flatten)]
    pub finding: FindingView,
    pub suppression_signature: Option<ReportSignature>,
}

/// The identity of the exported version.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDocument {
    pub id: uuid::Uuid,
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

/// The review report of one version (the JSON export; the HTML and PDF exports render it).
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
    pub findings: Vec<ReportFinding>,
    pub suggestions: Vec<ReportSuggestion>,
    /// The version's electronic signatures (manifestations).
    pub signatures: Vec<String>,
    /// The same signatures, with their parts.
    pub version_signatures: Vec<ReportSignature>,
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

fn signature_of(
    signatures: &HashMap<String, SignatureInfo>,
    id: &str,
) -> (Option<String>, Option<ReportSignature>) {
    match signatures.get(id) {
        Some(g) => (
            Some(format!("{} ({})", g.signer_printed_name, g.signer_username)),
            Some(g.into()),
        ),
        None => (None, None),
    }
}

/// The model of a stored provenance (the model that wrote or ranked the proposal).
fn model_of(p: &serde_json::Value) -> ReportModel {
    ReportModel {
        name: p["model"]
            .as_str()
            .or(p["ranking_model"].as_str())
            .unwrap_or_default()
            .into(),
        sha256: p["model_sha256"].as_str().unwrap_or_default().into(),
        template_id: p["template_id"].as_str().unwrap_or_default().into(),
        template_sha256: p["template_sha256"].as_str().unwrap_or_default().into(),
    }
}

/// Build the report of what `l` holds: the review state, the audit excerpt of the
/// document's records and the verification of the whole chain are read now.
pub(super) async fn build(
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
    let findings: Vec<ReportFinding> = l
        .findings
        .into_iter()
        .map(|f| {
            entities.insert(f.id.to_string());
            let suppression_signature = f
                .suppression
                .as_ref()
                .and_then(|s| signature_of(&l.signatures, &s.signature_id).1);
            ReportFinding {
                finding: f,
                suppression_signature,
            }
        })
        .collect();
    let mut suggestions = Vec::new();
    for s in &l.suggestions {
        entities.insert(s.id.to_string());
        let provenance: Option<serde_json::Value> = s
            .provenance
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        // A rule-made rewrite that was the only one names no model.
        if let Some(p) = provenance
            .as_ref()
            .filter(|p| p["model"].is_string() || p["ranking_model"].is_string())
        {
            let m = model_of(p);
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
        let decisions = decisions
            .into_iter()
            .map(|d| {
                let (reviewer, signature) = signature_of(&l.signatures, &d.signature_id);
                ReportDecision {
                    decision: DecisionView::from(d),
                    reviewer,
                    signature,
                }
            })
            .collect();
        suggestions.push(ReportSuggestion {
            suggestion: suggestion_view(s.clone()),
            provenance,
            decisions,
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
        findings,
        suggestions,
        signatures: l
            .version_signatures
            .iter()
            .map(|s| s.manifestation.clone())
            .collect(),
        version_signatures: l.version_signatures.iter().map(Into::into).collect(),
        tracked_changes_skipped: skipped,
        audit_excerpt,
        chain,
        exported_at: chrono::Utc::now(),
        exported_by: format!("{} ({})", who.display_name, who.username),
    })
}

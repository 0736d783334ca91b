//! Reading what analyses stored: findings and suggestions of a document version (filters,
//! pages), and one suggestion in full.

use crate::ServiceError;
use crate::authz::{Action, require};
use serde::Serialize;
use store::review::{self, FindingFilter, SuggestionFilter};
use store::{DatabaseTransaction, Principal, Store, StoreError};
use uuid::Uuid;

/// Which analysis of which version a listing reads.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Default: the document's current version.
    pub version: Option<i32>,
    /// Default: the version's latest finished analysis.
    pub job: Option<Uuid>,
}

/// One page of a listing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The analysis read (none when the version has no finished analysis).
    pub job_id: Option<Uuid>,
    pub version: i32,
    pub items: Vec<T>,
    /// Items that match the filters, over all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

/// Who suppressed a finding, when and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuppressionView {
    pub by: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub reason: String,
    pub signature_id: String,
}

/// A stored QC finding.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingView {
    pub id: Uuid,
    pub job_id: Uuid,
    pub rule_id: String,
    pub level: String,
    pub anchor: Option<String>,
    pub section: Option<String>,
    pub message: String,
    /// Character span in the anchored text.
    pub span: (usize, usize),
    /// The replacement a substitution rule suggests.
    pub replacement: Option<String>,
    /// `open` or `suppressed`.
    pub status: String,
    pub suppression: Option<SuppressionView>,
}

pub(crate) fn finding_view(f: review::FindingRow, s: Option<review::Suppression>) -> FindingView {
    let body: serde_json::Value = serde_json::from_str(&f.body).unwrap_or_default();
    let span = (
        body["span"][0].as_u64().unwrap_or(0) as usize,
        body["span"][1].as_u64().unwrap_or(0) as usize,
    );
    FindingView {
        id: f.id,
        job_id: f.job_id,
        rule_id: f.rule_id,
        level: f.level,
        anchor: f.anchor,
        section: f.section,
        message: body["message"].as_str().unwrap_or_default().to_owned(),
        span,
        replacement: body["replacement"].as_str().map(str::to_owned),
        status: if s.is_some() { "suppressed" } else { "open" }.into(),
        suppression: s.map(|s| SuppressionView {
            by: s.suppressed_by,
            at: s.created_at,
            reason: s.reason,
            signature_id: s.signature_id,
        }),
    }
}

/// A stored suggestion (without its diff and history).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionView {
    pub id: Uuid,
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub anchor: String,
    pub section: Option<String>,
    /// `ai`, `rule` or `edit`.
    pub source: String,
    /// The suggestion a reviewer's edit was made on.
    pub parent_id: Option<Uuid>,
    pub original: String,
    pub proposal: String,
    /// `pass`, `warn` or `block`.
    pub verdict: String,
    /// The cross-check's reasons, with their spans in the original and the proposal.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub reasons: serde_json::Value,
    pub rules_version: String,
    pub rules_hash: String,
    /// `open`, `accepted`, `rejected`, `edited`, `blocked` or `superseded`.
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) fn suggestion_view(s: review::Suggestion) -> SuggestionView {
    let check: serde_json::Value = serde_json::from_str(&s.check_json).unwrap_or_default();
    SuggestionView {
        id: s.id,
        job_id: s.job_id,
        document_id: s.document_id,
        version: s.version,
        anchor: s.anchor,
        section: s.section,
        source: s.source,
        parent_id: s.parent_id,
        original: s.original,
        proposal: s.proposal,
        verdict: s.verdict,
        reasons: check["reasons"].clone(),
        rules_version: check["rules_version"].as_str().unwrap_or_default().into(),
        rules_hash: check["rules_hash"].as_str().unwrap_or_default().into(),
        status: s.status,
        created_at: s.created_at,
    }
}

/// One piece of a word-level diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffPart {
    /// `equal`, `delete` (only in the original) or `insert` (only in the proposal).
    pub op: &'static str,
    pub text: String,
}

/// The word-level diff of `original` against `proposal` (words and the spaces between
/// them; `similar`'s Myers diff).
pub fn word_diff(original: &str, proposal: &str) -> Vec<DiffPart> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .diff_words(original, proposal);
    let mut out: Vec<DiffPart> = Vec::new();
    for c in diff.iter_all_changes() {
        let op = match c.tag() {
            similar::ChangeTag::Equal => "equal",
            similar::ChangeTag::Delete => "delete",
            similar::ChangeTag::Insert => "insert",
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(c.value()),
            _ => out.push(DiffPart {
                op,
                text: c.value().to_owned(),
            }),
        }
    }
    out
}

/// A decision as the history shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionView {
    pub id: Uuid,
    /// `accept`, `edit` or `reject`.
    pub decision: String,
    /// The reviewer's own text, stored as a suggestion of its own.
    pub edit_id: Option<Uuid>,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Uuid,
    pub signature_id: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<review::DecisionRow> for DecisionView {
    fn from(d: review::DecisionRow) -> Self {
        DecisionView {
            id: d.id,
            decision: d.decision,
            edit_id: d.edit_id,
            reason_code: d.reason_code,
            reason: d.reason,
            decided_by: d.decided_by,
            signature_id: d.signature_id,
            at: d.created_at,
        }
    }
}

/// One suggestion in full.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestionDetail {
    #[serde(flatten)]
    pub suggestion: SuggestionView,
    pub diff: Vec<DiffPart>,
    /// How it was made: the model, its SHA-256, the template and its hash, the decoding
    /// settings, the input and output hashes (`ai`); the ranking model and score (`rule`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub provenance: Option<serde_json::Value>,
    pub rule_ids: Vec<String>,
    pub decisions: Vec<DecisionView>,
}

/// The version and analysis a listing reads.
async fn resolve(
    txn: &DatabaseTransaction,
    document: Uuid,
    scope: Scope,
) -> Result<(i32, Option<Uuid>), StoreError> {
    let (doc, _) = store::documents::get(txn, document)
        .await?
        .ok_or(StoreError::NotFound("document"))?;
    let version = scope.version.unwrap_or(doc.current_version);
    if let Some(j) = scope.job {
        let job = store::jobs::get(txn, j)
            .await?
            .filter(|j| j.document_id == document)
            .ok_or(StoreError::NotFound("analysis job"))?;
        return Ok((job.version, Some(job.id)));
    }
    let jobs = store::jobs::of_version(txn, document, version).await?;
    Ok((
        version,
        jobs.into_iter()
            .find(|j| super::finished(&j.state))
            .map(|j| j.id),
    ))
}

/// The findings of a version's analysis, filtered, one page.
pub async fn findings(
    store: &Store,
    who: &Principal,
    document: Uuid,
    scope: Scope,
    filter: FindingFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<FindingView>, ServiceError> {
    require(who, Action::Read)?;
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let (version, job) = resolve(txn, document, scope).await?;
                let (items, total) = match job {
                    Some(j) => review::list_findings(txn, j, &filter, limit, offset).await?,
                    None => (Vec::new(), 0),
                };
                Ok(Page {
                    job_id: job,
                    version,
                    items: items.into_iter().map(|(f, s)| finding_view(f, s)).collect(),
                    total,
                    limit,
                    offset,
                })
            })
        })
        .await?)
}

/// The suggestions of a version's analysis, filtered, one page.
pub async fn suggestions(
    store: &Store,
    who: &Principal,
    document: Uuid,
    scope: Scope,
    filter: SuggestionFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<SuggestionView>, ServiceError> {
    require(who, Action::Read)?;
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let (version, job) = resolve(txn, document, scope).await?;
                let (items, total) = match job {
                    Some(j) => review::list_suggestions(txn, j, &filter, limit, offset).await?,
                    None => (Vec::new(), 0),
                };
                Ok(Page {
                    job_id: job,
                    version,
                    items: items.into_iter().map(suggestion_view).collect(),
                    total,
                    limit,
                    offset,
                })
            })
        })
        .await?)
}

/// One suggestion: original, proposal, word-level diff, verdict and reasons with spans,
/// provenance, decisions.
pub async fn suggestion(
    store: &Store,
    who: &Principal,
    id: Uuid,
) -> Result<SuggestionDetail, ServiceError> {
    require(who, Action::Read)?;
    let (s, decisions) = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let Some(s) = review::get_suggestion(txn, id).await? else {
                    return Ok(None);
                };
                let d = review::decisions_of(txn, id).await?;
                Ok(Some((s, d)))
            })
        })
        .await?
        .ok_or(ServiceError::NotFound("suggestion"))?;
    Ok(detail(s, decisions))
}

fn detail(s: review::Suggestion, decisions: Vec<review::DecisionRow>) -> SuggestionDetail {
    let provenance = s
        .provenance
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let rule_ids = serde_json::from_str(&s.rule_ids).unwrap_or_default();
    let diff = word_diff(&s.original, &s.proposal);
    SuggestionDetail {
        suggestion: suggestion_view(s),
        diff,
        provenance,
        rule_ids,
        decisions: decisions.into_iter().map(DecisionView::from).collect(),
    }
}

/// Suggestions in full with the signatures of their decisions, read in one transaction
/// (a page of the review); ids not found are left out.
pub async fn suggestions_in_full(
    store: &Store,
    who: &Principal,
    ids: Vec<Uuid>,
) -> Result<Vec<(SuggestionDetail, Vec<store::signatures::SignatureInfo>)>, ServiceError> {
    require(who, Action::Read)?;
    let rows = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let Some(s) = review::get_suggestion(txn, id).await? else {
                        continue;
                    };
                    let d = review::decisions_of(txn, id).await?;
                    let sigs = if d.is_empty() {
                        Vec::new()
                    } else {
                        store::signatures::of_record(
                            txn,
                            super::decide::SUGGESTION,
                            &id.to_string(),
                        )
                        .await?
                    };
                    out.push((s, d, sigs));
                }
                Ok(out)
            })
        })
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, d, sigs)| (detail(s, d), sigs))
        .collect())
}

/// The signatures of the decisions on a suggestion, oldest first: who signed, when, with
/// what meaning (their manifestation, §11.50).
pub async fn decision_signatures(
    store: &Store,
    who: &Principal,
    id: Uuid,
) -> Result<Vec<store::signatures::SignatureInfo>, ServiceError> {
    require(who, Action::Read)?;
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                store::signatures::of_record(txn, super::decide::SUGGESTION, &id.to_string()).await
            })
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_marks_changed_words_only() {
        let d = word_diff(
            "Patients must take the tablet prior to breakfast.",
            "Patients must take the tablet before breakfast.",
        );
        let changed: Vec<(&str, &str)> = d
            .iter()
            .filter(|p| p.op != "equal")
            .map(|p| (p.op, p.text.as_str()))
            .collect();
        assert_eq!(changed, vec![("delete", "prior to"), ("insert", "before")]);
        let back: String = d
            .iter()
            .filter(|p| p.op != "insert")
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(back, "Patients must take the tablet prior to breakfast.");
    }
}

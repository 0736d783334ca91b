//! The review records of a tenant: findings and suggestions stored by analysis jobs, the
//! reviewers' decisions, suppressions of findings, and the review state of each document
//! version with its history. Every function takes the transaction of a unit of work (or a
//! read), so it sees one tenant's tables only.

use crate::entities::{
    decisions, finding_suppressions, findings, suggestions, version_state_changes, version_states,
};
use crate::{DocState, StoreError, SuggestionStatus};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use uuid::Uuid;

pub use decisions::Model as DecisionRow;
pub use finding_suppressions::Model as Suppression;
pub use findings::Model as FindingRow;
pub use suggestions::Model as Suggestion;
pub use version_state_changes::Model as StateChange;

/// A finding to store.
#[derive(Debug, Clone)]
pub struct NewFinding {
    pub ordinal: i32,
    pub rule_id: String,
    pub level: String,
    pub anchor: Option<String>,
    pub section: Option<String>,
    pub body: String,
}

/// Store a job's findings (all of them, in one change).
pub async fn insert_findings(
    txn: &DatabaseTransaction,
    job: Uuid,
    document_id: Uuid,
    version: i32,
    items: Vec<NewFinding>,
) -> Result<usize, StoreError> {
    let n = items.len();
    let now = Utc::now();
    for f in items {
        findings::ActiveModel {
            id: Set(Uuid::new_v4()),
            job_id: Set(job),
            document_id: Set(document_id),
            version: Set(version),
            ordinal: Set(f.ordinal),
            rule_id: Set(f.rule_id),
            level: Set(f.level),
            anchor: Set(f.anchor),
            section: Set(f.section),
            body: Set(f.body),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    Ok(n)
}

/// A suggestion to store.
#[derive(Debug, Clone)]
pub struct NewSuggestion {
    pub key: String,
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub anchor: String,
    pub section: Option<String>,
    pub source: crate::SuggestionSource,
    pub parent_id: Option<Uuid>,
    pub original: String,
    pub proposal: String,
    pub verdict: String,
    pub check_json: String,
    pub provenance: Option<String>,
    pub rule_ids: String,
    pub created_by: Option<Uuid>,
}

/// Store a suggestion unless one with its key exists (a reclaimed job's repeat):
/// `None` then.
pub async fn insert_suggestion(
    txn: &DatabaseTransaction,
    new: NewSuggestion,
) -> Result<Option<Suggestion>, StoreError> {
    let exists = suggestions::Entity::find()
        .filter(suggestions::Column::Key.eq(new.key.as_str()))
        .count(txn)
        .await?
        > 0;
    if exists {
        return Ok(None);
    }
    let status = if new.verdict == "block" {
        SuggestionStatus::Blocked
    } else {
        SuggestionStatus::Open
    };
    Ok(Some(
        suggestions::ActiveModel {
            id: Set(Uuid::new_v4()),
            key: Set(new.key),
            job_id: Set(new.job_id),
            document_id: Set(new.document_id),
            version: Set(new.version),
            anchor: Set(new.anchor),
            section: Set(new.section),
            source: Set(new.source.as_str().into()),
            parent_id: Set(new.parent_id),
            original: Set(new.original),
            proposal: Set(new.proposal),
            verdict: Set(new.verdict),
            check_json: Set(new.check_json),
            provenance: Set(new.provenance),
            rule_ids: Set(new.rule_ids),
            status: Set(status.as_str().into()),
            created_by: Set(new.created_by),
            created_at: Set(Utc::now()),
        }
        .insert(txn)
        .await?,
    ))
}

/// Filters of a suggestion listing (all optional).
#[derive(Debug, Clone, Default)]
pub struct SuggestionFilter {
    pub status: Option<String>,
    pub verdict: Option<String>,
    pub section: Option<String>,
    /// A rule id the cross-check named, or a rule a rule-made rewrite applied.
    pub rule: Option<String>,
    pub source: Option<String>,
}

/// Filters of a finding listing.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// `open` or `suppressed`.
    pub status: Option<String>,
    pub rule: Option<String>,
    pub section: Option<String>,
    pub level: Option<String>,
}

/// Whether a sentence under `section` (`"5.2 Title"`) is in the section numbered `wanted`
/// (`5` covers `5.2.1`, not `51`), or the section's whole label is `wanted`.
pub fn section_matches(section: Option<&str>, wanted: &str) -> bool {
    let Some(s) = section else { return false };
    let number = s.split_whitespace().next().unwrap_or("");
    number == wanted
        || number
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
        || s == wanted
}

/// One page of `kept` and the number kept.
fn page_of<T>(kept: Vec<T>, limit: u64, offset: u64) -> (Vec<T>, u64) {
    let total = kept.len() as u64;
    let page = kept
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    (page, total)
}

/// The suggestions a job stored (and the edits made on them), filtered, in document order,
/// one page; with the number that match.
pub async fn list_suggestions(
    txn: &DatabaseTransaction,
    job: Uuid,
    filter: &SuggestionFilter,
    limit: u64,
    offset: u64,
) -> Result<(Vec<Suggestion>, u64), StoreError> {
    let mut q: Select<suggestions::Entity> =
        suggestions::Entity::find().filter(suggestions::Column::JobId.eq(job));
    if let Some(s) = &filter.status {
        q = q.filter(suggestions::Column::Status.eq(s.as_str()));
    }
    if let Some(v) = &filter.verdict {
        q = q.filter(suggestions::Column::Verdict.eq(v.as_str()));
    }
    if let Some(s) = &filter.source {
        q = q.filter(suggestions::Column::Source.eq(s.as_str()));
    }
    let all = q
        .order_by_asc(suggestions::Column::CreatedAt)
        .order_by_asc(suggestions::Column::Key)
        .all(txn)
        .await?;
    let kept: Vec<Suggestion> = all
        .into_iter()
        .filter(|s| {
            filter
                .section
                .as_deref()
                .is_none_or(|w| section_matches(s.section.as_deref(), w))
        })
        .filter(|s| {
            filter.rule.as_deref().is_none_or(|r| {
                let quoted = format!("\"{r}\"");
                s.rule_ids.contains(&quoted) || s.check_json.contains(&quoted)
            })
        })
        .collect();
    Ok(page_of(kept, limit, offset))
}

/// The findings a job stored, with their suppression, filtered, one page; with the number
/// that match.
pub async fn list_findings(
    txn: &DatabaseTransaction,
    job: Uuid,
    filter: &FindingFilter,
    limit: u64,
    offset: u64,
) -> Result<(Vec<(FindingRow, Option<Suppression>)>, u64), StoreError> {
    let mut q = findings::Entity::find().filter(findings::Column::JobId.eq(job));
    if let Some(r) = &filter.rule {
        q = q.filter(findings::Column::RuleId.eq(r.as_str()));
    }
    if let Some(l) = &filter.level {
        q = q.filter(findings::Column::Level.eq(l.as_str()));
    }
    let rows = q.order_by_asc(findings::Column::Ordinal).all(txn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|f| f.id).collect();
    let mut sup: std::collections::HashMap<Uuid, Suppression> = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for s in finding_suppressions::Entity::find()
            .filter(finding_suppressions::Column::FindingId.is_in(chunk.to_vec()))
            .all(txn)
            .await?
        {
            sup.insert(s.finding_id, s);
        }
    }
    let kept: Vec<(FindingRow, Option<Suppression>)> = rows
        .into_iter()
        .map(|f| {
            let s = sup.remove(&f.id);
            (f, s)
        })
        .filter(|(_, s)| match filter.status.as_deref() {
            Some("open") => s.is_none(),
            Some("suppressed") => s.is_some(),
            _ => true,
        })
        .filter(|(f, _)| {
            filter
                .section
                .as_deref()
                .is_none_or(|w| section_matches(f.section.as_deref(), w))
        })
        .collect();
    Ok(page_of(kept, limit, offset))
}

pub async fn get_suggestion(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<Option<Suggestion>, StoreError> {
    Ok(suggestions::Entity::find_by_id(id).one(txn).await?)
}

pub async fn get_finding(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<Option<(FindingRow, Option<Suppression>)>, StoreError> {
    let Some(f) = findings::Entity::find_by_id(id).one(txn).await? else {
        return Ok(None);
    };
    let s = finding_suppressions::Entity::find()
        .filter(finding_suppressions::Column::FindingId.eq(id))
        .one(txn)
        .await?;
    Ok(Some((f, s)))
}

/// The decisions on a suggestion, oldest first.
pub async fn decisions_of(
    txn: &DatabaseTransaction,
    suggestion: Uuid,
) -> Result<Vec<DecisionRow>, StoreError> {
    Ok(decisions::Entity::find()
        .filter(decisions::Column::SuggestionId.eq(suggestion))
        .order_by_asc(decisions::Column::CreatedAt)
        .all(txn)
        .await?)
}

/// Suggestions of a job still open (not decided), counted.
pub async fn open_suggestions(txn: &DatabaseTransaction, job: Uuid) -> Result<u64, StoreError> {
    Ok(suggestions::Entity::find()
        .filter(suggestions::Column::JobId.eq(job))
        .filter(suggestions::Column::Status.eq(SuggestionStatus::Open.as_str()))
        .filter(suggestions::Column::ParentId.is_null())
        .count(txn)
        .await?)
}

/// A decision to store.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub suggestion_id: Uuid,
    pub decision: crate::Decision,
    pub edit_id: Option<Uuid>,
    pub reason_code: Option<crate::ReasonCode>,
    pub reason: Option<String>,
    pub decided_by: Uuid,
    pub signature_id: String,
}

/// Store a decision and set the suggestion's status.
pub async fn decide(
    txn: &DatabaseTransaction,
    new: NewDecision,
    status: SuggestionStatus,
) -> Result<DecisionRow, StoreError> {
    let d = decisions::ActiveModel {
        id: Set(Uuid::new_v4()),
        suggestion_id: Set(new.suggestion_id),
        decision: Set(new.decision.as_str().into()),
        edit_id: Set(new.edit_id),
        reason_code: Set(new.reason_code.map(|r| r.as_str().into())),
        reason: Set(new.reason),
        decided_by: Set(new.decided_by),
        signature_id: Set(new.signature_id),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    suggestions::Entity::update_many()
        .col_expr(suggestions::Column::Status, Expr::value(status.as_str()))
        .filter(suggestions::Column::Id.eq(new.suggestion_id))
        .exec(txn)
        .await?;
    Ok(d)
}

/// Set a suggestion's status.
pub async fn set_status(
    txn: &DatabaseTransaction,
    id: Uuid,
    status: SuggestionStatus,
) -> Result<(), StoreError> {
    suggestions::Entity::update_many()
        .col_expr(suggestions::Column::Status, Expr::value(status.as_str()))
        .filter(suggestions::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Mark the other open suggestions of `s`'s sentence (same job and anchor) superseded by
/// `by`; their ids.
pub async fn supersede_siblings(
    txn: &DatabaseTransaction,
    s: &Suggestion,
    by: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<Uuid> = suggestions::Entity::find()
        .select_only()
        .column(suggestions::Column::Id)
        .filter(suggestions::Column::JobId.eq(s.job_id))
        .filter(suggestions::Column::Anchor.eq(s.anchor.as_str()))
        .filter(suggestions::Column::Id.ne(s.id))
        .filter(suggestions::Column::Id.ne(by))
        .filter(suggestions::Column::Status.is_in([
            SuggestionStatus::Open.as_str(),
            SuggestionStatus::Blocked.as_str(),
        ]))
        .into_tuple()
        .all(txn)
        .await?;
    if !ids.is_empty() {
        suggestions::Entity::update_many()
            .col_expr(
                suggestions::Column::Status,
                Expr::value(SuggestionStatus::Superseded.as_str()),
            )
            .filter(suggestions::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await?;
    }
    Ok(ids)
}

/// Suppress a finding (once).
pub async fn suppress(
    txn: &DatabaseTransaction,
    finding: Uuid,
    reason: String,
    by: Uuid,
    signature_id: String,
) -> Result<Suppression, StoreError> {
    Ok(finding_suppressions::ActiveModel {
        id: Set(Uuid::new_v4()),
        finding_id: Set(finding),
        reason: Set(reason),
        suppressed_by: Set(by),
        signature_id: Set(signature_id),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?)
}

/// The review state of a version (`draft` until something changed it).
pub async fn version_state(
    txn: &DatabaseTransaction,
    document_id: Uuid,
    version: i32,
) -> Result<DocState, StoreError> {
    match version_states::Entity::find_by_id((document_id, version))
        .one(txn)
        .await?
    {
        Some(r) => DocState::parse(&r.state),
        None => Ok(DocState::Draft),
    }
}

/// Move a version to `to` (the caller checked the transition), with its history row.
pub async fn set_version_state(
    txn: &DatabaseTransaction,
    document_id: Uuid,
    version: i32,
    to: DocState,
    by: Option<Uuid>,
    reason: Option<String>,
) -> Result<StateChange, StoreError> {
    let from = version_state(txn, document_id, version).await?;
    let now = Utc::now();
    let exists = version_states::Entity::find_by_id((document_id, version))
        .one(txn)
        .await?
        .is_some();
    if exists {
        version_states::Entity::update_many()
            .col_expr(version_states::Column::State, Expr::value(to.as_str()))
            .col_expr(version_states::Column::UpdatedAt, Expr::value(now))
            .filter(version_states::Column::DocumentId.eq(document_id))
            .filter(version_states::Column::Version.eq(version))
            .exec(txn)
            .await?;
    } else {
        version_states::ActiveModel {
            document_id: Set(document_id),
            version: Set(version),
            state: Set(to.as_str().into()),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    Ok(version_state_changes::ActiveModel {
        id: Set(Uuid::new_v4()),
        document_id: Set(document_id),
        version: Set(version),
        from_state: Set(from.as_str().into()),
        to_state: Set(to.as_str().into()),
        changed_by: Set(by),
        reason: Set(reason),
        created_at: Set(now),
    }
    .insert(txn)
    .await?)
}

/// A version's state changes, oldest first.
pub async fn state_history(
    txn: &DatabaseTransaction,
    document_id: Uuid,
    version: i32,
) -> Result<Vec<StateChange>, StoreError> {
    Ok(version_state_changes::Entity::find()
        .filter(version_state_changes::Column::DocumentId.eq(document_id))
        .filter(version_state_changes::Column::Version.eq(version))
        .order_by_asc(version_state_changes::Column::CreatedAt)
        .all(txn)
        .await?)
}

/// Whether any suggestion of `job` anchored at `anchor` was already stored (resume).
pub async fn stored_keys(txn: &DatabaseTransaction, job: Uuid) -> Result<Vec<String>, StoreError> {
    Ok(suggestions::Entity::find()
        .select_only()
        .column(suggestions::Column::Key)
        .filter(suggestions::Column::JobId.eq(job))
        .into_tuple()
        .all(txn)
        .await?)
}

/// Findings a job stored, counted (whether its findings stage ran).
pub async fn finding_count(txn: &DatabaseTransaction, job: Uuid) -> Result<u64, StoreError> {
    Ok(findings::Entity::find()
        .filter(findings::Column::JobId.eq(job))
        .count(txn)
        .await?)
}

/// The review state of the current version of each document (draft when none was
/// recorded), for the documents page.
pub async fn current_states(
    txn: &DatabaseTransaction,
    documents: &[crate::documents::Document],
) -> Result<Vec<DocState>, StoreError> {
    let ids: Vec<Uuid> = documents.iter().map(|d| d.id).collect();
    let mut known = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for r in version_states::Entity::find()
            .filter(version_states::Column::DocumentId.is_in(chunk.to_vec()))
            .all(txn)
            .await?
        {
            known.insert((r.document_id, r.version), r.state);
        }
    }
    documents
        .iter()
        .map(|d| match known.get(&(d.id, d.current_version)) {
            Some(s) => DocState::parse(s),
            None => Ok(DocState::Draft),
        })
        .collect()
}

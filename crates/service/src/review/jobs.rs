//! Analyses as jobs: request one (queued for a worker), read it, cancel it.

use super::{AnalysisOptions, Counts};
use crate::ServiceError;
use crate::authz::{Action, allowed, require};
use crate::models::ModelHub;
use audit::RequestContext;
use serde::Serialize;
use store::jobs::{Job, NewJob};
use store::{By, DocState, JobState, Principal, Store};
use uuid::Uuid;

/// An analysis job as its requester sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    pub id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: JobState,
    /// Claims so far (a lease that expired before the job finished counts).
    pub attempts: i32,
    pub progress: Progress,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: AnalysisOptions,
    /// Counts so far (candidates, findings, proposals by verdict, copies dropped, stored).
    pub summary: Option<Counts>,
    /// Milliseconds per stage (`read_ms`, `findings_ms`, `model_load_ms`, `proposals_ms`,
    /// `store_ms`, `total_ms`) once finished.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub timings: Option<serde_json::Value>,
    pub error: Option<String>,
    pub requested_by: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Candidate sentences done of the total (the total is known once the findings stage ran).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub done: i32,
    pub total: Option<i32>,
}

impl TryFrom<Job> for JobView {
    type Error = ServiceError;
    fn try_from(j: Job) -> Result<Self, ServiceError> {
        Ok(JobView {
            id: j.id,
            document_id: j.document_id,
            version: j.version,
            state: JobState::parse(&j.state)?,
            attempts: j.attempts,
            progress: Progress {
                done: j.progress_done,
                total: j.progress_total,
            },
            options: serde_json::from_str(&j.options).map_err(ServiceError::internal)?,
            summary: j
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            timings: j
                .timings
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            error: j.error,
            requested_by: j.requested_by,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        })
    }
}

/// Whether a version in `state` is locked (approved or rejected): no analysis, decision or
/// signature changes it any more; a new version starts at draft.
pub fn locked(state: DocState) -> bool {
    matches!(state, DocState::Approved | DocState::Rejected)
}

pub(crate) fn locked_conflict(state: DocState) -> ServiceError {
    ServiceError::Conflict {
        code: "version_locked",
        detail: format!(
            "this version is {state} and locked; upload a new version to change the document"
        ),
    }
}

/// Request an analysis of a document version (writers, QA, managers): queued for a worker,
/// recorded as `analysis.request`.
pub async fn request(
    store: &Store,
    hub: &ModelHub,
    who: &Principal,
    document: Uuid,
    options: AnalysisOptions,
    request: RequestContext,
) -> Result<JobView, ServiceError> {
    require(who, Action::Analyse)?;
    options.validate()?;
    let entry = hub
        .entry(options.model.as_deref(), ai_suggest::Role::Generator)
        .map_err(|_| {
            ServiceError::Invalid(format!(
                "unknown model {:?}: name a generator of the model manifest (GET /api/v1/models)",
                store::clip(options.model.as_deref().unwrap_or(""), 64)
            ))
        })?;
    if entry.role != ai_suggest::Role::Generator {
        return Err(ServiceError::Invalid(format!(
            "model {} is not a generator",
            entry.name
        )));
    }
    let model = entry.name.clone();
    let wanted = options.version;
    let (version, state) = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let Some((doc, current)) = store::documents::get(txn, document).await? else {
                    return Ok(None);
                };
                let version = wanted.unwrap_or(doc.current_version);
                if wanted.is_some()
                    && store::documents::get_version(txn, document, version)
                        .await?
                        .is_none()
                {
                    return Ok(None);
                }
                drop(current);
                let state = store::review::version_state(txn, document, version).await?;
                Ok(Some((version, state)))
            })
        })
        .await?
        .ok_or(ServiceError::NotFound("document version"))?;
    if locked(state) {
        return Err(locked_conflict(state));
    }
    let mut options = options;
    options.version = Some(version);
    options.model = Some(model);
    let new = NewJob {
        id: Uuid::new_v4(),
        document_id: document,
        version,
        requested_by: who.user_id,
        options: serde_json::to_string(&options).map_err(ServiceError::internal)?,
    };
    let value = serde_json::json!({
        "document_id": document, "version": version, "options": options,
    });
    let by = By::principal(who, request);
    store
        .enqueue_job(&who.tenant, new, &by, value)
        .await?
        .try_into()
}

/// One job of the caller's tenant.
pub async fn get(store: &Store, who: &Principal, id: Uuid) -> Result<JobView, ServiceError> {
    require(who, Action::Read)?;
    store
        .tenant_read(&who.tenant, move |txn| Box::pin(store::jobs::get(txn, id)))
        .await?
        .ok_or(ServiceError::NotFound("analysis job"))?
        .try_into()
}

/// The analyses of a document version, newest first.
pub async fn of_version(
    store: &Store,
    who: &Principal,
    document: Uuid,
    version: i32,
) -> Result<Vec<JobView>, ServiceError> {
    require(who, Action::Read)?;
    store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(store::jobs::of_version(txn, document, version))
        })
        .await?
        .into_iter()
        .map(JobView::try_from)
        .collect()
}

/// Cancel a queued or running analysis (its requester, QA or a manager):
/// `analysis.cancel`; a running job's worker stops at its next write.
pub async fn cancel(
    store: &Store,
    who: &Principal,
    id: Uuid,
    request: RequestContext,
) -> Result<JobView, ServiceError> {
    require(who, Action::Read)?;
    let job = get(store, who, id).await?;
    let own = job.requested_by == who.user_id && allowed(who, Action::Analyse);
    if !own {
        require(who, Action::CancelAnyJob)?;
    }
    if job.state.is_final() {
        return Err(ServiceError::Conflict {
            code: "job_finished",
            detail: format!("the job is already {}; nothing to cancel", job.state),
        });
    }
    let by = By::principal(who, request);
    match store.cancel_job(&who.tenant, id, &by).await? {
        Some(j) => j.try_into(),
        None => Err(ServiceError::Conflict {
            code: "job_finished",
            detail: "the job finished before it could be cancelled".into(),
        }),
    }
}

/// One change of a version's review state.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateChangeView {
    pub from: String,
    pub to: String,
    /// The user whose act changed it (none when an analysis finishing did).
    pub by: Option<Uuid>,
    pub reason: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A version's review state and how it got there.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewView {
    /// `draft`, `in_review`, `reviewed`, `approved` or `rejected`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: DocState,
    /// Approved or rejected: no analysis, decision or signature changes it any more.
    pub locked: bool,
    pub history: Vec<StateChangeView>,
}

/// The review state of a version, with its history.
pub async fn review_state(
    store: &Store,
    who: &Principal,
    document: Uuid,
    version: i32,
) -> Result<ReviewView, ServiceError> {
    require(who, Action::Read)?;
    let (state, history) = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let s = store::review::version_state(txn, document, version).await?;
                let h = store::review::state_history(txn, document, version).await?;
                Ok((s, h))
            })
        })
        .await?;
    Ok(ReviewView {
        state,
        locked: locked(state),
        history: history
            .into_iter()
            .map(|c| StateChangeView {
                from: c.from_state,
                to: c.to_state,
                by: c.changed_by,
                reason: c.reason,
                at: c.created_at,
            })
            .collect(),
    })
}

//! The analysis job queue, on sea-orm for both engines.
//!
//! A job is a row of the tenant's `analysis_jobs` (the record: options, state, progress,
//! results) and a row of the control plane's `job_queue` (what workers poll: state, run-at,
//! lease). A worker claims a job in one statement ([`Store::claim_job`]: on PostgreSQL
//! `FOR UPDATE SKIP LOCKED`, on SQLite one `UPDATE ... RETURNING` under the file's write
//! lock), which sets a lease token and expiry and counts the attempt; it then starts the job
//! in the tenant ([`Store::start_job`]), renews the lease while it runs
//! ([`Store::renew_lease`]), and every write of the job checks the token ([`fence`]: zero
//! rows means the lease was lost, and the worker stops). A job whose lease expired is
//! claimed again with its attempt count raised; past the allowed attempts it fails with the
//! reason. The tenant row is the truth: a queue row whose job ended or never committed is
//! closed when it is claimed.
//!
//! Lock order as everywhere: the tenant's audit head, then the control plane.

use crate::entities::{analysis_jobs, job_queue};
use crate::{By, JobState, Slug, Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use uuid::Uuid;

pub use analysis_jobs::Model as Job;

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// What a request for an analysis adds.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub requested_by: Uuid,
    /// The job's options as JSON.
    pub options: String,
}

/// A claimed job: whose, the lease token and which attempt this is.
#[derive(Debug, Clone)]
pub struct Claim {
    pub job_id: Uuid,
    pub tenant: Slug,
    pub token: String,
    pub attempts: i32,
}

/// What starting a claimed job found.
#[derive(Debug)]
pub enum Start {
    /// Run it.
    Run(Job),
    /// It ended (cancelled, done, failed) or never committed: the queue row is closed.
    Gone,
    /// It was claimed more often than allowed: it failed with the reason.
    Exhausted(Job),
}

/// How a job ended, as its worker reports it.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done {
        summary: serde_json::Value,
        timings: serde_json::Value,
    },
    Failed {
        error: String,
        timings: serde_json::Value,
    },
}

/// The job `id` of the tenant, if any.
pub async fn get(txn: &DatabaseTransaction, id: Uuid) -> Result<Option<Job>, StoreError> {
    Ok(analysis_jobs::Entity::find_by_id(id).one(txn).await?)
}

/// The jobs of a document version, newest first.
pub async fn of_version(
    txn: &DatabaseTransaction,
    document_id: Uuid,
    version: i32,
) -> Result<Vec<Job>, StoreError> {
    Ok(analysis_jobs::Entity::find()
        .filter(analysis_jobs::Column::DocumentId.eq(document_id))
        .filter(analysis_jobs::Column::Version.eq(version))
        .order_by_desc(analysis_jobs::Column::CreatedAt)
        .all(txn)
        .await?)
}

/// Check that `token` still holds job `id` (running), and record progress when given:
/// [`StoreError::LeaseLost`] when not (zero rows).
pub async fn fence(
    txn: &DatabaseTransaction,
    id: Uuid,
    token: &str,
    progress: Option<(i32, Option<i32>)>,
) -> Result<(), StoreError> {
    let mut q = analysis_jobs::Entity::update_many()
        .col_expr(analysis_jobs::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some((done, total)) = progress {
        q = q.col_expr(analysis_jobs::Column::ProgressDone, Expr::value(done));
        if let Some(t) = total {
            q = q.col_expr(analysis_jobs::Column::ProgressTotal, Expr::value(t));
        }
    }
    let r = q
        .filter(analysis_jobs::Column::Id.eq(id))
        .filter(analysis_jobs::Column::LeaseToken.eq(token))
        .filter(analysis_jobs::Column::State.eq(JobState::Running.as_str()))
        .exec(txn)
        .await?;
    if r.rows_affected == 0 {
        Err(StoreError::LeaseLost(id))
    } else {
        Ok(())
    }
}

/// Record a running job's counts so far (the caller fenced the job in this change).
pub async fn set_summary(
    txn: &DatabaseTransaction,
    id: Uuid,
    summary: &str,
) -> Result<(), StoreError> {
    analysis_jobs::Entity::update_many()
        .col_expr(analysis_jobs::Column::Summary, Expr::value(summary))
        .filter(analysis_jobs::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

fn job_value(j: &Job) -> serde_json::Value {
    serde_json::json!({
        "state": j.state,
        "document_id": j.document_id,
        "version": j.version,
        "attempts": j.attempts,
        "progress_done": j.progress_done,
        "progress_total": j.progress_total,
    })
}

/// Set the queue row of `job` (control transaction) to `state`, checking the token when
/// given; whether a row changed.
async fn set_queue_state(
    txn: &impl ConnectionTrait,
    job: Uuid,
    state: JobState,
    token: Option<&str>,
) -> Result<bool, StoreError> {
    let mut q = job_queue::Entity::update_many()
        .col_expr(job_queue::Column::State, Expr::value(state.as_str()))
        .col_expr(job_queue::Column::UpdatedAtMs, Expr::value(now_ms()))
        .filter(job_queue::Column::JobId.eq(job));
    if state.is_final() {
        q = q
            .col_expr(job_queue::Column::LeaseToken, Expr::value(None::<String>))
            .col_expr(job_queue::Column::LeaseExpiresMs, Expr::value(None::<i64>));
    }
    if let Some(t) = token {
        q = q.filter(job_queue::Column::LeaseToken.eq(t));
    }
    Ok(q.exec(txn).await?.rows_affected > 0)
}

impl Store {
    /// Queue an analysis: the tenant's job row and its `analysis.request` event, and the
    /// queue row, committed together (PostgreSQL: one transaction; SQLite: the control
    /// row first, then the tenant's; a queue row whose job never committed is closed when
    /// claimed).
    pub async fn enqueue_job(
        &self,
        tenant: &Slug,
        new: NewJob,
        by: &By,
        request_value: serde_json::Value,
    ) -> Result<Job, StoreError> {
        let change = self.begin_control_change(tenant).await?;
        let now = Utc::now();
        let job = analysis_jobs::ActiveModel {
            id: Set(new.id),
            document_id: Set(new.document_id),
            version: Set(new.version),
            requested_by: Set(new.requested_by),
            options: Set(new.options),
            state: Set(JobState::Queued.as_str().into()),
            attempts: Set(0),
            lease_token: Set(None),
            progress_done: Set(0),
            progress_total: Set(None),
            summary: Set(None),
            timings: Set(None),
            error: Set(None),
            created_at: Set(now),
            started_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(now),
        };
        let inserted = async {
            let job = job.insert(change.tenant_txn()).await?;
            job_queue::ActiveModel {
                job_id: Set(new.id),
                tenant_slug: Set(tenant.as_str().into()),
                state: Set(JobState::Queued.as_str().into()),
                run_at_ms: Set(now.timestamp_millis()),
                lease_token: Set(None),
                lease_expires_ms: Set(None),
                attempts: Set(0),
                updated_at_ms: Set(now.timestamp_millis()),
            }
            .insert(&change.txn)
            .await?;
            Ok::<_, StoreError>(job)
        }
        .await;
        let job = match inserted {
            Ok(j) => j,
            Err(e) => {
                change.rollback().await?;
                return Err(e);
            }
        };
        let mut e = by.draft("analysis.request", "analysis_job", Some(job.id.to_string()));
        e.new_value = Some(request_value);
        self.commit_with_event(change, e).await?;
        Ok(job)
    }

    /// Claim the next job of any tenant that is queued and due, or running with an expired
    /// lease: one statement sets a new lease token, its expiry and counts the attempt.
    pub async fn claim_job(&self, lease_ms: i64) -> Result<Option<Claim>, StoreError> {
        let token = Uuid::new_v4().to_string();
        let now = now_ms();
        let expires = now.saturating_add(lease_ms.max(1));
        let db = self.control();
        let stmt = if self.is_postgres() {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE job_queue SET state = 'running', lease_token = $1, lease_expires_ms = $2,
                   attempts = attempts + 1, updated_at_ms = $3
                 WHERE job_id = (
                   SELECT job_id FROM job_queue
                   WHERE (state = 'queued' AND run_at_ms <= $3)
                      OR (state = 'running' AND lease_expires_ms < $3)
                   ORDER BY run_at_ms, job_id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING job_id, tenant_slug, attempts",
                [token.clone().into(), expires.into(), now.into()],
            )
        } else {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "UPDATE job_queue SET state = 'running', lease_token = ?, lease_expires_ms = ?,
                   attempts = attempts + 1, updated_at_ms = ?
                 WHERE job_id = (
                   SELECT job_id FROM job_queue
                   WHERE (state = 'queued' AND run_at_ms <= ?)
                      OR (state = 'running' AND lease_expires_ms < ?)
                   ORDER BY run_at_ms, job_id LIMIT 1)
                 RETURNING job_id, tenant_slug, attempts",
                [
                    token.clone().into(),
                    expires.into(),
                    now.into(),
                    now.into(),
                    now.into(),
                ],
            )
        };
        let Some(row) = db.query_one(stmt).await? else {
            return Ok(None);
        };
        let job_id: Uuid = row.try_get("", "job_id")?;
        let slug: String = row.try_get("", "tenant_slug")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        let tenant = match Slug::parse(&slug) {
            Ok(t) => t,
            Err(_) => {
                set_queue_state(db, job_id, JobState::Failed, Some(&token)).await?;
                return Ok(None);
            }
        };
        Ok(Some(Claim {
            job_id,
            tenant,
            token,
            attempts,
        }))
    }

    /// Extend the lease of a claimed job; `false` when the token no longer holds it.
    pub async fn renew_lease(&self, claim: &Claim, lease_ms: i64) -> Result<bool, StoreError> {
        let r = job_queue::Entity::update_many()
            .col_expr(
                job_queue::Column::LeaseExpiresMs,
                Expr::value(now_ms().saturating_add(lease_ms.max(1))),
            )
            .col_expr(job_queue::Column::UpdatedAtMs, Expr::value(now_ms()))
            .filter(job_queue::Column::JobId.eq(claim.job_id))
            .filter(job_queue::Column::LeaseToken.eq(claim.token.as_str()))
            .filter(job_queue::Column::State.eq(JobState::Running.as_str()))
            .exec(self.control())
            .await?;
        Ok(r.rows_affected > 0)
    }

    /// Start a claimed job in its tenant: `analysis.start` (the attempt; `reclaimed` when
    /// an earlier lease expired), or `analysis.fail` past `max_attempts`, or close the queue
    /// row of a job that ended or never committed.
    pub async fn start_job(
        &self,
        claim: &Claim,
        max_attempts: i32,
        by: &By,
    ) -> Result<Start, StoreError> {
        let id = claim.job_id;
        let found = self
            .tenant_read(&claim.tenant, move |txn| Box::pin(get(txn, id)))
            .await?;
        let state = found.as_ref().map(|j| JobState::parse(&j.state));
        match state {
            None => {
                set_queue_state(self.control(), id, JobState::Failed, Some(&claim.token)).await?;
                return Ok(Start::Gone);
            }
            Some(Ok(s)) if s.is_final() => {
                set_queue_state(self.control(), id, s, Some(&claim.token)).await?;
                return Ok(Start::Gone);
            }
            Some(Err(e)) => return Err(e),
            Some(Ok(_)) => {}
        }
        let change = self.begin_control_change(&claim.tenant).await?;
        let step = async {
            let job = get(change.tenant_txn(), id)
                .await?
                .ok_or(StoreError::NotFound("analysis job"))?;
            if JobState::parse(&job.state)?.is_final()
                || !set_queue_state(&change.txn, id, JobState::Running, Some(&claim.token)).await?
            {
                return Err(StoreError::LeaseLost(id));
            }
            let old = job_value(&job);
            let now = Utc::now();
            let exhausted = claim.attempts > max_attempts;
            let mut am: analysis_jobs::ActiveModel = job.clone().into();
            am.attempts = Set(claim.attempts);
            am.updated_at = Set(now);
            let draft = if exhausted {
                let error = format!(
                    "stopped after {} attempts: each time the worker's lease expired before the job finished (worker stopped or crashed); request the analysis again",
                    claim.attempts - 1
                );
                am.state = Set(JobState::Failed.as_str().into());
                am.lease_token = Set(None);
                am.error = Set(Some(error.clone()));
                am.finished_at = Set(Some(now));
                set_queue_state(&change.txn, id, JobState::Failed, Some(&claim.token)).await?;
                let mut e = by.draft("analysis.fail", "analysis_job", Some(id.to_string()));
                e.reason = Some(error);
                e
            } else {
                am.state = Set(JobState::Running.as_str().into());
                am.lease_token = Set(Some(claim.token.clone()));
                if job.started_at.is_none() {
                    am.started_at = Set(Some(now));
                }
                let mut e = by.draft("analysis.start", "analysis_job", Some(id.to_string()));
                e.new_value = Some(serde_json::json!({
                    "attempt": claim.attempts,
                    "reclaimed": claim.attempts > 1,
                    "resume_from": job.progress_done,
                }));
                e
            };
            let job = am.update(change.tenant_txn()).await?;
            let mut draft = draft;
            draft.old_value = Some(old);
            Ok::<_, StoreError>((job, draft, exhausted))
        }
        .await;
        match step {
            Ok((job, draft, exhausted)) => {
                self.commit_with_event(change, draft).await?;
                Ok(if exhausted {
                    Start::Exhausted(job)
                } else {
                    Start::Run(job)
                })
            }
            Err(e) => {
                change.rollback().await?;
                Err(e)
            }
        }
    }

    /// End a running job held by `claim`: done with its summary, or failed with the error
    /// (`analysis.complete` / `analysis.fail`), the queue row closed with it.
    pub async fn finish_job(
        &self,
        claim: &Claim,
        outcome: Outcome,
        by: &By,
    ) -> Result<Job, StoreError> {
        let id = claim.job_id;
        let change = self.begin_control_change(&claim.tenant).await?;
        let step = async {
            fence(change.tenant_txn(), id, &claim.token, None).await?;
            let job = get(change.tenant_txn(), id)
                .await?
                .ok_or(StoreError::NotFound("analysis job"))?;
            let old = job_value(&job);
            let now = Utc::now();
            let mut am: analysis_jobs::ActiveModel = job.into();
            am.lease_token = Set(None);
            am.finished_at = Set(Some(now));
            am.updated_at = Set(now);
            let (state, mut draft) = match outcome {
                Outcome::Done { summary, timings } => {
                    am.summary = Set(Some(summary.to_string()));
                    am.timings = Set(Some(timings.to_string()));
                    let mut e = by.draft("analysis.complete", "analysis_job", Some(id.to_string()));
                    e.new_value = Some(serde_json::json!({"summary": summary, "timings": timings}));
                    (JobState::Done, e)
                }
                Outcome::Failed { error, timings } => {
                    am.error = Set(Some(error.clone()));
                    am.timings = Set(Some(timings.to_string()));
                    let mut e = by.draft("analysis.fail", "analysis_job", Some(id.to_string()));
                    e.reason = Some(error);
                    (JobState::Failed, e)
                }
            };
            am.state = Set(state.as_str().into());
            let job = am.update(change.tenant_txn()).await?;
            if !set_queue_state(&change.txn, id, state, Some(&claim.token)).await? {
                return Err(StoreError::LeaseLost(id));
            }
            draft.old_value = Some(old);
            Ok::<_, StoreError>((job, draft))
        }
        .await;
        match step {
            Ok((job, draft)) => {
                self.commit_with_event(change, draft).await?;
                Ok(job)
            }
            Err(e) => {
                change.rollback().await?;
                Err(e)
            }
        }
    }

    /// Cancel a queued or running job (`analysis.cancel`); a running job's worker finds its
    /// lease gone at its next write and stops. `Ok(None)` when the job had already ended.
    pub async fn cancel_job(
        &self,
        tenant: &Slug,
        id: Uuid,
        by: &By,
    ) -> Result<Option<Job>, StoreError> {
        let change = self.begin_control_change(tenant).await?;
        let step = async {
            let job = get(change.tenant_txn(), id)
                .await?
                .ok_or(StoreError::NotFound("analysis job"))?;
            if JobState::parse(&job.state)?.is_final() {
                return Ok(None);
            }
            let old = job_value(&job);
            let now = Utc::now();
            let mut am: analysis_jobs::ActiveModel = job.into();
            am.state = Set(JobState::Cancelled.as_str().into());
            am.lease_token = Set(None);
            am.finished_at = Set(Some(now));
            am.updated_at = Set(now);
            let job = am.update(change.tenant_txn()).await?;
            set_queue_state(&change.txn, id, JobState::Cancelled, None).await?;
            let mut e = by.draft("analysis.cancel", "analysis_job", Some(id.to_string()));
            e.old_value = Some(old);
            e.new_value = Some(job_value(&job));
            Ok::<_, StoreError>(Some((job, e)))
        }
        .await;
        match step {
            Ok(Some((job, draft))) => {
                self.commit_with_event(change, draft).await?;
                Ok(Some(job))
            }
            Ok(None) => {
                change.rollback().await?;
                Ok(None)
            }
            Err(e) => {
                change.rollback().await?;
                Err(e)
            }
        }
    }

    /// Jobs in the queue by state (operations: `/metrics`, tests).
    pub async fn queue_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = job_queue::Entity::find()
            .select_only()
            .column(job_queue::Column::State)
            .column_as(job_queue::Column::JobId.count(), "n")
            .group_by(job_queue::Column::State)
            .into_tuple()
            .all(self.control())
            .await?;
        Ok(rows)
    }
}

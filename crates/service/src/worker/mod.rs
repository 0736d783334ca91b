//! Analysis workers: threads that claim jobs of every tenant from the queue
//! ([`store::jobs`]), run the pipeline on each ([`pipeline`]) and store what it found.
//!
//! A worker loads its generator once and keeps it across jobs. While a job runs, a task on
//! the async runtime renews its lease every third of the lease; when the lease is lost
//! (the job was cancelled, or the worker stalled and another one reclaimed it) every write
//! of the job is refused ([`store::jobs::fence`]) and the worker drops the job. `serve` runs
//! a pool of them in-process (`[workers] count`, may be 0); `dualcheck worker` runs them
//! on their own, against the same database: many of them on one PostgreSQL is the way to
//! scale out.

mod pipeline;

use crate::ServiceError;
use crate::models::ModelHub;
use audit::{Actor, RequestContext};
use rule_engine::RuleSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use store::jobs::{Claim, Outcome, Start};
use store::{By, Store, StoreError};

/// How workers run (`[workers]`).
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Lease of a claimed job, renewed every third of it while the job runs.
    pub lease_ms: u64,
    /// Claims of one job before it fails (a lease that expires counts as one).
    pub max_attempts: u32,
    /// Wait between two looks at an empty queue.
    pub poll_ms: u64,
    /// Candidate sentences per model batch (and per stored change).
    pub batch: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            lease_ms: 60_000,
            max_attempts: 3,
            poll_ms: 1_000,
            batch: 8,
        }
    }
}

/// What every worker of a process shares.
#[derive(Debug, Clone)]
pub struct WorkerContext {
    pub store: Store,
    pub rules: Arc<RuleSet>,
    pub hub: Arc<ModelHub>,
    pub config: WorkerConfig,
    /// Names this process's workers in the trail (`host:pid`).
    pub name: String,
}

/// Running worker threads; [`Pool::stop`] ends them after their current batch.
#[derive(Debug)]
pub struct Pool {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Start `count` workers; `runtime` runs their database calls and lease renewals.
    pub fn start(ctx: WorkerContext, count: usize, runtime: tokio::runtime::Handle) -> Pool {
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Arc::new(ctx);
        let threads = (0..count)
            .filter_map(|i| {
                let (ctx, stop, rt) = (ctx.clone(), stop.clone(), runtime.clone());
                std::thread::Builder::new()
                    .name(format!("dualcheck-worker-{i}"))
                    .spawn(move || worker_loop(&ctx, i, &rt, &stop))
                    .map_err(|e| tracing::error!(error = %e, "cannot start a worker thread"))
                    .ok()
            })
            .collect();
        Pool { stop, threads }
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Ask the workers to stop and wait for them (blocking: call off the async workers).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in std::mem::take(&mut self.threads) {
            let _ = t.join();
        }
    }
}

impl Drop for Pool {
    /// The workers stop after their current batch (not waited for).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The actor of a worker's events.
pub fn worker_by(name: &str, index: usize) -> By {
    By {
        actor: Actor {
            user_id: None,
            username: Some("worker".into()),
            printed_name: Some(format!("dualcheck worker {name}/{index}")),
        },
        request: RequestContext::default(),
    }
}

fn sleep_unless_stopped(ms: u64, stop: &AtomicBool) {
    let mut left = ms;
    while left > 0 && !stop.load(Ordering::SeqCst) {
        let step = left.min(100);
        std::thread::sleep(Duration::from_millis(step));
        left -= step;
    }
}

fn worker_loop(ctx: &WorkerContext, index: usize, rt: &tokio::runtime::Handle, stop: &AtomicBool) {
    let by = worker_by(&ctx.name, index);
    let mut models = pipeline::Models::new(&ctx.rules);
    tracing::info!(worker = index, "analysis worker started");
    while !stop.load(Ordering::SeqCst) {
        let lease = i64::try_from(ctx.config.lease_ms).unwrap_or(i64::MAX);
        match rt.block_on(ctx.store.claim_job(lease)) {
            Ok(Some(claim)) => {
                if let Err(e) = run_claim(ctx, &mut models, &claim, &by, rt) {
                    tracing::warn!(job = %claim.job_id, error = %e, "analysis job stopped");
                }
            }
            Ok(None) => sleep_unless_stopped(ctx.config.poll_ms, stop),
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim a job; retrying");
                sleep_unless_stopped(ctx.config.poll_ms.max(1000), stop);
            }
        }
    }
    tracing::info!(worker = index, "analysis worker stopped");
}

/// Renews a claim's lease until dropped; sets `lost` when the lease is gone.
struct Renewal {
    task: tokio::task::JoinHandle<()>,
}

impl Renewal {
    fn start(
        store: Store,
        claim: Claim,
        lease_ms: u64,
        lost: Arc<AtomicBool>,
        rt: &tokio::runtime::Handle,
    ) -> Self {
        let task = rt.spawn(async move {
            let every = Duration::from_millis((lease_ms / 3).max(50));
            let lease = i64::try_from(lease_ms).unwrap_or(i64::MAX);
            loop {
                tokio::time::sleep(every).await;
                match store.renew_lease(&claim, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    Err(e) => tracing::warn!(job = %claim.job_id, error = %e, "lease renewal failed; retrying"),
                }
            }
        });
        Renewal { task }
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn run_claim(
    ctx: &WorkerContext,
    models: &mut pipeline::Models<'_>,
    claim: &Claim,
    by: &By,
    rt: &tokio::runtime::Handle,
) -> Result<(), ServiceError> {
    let max = i32::try_from(ctx.config.max_attempts).unwrap_or(i32::MAX);
    let job = match rt.block_on(ctx.store.start_job(claim, max, by))? {
        Start::Run(job) => job,
        Start::Gone | Start::Exhausted(_) => return Ok(()),
    };
    let lost = Arc::new(AtomicBool::new(false));
    let _renewal = Renewal::start(
        ctx.store.clone(),
        claim.clone(),
        ctx.config.lease_ms,
        lost.clone(),
        rt,
    );
    let run = pipeline::Run {
        ctx,
        claim,
        by,
        rt,
        lost: &lost,
    };
    let started = std::time::Instant::now();
    let outcome = match run.job(models, &job) {
        Ok(done) => done,
        Err(ServiceError::Store(StoreError::LeaseLost(id))) => {
            tracing::info!(job = %id, "lease lost (cancelled or reclaimed); job dropped");
            return Ok(());
        }
        Err(e) => Outcome::Failed {
            error: e.to_string(),
            timings: serde_json::json!({"total_ms": started.elapsed().as_millis() as u64}),
        },
    };
    let done = matches!(outcome, Outcome::Done { .. });
    match rt.block_on(ctx.store.finish_job(claim, outcome, by)) {
        Ok(job) if done => rt.block_on(crate::review::after_analysis(
            &ctx.store,
            &claim.tenant,
            &job,
            by,
        )),
        Ok(_) => Ok(()),
        Err(StoreError::LeaseLost(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

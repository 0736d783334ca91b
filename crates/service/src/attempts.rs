//! What stands before every password check (login, signature, password change), beside the
//! lockout: rate limits per client address and per tenant (GCRA, [`governor`]), answered
//! [`ServiceError::RateLimited`] (429 with `Retry-After`) before any Argon2 work is spent;
//! and the digest that keeps unauthenticated failures from flooding a tenant's trail.
//!
//! The digest: the first failed login from one client address against one tenant is
//! recorded at once (`auth.login_failed`, as before); further failures from that address in
//! the next `collapse` interval are counted, not recorded one by one, and when the interval
//! is over one `auth.login_failed` event with `"collapsed"` (the count, the first and last
//! time, up to [`MAX_NAMES`] of the usernames tried) records them all ([`flush`], called on
//! a timer by `serve` and before each failure). Every attempt, collapsed or not, still has
//! its row in the attempt log, which counts it toward the lockout. A crash loses at most the
//! counts of the current interval from the trail, not from the attempt log.

use crate::ServiceError;
use audit::{Actor, EventDraft, RequestContext};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::{Store, clip};

/// Usernames listed in a collapsed event.
pub const MAX_NAMES: usize = 10;
/// Rate-limit keys are pruned of idle entries every this many checks.
const PRUNE_EVERY: u64 = 1024;

/// The installation's limits (`[limits]` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Password attempts per minute from one client address (burst: the same number).
    pub per_address_per_minute: u32,
    /// Password attempts per minute against one tenant, from all addresses.
    pub per_tenant_per_minute: u32,
    /// Failed logins from one address within this interval become one event.
    pub collapse: Duration,
}

/// A burst of failed logins from one address against one tenant.
#[derive(Debug)]
struct Burst {
    started: Instant,
    /// Failures after the first (which was recorded at once).
    collapsed: u64,
    first_at: Option<chrono::DateTime<chrono::Utc>>,
    last_at: Option<chrono::DateTime<chrono::Utc>>,
    usernames: BTreeSet<String>,
    more_usernames: u64,
    request: RequestContext,
}

/// Whether a failed login is recorded now or collapsed into its burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureRecord {
    Now,
    Collapsed,
}

/// The rate limiters and the failure digest of one running service.
pub struct Attempts {
    limits: AttemptLimits,
    by_address: DefaultKeyedRateLimiter<String>,
    by_tenant: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
    bursts: Mutex<HashMap<(String, String), Burst>>,
}

impl std::fmt::Debug for Attempts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempts")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Attempts {
    pub fn new(limits: AttemptLimits) -> Self {
        Self {
            limits,
            by_address: DefaultKeyedRateLimiter::keyed(per_minute(limits.per_address_per_minute)),
            by_tenant: DefaultKeyedRateLimiter::keyed(per_minute(limits.per_tenant_per_minute)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
            bursts: Mutex::new(HashMap::new()),
        }
    }

    /// Take one password attempt from the client's address and the tenant's allowance, or
    /// refuse with the time until the next one is allowed.
    pub fn check(&self, tenant: &str, request: &RequestContext) -> Result<(), ServiceError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.by_address.retain_recent();
            self.by_tenant.retain_recent();
        }
        let address = request.client_ip.as_deref().unwrap_or("unknown").to_owned();
        let tenant = clip(tenant, 64).to_ascii_lowercase();
        for (limiter, key, whose) in [
            (&self.by_address, address, "from your address"),
            (&self.by_tenant, tenant, "for this tenant"),
        ] {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(self.clock.now());
                return Err(ServiceError::RateLimited {
                    reason: format!("too many password attempts {whose}; wait and try again"),
                    retry_after_secs: wait.as_secs() + 1,
                });
            }
        }
        Ok(())
    }

    /// A failed login: recorded now when it opens a burst of its address and tenant, else
    /// counted into the burst.
    pub fn failure(&self, tenant: &str, username: &str, request: &RequestContext) -> FailureRecord {
        let key = (
            clip(tenant, 64),
            request
                .client_ip
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        );
        let Ok(mut bursts) = self.bursts.lock() else {
            return FailureRecord::Now;
        };
        let now = Instant::now();
        match bursts.get_mut(&key) {
            Some(b) if now.duration_since(b.started) < self.limits.collapse => {
                let at = chrono::Utc::now();
                b.collapsed += 1;
                b.first_at.get_or_insert(at);
                b.last_at = Some(at);
                let name = clip(username, 128);
                if b.usernames.len() < MAX_NAMES || b.usernames.contains(&name) {
                    b.usernames.insert(name);
                } else {
                    b.more_usernames += 1;
                }
                FailureRecord::Collapsed
            }
            _ => {
                // An ended burst still unflushed is flushed by the caller first (`flush`).
                bursts.insert(
                    key,
                    Burst {
                        started: now,
                        collapsed: 0,
                        first_at: None,
                        last_at: None,
                        usernames: BTreeSet::new(),
                        more_usernames: 0,
                        request: request.clone(),
                    },
                );
                FailureRecord::Now
            }
        }
    }

    /// Take the bursts whose interval is over (all of them when `all`): the summary events
    /// of those that collapsed failures, with their tenants.
    fn take_ended(&self, all: bool) -> Vec<(String, EventDraft)> {
        let Ok(mut bursts) = self.bursts.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let ended: Vec<(String, String)> = bursts
            .iter()
            .filter(|(_, b)| all || now.duration_since(b.started) >= self.limits.collapse)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::new();
        for key in ended {
            let Some(b) = bursts.remove(&key) else {
                continue;
            };
            if b.collapsed == 0 {
                continue;
            }
            let mut d = EventDraft::new(
                Actor {
                    user_id: None,
                    username: None,
                    printed_name: None,
                },
                "auth.login_failed",
                "user",
                None,
            );
            d.new_value = Some(serde_json::json!({
                "collapsed": {
                    "failures": b.collapsed,
                    "first_at": b.first_at.map(audit::format_time),
                    "last_at": b.last_at.map(audit::format_time),
                    "usernames": b.usernames,
                    "more_usernames": b.more_usernames,
                    "interval_secs": self.limits.collapse.as_secs(),
                }
            }));
            d.request = b.request;
            out.push((key.0, d));
        }
        out
    }
}

/// Record the summary events of the bursts that ended (all bursts when `all`, at shutdown).
/// A tenant that no longer exists is skipped; a failure to record is logged and the rest go
/// on.
pub async fn flush(store: &Store, attempts: &Attempts, all: bool) {
    for (tenant, d) in attempts.take_ended(all) {
        if let Err(e) = store.record_if_tenant(&tenant, d).await {
            tracing::error!(error = %e, "could not record a collapsed burst of failed logins");
        }
    }
}

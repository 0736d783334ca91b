//! The audit trail in each tenant's database: appending events inside the caller's
//! transaction, signed checkpoints, queries, verification and export.
//!
//! Appending locks the tenant's `audit_head` row first (an UPDATE), so concurrent writers
//! queue on it: sequence numbers are gapless and the chain never forks. The event is written
//! by the same transaction as the change it records, so both commit or neither does.

use crate::entities::{audit_checkpoints, audit_events, audit_head};
use crate::{Slug, Store, StoreError};
use audit::{Actor, AiProvenance, Checkpoint, Event, EventDraft, RequestContext, SigningKey};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, IntoIden, IntoTableRef, TableRef};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, StatementBuilder,
};
use std::sync::Arc;

/// Who does something and from which request: what every recorded mutation needs.
#[derive(Debug, Clone)]
pub struct By {
    pub actor: Actor,
    pub request: RequestContext,
}

impl By {
    /// The system itself (start-up, CLI administration run by the operator).
    pub fn system() -> Self {
        Self {
            actor: Actor::system(),
            request: RequestContext::default(),
        }
    }

    /// An operator at the command line: the OS user, recorded as such.
    pub fn cli(os_user: &str) -> Self {
        Self::cli_as(os_user, None)
    }

    /// An operator at the command line, the OS user and the name they gave (`--actor`):
    /// an OS account shared by several people still names the person.
    pub fn cli_as(os_user: &str, actor: Option<&str>) -> Self {
        let printed = match actor {
            Some(a) => format!("{a} ({os_user}, command line)"),
            None => format!("{os_user} (command line)"),
        };
        Self {
            actor: Actor {
                user_id: None,
                username: Some(crate::clip(&format!("cli:{os_user}"), 128)),
                printed_name: Some(crate::clip(&printed, 200)),
            },
            request: RequestContext::default(),
        }
    }

    /// An authenticated user of the API.
    pub fn principal(p: &crate::Principal, request: RequestContext) -> Self {
        Self {
            actor: Actor::user(
                p.user_id.to_string(),
                p.username.clone(),
                p.display_name.clone(),
            ),
            request,
        }
    }

    /// A draft event by this actor from this request.
    pub fn draft(&self, action: &str, entity_type: &str, entity_id: Option<String>) -> EventDraft {
        let mut d = EventDraft::new(self.actor.clone(), action, entity_type, entity_id);
        d.request = self.request.clone();
        d
    }
}

/// Events per page when the trail is read whole (verification, export).
pub const AUDIT_PAGE: u64 = 1000;

/// A tenant's trail read page by page ([`Store::audit_pages`]): memory holds one page.
#[derive(Debug)]
pub struct EventPages<'s> {
    store: &'s Store,
    tenant: Slug,
    after: i64,
    done: bool,
}

impl EventPages<'_> {
    /// The next page (ascending sequence), or `None` after the last one.
    pub async fn next(&mut self) -> Result<Option<Vec<Event>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .store
            .audit_events_after(&self.tenant, self.after, AUDIT_PAGE)
            .await?;
        self.done = (page.len() as u64) < AUDIT_PAGE;
        match page.last() {
            Some(e) => {
                self.after = e.seq;
                Ok(Some(page))
            }
            None => Ok(None),
        }
    }
}

/// How the installation signs checkpoints.
#[derive(Debug, Clone)]
pub struct AuditSigner {
    pub key: Arc<SigningKey>,
    /// A checkpoint every this many events (0: only on schedule).
    pub every_events: u64,
}

/// Filters of [`Store::audit_query`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Username of the actor.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// RFC 3339; inclusive.
    pub from: Option<String>,
    /// RFC 3339; exclusive.
    pub to: Option<String>,
    /// Only events after this sequence number (keyset pagination).
    pub after_seq: Option<i64>,
    pub limit: u64,
}

fn json_text(v: &Option<serde_json::Value>) -> Result<Option<String>, StoreError> {
    v.as_ref()
        .map(|v| serde_json::to_string(v).map_err(|e| StoreError::Internal(e.to_string())))
        .transpose()
}

/// Stored text back to JSON. Text that is not JSON (someone wrote it by hand) becomes a JSON
/// string, so the event still loads and verification reports it as modified.
fn json_value(s: Option<String>) -> Option<serde_json::Value> {
    s.map(|s| serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
}

/// What a database row says, as an [`Event`]; never fails (see [`json_value`]).
pub fn event_from_row(r: audit_events::Model) -> Event {
    let ai = r.ai.map(|s| {
        serde_json::from_str::<AiProvenance>(&s).unwrap_or_else(|_| AiProvenance {
            model: s,
            weights_sha256: String::new(),
            template_id: String::new(),
            template_sha256: String::new(),
            decoding: serde_json::Value::Null,
            input_sha256: String::new(),
        })
    });
    Event {
        seq: r.seq,
        time: r.time,
        actor: Actor {
            user_id: r.actor_user_id,
            username: r.actor_username,
            printed_name: r.actor_printed_name,
        },
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id,
        old_value: json_value(r.old_value),
        new_value: json_value(r.new_value),
        reason: r.reason,
        ai,
        request: RequestContext {
            request_id: r.request_id,
            client_ip: r.client_ip,
            user_agent: r.user_agent,
        },
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

/// The events with sequence numbers `seqs` (those that exist), by sequence number.
pub async fn events_at<C: ConnectionTrait>(
    c: &C,
    seqs: &[i64],
) -> Result<std::collections::HashMap<i64, Event>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in seqs.chunks(500) {
        for r in audit_events::Entity::find()
            .filter(audit_events::Column::Seq.is_in(chunk.iter().copied()))
            .all(c)
            .await?
        {
            out.insert(r.seq, event_from_row(r));
        }
    }
    Ok(out)
}

fn checkpoint_from_row(r: audit_checkpoints::Model) -> Checkpoint {
    Checkpoint {
        tenant: r.tenant,
        seq: r.seq,
        head_hash: r.head_hash,
        time: r.time,
        public_key: r.public_key,
        signature: r.signature,
    }
}

/// Text as PostgreSQL accepts it (no NUL) and bounded.
fn clean(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| crate::clip(&s, max))
}

/// Lock the tenant's chain head for this transaction. Call it first in a write transaction
/// that reads before it writes (SQLite then takes its write lock up front, instead of
/// failing to upgrade a read snapshot when another writer committed meanwhile).
pub(crate) async fn lock_head(txn: &DatabaseTransaction) -> Result<audit_head::Model, StoreError> {
    let res = audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).into(),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Internal(
            "the tenant's audit head row is missing; run `dualcheck migrate`".into(),
        ));
    }
    audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::Internal("the tenant's audit head row is missing".into()))
}

impl Store {
    /// Install the checkpoint signer (at start-up).
    pub fn set_audit_signer(&self, signer: AuditSigner) {
        if let Ok(mut s) = self.audit_signer_slot().write() {
            *s = Some(signer);
        }
    }

    fn audit_signer(&self) -> Option<AuditSigner> {
        self.audit_signer_slot().read().ok().and_then(|s| s.clone())
    }

    /// Append an event to the tenant's chain inside `txn` (the transaction of the change it
    /// records). Signs a checkpoint when `every_events` have passed since the last one.
    /// Outside the store, events are recorded through [`crate::UnitOfWork::record`].
    pub(crate) async fn record(
        &self,
        txn: &DatabaseTransaction,
        tenant: &Slug,
        mut draft: EventDraft,
    ) -> Result<Event, StoreError> {
        draft.request.user_agent = clean(draft.request.user_agent.take(), 512);
        draft.request.client_ip = clean(draft.request.client_ip.take(), 64);
        draft.request.request_id = clean(draft.request.request_id.take(), 128);
        draft.reason = clean(draft.reason.take(), 4000);
        draft.entity_id = clean(draft.entity_id.take(), 256);
        draft.actor.username = clean(draft.actor.username.take(), 128);
        draft.actor.printed_name = clean(draft.actor.printed_name.take(), 256);
        let head = lock_head(txn).await?;
        let e = draft.seal(head.seq + 1, Utc::now(), &head.hash);
        audit_events::ActiveModel {
            seq: Set(e.seq),
            time: Set(e.time.clone()),
            actor_user_id: Set(e.actor.user_id.clone()),
            actor_username: Set(e.actor.username.clone()),
            actor_printed_name: Set(e.actor.printed_name.clone()),
            action: Set(e.action.clone()),
            entity_type: Set(e.entity_type.clone()),
            entity_id: Set(e.entity_id.clone()),
            old_value: Set(json_text(&e.old_value)?),
            new_value: Set(json_text(&e.new_value)?),
            reason: Set(e.reason.clone()),
            ai: Set(e
                .ai
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|x| StoreError::Internal(x.to_string()))?),
            request_id: Set(e.request.request_id.clone()),
            client_ip: Set(e.request.client_ip.clone()),
            user_agent: Set(e.request.user_agent.clone()),
            prev_hash: Set(e.prev_hash.clone()),
            hash: Set(e.hash.clone()),
        }
        .insert(txn)
        .await?;
        let mut am: audit_head::ActiveModel = head.clone().into();
        am.seq = Set(e.seq);
        am.hash = Set(e.hash.clone());
        if let Some(s) = self.audit_signer()
            && s.every_events > 0
            && (e.seq - head.checkpoint_seq) as u64 >= s.every_events
        {
            let cp = Checkpoint::sign(&s.key, tenant.as_str(), e.seq, &e.hash, &e.time);
            insert_checkpoint(txn, &cp).await?;
            am.checkpoint_seq = Set(e.seq);
            am.checkpoint_time = Set(Some(e.time.clone()));
        }
        am.update(txn).await?;
        Ok(e)
    }

    /// Append an event in a transaction of its own (actions with no other tenant change:
    /// logins, downloads, exports, start-up).
    pub async fn record_now(&self, tenant: &Slug, draft: EventDraft) -> Result<Event, StoreError> {
        self.tenant_write(tenant, move |uow| {
            Box::pin(async move { uow.record(draft).await })
        })
        .await
    }

    /// Sign a checkpoint of the tenant's head now, if there are events since the last one
    /// (the timed schedule). Returns the checkpoint written, if any.
    pub async fn checkpoint(&self, tenant: &Slug) -> Result<Option<Checkpoint>, StoreError> {
        let Some(signer) = self.audit_signer() else {
            return Ok(None);
        };
        let slug = tenant.clone();
        self.tenant_tx(tenant, move |txn| {
            Box::pin(async move {
                let head = lock_head(txn).await?;
                if head.seq == 0 || head.seq == head.checkpoint_seq {
                    return Ok(None);
                }
                let time = audit::format_time(Utc::now());
                let cp = Checkpoint::sign(&signer.key, slug.as_str(), head.seq, &head.hash, &time);
                insert_checkpoint(txn, &cp).await?;
                let mut am: audit_head::ActiveModel = head.into();
                am.checkpoint_seq = Set(cp.seq);
                am.checkpoint_time = Set(Some(time));
                am.update(txn).await?;
                Ok(Some(cp))
            })
        })
        .await
    }

    /// A page of events matching `f`, in sequence order.
    pub async fn audit_query(
        &self,
        tenant: &Slug,
        f: AuditFilter,
    ) -> Result<Vec<Event>, StoreError> {
        self.tenant_read(tenant, move |txn| {
            Box::pin(async move {
                let mut q = audit_events::Entity::find();
                if let Some(v) = f.entity_type {
                    q = q.filter(audit_events::Column::EntityType.eq(v));
                }
                if let Some(v) = f.entity_id {
                    q = q.filter(audit_events::Column::EntityId.eq(v));
                }
                if let Some(v) = f.actor {
                    q = q.filter(audit_events::Column::ActorUsername.eq(v));
                }
                if let Some(v) = f.action {
                    q = q.filter(audit_events::Column::Action.eq(v));
                }
                if let Some(v) = f.from {
                    q = q.filter(audit_events::Column::Time.gte(v));
                }
                if let Some(v) = f.to {
                    q = q.filter(audit_events::Column::Time.lt(v));
                }
                if let Some(v) = f.after_seq {
                    q = q.filter(audit_events::Column::Seq.gt(v));
                }
                let rows = q
                    .order_by_asc(audit_events::Column::Seq)
                    .limit(f.limit)
                    .all(txn)
                    .await?;
                Ok(rows.into_iter().map(event_from_row).collect())
            })
        })
        .await
    }

    /// The tenant's stored checkpoints after sequence `after`, oldest first (at most `limit`).
    pub async fn checkpoints_after(
        &self,
        tenant: &Slug,
        after: i64,
        limit: u64,
    ) -> Result<Vec<Checkpoint>, StoreError> {
        self.tenant_read(tenant, move |txn| {
            Box::pin(async move {
                Ok(audit_checkpoints::Entity::find()
                    .filter(audit_checkpoints::Column::Seq.gt(after))
                    .order_by_asc(audit_checkpoints::Column::Seq)
                    .limit(limit)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(checkpoint_from_row)
                    .collect())
            })
        })
        .await
    }

    /// Every event and checkpoint of the tenant, as stored (for verification and export).
    pub async fn audit_all(
        &self,
        tenant: &Slug,
    ) -> Result<(Vec<Event>, Vec<Checkpoint>), StoreError> {
        self.tenant_read(tenant, move |txn| {
            Box::pin(async move {
                let events = audit_events::Entity::find()
                    .order_by_asc(audit_events::Column::Seq)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(event_from_row)
                    .collect();
                let cps = audit_checkpoints::Entity::find()
                    .order_by_asc(audit_checkpoints::Column::Seq)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(checkpoint_from_row)
                    .collect();
                Ok((events, cps))
            })
        })
        .await
    }

    /// The tenant's events after sequence `after`, in ascending order, at most `limit`: one
    /// page of the trail (verification and export read it page by page, in bounded memory).
    pub async fn audit_events_after(
        &self,
        tenant: &Slug,
        after: i64,
        limit: u64,
    ) -> Result<Vec<Event>, StoreError> {
        self.tenant_read(tenant, move |txn| {
            Box::pin(async move {
                Ok(audit_events::Entity::find()
                    .filter(audit_events::Column::Seq.gt(after))
                    .order_by_asc(audit_events::Column::Seq)
                    .limit(limit)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(event_from_row)
                    .collect())
            })
        })
        .await
    }

    /// Every stored checkpoint of the tenant, oldest first (few: one per
    /// `checkpoint_events` events).
    pub async fn audit_checkpoints(&self, tenant: &Slug) -> Result<Vec<Checkpoint>, StoreError> {
        self.checkpoints_after(tenant, i64::MIN, i64::MAX as u64)
            .await
    }

    /// The tenant's events page by page ([`AUDIT_PAGE`] each, ascending): call
    /// [`EventPages::next`] until it gives `None`.
    pub fn audit_pages(&self, tenant: &Slug) -> EventPages<'_> {
        EventPages {
            store: self,
            tenant: tenant.clone(),
            after: i64::MIN,
            done: false,
        }
    }

    /// Recompute the tenant's chain, check its checkpoints (stored ones and `extra`, e.g.
    /// held outside the database; held ones of other tenants are ignored, stored ones are
    /// a problem) against `key`, compare the last event with the stored head (a cut tail),
    /// and check every stored signature against the `signature.sign` event that should
    /// record it. The events are read in pages of [`AUDIT_PAGE`] and streamed through
    /// [`audit::ChainVerifier`]: memory holds the checkpoints, the signature events and a
    /// page, not the trail.
    pub async fn audit_verify(
        &self,
        tenant: &Slug,
        key: &audit::VerifyingKey,
        extra: &[Checkpoint],
    ) -> Result<audit::ChainReport, StoreError> {
        let read_head = || {
            self.tenant_read(tenant, |txn| {
                Box::pin(async move {
                    Ok(audit_head::Entity::find_by_id(1)
                        .one(txn)
                        .await?
                        .map_or((0, String::new()), |h| (h.seq, h.hash)))
                })
            })
        };
        let head = read_head().await?;
        let stored = self.audit_checkpoints(tenant).await?;
        let sigs = self
            .tenant_read(tenant, |txn| Box::pin(crate::signatures::all(txn)))
            .await?;
        let mut cps = stored.clone();
        cps.extend(extra.iter().cloned());
        let mut v = audit::ChainVerifier::new(tenant.as_str(), cps, key);
        v.keep_events_at(sigs.iter().map(|s| s.audit_seq));
        let mut pages = self.audit_pages(tenant);
        while let Some(page) = pages.next().await? {
            for e in page {
                v.push(e);
            }
        }
        // Events appended while this read ran move the head too: read it again then.
        let head = if v.last().is_some_and(|(seq, _)| seq > head.0) {
            read_head().await?
        } else {
            head
        };
        let mut report = v.finish_with(Some((head.0, &head.1)), sigs.iter().map(|s| s.claim()));
        report.check_foreign_checkpoints(tenant.as_str(), &stored);
        Ok(report)
    }

    /// A control-plane table as a statement in a tenant transaction must name it: on
    /// PostgreSQL schema-qualified to `public` (the transaction's search path is the
    /// tenant's schema); on SQLite as is (the control plane is its own file).
    pub(crate) fn control_table(&self, table: impl IntoIden + 'static) -> TableRef {
        if self.is_postgres() {
            (Alias::new("public"), table).into_table_ref()
        } else {
            table.into_table_ref()
        }
    }

    /// Run a control-plane statement (its table named by [`Store::control_table`]) so that it
    /// commits with the tenant event already appended in `ttx`: on PostgreSQL inside `ttx`,
    /// one transaction; on SQLite on the control file while `ttx` stays open, committed
    /// before the event (the ordering of `Store::commit_with_event`).
    pub(crate) async fn control_exec(
        &self,
        ttx: &DatabaseTransaction,
        stmt: &impl StatementBuilder,
    ) -> Result<(), StoreError> {
        if self.is_postgres() {
            ttx.execute(ttx.get_database_backend().build(stmt)).await?;
        } else {
            let c = self.control();
            c.execute(c.get_database_backend().build(stmt)).await?;
        }
        Ok(())
    }
}

async fn insert_checkpoint(txn: &DatabaseTransaction, cp: &Checkpoint) -> Result<(), StoreError> {
    audit_checkpoints::ActiveModel {
        seq: Set(cp.seq),
        tenant: Set(cp.tenant.clone()),
        head_hash: Set(cp.head_hash.clone()),
        time: Set(cp.time.clone()),
        public_key: Set(cp.public_key.clone()),
        signature: Set(cp.signature.clone()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

//! The audit trail for auditors and managers: events with filters (time, actor, action,
//! record) in pages, one event in full (old and new values, AI provenance, request, hashes),
//! verification with a plain pass or fail and where the chain broke, and the export.

use super::error::PageError;
use super::session::Viewer;
use super::view::{Chrome, page, urlencode};
use crate::auth::CanReadAudit;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use service::audit_trail::Query;

/// Events on one page of the trail.
const PAGE: u64 = 50;

pub struct EventRow {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub record: String,
    pub reason: String,
    pub ai: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct TrailPage {
    chrome: Chrome,
    rows: Vec<EventRow>,
    from: String,
    to: String,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    next: Option<String>,
    first: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TrailQuery {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    after_seq: Option<i64>,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A time from the form: RFC 3339, or the `datetime-local` field's `2026-12-04T10:00`
/// taken as UTC (the page says so).
fn time_of(s: &Option<String>) -> Option<String> {
    some(s).map(|t| {
        if t.len() == 16 && t.as_bytes().get(10) == Some(&b'T') {
            format!("{t}:00Z")
        } else {
            t
        }
    })
}

fn actor_of(a: &audit::Actor) -> String {
    match (&a.printed_name, &a.username) {
        (Some(p), Some(u)) => format!("{p} ({u})"),
        (Some(p), None) => p.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => "unknown".into(),
    }
}

#[get("/audit")]
pub async fn trail(
    state: web::Data<AppState>,
    who: Viewer<CanReadAudit>,
    q: web::Query<TrailQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let query = Query {
        entity_type: some(&q.entity_type),
        entity_id: some(&q.entity_id),
        actor: some(&q.actor),
        action: some(&q.action),
        from: time_of(&q.from),
        to: time_of(&q.to),
        after_seq: q.after_seq,
        limit: Some(PAGE),
    };
    let out = service::audit_trail::query(&state.store, &who, query).await;
    let (events, next_after) = match out {
        Ok(p) => (p.items, p.next_after_seq),
        Err(e) => return super::back(&who, "/audit", Err(e.into())),
    };
    let filters = format!(
        "from={}&to={}&actor={}&action={}&entity_type={}&entity_id={}",
        urlencode(q.from.as_deref().unwrap_or("")),
        urlencode(q.to.as_deref().unwrap_or("")),
        urlencode(q.actor.as_deref().unwrap_or("")),
        urlencode(q.action.as_deref().unwrap_or("")),
        urlencode(q.entity_type.as_deref().unwrap_or("")),
        urlencode(q.entity_id.as_deref().unwrap_or("")),
    );
    let rows = events
        .into_iter()
        .map(|e| EventRow {
            seq: e.seq,
            time: e.time.clone(),
            actor: actor_of(&e.actor),
            action: e.action,
            record: match e.entity_id {
                Some(id) => format!("{} {id}", e.entity_type),
                None => e.entity_type,
            },
            reason: e.reason.unwrap_or_default(),
            ai: e.ai.is_some(),
        })
        .collect();
    let p = TrailPage {
        chrome: Chrome::of(&who, "Audit trail"),
        rows,
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        actor: q.actor.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        entity_type: q.entity_type.unwrap_or_default(),
        entity_id: q.entity_id.unwrap_or_default(),
        next: next_after.map(|s| format!("/audit?{filters}&after_seq={s}")),
        first: format!("/audit?{filters}"),
    };
    Ok(page(&who, &p))
}

#[derive(Template)]
#[template(path = "audit_event.html")]
struct EventPage {
    chrome: Chrome,
    fields: Vec<(&'static str, String)>,
    old_value: String,
    new_value: String,
    ai: String,
}

fn pretty(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_default()
}

#[get("/audit/events/{seq}")]
pub async fn event(
    state: web::Data<AppState>,
    who: Viewer<CanReadAudit>,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let seq = path.into_inner();
    let found = service::audit_trail::query(
        &state.store,
        &who,
        Query {
            after_seq: Some(seq.saturating_sub(1)),
            limit: Some(1),
            ..Default::default()
        },
    )
    .await?
    .items
    .into_iter()
    .find(|e| e.seq == seq)
    .ok_or(crate::error::ApiError::NotFound("audit event"))?;
    let e = found;
    let request = serde_json::to_value(&e.request).unwrap_or_default();
    let fields = vec![
        ("sequence", e.seq.to_string()),
        ("time (UTC)", e.time.clone()),
        ("actor", actor_of(&e.actor)),
        ("actor id", e.actor.user_id.clone().unwrap_or_default()),
        ("action", e.action.clone()),
        ("record type", e.entity_type.clone()),
        ("record id", e.entity_id.clone().unwrap_or_default()),
        ("reason", e.reason.clone().unwrap_or_default()),
        (
            "request id",
            request["request_id"].as_str().unwrap_or_default().into(),
        ),
        (
            "client address",
            request["client_ip"].as_str().unwrap_or_default().into(),
        ),
        (
            "user agent",
            request["user_agent"].as_str().unwrap_or_default().into(),
        ),
        ("previous hash", e.prev_hash.clone()),
        ("hash", e.hash.clone()),
    ];
    let ai =
        e.ai.as_ref()
            .and_then(|a| serde_json::to_string_pretty(a).ok())
            .unwrap_or_default();
    let p = EventPage {
        chrome: Chrome::of(&who, format!("Audit event {seq}")),
        fields,
        old_value: pretty(&e.old_value),
        new_value: pretty(&e.new_value),
        ai,
    };
    Ok(page(&who, &p))
}

#[derive(Template)]
#[template(path = "audit_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    ok: bool,
    events: u64,
    head_hash: String,
    checkpoints: u64,
    signatures: u64,
    problem: Option<(i64, String, String)>,
    unattested: Vec<String>,
    time_reversals: String,
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Verify the whole chain of the tenant now: every hash, the signed checkpoints, the
/// signatures against their events.
#[post("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    who: Viewer<CanReadAudit>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let r =
        service::audit_trail::verify(&state.store, &who, &state.audit_key.verifying_key()).await?;
    let p = VerifyPage {
        chrome: Chrome::of(&who, "Audit trail verification"),
        ok: r.ok,
        events: r.events,
        head_hash: r.head_hash.clone(),
        checkpoints: r.checkpoints_verified,
        signatures: r.signatures_checked,
        problem: r.first_problem.as_ref().map(|t| {
            (
                t.seq,
                serde_json::to_value(t.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("{:?}", t.kind)),
                t.detail.clone(),
            )
        }),
        unattested: r
            .unattested_signatures
            .iter()
            .map(|u| serde_json::to_string(u).unwrap_or_default())
            .collect(),
        time_reversals: r
            .time_reversals
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    Ok(page(&who, &p))
}

//! The audit trail as its readers use it: query, verify, export. Auditors and managers of
//! the tenant through the API, the operator at the command line (who holds the
//! installation's files). Verification recomputes every hash and checks the signed
//! checkpoints; an export is complete (every event, payloads, AI provenance, signature
//! events, checkpoints) and is recorded (`audit.export`) before it is taken, so it contains
//! its own event.

use crate::ServiceError;
use crate::authz::{Action, require};
use audit::export::{ExportWriter, Format};
use audit::{ChainReport, Checkpoint, Event, RequestContext, VerifyingKey};
use serde::Serialize;
use std::path::{Path, PathBuf};
use store::{AuditFilter, By, Principal, Slug, Store};

/// Most events on one page.
pub const MAX_PAGE: u64 = 1000;

/// A query of the trail, as a caller gives it (times as RFC 3339 text); the API reads it
/// from the query string as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct Query {
    /// e.g. `document`, `user`, `session`, `document_version`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Username of the actor.
    pub actor: Option<String>,
    /// e.g. `document.upload`, `auth.login_failed`, `signature.sign`.
    pub action: Option<String>,
    /// RFC 3339, inclusive.
    #[cfg_attr(feature = "openapi", param(format = DateTime))]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[cfg_attr(feature = "openapi", param(format = DateTime))]
    pub to: Option<String>,
    /// Events after this sequence number (the previous page's `next_after_seq`).
    pub after_seq: Option<i64>,
    /// 1 to 1000 ([`MAX_PAGE`]), default 100.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u64>,
}

/// One page of events, in sequence order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub items: Vec<Event>,
    /// Pass as `after_seq` for the next page; absent on the last page.
    pub next_after_seq: Option<i64>,
}

/// An export, written to a file.
#[derive(Debug, Clone)]
pub struct Export {
    pub format: Format,
    /// The file written (the caller moves it into place or streams it, then removes it).
    pub path: PathBuf,
    /// Events in it (its own `audit.export` event included).
    pub events: u64,
}

/// Normalise an RFC 3339 time to the stored form (UTC, microseconds, `+00:00`), so that
/// range filters compare like with like.
fn stored_time(s: Option<String>, name: &str) -> Result<Option<String>, ServiceError> {
    s.map(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .map(|d| audit::format_time(d.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                ServiceError::Invalid(format!(
                    "{name} must be an RFC 3339 time such as 2026-11-23T10:00:00Z"
                ))
            })
    })
    .transpose()
}

/// Events of the caller's tenant, filtered, in sequence order (auditors, managers).
pub async fn query(store: &Store, who: &Principal, q: Query) -> Result<Page, ServiceError> {
    require(who, Action::ReadAudit)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ServiceError::Invalid(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    let f = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor: q.actor,
        action: q.action,
        from: stored_time(q.from, "from")?,
        to: stored_time(q.to, "to")?,
        after_seq: q.after_seq,
        limit,
    };
    let items = store.audit_query(&who.tenant, f).await?;
    let next_after_seq = (items.len() as u64 == limit)
        .then(|| items.last().map(|e| e.seq))
        .flatten();
    Ok(Page {
        items,
        next_after_seq,
    })
}

/// Recompute the caller's tenant's chain and check its checkpoints (auditors, managers).
pub async fn verify(
    store: &Store,
    who: &Principal,
    key: &VerifyingKey,
) -> Result<ChainReport, ServiceError> {
    require(who, Action::ReadAudit)?;
    let report = verify_tenant(store, &who.tenant, key, &[]).await?;
    if !report.ok {
        // An alert for the operators: the API caller sees the report, the log gets a line.
        tracing::error!(tenant = %who.tenant, problem = ?report.first_problem, "audit trail verification failed");
    }
    Ok(report)
}

/// The chain's verification as a review report states it (the caller's authorisation is the
/// report's).
pub(crate) async fn verify_for_report(
    store: &Store,
    tenant: &Slug,
    key: &VerifyingKey,
) -> Result<ChainReport, ServiceError> {
    verify_tenant(store, tenant, key, &[]).await
}

/// [`verify`] for the operator at the command line, with checkpoints held outside the
/// database (an earlier export) checked too. The command prints the outcome (no log line).
pub async fn verify_as_operator(
    store: &Store,
    tenant: &Slug,
    key: &VerifyingKey,
    held: &[Checkpoint],
) -> Result<ChainReport, ServiceError> {
    existing(store, tenant).await?;
    verify_tenant(store, tenant, key, held).await
}

async fn verify_tenant(
    store: &Store,
    tenant: &Slug,
    key: &VerifyingKey,
    held: &[Checkpoint],
) -> Result<ChainReport, ServiceError> {
    Ok(store.audit_verify(tenant, key, held).await?)
}

/// The caller's tenant's complete trail in `format` (`jsonl`, `csv`, `html`), recorded
/// first (auditors, managers), written to the new file `into` page by page (bounded
/// memory, whatever the length of the trail).
pub async fn export(
    store: &Store,
    who: &Principal,
    request: RequestContext,
    format: &str,
    key: &VerifyingKey,
    into: &Path,
) -> Result<Export, ServiceError> {
    require(who, Action::ReadAudit)?;
    let by = By::principal(who, request);
    render(store, &who.tenant, &by, format, "api", key, into).await
}

/// [`export`] for the operator at the command line.
pub async fn export_as_operator(
    store: &Store,
    tenant: &Slug,
    by: &By,
    format: &str,
    key: &VerifyingKey,
    into: &Path,
) -> Result<Export, ServiceError> {
    existing(store, tenant).await?;
    render(store, tenant, by, format, "cli", key, into).await
}

async fn render(
    store: &Store,
    tenant: &Slug,
    by: &By,
    requested: &str,
    via: &str,
    key: &VerifyingKey,
    into: &Path,
) -> Result<Export, ServiceError> {
    let format = Format::parse(requested).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "unknown export format {requested:?}; use jsonl, csv or html"
        ))
    })?;
    let mut d = by.draft("audit.export", "audit_trail", None);
    d.new_value = Some(serde_json::json!({ "format": format.extension(), "via": via }));
    store.record_now(tenant, d).await?;
    // The HTML report opens with the verification's outcome: a first streaming pass.
    let summary = match format {
        Format::Html => audit::export::summary(&store.audit_verify(tenant, key, &[]).await?),
        _ => String::new(),
    };
    let written = |source| ServiceError::Write {
        path: into.to_owned(),
        source,
    };
    let file = std::fs::File::create(into).map_err(written)?;
    let mut w = ExportWriter::new(format, tenant.as_str(), std::io::BufWriter::new(file));
    w.header(&summary).map_err(written)?;
    let mut events = 0u64;
    let mut pages = store.audit_pages(tenant);
    while let Some(page) = pages.next().await? {
        events += page.len() as u64;
        // Rendering is CPU and file work: off the async workers, a page at a time.
        w = tokio::task::spawn_blocking(move || {
            for e in &page {
                w.event(e)?;
            }
            Ok::<_, std::io::Error>(w)
        })
        .await
        .map_err(ServiceError::internal)?
        .map_err(written)?;
    }
    let checkpoints = store.audit_checkpoints(tenant).await?;
    tokio::task::spawn_blocking(move || {
        let out = w.finish(&checkpoints)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })
    .await
    .map_err(ServiceError::internal)?
    .map_err(written)?;
    Ok(Export {
        format,
        path: into.to_owned(),
        events,
    })
}

async fn existing(store: &Store, tenant: &Slug) -> Result<(), ServiceError> {
    match store.find_tenant(tenant.as_str()).await? {
        Some(_) => Ok(()),
        None => Err(ServiceError::Invalid(format!(
            "tenant {tenant:?} does not exist (dualcheck tenant list)"
        ))),
    }
}

//! Documents: upload (ingested, the original kept as a blob, the structure stored), new
//! versions, reads and downloads. Every change is one unit of work with its audit event.

use crate::ServiceError;
use crate::authz::{Action, require};
use crate::ingest_gate::IngestGate;
use audit::RequestContext;
use store::documents::{self, Document, NewVersion, Version, VersionInfo};
use store::{By, Principal, Store};
use uuid::Uuid;

/// An uploaded file, as the caller received it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub filename: String,
    /// Optional title (default: the document's own title, else the file name).
    pub title: Option<String>,
}

/// Keep a file name displayable and harmless: last path component, no control characters
/// or quotes, at most 200 characters; `upload` when nothing is left.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let kept: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect();
    let s = store::clip(&kept, 200);
    if s.trim().is_empty() {
        "upload".into()
    } else {
        s
    }
}

/// An ingested upload: the new version's row data (its blob hash filled in by
/// [`store_blob`]) and the bytes.
struct Ingested {
    new: NewVersion,
    bytes: Vec<u8>,
}

/// Ingest the upload (through the gate: a parse slot, off the async workers, within the
/// time limit); nothing is stored yet.
async fn parse_upload(
    who: &Principal,
    gate: &IngestGate,
    up: Upload,
) -> Result<Ingested, ServiceError> {
    let Upload {
        bytes,
        filename,
        title,
    } = up;
    let filename = clean_filename(&filename);
    let (doc, structure, bytes) = gate.parse(bytes).await?;
    let format = doc.metadata.format;
    let title = title
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .or_else(|| doc.metadata.title.clone().filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| filename.clone());
    let new = NewVersion {
        title: store::clip(&title, 300),
        filename,
        format: format.as_str().to_owned(),
        media_type: format.media_type().to_owned(),
        blob_sha256: String::new(),
        size_bytes: bytes.len() as i64,
        structure,
        created_by: who.user_id,
    };
    Ok(Ingested { new, bytes })
}

/// Write the upload's blob inside the change (under the tenant's lock, so a change that
/// does not commit leaves no orphan file behind: see [`store::UnitOfWork::put_blob`]).
async fn store_blob(
    uow: &mut store::UnitOfWork,
    up: Ingested,
) -> Result<NewVersion, store::StoreError> {
    let Ingested { mut new, bytes } = up;
    new.blob_sha256 = uow.put_blob(bytes).await?;
    Ok(new)
}

/// What the trail records of a stored version.
fn version_value(v: &Version, title: &str) -> serde_json::Value {
    serde_json::json!({
        "title": title,
        "version": v.version,
        "filename": v.filename,
        "format": v.format,
        "sha256": v.blob_sha256,
        "size_bytes": v.size_bytes,
    })
}

/// Upload a new document (writers): ingested, original and structure stored, recorded as
/// `document.upload`.
pub async fn upload(
    store: &Store,
    who: &Principal,
    gate: &IngestGate,
    up: Upload,
    request: RequestContext,
) -> Result<(Document, Version), ServiceError> {
    require(who, Action::Upload)?;
    let up = parse_upload(who, gate, up).await?;
    let by = By::principal(who, request);
    Ok(store
        .tenant_write(&who.tenant, move |uow| {
            Box::pin(async move {
                let new = store_blob(uow, up).await?;
                let (d, v) = documents::create(uow.txn(), new).await?;
                let mut e = by.draft("document.upload", "document", Some(d.id.to_string()));
                e.new_value = Some(version_value(&v, &d.title));
                uow.record(e).await?;
                Ok((d, v))
            })
        })
        .await?)
}

/// `Ok` when document `id` exists in the caller's tenant (checked before an upload body is
/// read, so a missing document costs nothing).
pub async fn require_document(
    store: &Store,
    who: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    require(who, Action::Read)?;
    let exists = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move { Ok(documents::get(txn, id).await?.is_some()) })
        })
        .await?;
    if exists {
        Ok(())
    } else {
        Err(ServiceError::NotFound("document"))
    }
}

/// Add a version to document `id` (writers); it becomes the current one, recorded as
/// `document.version` with the old and new current version.
pub async fn add_version(
    store: &Store,
    who: &Principal,
    gate: &IngestGate,
    id: Uuid,
    up: Upload,
    request: RequestContext,
) -> Result<(Document, Version), ServiceError> {
    require(who, Action::Upload)?;
    require_document(store, who, id).await?;
    let up = parse_upload(who, gate, up).await?;
    let by = By::principal(who, request);
    Ok(store
        .tenant_write(&who.tenant, move |uow| {
            Box::pin(async move {
                let new = store_blob(uow, up).await?;
                let (d, v) = documents::add_version(uow.txn(), id, new).await?;
                let mut e = by.draft("document.version", "document", Some(d.id.to_string()));
                e.old_value = Some(serde_json::json!({ "current_version": v.version - 1 }));
                e.new_value = Some(version_value(&v, &d.title));
                uow.record(e).await?;
                Ok((d, v))
            })
        })
        .await?)
}

/// A page of the tenant's documents, newest first, and the total (`limit` 1 to 200).
pub async fn list(
    store: &Store,
    who: &Principal,
    limit: u64,
    offset: u64,
) -> Result<(Vec<Document>, u64), ServiceError> {
    require(who, Action::Read)?;
    if !(1..=200).contains(&limit) {
        return Err(ServiceError::Invalid("limit must be 1 to 200".into()));
    }
    if i64::try_from(offset).is_err() {
        return Err(ServiceError::Invalid(format!(
            "offset must be at most {}",
            i64::MAX
        )));
    }
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move { documents::list(txn, limit, offset).await })
        })
        .await?)
}

/// What the documents page asks for: words of the title or file name, a review state.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Case-insensitive, in the title or the file name.
    pub text: Option<String>,
    pub state: Option<store::DocState>,
}

/// Most documents the documents page filters in one pass.
pub const MAX_OVERVIEW: u64 = 10_000;

/// A page of the tenant's documents, newest first, each with the review state of its
/// current version, filtered; and the number that match (`limit` 1 to 200). The filter
/// reads the newest [`MAX_OVERVIEW`] documents.
pub async fn overview(
    store: &Store,
    who: &Principal,
    filter: Filter,
    limit: u64,
    offset: u64,
) -> Result<(Vec<(Document, store::DocState)>, u64), ServiceError> {
    require(who, Action::Read)?;
    if !(1..=200).contains(&limit) {
        return Err(ServiceError::Invalid("limit must be 1 to 200".into()));
    }
    let text = filter
        .text
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let (docs, _) = documents::list(txn, MAX_OVERVIEW, 0).await?;
                let docs: Vec<Document> = docs
                    .into_iter()
                    .filter(|d| {
                        text.as_deref().is_none_or(|t| {
                            d.title.to_lowercase().contains(t)
                                || d.filename.to_lowercase().contains(t)
                        })
                    })
                    .collect();
                let states = store::review::current_states(txn, &docs).await?;
                let all: Vec<_> = docs
                    .into_iter()
                    .zip(states)
                    .filter(|(_, s)| filter.state.is_none_or(|w| *s == w))
                    .collect();
                let total = all.len() as u64;
                let page = all
                    .into_iter()
                    .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                    .take(usize::try_from(limit).unwrap_or(200))
                    .collect();
                Ok((page, total))
            })
        })
        .await?)
}

/// A document and its current version (with the structure).
pub async fn get(
    store: &Store,
    who: &Principal,
    id: Uuid,
) -> Result<(Document, Version), ServiceError> {
    require(who, Action::Read)?;
    store
        .read_document(&who.tenant, id)
        .await?
        .ok_or(ServiceError::NotFound("document"))
}

/// A document and one of its versions (with the structure): every version stays readable
/// as it was uploaded (21 CFR Part 11 §11.10(b)).
pub async fn get_version(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: i32,
) -> Result<(Document, Version), ServiceError> {
    require(who, Action::Read)?;
    store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let Some((d, _)) = documents::get(txn, id).await? else {
                    return Ok(None);
                };
                Ok(documents::get_version(txn, id, version)
                    .await?
                    .map(|v| (d, v)))
            })
        })
        .await?
        .ok_or(ServiceError::NotFound("document version"))
}

/// Every version of a document, oldest first.
pub async fn versions(
    store: &Store,
    who: &Principal,
    id: Uuid,
) -> Result<Vec<VersionInfo>, ServiceError> {
    require(who, Action::Read)?;
    store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move { documents::versions(txn, id).await })
        })
        .await?
        .ok_or(ServiceError::NotFound("document"))
}

/// The exact bytes of version `version` (the current one when `None`), recorded as
/// `document.download`.
pub async fn original(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: Option<i32>,
    request: RequestContext,
) -> Result<(Version, Vec<u8>), ServiceError> {
    require(who, Action::Read)?;
    let (_, v) = match version {
        Some(n) => get_version(store, who, id, n).await?,
        None => store
            .tenant_read(&who.tenant, move |txn| {
                Box::pin(async move { documents::get(txn, id).await })
            })
            .await?
            .ok_or(ServiceError::NotFound("document"))?,
    };
    let blobs = store.blobs(&who.tenant);
    let sha = v.blob_sha256.clone();
    let bytes = tokio::task::spawn_blocking(move || blobs.get(&sha))
        .await
        .map_err(ServiceError::internal)??;
    let mut e =
        By::principal(who, request).draft("document.download", "document", Some(id.to_string()));
    e.new_value = Some(serde_json::json!({ "version": v.version, "sha256": v.blob_sha256 }));
    store.record_now(&who.tenant, e).await?;
    Ok((v, bytes))
}

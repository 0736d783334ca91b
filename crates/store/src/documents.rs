//! Tenant-scoped document operations. Every function takes the transaction handed out by
//! [`crate::Store::tenant_write`] (changes, through `uow.txn()`) or
//! [`crate::Store::tenant_read`], so it only ever sees one tenant's tables.

use crate::StoreError;
use crate::entities::{blobs, document_versions, documents};
use crate::{Backend, Slug, Store};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, JoinType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, FromQueryResult, IdenStatic, Iterable, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

pub use document_versions::Model as Version;
pub use documents::Model as Document;

/// What an upload adds (the blob bytes are already in the tenant's blob store).
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub title: String,
    pub filename: String,
    /// `pdf` or `docx`.
    pub format: String,
    pub media_type: String,
    pub blob_sha256: String,
    pub size_bytes: i64,
    /// The ingested structure as JSON text.
    pub structure: String,
    pub created_by: Uuid,
}

/// Version metadata without the structure (for listings).
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionInfo {
    pub id: Uuid,
    pub version: i32,
    pub filename: String,
    pub format: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<&Version> for VersionInfo {
    fn from(v: &Version) -> Self {
        VersionInfo {
            id: v.id,
            version: v.version,
            filename: v.filename.clone(),
            format: v.format.clone(),
            sha256: v.blob_sha256.clone(),
            size_bytes: v.size_bytes,
            created_by: v.created_by,
            created_at: v.created_at,
        }
    }
}

async fn ensure_blob(txn: &DatabaseTransaction, new: &NewVersion) -> Result<(), StoreError> {
    if blobs::Entity::find_by_id(new.blob_sha256.clone())
        .one(txn)
        .await?
        .is_none()
    {
        blobs::ActiveModel {
            sha256: Set(new.blob_sha256.clone()),
            size_bytes: Set(new.size_bytes),
            media_type: Set(new.media_type.clone()),
            created_at: Set(Utc::now()),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

async fn insert_version(
    txn: &DatabaseTransaction,
    document_id: Uuid,
    version: i32,
    new: NewVersion,
) -> Result<Version, StoreError> {
    ensure_blob(txn, &new).await?;
    Ok(document_versions::ActiveModel {
        id: Set(Uuid::new_v4()),
        document_id: Set(document_id),
        version: Set(version),
        filename: Set(new.filename),
        format: Set(new.format),
        blob_sha256: Set(new.blob_sha256),
        size_bytes: Set(new.size_bytes),
        structure: Set(new.structure),
        created_by: Set(new.created_by),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?)
}

/// Create a document with its first version.
pub async fn create(
    txn: &DatabaseTransaction,
    new: NewVersion,
) -> Result<(Document, Version), StoreError> {
    let now = Utc::now();
    let doc = documents::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(new.title.clone()),
        filename: Set(new.filename.clone()),
        format: Set(new.format.clone()),
        current_version: Set(1),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let v = insert_version(txn, doc.id, 1, new).await?;
    Ok((doc, v))
}

/// Add a version to an existing document; it becomes the current one.
pub async fn add_version(
    txn: &DatabaseTransaction,
    document_id: Uuid,
    new: NewVersion,
) -> Result<(Document, Version), StoreError> {
    let doc = documents::Entity::find_by_id(document_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("document"))?;
    let next = doc.current_version + 1;
    let title = new.title.clone();
    let filename = new.filename.clone();
    let format = new.format.clone();
    let v = insert_version(txn, document_id, next, new).await?;
    let mut am: documents::ActiveModel = doc.into();
    am.current_version = Set(next);
    am.title = Set(title);
    am.filename = Set(filename);
    am.format = Set(format);
    am.updated_at = Set(Utc::now());
    let doc = am.update(txn).await?;
    Ok((doc, v))
}

/// A page of documents, newest first, and the total count.
pub async fn list(
    txn: &DatabaseTransaction,
    limit: u64,
    offset: u64,
) -> Result<(Vec<Document>, u64), StoreError> {
    let total = documents::Entity::find().count(txn).await?;
    let items = documents::Entity::find()
        .order_by_desc(documents::Column::CreatedAt)
        .order_by_desc(documents::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(txn)
        .await?;
    Ok((items, total))
}

/// A document and its current version (with the structure).
pub async fn get<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
) -> Result<Option<(Document, Version)>, StoreError> {
    let Some(doc) = documents::Entity::find_by_id(id).one(txn).await? else {
        return Ok(None);
    };
    let v = document_versions::Entity::find()
        .filter(document_versions::Column::DocumentId.eq(id))
        .filter(document_versions::Column::Version.eq(doc.current_version))
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("document version"))?;
    Ok(Some((doc, v)))
}

/// All versions of a document, oldest first, without their structure; `None` if the
/// document does not exist (in this tenant).
pub async fn versions(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<Option<Vec<VersionInfo>>, StoreError> {
    if documents::Entity::find_by_id(id).one(txn).await?.is_none() {
        return Ok(None);
    }
    let vs = document_versions::Entity::find()
        .filter(document_versions::Column::DocumentId.eq(id))
        .order_by_asc(document_versions::Column::Version)
        .all(txn)
        .await?;
    Ok(Some(vs.iter().map(VersionInfo::from).collect()))
}

/// One version of a document (with its structure); `None` if either does not exist.
pub async fn get_version(
    txn: &DatabaseTransaction,
    id: Uuid,
    version: i32,
) -> Result<Option<Version>, StoreError> {
    Ok(document_versions::Entity::find()
        .filter(document_versions::Column::DocumentId.eq(id))
        .filter(document_versions::Column::Version.eq(version))
        .one(txn)
        .await?)
}

/// The SHA-256 of a version's content as a signature binds it: document id, version number,
/// file name, the original bytes' SHA-256 and the SHA-256 of the ingested structure. Any
/// change to any of them, or a signature copied to another version, no longer matches.
pub fn version_record_sha256(v: &Version) -> String {
    use sha2::{Digest, Sha256};
    let structure = hex::encode(Sha256::digest(v.structure.as_bytes()));
    let text = format!(
        "dualcheck.document_version.v1\n{}\n{}\n{}\n{}\n{}",
        v.document_id, v.version, v.filename, v.blob_sha256, structure
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Store {
    /// A document and its current version for reading, in one round trip: a single SELECT
    /// joining the document to its current version, outside any transaction (versions never
    /// change once written). On SQLite on the tenant's own file; on PostgreSQL with
    /// schema-qualified tables (`"tenant_<slug>".documents`, the slug validated and the name
    /// quoted by the query builder) instead of a transaction with `SET LOCAL search_path`.
    pub async fn read_document(
        &self,
        slug: &Slug,
        id: Uuid,
    ) -> Result<Option<(Document, Version)>, StoreError> {
        let (d, v) = (Alias::new("d"), Alias::new("v"));
        let mut q = Query::select();
        for c in documents::Column::iter() {
            q.expr_as(
                Expr::col((d.clone(), c)),
                Alias::new(format!("d_{}", c.as_str())),
            );
        }
        for c in document_versions::Column::iter() {
            q.expr_as(
                Expr::col((v.clone(), c)),
                Alias::new(format!("v_{}", c.as_str())),
            );
        }
        let on = Expr::col((v.clone(), document_versions::Column::DocumentId))
            .equals((d.clone(), documents::Column::Id))
            .and(
                Expr::col((v.clone(), document_versions::Column::Version))
                    .equals((d.clone(), documents::Column::CurrentVersion)),
            );
        let filter = Expr::col((d.clone(), documents::Column::Id)).eq(id);
        let run = |conn: DatabaseConnection, q: sea_orm::sea_query::SelectStatement| async move {
            let row = conn
                .query_one(conn.get_database_backend().build(&q))
                .await?;
            match row {
                None => Ok(None),
                Some(r) => Ok(Some((
                    documents::Model::from_query_result(&r, "d_")?,
                    document_versions::Model::from_query_result(&r, "v_")?,
                ))),
            }
        };
        match self.backend() {
            Backend::Sqlite => {
                q.from_as(documents::Entity, d.clone())
                    .join_as(
                        JoinType::InnerJoin,
                        document_versions::Entity,
                        v.clone(),
                        on,
                    )
                    .and_where(filter);
                run(self.sqlite_tenant(slug, false).await?, q).await
            }
            Backend::Postgres => {
                let schema = Alias::new(slug.schema_name());
                q.from_as((schema.clone(), documents::Entity), d.clone())
                    .join_as(
                        JoinType::InnerJoin,
                        (schema, document_versions::Entity),
                        v.clone(),
                        on,
                    )
                    .and_where(filter);
                run(self.control().clone(), q).await
            }
        }
    }
}

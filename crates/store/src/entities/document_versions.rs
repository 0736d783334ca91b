//! One uploaded version of a document: the original blob and the ingested structure (JSON).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub filename: String,
    pub format: String,
    pub blob_sha256: String,
    pub size_bytes: i64,
    /// The `ingest::Document` as JSON text, served verbatim.
    #[sea_orm(column_type = "Text")]
    pub structure: String,
    pub created_by: Uuid,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

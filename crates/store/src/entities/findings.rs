//! A QC finding an analysis stored (immutable; suppressions are their own rows).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub ordinal: i32,
    pub rule_id: String,
    pub level: String,
    pub anchor: Option<String>,
    pub section: Option<String>,
    /// JSON of the rule engine's finding.
    pub body: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

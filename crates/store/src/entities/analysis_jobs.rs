//! An analysis job of a document version: its options, state, lease token, progress,
//! summary and timings.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "analysis_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub requested_by: Uuid,
    /// JSON of the job's options.
    pub options: String,
    pub state: String,
    pub attempts: i32,
    pub lease_token: Option<String>,
    pub progress_done: i32,
    pub progress_total: Option<i32>,
    pub summary: Option<String>,
    pub timings: Option<String>,
    pub error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub finished_at: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

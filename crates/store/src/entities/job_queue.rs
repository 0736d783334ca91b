//! The job queue index (control plane): what a worker's claim reads and writes.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: Uuid,
    pub tenant_slug: String,
    pub state: String,
    pub run_at_ms: i64,
    pub lease_token: Option<String>,
    pub lease_expires_ms: Option<i64>,
    pub attempts: i32,
    pub updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

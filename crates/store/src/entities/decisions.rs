//! A reviewer's signed decision on a suggestion (immutable).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "decisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub suggestion_id: Uuid,
    /// `accept`, `edit` or `reject`.
    pub decision: String,
    /// The reviewer's own text, stored as its own suggestion (`edit`).
    pub edit_id: Option<Uuid>,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Uuid,
    pub signature_id: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A proposal offered to a reviewer: the model's, the rules', or a reviewer's edit, with
//! its cross-check; only `status` changes (by decisions).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suggestions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What makes it unique: `<job>/<anchor>/<source>` for what a job stored (so a
    /// reclaimed job cannot store it twice), `edit/<id>` for a reviewer's edit.
    #[sea_orm(unique)]
    pub key: String,
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub version: i32,
    pub anchor: String,
    pub section: Option<String>,
    /// `ai`, `rule` or `edit`.
    pub source: String,
    /// The suggestion an edit was made on.
    pub parent_id: Option<Uuid>,
    pub original: String,
    pub proposal: String,
    pub verdict: String,
    /// JSON of the cross-check.
    pub check_json: String,
    /// JSON of the model's provenance (`ai`) or the ranking (`rule`).
    pub provenance: Option<String>,
    /// JSON list of the edit rules a rule-made rewrite applied.
    pub rule_ids: String,
    pub status: String,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

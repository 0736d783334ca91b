//! An electronic signature (21 CFR 11.50, 11.70): who, when, what it means, and the SHA-256
//! of the exact record content signed. Immutable.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub record_type: String,
    pub record_id: String,
    pub record_sha256: String,
    pub signer_user_id: String,
    pub signer_username: String,
    pub signer_printed_name: String,
    pub meaning: String,
    pub signed_at: String,
    pub audit_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

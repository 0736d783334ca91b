//! Electronic signatures (21 CFR Part 11 §11.50, §11.70): a stored signature holds the
//! signer's id and printed name, the time with zone, the meaning, and the SHA-256 of the
//! exact record content signed, so it cannot be moved to another record: verification
//! recomputes the record's hash. Each signature is written in the same unit of work as its
//! audit event ([`insert`]), which attests it: a row without that event is a forgery. Storage only: who may sign what, asking for the password again and the
//! lockout are the application layer's (`service::signing`).

use crate::accounts::Principal;
use crate::entities::signatures;
use crate::{Meaning, StoreError, UnitOfWork};
use audit::{Actor, EventDraft, RequestContext};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

/// A signature to store: the record it applies to (type, id, SHA-256 of its content as the
/// server computed it) and the meaning.
#[derive(Debug, Clone)]
pub struct NewSignature {
    pub record_type: String,
    pub record_id: String,
    pub record_sha256: String,
    pub meaning: Meaning,
}

/// A stored signature, with its manifestation (name, time, meaning).
#[derive(Debug, Clone, Serialize)]
pub struct SignatureInfo {
    pub id: String,
    pub record_type: String,
    pub record_id: String,
    /// SHA-256 of the record content at signing.
    pub record_sha256: String,
    pub signer_user_id: String,
    pub signer_username: String,
    pub signer_printed_name: String,
    pub meaning: Meaning,
    /// RFC 3339 with offset.
    pub signed_at: String,
    /// The audit event that records it.
    pub audit_seq: i64,
    /// "Jane Doe (jdoe), approved, 2026-11-23T10:00:00.000000+00:00".
    pub manifestation: String,
}

impl SignatureInfo {
    /// What this signature claims, to check against its audit event
    /// ([`audit::attest_signature`]).
    pub fn claim(&self) -> audit::SignatureClaim<'_> {
        audit::SignatureClaim {
            id: &self.id,
            record_type: &self.record_type,
            record_id: &self.record_id,
            record_sha256: &self.record_sha256,
            signer_user_id: &self.signer_user_id,
            meaning: self.meaning.as_str(),
            audit_seq: self.audit_seq,
        }
    }
}

fn info(m: signatures::Model) -> Result<SignatureInfo, StoreError> {
    let manifestation = format!(
        "{} ({}), {}, {}",
        m.signer_printed_name, m.signer_username, m.meaning, m.signed_at
    );
    let meaning = Meaning::parse(&m.meaning).map_err(|_| {
        StoreError::Internal(format!("signature {} has meaning {:?}", m.id, m.meaning))
    })?;
    Ok(SignatureInfo {
        id: m.id,
        record_type: m.record_type,
        record_id: m.record_id,
        record_sha256: m.record_sha256,
        signer_user_id: m.signer_user_id,
        signer_username: m.signer_username,
        signer_printed_name: m.signer_printed_name,
        meaning,
        signed_at: m.signed_at,
        audit_seq: m.audit_seq,
        manifestation,
    })
}

/// Store a signature by `who` (whose password the caller has just checked again) in the
/// unit of work, with its `signature.sign` event: both commit or neither.
pub async fn insert(
    uow: &mut UnitOfWork,
    who: &Principal,
    req: NewSignature,
    request: RequestContext,
) -> Result<SignatureInfo, StoreError> {
    let actor = Actor::user(
        who.user_id.to_string(),
        who.username.clone(),
        who.display_name.clone(),
    );
    let signed_at = audit::format_time(Utc::now());
    let id = Uuid::new_v4().to_string();
    let mut d = EventDraft::new(
        actor,
        audit::SIGNATURE_ACTION,
        &req.record_type,
        Some(req.record_id.clone()),
    );
    d.new_value = Some(serde_json::json!({
        "signature_id": id,
        "meaning": req.meaning,
        "record_sha256": req.record_sha256,
        "signer_printed_name": who.display_name,
        "signed_at": signed_at,
    }));
    d.request = request;
    let e = uow.record(d).await?;
    let row = signatures::Model {
        id,
        record_type: req.record_type,
        record_id: req.record_id,
        record_sha256: req.record_sha256,
        signer_user_id: who.user_id.to_string(),
        signer_username: who.username.clone(),
        signer_printed_name: who.display_name.clone(),
        meaning: req.meaning.as_str().to_owned(),
        signed_at,
        audit_seq: e.seq,
    };
    // Every field must be `Set` for an insert (`from` marks them unchanged).
    let saved = signatures::ActiveModel::from(row)
        .reset_all()
        .insert(uow.txn())
        .await?;
    info(saved)
}

/// The signatures of a record, oldest first.
pub async fn of_record<C: ConnectionTrait>(
    c: &C,
    record_type: &str,
    record_id: &str,
) -> Result<Vec<SignatureInfo>, StoreError> {
    signatures::Entity::find()
        .filter(signatures::Column::RecordType.eq(record_type))
        .filter(signatures::Column::RecordId.eq(record_id))
        .order_by_asc(signatures::Column::SignedAt)
        .order_by_asc(signatures::Column::AuditSeq)
        .all(c)
        .await?
        .into_iter()
        .map(info)
        .collect()
}

/// Every signature of the tenant, in the order of their audit events (for verification).
pub async fn all<C: ConnectionTrait>(c: &C) -> Result<Vec<SignatureInfo>, StoreError> {
    signatures::Entity::find()
        .order_by_asc(signatures::Column::AuditSeq)
        .order_by_asc(signatures::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(info)
        .collect()
}

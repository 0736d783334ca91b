//! Electronic signatures (21 CFR Part 11 §11.50, §11.70): a stored signature holds the
//! signer's id and printed name, the time with zone, the meaning, and the SHA-256 of the
//! exact record content signed, so it cannot be moved to another record: verification
//! recomputes the record's hash. Each signature is written in the same transaction as its
//! audit event. Storage only: who may sign what, asking for the password again and the
//! lockout are the application layer's (`service::signing`).

use crate::accounts::Principal;
use crate::entities::signatures;
use crate::{Meaning, Store, StoreError};
use audit::{Actor, EventDraft, RequestContext};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
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

impl Store {
    /// Store a signature by `who` (whose password the caller has just checked again),
    /// with its `signature.sign` event in the same transaction.
    pub async fn insert_signature(
        &self,
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
        let row = signatures::Model {
            id: id.clone(),
            record_type: req.record_type.clone(),
            record_id: req.record_id.clone(),
            record_sha256: req.record_sha256.clone(),
            signer_user_id: who.user_id.to_string(),
            signer_username: who.username.clone(),
            signer_printed_name: who.display_name.clone(),
            meaning: req.meaning.as_str().to_owned(),
            signed_at: signed_at.clone(),
            audit_seq: 0,
        };
        let mut d = EventDraft::new(
            actor,
            "signature.sign",
            &req.record_type,
            Some(req.record_id),
        );
        d.new_value = Some(serde_json::json!({
            "signature_id": id,
            "meaning": req.meaning,
            "record_sha256": req.record_sha256,
            "signer_printed_name": who.display_name,
            "signed_at": signed_at,
        }));
        d.request = request;
        let saved = self
            .tenant_write(&who.tenant, move |uow| {
                Box::pin(async move {
                    let e = uow.record(d).await?;
                    // Every field must be `Set` for an insert (`from` marks them unchanged).
                    let mut am = signatures::ActiveModel::from(row).reset_all();
                    am.audit_seq = Set(e.seq);
                    Ok(am.insert(uow.txn()).await?)
                })
            })
            .await?;
        info(saved)
    }

    /// The signatures of a record, oldest first.
    pub async fn signatures_of(
        &self,
        tenant: &crate::Slug,
        record_type: &str,
        record_id: &str,
    ) -> Result<Vec<SignatureInfo>, StoreError> {
        let (t, r) = (record_type.to_owned(), record_id.to_owned());
        self.tenant_read(tenant, move |txn| {
            Box::pin(async move {
                signatures::Entity::find()
                    .filter(signatures::Column::RecordType.eq(t))
                    .filter(signatures::Column::RecordId.eq(r))
                    .order_by_asc(signatures::Column::SignedAt)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(info)
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .await
    }
}

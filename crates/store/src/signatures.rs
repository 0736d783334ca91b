//! Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.200): a signature is given by
//! an authenticated session *and* the signer's password asked again; it stores the signer's
//! id and printed name, the time with zone, the meaning, and the SHA-256 of the exact
//! record content signed, so it cannot be moved to another record: verification recomputes
//! the record's hash. Failed attempts count toward the login lockout. Each signature and
//! each refusal is an audit event, written in the same transaction as the signature.

use crate::accounts::{LOCKOUT_THRESHOLD, Principal};
use crate::entities::{signatures, users};
use crate::{Role, Store, StoreError};
use audit::{Actor, EventDraft, RequestContext};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

/// What a signature means (§11.50(a)(3)).
pub const MEANINGS: [&str; 5] = [
    "authored",
    "reviewed",
    "approved",
    "rejected",
    "responsible",
];

/// Which roles may sign with a meaning: authored (writer), reviewed (qa), approved and
/// rejected (qa, manager), responsible (manager). `None` for an unknown meaning.
pub fn roles_for_meaning(meaning: &str) -> Option<&'static [Role]> {
    Some(match meaning {
        "authored" => &[Role::Writer],
        "reviewed" => &[Role::Qa],
        "approved" | "rejected" => &[Role::Qa, Role::Manager],
        "responsible" => &[Role::Manager],
        _ => return None,
    })
}

/// A signature request: the record it applies to (type, id, SHA-256 of its content as the
/// server computed it), the meaning and the password.
#[derive(Debug, Clone)]
pub struct SignRequest {
    pub record_type: String,
    pub record_id: String,
    pub record_sha256: String,
    pub meaning: String,
    pub password: String,
    pub request: RequestContext,
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
    pub meaning: String,
    /// RFC 3339 with offset.
    pub signed_at: String,
    /// The audit event that records it.
    pub audit_seq: i64,
    /// "Jane Doe (jdoe), approved, 2026-11-23T10:00:00.000000+00:00".
    pub manifestation: String,
}

fn info(m: signatures::Model) -> SignatureInfo {
    let manifestation = format!(
        "{} ({}), {}, {}",
        m.signer_printed_name, m.signer_username, m.meaning, m.signed_at
    );
    SignatureInfo {
        id: m.id,
        record_type: m.record_type,
        record_id: m.record_id,
        record_sha256: m.record_sha256,
        signer_user_id: m.signer_user_id,
        signer_username: m.signer_username,
        signer_printed_name: m.signer_printed_name,
        meaning: m.meaning,
        signed_at: m.signed_at,
        audit_seq: m.audit_seq,
        manifestation,
    }
}

impl Store {
    /// Sign a record as `who`, asking for the password again. A wrong password is refused
    /// with [`StoreError::SignatureRefused`], counted toward the lockout and recorded.
    pub async fn sign(
        &self,
        who: &Principal,
        req: SignRequest,
    ) -> Result<SignatureInfo, StoreError> {
        if !MEANINGS.contains(&req.meaning.as_str()) {
            return Err(StoreError::InvalidInput(format!(
                "unknown signature meaning {:?}; use one of {}",
                req.meaning,
                MEANINGS.join(", ")
            )));
        }
        let actor = Actor::user(
            who.user_id.to_string(),
            who.username.clone(),
            who.display_name.clone(),
        );
        let tenant = who.tenant.as_str().to_owned();
        if self.recent_failures(&tenant, &who.username).await? >= LOCKOUT_THRESHOLD {
            self.record_attempt(&tenant, &who.username, false, "locked_out")
                .await?;
            let mut d =
                EventDraft::new(actor, "auth.lockout", "user", Some(who.user_id.to_string()));
            d.new_value = Some(serde_json::json!({"alert": true, "during": "signature"}));
            d.request = req.request.clone();
            self.record_now(&who.tenant, d).await?;
            return Err(StoreError::LockedOut);
        }
        let user = users::Entity::find_by_id(who.user_id)
            .one(self.control())
            .await?
            .filter(|u| u.active)
            .ok_or(StoreError::Unauthenticated)?;
        let pw = req.password.clone();
        let hash = user.password_hash.clone();
        let ok =
            tokio::task::spawn_blocking(move || crate::credentials::verify_password(&pw, &hash))
                .await
                .map_err(|e| StoreError::Internal(e.to_string()))?;
        if !ok {
            self.record_attempt(&tenant, &who.username, false, "bad_credentials")
                .await?;
            let mut d = EventDraft::new(
                actor,
                "signature.refused",
                &req.record_type,
                Some(req.record_id.clone()),
            );
            d.new_value = Some(serde_json::json!({
                "meaning": req.meaning, "record_sha256": req.record_sha256,
                "cause": "wrong password"
            }));
            d.request = req.request.clone();
            self.record_now(&who.tenant, d).await?;
            return Err(StoreError::SignatureRefused);
        }
        let signed_at = audit::format_time(Utc::now());
        let id = Uuid::new_v4().to_string();
        let me = self.clone();
        let slug = who.tenant.clone();
        let row = signatures::Model {
            id: id.clone(),
            record_type: req.record_type.clone(),
            record_id: req.record_id.clone(),
            record_sha256: req.record_sha256.clone(),
            signer_user_id: who.user_id.to_string(),
            signer_username: who.username.clone(),
            signer_printed_name: who.display_name.clone(),
            meaning: req.meaning.clone(),
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
        d.request = req.request;
        let saved = self
            .tenant_tx(&who.tenant, move |txn| {
                Box::pin(async move {
                    let e = me.record(txn, &slug, d).await?;
                    // Every field must be `Set` for an insert (`from` marks them unchanged).
                    let mut am = signatures::ActiveModel::from(row).reset_all();
                    am.audit_seq = Set(e.seq);
                    Ok(am.insert(txn).await?)
                })
            })
            .await?;
        Ok(info(saved))
    }

    /// The signatures of a record, oldest first.
    pub async fn signatures_of(
        &self,
        tenant: &crate::Slug,
        record_type: &str,
        record_id: &str,
    ) -> Result<Vec<SignatureInfo>, StoreError> {
        let (t, r) = (record_type.to_owned(), record_id.to_owned());
        self.tenant_tx(tenant, move |txn| {
            Box::pin(async move {
                Ok(signatures::Entity::find()
                    .filter(signatures::Column::RecordType.eq(t))
                    .filter(signatures::Column::RecordId.eq(r))
                    .order_by_asc(signatures::Column::SignedAt)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(info)
                    .collect())
            })
        })
        .await
    }
}

//! Electronic signatures on a document version (21 CFR Part 11 §11.50, §11.70, §11.200):
//! the session identifies the signer, the role must allow the meaning, the password is
//! asked again (a wrong one is refused, recorded and counted toward the lockout), and the
//! signature binds the SHA-256 of the version's exact content. Listing recomputes that
//! hash, so a signature moved to another record shows as not valid.

use crate::ServiceError;
use crate::authz::{Action, require, roles_for_meaning};
use crate::lockout::{self, Attempt, During};
use audit::{Actor, EventDraft, RequestContext};
use serde::Serialize;
use store::documents;
use store::signatures::{NewSignature, SignatureInfo};
use store::{Meaning, Principal, Store};
use uuid::Uuid;

/// The record type of a document version's signatures.
pub const DOCUMENT_VERSION: &str = "document_version";

/// A stored signature (signer id and printed name, meaning, time, record hash, audit
/// sequence number, `manifestation`) and whether the record still hashes to it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureView {
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub signature: SignatureInfo,
    /// The record's content still hashes to `record_sha256` (§11.70).
    pub valid: bool,
}

fn view(s: SignatureInfo, current_sha: &str) -> SignatureView {
    SignatureView {
        valid: s.record_sha256 == current_sha,
        signature: s,
    }
}

/// The record id and content SHA-256 of a version of the caller's tenant.
async fn record_sha(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: i32,
) -> Result<(String, String), ServiceError> {
    let v = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move { documents::get_version(txn, id, version).await })
        })
        .await?
        .ok_or(ServiceError::NotFound("document version"))?;
    Ok((
        format!("{id}/v{version}"),
        documents::version_record_sha256(&v),
    ))
}

/// Sign version `version` of document `id` with `meaning`, the password given again.
pub async fn sign_version(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: i32,
    meaning: Meaning,
    password: &str,
    request: RequestContext,
) -> Result<SignatureView, ServiceError> {
    require(who, Action::Sign)?;
    if !who.has_any(roles_for_meaning(meaning)) {
        return Err(ServiceError::Forbidden);
    }
    let (record_id, sha) = record_sha(store, who, id, version).await?;
    let actor = Actor::user(
        who.user_id.to_string(),
        who.username.clone(),
        who.display_name.clone(),
    );
    let tenant = who.tenant.as_str();
    lockout::gate(
        store,
        &Attempt {
            tenant,
            username: &who.username,
            actor: actor.clone(),
            entity_id: who.user_id.to_string(),
            during: During::Signature,
            request: request.clone(),
        },
    )
    .await?;
    if !store.verify_user_password(who.user_id, password).await? {
        lockout::count_failure(store, tenant, &who.username).await?;
        let mut d = EventDraft::new(
            actor,
            "signature.refused",
            DOCUMENT_VERSION,
            Some(record_id),
        );
        d.new_value = Some(serde_json::json!({
            "meaning": meaning, "record_sha256": sha, "cause": "wrong password"
        }));
        d.request = request;
        store.record_now(&who.tenant, d).await?;
        return Err(store::StoreError::SignatureRefused.into());
    }
    let s = store
        .insert_signature(
            who,
            NewSignature {
                record_type: DOCUMENT_VERSION.into(),
                record_id,
                record_sha256: sha.clone(),
                meaning,
            },
            request,
        )
        .await?;
    Ok(view(s, &sha))
}

/// The signatures of a version, each checked against the version's current content.
pub async fn version_signatures(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: i32,
) -> Result<Vec<SignatureView>, ServiceError> {
    require(who, Action::Read)?;
    let (record_id, sha) = record_sha(store, who, id, version).await?;
    let sigs = store
        .signatures_of(&who.tenant, DOCUMENT_VERSION, &record_id)
        .await?;
    Ok(sigs.into_iter().map(|s| view(s, &sha)).collect())
}

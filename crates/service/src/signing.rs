//! Electronic signatures on a document version (21 CFR Part 11 §11.50, §11.70, §11.200):
//! the session identifies the signer, the role must allow the meaning, the password is
//! asked again (a wrong one is refused, recorded and counted toward the lockout), the
//! separation-of-duties policy ([`crate::signature_policy`]) is checked in the same unit of
//! work as the signature (a refusal is recorded as `signature.refused`), and the signature
//! binds the SHA-256 of the version's exact content. Listing recomputes that hash and checks
//! each signature against its `signature.sign` event, so a signature moved to another
//! record, or a row inserted behind the application's back, shows as not valid.

use crate::ServiceError;
use crate::authz::{Action, require, roles_for_meaning};
use crate::lockout::{self, Attempt, During};
use crate::signature_policy::{self, Prior, Refusal};
use audit::{Actor, Event, EventDraft, RequestContext};
use serde::Serialize;
use std::collections::HashMap;
use store::documents;
use store::signatures::{self, NewSignature, SignatureInfo};
use store::{DatabaseTransaction, DocState, Meaning, Principal, Store, StoreError};
use uuid::Uuid;

/// The record type of a document version's signatures.
pub const DOCUMENT_VERSION: &str = "document_version";

/// A stored signature (signer id and printed name, meaning, time, record hash, audit
/// sequence number, `manifestation`) and whether it is valid: attested by its audit event
/// and the record still hashing to it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureView {
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub signature: SignatureInfo,
    /// Its `signature.sign` event attests it and the record's content still hashes to
    /// `record_sha256` (§11.70).
    pub valid: bool,
    /// Why it is not valid, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_because: Option<String>,
}

fn view(s: SignatureInfo, current_sha: &str, events: &HashMap<i64, Event>) -> SignatureView {
    let problem = match audit::attest_signature(&s.claim(), events.get(&s.audit_seq)) {
        Err(p) => Some(p),
        Ok(()) if s.record_sha256 != current_sha => {
            Some("the record's content no longer hashes to the signed SHA-256".to_owned())
        }
        Ok(()) => None,
    };
    SignatureView {
        valid: problem.is_none(),
        invalid_because: problem,
        signature: s,
    }
}

/// A version's author, record id, content hash and signatures, each checked (in `txn`).
struct Record {
    author: Uuid,
    record_id: String,
    sha: String,
    signatures: Vec<SignatureView>,
}

async fn load_record(
    txn: &DatabaseTransaction,
    id: Uuid,
    version: i32,
) -> Result<Record, StoreError> {
    let v = documents::get_version(txn, id, version)
        .await?
        .ok_or(StoreError::NotFound("document version"))?;
    let record_id = format!("{id}/v{version}");
    let sha = documents::version_record_sha256(&v);
    let sigs = signatures::of_record(txn, DOCUMENT_VERSION, &record_id).await?;
    let seqs: Vec<i64> = sigs.iter().map(|s| s.audit_seq).collect();
    let events = store::audit_log::events_at(txn, &seqs).await?;
    Ok(Record {
        author: v.created_by,
        signatures: sigs.into_iter().map(|s| view(s, &sha, &events)).collect(),
        record_id,
        sha,
    })
}

/// The `signature.refused` event: who, which meaning on which record, and why.
fn refused(
    actor: &Actor,
    meaning: Meaning,
    record_id: String,
    sha: &str,
    cause: &str,
    detail: Option<String>,
    request: &RequestContext,
) -> EventDraft {
    let mut d = EventDraft::new(
        actor.clone(),
        "signature.refused",
        DOCUMENT_VERSION,
        Some(record_id),
    );
    d.new_value = Some(serde_json::json!({
        "meaning": meaning, "record_sha256": sha, "cause": cause, "detail": detail,
    }));
    d.request = request.clone();
    d
}

/// What the unit of work decided.
enum Outcome {
    Signed(Box<SignatureView>),
    Refused(Refusal),
    /// The version's review state does not allow it (code, what to do).
    State(&'static str, String),
}

/// Whether the version's review state allows a signature with `meaning`: on a locked
/// (approved or rejected) version only `responsible`, which the policy puts after approval
/// and which changes nothing of the record; `approved` and `rejected` only once it is
/// reviewed (every suggestion decided, Part 11 §11.10(f)). `Some((code, detail))` when not.
fn state_refusal(state: DocState, meaning: Meaning) -> Option<(&'static str, String)> {
    if crate::review::jobs::locked(state) && meaning != Meaning::Responsible {
        return Some((
            "version_locked",
            format!("this version is {state} and locked; upload a new version to sign again"),
        ));
    }
    if matches!(meaning, Meaning::Approved | Meaning::Rejected) && state != DocState::Reviewed {
        return Some((
            "not_reviewed",
            format!(
                "this version is {state}: it can be {meaning} only once an analysis finished and every suggestion was decided"
            ),
        ));
    }
    None
}

/// The signer as the trail names them.
pub(crate) fn signer_actor(who: &Principal) -> Actor {
    Actor::user(
        who.user_id.to_string(),
        who.username.clone(),
        who.display_name.clone(),
    )
}

/// The password given again for a signature (§11.200(a)(1)): through the lockout gate
/// (rate limits, at most five failures reach the check); a wrong one is refused with
/// [`StoreError::SignatureRefused`], counted, and recorded by the event `refused` builds.
pub(crate) async fn confirm_password<F, Fut>(
    store: &Store,
    attempts: &crate::attempts::Attempts,
    who: &Principal,
    password: &str,
    request: &RequestContext,
    refused: F,
) -> Result<(), ServiceError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<EventDraft, ServiceError>>,
{
    let tenant = who.tenant.as_str();
    let attempt = lockout::gate(
        store,
        attempts,
        &Attempt {
            tenant,
            username: &who.username,
            actor: signer_actor(who),
            entity_id: who.user_id.to_string(),
            during: During::Signature,
            request: request.clone(),
        },
    )
    .await?;
    if !store.verify_user_password(who.user_id, password).await? {
        let event = refused().await?;
        lockout::count_failure(store, &attempt, tenant, Some(event)).await?;
        return Err(StoreError::SignatureRefused.into());
    }
    lockout::count_success(store, &attempt).await?;
    Ok(())
}

/// What is signed, and the password given again.
#[derive(Debug, Clone, Copy)]
pub struct SignVersion<'a> {
    /// The document.
    pub id: Uuid,
    pub version: i32,
    pub meaning: Meaning,
    pub password: &'a str,
}

/// Sign a version of a document with a meaning, the password given again.
pub async fn sign_version(
    store: &Store,
    attempts: &crate::attempts::Attempts,
    who: &Principal,
    what: SignVersion<'_>,
    request: RequestContext,
) -> Result<SignatureView, ServiceError> {
    let SignVersion {
        id,
        version,
        meaning,
        password,
    } = what;
    require(who, Action::Sign)?;
    if !who.has_any(roles_for_meaning(meaning)) {
        return Err(ServiceError::Forbidden);
    }
    // An unknown version is not found before any password is looked at (or counted).
    store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move { documents::get_version(txn, id, version).await })
        })
        .await?
        .ok_or(ServiceError::NotFound("document version"))?;
    let actor = signer_actor(who);
    confirm_password(store, attempts, who, password, &request, || async {
        let (record_id, sha) = store
            .tenant_read(&who.tenant, move |txn| {
                Box::pin(async move {
                    let r = load_record(txn, id, version).await?;
                    Ok((r.record_id, r.sha))
                })
            })
            .await?;
        Ok(refused(
            &actor,
            meaning,
            record_id,
            &sha,
            "wrong password",
            None,
            &request,
        ))
    })
    .await?;
    let signer = who.clone();
    let outcome = store
        .tenant_write(&who.tenant, move |uow| {
            Box::pin(async move {
                let r = load_record(uow.txn(), id, version).await?;
                let prior: Vec<Prior> = r
                    .signatures
                    .iter()
                    .filter(|s| s.valid)
                    .filter_map(|s| {
                        Some(Prior {
                            signer: s.signature.signer_user_id.parse().ok()?,
                            meaning: s.signature.meaning,
                        })
                    })
                    .collect();
                if let Err(why) = signature_policy::check(meaning, signer.user_id, r.author, &prior)
                {
                    uow.record(refused(
                        &actor,
                        meaning,
                        r.record_id,
                        &r.sha,
                        why.cause(),
                        Some(why.to_string()),
                        &request,
                    ))
                    .await?;
                    return Ok(Outcome::Refused(why));
                }
                let state = store::review::version_state(uow.txn(), id, version).await?;
                if let Some((code, detail)) = state_refusal(state, meaning) {
                    uow.record(refused(
                        &actor,
                        meaning,
                        r.record_id,
                        &r.sha,
                        code,
                        Some(detail.clone()),
                        &request,
                    ))
                    .await?;
                    return Ok(Outcome::State(code, detail));
                }
                let to = match meaning {
                    Meaning::Approved => Some(DocState::Approved),
                    Meaning::Rejected => Some(DocState::Rejected),
                    _ => None,
                };
                if let Some(to) = to {
                    store::review::set_version_state(
                        uow.txn(),
                        id,
                        version,
                        to,
                        Some(signer.user_id),
                        Some(format!("signed {meaning}")),
                    )
                    .await?;
                    let by = store::By::principal(&signer, request.clone());
                    uow.record(crate::review::state_event(
                        &by, id, version, state, to, None,
                    ))
                    .await?;
                }
                let s = signatures::insert(
                    uow,
                    &signer,
                    NewSignature {
                        record_type: DOCUMENT_VERSION.into(),
                        record_id: r.record_id,
                        record_sha256: r.sha.clone(),
                        meaning,
                    },
                    request.clone(),
                )
                .await?;
                Ok(Outcome::Signed(Box::new(SignatureView {
                    signature: s,
                    valid: true,
                    invalid_because: None,
                })))
            })
        })
        .await?;
    match outcome {
        Outcome::Signed(v) => Ok(*v),
        Outcome::Refused(why) => Err(ServiceError::SignaturePolicy(why)),
        Outcome::State(code, detail) => Err(ServiceError::Conflict { code, detail }),
    }
}

/// The signatures of a version, each checked against its audit event and the version's
/// current content.
pub async fn version_signatures(
    store: &Store,
    who: &Principal,
    id: Uuid,
    version: i32,
) -> Result<Vec<SignatureView>, ServiceError> {
    require(who, Action::Read)?;
    Ok(store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move { Ok(load_record(txn, id, version).await?.signatures) })
        })
        .await?)
}

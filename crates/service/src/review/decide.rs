//! Deciding: a reviewer accepts, edits or rejects a suggestion, or suppresses a finding,
//! each with an electronic signature (the password again, the lockout), in one unit of work
//! with its audit event (old and new state). Refused: a blocked proposal (409 naming the
//! reasons), a warned one without a reason, a rejection without a reason code (`other`
//! also needs the text), a suggestion already decided, a locked version, and anyone who
//! requested the analysis or authored the version (separation of duties, whatever their
//! roles). An edit is the reviewer's own text: cross-checked against the original again
//! and stored as its own suggestion with its own verdict; a blocked edit is refused too.

use super::jobs::{locked, locked_conflict};
use super::read::{SuggestionView, suggestion_view};
use crate::ServiceError;
use crate::authz::{Action, require, roles_for_meaning};
use crate::signing::{confirm_password, signer_actor};
use audit::{EventDraft, RequestContext};
use rule_engine::{RuleSet, Verdict};
use serde::{Deserialize, Serialize};
use store::review::{self, NewDecision, NewSuggestion};
use store::signatures::{self, NewSignature};
use store::{
    By, Decision, DocState, Meaning, Principal, ReasonCode, Store, StoreError, SuggestionSource,
    SuggestionStatus,
};
use uuid::Uuid;

/// The record type of a suggestion's signature.
pub const SUGGESTION: &str = "suggestion";
/// The record type of a finding's suppression signature.
pub const FINDING: &str = "finding";

/// The signature of a decision: the password again and what it means (`reviewed`, or
/// `approved` for an acceptance, `rejected` for a rejection).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureInput {
    pub password: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::decision_meaning))]
    pub meaning: Meaning,
}

/// The signature of a suppression: the password again, meaning `reviewed`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuppressionSignature {
    pub password: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::suppression_meaning))]
    pub meaning: Meaning,
}

/// A decision as a reviewer sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::decision))]
    pub decision: Decision,
    /// The reviewer's own text (`edit` only).
    #[serde(default)]
    pub text: Option<String>,
    /// Why (`reject`: required; `not_useful`, `changes_meaning`, `style`, `other`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::reason_code))]
    pub reason_code: Option<ReasonCode>,
    /// Free text: required to accept a `warn`, and with `other`.
    #[serde(default)]
    pub reason: Option<String>,
    pub signature: SignatureInput,
}

/// What a decision stored.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionOutcome {
    pub suggestion: SuggestionView,
    /// The reviewer's edit, stored as its own suggestion.
    pub edit: Option<SuggestionView>,
    pub decision_id: Uuid,
    pub signature_id: String,
    /// The version's review state after the decision.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version_state: DocState,
}

/// Most characters of a reason or an edit.
const MAX_TEXT: usize = 4000;

fn reason_text(r: &Option<String>) -> Option<String> {
    r.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// 409 naming the blocking reasons of a cross-check (as stored: JSON).
fn blocked_conflict(what: &str, check: &serde_json::Value) -> ServiceError {
    let named: Vec<String> = check["reasons"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|r| r["level"] == "block")
        .map(|r| {
            format!(
                "{} ({})",
                r["kind"].as_str().unwrap_or("?"),
                r["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    ServiceError::Conflict {
        code: "blocked",
        detail: format!(
            "{what} was blocked by the dual-control check and can never be accepted: {}",
            named.join("; ")
        ),
    }
}

/// Check the input against itself (before any password is looked at).
fn validate(input: &DecisionInput) -> Result<(), ServiceError> {
    let meaning_ok = match input.decision {
        Decision::Accept | Decision::Edit => {
            matches!(
                input.signature.meaning,
                Meaning::Reviewed | Meaning::Approved
            )
        }
        Decision::Reject => {
            matches!(
                input.signature.meaning,
                Meaning::Reviewed | Meaning::Rejected
            )
        }
    };
    if !meaning_ok {
        return Err(ServiceError::Invalid(format!(
            "a decision to {} is signed as reviewed or {}",
            input.decision,
            if input.decision == Decision::Reject {
                "rejected"
            } else {
                "approved"
            }
        )));
    }
    if input.reason.as_deref().is_some_and(|r| r.len() > MAX_TEXT)
        || input.text.as_deref().is_some_and(|t| t.len() > MAX_TEXT)
    {
        return Err(ServiceError::Invalid(format!(
            "reason and text: at most {MAX_TEXT} bytes"
        )));
    }
    match input.decision {
        Decision::Edit if reason_text(&input.text).is_none() => Err(ServiceError::Incomplete {
            code: "text_required",
            detail: "an edit needs the reviewer's text".into(),
        }),
        Decision::Reject if input.reason_code.is_none() => Err(ServiceError::Incomplete {
            code: "reason_required",
            detail: format!(
                "a rejection needs a reason_code: one of {}",
                ReasonCode::names()
            ),
        }),
        Decision::Reject
            if input.reason_code == Some(ReasonCode::Other)
                && reason_text(&input.reason).is_none() =>
        {
            Err(ServiceError::Incomplete {
                code: "reason_required",
                detail: "reason_code other needs the reason as text".into(),
            })
        }
        Decision::Accept | Decision::Reject if input.text.is_some() => {
            Err(ServiceError::Invalid("text is for an edit only".into()))
        }
        _ => Ok(()),
    }
}

/// What the decision is checked against: the suggestion, its job's requester, the
/// version's author and state, and the definitions the document made before the sentence.
struct Context {
    suggestion: review::Suggestion,
    requested_by: Uuid,
    author: Uuid,
    state: DocState,
    earlier: rule_engine::Definitions,
}

async fn load_context(
    txn: &store::DatabaseTransaction,
    id: Uuid,
) -> Result<Option<Context>, StoreError> {
    let Some(s) = review::get_suggestion(txn, id).await? else {
        return Ok(None);
    };
    let job = store::jobs::get(txn, s.job_id)
        .await?
        .ok_or(StoreError::NotFound("analysis job"))?;
    let v = store::documents::get_version(txn, s.document_id, s.version)
        .await?
        .ok_or(StoreError::NotFound("document version"))?;
    let state = review::version_state(txn, s.document_id, s.version).await?;
    let earlier = serde_json::from_str::<ingest::Document>(&v.structure)
        .ok()
        .and_then(|doc| {
            crate::analysis::candidates(&doc, usize::MAX)
                .candidates
                .into_iter()
                .find(|c| c.anchor == s.anchor)
                .map(|c| c.earlier)
        })
        .unwrap_or_default();
    Ok(Some(Context {
        suggestion: s,
        requested_by: job.requested_by,
        author: v.created_by,
        state,
        earlier,
    }))
}

fn separation(who: &Principal, requested_by: Uuid, author: Uuid) -> Result<(), ServiceError> {
    if who.user_id == requested_by {
        return Err(ServiceError::SeparationOfDuties(
            "you requested this analysis; another reviewer decides on its suggestions".into(),
        ));
    }
    if who.user_id == author {
        return Err(ServiceError::SeparationOfDuties(
            "you authored this version; another reviewer decides on its suggestions".into(),
        ));
    }
    Ok(())
}

/// The SHA-256 a decision's signature binds: the suggestion, its original and final text,
/// and the decision.
fn decision_sha(s: &review::Suggestion, final_text: &str, decision: Decision) -> String {
    super::sha256_hex(&format!(
        "dualcheck.decision.v1\n{}\n{}\n{}\n{}\n{}",
        s.id,
        decision,
        super::sha256_hex(&s.original),
        super::sha256_hex(&s.proposal),
        super::sha256_hex(final_text)
    ))
}

/// Decide on a suggestion (QA, managers), signed.
pub async fn decide(
    store: &Store,
    attempts: &crate::attempts::Attempts,
    rules: &RuleSet,
    who: &Principal,
    id: Uuid,
    input: DecisionInput,
    request: RequestContext,
) -> Result<DecisionOutcome, ServiceError> {
    require(who, Action::Decide)?;
    if !who.has_any(roles_for_meaning(input.signature.meaning)) {
        return Err(ServiceError::Forbidden);
    }
    validate(&input)?;
    let ctx = store
        .tenant_read(&who.tenant, move |txn| Box::pin(load_context(txn, id)))
        .await?
        .ok_or(ServiceError::NotFound("suggestion"))?;
    separation(who, ctx.requested_by, ctx.author)?;
    let s = &ctx.suggestion;
    if locked(ctx.state) {
        return Err(locked_conflict(ctx.state));
    }
    let status = SuggestionStatus::parse(&s.status)?;
    let check: serde_json::Value = serde_json::from_str(&s.check_json)
        .map_err(|e| ServiceError::Internal(format!("stored cross-check: {e}")))?;
    let verdict = Verdict::from_name(&s.verdict)
        .ok_or_else(|| ServiceError::Internal(format!("stored verdict {:?}", s.verdict)))?;
    if input.decision == Decision::Accept && verdict == Verdict::Block {
        return Err(blocked_conflict("this proposal", &check));
    }
    if !matches!(status, SuggestionStatus::Open | SuggestionStatus::Blocked) {
        return Err(ServiceError::Conflict {
            code: "already_decided",
            detail: format!("this suggestion is already {status}"),
        });
    }
    let reason = reason_text(&input.reason);
    if input.decision == Decision::Accept && verdict == Verdict::Warn && reason.is_none() {
        return Err(ServiceError::Incomplete {
            code: "reason_required",
            detail: "this proposal has warnings: accepting it needs your reason".into(),
        });
    }
    // An edit: the reviewer's text, cross-checked against the original again.
    let edit = match (&input.decision, reason_text(&input.text)) {
        (Decision::Edit, Some(text)) => {
            let c = rule_engine::crosscheck_in_document(
                &s.original,
                &text,
                rules,
                &rules.lexicon,
                &ctx.earlier,
            );
            if c.verdict == Verdict::Block {
                let json = serde_json::to_value(&c).unwrap_or_default();
                return Err(blocked_conflict("your edit", &json));
            }
            if c.verdict == Verdict::Warn && reason.is_none() {
                return Err(ServiceError::Incomplete {
                    code: "reason_required",
                    detail: "your edit has warnings: it needs your reason".into(),
                });
            }
            Some((text, c))
        }
        _ => None,
    };
    let final_text = match (&edit, input.decision) {
        (Some((t, _)), _) => t.clone(),
        (None, Decision::Reject) => s.original.clone(),
        (None, _) => s.proposal.clone(),
    };
    let meaning = input.signature.meaning;
    let record_sha = decision_sha(s, &final_text, input.decision);
    let actor = signer_actor(who);
    let record_id = id.to_string();
    confirm_password(
        store,
        attempts,
        who,
        &input.signature.password,
        &request,
        || async {
            let mut d = EventDraft::new(
                actor.clone(),
                "signature.refused",
                SUGGESTION,
                Some(record_id),
            );
            d.new_value = Some(serde_json::json!({
                "meaning": meaning, "record_sha256": record_sha, "cause": "wrong password",
                "decision": input.decision,
            }));
            d.request = request.clone();
            Ok(d)
        },
    )
    .await?;
    let signer = who.clone();
    let by = By::principal(who, request.clone());
    let decision = input.decision;
    let reason_code = input.reason_code;
    let out = store
        .tenant_write(&who.tenant, move |uow| {
            Box::pin(async move {
                // Again under the tenant's lock: nobody decided meanwhile.
                let ctx = load_context(uow.txn(), id)
                    .await?
                    .ok_or(StoreError::NotFound("suggestion"))?;
                let s = ctx.suggestion;
                let status = SuggestionStatus::parse(&s.status)?;
                if locked(ctx.state)
                    || !matches!(status, SuggestionStatus::Open | SuggestionStatus::Blocked)
                {
                    return Ok(None);
                }
                let edit_row = match edit {
                    Some((text, c)) => {
                        let row = review::insert_suggestion(
                            uow.txn(),
                            NewSuggestion {
                                key: format!("edit/{}", Uuid::new_v4()),
                                job_id: s.job_id,
                                document_id: s.document_id,
                                version: s.version,
                                anchor: s.anchor.clone(),
                                section: s.section.clone(),
                                source: SuggestionSource::Edit,
                                parent_id: Some(s.id),
                                original: s.original.clone(),
                                proposal: text.clone(),
                                verdict: c.verdict.as_str().into(),
                                check_json: serde_json::to_string(&c).unwrap_or_default(),
                                provenance: None,
                                rule_ids: "[]".into(),
                                created_by: Some(signer.user_id),
                            },
                        )
                        .await?
                        .ok_or_else(|| StoreError::Internal("edit key collision".into()))?;
                        let mut e =
                            by.draft("suggestion.create", SUGGESTION, Some(row.id.to_string()));
                        e.new_value = Some(serde_json::json!({
                            "source": "edit", "parent_id": s.id, "anchor": s.anchor,
                            "verdict": row.verdict, "output_sha256": super::sha256_hex(&text),
                        }));
                        uow.record(e).await?;
                        Some(row)
                    }
                    None => None,
                };
                let target_id = edit_row.as_ref().map_or(s.id, |r| r.id);
                let sig = signatures::insert(
                    uow,
                    &signer,
                    NewSignature {
                        record_type: SUGGESTION.into(),
                        record_id: target_id.to_string(),
                        record_sha256: record_sha,
                        meaning,
                    },
                    request.clone(),
                )
                .await?;
                let new_status = match decision {
                    Decision::Accept => SuggestionStatus::Accepted,
                    Decision::Edit => SuggestionStatus::Edited,
                    Decision::Reject => SuggestionStatus::Rejected,
                };
                let d = review::decide(
                    uow.txn(),
                    NewDecision {
                        suggestion_id: s.id,
                        decision,
                        edit_id: edit_row.as_ref().map(|r| r.id),
                        reason_code,
                        reason: reason.clone(),
                        decided_by: signer.user_id,
                        signature_id: sig.id.clone(),
                    },
                    new_status,
                )
                .await?;
                if let Some(r) = &edit_row {
                    review::set_status(uow.txn(), r.id, SuggestionStatus::Accepted).await?;
                }
                // Accepting one suggestion of a sentence supersedes the others still open.
                let superseded = if decision == Decision::Reject {
                    Vec::new()
                } else {
                    review::supersede_siblings(uow.txn(), &s, target_id).await?
                };
                let mut e = by.draft("suggestion.decide", SUGGESTION, Some(s.id.to_string()));
                e.old_value = Some(serde_json::json!({"status": status}));
                e.new_value = Some(serde_json::json!({
                    "status": new_status, "decision": decision, "reason_code": reason_code,
                    "edit_id": edit_row.as_ref().map(|r| r.id), "signature_id": sig.id,
                    "meaning": meaning, "superseded": superseded,
                }));
                e.reason = reason;
                uow.record(e).await?;
                // Every suggestion decided: the version is reviewed.
                let open = review::open_suggestions(uow.txn(), s.job_id).await?;
                let mut state = ctx.state;
                if open == 0 && state == DocState::InReview {
                    review::set_version_state(
                        uow.txn(),
                        s.document_id,
                        s.version,
                        DocState::Reviewed,
                        Some(signer.user_id),
                        Some("every suggestion decided".into()),
                    )
                    .await?;
                    uow.record(super::state_event(
                        &by,
                        s.document_id,
                        s.version,
                        state,
                        DocState::Reviewed,
                        Some("every suggestion decided".into()),
                    ))
                    .await?;
                    state = DocState::Reviewed;
                }
                let s = review::get_suggestion(uow.txn(), s.id)
                    .await?
                    .ok_or(StoreError::NotFound("suggestion"))?;
                let edit_row = match edit_row {
                    Some(r) => review::get_suggestion(uow.txn(), r.id).await?,
                    None => None,
                };
                Ok(Some(DecisionOutcome {
                    suggestion: suggestion_view(s),
                    edit: edit_row.map(suggestion_view),
                    decision_id: d.id,
                    signature_id: sig.id,
                    version_state: state,
                }))
            })
        })
        .await;
    match out {
        Ok(Some(o)) => Ok(o),
        Ok(None) | Err(StoreError::Unrecorded) => Err(ServiceError::Conflict {
            code: "already_decided",
            detail: "this suggestion was decided, or its version locked, meanwhile".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// A suppression as QA sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuppressInput {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4000))]
    pub reason: String,
    pub signature: SuppressionSignature,
}

/// Suppress a finding (QA), with a reason and a signature; it stays listed as suppressed.
pub async fn suppress(
    store: &Store,
    attempts: &crate::attempts::Attempts,
    who: &Principal,
    id: Uuid,
    input: SuppressInput,
    request: RequestContext,
) -> Result<super::read::FindingView, ServiceError> {
    require(who, Action::Suppress)?;
    if input.signature.meaning != Meaning::Reviewed {
        return Err(ServiceError::Invalid(
            "a suppression is signed as reviewed".into(),
        ));
    }
    let Some(reason) = reason_text(&Some(input.reason.clone())).filter(|r| r.len() <= MAX_TEXT)
    else {
        return Err(ServiceError::Incomplete {
            code: "reason_required",
            detail: format!("a suppression needs its reason (1 to {MAX_TEXT} bytes)"),
        });
    };
    let found = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(async move {
                let Some((f, s)) = review::get_finding(txn, id).await? else {
                    return Ok(None);
                };
                let state = review::version_state(txn, f.document_id, f.version).await?;
                Ok(Some((f, s, state)))
            })
        })
        .await?
        .ok_or(ServiceError::NotFound("finding"))?;
    let (f, s, state) = found;
    if locked(state) {
        return Err(locked_conflict(state));
    }
    if s.is_some() {
        return Err(ServiceError::Conflict {
            code: "already_suppressed",
            detail: "this finding is already suppressed".into(),
        });
    }
    let record_sha = super::sha256_hex(&format!(
        "dualcheck.suppression.v1\n{}\n{}\n{}",
        f.id,
        super::sha256_hex(&f.body),
        super::sha256_hex(&reason)
    ));
    let actor = signer_actor(who);
    let record_id = id.to_string();
    let sha = record_sha.clone();
    confirm_password(
        store,
        attempts,
        who,
        &input.signature.password,
        &request,
        || async {
            let mut d =
                EventDraft::new(actor.clone(), "signature.refused", FINDING, Some(record_id));
            d.new_value = Some(serde_json::json!({
                "meaning": Meaning::Reviewed, "record_sha256": sha, "cause": "wrong password",
            }));
            d.request = request.clone();
            Ok(d)
        },
    )
    .await?;
    let signer = who.clone();
    let by = By::principal(who, request.clone());
    let out = store
        .tenant_write(&who.tenant, move |uow| {
            Box::pin(async move {
                let Some((f, None)) = review::get_finding(uow.txn(), id).await? else {
                    return Ok(None);
                };
                let sig = signatures::insert(
                    uow,
                    &signer,
                    NewSignature {
                        record_type: FINDING.into(),
                        record_id: id.to_string(),
                        record_sha256: record_sha,
                        meaning: Meaning::Reviewed,
                    },
                    request.clone(),
                )
                .await?;
                let sup =
                    review::suppress(uow.txn(), id, reason.clone(), signer.user_id, sig.id).await?;
                let mut e = by.draft("finding.suppress", FINDING, Some(id.to_string()));
                e.old_value = Some(serde_json::json!({"status": "open"}));
                e.new_value = Some(serde_json::json!({
                    "status": "suppressed", "rule_id": f.rule_id, "signature_id": sup.signature_id,
                }));
                e.reason = Some(reason);
                uow.record(e).await?;
                Ok(Some(super::read::finding_view(f, Some(sup))))
            })
        })
        .await;
    match out {
        Ok(Some(v)) => Ok(v),
        Ok(None) | Err(StoreError::Unrecorded) => Err(ServiceError::Conflict {
            code: "already_suppressed",
            detail: "this finding was suppressed meanwhile".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(decision: Decision, meaning: Meaning) -> DecisionInput {
        DecisionInput {
            decision,
            text: None,
            reason_code: None,
            reason: None,
            signature: SignatureInput {
                password: "x".into(),
                meaning,
            },
        }
    }

    #[test]
    fn inputs_are_checked_before_any_password() {
        assert!(validate(&input(Decision::Accept, Meaning::Reviewed)).is_ok());
        assert!(validate(&input(Decision::Accept, Meaning::Rejected)).is_err());
        assert!(matches!(
            validate(&input(Decision::Reject, Meaning::Reviewed)),
            Err(ServiceError::Incomplete {
                code: "reason_required",
                ..
            })
        ));
        let mut other = input(Decision::Reject, Meaning::Rejected);
        other.reason_code = Some(ReasonCode::Other);
        assert!(validate(&other).is_err());
        other.reason = Some("clinical sense lost".into());
        assert!(validate(&other).is_ok());
        assert!(matches!(
            validate(&input(Decision::Edit, Meaning::Reviewed)),
            Err(ServiceError::Incomplete {
                code: "text_required",
                ..
            })
        ));
    }
}

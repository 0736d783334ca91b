//! Replay (auditors, QA): a stored model proposal regenerated from its provenance with the
//! pinned model file, the same template and decoding settings, compared byte for byte; the
//! outcome is recorded as `suggestion.replay`. Only the model's own proposals are replayed
//! (a rule-made rewrite is the rules' text; its ranking is in its provenance).

use crate::ServiceError;
use crate::authz::{Action, require};
use crate::models::ModelHub;
use audit::RequestContext;
use serde::Serialize;
use store::{By, Principal, Store, SuggestionSource};
use uuid::Uuid;

/// What a replay found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplayView {
    pub suggestion_id: Uuid,
    /// The regenerated text is byte-identical to the stored proposal.
    pub identical: bool,
    /// Byte offset of the first difference, when not identical.
    pub first_difference: Option<usize>,
    pub model: String,
    pub model_sha256: String,
    pub template_id: String,
    pub recorded_sha256: String,
    pub regenerated_sha256: String,
    pub regenerated: String,
}

fn first_difference(a: &str, b: &str) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => Some(i),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}

/// Replay the model proposal `id`.
pub async fn replay(
    store: &Store,
    hub: &ModelHub,
    who: &Principal,
    id: Uuid,
    request: RequestContext,
) -> Result<ReplayView, ServiceError> {
    require(who, Action::Replay)?;
    let s = store
        .tenant_read(&who.tenant, move |txn| {
            Box::pin(store::review::get_suggestion(txn, id))
        })
        .await?
        .ok_or(ServiceError::NotFound("suggestion"))?;
    if s.source != SuggestionSource::Ai.as_str() {
        return Err(ServiceError::Conflict {
            code: "not_a_model_proposal",
            detail: format!(
                "this suggestion is {} text; only the model's own proposals are replayed",
                s.source
            ),
        });
    }
    let provenance: ai_suggest::Provenance = s
        .provenance
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .ok_or_else(|| ServiceError::Internal("stored provenance unreadable".into()))?;
    let entry = hub
        .manifest()
        .get(&provenance.model)
        .map_err(|_| ServiceError::ModelUnusable {
            model: provenance.model.clone(),
            reason: "the model that made this proposal is not in this installation's manifest"
                .into(),
        })?
        .clone();
    hub.ensure(&entry.name, store).await?;
    let dir = hub.dir().to_path_buf();
    let recorded = ai_suggest::Proposal {
        original: s.original.clone(),
        proposal: s.proposal.clone(),
        provenance: provenance.clone(),
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let mut g = ai_suggest::GgufGenerator::load(&entry, &dir)?;
        ai_suggest::replay(&mut g, &recorded)
    })
    .await
    .map_err(ServiceError::internal)??;
    let view = ReplayView {
        suggestion_id: id,
        identical: outcome.identical,
        first_difference: first_difference(&outcome.recorded, &outcome.regenerated),
        model: provenance.model.clone(),
        model_sha256: provenance.model_sha256.clone(),
        template_id: provenance.template_id.clone(),
        recorded_sha256: super::sha256_hex(&outcome.recorded),
        regenerated_sha256: super::sha256_hex(&outcome.regenerated),
        regenerated: outcome.regenerated,
    };
    let mut e =
        By::principal(who, request).draft("suggestion.replay", "suggestion", Some(id.to_string()));
    e.new_value = Some(serde_json::json!({
        "identical": view.identical,
        "first_difference": view.first_difference,
        "recorded_sha256": view.recorded_sha256,
        "regenerated_sha256": view.regenerated_sha256,
    }));
    e.ai = Some(super::ai_provenance(&provenance));
    store.record_now(&who.tenant, e).await?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_difference_is_a_byte_offset() {
        assert_eq!(super::first_difference("abc", "abc"), None);
        assert_eq!(super::first_difference("abc", "abd"), Some(2));
        assert_eq!(super::first_difference("abc", "abcd"), Some(3));
    }
}

//! Records attested by the chain: a stored electronic signature is only as good as the
//! `signature.sign` event recorded with it. A row inserted behind the application's back,
//! even with a correctly recomputed record hash, has no such event (or borrows another
//! signature's), and [`attest_signature`] says so.

use crate::event::Event;
use serde::Serialize;

/// The action of the event that records a signature.
pub const SIGNATURE_ACTION: &str = "signature.sign";

/// What a stored signature claims, to be checked against its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureClaim<'a> {
    pub id: &'a str,
    pub record_type: &'a str,
    pub record_id: &'a str,
    pub record_sha256: &'a str,
    pub signer_user_id: &'a str,
    pub meaning: &'a str,
    /// The sequence number of the event that should record it.
    pub audit_seq: i64,
}

/// A stored signature the chain does not attest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnattestedSignature {
    pub signature_id: String,
    pub record_id: String,
    pub audit_seq: i64,
    /// Why: no event at that sequence number, another action, or a field that differs.
    pub problem: String,
}

/// `Ok` when `event` (the event at the claim's `audit_seq`, if any) is the `signature.sign`
/// event of this very signature: same signature id, record, signer, meaning and record hash.
pub fn attest_signature(claim: &SignatureClaim<'_>, event: Option<&Event>) -> Result<(), String> {
    let Some(e) = event else {
        return Err(format!(
            "no audit event at sequence {} records it",
            claim.audit_seq
        ));
    };
    if e.action != SIGNATURE_ACTION {
        return Err(format!(
            "the audit event at sequence {} is {}, not {SIGNATURE_ACTION}",
            e.seq, e.action
        ));
    }
    let field = |name: &str| {
        e.new_value
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.as_str())
    };
    let checks: [(&str, Option<&str>, &str); 6] = [
        ("signature id", field("signature_id"), claim.id),
        (
            "record type",
            Some(e.entity_type.as_str()),
            claim.record_type,
        ),
        ("record", e.entity_id.as_deref(), claim.record_id),
        ("record hash", field("record_sha256"), claim.record_sha256),
        ("signer", e.actor.user_id.as_deref(), claim.signer_user_id),
        ("meaning", field("meaning"), claim.meaning),
    ];
    for (what, recorded, stored) in checks {
        if recorded != Some(stored) {
            return Err(format!(
                "its {what} differs from the audit event at sequence {} that should record it",
                e.seq
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::event::{Actor, EventDraft};

    fn event(seq: i64, action: &str, sig: &str, sha: &str) -> Event {
        let mut d = EventDraft::new(
            Actor::user("u1", "wendy", "Wendy"),
            action,
            "document_version",
            Some("doc/v1".into()),
        );
        d.new_value = Some(serde_json::json!({
            "signature_id": sig, "meaning": "authored", "record_sha256": sha,
        }));
        d.seal(seq, chrono::Utc::now(), crate::GENESIS_HASH)
    }

    fn claim<'a>(id: &'a str, sha: &'a str) -> SignatureClaim<'a> {
        SignatureClaim {
            id,
            record_type: "document_version",
            record_id: "doc/v1",
            record_sha256: sha,
            signer_user_id: "u1",
            meaning: "authored",
            audit_seq: 7,
        }
    }

    #[test]
    fn the_signature_event_attests_its_signature() {
        let e = event(7, SIGNATURE_ACTION, "s1", "abc");
        assert_eq!(attest_signature(&claim("s1", "abc"), Some(&e)), Ok(()));
    }

    #[test]
    fn a_forged_row_is_not_attested() {
        let e = event(7, SIGNATURE_ACTION, "s1", "abc");
        // No event, another signature's event, another hash, another action.
        assert!(attest_signature(&claim("s1", "abc"), None).is_err());
        let err = attest_signature(&claim("forged", "abc"), Some(&e)).unwrap_err();
        assert!(err.contains("signature id"), "{err}");
        let err = attest_signature(&claim("s1", "def"), Some(&e)).unwrap_err();
        assert!(err.contains("record hash"), "{err}");
        let login = event(7, "auth.login", "s1", "abc");
        assert!(attest_signature(&claim("s1", "abc"), Some(&login)).is_err());
        let mut other_signer = claim("s1", "abc");
        other_signer.signer_user_id = "u2";
        assert!(attest_signature(&other_signer, Some(&e)).is_err());
    }
}

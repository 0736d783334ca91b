//! The event model: what is recorded for every action.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who acted: a user (id, username and printed name as they were at the time) or the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user's permanent id (never reused); `None` for the system itself (start-up,
    /// scheduled checkpoints).
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub printed_name: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            user_id: None,
            username: None,
            printed_name: Some("system".into()),
        }
    }
    pub fn user(
        id: impl Into<String>,
        username: impl Into<String>,
        printed_name: impl Into<String>,
    ) -> Self {
        Self {
            user_id: Some(id.into()),
            username: Some(username.into()),
            printed_name: Some(printed_name.into()),
        }
    }
}

/// What produced an AI-originated value: enough to replay it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiProvenance {
    pub model: String,
    pub weights_sha256: String,
    pub template_id: String,
    pub template_sha256: String,
    /// Decoding settings (greedy, max tokens, stop sequences...).
    pub decoding: Value,
    pub input_sha256: String,
}

/// The request an action came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An event before it is placed in the chain (sequence number, time and hashes are set by
/// [`EventDraft::seal`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDraft {
    pub actor: Actor,
    /// Dotted verb, e.g. `auth.login`, `document.upload`, `user.update`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// The value before the change (`None` for a creation).
    pub old_value: Option<Value>,
    /// The value after the change (`None` for a deletion).
    pub new_value: Option<Value>,
    pub reason: Option<String>,
    pub ai: Option<AiProvenance>,
    pub request: RequestContext,
}

impl EventDraft {
    pub fn new(actor: Actor, action: &str, entity_type: &str, entity_id: Option<String>) -> Self {
        Self {
            actor,
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id,
            old_value: None,
            new_value: None,
            reason: None,
            ai: None,
            request: RequestContext::default(),
        }
    }

    /// Place the draft in the chain after `prev_hash` as event `seq` at `time`.
    pub fn seal(self, seq: i64, time: DateTime<Utc>, prev_hash: &str) -> Event {
        let mut e = Event {
            seq,
            time: format_time(time),
            actor: self.actor,
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            old_value: self.old_value,
            new_value: self.new_value,
            reason: self.reason,
            ai: self.ai,
            request: self.request,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }
}

/// Time as recorded: RFC 3339, UTC, microseconds, explicit `+00:00` offset.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// One event of the chain, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Gapless, from 1, per tenant.
    pub seq: i64,
    /// RFC 3339 with offset (see [`format_time`]).
    pub time: String,
    pub actor: Actor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub reason: Option<String>,
    pub ai: Option<AiProvenance>,
    pub request: RequestContext,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    /// SHA-256 (hex) of the canonical encoding of every field but `hash` itself.
    pub fn compute_hash(&self) -> String {
        hex::encode(crate::canonical::event_digest(self, self.seq))
    }
}

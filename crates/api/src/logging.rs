//! Log lines on stderr, as `[log]` says: plain text (coloured only on a terminal), or one
//! JSON object per line. Document text, passwords and tokens are never logged: the callers
//! log identifiers, counts and hashes only.

use crate::settings::{Log, LogFormat};
use std::io::IsTerminal;

/// The filter when `[log] filter` is unset: `info` for `serve`, `warn` for the commands.
pub fn default_filter(serving: bool) -> &'static str {
    if serving { "info" } else { "warn" }
}

/// Install the process's log subscriber (once; later calls change nothing). The filter was
/// checked when the settings were loaded.
pub fn init(log: &Log, serving: bool) {
    let directives = log
        .filter
        .clone()
        .unwrap_or_else(|| default_filter(serving).to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter(serving)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
        LogFormat::Plain => builder.with_ansi(false).try_init(),
        LogFormat::Auto => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

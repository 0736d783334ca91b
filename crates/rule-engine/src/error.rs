//! What can go wrong in the rule engine, in terms the caller can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A rule pack cannot be read.
    #[error("rule pack {file}: {reason}")]
    Io { file: PathBuf, reason: String },
    /// A rule pack is malformed: the file, the line and the field to fix.
    #[error("rule pack {file}, line {line}{}: {message}", field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
    Pack {
        file: PathBuf,
        line: usize,
        field: Option<String>,
        message: String,
    },
    /// Two packs define the same rule id.
    #[error("rule {id} is defined twice: in {first} and in {second}")]
    Duplicate {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// The rules directory holds no pack.
    #[error("no rule pack (*.toml) in {0}")]
    Empty(PathBuf),
}

//! The one error type: what went wrong with the package as a whole.
//!
//! A single edit that cannot be applied is not an error: it is reported in
//! [`Revised::skipped`](crate::Revised::skipped) with its [`SkipReason`](crate::SkipReason).

/// Why no revised document could be written. Each variant says what the caller can do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviseError {
    /// The input is larger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    #[error("the file is {size} bytes, more than the {limit} accepted")]
    TooLarge { size: u64, limit: u64 },
    /// The bytes are not a ZIP archive, so not a DOCX package (a PDF or a `.doc`, say).
    #[error("the file is not a DOCX package (a ZIP archive): {detail}")]
    NotAPackage { detail: String },
    /// The ZIP archive is damaged (an entry cannot be inflated, a checksum fails) or
    /// encrypted; re-save the document in Word.
    #[error("the DOCX package is damaged: {detail}")]
    Damaged { detail: String },
    /// The package breaks a safety bound of [`Limits`](crate::Limits) (a zip bomb, or far
    /// more entries or bytes than a document has).
    #[error("the DOCX package exceeds a safety limit: {reason}")]
    LimitExceeded { reason: String },
    /// A part every Word document has is absent.
    #[error("the DOCX package has no {part}, so it is not a complete Word document")]
    MissingPart { part: String },
    /// A part that must be read is not well-formed XML.
    #[error("the part {part} is not well-formed XML near byte {position}: {detail}")]
    MalformedXml {
        part: String,
        position: u64,
        detail: String,
    },
    /// Valid, but of a kind this writer does not handle (Strict Open XML, UTF-16 parts).
    #[error("the document uses something this writer does not support: {reason}")]
    Unsupported { reason: String },
    /// Building the output failed (an internal fault, not the input's).
    #[error("the revised document could not be written: {detail}")]
    Write { detail: String },
}

impl ReviseError {
    /// A stable machine code (`too_large`, `not_a_package`, `damaged`, `limit_exceeded`,
    /// `missing_part`, `malformed_xml`, `unsupported`, `write_failed`).
    pub fn code(&self) -> &'static str {
        match self {
            ReviseError::TooLarge { .. } => "too_large",
            ReviseError::NotAPackage { .. } => "not_a_package",
            ReviseError::Damaged { .. } => "damaged",
            ReviseError::LimitExceeded { .. } => "limit_exceeded",
            ReviseError::MissingPart { .. } => "missing_part",
            ReviseError::MalformedXml { .. } => "malformed_xml",
            ReviseError::Unsupported { .. } => "unsupported",
            ReviseError::Write { .. } => "write_failed",
        }
    }

    /// Whether the input is at fault (as opposed to [`ReviseError::Write`]).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, ReviseError::Write { .. })
    }

    pub(crate) fn malformed(part: &str, position: u64, detail: impl ToString) -> Self {
        ReviseError::MalformedXml {
            part: part.to_string(),
            position,
            detail: detail.to_string(),
        }
    }

    pub(crate) fn write(detail: impl ToString) -> Self {
        ReviseError::Write {
            detail: detail.to_string(),
        }
    }
}

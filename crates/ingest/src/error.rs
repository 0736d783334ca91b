//! The one error type of this crate. Every variant says what the caller can do about it.

/// Why a file could not be turned into a [`crate::Document`].
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the file is empty (0 bytes); upload the document again")]
    Empty,

    #[error(
        "the file is {size} bytes, over the limit of {limit} bytes; split the document or raise the limit (server.max_upload_bytes)"
    )]
    TooLarge { size: u64, limit: u64 },

    #[error(
        "the PDF has {pages} pages, over the limit of {limit}; split the document or raise the limit (ingest.max_pages)"
    )]
    TooManyPages { pages: u64, limit: u32 },

    #[error(
        "unsupported format ({detected}); dualcheck reads PDF and DOCX (Word 2007 and later) files"
    )]
    UnsupportedFormat { detected: String },

    #[error(
        "the PDF is encrypted or password-protected; remove the protection and upload it again"
    )]
    Encrypted,

    #[error(
        "the {format} file is malformed: {reason}; re-export it from the authoring tool and try again"
    )]
    Malformed {
        format: &'static str,
        reason: String,
    },

    /// A parser stopped on data it did not expect (a panic, caught). The message shown is
    /// generic; `detail` (the panic text) is for the operator's log only
    /// ([`IngestError::log_detail`]), never for the client.
    #[error(
        "the {format} file could not be read (the parser stopped on unexpected data); re-export it from the authoring tool and try again"
    )]
    ParserFailed {
        format: &'static str,
        detail: String,
    },

    #[error(
        "the DOCX expands to more than allowed ({reason}); it may be a zip bomb, or the limits (ingest.max_uncompressed_bytes, ingest.max_compression_ratio) need raising"
    )]
    ArchiveLimits { reason: String },

    #[error(
        "the PDF's compressed content expands to more than {limit} bytes; it may be built to exhaust the reader, or the limit (ingest.max_decoded_bytes) needs raising"
    )]
    DecodedLimit { limit: u64 },
}

impl IngestError {
    pub(crate) fn malformed(format: &'static str, reason: impl Into<String>) -> Self {
        IngestError::Malformed {
            format,
            reason: reason.into(),
        }
    }

    /// What the operator's log may hold beyond the message: the caught panic's text.
    pub fn log_detail(&self) -> Option<&str> {
        match self {
            IngestError::ParserFailed { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// A stable machine code for the error (used in API problem types and CLI output).
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Empty => "empty_file",
            IngestError::TooLarge { .. } => "too_large",
            IngestError::TooManyPages { .. } => "too_many_pages",
            IngestError::UnsupportedFormat { .. } => "unsupported_format",
            IngestError::Encrypted => "encrypted",
            IngestError::Malformed { .. } | IngestError::ParserFailed { .. } => "malformed",
            IngestError::ArchiveLimits { .. } => "archive_limits",
            IngestError::DecodedLimit { .. } => "decoded_limit",
        }
    }
}

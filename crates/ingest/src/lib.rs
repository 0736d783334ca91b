//! # dualcheck-ingest
//!
//! Turns the bytes of a clinical document (PDF through `lopdf`, DOCX through `docx-rs`) into
//! a structured [`Document`]: metadata, body blocks in reading order (headings with their
//! section numbers, paragraphs, list items, tables), the sentences of each, and the page
//! furniture (running headers and footers) and table of contents kept apart from the body.
//!
//! ```no_run
//! let bytes = std::fs::read("protocol.pdf").unwrap();
//! let doc = ingest::parse(&bytes).unwrap();
//! for h in doc.headings() {
//!     println!("{}", h.text);
//! }
//! ```
//!
//! Bad input never panics: every failure is an [`IngestError`] that tells the user what to
//! do, and third-party parsers are run behind a panic guard.

mod assemble;
mod detect;
mod docx;
mod error;
mod model;
mod pdf;
pub mod sentences;

pub use assemble::RawBlock;
pub use detect::detect;
pub use error::IngestError;
pub use model::*;

use sha2::{Digest, Sha256};

/// Bounds on what `ingest` accepts. The defaults suit clinical documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest input accepted, in bytes (default 50 MB).
    pub max_bytes: u64,
    /// Largest total uncompressed size of a DOCX archive (default 256 MiB).
    pub max_uncompressed_bytes: u64,
    /// Largest uncompressed/compressed ratio of any DOCX part (default 100).
    pub max_compression_ratio: u64,
    /// Largest number of PDF pages read (default 5,000).
    pub max_pages: u32,
    /// Largest total of bytes decoded from a PDF's compressed content streams, over all
    /// pages (a form drawn on every page counts each time; default 512 MiB).
    pub max_decoded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 50_000_000,
            max_uncompressed_bytes: 256 * 1024 * 1024,
            max_compression_ratio: 100,
            max_pages: 5_000,
            max_decoded_bytes: 512 * 1024 * 1024,
        }
    }
}

/// Parse with the default [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<Document, IngestError> {
    parse_with(bytes, &Limits::default())
}

/// Detect the format from the bytes and parse them.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Document, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty);
    }
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(IngestError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    let format = detect(bytes)?;
    guarded(format, || match format {
        Format::Pdf => pdf::parse(bytes, limits),
        Format::Docx => docx::parse(bytes, limits),
    })
}

/// Run a parser behind the panic guard: a panic becomes [`IngestError::ParserFailed`],
/// whose message is generic and whose panic text is kept for the log only.
fn guarded(
    format: Format,
    parse: impl FnOnce() -> Result<Document, IngestError>,
) -> Result<Document, IngestError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            Err(IngestError::ParserFailed {
                format: format.as_str(),
                detail: what,
            })
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn a_parser_panic_is_a_generic_error_with_the_text_for_the_log() {
        let e = guarded(Format::Pdf, || {
            panic!("index 7 out of range in /secret/path")
        })
        .expect_err("a panic is an error");
        assert_eq!(e.code(), "malformed");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert_eq!(e.log_detail(), Some("index 7 out of range in /secret/path"));
    }
}

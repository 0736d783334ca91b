//! Format detection from the bytes, never from a file name.

use crate::{Format, IngestError};

/// Sniff the format from magic bytes (and, for ZIP, the presence of a Word main part).
pub fn detect(bytes: &[u8]) -> Result<Format, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty);
    }
    // PDF: `%PDF-` must appear within the first 1024 bytes (some producers prepend junk).
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        // Any OOXML container starts like this; DOCX is told apart by its main part name.
        if contains(bytes, b"word/document.xml") || contains(bytes, b"[Content_Types].xml") {
            if contains(bytes, b"word/") {
                return Ok(Format::Docx);
            }
            if contains(bytes, b"xl/") {
                return unsupported("an Excel workbook (XLSX)");
            }
            if contains(bytes, b"ppt/") {
                return unsupported("a PowerPoint presentation (PPTX)");
            }
        }
        return unsupported("a ZIP archive that is not a Word document");
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return unsupported("a legacy Office file (DOC/XLS); save it as DOCX");
    }
    if bytes.starts_with(b"{\\rtf") {
        return unsupported("RTF; save it as DOCX");
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G']) || bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return unsupported("an image");
    }
    if std::str::from_utf8(head).is_ok() {
        return unsupported("plain text");
    }
    unsupported("unknown binary data")
}

fn unsupported(what: &str) -> Result<Format, IngestError> {
    Err(IngestError::UnsupportedFormat {
        detected: what.to_string(),
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(detect(b"%PDF-1.7\n...").ok(), Some(Format::Pdf));
        assert!(matches!(detect(b""), Err(IngestError::Empty)));
        assert!(matches!(
            detect(b"hello world"),
            Err(IngestError::UnsupportedFormat { .. })
        ));
        assert!(matches!(
            detect(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Err(IngestError::UnsupportedFormat { .. })
        ));
    }
}

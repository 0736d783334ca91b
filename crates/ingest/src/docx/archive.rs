//! The ZIP container of a DOCX, checked before any XML parser sees it.
//!
//! Two passes guard against zip bombs:
//! 1. the central directory: the declared total uncompressed size must stay within
//!    [`Limits::max_uncompressed_bytes`], and every entry larger than [`RATIO_EXEMPT_BYTES`]
//!    must declare an uncompressed/compressed ratio within [`Limits::max_compression_ratio`];
//! 2. every entry is then *stream-read* with a hard cap, so an archive that lies about its
//!    sizes is caught on the bytes it really inflates to, not on what it claims.
//!
//! Every XML part is also held to [`MAX_XML_PART_BYTES`], which bounds the memory the XML
//! readers need.
//!
//! The parts the DOCX back-end reads itself (XML and relationship parts) are kept from the
//! second pass, so they are inflated only once.

use crate::{IngestError, Limits};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Entries smaller than this (uncompressed) are not held to the compression-ratio limit:
/// small XML parts full of repeated markup legitimately compress very well.
pub(crate) const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;

/// Largest single XML part accepted. docx-rs holds a parsed part in memory at roughly 25
/// times its size (a 56 MB `document.xml` of 300,000 paragraphs peaks at 1.4 GB), so this
/// bounds memory whatever the archive-wide limits are. A 500-page clinical study report's
/// `document.xml` is typically 5 to 40 MB.
pub(crate) const MAX_XML_PART_BYTES: u64 = 64 * 1024 * 1024;

/// Most entries a DOCX may have; real documents have tens, a few hundred with many images.
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// The checked archive: the XML parts by name (`/`-separated, no leading slash).
#[derive(Debug, Default)]
pub(crate) struct Parts {
    xml: HashMap<String, Vec<u8>>,
}

impl Parts {
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.xml
            .get(name.trim_start_matches('/'))
            .map(Vec::as_slice)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.xml.keys().map(String::as_str)
    }

    /// A new package (stored, uncompressed) of these XML parts plus `name` holding
    /// `bytes`: for a reader that requires a part the format does not.
    pub(crate) fn repackaged_with(&self, name: &str, bytes: &[u8]) -> Result<Vec<u8>, IngestError> {
        use std::io::Write;
        let io =
            |e: std::io::Error| IngestError::malformed("DOCX", format!("repackaging failed ({e})"));
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut names: Vec<&String> = self.xml.keys().collect();
        names.sort_unstable();
        for n in names {
            w.start_file(n.as_str(), opts).map_err(zip_err)?;
            w.write_all(&self.xml[n]).map_err(io)?;
        }
        w.start_file(name, opts).map_err(zip_err)?;
        w.write_all(bytes).map_err(io)?;
        Ok(w.finish().map_err(zip_err)?.into_inner())
    }
}

fn limits_err(reason: String) -> IngestError {
    IngestError::ArchiveLimits { reason }
}

fn zip_err(e: zip::result::ZipError) -> IngestError {
    IngestError::malformed("DOCX", format!("the ZIP container is damaged ({e})"))
}

/// Check the archive against `limits` and return its XML parts.
pub(crate) fn open(bytes: &[u8], limits: &Limits) -> Result<Parts, IngestError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
    let n = archive.len();
    if n > MAX_ENTRIES {
        return Err(limits_err(format!(
            "{n} entries in the archive, more than {MAX_ENTRIES}"
        )));
    }

    // Pass 1: what the central directory declares.
    let mut declared: u64 = 0;
    for i in 0..n {
        let entry = archive.by_index_raw(i).map_err(zip_err)?;
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        declared = declared.saturating_add(size);
        if size > RATIO_EXEMPT_BYTES && size / packed > limits.max_compression_ratio {
            return Err(limits_err(format!(
                "entry {} declares {size} bytes from {packed} compressed, a ratio of {} (limit {})",
                entry.name(),
                size / packed,
                limits.max_compression_ratio
            )));
        }
    }
    if declared > limits.max_uncompressed_bytes {
        return Err(limits_err(format!(
            "the archive declares {declared} uncompressed bytes (limit {})",
            limits.max_uncompressed_bytes
        )));
    }

    // Pass 2: what the entries really inflate to, read with a hard cap.
    let mut parts = Parts::default();
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..n {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().replace('\\', "/");
        let name = name.trim_start_matches('/').to_string();
        let packed = entry.compressed_size().max(1);
        let keep = is_xml_part(&name);
        let mut kept = Vec::new();
        let mut inflated: u64 = 0;
        loop {
            let got = entry.read(&mut buf).map_err(|e| {
                IngestError::malformed(
                    "DOCX",
                    format!("the ZIP entry {name} cannot be inflated ({e})"),
                )
            })?;
            if got == 0 {
                break;
            }
            inflated += got as u64;
            total += got as u64;
            if total > limits.max_uncompressed_bytes {
                return Err(limits_err(format!(
                    "the archive inflates to more than {} bytes",
                    limits.max_uncompressed_bytes
                )));
            }
            if inflated > RATIO_EXEMPT_BYTES && inflated / packed > limits.max_compression_ratio {
                return Err(limits_err(format!(
                    "entry {name} inflates {packed} compressed bytes to more than {inflated}, a ratio over {}",
                    limits.max_compression_ratio
                )));
            }
            if keep {
                if inflated > MAX_XML_PART_BYTES {
                    return Err(limits_err(format!(
                        "the XML part {name} inflates to more than {MAX_XML_PART_BYTES} bytes, the most one part may hold"
                    )));
                }
                kept.extend_from_slice(&buf[..got]);
            }
        }
        if keep {
            if kept.starts_with(&[0xEF, 0xBB, 0xBF]) {
                kept.drain(..3);
            }
            parts.xml.insert(name, kept);
        }
    }
    Ok(parts)
}

fn is_xml_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels")
}

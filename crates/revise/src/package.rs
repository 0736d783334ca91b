//! The ZIP container: read under [`Limits`], written back with every entry it did not
//! change copied as it was (its compressed bytes, name, order and time).
//!
//! Reading follows the same two passes as ingest's archive check: the central directory's
//! declared sizes first (total, ratio of each large entry, entry count), then every entry
//! is inflated with hard caps, so an archive that lies about its sizes is caught on what it
//! really inflates to. XML parts (`.xml`, `.rels`) are kept in memory, each at most
//! [`Limits::max_xml_part_bytes`]; other entries are only checked (checksum, size).

use crate::{Limits, ReviseError};
use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read, Write};

/// Entries below this size (inflated) are not held to the ratio limit: small XML parts
/// full of repeated markup compress very well.
const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;

/// The checked package.
#[derive(Debug)]
pub(crate) struct Package<'a> {
    bytes: &'a [u8],
    /// Entry names in archive order.
    names: Vec<String>,
    /// XML parts by name, inflated.
    xml: HashMap<String, Vec<u8>>,
}

fn zip_err(e: zip::result::ZipError) -> ReviseError {
    ReviseError::Damaged {
        detail: e.to_string(),
    }
}

fn limit(reason: String) -> ReviseError {
    ReviseError::LimitExceeded { reason }
}

fn is_xml_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels")
}

impl<'a> Package<'a> {
    /// Check `bytes` against `limits` and keep its XML parts.
    pub(crate) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, ReviseError> {
        let size = bytes.len() as u64;
        if size > limits.max_bytes {
            return Err(ReviseError::TooLarge {
                size,
                limit: limits.max_bytes,
            });
        }
        let mut archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReviseError::NotAPackage {
                detail: e.to_string(),
            })?;
        let n = archive.len();
        if n > limits.max_entries {
            return Err(limit(format!(
                "{n} entries in the archive, more than {}",
                limits.max_entries
            )));
        }

        // Pass 1: what the central directory declares.
        let mut declared: u64 = 0;
        let mut names = Vec::with_capacity(n);
        let mut seen = HashSet::with_capacity(n);
        for i in 0..n {
            let entry = archive.by_index_raw(i).map_err(zip_err)?;
            if entry.encrypted() {
                return Err(ReviseError::Damaged {
                    detail: format!("the entry {} is encrypted", entry.name()),
                });
            }
            let (size, packed) = (entry.size(), entry.compressed_size().max(1));
            declared = declared.saturating_add(size);
            if size > RATIO_EXEMPT_BYTES && size / packed > limits.max_compression_ratio {
                return Err(limit(format!(
                    "the entry {} declares {size} bytes from {packed} compressed, a ratio over {}",
                    entry.name(),
                    limits.max_compression_ratio
                )));
            }
            let name = entry.name().to_string();
            if !seen.insert(name.clone()) {
                return Err(ReviseError::Damaged {
                    detail: format!("the entry {name} is in the archive twice"),
                });
            }
            names.push(name);
        }
        if declared > limits.max_uncompressed_bytes {
            return Err(limit(format!(
                "the archive declares {declared} inflated bytes, more than {}",
                limits.max_uncompressed_bytes
            )));
        }

        // Pass 2: what the entries really inflate to.
        let mut xml = HashMap::new();
        let mut total: u64 = 0;
        let mut buf = vec![0u8; 64 * 1024];
        for (i, name) in names.iter().enumerate() {
            let mut entry = archive.by_index(i).map_err(zip_err)?;
            if entry.is_dir() {
                continue;
            }
            let packed = entry.compressed_size().max(1);
            let keep = is_xml_part(name);
            let mut kept = Vec::new();
            let mut inflated: u64 = 0;
            loop {
                let got = entry.read(&mut buf).map_err(|e| ReviseError::Damaged {
                    detail: format!("the entry {name} cannot be inflated ({e})"),
                })?;
                if got == 0 {
                    break;
                }
                inflated += got as u64;
                total += got as u64;
                if total > limits.max_uncompressed_bytes {
                    return Err(limit(format!(
                        "the archive inflates to more than {} bytes",
                        limits.max_uncompressed_bytes
                    )));
                }
                if inflated > RATIO_EXEMPT_BYTES && inflated / packed > limits.max_compression_ratio
                {
                    return Err(limit(format!(
                        "the entry {name} inflates {packed} compressed bytes to more than {inflated}, a ratio over {}",
                        limits.max_compression_ratio
                    )));
                }
                if keep {
                    if inflated > limits.max_xml_part_bytes {
                        return Err(limit(format!(
                            "the XML part {name} inflates to more than {} bytes",
                            limits.max_xml_part_bytes
                        )));
                    }
                    kept.extend_from_slice(&buf[..got]);
                }
            }
            if keep {
                xml.insert(name.clone(), kept);
            }
        }
        Ok(Self { bytes, names, xml })
    }

    /// An XML part by name (no leading slash).
    pub(crate) fn xml(&self, name: &str) -> Option<&[u8]> {
        self.xml.get(name).map(Vec::as_slice)
    }

    /// Every XML part, in archive order.
    pub(crate) fn xml_parts(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.names
            .iter()
            .filter_map(|n| self.xml.get(n).map(|b| (n.as_str(), b.as_slice())))
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// A new package: entries named in `replace` get their new content (deflated, with
    /// the original's time), every other entry is copied raw (its compressed bytes as
    /// they were), in the original order; `add` entries come last.
    pub(crate) fn write(
        &self,
        replace: &HashMap<String, Vec<u8>>,
        add: &[(String, Vec<u8>)],
    ) -> Result<Vec<u8>, ReviseError> {
        let werr = |e: zip::result::ZipError| ReviseError::write(e);
        let mut archive = zip::ZipArchive::new(Cursor::new(self.bytes)).map_err(zip_err)?;
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(self.bytes.len())));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(zip_err)?;
            match replace.get(entry.name()) {
                Some(content) => {
                    let mut opts = deflated;
                    if let Some(t) = entry.last_modified() {
                        opts = opts.last_modified_time(t);
                    }
                    let name = entry.name().to_string();
                    drop(entry);
                    out.start_file(name, opts).map_err(werr)?;
                    out.write_all(content).map_err(ReviseError::write)?;
                }
                None => out.raw_copy_file(entry).map_err(werr)?,
            }
        }
        for (name, content) in add {
            out.start_file(name.as_str(), deflated).map_err(werr)?;
            out.write_all(content).map_err(ReviseError::write)?;
        }
        Ok(out.finish().map_err(werr)?.into_inner())
    }
}

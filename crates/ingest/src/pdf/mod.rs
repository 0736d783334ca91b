//! PDF back-end (lopdf): bytes to [`Document`].
//!
//! Steps: load (encryption and malformed files become typed errors), read every page's
//! text with positions ([`text`]), group it into lines ([`layout`]), move running headers,
//! footers and table-of-contents lines out of the body ([`furniture`]), and build headings,
//! list items, tables and paragraphs ([`blocks`]).
//!
//! Encryption: a PDF that needs a password to open is refused with
//! [`IngestError::Encrypted`]. One that opens with the empty user password (only owner
//! restrictions such as "no printing") is read, with an `encrypted_restrictions` warning.

mod blocks;
mod fonts;
mod furniture;
mod layout;
mod text;

use crate::assemble::assemble;
use crate::model::{Document, Format, Metadata, Warning};
use crate::{IngestError, Limits, sha256_hex};
use lopdf::{LoadOptions, Object};

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Document, IngestError> {
    let options = LoadOptions {
        max_decompressed_size: Some(text::MAX_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let doc = match lopdf::Document::load_mem_with_options(bytes, options) {
        Ok(doc) => doc,
        Err(e) => return Err(load_error(bytes, e)),
    };
    let mut warnings = Vec::new();
    if doc.is_encrypted() {
        return Err(IngestError::Encrypted);
    }
    if doc.was_encrypted() {
        warnings.push(Warning::new(
            "encrypted_restrictions",
            "the PDF is encrypted with owner restrictions only; it was read with the empty user password",
        ));
    }
    let pages = doc.get_pages();
    if pages.len() as u64 > u64::from(limits.max_pages) {
        return Err(IngestError::TooManyPages {
            pages: pages.len() as u64,
            limit: limits.max_pages,
        });
    }
    if pages.is_empty() {
        return Err(IngestError::malformed("PDF", "it has no pages"));
    }

    let mut fonts = text::FontCache::default();
    let mut budget = text::DecodeBudget::new(limits.max_decoded_bytes);
    let mut page_lines: Vec<Vec<layout::Line>> = Vec::with_capacity(pages.len());
    let mut bounds: Vec<(f32, f32)> = Vec::with_capacity(pages.len());
    let mut truncated = false;
    let mut glyphs = 0usize;
    for (&number, &page_id) in &pages {
        let mut reader = text::PageReader::new(&doc, &mut fonts, &mut budget);
        reader.read_page(page_id);
        truncated |= reader.truncated;
        glyphs += reader.fragments.iter().map(|f| f.text.len()).sum::<usize>();
        page_lines.push(layout::lines(number, reader.fragments));
        bounds.push(media_box(&doc, page_id));
        if budget.exceeded {
            return Err(IngestError::DecodedLimit {
                limit: limits.max_decoded_bytes,
            });
        }
    }
    if truncated {
        warnings.push(Warning::new(
            "content_truncated",
            "a page has an unusually long content stream; only its first two million operations were read",
        ));
    }
    if fonts.undecodable_fonts > 0 {
        warnings.push(Warning::new(
            "unknown_font_encoding",
            format!(
                "{} font(s) have no Unicode mapping (Type0 without /ToUnicode); their text is missing, re-export the PDF with embedded Unicode maps",
                fonts.undecodable_fonts
            ),
        ));
    }
    if glyphs == 0 {
        warnings.push(Warning::new(
            "no_text_layer",
            "the PDF has no text layer (a scan?); OCR is not supported yet, so no text was extracted",
        ));
    }

    let (headers, footers) = furniture::split_furniture(&mut page_lines, &bounds);
    let mut toc = Vec::new();
    for lines in &mut page_lines {
        lines.retain(|l| match furniture::toc_entry(&l.text) {
            Some(entry) => {
                toc.push(entry);
                false
            }
            None => true,
        });
    }
    let blocks = assemble(blocks::build(&page_lines));

    let info = info_dict(&doc);
    let field = |key: &[u8]| -> Option<String> {
        let o = info?.get(key).ok()?;
        let o = fonts::deref(&doc, Some(o))?;
        lopdf::decode_text_string(o)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Ok(Document {
        metadata: Metadata {
            format: Format::Pdf,
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
            page_count: Some(pages.len() as u32),
            title: field(b"Title"),
            author: field(b"Author"),
            producer: field(b"Producer"),
            warnings,
        },
        blocks,
        headers,
        footers,
        toc,
        notes: Vec::new(),
        revisions: Vec::new(),
    })
}

fn load_error(bytes: &[u8], e: lopdf::Error) -> IngestError {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    let has_encrypt = bytes.windows(8).any(|w| w == b"/Encrypt");
    if has_encrypt
        && (lower.contains("decrypt")
            || lower.contains("password")
            || lower.contains("encrypt")
            || lower.contains("crypt"))
    {
        return IngestError::Encrypted;
    }
    IngestError::malformed("PDF", msg)
}

fn info_dict(doc: &lopdf::Document) -> Option<&lopdf::Dictionary> {
    let o = doc.trailer.get(b"Info").ok()?;
    fonts::deref(doc, Some(o))?.as_dict().ok()
}

/// The page's (inherited) MediaBox as (bottom, top) y.
fn media_box(doc: &lopdf::Document, page_id: lopdf::ObjectId) -> (f32, f32) {
    let mut id = Some(page_id);
    for _ in 0..32 {
        let Some(cur) = id else { break };
        let Ok(dict) = doc.get_dictionary(cur) else {
            break;
        };
        if let Some(arr) =
            fonts::deref(doc, dict.get(b"MediaBox").ok()).and_then(|o| o.as_array().ok())
            && arr.len() == 4
        {
            let v: Vec<f32> = arr
                .iter()
                .map(|o| {
                    fonts::deref(doc, Some(o))
                        .and_then(|o| o.as_float().ok())
                        .unwrap_or(0.0)
                })
                .collect();
            return (v[1].min(v[3]), v[1].max(v[3]));
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    (0.0, 792.0)
}

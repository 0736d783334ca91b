//! DOCX back-end: bytes -> [`Document`] through docx-rs, after the archive checks.
//!
//! Steps:
//! 1. [`archive::open`] checks the ZIP against the [`Limits`] (declared and real sizes,
//!    compression ratios) and keeps the XML parts;
//! 2. the main document part is located (`_rels/.rels`, else `word/document.xml`) and every
//!    text-bearing part it relates to is checked for well-formed XML, so a damaged part is
//!    reported by name and byte position instead of docx-rs's generic "failed to read xml";
//! 3. `docx_rs::read_docx` reads the body, styles, numbering and comments; docx-rs's
//!    `Header`/`Footer` readers read *every* header and footer part the document relates to
//!    (docx-rs itself keeps only the last section's);
//! 4. footnotes, endnotes and `docProps/core.xml`/`app.xml`, which docx-rs 0.4 does not
//!    read, are read with quick-xml ([`xml`]).
//!
//! Metadata: title and author from `docProps/core.xml`; when the core properties have no
//! title, the first `Title`-styled paragraph gives it. Producer from `docProps/app.xml`.
//!
//! Text is the *accepted* view of tracked changes (see [`text`]); when revisions are
//! pending the document carries a `tracked_changes` warning. Headings, list numbering and
//! the table of contents follow the rules documented in [`body`], [`styles`] and
//! [`numbering`]; headers and footers in [`furniture`]; footnotes, endnotes and comments
//! in [`notes`]. Hostile input is bounded in [`archive`] (sizes, ratios, one XML part at
//! most 64 MiB) and [`xml`] (well-formedness, root names docx-rs relies on, nesting at
//! most 128 levels, since docx-rs recursion could otherwise overflow the stack).

mod archive;
mod body;
mod furniture;
mod notes;
mod numbering;
mod styles;
mod text;
mod xml;

use crate::model::{Metadata, Warning};
use crate::{Document, Format, IngestError, Limits};
use docx_rs::{ReadDocxOptions, ReaderError};

const FORMAT: &str = "DOCX";

/// An empty relationships part.
const EMPTY_RELATIONSHIPS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>"#;

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Document, IngestError> {
    let parts = archive::open(bytes, limits)?;
    let mut names: Vec<&str> = parts.names().collect();
    names.sort_unstable();
    for name in names {
        xml::check_depth(name, parts.get(name).unwrap_or_default())?;
    }

    let package_rels = parts
        .get("_rels/.rels")
        .map(|b| xml::relationships(b, ""))
        .unwrap_or_default();
    let main = package_rels
        .iter()
        .find(|r| r.kind == "officeDocument")
        .map(|r| r.target.clone())
        .filter(|t| parts.get(t).is_some())
        .unwrap_or_else(|| "word/document.xml".to_string());
    let Some(main_xml) = parts.get(&main) else {
        return Err(IngestError::malformed(
            FORMAT,
            "the archive has no main document part (word/document.xml), so it is not a complete Word document",
        ));
    };
    xml::check_well_formed(&main, main_xml)?;
    let Some(types) = parts.get("[Content_Types].xml") else {
        return Err(IngestError::malformed(
            FORMAT,
            "the required package part [Content_Types].xml is missing",
        ));
    };
    xml::check_well_formed("[Content_Types].xml", types)?;
    xml::check_content_types(types)?;
    if let Some(ct) = xml::content_type(types, &main)
        && !ct.contains("wordprocessingml")
    {
        return Err(IngestError::UnsupportedFormat {
            detected: format!(
                "an Office package whose main part is {main} ({ct}), not a Word document"
            ),
        });
    }
    xml::check_root(&main, main_xml, "document")?;
    // docx-rs reads relationship and styles parts until the end of a root of that name.
    let mut rels_parts: Vec<&str> = parts.names().filter(|n| n.ends_with(".rels")).collect();
    rels_parts.sort_unstable();
    for name in rels_parts {
        let b = parts.get(name).unwrap_or_default();
        xml::check_well_formed(name, b)?;
        xml::check_root(name, b, "Relationships")?;
    }

    let rels_name = match main.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{main}.rels"),
    };
    let rels = parts
        .get(&rels_name)
        .map(|b| xml::relationships(b, &main))
        .unwrap_or_default();
    const CHECKED: [&str; 7] = [
        "styles",
        "numbering",
        "comments",
        "header",
        "footer",
        "footnotes",
        "endnotes",
    ];
    for r in rels.iter().filter(|r| CHECKED.contains(&r.kind.as_str())) {
        if let Some(b) = parts.get(&r.target) {
            xml::check_well_formed(&r.target, b)?;
            if r.kind == "styles" {
                xml::check_root(&r.target, b, "styles")?;
            }
        }
    }
    if parts.get("_rels/.rels").is_none() {
        return Err(IngestError::malformed(
            FORMAT,
            "the required package part _rels/.rels is missing",
        ));
    }

    // docx-rs requires the main part's relationships, which the format does not: a minimal
    // package (as some generators write it, and Word opens) is read with an empty one.
    let patched;
    let input = if parts.get(&rels_name).is_none() {
        patched = parts.repackaged_with(&rels_name, EMPTY_RELATIONSHIPS)?;
        patched.as_slice()
    } else {
        bytes
    };
    let docx = docx_rs::read_docx_with_options(
        input,
        ReadDocxOptions::default().with_image_previews(false),
    )
    .map_err(reader_error)?;

    let mut reader = body::BodyReader::new(
        styles::StyleMap::new(&docx.styles),
        numbering::Numbering::new(&docx.numberings),
    );
    reader.document(&docx.document.children);

    let (headers, footers) = furniture::read(&mut reader, &rels, &parts)?;
    let notes = notes::read(&docx, &rels, &parts);

    // Metadata.
    let core_name = package_rels
        .iter()
        .find(|r| r.kind == "core-properties")
        .map(|r| r.target.clone())
        .unwrap_or_else(|| "docProps/core.xml".to_string());
    let (title, author) = parts
        .get(&core_name)
        .map(xml::core_properties)
        .unwrap_or_default();
    let producer = parts.get("docProps/app.xml").and_then(xml::application);

    let revisions = std::mem::take(&mut reader.text.revisions);
    let mut warnings = Vec::new();
    if !revisions.is_empty() {
        let ins = revisions.iter().filter(|r| r.kind == "insertion").count();
        let del = revisions.len() - ins;
        warnings.push(Warning::new(
            "tracked_changes",
            format!(
                "the document has {} pending tracked changes ({ins} insertions, {del} deletions); \
                 the text shown is the accepted view (insertions kept, deletions dropped); \
                 accept or reject the changes in Word before the final review",
                revisions.len()
            ),
        ));
    }

    let blocks = crate::assemble::assemble(reader.blocks);
    // No title in the core properties: the first `Title`-styled paragraph is the title.
    let title = title.or_else(|| {
        blocks
            .iter()
            .find(|b| matches!(b.kind, crate::BlockKind::Heading { level: 0, .. }))
            .map(|b| b.text.clone())
    });

    Ok(Document {
        metadata: Metadata {
            format: Format::Docx,
            sha256: crate::sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
            page_count: None,
            title,
            author,
            producer,
            warnings,
        },
        blocks,
        headers,
        footers,
        toc: reader.toc,
        notes,
        revisions,
    })
}

pub(crate) fn part_error(part: &str, e: ReaderError) -> IngestError {
    IngestError::malformed(FORMAT, format!("the part {part} cannot be read ({e})"))
}

fn reader_error(e: ReaderError) -> IngestError {
    let reason = match e {
        ReaderError::ZipError(z) => {
            format!("the ZIP container is damaged or lacks a required part ({z})")
        }
        ReaderError::XMLReadError => {
            "a Word XML part has content the reader does not accept".to_string()
        }
        ReaderError::NumError(_) | ReaderError::FloatError(_) | ReaderError::TypeError(_) => {
            format!("a number or enumerated value in the Word XML is invalid ({e})")
        }
        other => format!("{other}"),
    };
    IngestError::malformed(FORMAT, reason)
}

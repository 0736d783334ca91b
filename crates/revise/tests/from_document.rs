//! A PDF's document rebuilt as a DOCX: ingest reads it back into the same blocks and
//! sentences, and every sentence can then be changed at the occurrence
//! [`occurrence_of`] gives (pandoc and LibreOffice read the result in `tools.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use common::{View, document, edit, texts};
use ingest::{BlockKind, Document};
use revise::{Options, apply_tracked_changes, docx_from_document, occurrence_of};

fn shape(doc: &Document) -> Vec<String> {
    doc.blocks
        .iter()
        .map(|b| match &b.kind {
            BlockKind::Heading { level, .. } => format!("h{level} {}", b.text),
            BlockKind::Paragraph => format!("p {}", b.text),
            BlockKind::ListItem { level, marker } => {
                format!("li{level} {} {}", marker.as_deref().unwrap_or(""), b.text)
            }
            BlockKind::Table { rows } => format!(
                "table {}",
                rows.iter()
                    .map(|r| r
                        .iter()
                        .map(|c| c.text.as_str())
                        .collect::<Vec<_>>()
                        .join("|"))
                    .collect::<Vec<_>>()
                    .join("/")
            ),
        })
        .collect()
}

/// The PDF fixture, its DOCX, and one edit per sentence (the last word of each replaced).
fn fixture() -> (Document, Vec<u8>, Vec<revise::Edit>) {
    let doc = ingest::parse(&testkit::pdf::protocol()).unwrap();
    let docx = docx_from_document(&doc).unwrap();
    let edits = doc
        .sentences()
        .enumerate()
        .map(|(i, s)| {
            let mut words: Vec<&str> = s.text.split(' ').collect();
            let last = words.len() - 1;
            words[last] = "changed.";
            edit(
                &format!("e{i}"),
                &s.text,
                occurrence_of(&doc, &s.anchor).unwrap(),
                &words.join(" "),
            )
        })
        .collect();
    (doc, docx, edits)
}

#[test]
fn ingest_reads_the_rebuilt_docx_as_the_pdf() {
    let (doc, docx, _) = fixture();
    let again = ingest::parse(&docx).unwrap();
    assert_eq!(shape(&again), shape(&doc));
    let s1: Vec<&str> = doc.sentences().map(|s| s.text.as_str()).collect();
    let s2: Vec<&str> = again.sentences().map(|s| s.text.as_str()).collect();
    assert_eq!(s1, s2);
    assert!(
        doc.blocks
            .iter()
            .any(|b| matches!(b.kind, BlockKind::ListItem { .. }))
    );
    assert!(
        doc.blocks
            .iter()
            .any(|b| matches!(b.kind, BlockKind::Table { .. }))
    );
}

#[test]
fn every_sentence_of_the_rebuilt_docx_can_be_changed() {
    let (doc, docx, edits) = fixture();
    let out = apply_tracked_changes(&docx, &edits, &Options::default()).unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.applied.len(), doc.sentences().count());
    let xml = document(&out.bytes);
    let accepted = texts(&xml, View::Accept).join(" ");
    for e in &edits {
        assert!(accepted.contains(&e.replacement), "{}", e.replacement);
    }
    let rejected = texts(&xml, View::Reject).join(" ");
    let original = texts(&document(&docx), View::Accept).join(" ");
    assert_eq!(rejected, original);
}

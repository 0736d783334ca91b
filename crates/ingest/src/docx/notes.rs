//! Notes: comments (read by docx-rs, with author) then footnotes and endnotes (read with
//! quick-xml, which docx-rs 0.4 does not read). A note's paragraphs are joined by a space.

use super::xml::{self, Rel};
use super::{archive::Parts, text};
use crate::model::Note;

pub(crate) fn read(docx: &docx_rs::Docx, rels: &[Rel], parts: &Parts) -> Vec<Note> {
    let mut notes: Vec<Note> = Vec::new();
    let mut scratch = text::TextWalker::default();
    for c in docx.comments.inner() {
        let mut paras = Vec::new();
        for child in &c.children {
            if let docx_rs::CommentChild::Paragraph(p) = child {
                let t = text::collapse(&scratch.paragraph(p.as_ref()).text);
                if !t.is_empty() {
                    paras.push(t);
                }
            }
        }
        notes.push(Note {
            kind: "comment".to_string(),
            id: c.id.to_string(),
            author: (!c.author.trim().is_empty()).then(|| c.author.trim().to_string()),
            text: paras.join(" "),
        });
    }
    for (kind, rel_kind) in [("footnote", "footnotes"), ("endnote", "endnotes")] {
        for r in rels.iter().filter(|r| r.kind == rel_kind) {
            if let Some(b) = parts.get(&r.target) {
                notes.extend(xml::notes(b, kind));
            }
        }
    }

    notes
}

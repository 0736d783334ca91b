//! Paragraph text in the *accepted* view of tracked changes, with the revisions reported.
//!
//! - `w:ins` (and `w:moveTo`) text is kept in the text and reported as an `insertion`;
//!   `w:del` (and `w:moveFrom`) text is dropped from the text and reported as a `deletion`.
//!   One `w:ins`/`w:del` element is one [`Revision`], its runs' text concatenated.
//! - Field codes (`w:instrText`, between `begin` and `separate`) are not text; a field's
//!   cached result (between `separate` and `end`) is. Fields can span paragraphs, so the
//!   field stack lives in [`TextWalker`] and carries over; a paragraph met while a `TOC`
//!   field is open belongs to the table of contents.
//! - Tabs become `\t`, line and page breaks a space; the caller collapses white space.

use crate::model::Revision;
use docx_rs::{
    DeleteChild, FieldCharType, InsertChild, MoveFromChild, MoveToChild, Paragraph, ParagraphChild,
    Run, RunChild, StructuredDataTagChild,
};

/// Collapse runs of white space into single spaces and trim.
pub(crate) fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A field being read: its instruction so far and whether its result has started.
#[derive(Debug, Default)]
struct Field {
    code: String,
    separated: bool,
}

/// The text of one paragraph.
#[derive(Debug, Default)]
pub(crate) struct ParaText {
    /// Raw text (tabs kept), accepted view.
    pub text: String,
    /// A `TOC` field was open somewhere in this paragraph.
    pub in_toc_field: bool,
}

/// Walks paragraphs in reading order, keeping field state and collecting revisions.
#[derive(Debug, Default)]
pub(crate) struct TextWalker {
    fields: Vec<Field>,
    pub revisions: Vec<Revision>,
}

/// Most fields open at once before the walker stops nesting (hostile input guard).
const MAX_FIELD_DEPTH: usize = 64;

impl TextWalker {
    /// Forget open fields (at the end of a part: fields never span parts).
    pub(crate) fn reset_fields(&mut self) {
        self.fields.clear();
    }

    pub(crate) fn paragraph(&mut self, p: &Paragraph) -> ParaText {
        let mut out = ParaText {
            in_toc_field: self.in_toc(),
            ..Default::default()
        };
        self.children(&p.children, &mut out);
        out
    }

    fn in_toc(&self) -> bool {
        self.fields.iter().any(|f| {
            let code = f.code.trim_start();
            code.len() >= 3 && code[..3].eq_ignore_ascii_case("TOC")
        })
    }

    fn in_code(&self) -> bool {
        self.fields.iter().any(|f| !f.separated)
    }

    fn children(&mut self, children: &[ParagraphChild], out: &mut ParaText) {
        for child in children {
            match child {
                ParagraphChild::Run(r) => self.run(r, out),
                ParagraphChild::Insert(ins) => {
                    let mut inserted = String::new();
                    for c in &ins.children {
                        match c {
                            InsertChild::Run(r) => {
                                let before = out.text.len();
                                self.run(r, out);
                                inserted.push_str(&out.text[before..]);
                            }
                            InsertChild::Delete(d) => self.deleted_runs(
                                d.children.iter().filter_map(|c| match c {
                                    DeleteChild::Run(r) => Some(r.as_ref()),
                                    _ => None,
                                }),
                                &d.author,
                                &d.date,
                            ),
                            _ => {}
                        }
                    }
                    self.record("insertion", &ins.author, &ins.date, &inserted);
                }
                ParagraphChild::MoveTo(mv) => {
                    let mut inserted = String::new();
                    for c in &mv.children {
                        if let MoveToChild::Run(r) = c {
                            let before = out.text.len();
                            self.run(r, out);
                            inserted.push_str(&out.text[before..]);
                        }
                    }
                    self.record("insertion", &mv.author, &mv.date, &inserted);
                }
                ParagraphChild::Delete(d) => self.deleted_runs(
                    d.children.iter().filter_map(|c| match c {
                        DeleteChild::Run(r) => Some(r.as_ref()),
                        _ => None,
                    }),
                    &d.author,
                    &d.date,
                ),
                ParagraphChild::MoveFrom(mv) => self.deleted_runs(
                    mv.children.iter().filter_map(|c| match c {
                        MoveFromChild::Run(r) => Some(r.as_ref()),
                        _ => None,
                    }),
                    &mv.author,
                    &mv.date,
                ),
                ParagraphChild::Hyperlink(h) => self.children(&h.children, out),
                ParagraphChild::StructuredDataTag(sdt) => {
                    for c in &sdt.children {
                        match c {
                            StructuredDataTagChild::Run(r) => self.run(r, out),
                            StructuredDataTagChild::Paragraph(p) => {
                                self.children(&p.children, out);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn run(&mut self, run: &Run, out: &mut ParaText) {
        for c in &run.children {
            match c {
                RunChild::FieldChar(f) => match f.field_char_type {
                    FieldCharType::Begin => {
                        if self.fields.len() < MAX_FIELD_DEPTH {
                            self.fields.push(Field::default());
                        }
                    }
                    FieldCharType::Separate => {
                        if let Some(top) = self.fields.last_mut() {
                            top.separated = true;
                        }
                    }
                    FieldCharType::End => {
                        self.fields.pop();
                    }
                    FieldCharType::Unsupported => {}
                },
                RunChild::InstrTextString(s) => {
                    if let Some(top) = self.fields.last_mut()
                        && !top.separated
                        && top.code.len() < 4096
                    {
                        top.code.push_str(s);
                        if self.in_toc() {
                            out.in_toc_field = true;
                        }
                    }
                }
                _ if self.in_code() => {}
                RunChild::Text(t) => out.text.push_str(&t.text),
                RunChild::Tab(_) | RunChild::PTab(_) => out.text.push('\t'),
                RunChild::Break(_) | RunChild::CarriageReturn(_) => out.text.push(' '),
                _ => {}
            }
        }
        if self.in_toc() {
            out.in_toc_field = true;
        }
    }

    fn deleted_runs<'r>(&mut self, runs: impl Iterator<Item = &'r Run>, author: &str, date: &str) {
        let mut deleted = String::new();
        for r in runs {
            for c in &r.children {
                match c {
                    RunChild::DeleteText(t) => deleted.push_str(&delete_text(t)),
                    RunChild::Text(t) => deleted.push_str(&t.text),
                    RunChild::Tab(_) => deleted.push('\t'),
                    _ => {}
                }
            }
        }
        self.record("deletion", author, date, &deleted);
    }

    fn record(&mut self, kind: &str, author: &str, date: &str, text: &str) {
        let text = collapse(text);
        if text.is_empty() {
            return;
        }
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        self.revisions.push(Revision {
            kind: kind.to_string(),
            author: opt(author),
            date: opt(date),
            text,
        });
    }
}

/// docx-rs keeps `DeleteText`'s text private; it serialises it as `{"text": ...}`.
fn delete_text(t: &docx_rs::DeleteText) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.get("text").and_then(|s| s.as_str()).map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use docx_rs::{Delete, Insert};

    #[test]
    fn accepted_view_and_revisions() {
        let p = Paragraph::new()
            .add_run(Run::new().add_text("Dose was "))
            .add_delete(
                Delete::new()
                    .author("QA")
                    .date("2024-01-01T00:00:00Z")
                    .add_run(Run::new().add_delete_text("10 mg")),
            )
            .add_insert(Insert::new(Run::new().add_text("20 mg")).author("MW"))
            .add_run(Run::new().add_text(" daily."));
        let mut w = TextWalker::default();
        let t = w.paragraph(&p);
        assert_eq!(t.text, "Dose was 20 mg daily.");
        assert_eq!(w.revisions.len(), 2);
        assert_eq!(w.revisions[0].kind, "deletion");
        assert_eq!(w.revisions[0].text, "10 mg");
        assert_eq!(w.revisions[0].author.as_deref(), Some("QA"));
        assert_eq!(w.revisions[1].kind, "insertion");
        assert_eq!(w.revisions[1].text, "20 mg");
    }

    #[test]
    fn collapse_trims() {
        assert_eq!(collapse("  a \t b\u{a0}c  "), "a b c");
    }
}

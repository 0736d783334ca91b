//! A DOCX built from a parsed document (a PDF's), so the same edits can be written as
//! tracked changes into it: one paragraph per block holding the block's text, headings
//! in `Heading N` styles (`Title` for level 0), list items as Word list paragraphs whose
//! marker is the one printed in the source (a literal list level per distinct marker, so
//! it is not part of the paragraph text), tables with one paragraph per cell. Ingest reads the result back into the same
//! blocks and sentences, so every sentence is found by
//! [`apply_tracked_changes`](crate::apply_tracked_changes) at the same occurrence.

use crate::ReviseError;
use crate::xml::is_xml_char;
use docx_rs::{
    AbstractNumbering, Docx, IndentLevel, Level, LevelJc, LevelText, NumberFormat, Numbering,
    NumberingId, Paragraph, Run, SpecialIndentType, Start, Style, StyleType, Table, TableCell,
    TableRow, WidthType,
};
use ingest::{BlockKind, Document};
use std::collections::HashMap;

/// Text width of a default A4/Letter page, in twentieths of a point.
const TEXT_WIDTH: usize = 9000;

fn clean(text: &str) -> String {
    text.chars().filter(|&c| is_xml_char(c)).collect()
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(clean(text)))
}

/// A marker Word can print literally (`%` would start a level number).
fn usable_marker(m: &str) -> bool {
    !m.trim().is_empty() && !m.contains('%') && m.chars().count() <= 16
}

/// A list whose every level prints `marker`, indented by level.
fn literal_list(id: usize, marker: &str) -> AbstractNumbering {
    let mut a = AbstractNumbering::new(id);
    for l in 0..9usize {
        let indent = 720 * (l as i32 + 1);
        a = a.add_level(
            Level::new(
                l,
                Start::new(1),
                NumberFormat::new("bullet"),
                LevelText::new(marker),
                LevelJc::new("left"),
            )
            .indent(
                Some(indent),
                Some(SpecialIndentType::Hanging(360)),
                None,
                None,
            ),
        );
    }
    a
}

/// Build a DOCX from `doc`'s blocks.
pub fn docx_from_document(doc: &Document) -> Result<Vec<u8>, ReviseError> {
    let mut docx = Docx::new().add_style(
        Style::new("Title", StyleType::Paragraph)
            .name("Title")
            .size(40)
            .bold(),
    );
    for n in 1..=9usize {
        docx = docx.add_style(
            Style::new(format!("Heading{n}"), StyleType::Paragraph)
                .name(format!("heading {n}"))
                .outline_lvl(n - 1)
                .size(if n == 1 { 32 } else { 26 })
                .bold(),
        );
    }
    // One list definition per distinct marker, printing it literally at every level.
    let mut markers: HashMap<String, usize> = HashMap::new();
    for b in &doc.blocks {
        match &b.kind {
            BlockKind::Heading { level, .. } => {
                let style = match level {
                    0 => "Title".to_string(),
                    n => format!("Heading{}", n.clamp(&1, &9)),
                };
                docx = docx.add_paragraph(para(&b.text).style(&style));
            }
            BlockKind::Paragraph => docx = docx.add_paragraph(para(&b.text)),
            BlockKind::ListItem { level, marker } => {
                let ilvl = usize::from((*level).clamp(1, 9)) - 1;
                let mut p = para(&b.text);
                match marker.as_deref().map(clean).filter(|m| usable_marker(m)) {
                    Some(m) => {
                        let next = markers.len() + 1;
                        let id = *markers.entry(m.clone()).or_insert(next);
                        if id == next {
                            docx = docx
                                .add_abstract_numbering(literal_list(id, &m))
                                .add_numbering(Numbering::new(id, id));
                        }
                        p = p.numbering(NumberingId::new(id), IndentLevel::new(ilvl));
                    }
                    None => {
                        let indent = 720 * (ilvl as i32 + 1);
                        p = p.indent(Some(indent), None, None, None);
                    }
                }
                docx = docx.add_paragraph(p);
            }
            BlockKind::Table { rows } => {
                let cols = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
                let width = TEXT_WIDTH / cols;
                let rows = rows
                    .iter()
                    .map(|r| {
                        let mut cells: Vec<TableCell> = r
                            .iter()
                            .map(|c| {
                                TableCell::new()
                                    .width(width, WidthType::Dxa)
                                    .add_paragraph(para(&c.text))
                            })
                            .collect();
                        while cells.len() < cols {
                            cells.push(
                                TableCell::new()
                                    .width(width, WidthType::Dxa)
                                    .add_paragraph(Paragraph::new()),
                            );
                        }
                        TableRow::new(cells)
                    })
                    .collect();
                docx = docx.add_table(Table::new(rows).set_grid(vec![width; cols]));
            }
        }
    }
    // docx-rs is third-party code: a panic in it becomes an error, never the caller's.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let mut buf = std::io::Cursor::new(Vec::new());
        docx.build()
            .pack(&mut buf)
            .map(|()| buf.into_inner())
            .map_err(ReviseError::write)
    }))
    .unwrap_or_else(|_| Err(ReviseError::write("the DOCX writer failed")))
}

//! The main document body in reading order: headings, paragraphs, list items and tables,
//! with table-of-contents lines taken out into [`TocEntry`]s.
//!
//! Choices:
//! - a paragraph is a heading when its own `w:outlineLvl` is 0..8 (9 = body text, which
//!   also overrides a heading style), else when its style (up the `basedOn` chain) is a
//!   heading style or `Title`, else when its style has an outline level 0..8; level is the
//!   outline level + 1 (Heading N -> N, Title -> 0);
//! - a heading's `number` is its list marker when the heading is numbered (trailing `.` or
//!   `)` dropped: marker `3.4.` -> number `3.4`), and the block text is `marker text`;
//!   otherwise the leading section number of its text (`3.4.2.1 Inclusion Criteria`);
//! - a list item's text does not repeat its marker (the marker is in `marker`); its level
//!   is `ilvl + 1`;
//! - a table cell's text is its paragraphs joined (list paragraphs keep their marker as a
//!   prefix there), nested tables flattened into the cell; merged cells keep their grid
//!   position, a vertically merged continuation cell is empty;
//! - a paragraph is a table-of-contents line when its style is `toc 1`..`toc 9`, or when
//!   a `TOC` field is open in it or it sits in a content control holding TOC lines *and*
//!   it ends in a page label (so a TOC field a damaged file never closes cannot swallow
//!   the body); the `TOC Heading` title paragraph is dropped from the body. The level of
//!   a TOC line is its `toc N` style's N, else 1; its page label is the trailing page
//!   number (arabic or roman) after a tab, dot leader or space.

use super::numbering::Numbering;
use super::styles::{StyleKind, StyleMap};
use super::text::{TextWalker, collapse};
use crate::RawBlock;
use crate::model::TocEntry;
use docx_rs::{
    DocumentChild, Paragraph, StructuredDataTag, StructuredDataTagChild, Table, TableCellContent,
    TableChild, TableRowChild,
};

/// Deepest table nesting followed inside a cell (hostile input guard).
const MAX_NESTING: usize = 16;

#[derive(Debug)]
pub(crate) struct BodyReader<'a> {
    pub styles: StyleMap<'a>,
    pub numbering: Numbering,
    pub text: TextWalker,
    pub blocks: Vec<RawBlock>,
    pub toc: Vec<TocEntry>,
}

/// What one paragraph turned out to be.
enum Para {
    Block(RawBlock),
    Toc(TocEntry),
    Skip,
}

impl<'a> BodyReader<'a> {
    pub(crate) fn new(styles: StyleMap<'a>, numbering: Numbering) -> Self {
        Self {
            styles,
            numbering,
            text: TextWalker::default(),
            blocks: Vec::new(),
            toc: Vec::new(),
        }
    }

    pub(crate) fn document(&mut self, children: &[DocumentChild]) {
        for child in children {
            match child {
                DocumentChild::Paragraph(p) => self.paragraph(p, false),
                DocumentChild::Table(t) => {
                    let rows = self.table_rows(t, 0);
                    self.blocks.push(RawBlock::Table { rows, page: None });
                }
                DocumentChild::StructuredDataTag(sdt) => self.sdt(sdt),
                _ => {}
            }
        }
        self.text.reset_fields();
    }

    fn sdt(&mut self, sdt: &StructuredDataTag) {
        let toc = self.is_toc_sdt(sdt);
        for c in &sdt.children {
            match c {
                StructuredDataTagChild::Paragraph(p) => self.paragraph(p, toc),
                StructuredDataTagChild::Table(t) => {
                    let rows = self.table_rows(t, 0);
                    self.blocks.push(RawBlock::Table { rows, page: None });
                }
                StructuredDataTagChild::StructuredDataTag(inner) => self.sdt(inner),
                _ => {}
            }
        }
    }

    /// A content control is a table of contents when Word's alias says so or it holds
    /// paragraphs in TOC styles or a TOC field.
    fn is_toc_sdt(&self, sdt: &StructuredDataTag) -> bool {
        if sdt
            .property
            .alias
            .as_deref()
            .is_some_and(|a| a.to_ascii_lowercase().contains("table of contents"))
        {
            return true;
        }
        sdt.children.iter().any(|c| match c {
            StructuredDataTagChild::Paragraph(p) => {
                matches!(
                    self.styles.resolve(style_id(p)).kind,
                    StyleKind::Toc(_) | StyleKind::TocHeading
                ) || has_toc_field(p)
            }
            _ => false,
        })
    }

    fn paragraph(&mut self, p: &Paragraph, in_toc_sdt: bool) {
        match self.classify(p, in_toc_sdt) {
            Para::Block(b) => self.blocks.push(b),
            Para::Toc(t) => self.toc.push(t),
            Para::Skip => {}
        }
    }

    fn classify(&mut self, p: &Paragraph, in_toc_sdt: bool) -> Para {
        let style = self.styles.resolve(style_id(p));
        let t = self.text.paragraph(p);
        let text = collapse(&t.text);

        if style.kind == StyleKind::TocHeading {
            return Para::Skip;
        }
        if let StyleKind::Toc(level) = style.kind {
            return toc_entry(&t.text, level);
        }
        if t.in_toc_field || in_toc_sdt {
            // Only lines that end in a page label: a TOC field left open by a damaged file
            // must not swallow the body that follows it.
            if let Para::Toc(e) = toc_entry(&t.text, 1)
                && e.page_label.is_some()
            {
                return Para::Toc(e);
            }
        }

        let own_num = p.property.numbering_property.as_ref().and_then(|np| {
            np.id
                .as_ref()
                .map(|id| (id.id, np.level.as_ref().map(|l| l.val)))
        });
        let numbering = own_num.or(style.numbering);
        let marker = numbering.and_then(|(id, lvl)| self.numbering.next(id, lvl.unwrap_or(0)));
        let ilvl = numbering.and_then(|(_, l)| l).unwrap_or(0);

        let own_outline = p.property.outline_lvl.as_ref().map(|o| o.v);
        let level: Option<u8> = match own_outline {
            Some(v) if v < 9 => Some(v as u8 + 1),
            Some(_) => None,
            None => match style.kind {
                StyleKind::Heading(n) => Some(n),
                StyleKind::Title => Some(0),
                _ => style.outline.filter(|v| *v < 9).map(|v| v as u8 + 1),
            },
        };

        if let Some(level) = level {
            let (number, text) = match marker.filter(|m| m.numbered) {
                Some(m) => {
                    let number = m.text.trim_end_matches(['.', ')']).to_string();
                    let number = (!number.is_empty()).then_some(number);
                    (number, format!("{} {}", m.text, text))
                }
                None => (leading_number(&text), text),
            };
            return Para::Block(RawBlock::Heading {
                level,
                number,
                text,
                page: None,
            });
        }
        if let Some(m) = marker {
            return Para::Block(RawBlock::ListItem {
                level: (ilvl.min(8) + 1) as u8,
                marker: Some(m.text),
                text,
                page: None,
            });
        }
        Para::Block(RawBlock::Paragraph { text, page: None })
    }

    /// Rows of cell text.
    pub(crate) fn table_rows(&mut self, t: &Table, depth: usize) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for TableChild::TableRow(row) in &t.rows {
            let mut cells = Vec::new();
            for TableRowChild::TableCell(cell) in &row.cells {
                let mut parts: Vec<String> = Vec::new();
                for c in &cell.children {
                    self.cell_content(c, depth, &mut parts);
                }
                cells.push(parts.join("\n"));
            }
            rows.push(cells);
        }
        rows
    }

    fn cell_content(&mut self, c: &TableCellContent, depth: usize, parts: &mut Vec<String>) {
        match c {
            TableCellContent::Paragraph(p) => {
                let s = self.cell_paragraph(p);
                if !s.is_empty() {
                    parts.push(s);
                }
            }
            TableCellContent::Table(inner) if depth < MAX_NESTING => {
                for row in self.table_rows(inner, depth + 1) {
                    let line = row
                        .into_iter()
                        .filter(|s| !s.trim().is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    if !line.is_empty() {
                        parts.push(line);
                    }
                }
            }
            TableCellContent::StructuredDataTag(sdt) => {
                for child in &sdt.children {
                    if let StructuredDataTagChild::Paragraph(p) = child {
                        let s = self.cell_paragraph(p);
                        if !s.is_empty() {
                            parts.push(s);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A paragraph inside a table cell: its text, prefixed by its list marker if any.
    fn cell_paragraph(&mut self, p: &Paragraph) -> String {
        match self.classify(p, false) {
            Para::Block(RawBlock::ListItem {
                marker: Some(m),
                text,
                ..
            }) => format!("{m} {text}"),
            Para::Block(RawBlock::Heading { text, .. })
            | Para::Block(RawBlock::Paragraph { text, .. })
            | Para::Block(RawBlock::ListItem { text, .. }) => text,
            Para::Toc(e) => e.text,
            _ => String::new(),
        }
    }
}

fn style_id(p: &Paragraph) -> Option<&str> {
    p.property.style.as_ref().map(|s| s.val.as_str())
}

fn has_toc_field(p: &Paragraph) -> bool {
    let mut w = TextWalker::default();
    w.paragraph(p).in_toc_field
}

/// A table-of-contents line: `3.4 Inclusion Criteria<TAB>12` or with dot leaders.
fn toc_entry(raw: &str, level: u8) -> Para {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Para::Skip;
    }
    // The page label is the last token after a tab or a dot leader, when it is a page number.
    let (body, page_label) = split_page_label(trimmed);
    let text = collapse(body.trim_end_matches(['.', '…', ' ', '\t']));
    let text = if text.is_empty() {
        collapse(trimmed)
    } else {
        text
    };
    Para::Toc(TocEntry {
        number: leading_number(&text),
        text,
        page_label,
        level,
    })
}

fn split_page_label(s: &str) -> (&str, Option<String>) {
    let cut = s
        .rfind(['\t', '.', '…', ' '])
        .map(|i| (i, s[i..].chars().next().map_or(1, char::len_utf8)));
    if let Some((i, w)) = cut {
        let label = s[i + w..].trim();
        let is_page = !label.is_empty()
            && label.len() <= 12
            && (label.chars().all(|c| c.is_ascii_digit())
                || label
                    .chars()
                    .all(|c| matches!(c.to_ascii_lowercase(), 'i' | 'v' | 'x' | 'l' | 'c')));
        if is_page && i > 0 {
            return (&s[..i], Some(label.to_string()));
        }
    }
    (s, None)
}

/// The section number a heading line starts with: `3.4.2.1 Inclusion` -> `3.4.2.1`,
/// `2. Background` -> `2`, `A.1 Tables` -> `A.1`. `None` when it does not start with one
/// or when nothing follows it.
pub(crate) fn leading_number(text: &str) -> Option<String> {
    let (token, rest) = text.split_once([' ', '\t'])?;
    if rest.trim().is_empty() {
        return None;
    }
    let token = token.trim_end_matches(['.', ')']);
    if token.is_empty() || token.len() > 24 {
        return None;
    }
    let parts: Vec<&str> = token.split('.').collect();
    let first_ok = |p: &str| {
        p.chars().all(|c| c.is_ascii_digit())
            || (p.len() == 1 && p.chars().all(|c| c.is_ascii_uppercase()) && parts.len() > 1)
    };
    let ok = !parts.is_empty()
        && parts.iter().all(|p| !p.is_empty())
        && first_ok(parts[0])
        && parts[1..]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_numbers() {
        assert_eq!(
            leading_number("3.4.2.1 Inclusion Criteria").as_deref(),
            Some("3.4.2.1")
        );
        assert_eq!(leading_number("2. Background").as_deref(), Some("2"));
        assert_eq!(leading_number("A.1 Tables").as_deref(), Some("A.1"));
        assert_eq!(leading_number("Introduction"), None);
        assert_eq!(leading_number("In 2020 we"), None);
        assert_eq!(leading_number("12"), None);
    }

    #[test]
    fn toc_lines() {
        let Para::Toc(e) = toc_entry("3.4 Inclusion Criteria\t12", 2) else {
            panic!("a toc entry")
        };
        assert_eq!(e.text, "3.4 Inclusion Criteria");
        assert_eq!(e.number.as_deref(), Some("3.4"));
        assert_eq!(e.page_label.as_deref(), Some("12"));
        let Para::Toc(e) = toc_entry("1 Synopsis ........ iv", 1) else {
            panic!("a toc entry")
        };
        assert_eq!(e.text, "1 Synopsis");
        assert_eq!(e.page_label.as_deref(), Some("iv"));
    }
}

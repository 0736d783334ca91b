//! Shared final step of both back-ends: raw blocks in reading order become [`Block`]s with
//! stable anchors, body-text offsets and sentences.

use crate::model::{Block, BlockKind, Cell, Sentence};
use crate::sentences;

/// A block as a back-end found it, before anchors, offsets and sentences are assigned.
#[derive(Debug, Clone, PartialEq)]
pub enum RawBlock {
    Heading {
        level: u8,
        number: Option<String>,
        text: String,
        page: Option<u32>,
    },
    Paragraph {
        text: String,
        page: Option<u32>,
    },
    ListItem {
        level: u8,
        marker: Option<String>,
        text: String,
        page: Option<u32>,
    },
    Table {
        rows: Vec<Vec<String>>,
        page: Option<u32>,
    },
}

/// Assign anchors (`b0`, `b1`, ...), offsets into the body text and sentences.
/// Blocks whose text is empty after trimming are dropped.
pub fn assemble(raw: Vec<RawBlock>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(raw.len());
    let mut offset = 0usize;
    for rb in raw {
        let anchor = format!("b{}", out.len());
        let (kind, text, page, split) = match rb {
            RawBlock::Heading {
                level,
                number,
                text,
                page,
            } => (
                BlockKind::Heading { level, number },
                clean(&text),
                page,
                true,
            ),
            RawBlock::Paragraph { text, page } => (BlockKind::Paragraph, clean(&text), page, true),
            RawBlock::ListItem {
                level,
                marker,
                text,
                page,
            } => (
                BlockKind::ListItem { level, marker },
                clean(&text),
                page,
                true,
            ),
            RawBlock::Table { rows, page } => {
                let rows: Vec<Vec<Cell>> = rows
                    .into_iter()
                    .enumerate()
                    .map(|(r, row)| {
                        row.into_iter()
                            .enumerate()
                            .map(|(c, t)| {
                                let cell_anchor = format!("{anchor}.r{r}c{c}");
                                let text = clean(&t);
                                let sentences = sentences_of(&cell_anchor, &text);
                                Cell {
                                    anchor: cell_anchor,
                                    text,
                                    sentences,
                                }
                            })
                            .collect()
                    })
                    .collect();
                let text = rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|c| c.text.as_str())
                            .collect::<Vec<_>>()
                            .join("\t")
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                (BlockKind::Table { rows }, text, page, false)
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let len = text.chars().count();
        let sentences = if split {
            sentences_of(&anchor, &text)
        } else {
            Vec::new()
        };
        out.push(Block {
            anchor,
            kind,
            text,
            page,
            start: offset,
            end: offset + len,
            sentences,
        });
        offset += len + 1; // the `\n` joining blocks in the body text
    }
    out
}

fn sentences_of(anchor: &str, text: &str) -> Vec<Sentence> {
    sentences::split(text)
        .into_iter()
        .enumerate()
        .map(|(i, (start, end, text))| Sentence {
            anchor: format!("{anchor}.s{i}"),
            text,
            start,
            end,
        })
        .collect()
}

/// Collapse runs of white space (including non-breaking spaces) into one space and trim.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c == '\u{a0}' {
            space = true;
        } else if !c.is_control() || c == '\t' {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Document;

    #[test]
    fn offsets_index_the_body_text() {
        let blocks = assemble(vec![
            RawBlock::Heading {
                level: 1,
                number: Some("1".into()),
                text: "1 Introduction".into(),
                page: Some(1),
            },
            RawBlock::Paragraph {
                text: "  First   sentence. Second one.  ".into(),
                page: Some(1),
            },
            RawBlock::Paragraph {
                text: "   ".into(),
                page: Some(1),
            },
            RawBlock::Table {
                rows: vec![
                    vec!["Arm".into(), "N".into()],
                    vec!["Placebo".into(), "12".into()],
                ],
                page: Some(2),
            },
        ]);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[1].sentences.len(), 2);
        assert_eq!(blocks[1].sentences[1].anchor, "b1.s1");
        assert_eq!(blocks[2].anchor, "b2");
        let doc = Document {
            metadata: crate::model::Metadata {
                format: crate::Format::Pdf,
                sha256: String::new(),
                size_bytes: 0,
                page_count: None,
                title: None,
                author: None,
                producer: None,
                warnings: vec![],
            },
            blocks,
            headers: vec![],
            footers: vec![],
            toc: vec![],
            notes: vec![],
            revisions: vec![],
        };
        let body: Vec<char> = doc.body_text().chars().collect();
        for b in &doc.blocks {
            assert_eq!(body[b.start..b.end].iter().collect::<String>(), b.text);
        }
        let all: Vec<_> = doc.sentences().map(|s| s.text.as_str()).collect();
        assert_eq!(
            all,
            vec![
                "1 Introduction",
                "First sentence.",
                "Second one.",
                "Arm",
                "N",
                "Placebo",
                "12"
            ]
        );
    }
}

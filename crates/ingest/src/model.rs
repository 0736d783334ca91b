//! The structured document every other crate works on.
//!
//! Offsets are counted in Unicode scalar values (`char`s), not bytes, so they are the same
//! in Rust, JSON consumers and browsers that index by code point. Block offsets index the
//! document's *body text*: the text of every body block in reading order, joined with a
//! single `\n` (see [`Document::body_text`]). Sentence offsets index their block's (or
//! cell's) own `text`.

use serde::{Deserialize, Serialize};

/// Input formats `ingest` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Docx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}

/// A condition the caller should know about but that did not stop parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable machine code, e.g. `no_text_layer`, `tracked_changes`, `unknown_font_encoding`.
    pub code: String,
    /// A sentence for people, saying what it means and what to do.
    pub message: String,
}

impl Warning {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub format: Format,
    /// Lower-case hex SHA-256 of the exact input bytes.
    pub sha256: String,
    pub size_bytes: u64,
    /// Number of pages (PDF only).
    pub page_count: Option<u32>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub producer: Option<String>,
    pub warnings: Vec<Warning>,
}

/// One sentence of a paragraph, list item or table cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// Stable id: the owner's anchor plus `.s<index>`, e.g. `b12.s0`, `b40.r1c2.s0`.
    pub anchor: String,
    pub text: String,
    /// Char offsets of the sentence within its owner's `text`.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// `<table anchor>.r<row>c<col>`.
    pub anchor: String,
    pub text: String,
    pub sentences: Vec<Sentence>,
}

/// What a block is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockKind {
    /// A section heading. `number` is the section number as printed (`3.4.2.1`), if any;
    /// `text` of the block is the whole heading line including the number.
    Heading {
        level: u8,
        number: Option<String>,
    },
    Paragraph,
    /// A list item; `marker` is the bullet or number as printed (`1.`, `a)`, `•`).
    ListItem {
        level: u8,
        marker: Option<String>,
    },
    /// A table; its text is the cells' text joined by tabs and newlines.
    Table {
        rows: Vec<Vec<Cell>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Stable id within the document: `b<index>` in reading order.
    pub anchor: String,
    #[serde(flatten)]
    pub kind: BlockKind,
    pub text: String,
    /// 1-based page the block starts on (PDF only).
    pub page: Option<u32>,
    /// Char offsets of `text` within [`Document::body_text`].
    pub start: usize,
    pub end: usize,
    /// Sentences of paragraphs, list items and headings (tables keep theirs per cell).
    pub sentences: Vec<Sentence>,
}

impl Block {
    pub fn is_heading(&self) -> bool {
        matches!(self.kind, BlockKind::Heading { .. })
    }
}

/// Text repeated on pages (running headers and footers), kept apart from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFurniture {
    /// `header` or `footer`.
    pub position: String,
    pub text: String,
    /// Pages it was seen on (PDF), empty for DOCX where it applies to a section.
    pub pages: Vec<u32>,
}

/// One line of a table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocEntry {
    pub text: String,
    pub number: Option<String>,
    /// Page number as printed in the table of contents.
    pub page_label: Option<String>,
    pub level: u8,
}

/// A footnote, endnote or comment (DOCX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// `footnote`, `endnote` or `comment`.
    pub kind: String,
    pub id: String,
    pub author: Option<String>,
    pub text: String,
}

/// A tracked change still pending in a DOCX.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// `insertion` or `deletion`.
    pub kind: String,
    pub author: Option<String>,
    pub date: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub metadata: Metadata,
    /// Body blocks in reading order.
    pub blocks: Vec<Block>,
    pub headers: Vec<PageFurniture>,
    pub footers: Vec<PageFurniture>,
    pub toc: Vec<TocEntry>,
    pub notes: Vec<Note>,
    pub revisions: Vec<Revision>,
}

impl Document {
    /// The body text that block offsets index: every block's text joined by `\n`.
    pub fn body_text(&self) -> String {
        let mut out = String::new();
        for (i, b) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&b.text);
        }
        out
    }

    pub fn headings(&self) -> impl Iterator<Item = &Block> {
        self.blocks.iter().filter(|b| b.is_heading())
    }

    /// Every sentence of the body, tables included, in reading order.
    pub fn sentences(&self) -> impl Iterator<Item = &Sentence> {
        self.blocks.iter().flat_map(|b| {
            let own = b.sentences.iter();
            let cells: Box<dyn Iterator<Item = &Sentence>> = match &b.kind {
                BlockKind::Table { rows } => Box::new(
                    rows.iter()
                        .flat_map(|r| r.iter())
                        .flat_map(|c| c.sentences.iter()),
                ),
                _ => Box::new(std::iter::empty()),
            };
            own.chain(cells)
        })
    }

    pub fn has_warning(&self, code: &str) -> bool {
        self.metadata.warnings.iter().any(|w| w.code == code)
    }
}

//! What the caller hands in ([`Edit`], [`Options`], [`Limits`]) and gets back
//! ([`Revised`], [`Skipped`], [`SkipReason`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One accepted rewrite of one sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// The caller's key (a suggestion id), reported back in [`Revised`].
    pub id: String,
    /// The sentence as ingest extracted it (white space is compared collapsed).
    pub original: String,
    /// 0-based: which occurrence of `original` in body reading order, counting each
    /// paragraph's matches in document order ([`occurrence_of`](crate::occurrence_of)
    /// computes it from ingest's document).
    pub occurrence: usize,
    /// The new sentence (white space is collapsed to single spaces).
    pub replacement: String,
    /// Author of the tracked change (`w:author`), e.g. `dualcheck AI (1a2b3c4d)`.
    pub author: String,
    /// Time of the decision, written as `w:date`.
    pub date: DateTime<Utc>,
    /// The reviewer's decision, written as a Word comment on the change when
    /// [`Options::comments`] is on.
    pub comment: Option<String>,
}

/// How the revised document is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Write [`Edit::comment`]s as Word comments (adds or extends `word/comments.xml`).
    /// Off: the package's other parts stay byte for byte and comments are dropped.
    pub comments: bool,
    /// `w:author` of the comments (default `dualcheck`); the change itself carries
    /// [`Edit::author`].
    pub comment_author: String,
    /// `w:initials` of the comments (default `DC`).
    pub comment_initials: String,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            comments: true,
            comment_author: "dualcheck".to_string(),
            comment_initials: "DC".to_string(),
            limits: Limits::default(),
        }
    }
}

/// Bounds on the DOCX read, the same idea as ingest's: the declared and the real
/// inflated sizes, compression ratios, entry count and the size of one XML part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest input, in bytes (default 50 MB).
    pub max_bytes: u64,
    /// Largest total inflated size of the archive (default 256 MiB).
    pub max_uncompressed_bytes: u64,
    /// Largest inflated/compressed ratio of an entry over 1 MiB (default 100).
    pub max_compression_ratio: u64,
    /// Most entries in the archive (default 10,000).
    pub max_entries: usize,
    /// Largest single XML part, inflated (default 64 MiB).
    pub max_xml_part_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 50_000_000,
            max_uncompressed_bytes: 256 * 1024 * 1024,
            max_compression_ratio: 100,
            max_entries: 10_000,
            max_xml_part_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The revised document and what became of every edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revised {
    /// The DOCX with the tracked changes.
    pub bytes: Vec<u8>,
    /// Ids of the edits written, in input order.
    pub applied: Vec<String>,
    /// The others, in input order, each with its reason.
    pub skipped: Vec<Skipped>,
}

/// An edit that was not written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub id: String,
    pub reason: SkipReason,
}

/// Why an edit was not written. [`SkipReason::code`] is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The requested occurrence of the sentence is not in the body text.
    NotFound,
    /// The sentence overlaps one that an earlier edit already changes.
    Overlaps,
    /// Another edit earlier in the list has the same id.
    DuplicateId,
    /// The replacement equals the original (white space collapsed).
    Unchanged,
    /// The original is empty, or the replacement, author or comment holds characters XML
    /// cannot.
    InvalidText,
    /// The sentence is in, or crosses, a field (`w:fldChar`, `w:fldSimple`, `w:instrText`).
    Field,
    /// The sentence crosses a hyperlink's boundary.
    Hyperlink,
    /// The sentence is in, or crosses, a content control (`w:sdt`).
    ContentControl,
    /// A text box or drawing (`w:drawing`, `w:pict`, `mc:AlternateContent`) is inside it.
    TextBox,
    /// A bookmark starts or ends inside the sentence.
    Bookmark,
    /// A tracked change (`w:ins`, `w:del`, `w:moveFrom`, `w:moveTo`, `w:rPrChange`)
    /// touches the sentence.
    ExistingRevision,
    /// A run holds something other than text inside the sentence (a footnote reference,
    /// a symbol, an object, a non-breaking hyphen).
    NonTextContent,
    /// Other markup this writer does not rewrite (`w:smartTag`, `w:customXml`, math).
    UnsupportedMarkup,
}

impl SkipReason {
    /// Stable snake_case name.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::NotFound => "not_found",
            SkipReason::Overlaps => "overlaps",
            SkipReason::DuplicateId => "duplicate_id",
            SkipReason::Unchanged => "unchanged",
            SkipReason::InvalidText => "invalid_text",
            SkipReason::Field => "field",
            SkipReason::Hyperlink => "hyperlink",
            SkipReason::ContentControl => "content_control",
            SkipReason::TextBox => "text_box",
            SkipReason::Bookmark => "bookmark",
            SkipReason::ExistingRevision => "existing_revision",
            SkipReason::NonTextContent => "non_text_content",
            SkipReason::UnsupportedMarkup => "unsupported_markup",
        }
    }

    /// A sentence for people.
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::NotFound => {
                "the sentence was not found in the document body at that occurrence"
            }
            SkipReason::Overlaps => "the sentence overlaps a sentence another edit changes",
            SkipReason::DuplicateId => "another edit has the same id",
            SkipReason::Unchanged => "the replacement is the same as the original",
            SkipReason::InvalidText => {
                "the original is empty, or the replacement, author or comment has characters a Word document cannot hold"
            }
            SkipReason::Field => {
                "the sentence is in or crosses a field (cross-reference, page number, table of contents); edit it in Word"
            }
            SkipReason::Hyperlink => "the sentence crosses the boundary of a hyperlink",
            SkipReason::ContentControl => "the sentence is in or crosses a content control",
            SkipReason::TextBox => "a text box, drawing or shape sits inside the sentence",
            SkipReason::Bookmark => {
                "a bookmark (a cross-reference target) starts or ends inside the sentence"
            }
            SkipReason::ExistingRevision => {
                "a pending tracked change touches the sentence; accept or reject it first"
            }
            SkipReason::NonTextContent => {
                "the sentence holds something other than text (footnote reference, symbol, object, special hyphen)"
            }
            SkipReason::UnsupportedMarkup => {
                "the sentence holds markup this writer does not rewrite (smart tag, custom XML, equation)"
            }
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

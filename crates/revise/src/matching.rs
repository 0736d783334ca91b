//! Finding a sentence: paragraph text under ingest's white-space collapsing, sentence
//! boundaries, occurrences counted in reading order.
//!
//! Ingest collapses every run of white space (tabs and line breaks included, and
//! non-breaking spaces) into one space, trims, and drops control characters; its sentences
//! start at the start of their text or after white space and end at its end or before
//! white space. A sentence is therefore looked for in the collapsed paragraph text, at
//! those boundaries: where the text starts, or after a sentence's end (a `.`, `!`, `?`,
//! `…` or closing quote or bracket) and a space; and where the text ends, or before a
//! space when the sentence itself ends so. `Yes.` is found in `No. Yes. Then`, not in
//! `Say Yes. Then` nor in `Yes.No`. Table-of-contents lines, which ingest keeps out of
//! the body, are not searched.

use crate::scan::Para;
use ingest::{BlockKind, Document};
use std::ops::Range;

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

/// A paragraph's collapsed text and, for each of its chars, the raw chars it stands for.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    pub text: String,
    /// Byte offset in `text` of each char.
    starts: Vec<usize>,
    /// Raw char range of each char (a space stands for the whole run of white space).
    pub raw: Vec<Range<usize>>,
}

impl View {
    pub(crate) fn new(raw: &[char]) -> Self {
        let mut v = View::default();
        let mut space: Option<Range<usize>> = None;
        for (i, &c) in raw.iter().enumerate() {
            if is_space(c) {
                space = Some(match space {
                    Some(r) => r.start..i + 1,
                    None => i..i + 1,
                });
            } else if !c.is_control() {
                if let Some(r) = space.take()
                    && !v.text.is_empty()
                {
                    v.push(' ', r);
                }
                v.push(c, i..i + 1);
            } else if let Some(r) = space.as_mut() {
                r.end = i + 1;
            }
        }
        v
    }

    fn push(&mut self, c: char, raw: Range<usize>) {
        self.starts.push(self.text.len());
        self.text.push(c);
        self.raw.push(raw);
    }

    fn char_index(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s < byte)
    }
}

/// Collapse white space as ingest does.
pub(crate) fn collapse(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    View::new(&chars).text
}

/// What a sentence ends with, as ingest splits them: a stop, or closing punctuation
/// after one.
fn ends_sentence(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '…' | ')' | ']' | '"' | '\'' | '”' | '’' | '»'
    )
}

/// Byte offsets of the matches of `needle` in `hay` at sentence boundaries, in order.
fn matches<'h>(hay: &'h str, needle: &'h str) -> impl Iterator<Item = usize> + 'h {
    let mut from = 0usize;
    let closed = needle.chars().last().is_some_and(ends_sentence);
    std::iter::from_fn(move || {
        if needle.is_empty() {
            return None;
        }
        while let Some(off) = hay.get(from..).and_then(|h| h.find(needle)) {
            let b = from + off;
            let e = b + needle.len();
            let before = b == 0
                || hay[..b].ends_with('\n')
                || hay[..b]
                    .strip_suffix(' ')
                    .and_then(|h| h.chars().last())
                    .is_some_and(ends_sentence);
            let after = e == hay.len()
                || hay[e..].starts_with('\n')
                || (closed && hay[e..].starts_with(' '));
            if before && after {
                from = e;
                return Some(b);
            }
            from = b + hay[b..].chars().next().map_or(1, char::len_utf8);
        }
        None
    })
}

/// The searchable body: every searched paragraph's collapsed text, joined by `\n` (which
/// collapsed text never holds), so one search runs over the whole body.
#[derive(Debug)]
pub(crate) struct Body<'v> {
    text: String,
    /// (byte offset in `text`, paragraph index) of each searched paragraph.
    starts: Vec<(usize, usize)>,
    views: &'v [View],
}

impl<'v> Body<'v> {
    pub(crate) fn new(paras: &[Para], views: &'v [View]) -> Self {
        let mut text = String::new();
        let mut starts = Vec::new();
        for (i, (p, v)) in paras.iter().zip(views).enumerate() {
            if p.toc {
                continue;
            }
            if !starts.is_empty() {
                text.push('\n');
            }
            starts.push((text.len(), i));
            text.push_str(&v.text);
        }
        Self {
            text,
            starts,
            views,
        }
    }

    /// The paragraph and the collapsed char range of the `occurrence`-th match of
    /// `needle` (collapsed) in the body.
    pub(crate) fn find(&self, needle: &str, occurrence: usize) -> Option<(usize, Range<usize>)> {
        let b = matches(&self.text, needle).nth(occurrence)?;
        let k = self
            .starts
            .partition_point(|&(s, _)| s <= b)
            .checked_sub(1)?;
        let (start, para) = self.starts[k];
        let first = self.views[para].char_index(b - start);
        Some((para, first..first + needle.chars().count()))
    }
}

/// The [`Edit::occurrence`](crate::Edit::occurrence) of the sentence with `anchor` in
/// ingest's `doc`: how many times its text occurs, at sentence boundaries, in the body
/// before it (paragraphs, list items, headings and table cells in reading order). `None`
/// when no sentence has that anchor.
///
/// It agrees with what [`apply_tracked_changes`](crate::apply_tracked_changes) counts in
/// the DOCX as long as ingest's text of a block is its paragraph's text; a numbered
/// heading's number or a list marker inside a table cell (which ingest prefixes and the
/// DOCX holds as numbering) make that sentence not found rather than another one changed.
pub fn occurrence_of(doc: &Document, anchor: &str) -> Option<usize> {
    let mut units: Vec<(&str, &[ingest::Sentence])> = Vec::new();
    for b in &doc.blocks {
        match &b.kind {
            BlockKind::Table { rows } => {
                for c in rows.iter().flatten() {
                    units.push((&c.text, &c.sentences));
                }
            }
            _ => units.push((&b.text, &b.sentences)),
        }
    }
    let (owner, sentence) = units
        .iter()
        .enumerate()
        .find_map(|(i, (_, ss))| ss.iter().find(|s| s.anchor == anchor).map(|s| (i, s)))?;
    let needle = collapse(&sentence.text);
    let mut count = 0usize;
    for (text, _) in &units[..owner] {
        count += matches(&collapse(text), &needle).count();
    }
    let own = collapse(units[owner].0);
    let chars: Vec<char> = own.chars().collect();
    // The sentence's start in the collapsed owner text (ingest's text is collapsed already).
    let start_byte: usize = chars
        .iter()
        .take(sentence.start.min(chars.len()))
        .map(|c| c.len_utf8())
        .sum();
    count += matches(&own, &needle)
        .take_while(|&b| b < start_byte)
        .count();
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_like_ingest() {
        let raw: Vec<char> = "  a \t b\u{a0}\nc  ".chars().collect();
        let v = View::new(&raw);
        assert_eq!(v.text, "a b c");
        assert_eq!(v.raw[1], 3..6);
        assert_eq!(v.raw[3], 7..9);
    }

    #[test]
    fn matches_at_sentence_boundaries_only() {
        let m: Vec<usize> = matches("Yes. Say Yes. Yes.No No. Yes.", "Yes.").collect();
        assert_eq!(m, vec![0, 25]);
        assert_eq!(matches("One two. Three four", "Three four").count(), 1);
        assert_eq!(matches("One two three four.", "two three").count(), 0);
        assert_eq!(
            matches("(See below.) Next one. Next one", "Next one.").count(),
            1
        );
    }
}

//! From an [`Edit`] to what changes where: the sentence located, checked for what it must
//! not cross, and the word-level difference as deletions of raw character ranges and
//! insertions at raw positions.

use crate::matching::{self, View};
use crate::scan::{Hazard, Para};
use crate::xml::is_xml_char;
use crate::{Edit, SkipReason};
use similar::{Algorithm, ChangeTag, TextDiff};
use std::ops::Range;
use std::time::Duration;

/// Where an insertion (or a comment mark) goes: before or after a raw char.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Anchor {
    Before(usize),
    After(usize),
}

impl Anchor {
    /// Order in the text: `After(p)` comes right after char `p`, `Before(p)` right before.
    pub(crate) fn key(self) -> (usize, u8) {
        match self {
            Anchor::Before(p) => (p, 0),
            Anchor::After(p) => (p, 1),
        }
    }

    pub(crate) fn char(self) -> usize {
        match self {
            Anchor::Before(p) | Anchor::After(p) => p,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// Raw chars deleted.
    Del(Range<usize>),
    /// Text inserted at the anchor.
    Ins(Anchor, String),
}

/// An edit that will be written.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// Index in the caller's edits.
    pub edit: usize,
    pub para: usize,
    /// Raw char range of the sentence.
    pub span: Range<usize>,
    /// In text order.
    pub ops: Vec<Op>,
}

/// Plan `edit` (the `index`-th), or say why it cannot be written. `done` are the edits
/// planned before it.
pub(crate) fn plan(
    paras: &[Para],
    views: &[View],
    body: &matching::Body<'_>,
    index: usize,
    edit: &Edit,
    comments: bool,
    done: &[Planned],
) -> Result<Planned, SkipReason> {
    let original = matching::collapse(&edit.original);
    if original.is_empty()
        || !edit.replacement.chars().all(is_xml_char)
        || !edit.author.chars().all(is_xml_char)
    {
        return Err(SkipReason::InvalidText);
    }
    if comments
        && edit
            .comment
            .as_deref()
            .is_some_and(|c| !c.chars().all(is_xml_char))
    {
        return Err(SkipReason::InvalidText);
    }
    let replacement = matching::collapse(&edit.replacement);
    if replacement == original {
        return Err(SkipReason::Unchanged);
    }
    let (para, range) = body
        .find(&original, edit.occurrence)
        .ok_or(SkipReason::NotFound)?;
    let p = &paras[para];
    let v = &views[para];
    let span = v.raw[range.start].start..v.raw[range.end - 1].end;
    check(p, &span)?;
    if done
        .iter()
        .any(|d| d.para == para && d.span.start < span.end && span.start < d.span.end)
    {
        return Err(SkipReason::Overlaps);
    }
    let ops = diff(&original, &replacement)
        .into_iter()
        .map(|op| match op {
            COp::Del(a, b) => Op::Del(v.raw[range.start + a].start..v.raw[range.start + b - 1].end),
            COp::Ins(0, t) => Op::Ins(Anchor::Before(span.start), t),
            COp::Ins(a, t) => Op::Ins(Anchor::After(v.raw[range.start + a - 1].end - 1), t),
        })
        .collect();
    Ok(Planned {
        edit: index,
        para,
        span,
        ops,
    })
}

/// Refuse a span that crosses anything [`scan`](crate::scan) marked, lies in a field,
/// or is made of runs in different (or disallowed) containers.
fn check(p: &Para, span: &Range<usize>) -> Result<(), SkipReason> {
    if p.in_field[span.clone()].iter().any(|&f| f) {
        return Err(SkipReason::Field);
    }
    if let Some((_, h)) = p
        .markers
        .iter()
        .find(|(pos, _)| span.start < *pos && *pos < span.end)
    {
        return Err(h.reason());
    }
    let mut runs: Vec<usize> = p.owner[span.clone()].to_vec();
    runs.dedup();
    let Some(&first) = runs.first() else {
        return Err(SkipReason::NotFound);
    };
    let chain = &p.runs[first].containers;
    for &r in &runs {
        let run = &p.runs[r];
        if run.rpr_change {
            return Err(SkipReason::ExistingRevision);
        }
        if &run.containers != chain {
            let differing = run
                .containers
                .iter()
                .chain(chain.iter())
                .find(|c| !(run.containers.contains(c) && chain.contains(c)));
            return Err(differing.map_or(SkipReason::UnsupportedMarkup, |c| c.kind.reason()));
        }
    }
    // Inside one hyperlink is fine; every other container is refused.
    if let Some(c) = chain.iter().find(|c| c.kind != Hazard::Hyperlink) {
        return Err(c.kind.reason());
    }
    Ok(())
}

/// A change in collapsed chars, relative to the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum COp {
    Del(usize, usize),
    Ins(usize, String),
}

/// The word-level difference: deletions and insertions in text order, a replacement as
/// a deletion followed by the insertion at its end.
fn diff(old: &str, new: &str) -> Vec<COp> {
    let d = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(Duration::from_millis(500))
        .diff_words(old, new);
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut del: Option<(usize, usize)> = None;
    let mut ins: Option<(usize, String)> = None;
    let flush = |out: &mut Vec<COp>,
                 del: &mut Option<(usize, usize)>,
                 ins: &mut Option<(usize, String)>| {
        if let Some((a, b)) = del.take() {
            out.push(COp::Del(a, b));
        }
        if let Some((a, t)) = ins.take() {
            out.push(COp::Ins(a, t));
        }
    };
    for change in d.iter_all_changes() {
        let n = change.value().chars().count();
        match change.tag() {
            ChangeTag::Equal => {
                flush(&mut out, &mut del, &mut ins);
                pos += n;
            }
            ChangeTag::Delete => {
                if ins.is_some() {
                    flush(&mut out, &mut del, &mut ins);
                }
                del = Some(match del {
                    Some((a, _)) => (a, pos + n),
                    None => (pos, pos + n),
                });
                pos += n;
            }
            ChangeTag::Insert => match ins.as_mut() {
                Some((_, t)) => t.push_str(change.value()),
                None => ins = Some((pos, change.value().to_string())),
            },
        }
    }
    flush(&mut out, &mut del, &mut ins);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_changed_words() {
        assert_eq!(
            diff("The dose was 10 mg daily.", "The dose was 20 mg daily."),
            vec![COp::Del(13, 15), COp::Ins(15, "20".into())]
        );
        assert_eq!(diff("A C.", "A B C."), vec![COp::Ins(2, "B ".into())]);
        assert_eq!(diff("A B C.", "A C."), vec![COp::Del(2, 4)]);
    }
}

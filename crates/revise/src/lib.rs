//! # dualcheck-revise
//!
//! The revised document: accepted rewrites of sentences written into the DOCX as native
//! Word tracked changes, so the writer opens it in Word and sees exactly what the review
//! changed, word by word, with who and when.
//!
//! - [`apply_tracked_changes`] takes the DOCX as uploaded and the [`Edit`]s (one per
//!   accepted suggestion) and returns the package with, for each edit it could write, the
//!   changed words in `w:del`/`w:ins` (author = the model, date = the decision) and the
//!   decision as a Word comment on them. Every edit is either applied or skipped with a
//!   [`SkipReason`]; none is dropped.
//! - [`docx_from_document`] builds a DOCX from a parsed document (for a PDF source), on
//!   which the same edits can then be written.
//! - [`occurrence_of`] gives an ingest sentence's [`Edit::occurrence`].
//!
//! ## How a sentence is found
//! The paragraphs of the main part (table cells included) are read as ingest reads them
//! (see `scan`): a paragraph's text is its runs' `w:t` text, tabs and breaks as white
//! space, deletions and field codes left out. The sentence is matched against that text
//! with white space collapsed as ingest collapses it, at sentence boundaries, and the
//! `occurrence`-th match in reading order is the one changed.
//!
//! ## What is refused
//! An edit whose sentence would cross a field, a hyperlink's boundary, a content control,
//! a text box or drawing, a bookmark's start or end, a pending tracked change, or a run
//! holding something other than text (a footnote reference, a symbol, an object) is
//! skipped with that reason (see [`SkipReason`]); so is one that overlaps an earlier
//! edit. When unsure, the writer skips.
//!
//! ## What is kept
//! The main part is rewritten at the event level: only the runs an edit touches are
//! replaced (split at the edit's boundaries, each piece with a copy of the run's
//! `w:rPr`); every other byte of the part is copied from the input. Every other entry of
//! the package is copied as it was (its compressed bytes, name, order), except, when
//! comments are written, the comments part (extended or created) and, when it is created,
//! its relationship in the main part's `.rels` and its `Override` in
//! `[Content_Types].xml`: only insertions are made into those (see `comments`).
//! With [`Options::comments`] off, the reviewer's comment is not written and nothing but
//! the main part changes.
//!
//! Bad input never panics: a damaged or hostile package is a [`ReviseError`]; what is
//! read is bounded by [`Limits`] (sizes, ratios, entries, one XML part, nesting).

mod comments;
mod error;
mod from_document;
mod ids;
mod matching;
mod model;
mod package;
mod parts;
mod plan;
mod render;
mod scan;
mod xml;

pub use error::ReviseError;
pub use from_document::docx_from_document;
pub use matching::occurrence_of;
pub use model::{Edit, Limits, Options, Revised, SkipReason, Skipped};

use std::collections::{HashMap, HashSet};

/// Write `edits` into `docx` as tracked changes.
///
/// When no edit can be written the input bytes are returned unchanged.
pub fn apply_tracked_changes(
    docx: &[u8],
    edits: &[Edit],
    opts: &Options,
) -> Result<Revised, ReviseError> {
    let pkg = package::Package::open(docx, &opts.limits)?;
    let main = parts::main_part(&pkg)?;
    let main_xml = pkg
        .xml(&main)
        .ok_or_else(|| ReviseError::MissingPart { part: main.clone() })?;
    let paras = scan::scan(&main, main_xml)?;
    let views: Vec<matching::View> = paras.iter().map(|p| matching::View::new(&p.text)).collect();
    let body = matching::Body::new(&paras, &views);

    let mut planned: Vec<plan::Planned> = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    for (i, e) in edits.iter().enumerate() {
        let result = if seen.insert(e.id.as_str()) {
            plan::plan(&paras, &views, &body, i, e, opts.comments, &planned)
        } else {
            Err(SkipReason::DuplicateId)
        };
        match result {
            Ok(p) => planned.push(p),
            Err(reason) => skipped.push(Skipped {
                id: e.id.clone(),
                reason,
            }),
        }
    }
    let applied: Vec<String> = planned.iter().map(|p| edits[p.edit].id.clone()).collect();
    if planned.is_empty() {
        return Ok(Revised {
            bytes: docx.to_vec(),
            applied,
            skipped,
        });
    }

    let max = ids::max_w_id(&pkg);
    let first = u64::try_from(max.max(0)).unwrap_or(0) + 1;
    let mut ids = render::Ids { next: first };
    let date = |e: &Edit| e.date.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let stamps: Vec<render::Stamp> = edits
        .iter()
        .map(|e| render::Stamp {
            author: e.author.clone(),
            date: date(e),
        })
        .collect();

    let mut comment_ids = HashMap::new();
    let mut new_comments = Vec::new();
    if opts.comments {
        for p in &planned {
            let e = &edits[p.edit];
            if let Some(text) = e.comment.as_deref().filter(|c| !c.trim().is_empty()) {
                let id = ids.take();
                comment_ids.insert(p.edit, id);
                new_comments.push(comments::NewComment {
                    id,
                    author: opts.comment_author.clone(),
                    initials: opts.comment_initials.clone(),
                    date: date(e),
                    text: text.to_string(),
                });
            }
        }
    }

    let new_main = render::render(main_xml, &paras, &planned, &stamps, &comment_ids, &mut ids);
    // Word reads w:id as a signed 32-bit number.
    if ids.next - 1 > i32::MAX as u64 {
        return Err(ReviseError::Unsupported {
            reason: format!(
                "the package uses w:id values up to {max}, leaving no room for new ids"
            ),
        });
    }
    let mut replace = HashMap::new();
    replace.insert(main.clone(), new_main);
    let mut add = Vec::new();
    comments::add(&pkg, &main, &new_comments, &mut replace, &mut add)?;
    let bytes = pkg.write(&replace, &add)?;
    Ok(Revised {
        bytes,
        applied,
        skipped,
    })
}

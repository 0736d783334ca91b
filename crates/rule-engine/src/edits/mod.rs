//! Safe edits: a proposal passes only when every difference from its original belongs to
//! a class the packs allow.
//!
//! Both sides become canonical word streams ([`canon`]): case, punctuation, hyphenation,
//! spelling variants, number words, unit spellings, articles, defined abbreviations,
//! removable fillers and plain-language substitutions (in their declared direction) are
//! normalised away. The two streams are aligned word by word (`similar`, Myers); what is
//! left is a difference nobody showed to be safe, and blocks:
//!
//! - `omission`: words of the original missing from the proposal;
//! - `addition`: words (or a filler) the original does not have;
//! - `wording_changed` / `word_form_changed`: words replaced by others;
//! - `substitution_reversed`: a plain word of the original made wordy;
//! - `words_swapped` / `words_moved`: the same words in other places, so what qualifies
//!   what changed ("primary ... secondary" exchanged);
//! - `fragment`: the proposal does not end as a sentence;
//! - `non_word`: a word in no word list, no lexicon, and not in the original.
//!
//! Two differences keep every word and only `warn`: a phrase set off by a comma or a
//! sentence edge moved as a whole (`phrase_moved`), and a sentence split in two
//! (`sentence_split`, an `and` at the split may go).

mod abbrev;
mod canon;
pub(crate) mod tables;

pub use abbrev::Definitions;
pub use tables::EditTables;

use crate::crosscheck::Reason;
use crate::facts::FactCheck;
use crate::lexicon::Lexicon;
use crate::pack::{EditClass, Level, RuleSet};
use canon::{CTok, Side, canon};
use similar::{Algorithm, DiffOp, capture_diff_slices};
use std::collections::HashSet;
use std::ops::Range;

/// A stretch where the two streams differ: tokens `old` of the original, `new` of the
/// proposal.
#[derive(Debug, Clone)]
struct Hunk {
    old: Range<usize>,
    new: Range<usize>,
    done: bool,
}

fn texts(toks: &[CTok], r: &Range<usize>) -> Vec<String> {
    toks[r.clone()].iter().map(|t| t.text.clone()).collect()
}

fn span(toks: &[CTok], r: &Range<usize>) -> Option<(usize, usize)> {
    (!r.is_empty()).then(|| (toks[r.start].start, toks[r.end - 1].end))
}

/// The words of a stretch as the reader wrote them (defined abbreviations as written).
fn quote(text: &str, toks: &[CTok], r: &Range<usize>) -> String {
    match span(toks, r) {
        Some((s, e)) => text.get(s..e).unwrap_or("").to_string(),
        None => String::new(),
    }
}

fn clause_edges(toks: &[CTok], r: &Range<usize>) -> bool {
    !r.is_empty() && (toks[r.start].brk_before || toks[r.end - 1].brk_after)
}

struct Out<'a> {
    rules: &'a RuleSet,
    reasons: &'a mut Vec<Reason>,
}

impl Out<'_> {
    fn fact(
        &mut self,
        check: FactCheck,
        kind: &str,
        message: String,
        os: Option<(usize, usize)>,
        ps: Option<(usize, usize)>,
    ) {
        let (rule_id, level) = self.rules.fact_rule(check, kind, Level::Block);
        if let Some(level) = level {
            self.reasons.push(Reason {
                rule_id,
                level,
                kind: kind.to_string(),
                message,
                original_span: os,
                proposal_span: ps,
            });
        }
    }

    /// A difference an edit class allows, at that class's level; blocks when the packs
    /// have no rule of the class.
    fn edit(
        &mut self,
        class: EditClass,
        kind: &str,
        message: String,
        os: Option<(usize, usize)>,
        ps: Option<(usize, usize)>,
        otherwise: FactCheck,
    ) {
        match self.rules.edits.rule_of(class) {
            Some(r) => self.reasons.push(Reason {
                rule_id: r.id.clone(),
                level: r.level,
                kind: kind.to_string(),
                message,
                original_span: os,
                proposal_span: ps,
            }),
            None => self.fact(otherwise, kind, message, os, ps),
        }
    }
}

/// Both sides of a pair as canonical streams.
#[derive(Debug)]
pub(crate) struct Pair {
    a: Side,
    b: Side,
}

impl Pair {
    pub(crate) fn original_abbreviations(&self) -> Vec<(usize, usize)> {
        self.a
            .abbreviations
            .iter()
            .map(|x| (x.start, x.end))
            .collect()
    }

    pub(crate) fn proposal_abbreviations(&self) -> Vec<(usize, usize)> {
        self.b
            .abbreviations
            .iter()
            .map(|x| (x.start, x.end))
            .collect()
    }
}

/// The canonical streams of a pair under the definitions of the original and its document.
pub(crate) fn prepare(original: &str, proposal: &str, rules: &RuleSet, defs: &Definitions) -> Pair {
    let tables = &rules.edits;
    let punctuation = tables.rule_of(EditClass::Punctuation).is_some();
    Pair {
        a: canon(original, tables, defs, punctuation),
        b: canon(proposal, tables, defs, punctuation),
    }
}

/// Word-level check of `proposal` against `original`; reasons (byte spans) go to `reasons`.
pub(crate) fn check(
    pair: &Pair,
    original: &str,
    proposal: &str,
    rules: &RuleSet,
    lex: &Lexicon,
    reasons: &mut Vec<Reason>,
) {
    let tables = &rules.edits;
    let (a, b) = (&pair.a, &pair.b);
    let mut out = Out { rules, reasons };
    if a.bracket_commas != b.bracket_commas {
        out.fact(
            FactCheck::Wording,
            "bracket_attachment_changed",
            "a comma after a bracketed phrase was added or removed: the phrase now qualifies something else".into(),
            None,
            None,
        );
    }

    if b.toks.is_empty() {
        out.fact(
            FactCheck::Fragment,
            "empty_proposal",
            "the proposal has no words".into(),
            None,
            None,
        );
        return;
    }
    if a.ends_as_sentence && !b.ends_as_sentence {
        let last = b.toks.len() - 1;
        out.fact(
            FactCheck::Fragment,
            "fragment",
            "the proposal does not end as a sentence ends".into(),
            None,
            span(&b.toks, &(last..last + 1)),
        );
    }

    let at: Vec<&str> = a.toks.iter().map(|t| t.text.as_str()).collect();
    let bt: Vec<&str> = b.toks.iter().map(|t| t.text.as_str()).collect();
    let mut hunks: Vec<Hunk> = capture_diff_slices(Algorithm::Myers, &at, &bt)
        .into_iter()
        .filter_map(|op| match op {
            DiffOp::Equal { .. } => None,
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => Some(Hunk {
                old: old_index..old_index + old_len,
                new: new_index..new_index,
                done: false,
            }),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => Some(Hunk {
                old: old_index..old_index,
                new: new_index..new_index + new_len,
                done: false,
            }),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => Some(Hunk {
                old: old_index..old_index + old_len,
                new: new_index..new_index + new_len,
                done: false,
            }),
        })
        .collect();

    moves(a, b, original, proposal, &mut hunks, &mut out);
    splits(a, b, &mut hunks, &mut out);

    let mut stemmer = None;
    let known: HashSet<&str> = if hunks.iter().any(|h| !h.done) {
        a.toks.iter().map(|t| t.text.as_str()).collect()
    } else {
        HashSet::new()
    };
    for h in hunks.iter().filter(|h| !h.done) {
        let (os, ps) = (span(&a.toks, &h.old), span(&b.toks, &h.new));
        let (qo, qp) = (
            quote(original, &a.toks, &h.old),
            quote(proposal, &b.toks, &h.new),
        );
        match (h.old.is_empty(), h.new.is_empty()) {
            (false, true) => out.fact(
                FactCheck::Omission,
                "omission",
                format!("'{qo}' is missing from the proposal"),
                os,
                ps,
            ),
            (true, false) => out.fact(
                FactCheck::Addition,
                "addition",
                format!("'{qp}' is not in the original"),
                os,
                ps,
            ),
            _ => {
                let (ow, nw) = (texts(&a.toks, &h.old), texts(&b.toks, &h.new));
                let st = stemmer.get_or_insert_with(|| {
                    rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
                });
                let same_stems = ow.len() == nw.len()
                    && ow.iter().zip(&nw).all(|(x, y)| st.stem(x) == st.stem(y));
                let kind = if same_stems {
                    "word_form_changed"
                } else {
                    "wording_changed"
                };
                out.fact(
                    FactCheck::Wording,
                    kind,
                    format!("'{qo}' became '{qp}'"),
                    os,
                    ps,
                );
            }
        }
        for t in &b.toks[h.new.clone()] {
            let w = t.raw.to_lowercase().replace('’', "'");
            let plain = w.trim_end_matches("'s");
            if t.text.starts_with('⟨')
                || !w.chars().all(|c| c.is_alphabetic() || c == '\'')
                || t.raw.chars().skip(1).any(char::is_uppercase)
                || known.contains(t.text.as_str())
                || tables.words.contains(plain)
                || tables.words.contains(&tables.spell(plain))
                || lex.is_drug(plain)
            {
                continue;
            }
            out.fact(
                FactCheck::NonWord,
                "non_word",
                format!("'{}' is not a word", t.raw),
                None,
                Some((t.start, t.end)),
            );
        }
    }

    // Fillers: removing one is allowed, adding one is not.
    for f in unmatched(&b.fillers, &a.fillers) {
        out.fact(
            FactCheck::Addition,
            "filler_added",
            format!("'{}' is not in the original", f.phrase),
            None,
            Some((f.start, f.end)),
        );
    }
    // The edits made are listed only when they explain every difference.
    let explained = hunks.iter().all(|h| h.done);
    for f in unmatched(&a.fillers, &b.fillers)
        .into_iter()
        .filter(|_| explained)
    {
        let r = &tables.rules[f.rule];
        out.reasons.push(Reason {
            rule_id: r.id.clone(),
            level: r.level,
            kind: "filler_removed".into(),
            message: format!("'{}' was removed", f.phrase),
            original_span: Some((f.start, f.end)),
            proposal_span: None,
        });
    }
    // Abbreviations expanded or contracted by a definition.
    for x in unmatched(&a.abbreviations, &b.abbreviations)
        .into_iter()
        .filter(|_| explained)
    {
        if let Some(r) = tables.rule_of(EditClass::Abbreviation) {
            out.reasons.push(Reason {
                rule_id: r.id.clone(),
                level: r.level,
                kind: "abbreviation_changed".into(),
                message: format!(
                    "'{}' was expanded or contracted by its definition",
                    x.phrase
                ),
                original_span: Some((x.start, x.end)),
                proposal_span: None,
            });
        }
    }
    // Substitutions: only in their declared direction (a wordy phrase of the proposal
    // must have been in the original).
    for s in unmatched(&b.substitutions, &a.substitutions) {
        out.fact(
            FactCheck::Wording,
            "substitution_reversed",
            format!("'{}' is wordier than what the original says", s.phrase),
            None,
            Some((s.start, s.end)),
        );
    }
    for s in unmatched(&a.substitutions, &b.substitutions)
        .into_iter()
        .filter(|_| explained)
    {
        let r = &tables.rules[s.rule];
        out.reasons.push(Reason {
            rule_id: r.id.clone(),
            level: r.level,
            kind: "substitution".into(),
            message: format!("'{}' became its plain form", s.phrase),
            original_span: Some((s.start, s.end)),
            proposal_span: None,
        });
    }
}

/// Items of `a` without a same-phrase partner in `b`.
fn unmatched<'a>(a: &'a [canon::Applied], b: &[canon::Applied]) -> Vec<&'a canon::Applied> {
    let mut used = vec![false; b.len()];
    let mut out = Vec::new();
    for x in a {
        match b
            .iter()
            .enumerate()
            .find(|(k, y)| !used[*k] && y.phrase == x.phrase)
        {
            Some((k, _)) => used[k] = true,
            None => out.push(x),
        }
    }
    out
}

/// The same words deleted in one place and inserted in another: a phrase set off by
/// clause breaks on both sides moved (warn); anything else moved or swapped (block).
fn moves(
    a: &Side,
    b: &Side,
    original: &str,
    proposal: &str,
    hunks: &mut [Hunk],
    out: &mut Out<'_>,
) {
    for i in 0..hunks.len() {
        for j in 0..hunks.len() {
            if i == j || hunks[i].done || hunks[j].done || hunks[i].old.is_empty() {
                continue;
            }
            let (hi, hj) = (&hunks[i], &hunks[j]);
            let moved = texts(&a.toks, &hi.old);
            if moved != texts(&b.toks, &hj.new) {
                continue;
            }
            // Pure move: i only deletes, j only inserts. Swap: each replaces the other's.
            let pure = hi.new.is_empty() && hj.old.is_empty();
            let swap = !hi.new.is_empty()
                && !hj.old.is_empty()
                && texts(&a.toks, &hj.old) == texts(&b.toks, &hi.new);
            if !pure && !swap {
                continue;
            }
            let (os, ps) = (span(&a.toks, &hi.old), span(&b.toks, &hj.new));
            let words = quote(original, &a.toks, &hi.old);
            if pure
                && moved.len() >= 2
                && clause_edges(&a.toks, &hi.old)
                && clause_edges(&b.toks, &hj.new)
            {
                out.edit(
                    EditClass::Reorder,
                    "phrase_moved",
                    format!("'{words}' moved"),
                    os,
                    ps,
                    FactCheck::Role,
                );
            } else if swap {
                let other = quote(proposal, &b.toks, &hi.new);
                out.fact(
                    FactCheck::Role,
                    "words_swapped",
                    format!("'{words}' and '{other}' changed places"),
                    os,
                    ps,
                );
            } else {
                out.fact(
                    FactCheck::Role,
                    "words_moved",
                    format!("'{words}' moved away from what it qualifies"),
                    os,
                    ps,
                );
            }
            hunks[i].done = true;
            hunks[j].done = true;
        }
    }
}

/// A sentence split in two: the proposal has more sentence boundaries; an `and` dropped
/// right at a new boundary belongs to the split.
fn splits(a: &Side, b: &Side, hunks: &mut [Hunk], out: &mut Out<'_>) {
    if b.sentences == a.sentences {
        return;
    }
    for h in hunks.iter_mut().filter(|h| !h.done) {
        let at_boundary = b.toks.get(h.new.start).is_some_and(|t| t.sentence_before);
        if h.new.is_empty() && at_boundary && texts(&a.toks, &h.old) == ["and"] {
            h.done = true;
        }
    }
    let (os, ps) = (None, None);
    out.edit(
        EditClass::Split,
        "sentence_split",
        format!(
            "the original has {} sentence(s), the proposal {}",
            a.sentences + 1,
            b.sentences + 1
        ),
        os,
        ps,
        FactCheck::Fragment,
    );
}

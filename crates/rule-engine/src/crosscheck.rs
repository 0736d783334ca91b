//! The dual-control cross-check: facts of the original against facts of the proposal.
//! Every difference is one reason with its spans on both sides; the verdict is the most
//! severe level among them (`block` > `warn` > `pass`).

use crate::edits::{self, Definitions};
use crate::facts::{Binding, Fact, FactCheck, FactKind, Facts, extract};
use crate::lexicon::Lexicon;
use crate::pack::{Level, RuleSet};
use serde::Serialize;
use std::collections::HashMap;

crate::named_enum! {
    /// Outcome of a cross-check: `block` can never be accepted, `warn` needs a reviewer's
    /// reason, `pass` means every difference is one the packs allow.
    pub enum Verdict {
        Pass = "pass",
        Warn = "warn",
        Block = "block",
    }
}

/// One difference between the original and the proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub rule_id: String,
    pub level: Level,
    /// `number_changed`, `negation_dropped`, `route_dropped`, `group_swapped`, ...
    pub kind: String,
    pub message: String,
    /// Character span (Unicode scalar values, end exclusive) in the original, when the
    /// fact is there.
    pub original_span: Option<(usize, usize)>,
    /// Character span in the proposal, when the fact is there.
    pub proposal_span: Option<(usize, usize)>,
}

/// The cross-check result, with the rule pack set it was made under.
#[derive(Debug, Clone, Serialize)]
pub struct CrossCheck {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub rules_version: String,
    pub rules_hash: String,
}

impl CrossCheck {
    /// A rewrite that changes wording, not only punctuation, articles or linking words: it
    /// passes, and one of its allowed edits is a plain-language substitution or an
    /// abbreviation expanded or contracted.
    pub fn substantive(&self) -> bool {
        self.verdict == Verdict::Pass
            && self.reasons.iter().any(|r| {
                r.level == Level::Info
                    && matches!(r.kind.as_str(), "substitution" | "abbreviation_changed")
            })
    }
}

/// A byte span as a character span.
pub fn char_span(text: &str, (s, e): (usize, usize)) -> (usize, usize) {
    if text.is_ascii() {
        return (s, e);
    }
    let count = |b: usize| {
        text.get(..b.min(text.len()))
            .map_or(0, |t| t.chars().count())
    };
    (count(s), count(e))
}

fn key(f: &Fact) -> (String, Option<&str>) {
    (f.value.clone(), f.unit.as_deref())
}

fn span(f: &Fact) -> Option<(usize, usize)> {
    Some((f.start, f.end))
}

/// Facts of `kind` on each side that the other lacks (multiset difference by value).
fn unmatched<'a>(
    a: &'a [&'a Fact],
    b: &'a [&'a Fact],
    by: impl Fn(&Fact) -> String,
) -> Vec<&'a Fact> {
    let mut counts: HashMap<String, i32> = HashMap::new();
    for f in b {
        *counts.entry(by(f)).or_default() += 1;
    }
    let mut out = Vec::new();
    for f in a {
        let c = counts.entry(by(f)).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            out.push(*f);
        }
    }
    out
}

/// Cross-check a proposal against its original under `rules`.
pub fn crosscheck(original: &str, proposal: &str, rules: &RuleSet) -> CrossCheck {
    crosscheck_with(original, proposal, rules, &rules.lexicon)
}

/// As [`crosscheck`], with a lexicon extended by a document's own terms.
pub fn crosscheck_with(
    original: &str,
    proposal: &str,
    rules: &RuleSet,
    lex: &Lexicon,
) -> CrossCheck {
    check(original, proposal, rules, lex, None)
}

/// As [`crosscheck_with`], with the abbreviations the document defines (an abbreviation
/// may then be expanded or contracted by its document-wide definition).
pub fn crosscheck_in_document(
    original: &str,
    proposal: &str,
    rules: &RuleSet,
    lex: &Lexicon,
    definitions: &Definitions,
) -> CrossCheck {
    check(original, proposal, rules, lex, Some(definitions))
}

fn check(
    original: &str,
    proposal: &str,
    rules: &RuleSet,
    lex: &Lexicon,
    definitions: Option<&Definitions>,
) -> CrossCheck {
    let mut defs = Definitions::scan(original);
    if let Some(d) = definitions {
        defs.extend(d);
    }
    let pair = edits::prepare(original, proposal, rules, &defs);
    let mut a = extract(original, lex);
    let mut b = extract(proposal, lex);
    a.abbreviation_spans = pair.original_abbreviations();
    b.abbreviation_spans = pair.proposal_abbreviations();
    let mut reasons = Vec::new();
    compare(&a, &b, rules, &defs, &mut reasons);
    edits::check(&pair, original, proposal, rules, lex, &mut reasons);
    for r in &mut reasons {
        r.original_span = r.original_span.map(|s| char_span(original, s));
        r.proposal_span = r.proposal_span.map(|s| char_span(proposal, s));
    }
    let verdict = reasons.iter().map(|r| match r.level {
        Level::Block => Verdict::Block,
        Level::Warn => Verdict::Warn,
        Level::Info => Verdict::Pass,
    });
    CrossCheck {
        verdict: verdict.max().unwrap_or(Verdict::Pass),
        reasons,
        rules_version: rules.version.clone(),
        rules_hash: rules.hash.clone(),
    }
}

/// Facts without those inside the long form of a defined abbreviation ("type 1 diabetes
/// mellitus (T1DM)" and "T1DM" say the same; the word alignment checks the expansion).
fn inside_abbreviations(f: &Facts, defs: &Definitions) -> Facts {
    let spans = &f.abbreviation_spans;
    if spans.is_empty() || defs.is_empty() {
        return f.clone();
    }
    let mut g = f.clone();
    g.facts
        .retain(|x| !spans.iter().any(|(s, e)| *s <= x.start && x.end <= *e));
    g.bindings
        .retain(|x| !spans.iter().any(|(s, e)| *s <= x.start && x.end <= *e));
    g
}

/// `word` occurs in `text` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn of(f: &Facts, k: FactKind) -> Vec<&Fact> {
    f.of(k).collect()
}

fn compare(a: &Facts, b: &Facts, rules: &RuleSet, defs: &Definitions, out: &mut Vec<Reason>) {
    let (a, b) = (
        &inside_abbreviations(a, defs),
        &inside_abbreviations(b, defs),
    );
    let mut add = |fact: FactCheck,
                   kind: String,
                   message: String,
                   os: Option<(usize, usize)>,
                   ps: Option<(usize, usize)>,
                   default: Level| {
        let (rule_id, level) = rules.fact_rule(fact, &kind, default);
        if let Some(level) = level {
            out.push(Reason {
                rule_id,
                level,
                kind,
                message,
                original_span: os,
                proposal_span: ps,
            });
        }
    };

    // Numbers: by value first, then units of the values both sides have.
    let (na, nb) = (of(a, FactKind::Number), of(b, FactKind::Number));
    let lost = unmatched(&na, &nb, |f| f.value.clone());
    let new = unmatched(&nb, &na, |f| f.value.clone());
    let pairs = lost.len().min(new.len());
    for k in 0..pairs {
        add(
            FactCheck::Number,
            "number_changed".into(),
            format!("{} became {}", lost[k].value, new[k].value),
            span(lost[k]),
            span(new[k]),
            Level::Block,
        );
    }
    for f in &lost[pairs..] {
        add(
            FactCheck::Number,
            "number_dropped".into(),
            format!("{} is missing from the proposal", f.value),
            span(f),
            None,
            Level::Block,
        );
    }
    for f in &new[pairs..] {
        add(
            FactCheck::Number,
            "number_added".into(),
            format!("{} is not in the original", f.value),
            None,
            span(f),
            Level::Block,
        );
    }
    let lost_u = unmatched(&na, &nb, |f| format!("{:?}", key(f)));
    let new_u = unmatched(&nb, &na, |f| format!("{:?}", key(f)));
    for f in &lost_u {
        if lost.iter().any(|l| std::ptr::eq(*l, *f)) {
            continue;
        }
        let other = new_u
            .iter()
            .find(|g| g.value == f.value && !new.iter().any(|n| std::ptr::eq(*n, **g)));
        let kind = if f.unit.as_deref().is_some_and(|u| u.starts_with('@'))
            || other
                .and_then(|o| o.unit.as_deref())
                .is_some_and(|u| u.starts_with('@'))
        {
            "timepoint_changed"
        } else {
            "unit_changed"
        };
        add(
            FactCheck::Unit,
            kind.into(),
            format!(
                "{} {} became {} {}",
                f.value,
                f.unit.as_deref().unwrap_or("(no unit)"),
                f.value,
                other.and_then(|o| o.unit.as_deref()).unwrap_or("(no unit)")
            ),
            span(f),
            other.and_then(|o| span(o)),
            Level::Block,
        );
    }

    // Facts compared as multisets of normalised values: (kind, level when dropped, level
    // when added); a change is always a block. The packs may set other levels.
    for (kind, dropped_level, added_level) in [
        (FactKind::Comparator, Level::Block, Level::Block),
        (FactKind::Negation, Level::Block, Level::Block),
        (FactKind::Quantifier, Level::Block, Level::Block),
        (FactKind::Modal, Level::Block, Level::Block),
        (FactKind::Condition, Level::Block, Level::Block),
        (FactKind::Frequency, Level::Block, Level::Block),
        (FactKind::Route, Level::Block, Level::Block),
        (FactKind::Logic, Level::Block, Level::Block),
        (FactKind::Identifier, Level::Block, Level::Block),
        (FactKind::Drug, Level::Block, Level::Block),
        (FactKind::Month, Level::Block, Level::Block),
        (FactKind::Temporal, Level::Block, Level::Block),
        (FactKind::Name, Level::Block, Level::Block),
        (FactKind::Abbreviation, Level::Warn, Level::Warn),
        (FactKind::Claim, Level::Block, Level::Block),
    ] {
        let fact = kind.check();
        let (mut fa, mut fb) = (of(a, kind), of(b, kind));
        if kind == FactKind::Name {
            // Case is not a name: "Visits" and "visits" are the same word.
            fa.retain(|f| !has_word(&b.lower, &f.value));
            fb.retain(|f| !has_word(&a.lower, &f.value));
        }
        if kind == FactKind::Abbreviation {
            // A defined abbreviation may be expanded or contracted: the word alignment
            // checks it against its long form.
            fa.retain(|f| defs.get(&f.value).is_none());
            fb.retain(|f| defs.get(&f.value).is_none());
        }
        let lost = unmatched(&fa, &fb, |f| f.value.clone());
        let new = unmatched(&fb, &fa, |f| f.value.clone());
        // Negation is polarity: counts matter, values are all "not".
        let pairs = lost.len().min(new.len());
        for k in 0..pairs {
            add(
                fact,
                format!("{fact}_changed"),
                format!("{} became {}", lost[k].value, new[k].value),
                span(lost[k]),
                span(new[k]),
                Level::Block,
            );
        }
        for f in &lost[pairs..] {
            // An abbreviation expanded or dropped with its expansion kept is fine; a
            // dropped one is reported for the reviewer.
            add(
                fact,
                format!("{fact}_dropped"),
                format!("{} {} is missing from the proposal", fact, f.value),
                span(f),
                None,
                dropped_level,
            );
        }
        for f in &new[pairs..] {
            // A new abbreviation that the original spelled out is an abbreviation, not a
            // new claim: still a warning for the reviewer.
            add(
                fact,
                format!("{fact}_added"),
                format!("{} {} is not in the original", fact, f.value),
                None,
                span(f),
                added_level,
            );
        }
    }

    // Group binding: the same number tied to a different group.
    for ba in &a.bindings {
        let same = b
            .bindings
            .iter()
            .any(|x| x.number == ba.number && x.group == ba.group);
        if same {
            continue;
        }
        if let Some(bb) = b
            .bindings
            .iter()
            .find(|x: &&Binding| x.number == ba.number && x.group != ba.group)
        {
            add(
                FactCheck::Group,
                "group_swapped".into(),
                format!(
                    "{} belonged to {} and now belongs to {}",
                    ba.number, ba.group, bb.group
                ),
                Some((ba.start, ba.end)),
                Some((bb.start, bb.end)),
                Level::Block,
            );
        }
    }

    // Length bounds.
    if a.words >= 4 && (b.words > 2 * a.words + 5 || b.words * 10 < a.words * 3) {
        add(
            FactCheck::Length,
            "length_out_of_bounds".into(),
            format!(
                "the proposal has {} words, the original {}",
                b.words, a.words
            ),
            None,
            None,
            Level::Warn,
        );
    }
}

//! Document QC: findings on an ingested document. Pack rules of sentence, heading and
//! document scope, plus built-in checks: abbreviations (used before definition, never
//! defined, defined twice, defined but never used), cross-references that resolve to no
//! heading or table, and non-sequential table and figure numbering.

use crate::pack::Examples;
use crate::pack::{Kind, Level, Rule, RuleSet, Scope};
use ingest::{BlockKind, Document};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

mod abbreviations;
mod references;

use abbreviations::*;
pub use abbreviations::{QcWords, QcWordsFile};
use references::*;

/// One QC finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub level: Level,
    pub message: String,
    /// Anchor of the sentence (`b12.s0`), cell (`b3.r1c2`) or block (`b12`).
    pub anchor: String,
    /// Character span (Unicode scalar values, end exclusive) in the anchored text, like
    /// ingest's offsets.
    pub span: (usize, usize),
    /// Suggested replacement (substitution rules).
    pub replacement: Option<String>,
    /// Other rules that reported the same problem on the same span (merged into this
    /// finding); not serialised when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

/// A piece of text with its anchor.
#[derive(Debug, Clone)]
pub struct Unit<'a> {
    pub anchor: String,
    pub text: &'a str,
    pub heading: bool,
}

/// Sentences (and cell sentences) and headings of the body, in reading order.
pub fn units(doc: &Document) -> Vec<Unit<'_>> {
    units_and_blocks(doc).0
}

/// [`units`] and the index of the block each comes from.
fn units_and_blocks(doc: &Document) -> (Vec<Unit<'_>>, Vec<usize>) {
    let mut out = Vec::new();
    let mut owners = Vec::new();
    for (bi, b) in doc.blocks.iter().enumerate() {
        owners.resize(out.len(), bi.saturating_sub(1));
        match &b.kind {
            BlockKind::Heading { .. } => out.push(Unit {
                anchor: b.anchor.clone(),
                text: &b.text,
                heading: true,
            }),
            BlockKind::Table { rows } => {
                for c in rows.iter().flatten() {
                    for s in &c.sentences {
                        out.push(Unit {
                            anchor: s.anchor.clone(),
                            text: &s.text,
                            heading: false,
                        });
                    }
                }
            }
            _ => {
                for s in &b.sentences {
                    out.push(Unit {
                        anchor: s.anchor.clone(),
                        text: &s.text,
                        heading: false,
                    });
                }
            }
        }
    }
    owners.resize(out.len(), doc.blocks.len().saturating_sub(1));
    (out, owners)
}

fn render(msg: &str, vars: &[(&str, &str)]) -> String {
    let mut m = msg.to_string();
    for (k, v) in vars {
        m = m.replace(&format!("{{{k}}}"), v);
    }
    m
}

/// Run one sentence- or heading-scoped rule on one text.
pub fn check_text(rule: &Rule, text: &str, anchor: &str, out: &mut Vec<Finding>) {
    let Some(c) = rule.compiled.as_ref() else {
        return;
    };
    let finding = |span: (usize, usize), message: String, replacement: Option<String>| Finding {
        rule_id: rule.id.clone(),
        level: rule.level,
        message,
        anchor: anchor.to_string(),
        span,
        replacement,
        also: Vec::new(),
    };
    match rule.kind {
        Kind::Existence | Kind::Substitution => {
            if let Some(re) = &c.any {
                for cap in re.captures_iter(text) {
                    let Some(m) = cap.get(1) else { continue };
                    let repl = c.swap.get(&m.as_str().to_lowercase()).cloned();
                    let msg = render(
                        &rule.message,
                        &[
                            ("match", m.as_str()),
                            ("replacement", repl.as_deref().unwrap_or("")),
                        ],
                    );
                    out.push(finding((m.start(), m.end()), msg, repl));
                }
            }
        }
        Kind::Occurrence => {
            if let Some(re) = &c.any {
                let n = re.find_iter(text).count();
                if n as f64 > rule.max.unwrap_or(f64::MAX) {
                    out.push(finding(
                        (0, text.len()),
                        render(&rule.message, &[("value", &n.to_string())]),
                        None,
                    ));
                }
            }
        }
        Kind::Metric => {
            let value = match rule.metric.as_deref() {
                Some("grade_level") => grade_level(text),
                _ => text.split_whitespace().count() as f64,
            };
            let max = rule.max.unwrap_or(f64::MAX);
            if value > max {
                out.push(finding(
                    (0, text.len()),
                    render(
                        &rule.message,
                        &[
                            ("value", &format!("{value:.0}")),
                            ("max", &format!("{max:.0}")),
                        ],
                    ),
                    None,
                ));
            }
        }
        Kind::Capitalization => {
            if !case_ok(text, rule.case.as_deref().unwrap_or("title")) {
                out.push(finding(
                    (0, text.len()),
                    render(&rule.message, &[("match", text)]),
                    None,
                ));
            }
        }
        Kind::Consistency | Kind::Conditional => {
            let units = [Unit {
                anchor: anchor.to_string(),
                text,
                heading: false,
            }];
            document_rule(rule, &units, out);
        }
        Kind::Fact | Kind::Edit => {}
    }
}

const SMALL: &[&str] = &[
    "a", "an", "the", "and", "or", "nor", "but", "for", "of", "in", "on", "to", "with", "at", "by",
    "from", "as", "per", "vs", "via", "into", "than",
];

fn case_ok(text: &str, case: &str) -> bool {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
        .collect();
    match case {
        "upper" => !text.chars().any(char::is_lowercase),
        "sentence" => words.iter().skip(1).all(|w| {
            !w.chars().next().is_some_and(char::is_uppercase)
                || w.chars().skip(1).any(char::is_uppercase)
        }),
        _ => words.iter().enumerate().all(|(i, w)| {
            let lower = w.to_lowercase();
            (i > 0 && SMALL.contains(&lower.as_str()))
                || w.chars().next().is_some_and(char::is_uppercase)
        }),
    }
}

/// Flesch-Kincaid grade level.
fn grade_level(text: &str) -> f64 {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return 0.0;
    }
    let syll: usize = words.iter().map(|w| syllables(w)).sum();
    0.39 * words.len() as f64 + 11.8 * syll as f64 / words.len() as f64 - 15.59
}

fn syllables(w: &str) -> usize {
    let mut n = 0;
    let mut prev = false;
    for c in w.chars().map(|c| c.to_ascii_lowercase()) {
        let v = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if v && !prev {
            n += 1;
        }
        prev = v;
    }
    if w.ends_with('e') && n > 1 {
        n -= 1;
    }
    n.max(1)
}

/// Run a document-scoped rule over all units.
pub fn document_rule(rule: &Rule, units: &[Unit<'_>], out: &mut Vec<Finding>) {
    document_rule_in(rule, units, None, out);
}

/// [`document_rule`] knowing the document's abbreviations: a conditional rule also takes
/// the definitions QC found (footnotes, the abbreviation list) as `first` matches and
/// ignores `second` matches in headings, that are not abbreviations, or in the abbreviation list.
fn document_rule_in(
    rule: &Rule,
    units: &[Unit<'_>],
    ab: Option<&Abbreviations>,
    out: &mut Vec<Finding>,
) {
    let Some(c) = rule.compiled.as_ref() else {
        return;
    };
    match rule.kind {
        Kind::Consistency => {
            for [a, b] in &rule.either {
                let find = |term: &str| -> Option<(usize, usize, String)> {
                    let re = Regex::new(&format!(r"(?i)\b{}\b", regex::escape(term))).ok()?;
                    units
                        .iter()
                        .enumerate()
                        .find_map(|(i, u)| {
                            re.find(u.text)
                                .map(|m| (i, m.start(), m.as_str().to_string()).to_owned())
                        })
                        .map(|(i, s, _)| (i, s, term.to_string()))
                };
                if let (Some(fa), Some(fb)) = (find(a), find(b)) {
                    let (later, _) = if fa.0 >= fb.0 { (fa, fb) } else { (fb, fa) };
                    let u = &units[later.0];
                    out.push(Finding {
                        rule_id: rule.id.clone(),
                        level: rule.level,
                        message: render(&rule.message, &[("first", a), ("second", b)]),
                        anchor: u.anchor.clone(),
                        span: (later.1, later.1 + later.2.len()),
                        replacement: None,
                        also: Vec::new(),
                    });
                }
            }
        }
        Kind::Conditional => {
            let (Some(first), Some(second)) = (&c.first, &c.second) else {
                return;
            };
            let mut defined: HashSet<String> = HashSet::new();
            let mut reported: HashSet<String> = HashSet::new();
            for (i, u) in units.iter().enumerate() {
                let mut defs: Vec<(usize, String)> = first
                    .captures_iter(u.text)
                    .filter_map(|cap| {
                        cap.get(1)
                            .map(|m| (m.start(), m.as_str().trim_end_matches('s').to_string()))
                    })
                    .collect();
                if let Some(ab) = ab {
                    defs.extend(
                        ab.defined_in(i)
                            .map(|(p, d)| (p, d.trim_end_matches('s').to_string())),
                    );
                }
                defs.sort();
                for cap in second.captures_iter(u.text) {
                    let Some(m) = cap.get(1) else { continue };
                    let v = m.as_str().trim_end_matches('s').to_string();
                    // Headings are not uses (the built-in checks' convention).
                    if ab.is_some_and(|ab| {
                        u.heading || ab.skip(i, m.start()) || ab.global(m.as_str()) || ab.global(&v)
                    }) {
                        continue;
                    }
                    let here = defs.iter().any(|(p, d)| *d == v && *p <= m.start());
                    if !here && !defined.contains(&v) && reported.insert(v.clone()) {
                        out.push(Finding {
                            rule_id: rule.id.clone(),
                            level: rule.level,
                            message: render(&rule.message, &[("match", m.as_str())]),
                            anchor: u.anchor.clone(),
                            span: (m.start(), m.end()),
                            replacement: None,
                            also: Vec::new(),
                        });
                    }
                }
                defined.extend(defs.into_iter().map(|(_, d)| d));
            }
        }
        _ => {
            for u in units {
                check_text(rule, u.text, &u.anchor, out);
            }
        }
    }
}

/// All findings on `doc` under `rules`, sorted by position in the document.
pub fn check(doc: &Document, rules: &RuleSet) -> Vec<Finding> {
    let (units, owners) = units_and_blocks(doc);
    let ab = Abbreviations::find(doc, &units, &owners, &rules.qc, &rules.edits.words);
    let mut out = Vec::new();
    for rule in &rules.rules {
        match rule.scope {
            Scope::Sentence => {
                for u in units.iter().filter(|u| !u.heading) {
                    check_text(rule, u.text, &u.anchor, &mut out);
                }
            }
            Scope::Heading => {
                for u in units.iter().filter(|u| u.heading) {
                    check_text(rule, u.text, &u.anchor, &mut out);
                }
            }
            Scope::Document => document_rule_in(rule, &units, Some(&ab), &mut out),
            Scope::Proposal => {}
        }
    }
    abbreviations(&units, &ab, &mut out);
    cross_references(doc, &units, &mut out);
    numbering(doc, &mut out);
    let texts: HashMap<&str, &str> = units.iter().map(|u| (u.anchor.as_str(), u.text)).collect();
    for f in &mut out {
        if let Some(t) = texts.get(f.anchor.as_str()) {
            f.span = crate::crosscheck::char_span(t, f.span);
        }
    }
    let order: HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.anchor.as_str(), i))
        .collect();
    out.sort_by_key(|f| {
        (
            order.get(f.anchor.as_str()).copied().unwrap_or(usize::MAX),
            f.span.0,
        )
    });
    merge(out, rules)
}

/// The problem a finding reports, for merging findings of several rules: an abbreviation
/// not defined where it is used (the packs' conditional rules, qc.abbreviation.undefined
/// and qc.abbreviation.before-definition), otherwise the rule itself.
fn problem<'a>(f: &'a Finding, conditional: &HashSet<&str>) -> &'a str {
    if conditional.contains(f.rule_id.as_str())
        || f.rule_id == "qc.abbreviation.undefined"
        || f.rule_id == "qc.abbreviation.before-definition"
    {
        "abbreviation-not-defined"
    } else {
        &f.rule_id
    }
}

/// One finding per problem and span: findings of several rules on the same span for the
/// same problem become one, the most severe (a built-in check's on a tie, for its more
/// precise message), naming the others in `also`. `out` is sorted by position.
fn merge(out: Vec<Finding>, rules: &RuleSet) -> Vec<Finding> {
    let conditional: HashSet<&str> = rules
        .rules
        .iter()
        .filter(|r| r.kind == Kind::Conditional)
        .map(|r| r.id.as_str())
        .collect();
    let mut kept: Vec<Finding> = Vec::with_capacity(out.len());
    let mut at: HashMap<(String, (usize, usize), String), usize> = HashMap::new();
    for f in out {
        let key = (
            f.anchor.clone(),
            f.span,
            problem(&f, &conditional).to_string(),
        );
        match at.get(&key) {
            Some(&k) => {
                let prev = &mut kept[k];
                if prev.rule_id == f.rule_id {
                    continue;
                }
                let better = f.level > prev.level
                    || (f.level == prev.level
                        && f.rule_id.starts_with("qc.")
                        && !prev.rule_id.starts_with("qc."));
                let mut f = f;
                if better {
                    std::mem::swap(prev, &mut f);
                    prev.also = std::mem::take(&mut f.also);
                }
                for id in std::iter::once(f.rule_id).chain(f.also) {
                    if id != prev.rule_id && !prev.also.contains(&id) {
                        prev.also.push(id);
                    }
                }
                prev.also.sort();
            }
            None => {
                at.insert(key, kept.len());
                kept.push(f);
            }
        }
    }
    kept
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

//! Document QC: findings on an ingested document. Pack rules of sentence, heading and
//! document scope, plus built-in checks: abbreviations (used before definition, never
//! defined, defined twice, defined but never used), cross-references that resolve to no
//! heading or table, and non-sequential table and figure numbering.

use crate::pack::{Kind, Level, Rule, RuleSet, Scope};
use ingest::{BlockKind, Document};
use regex::Regex;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

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
    let mut out = Vec::new();
    for b in &doc.blocks {
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
    out
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
            for u in units {
                let mut defs: Vec<(usize, String)> = first
                    .captures_iter(u.text)
                    .filter_map(|cap| {
                        cap.get(1)
                            .map(|m| (m.start(), m.as_str().trim_end_matches('s').to_string()))
                    })
                    .collect();
                defs.sort();
                for cap in second.captures_iter(u.text) {
                    let Some(m) = cap.get(1) else { continue };
                    let v = m.as_str().trim_end_matches('s').to_string();
                    let here = defs.iter().any(|(p, d)| *d == v && *p <= m.start());
                    if !here && !defined.contains(&v) && reported.insert(v.clone()) {
                        out.push(Finding {
                            rule_id: rule.id.clone(),
                            level: rule.level,
                            message: render(&rule.message, &[("match", m.as_str())]),
                            anchor: u.anchor.clone(),
                            span: (m.start(), m.end()),
                            replacement: None,
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

static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:[A-Za-z][\w'-]*\s+){1,7})\(([A-Z][A-Za-z0-9]*[A-Z0-9])s?\)")
        .unwrap_or_else(|e| panic!("{e}"))
});
static ABBREV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([A-Z][A-Za-z0-9]*[A-Z])s?\b").unwrap_or_else(|e| panic!("{e}"))
});
static XREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(Section|Table|Figure|Appendix)\s+(\d+(?:\.\d+)*)\b")
        .unwrap_or_else(|e| panic!("{e}"))
});
static CAPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(Table|Figure)\s+(\d+)\b").unwrap_or_else(|e| panic!("{e}")));

/// Roman numerals and common words in capitals that are not abbreviations to define.
fn exempt(a: &str) -> bool {
    matches!(
        a,
        "II" | "III"
            | "IV"
            | "VI"
            | "VII"
            | "VIII"
            | "IX"
            | "XI"
            | "XII"
            | "OR"
            | "AND"
            | "NOT"
            | "NO"
            | "US"
            | "UK"
            | "EU"
            | "USA"
            | "NA"
            | "OK"
            | "ID"
            | "TM"
            | "PDF"
            | "DOCX"
            | "AM"
            | "PM"
    ) || a.len() > 10
}

fn builtin(
    rule_id: &str,
    level: Level,
    message: String,
    u: &Unit<'_>,
    span: (usize, usize),
) -> Finding {
    Finding {
        rule_id: rule_id.into(),
        level,
        message,
        anchor: u.anchor.clone(),
        span,
        replacement: None,
    }
}

/// Where an abbreviation is used: unit index and span.
type Place = (usize, (usize, usize));

/// Built-in abbreviation checks over the body.
fn abbreviations(units: &[Unit<'_>], out: &mut Vec<Finding>) {
    let mut defs: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut uses: HashMap<String, Vec<Place>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        let mut def_spans = Vec::new();
        for cap in DEFINITION.captures_iter(u.text) {
            let (Some(long), Some(ab)) = (cap.get(1), cap.get(2)) else {
                continue;
            };
            let ab_s = ab.as_str().to_string();
            // The long form's initials should match (loosely) the abbreviation.
            let initials: String = long
                .as_str()
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect::<String>()
                .to_uppercase();
            let first = ab_s.chars().next().unwrap_or(' ');
            if !initials.contains(first) {
                continue;
            }
            def_spans.push((ab.start(), ab.end()));
            if let Some(prev) = defs.get(&ab_s) {
                if prev.0 != i {
                    out.push(builtin(
                        "qc.abbreviation.defined-twice",
                        Level::Info,
                        format!(
                            "{ab_s} is defined again (first defined at {})",
                            units[prev.0].anchor
                        ),
                        u,
                        (ab.start(), ab.end()),
                    ));
                }
            } else {
                defs.insert(ab_s, (i, ab.start()));
            }
        }
        for m in ABBREV.captures_iter(u.text).filter_map(|c| c.get(1)) {
            if def_spans
                .iter()
                .any(|(s, e)| m.start() >= *s && m.end() <= *e)
                || exempt(m.as_str())
                || u.heading
            {
                continue;
            }
            uses.entry(m.as_str().to_string())
                .or_default()
                .push((i, (m.start(), m.end())));
        }
    }
    for (ab, places) in &uses {
        match defs.get(ab) {
            None => {
                let (i, span) = places[0];
                out.push(builtin(
                    "qc.abbreviation.undefined",
                    Level::Warn,
                    format!("{ab} is used {} time(s) and never defined", places.len()),
                    &units[i],
                    span,
                ));
            }
            Some((di, dpos)) => {
                if let Some((i, span)) = places
                    .iter()
                    .find(|(i, s)| i < di || (i == di && s.0 < *dpos))
                {
                    out.push(builtin(
                        "qc.abbreviation.before-definition",
                        Level::Warn,
                        format!(
                            "{ab} is used before its definition at {}",
                            units[*di].anchor
                        ),
                        &units[*i],
                        *span,
                    ));
                }
            }
        }
    }
    for (ab, (i, pos)) in &defs {
        if !uses.contains_key(ab) {
            out.push(builtin(
                "qc.abbreviation.unused",
                Level::Info,
                format!("{ab} is defined but never used"),
                &units[*i],
                (*pos, *pos + ab.len()),
            ));
        }
    }
}

/// Cross-references ("see Section 9.4", "Table 3") that resolve to nothing in the document.
fn cross_references(doc: &Document, units: &[Unit<'_>], out: &mut Vec<Finding>) {
    let mut sections: HashSet<String> = HashSet::new();
    let mut captions: HashSet<(String, String)> = HashSet::new();
    for b in &doc.blocks {
        if let BlockKind::Heading {
            number: Some(n), ..
        } = &b.kind
        {
            sections.insert(n.trim_end_matches('.').to_string());
        }
        if let Some(c) = CAPTION.captures(&b.text) {
            captions.insert((c[1].to_lowercase(), c[2].to_string()));
        }
    }
    for t in &doc.toc {
        if let Some(n) = &t.number {
            sections.insert(n.trim_end_matches('.').to_string());
        }
        if let Some(c) = CAPTION.captures(&t.text) {
            captions.insert((c[1].to_lowercase(), c[2].to_string()));
        }
    }
    let numbered_headings = !sections.is_empty();
    for u in units {
        if u.heading || CAPTION.is_match(u.text) {
            continue;
        }
        for c in XREF.captures_iter(u.text) {
            let (kind, num) = (c[1].to_lowercase(), c[2].to_string());
            let ok = match kind.as_str() {
                "section" => !numbered_headings || sections.contains(&num),
                "appendix" => true,
                _ => captions.is_empty() || captions.contains(&(kind.clone(), num.clone())),
            };
            if !ok {
                let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
                out.push(builtin(
                    "qc.cross-reference",
                    Level::Warn,
                    format!(
                        "{} {num} is referenced but the document has no such {kind}",
                        &c[1]
                    ),
                    u,
                    m,
                ));
            }
        }
    }
}

/// Table and figure captions numbered out of sequence.
fn numbering(doc: &Document, out: &mut Vec<Finding>) {
    let mut last: HashMap<String, u32> = HashMap::new();
    for b in &doc.blocks {
        if let Some(c) = CAPTION.captures(&b.text) {
            let kind = c[1].to_string();
            let Ok(n) = c[2].parse::<u32>() else { continue };
            let prev = last.get(&kind).copied().unwrap_or(0);
            if n != prev + 1 && n > prev {
                let u = Unit {
                    anchor: b.anchor.clone(),
                    text: &b.text,
                    heading: false,
                };
                out.push(builtin(
                    "qc.numbering",
                    Level::Warn,
                    format!("{kind} {n} follows {kind} {prev}"),
                    &u,
                    (0, b.text.len().min(c[0].len())),
                ));
            }
            last.insert(kind, n.max(prev));
        }
    }
}

/// All findings on `doc` under `rules`, sorted by position in the document.
pub fn check(doc: &Document, rules: &RuleSet) -> Vec<Finding> {
    let units = units(doc);
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
            Scope::Document => document_rule(rule, &units, &mut out),
            Scope::Proposal => {}
        }
    }
    abbreviations(&units, &mut out);
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
    out
}

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

static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)((?:[A-Za-z][\w'’-]*\s+){1,7})\(([A-Z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*\+?)\)",
    )
    .unwrap_or_else(|e| panic!("{e}"))
});
/// "ABBR (long form)": the long form in lower case after the abbreviation.
static DEFINITION_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([A-Z][A-Za-z0-9]*[A-Z])s?\s+\(([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,7})\)")
        .unwrap_or_else(|e| panic!("{e}"))
});
/// "ABBR = long form" anywhere, "ABBR: long form" at the start or after a ";" (lists such
/// as table footnotes, several separated by ";").
static DEFINITION_EQUALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[;,:]\s*|\s)([A-Za-z][A-Za-z0-9/-]*[A-Za-z0-9])\s*=\s*([A-Za-z][^;=]{1,120})")
        .unwrap_or_else(|e| panic!("{e}"))
});
static DEFINITION_COLON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|;\s*)([A-Z][A-Za-z0-9/-]*[A-Z])s?\s*:\s+([A-Za-z][^;:]{2,120})")
        .unwrap_or_else(|e| panic!("{e}"))
});
static ABBREV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([A-Z][A-Za-z0-9]*[A-Z])s?(?-u:\b)").unwrap_or_else(|e| panic!("{e}"))
});
/// A surname and initials, as in a reference list ("Smith JR, Jones A.").
static INITIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]\p{Ll}[\p{L}'’-]*\s+([A-Z]{1,3})(?:[,.;]|\s+et al|\s*$)")
        .unwrap_or_else(|e| panic!("{e}"))
});
static XREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(Section|Table|Figure|Appendix)\s+(\d+(?:\.\d+)*)(?-u:\b)")
        .unwrap_or_else(|e| panic!("{e}"))
});
static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(Table|Figure)\s+(\d+)(?-u:\b)").unwrap_or_else(|e| panic!("{e}"))
});

/// The `[qc]` section of a pack, as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QcWordsFile {
    /// Words in capitals that are not abbreviations to define (exact case).
    #[serde(default)]
    pub not_abbreviations: Vec<String>,
    /// Month names and their short forms (any case).
    #[serde(default)]
    pub months: Vec<String>,
    /// Units written with capitals (exact case).
    #[serde(default)]
    pub units: Vec<String>,
    /// Chemical symbols and formulas (exact case).
    #[serde(default)]
    pub chemical_symbols: Vec<String>,
    /// Headings (or table captions) of the document's abbreviation list, lower case; the
    /// heading's number and an "Appendix 1." or "Table 11:" label are ignored.
    #[serde(default)]
    pub abbreviation_lists: Vec<String>,
    /// Headings of the reference list, lower case: its capitalised words (journals,
    /// initials) are not abbreviations.
    #[serde(default)]
    pub reference_lists: Vec<String>,
    /// Words after a company's name ("Ltd", "GmbH"): the name is not an abbreviation.
    #[serde(default)]
    pub company_suffixes: Vec<String>,
    /// Labels starting a table footnote of definitions ("Abbreviations: AE = ...").
    #[serde(default)]
    pub footnote_labels: Vec<String>,
    /// Texts QC must find an undefined abbreviation in (`flag`) and must not (`pass`).
    #[serde(default)]
    pub examples: Examples,
}

/// The QC data of a rule set, merged from every pack's `[qc]`.
#[derive(Debug, Clone, Default)]
pub struct QcWords {
    /// Not abbreviations, exact case (words, units, chemical symbols).
    pub exact: HashSet<String>,
    /// Not abbreviations in any case (months), upper-cased.
    pub any_case: HashSet<String>,
    pub abbreviation_lists: Vec<String>,
    pub reference_lists: Vec<String>,
    pub footnote_labels: Vec<String>,
    pub company_suffixes: HashSet<String>,
    pub examples: Examples,
}

impl QcWords {
    pub fn build(files: &[QcWordsFile]) -> Self {
        let mut q = Self::default();
        for f in files {
            for w in f
                .not_abbreviations
                .iter()
                .chain(&f.units)
                .chain(&f.chemical_symbols)
            {
                q.exact.insert(w.trim().to_string());
            }
            q.any_case
                .extend(f.months.iter().map(|m| m.trim().to_uppercase()));
            q.abbreviation_lists
                .extend(f.abbreviation_lists.iter().map(|h| h.trim().to_lowercase()));
            q.company_suffixes
                .extend(f.company_suffixes.iter().map(|h| h.trim().to_string()));
            q.reference_lists
                .extend(f.reference_lists.iter().map(|h| h.trim().to_lowercase()));
            q.footnote_labels
                .extend(f.footnote_labels.iter().map(|h| h.trim().to_lowercase()));
            q.examples.flag.extend(f.examples.flag.iter().cloned());
            q.examples.pass_.extend(f.examples.pass_.iter().cloned());
        }
        q
    }

    fn listed(&self, word: &str) -> bool {
        self.exact.contains(word) || self.any_case.contains(&word.to_uppercase())
    }

    /// Whether a heading or caption introduces the abbreviation list.
    fn is_list_heading(&self, text: &str) -> bool {
        self.is_heading_in(text, &self.abbreviation_lists)
    }

    /// Whether a heading or caption is one of `names` (lower case).
    fn is_heading_in(&self, text: &str, names: &[String]) -> bool {
        let t = text.trim().to_lowercase();
        // Drop "10.6.", "Appendix 1.", "Table 11:" and similar labels.
        let t = LABEL.replace(&t, "");
        let t = t.trim().trim_end_matches([':', '.']).trim();
        names
            .iter()
            .any(|h| t == h.as_str() || t.starts_with(&format!("{h} ")))
    }

    /// Where a footnote of definitions starts in `text` ("Abbreviations: AE = ..."), at
    /// the start or after a sentence the PDF ran into it.
    fn footnote_at(&self, text: &str) -> Option<usize> {
        if !text.contains(':') {
            return None;
        }
        let lower = text.to_ascii_lowercase();
        self.footnote_labels
            .iter()
            .filter_map(|l| {
                let pat = format!("{l}:");
                lower.match_indices(&pat).map(|(i, _)| i).find(|&i| {
                    i == 0 || lower[..i].ends_with(|c: char| c.is_whitespace() || c == ')')
                })
            })
            .min()
    }
}

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:appendix|annex|table|section)\s+)?[0-9a-z]{0,3}(?:\.\d+)*[.:]?\s+")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// A valid roman numeral (II, IV, XII, ...).
fn roman(a: &str) -> bool {
    let value = |c: char| match c {
        'I' => Some(1),
        'V' => Some(5),
        'X' => Some(10),
        'L' => Some(50),
        'C' => Some(100),
        _ => None,
    };
    let Some(vals) = a.chars().map(value).collect::<Option<Vec<u32>>>() else {
        return false;
    };
    let mut n = 0i64;
    for (i, v) in vals.iter().enumerate() {
        if vals.get(i + 1).is_some_and(|next| next > v) {
            n -= i64::from(*v);
        } else {
            n += i64::from(*v);
        }
    }
    if n <= 0 {
        return false;
    }
    // Canonical spelling only: "IIII" or "VX" are not numerals.
    let mut left = n;
    let mut canon = String::new();
    for (v, s) in [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ] {
        while left >= v {
            canon.push_str(s);
            left -= v;
        }
    }
    canon == a
}

/// The whitespace-separated token around byte range `m` of `text`, without the
/// punctuation around it.
fn token_around(text: &str, start: usize, end: usize) -> &str {
    let s = text[..start].rfind(char::is_whitespace).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let e = text[end..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| end + i);
    text[s..e].trim_matches(|c: char| !c.is_alphanumeric())
}

/// A line written in capitals: at least three words, none in lower case, at least half of
/// them English words.
fn shouting(text: &str, english: &HashSet<String>) -> bool {
    if text.chars().any(char::is_lowercase) {
        return false;
    }
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() > 1)
        .collect();
    let common = words
        .iter()
        .filter(|w| english.contains(&w.to_lowercase()))
        .count();
    words.len() >= 3
        && 2 * common >= words.len()
        && words.iter().all(|w| !w.chars().any(char::is_lowercase))
}

/// Where an abbreviation is used: unit index and span.
type Place = (usize, (usize, usize));

/// How an abbreviation was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefKind {
    /// "Long form (ABBR)" or "ABBR (long form)" in a sentence.
    Inline,
    /// "ABBR = long form" or "ABBR: long form" (footnotes and lists).
    Listed,
}

/// One definition: where it takes effect (unit, byte position), its kind, and the unit and
/// byte span where it is written.
#[derive(Debug, Clone)]
struct Def {
    abbrev: String,
    unit: usize,
    pos: usize,
    kind: DefKind,
    written: usize,
    span: (usize, usize),
    /// A part of a compound abbreviation ("ICP" of "ICP-MS").
    part: bool,
}

/// What QC knows about the document's abbreviations, shared by the built-in checks and the
/// packs' conditional rules.
#[derive(Debug, Default)]
pub(crate) struct Abbreviations {
    /// Defined for the whole document by its abbreviation list.
    global: HashSet<String>,
    /// Definitions in the text, in reading order.
    defs: Vec<Def>,
    /// Per unit: byte starts of capitalised words that are not abbreviations.
    not_abbrev: Vec<HashSet<usize>>,
    /// Per unit: whether it belongs to the abbreviation list.
    in_list: Vec<bool>,
    /// Per unit: byte spans of abbreviations being defined (not uses).
    def_spans: Vec<Vec<(usize, usize)>>,
    /// Acronyms of the title page (the study's name).
    title: HashSet<String>,
    /// Per unit: whether it belongs to the reference list (journal names, initials).
    references: Vec<bool>,
    /// Per unit: indices in `defs` of the definitions taking effect there.
    by_unit: Vec<Vec<usize>>,
}

/// After a word: an identifier number ("IND: 119006", "MA 02210").
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:s?\s*[:#]?\s*)\d{4,}(?-u:\b)").unwrap_or_else(|e| panic!("{e}"))
});

fn initial_match(ab: &str, long: &str) -> bool {
    let first = ab.chars().next().map(|c| c.to_ascii_lowercase());
    long.split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .filter_map(|w| w.chars().next())
        .any(|c| Some(c.to_ascii_lowercase()) == first)
}

impl Abbreviations {
    pub(crate) fn find(
        doc: &Document,
        units: &[Unit<'_>],
        owners: &[usize],
        qc: &QcWords,
        english: &HashSet<String>,
    ) -> Self {
        let n = units.len();
        let mut a = Self {
            not_abbrev: vec![HashSet::new(); n],
            in_list: vec![false; n],
            references: vec![false; n],
            def_spans: vec![Vec::new(); n],
            ..Self::default()
        };
        // The abbreviation list: blocks after its heading (or caption) up to the next
        // heading of the same or a higher level.
        let mut list_blocks = vec![false; doc.blocks.len()];
        let mut level_now: u8 = 0;
        let mut list_until: Option<u8> = None;
        let mut ref_blocks = vec![false; doc.blocks.len()];
        let mut ref_until: Option<u8> = None;
        for (bi, b) in doc.blocks.iter().enumerate() {
            if let BlockKind::Heading { level, .. } = b.kind {
                if list_until.is_some_and(|l| level <= l) {
                    list_until = None;
                }
                if ref_until.is_some_and(|l| level <= l) {
                    ref_until = None;
                }
                level_now = level;
                if qc.is_heading_in(&b.text, &qc.reference_lists) {
                    ref_until = Some(level);
                }
                if qc.is_list_heading(&b.text) {
                    list_until = Some(level);
                    continue;
                }
            } else if list_until.is_none()
                && CAPTION.is_match(&b.text)
                && qc.is_list_heading(&b.text)
            {
                list_until = Some(level_now);
                continue;
            }
            ref_blocks[bi] = ref_until.is_some();
            if list_until.is_some() {
                list_blocks[bi] = true;
                let mut entry = |first: &str| {
                    for part in first.split(['/', ',']) {
                        let p = part.trim_matches(|c: char| !c.is_alphanumeric());
                        if p.chars().filter(char::is_ascii_uppercase).count() >= 1
                            && p.chars().count() >= 2
                        {
                            a.global.insert(p.to_string());
                            a.global.insert(p.trim_end_matches('s').to_string());
                            // A subscript the PDF ran into the entry: "AUCtau", "Cmax".
                            let head: String =
                                p.chars().take_while(|c| !c.is_lowercase()).collect();
                            if head.chars().count() >= 2 {
                                a.global.insert(head);
                            }
                        }
                    }
                };
                match &b.kind {
                    BlockKind::Table { rows } => {
                        for r in rows {
                            if let Some(first) =
                                r.first().and_then(|c| c.text.split_whitespace().next())
                            {
                                entry(first);
                            }
                        }
                    }
                    _ => {
                        let mut words = b.text.split_whitespace();
                        if let (Some(first), Some(_)) = (words.next(), words.next()) {
                            entry(first);
                        }
                    }
                }
            }
        }
        // The title page's acronyms.
        let first_page = doc.blocks.iter().filter(|b| b.page.is_some_and(|p| p <= 1));
        let title_blocks: Vec<&ingest::Block> = if doc.blocks.iter().any(|b| b.page.is_some()) {
            first_page.collect()
        } else {
            doc.blocks
                .iter()
                .filter(|b| b.is_heading())
                .take(1)
                .collect()
        };
        let mut title_words: HashSet<String> = HashSet::new();
        for b in title_blocks {
            for m in ABBREV.captures_iter(&b.text).filter_map(|c| c.get(1)) {
                if m.as_str().chars().count() >= 4 {
                    title_words.insert(m.as_str().to_string());
                }
            }
        }
        for (i, u) in units.iter().enumerate() {
            let owner = owners.get(i).copied().unwrap_or(0);
            a.references[i] = ref_blocks.get(owner).copied().unwrap_or(false);
            a.in_list[i] = list_blocks.get(owner).copied().unwrap_or(false);
            if a.in_list[i] {
                continue;
            }
            let add = |a: &mut Self,
                       ab: &str,
                       span: (usize, usize),
                       kind: DefKind,
                       at: (usize, usize)| {
                a.def_spans[i].push(span);
                let ab = ab.trim_end_matches('+');
                let parts = std::iter::once(ab)
                    .chain(ab.split(['/', '-']).filter(|_| ab.contains(['/', '-'])));
                for (k, part) in parts.enumerate() {
                    let part = part.trim();
                    if part.chars().count() < 2 || !part.chars().any(|c| c.is_ascii_uppercase()) {
                        continue;
                    }
                    a.defs.push(Def {
                        abbrev: part.trim_end_matches('s').to_string(),
                        unit: at.0,
                        pos: at.1,
                        kind,
                        written: i,
                        span,
                        part: k > 0,
                    });
                    if part.ends_with('s') {
                        a.defs.push(Def {
                            abbrev: part.to_string(),
                            unit: at.0,
                            pos: at.1,
                            kind,
                            written: i,
                            span,
                            part: true,
                        });
                    }
                }
            };
            let parens = u.text.contains('(');
            let paren_text = if parens { u.text } else { "" };
            for cap in DEFINITION.captures_iter(paren_text) {
                let (Some(long), Some(ab)) = (cap.get(1), cap.get(2)) else {
                    continue;
                };
                // The long form's initials should match (loosely) the abbreviation.
                let initials: String = long
                    .as_str()
                    .split_whitespace()
                    .filter_map(|w| w.chars().next())
                    .collect::<String>()
                    .to_uppercase();
                let first = ab.as_str().chars().next().unwrap_or(' ');
                // A table cell "Leukocytes (WBC)" names the abbreviation it uses.
                let cell_label = u.anchor.contains(".r") && u.text[ab.end()..].trim() == ")";
                if ab.as_str().chars().filter(char::is_ascii_uppercase).count() < 2
                    || !(initials.contains(first) || cell_label)
                {
                    continue;
                }
                add(
                    &mut a,
                    ab.as_str(),
                    (ab.start(), ab.end()),
                    DefKind::Inline,
                    (i, ab.start()),
                );
            }
            for cap in DEFINITION_AFTER.captures_iter(paren_text) {
                let (Some(ab), Some(long)) = (cap.get(1), cap.get(2)) else {
                    continue;
                };
                if initial_match(ab.as_str(), long.as_str()) {
                    add(
                        &mut a,
                        ab.as_str(),
                        (ab.start(), ab.end()),
                        DefKind::Inline,
                        (i, ab.start()),
                    );
                }
            }
            // Footnote definitions hold for the table above them.
            let footnote = qc.footnote_at(u.text);
            let at = if footnote.is_some() {
                // The table it follows: back to the caption or heading before it (a table
                // the PDF broke into pieces is one region), at most 60 blocks.
                let mut start = owner;
                let mut table = false;
                for o in (owner.saturating_sub(60)..owner).rev() {
                    let Some(b) = doc.blocks.get(o) else { break };
                    let caption = LABELLED.is_match(&b.text);
                    // An unnumbered minor heading inside a table is mostly a header row
                    // the PDF's layout made a heading.
                    let section = matches!(
                        b.kind,
                        BlockKind::Heading {
                            number: Some(_),
                            ..
                        } | BlockKind::Heading { level: 0..=2, .. }
                    );
                    if section && !caption {
                        break;
                    }
                    table |= matches!(b.kind, BlockKind::Table { .. });
                    start = o;
                    if caption {
                        break;
                    }
                }
                let first = if table {
                    owners.iter().position(|&o| o >= start)
                } else {
                    None
                };
                (first.unwrap_or(i), 0)
            } else {
                (i, usize::MAX)
            };
            for re in [&*DEFINITION_EQUALS, &*DEFINITION_COLON] {
                let colon = std::ptr::eq(re, &*DEFINITION_COLON);
                if !u.text.contains(if colon { ':' } else { '=' }) {
                    continue;
                }
                for cap in re.captures_iter(u.text) {
                    let (Some(ab), Some(long)) = (cap.get(1), cap.get(2)) else {
                        continue;
                    };
                    if colon
                        && (qc.footnote_at(&u.text[ab.start()..]) == Some(0)
                            || !initial_match(ab.as_str(), long.as_str()))
                    {
                        continue;
                    }
                    let in_note = footnote.is_some_and(|f| ab.start() >= f);
                    let pos = if in_note { at.1 } else { ab.start() };
                    let unit = if in_note { at.0 } else { i };
                    add(
                        &mut a,
                        ab.as_str(),
                        (ab.start(), ab.end()),
                        DefKind::Listed,
                        (unit, pos),
                    );
                }
            }
        }
        a.by_unit = vec![Vec::new(); n];
        for (k, d) in a.defs.iter().enumerate() {
            if let Some(v) = a.by_unit.get_mut(d.unit) {
                v.push(k);
            }
        }
        // Abbreviations the document defines, for the word rules below.
        let defined: HashSet<String> = a
            .defs
            .iter()
            .map(|d| d.abbrev.clone())
            .chain(a.global.iter().cloned())
            .collect();
        a.title = title_words
            .into_iter()
            .filter(|w| !defined.contains(w.as_str()))
            .collect();
        // Words that are not abbreviations.
        for (i, u) in units.iter().enumerate() {
            let loud = shouting(u.text, english);
            let initials: HashSet<usize> = {
                let found: Vec<usize> = INITIALS
                    .captures_iter(u.text)
                    .filter_map(|c| c.get(1).map(|m| m.start()))
                    .collect();
                let starts = INITIALS.find(u.text).is_some_and(|m| m.start() == 0);
                if found.len() >= 2 || starts || u.text.contains("et al") {
                    found.into_iter().collect()
                } else {
                    HashSet::new()
                }
            };
            for m in ABBREV.captures_iter(u.text).filter_map(|c| c.get(1)) {
                let w = m.as_str();
                let not = loud
                    || initials.contains(&m.start())
                    || qc.listed(w)
                    || w.chars().any(|c| c.is_ascii_digit())
                    || (roman(w) && !defined.contains(w))
                    || (w.chars().count() >= 4
                        && !w.chars().any(char::is_lowercase)
                        && english.contains(&w.to_lowercase())
                        && !defined.contains(w))
                    || a.title.contains(w)
                    || a.references.get(i).copied().unwrap_or(false)
                    || IDENTIFIER.is_match(&u.text[m.end()..])
                    || brand_or_company(&u.text[m.end()..], qc)
                    || token_around(u.text, m.start(), m.end())
                        .chars()
                        .any(|c| c.is_ascii_digit());
                if not {
                    a.not_abbrev[i].insert(m.start());
                }
            }
        }
        a
    }

    /// Whether the capitalised word at byte `start` of unit `i` is not an abbreviation.
    pub(crate) fn skip(&self, i: usize, start: usize) -> bool {
        self.in_list.get(i).copied().unwrap_or(false)
            || self.not_abbrev.get(i).is_some_and(|s| s.contains(&start))
    }

    /// Definitions taking effect in unit `i`: (byte position, abbreviation).
    pub(crate) fn defined_in(&self, i: usize) -> impl Iterator<Item = (usize, &str)> {
        self.by_unit
            .get(i)
            .into_iter()
            .flatten()
            .filter_map(|&k| self.defs.get(k))
            .map(|d| (d.pos, d.abbrev.as_str()))
    }

    pub(crate) fn global(&self, ab: &str) -> bool {
        self.global.contains(ab)
    }
}

/// Followed by a trade mark sign or a company suffix ("MS Contin®", "Acme AB Ltd.").
fn brand_or_company(after: &str, qc: &QcWords) -> bool {
    let mut words = after.split_whitespace();
    let here = after.starts_with(['®', '™']);
    let next = words.next().unwrap_or("");
    here || next.contains(['®', '™'])
        || qc
            .company_suffixes
            .contains(next.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// Too long to be an abbreviation to define.
fn exempt(a: &str) -> bool {
    a.len() > 10
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
        also: Vec::new(),
    }
}

/// Built-in abbreviation checks over the body.
fn abbreviations(units: &[Unit<'_>], ab: &Abbreviations, out: &mut Vec<Finding>) {
    // The first definition of each abbreviation, and definitions made again.
    let mut first: BTreeMap<&str, &Def> = BTreeMap::new();
    for d in &ab.defs {
        match first.get(d.abbrev.as_str()) {
            Some(prev) => {
                let prose = |j: usize| !units[j].heading && !units[j].anchor.contains(".r");
                // "NPI" of "NPI-X" is not the definition of "NPI".
                if prev.kind == DefKind::Inline
                    && d.kind == DefKind::Inline
                    && !prev.part
                    && !d.part
                    && prev.written != d.written
                    && prose(prev.written)
                    && prose(d.written)
                    && !d.abbrev.ends_with('s')
                {
                    out.push(builtin(
                        "qc.abbreviation.defined-twice",
                        Level::Info,
                        format!(
                            "{} is defined again (first defined at {})",
                            d.abbrev, units[prev.written].anchor
                        ),
                        &units[d.written],
                        d.span,
                    ));
                }
            }
            None => {
                first.insert(d.abbrev.as_str(), d);
            }
        }
    }
    let mut uses: HashMap<String, Vec<Place>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        if u.heading {
            continue;
        }
        for m in ABBREV.captures_iter(u.text).filter_map(|c| c.get(1)) {
            if ab.def_spans[i]
                .iter()
                .any(|(s, e)| m.start() >= *s && m.end() <= *e)
                || exempt(m.as_str())
                || ab.skip(i, m.start())
            {
                continue;
            }
            uses.entry(m.as_str().to_string())
                .or_default()
                .push((i, (m.start(), m.end())));
        }
    }
    let mut used: Vec<(&String, &Vec<Place>)> = uses.iter().collect();
    used.sort();
    for (name, places) in used {
        if ab.global(name) {
            continue;
        }
        match first.get(name.as_str()) {
            None => {
                let (i, span) = places[0];
                out.push(builtin(
                    "qc.abbreviation.undefined",
                    Level::Warn,
                    format!("{name} is used {} time(s) and never defined", places.len()),
                    &units[i],
                    span,
                ));
            }
            Some(d) => {
                if let Some((i, span)) = places
                    .iter()
                    .find(|(i, s)| *i < d.unit || (*i == d.unit && s.0 < d.pos))
                {
                    out.push(builtin(
                        "qc.abbreviation.before-definition",
                        Level::Warn,
                        format!(
                            "{name} is used before its definition at {}",
                            units[d.written].anchor
                        ),
                        &units[*i],
                        *span,
                    ));
                }
            }
        }
    }
    for (name, d) in &first {
        // Abbreviations written as a word can be counted (not "ADAS-Cog", "CL/F" or a
        // subscript run into it); a table naming its tests ("Leukocytes (WBC)") is not
        // prose that must use them again.
        let countable = !name.ends_with(|c: char| c.is_lowercase())
            && !name.contains(['-', '/', '+'])
            && !d.part;
        let prose = !units[d.written].heading && !units[d.written].anchor.contains(".r");
        if d.kind == DefKind::Inline
            && countable
            && prose
            && !uses.contains_key(*name)
            && !uses.contains_key(&format!("{name}s"))
        {
            out.push(builtin(
                "qc.abbreviation.unused",
                Level::Info,
                format!("{name} is defined but never used"),
                &units[d.written],
                d.span,
            ));
        }
    }
}

/// A caption or label with its (possibly multi-level) number: "Table 14.2.1", "Appendix 2".
static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(Table|Figure|Appendix|Attachment)\s+(\d+(?:\.\d+)*)(?-u:\b)")
        .unwrap_or_else(|e| panic!("{e}"))
});
/// A heading the PDF gave as a paragraph: "10.3. Adverse Events ...".
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d+(?:\.\d+)*)\.?\s+\p{Lu}").unwrap_or_else(|e| panic!("{e}"))
});
/// After a reference: another document's table or section ("Table 3 of the SAP").
static ELSEWHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:of|in)\s+(?:the\s+)?(?:\p{Lu}[\w-]*\s*){1,4}(?:(?-u:\b)|$)")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// Cross-references ("see Section 9.4", "Table 14.2.1", "Appendix 2") that nothing in the
/// document can be: section numbers are the headings' (a subsection "9.4.1" or a numbered
/// paragraph "9.4. Title" vouches for "9.4"), tables, figures and appendices their captions
/// and labels in the body or the table of contents. A kind the document never labels is not
/// checked, nor a reference to another document ("Table 3 of the SAP").
fn cross_references(doc: &Document, units: &[Unit<'_>], out: &mut Vec<Finding>) {
    let mut sections: HashSet<String> = HashSet::new();
    let mut labels: HashSet<(String, String)> = HashSet::new();
    let mut kinds: HashSet<String> = HashSet::new();
    let section = |n: &str, sections: &mut HashSet<String>| {
        let n = n.trim_end_matches('.');
        // "9.4.1" vouches for "9.4" and "9".
        let mut s = n;
        loop {
            sections.insert(s.to_string());
            match s.rfind('.') {
                Some(i) => s = &s[..i],
                None => break,
            }
        }
    };
    let mut label = |text: &str, labels: &mut HashSet<(String, String)>| {
        // Labels anywhere at the start of a line: "Appendix 1. Abbreviations", a caption.
        for line in text.lines() {
            if let Some(c) = LABELLED.captures(line) {
                let kind = c[1].to_lowercase();
                kinds.insert(kind.clone());
                let mut n = c[2].to_string();
                loop {
                    labels.insert((kind.clone(), n.clone()));
                    match n.rfind('.') {
                        Some(i) => n.truncate(i),
                        None => break,
                    }
                }
            }
        }
    };
    for b in &doc.blocks {
        match &b.kind {
            BlockKind::Heading {
                number: Some(n), ..
            } => section(n, &mut sections),
            BlockKind::Paragraph | BlockKind::Heading { .. } => {
                if let Some(c) = NUMBERED.captures(&b.text) {
                    section(&c[1], &mut sections);
                }
            }
            _ => {}
        }
        label(&b.text, &mut labels);
    }
    for t in &doc.toc {
        if let Some(n) = &t.number {
            section(n, &mut sections);
        }
        label(&t.text, &mut labels);
    }
    let numbered_headings = doc.blocks.iter().any(|b| {
        matches!(
            b.kind,
            BlockKind::Heading {
                number: Some(_),
                ..
            }
        )
    }) || doc.toc.iter().any(|t| t.number.is_some());
    for u in units {
        if u.heading || LABELLED.is_match(u.text) {
            continue;
        }
        for c in XREF.captures_iter(u.text) {
            let (kind, num) = (c[1].to_lowercase(), c[2].to_string());
            let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
            if ELSEWHERE.is_match(&u.text[m.1..]) {
                continue;
            }
            let ok = match kind.as_str() {
                "section" => !numbered_headings || sections.contains(&num),
                _ => !kinds.contains(&kind) || labels.contains(&(kind.clone(), num.clone())),
            };
            if !ok {
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
mod tests {
    use super::*;
    use ingest::{Block, Cell, Format, Metadata, Sentence};

    /// A block of a test document.
    enum B<'a> {
        H(u8, &'a str),
        P(&'a str),
        L(&'a str),
        T(&'a [&'a [&'a str]]),
    }

    fn sentences(owner: &str, text: &str) -> Vec<Sentence> {
        ingest::sentences::split(text)
            .into_iter()
            .enumerate()
            .map(|(i, (start, end, text))| Sentence {
                anchor: format!("{owner}.s{i}"),
                text,
                start,
                end,
            })
            .collect()
    }

    fn doc(blocks: &[B<'_>]) -> Document {
        let blocks = blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let anchor = format!("b{i}");
                let (kind, text, sents) = match b {
                    B::H(level, t) => (
                        BlockKind::Heading {
                            level: *level,
                            number: None,
                        },
                        t.to_string(),
                        sentences(&anchor, t),
                    ),
                    B::P(t) => (BlockKind::Paragraph, t.to_string(), sentences(&anchor, t)),
                    B::L(t) => (
                        BlockKind::ListItem {
                            level: 1,
                            marker: Some("•".into()),
                        },
                        t.to_string(),
                        sentences(&anchor, t),
                    ),
                    B::T(rows) => {
                        let rows: Vec<Vec<Cell>> = rows
                            .iter()
                            .enumerate()
                            .map(|(r, row)| {
                                row.iter()
                                    .enumerate()
                                    .map(|(c, t)| {
                                        let a = format!("{anchor}.r{r}c{c}");
                                        Cell {
                                            sentences: sentences(&a, t),
                                            anchor: a,
                                            text: t.to_string(),
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
                        (BlockKind::Table { rows }, text, Vec::new())
                    }
                };
                Block {
                    anchor,
                    kind,
                    end: text.chars().count(),
                    text,
                    page: None,
                    start: 0,
                    sentences: sents,
                }
            })
            .collect();
        Document {
            metadata: Metadata {
                format: Format::Docx,
                sha256: String::new(),
                size_bytes: 0,
                page_count: None,
                title: None,
                author: None,
                producer: None,
                warnings: Vec::new(),
            },
            blocks,
            headers: Vec::new(),
            footers: Vec::new(),
            toc: Vec::new(),
            notes: Vec::new(),
            revisions: Vec::new(),
        }
    }

    fn rules() -> &'static RuleSet {
        static R: LazyLock<RuleSet> = LazyLock::new(RuleSet::builtin);
        &R
    }

    /// Abbreviation findings (any rule) as (rule, abbreviation text).
    fn abbrev_findings(d: &Document) -> Vec<(String, String)> {
        let texts: HashMap<String, String> = units(d)
            .iter()
            .map(|u| (u.anchor.clone(), u.text.to_string()))
            .collect();
        check(d, rules())
            .into_iter()
            .filter(|f| f.rule_id.contains("abbreviation") && f.rule_id != "qc.abbreviation.unused")
            .map(|f| {
                let t = texts.get(&f.anchor).cloned().unwrap_or_default();
                let m: String = t.chars().skip(f.span.0).take(f.span.1 - f.span.0).collect();
                (f.rule_id, m)
            })
            .collect()
    }

    fn undefined(d: &Document) -> Vec<String> {
        let mut v: Vec<String> = abbrev_findings(d).into_iter().map(|(_, m)| m).collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn one_finding_per_abbreviation_naming_the_rules_that_agree() {
        let d = doc(&[B::P("The QZX score was recorded at every visit.")]);
        let f = check(&d, rules());
        let on: Vec<&Finding> = f.iter().filter(|f| f.span == (4, 7)).collect();
        assert_eq!(on.len(), 1, "{f:?}");
        assert_eq!(on[0].rule_id, "qc.abbreviation.undefined");
        assert_eq!(on[0].also, vec!["style.abbreviation-defined".to_string()]);
        // `also` is serialised only when rules agreed.
        let json = serde_json::to_value(on[0]).unwrap();
        assert_eq!(json["also"][0], "style.abbreviation-defined");
        let other = f
            .iter()
            .find(|f| f.also.is_empty())
            .map(serde_json::to_value);
        if let Some(Ok(v)) = other {
            assert!(v.get("also").is_none(), "{v}");
        }
        // Used before its definition: one finding too.
        let d = doc(&[
            B::P("The QZX score was recorded at every visit."),
            B::P("The quality zone index (QZX) is a composite score."),
        ]);
        let f: Vec<Finding> = check(&d, rules())
            .into_iter()
            .filter(|f| f.rule_id.contains("abbreviation"))
            .collect();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule_id, "qc.abbreviation.before-definition");
        assert_eq!(f[0].also, vec!["style.abbreviation-defined".to_string()]);
    }

    #[test]
    fn merge_keeps_distinct_problems_and_spans() {
        let d = doc(&[B::P(
            "The QZX and the WVK scores were recorded at every visit by the site.",
        )]);
        let f: Vec<Finding> = check(&d, rules())
            .into_iter()
            .filter(|f| f.rule_id.contains("abbreviation"))
            .collect();
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn definitions_in_every_form() {
        for text in [
            "Quality zone index (QZX) was scored. QZX rose.",
            "QZX (quality zone index) was scored. QZX rose.",
            "Scores: QZX = quality zone index; WVK = wave velocity kinetics. QZX and WVK rose.",
            "QZX: quality zone index. QZX rose.",
            "Inductively coupled zone spectrometry (ICZ-MS) was used. ICZ and MS samples were kept.",
        ] {
            let d = doc(&[B::P(text)]);
            assert_eq!(undefined(&d), Vec::<String>::new(), "{text}");
        }
        // Not a definition: the colon form needs matching initials, and a lower-case
        // parenthesis after an abbreviation must start like it.
        let d = doc(&[B::P("QZX: see the manual. QZX (see below) rose.")]);
        assert_eq!(undefined(&d), vec!["QZX".to_string()]);
    }

    #[test]
    fn defined_twice_in_prose_only() {
        let twice = |blocks: &[B<'_>]| -> usize {
            check(&doc(blocks), rules())
                .iter()
                .filter(|f| f.rule_id == "qc.abbreviation.defined-twice")
                .count()
        };
        let first = B::P("The quality zone index (QZX) is scored at each visit.");
        assert_eq!(
            twice(&[
                B::P("The quality zone index (QZX) is scored at each visit."),
                B::P("Each quality zone index (QZX) score is kept."),
            ]),
            1
        );
        // Not again: in a table cell, a heading, or a part of a compound abbreviation.
        assert_eq!(twice(&[first, B::T(&[&["Quality zone index (QZX)"]])]), 0);
        assert_eq!(
            twice(&[
                B::P("The quality zone index (QZX) is scored at each visit."),
                B::H(2, "The Quality Zone Index (QZX)"),
            ]),
            0
        );
        assert_eq!(
            twice(&[
                B::P("The quality zone index revised (QZX-R) is scored at each visit."),
                B::P("The original quality zone index (QZX) was shorter."),
            ]),
            0
        );
    }

    #[test]
    fn a_table_footnote_defines_for_the_table_above() {
        let d = doc(&[
            B::T(&[&["Visit", "QZX"], &["1", "WVK"]]),
            B::P("Abbreviations: QZX = quality zone index; WVK = wave velocity kinetics."),
            B::P("Later the QZX was repeated."),
        ]);
        assert_eq!(undefined(&d), Vec::<String>::new());
        // A table the PDF broke into pieces, after its caption: the footnote covers all.
        let d = doc(&[
            B::P("The quality zone index is a score."),
            B::P("Table 3: Dose Changes"),
            B::T(&[&["Visit", "QZX"]]),
            B::H(3, "Visit Dose Result"),
            B::P("continued text of a cell"),
            B::P("more text of a cell"),
            B::P("and more"),
            B::T(&[&["Week 2", "WVK"]]),
            B::P("a Footnote marker text."),
            B::P("Abbreviations: QZX = quality zone index; WVK = wave velocity kinetics."),
        ]);
        assert_eq!(undefined(&d), Vec::<String>::new());
        // A section heading ends the table's region.
        let d = doc(&[
            B::T(&[&["Visit", "QZX"]]),
            B::H(2, "Dosing"),
            B::T(&[&["Week 2", "WVK"]]),
            B::P("Abbreviations: QZX = quality zone index; WVK = wave velocity kinetics."),
        ]);
        assert_eq!(undefined(&d), vec!["QZX".to_string()]);
        // Without a table before it, a footnote defines from where it stands.
        let d = doc(&[
            B::P("The QZX was measured."),
            B::P("Abbreviations: QZX = quality zone index."),
        ]);
        assert_eq!(undefined(&d), vec!["QZX".to_string()]);
        // A footnote the PDF ran into the last cell's sentence works the same.
        let d = doc(&[
            B::T(&[&["Visit", "QZX"]]),
            B::P("end of table) Abbreviations: QZX = quality zone index."),
        ]);
        assert_eq!(undefined(&d), Vec::<String>::new());
    }

    #[test]
    fn the_abbreviation_list_defines_for_the_whole_document() {
        let body = [
            B::P("The QZX and the WVK were measured at every visit, and the RSVP."),
            B::L("LMNP results are sent to the sponsor."),
        ];
        for heading in [
            "Abbreviations",
            "10.6. List of Abbreviations",
            "Appendix 1. Abbreviations and Definitions",
            "Glossary",
            "Definitions of Terms",
        ] {
            let mut blocks: Vec<B<'_>> = vec![B::H(1, "Introduction")];
            blocks.extend(body.iter().map(|b| match b {
                B::P(t) => B::P(t),
                B::L(t) => B::L(t),
                _ => B::P(""),
            }));
            blocks.push(B::H(1, heading));
            blocks.push(B::H(3, "Abbreviation Definition"));
            blocks.push(B::T(&[
                &["QZX", "quality zone index"],
                &["WVK/LMNP", "wave velocity kinetics"],
                &["RSVPmax", "maximal response"],
            ]));
            blocks.push(B::H(1, "Protocol History"));
            blocks.push(B::P("The RSTU score is new."));
            let d = doc(&blocks);
            assert_eq!(undefined(&d), vec!["RSTU".to_string()], "{heading}");
        }
        // A list in paragraphs under a table caption, as PDFs give it.
        let d = doc(&[
            B::H(2, "Appendix"),
            B::P("Table 11: List of Abbreviations and Definitions of Terms"),
            B::P("QZX quality zone index"),
            B::H(2, "Next"),
            B::P("The QZX was measured."),
        ]);
        assert_eq!(undefined(&d), Vec::<String>::new());
        // Without the list the same text is flagged.
        let d = doc(&[B::H(1, "Background"), B::P("The QZX was measured.")]);
        assert_eq!(undefined(&d), vec!["QZX".to_string()]);
    }

    #[test]
    fn words_that_are_not_abbreviations() {
        for text in [
            "Study ABC123-XY-01 enrolled adults with T2DM and an ATP7B variant.",
            "The Phase II and Phase IV studies ended in MAY 2021.",
            "Participants MUST fast overnight before the visit.",
            "SEE THE SCHEDULE OF ACTIVITIES FOR THE VISIT",
            "Doses of 10 IU were given with 5 mL of HCl in water.",
            "The application IND: 119006 was filed in Boston, MA 02210.",
            "Each kit is made by Acme ZYX Ltd. for the site.",
            "Smith JR, Jones AB. Fasting and glucose. Lancet. 2001;3:1-9.",
            "Doe KT. A trial of fasting.",
            "Heart rate and the PR, QRS and QT intervals were read.",
        ] {
            let d = doc(&[B::P(text)]);
            assert_eq!(undefined(&d), Vec::<String>::new(), "{text}");
        }
        // Headings and the title page's acronym are not uses either.
        let d = doc(&[
            B::H(1, "The QUASAR Study of Fasting"),
            B::P("QUASAR enrolled 40 adults."),
            B::H(2, "INCLUSION CRITERIA"),
        ]);
        assert_eq!(undefined(&d), Vec::<String>::new());
        // The reference list's journals are not uses.
        let d = doc(&[
            B::H(1, "References"),
            B::P("Doe K. Fasting. BMJ Open. 2001."),
        ]);
        assert_eq!(undefined(&d), Vec::<String>::new());
        // A word of the English list that the document defines is an abbreviation.
        let d = doc(&[
            B::P("The ADAS total was scored at each visit."),
            B::P("The Alzheimer Disease Assessment Scale (ADAS) is a test."),
        ]);
        assert_eq!(
            abbrev_findings(&d),
            vec![(
                "qc.abbreviation.before-definition".to_string(),
                "ADAS".to_string()
            )]
        );
        // A single capitalised word after a name in prose is still an abbreviation.
        let d = doc(&[B::P("The nurse told Maria QZX was due.")]);
        assert_eq!(undefined(&d), vec!["QZX".to_string()]);
    }

    fn xrefs(d: &Document) -> Vec<String> {
        check(d, rules())
            .into_iter()
            .filter(|f| f.rule_id == "qc.cross-reference")
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn cross_references_resolve_against_what_the_document_has() {
        let numbered = |n: &str| BlockKind::Heading {
            level: 2,
            number: Some(n.into()),
        };
        let mut d = doc(&[
            B::H(2, "9.4.1. Dose Changes"),
            B::P("10.3. Adverse Events: Definitions and Procedures"),
            B::P("Table 14.2.1: Vital Signs by Visit"),
            B::P("Figure 2: Study Design"),
            B::H(1, "Appendix 2. Clinical Laboratory Tests"),
            B::P(
                "See Section 9.4, Section 9, Section 10.3, Table 14.2.1, Table 14.2, Figure 2 \
                 and Appendix 2 for details.",
            ),
            B::P("Doses follow Table 7 of the Pharmacy Manual."),
            B::P("See Section 12.1, Table 14.3.1, Figure 5 and Appendix 4."),
        ]);
        d.blocks[0].kind = numbered("9.4.1.");
        d.blocks[4].kind = numbered("");
        let found = xrefs(&d);
        assert_eq!(
            found,
            vec![
                "Section 12.1 is referenced but the document has no such section",
                "Table 14.3.1 is referenced but the document has no such table",
                "Figure 5 is referenced but the document has no such figure",
                "Appendix 4 is referenced but the document has no such appendix",
            ],
        );
        // A kind the document never labels cannot be checked.
        let d = doc(&[B::P("See Table 3 and Appendix 9.")]);
        assert_eq!(xrefs(&d), Vec::<String>::new());
    }

    #[test]
    fn roman_numerals() {
        for r in ["II", "IV", "IX", "XII", "XL", "CX"] {
            assert!(roman(r), "{r}");
        }
        for r in ["IIII", "VX", "IC", "ALT", ""] {
            assert!(!roman(r), "{r}");
        }
        // A numeral the document defines is an abbreviation: "IV" for intravenous.
        let d = doc(&[
            B::P("Doses in Phase IV are given as an IV infusion."),
            B::P("Intravenous (IV) doses are weighed."),
        ]);
        assert_eq!(
            abbrev_findings(&d),
            vec![(
                "qc.abbreviation.before-definition".to_string(),
                "IV".to_string()
            )]
        );
    }

    #[test]
    fn shipped_qc_examples() {
        let q = &rules().qc;
        assert!(!q.examples.flag.is_empty() && !q.examples.pass_.is_empty());
        for text in &q.examples.flag {
            let d = doc(&[B::P(text)]);
            assert!(!undefined(&d).is_empty(), "must flag: {text}");
        }
        for text in &q.examples.pass_ {
            let d = doc(&[B::P(text)]);
            assert_eq!(undefined(&d), Vec::<String>::new(), "must pass: {text}");
        }
    }
}

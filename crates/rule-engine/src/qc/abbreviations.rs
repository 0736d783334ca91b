//! Abbreviations: where the document defines them (in the text, in table footnotes, in its
//! abbreviation list), which tokens are not abbreviations (the `[qc]` words of the packs),
//! and the findings of the built-in abbreviation checks.

use super::*;

pub(super) static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)((?:[A-Za-z][\w'’-]*\s+){1,7})\(([A-Z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*\+?)\)",
    )
    .unwrap_or_else(|e| panic!("{e}"))
});
/// "ABBR (long form)": the long form in lower case after the abbreviation.
pub(super) static DEFINITION_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([A-Z][A-Za-z0-9]*[A-Z])s?\s+\(([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,7})\)")
        .unwrap_or_else(|e| panic!("{e}"))
});
/// "ABBR = long form" anywhere, "ABBR: long form" at the start or after a ";" (lists such
/// as table footnotes, several separated by ";").
pub(super) static DEFINITION_EQUALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[;,:]\s*|\s)([A-Za-z][A-Za-z0-9/-]*[A-Za-z0-9])\s*=\s*([A-Za-z][^;=]{1,120})")
        .unwrap_or_else(|e| panic!("{e}"))
});
pub(super) static DEFINITION_COLON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|;\s*)([A-Z][A-Za-z0-9/-]*[A-Z])s?\s*:\s+([A-Za-z][^;:]{2,120})")
        .unwrap_or_else(|e| panic!("{e}"))
});
pub(super) static ABBREV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([A-Z][A-Za-z0-9]*[A-Z])s?(?-u:\b)").unwrap_or_else(|e| panic!("{e}"))
});
/// A surname and initials, as in a reference list ("Smith JR, Jones A.").
pub(super) static INITIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]\p{Ll}[\p{L}'’-]*\s+([A-Z]{1,3})(?:[,.;]|\s+et al|\s*$)")
        .unwrap_or_else(|e| panic!("{e}"))
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

    pub(super) fn listed(&self, word: &str) -> bool {
        self.exact.contains(word) || self.any_case.contains(&word.to_uppercase())
    }

    /// Whether a heading or caption introduces the abbreviation list.
    pub(super) fn is_list_heading(&self, text: &str) -> bool {
        self.is_heading_in(text, &self.abbreviation_lists)
    }

    /// Whether a heading or caption is one of `names` (lower case).
    pub(super) fn is_heading_in(&self, text: &str, names: &[String]) -> bool {
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
    pub(super) fn footnote_at(&self, text: &str) -> Option<usize> {
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

pub(super) static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:appendix|annex|table|section)\s+)?[0-9a-z]{0,3}(?:\.\d+)*[.:]?\s+")
        .unwrap_or_else(|e| panic!("{e}"))
});

/// A valid roman numeral (II, IV, XII, ...).
pub(super) fn roman(a: &str) -> bool {
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
pub(super) fn token_around(text: &str, start: usize, end: usize) -> &str {
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
pub(super) fn shouting(text: &str, english: &HashSet<String>) -> bool {
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
pub(super) type Place = (usize, (usize, usize));

/// How an abbreviation was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DefKind {
    /// "Long form (ABBR)" or "ABBR (long form)" in a sentence.
    Inline,
    /// "ABBR = long form" or "ABBR: long form" (footnotes and lists).
    Listed,
}

/// One definition: where it takes effect (unit, byte position), its kind, and the unit and
/// byte span where it is written.
#[derive(Debug, Clone)]
pub(super) struct Def {
    pub(super) abbrev: String,
    pub(super) unit: usize,
    pub(super) pos: usize,
    pub(super) kind: DefKind,
    pub(super) written: usize,
    pub(super) span: (usize, usize),
    /// A part of a compound abbreviation ("ICP" of "ICP-MS").
    pub(super) part: bool,
}

/// What QC knows about the document's abbreviations, shared by the built-in checks and the
/// packs' conditional rules.
#[derive(Debug, Default)]
pub(crate) struct Abbreviations {
    /// Defined for the whole document by its abbreviation list.
    pub(super) global: HashSet<String>,
    /// Definitions in the text, in reading order.
    pub(super) defs: Vec<Def>,
    /// Per unit: byte starts of capitalised words that are not abbreviations.
    pub(super) not_abbrev: Vec<HashSet<usize>>,
    /// Per unit: whether it belongs to the abbreviation list.
    pub(super) in_list: Vec<bool>,
    /// Per unit: byte spans of abbreviations being defined (not uses).
    pub(super) def_spans: Vec<Vec<(usize, usize)>>,
    /// Acronyms of the title page (the study's name).
    pub(super) title: HashSet<String>,
    /// Per unit: whether it belongs to the reference list (journal names, initials).
    pub(super) references: Vec<bool>,
    /// Per unit: indices in `defs` of the definitions taking effect there.
    pub(super) by_unit: Vec<Vec<usize>>,
}

/// After a word: an identifier number ("IND: 119006", "MA 02210").
pub(super) static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:s?\s*[:#]?\s*)\d{4,}(?-u:\b)").unwrap_or_else(|e| panic!("{e}"))
});

pub(super) fn initial_match(ab: &str, long: &str) -> bool {
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
pub(super) fn brand_or_company(after: &str, qc: &QcWords) -> bool {
    let mut words = after.split_whitespace();
    let here = after.starts_with(['®', '™']);
    let next = words.next().unwrap_or("");
    here || next.contains(['®', '™'])
        || qc
            .company_suffixes
            .contains(next.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// Too long to be an abbreviation to define.
pub(super) fn exempt(a: &str) -> bool {
    a.len() > 10
}

pub(super) fn builtin(
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
pub(super) fn abbreviations(units: &[Unit<'_>], ab: &Abbreviations, out: &mut Vec<Finding>) {
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

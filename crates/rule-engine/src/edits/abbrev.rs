//! Abbreviation definitions: "long form (ABBR)" in a sentence or anywhere in a document,
//! found by the initials of the words before the bracket, and the standard ones of the
//! packs. An abbreviation and its long form are one canonical token, so a proposal may
//! expand or contract it; a definition the proposal itself makes up counts for nothing.

use super::tables::EditTables;
use std::collections::BTreeMap;

/// Abbreviations (lower case, singular) and their long forms (lower-case words).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Definitions {
    /// Key (lower case, singular) -> (long-form words, the abbreviation as written).
    map: BTreeMap<String, (Vec<String>, String)>,
}

/// The key of an abbreviation as written: lower case, a plural `s` removed (`SAEs`).
fn key_of(raw: &str) -> Option<String> {
    let upper = raw.chars().filter(|c| c.is_uppercase()).count();
    if upper < 2 || raw.chars().count() > 12 || !raw.chars().all(char::is_alphanumeric) {
        return None;
    }
    let core = match raw.strip_suffix('s') {
        Some(c) if c.chars().filter(|c| c.is_lowercase()).count() == 0 => c,
        _ => raw,
    };
    Some(core.to_lowercase())
}

fn word_pieces(text: &str) -> Vec<(String, String, bool)> {
    crate::text::tokenize(text)
        .into_iter()
        .flat_map(|t| {
            let sym = t.kind == crate::text::TokKind::Symbol;
            if !sym && t.raw.contains('-') && !crate::facts::is_identifier(t.raw) {
                t.raw
                    .split('-')
                    .filter(|p| !p.is_empty())
                    .map(|p| (p.to_lowercase().replace('’', "'"), p.to_string(), false))
                    .collect::<Vec<_>>()
            } else {
                vec![(t.norm, t.raw.to_string(), sym)]
            }
        })
        .collect()
}

/// Does the long form `words` explain the initials of `abbr`? Its first word starts with
/// the first letter and the letters appear in order.
fn initials_match(abbr: &str, words: &[&str]) -> bool {
    let letters: Vec<char> = abbr.chars().filter(|c| c.is_alphanumeric()).collect();
    let Some(first) = letters.first() else {
        return false;
    };
    if words.first().and_then(|w| w.chars().next()) != Some(*first) {
        return false;
    }
    let mut it = letters.iter().peekable();
    for w in words {
        for c in w.chars() {
            if it.peek().is_some_and(|l| **l == c) {
                it.next();
            }
        }
    }
    it.peek().is_none()
}

impl Definitions {
    /// The definitions a text makes ("computed tomography (CT)").
    pub fn scan(text: &str) -> Self {
        let mut d = Self::default();
        d.add_text(text);
        d
    }

    /// Add the definitions of another text (for a document: every sentence).
    pub fn add_text(&mut self, text: &str) {
        if !text.contains('(') {
            return;
        }
        let ps = word_pieces(text);
        for i in 0..ps.len() {
            if !(ps[i].2 && ps[i].0 == "(") {
                continue;
            }
            let (Some(a), Some(close)) = (ps.get(i + 1), ps.get(i + 2)) else {
                continue;
            };
            if a.2 || !(close.2 && close.0 == ")") {
                continue;
            }
            let Some(key) = key_of(&a.1) else { continue };
            let max = key.chars().count() + 4;
            let mut found = None;
            for k in 1..=max.min(i) {
                let words = &ps[i - k..i];
                if words.iter().any(|w| w.2) {
                    break;
                }
                let ws: Vec<&str> = words.iter().map(|w| w.0.as_str()).collect();
                if initials_match(&key, &ws) {
                    found = Some(ws.iter().map(|w| w.to_string()).collect::<Vec<_>>());
                    break;
                }
            }
            if let Some(long) = found {
                let raw = match a.1.strip_suffix('s') {
                    Some(c) if c.to_lowercase() == key => c.to_string(),
                    _ => a.1.clone(),
                };
                self.map.entry(key).or_insert((long, raw));
            }
        }
    }

    /// Add the definitions of `other` (a document's), keeping this one's where both define.
    pub fn extend(&mut self, other: &Definitions) {
        for (k, v) in &other.map {
            self.map.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The long form of an abbreviation (lower case).
    pub fn get(&self, abbr: &str) -> Option<&[String]> {
        self.map
            .get(&abbr.to_lowercase())
            .map(|(l, _)| l.as_slice())
    }

    /// The abbreviations whose long form starts with `word`: (key, as written).
    pub fn abbreviations_starting(&self, word: &str) -> Vec<(&str, &str)> {
        self.map
            .iter()
            .filter(|(_, (l, _))| l.first().is_some_and(|f| f == word))
            .map(|(k, (_, raw))| (k.as_str(), raw.as_str()))
            .collect()
    }

    fn long_of<'a>(&'a self, key: &str, tables: &'a EditTables) -> Option<&'a [String]> {
        self.map
            .get(key)
            .map(|(l, _)| l)
            .or_else(|| tables.abbreviations.get(key))
            .map(Vec::as_slice)
    }

    /// At piece `i` of (norm, raw, is symbol): an abbreviation, its long form, or either
    /// followed by the other in brackets. Returns the abbreviation and the pieces used.
    pub(crate) fn match_at(
        &self,
        ps: &[(&str, &str, bool)],
        i: usize,
        tables: &EditTables,
    ) -> Option<(String, usize)> {
        let (norm, raw, sym) = ps[i];
        if sym {
            return None;
        }
        let bracketed = |at: usize, inner: &dyn Fn(usize) -> Option<usize>| -> usize {
            // `( ... )` right at `at`: the pieces it takes.
            if ps.get(at).is_some_and(|p| p.2 && p.0 == "(")
                && let Some(n) = inner(at + 1)
                && ps.get(at + 1 + n).is_some_and(|p| p.2 && p.0 == ")")
            {
                return n + 2;
            }
            0
        };
        // The abbreviation itself.
        if let Some(key) = key_of(raw)
            && let Some(long) = self.long_of(&key, tables)
        {
            let extra = bracketed(i + 1, &|at| long_at(ps, at, long));
            return Some((key, 1 + extra));
        }
        // A long form: the document's and the sentence's definitions, then the standard ones.
        let standard = tables
            .abbreviations_by_first
            .get(norm)
            .into_iter()
            .flatten()
            .filter_map(|k| tables.abbreviations.get(k).map(|l| (k, l)));
        let cands = self
            .map
            .iter()
            .map(|(k, (l, _))| (k, l))
            .filter(|(_, long)| long.first().is_some_and(|f| f == norm))
            .chain(standard);
        let mut best: Option<(String, usize)> = None;
        for (key, long) in cands {
            if let Some(n) = long_at(ps, i, long) {
                let extra = bracketed(i + n, &|at| {
                    ps.get(at)
                        .and_then(|p| key_of(p.1))
                        .filter(|k| k == key)
                        .map(|_| 1)
                });
                if best.as_ref().is_none_or(|b| n + extra > b.1) {
                    best = Some((key.clone(), n + extra));
                }
            }
        }
        best
    }
}

/// The long form `long` at piece `at`: the pieces it takes (the last word may differ by a
/// plural `s`).
fn long_at(ps: &[(&str, &str, bool)], at: usize, long: &[String]) -> Option<usize> {
    if at + long.len() > ps.len() || long.is_empty() {
        return None;
    }
    for (k, w) in long.iter().enumerate() {
        let (norm, _, sym) = ps[at + k];
        if sym {
            return None;
        }
        let last = k + 1 == long.len();
        let same = norm == w
            || (last
                && (norm.strip_suffix('s') == Some(w.as_str())
                    || w.strip_suffix('s') == Some(norm)));
        if !same {
            return None;
        }
    }
    Some(long.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn definitions_by_initials() {
        let d = Definitions::scan(
            "A computed tomography (CT) or magnetic resonance imaging (MRI) scan of the \
             central nervous system (CNS) in type 1 diabetes mellitus (T1DM); serious \
             adverse events (SAEs); a parallel (3 arm) design.",
        );
        assert_eq!(d.get("CT").unwrap(), ["computed", "tomography"]);
        assert_eq!(d.get("MRI").unwrap(), ["magnetic", "resonance", "imaging"]);
        assert_eq!(d.get("CNS").unwrap(), ["central", "nervous", "system"]);
        assert_eq!(
            d.get("T1DM").unwrap(),
            ["type", "1", "diabetes", "mellitus"]
        );
        assert_eq!(d.get("SAE").unwrap(), ["serious", "adverse", "events"]);
        assert_eq!(d.len(), 5);
    }

    #[test]
    fn letters_must_be_initials_in_order() {
        assert!(initials_match("ecg", &["electrocardiogram"]));
        assert!(!initials_match("ecg", &["cardiogram"]));
        assert!(!initials_match("mri", &["resonance", "imaging"]));
    }
}

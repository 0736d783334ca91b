//! The vocabulary of fact extraction as data: the `[facts]` section of a pack
//! (`rules/fact-words.toml`), compiled once into lookup tables. What is grammar rather
//! than vocabulary stays in code (a word ending in "n't" is a negation; "may" next to a
//! number is the month; "twenty-five" is two number words).

use super::FactKind;
use crate::text::Token;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[facts]` as written in a pack.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactWordsFile {
    /// Single-word comparators that are comparators only before a number.
    #[serde(default)]
    pub comparators_before_number: Vec<String>,
    /// Month abbreviations that are also words: a month only next to a number.
    #[serde(default)]
    pub months_need_number: Vec<String>,
    /// Tokens that end a clause for group binding.
    #[serde(default)]
    pub clause_breaks: Vec<String>,
    /// Words that start like a claim and are not one.
    #[serde(default)]
    pub not_claims: Vec<String>,
    #[serde(default)]
    pub phrase: Vec<PhraseGroup>,
    #[serde(default)]
    pub word: Vec<WordGroup>,
    /// Number words and their values.
    #[serde(default)]
    pub numbers: BTreeMap<String, u32>,
    /// Normal form -> spellings.
    #[serde(default)]
    pub units: BTreeMap<String, Vec<String>>,
    /// Label -> words that make the number after them a timepoint or label.
    #[serde(default)]
    pub labels: BTreeMap<String, Vec<String>>,
    /// Group -> words that name it.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub claim: Vec<ClaimGroup>,
    /// Words that pair two things rather than state a fact when their partner follows.
    #[serde(default)]
    pub correlative: Vec<CorrelativeFile>,
}

/// A correlative pair ("both ... and"): `word` is a conjunction, not a fact, when `partner`
/// follows within `within` words with no punctuation and none of `not_between` in between
/// (a verb between them makes `word` count the things: "both doses are given and ...").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelativeFile {
    pub word: String,
    pub partner: String,
    pub within: usize,
    #[serde(default)]
    pub not_between: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Correlative {
    partner: String,
    within: usize,
    not_between: HashSet<String>,
}

/// Phrases of one fact kind and value, each written token by token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhraseGroup {
    pub kind: String,
    pub value: String,
    pub phrases: Vec<String>,
}

/// Single words of one fact kind and value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordGroup {
    pub kind: String,
    pub value: String,
    pub words: Vec<String>,
}

/// Claim words of one value: by prefix or exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimGroup {
    pub value: String,
    #[serde(default)]
    pub prefix: Vec<String>,
    #[serde(default)]
    pub exact: Vec<String>,
}

/// A phrase fact.
#[derive(Debug, Clone)]
pub(crate) struct Phrase {
    pub(crate) words: Vec<String>,
    pub(crate) kind: FactKind,
    pub(crate) value: String,
}

/// The compiled tables.
#[derive(Debug, Clone, Default)]
pub struct FactWords {
    /// By first token, longest first (then in the order written).
    phrases: HashMap<String, Vec<Phrase>>,
    single: HashMap<String, (FactKind, String)>,
    numbers: HashMap<String, u32>,
    units: HashMap<String, String>,
    labels: HashMap<String, String>,
    groups: HashMap<String, String>,
    claim_prefixes: Vec<(String, String)>,
    claim_exact: HashMap<String, String>,
    not_claims: HashSet<String>,
    before_number: HashSet<String>,
    months_need_number: HashSet<String>,
    clause_breaks: HashSet<String>,
    correlatives: HashMap<String, Correlative>,
}

fn kind_of(name: &str) -> Result<FactKind, String> {
    FactKind::from_name(name)
        .ok_or_else(|| format!("unknown fact kind '{name}' (one of {})", FactKind::names()))
}

fn invert(map: &BTreeMap<String, Vec<String>>) -> HashMap<String, String> {
    let mut out = HashMap::default();
    for (v, ws) in map {
        for w in ws {
            out.entry(w.to_lowercase()).or_insert_with(|| v.clone());
        }
    }
    out
}

impl FactWords {
    /// Compile the `[facts]` sections of the packs, in order (a word already defined keeps
    /// its first meaning). Errors name the field.
    pub fn build(files: &[&FactWordsFile]) -> Result<Self, (String, String)> {
        let mut t = FactWords::default();
        for f in files {
            for g in &f.phrase {
                let kind = kind_of(&g.kind).map_err(|m| ("facts.phrase.kind".to_string(), m))?;
                for p in &g.phrases {
                    let words: Vec<String> =
                        p.split_whitespace().map(|w| w.to_lowercase()).collect();
                    let Some(first) = words.first().cloned() else {
                        return Err((
                            "facts.phrase.phrases".into(),
                            format!("an empty phrase in the group '{}'", g.value),
                        ));
                    };
                    t.phrases.entry(first).or_default().push(Phrase {
                        words,
                        kind,
                        value: g.value.clone(),
                    });
                }
            }
            for g in &f.word {
                let kind = kind_of(&g.kind).map_err(|m| ("facts.word.kind".to_string(), m))?;
                for w in &g.words {
                    t.single
                        .entry(w.to_lowercase())
                        .or_insert_with(|| (kind, g.value.clone()));
                }
            }
            for (w, n) in &f.numbers {
                t.numbers.entry(w.to_lowercase()).or_insert(*n);
            }
            for (k, v) in invert(&f.units) {
                t.units.entry(k).or_insert(v);
            }
            for (k, v) in invert(&f.labels) {
                t.labels.entry(k).or_insert(v);
            }
            for (k, v) in invert(&f.groups) {
                t.groups.entry(k).or_insert(v);
            }
            for c in &f.claim {
                for p in &c.prefix {
                    t.claim_prefixes.push((p.to_lowercase(), c.value.clone()));
                }
                for w in &c.exact {
                    t.claim_exact
                        .entry(w.to_lowercase())
                        .or_insert_with(|| c.value.clone());
                }
            }
            let lower = |v: &Vec<String>| v.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>();
            t.not_claims.extend(lower(&f.not_claims));
            t.before_number.extend(lower(&f.comparators_before_number));
            t.months_need_number.extend(lower(&f.months_need_number));
            t.clause_breaks.extend(lower(&f.clause_breaks));
            for c in &f.correlative {
                if c.within == 0 || c.word.trim().is_empty() || c.partner.trim().is_empty() {
                    return Err((
                        "facts.correlative".to_string(),
                        "a correlative needs `word`, `partner` and `within` of at least 1".into(),
                    ));
                }
                t.correlatives
                    .entry(c.word.to_lowercase())
                    .or_insert_with(|| Correlative {
                        partner: c.partner.to_lowercase(),
                        within: c.within,
                        not_between: lower(&c.not_between).into_iter().collect(),
                    });
            }
        }
        for v in t.phrases.values_mut() {
            v.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        }
        Ok(t)
    }

    /// Whether nothing was declared (a rule set without `[facts]`).
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty() && self.single.is_empty()
    }

    /// Phrases starting with `first`, longest first.
    pub(crate) fn phrases(&self, first: &str) -> &[Phrase] {
        self.phrases.get(first).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn single(&self, word: &str) -> Option<(FactKind, &str)> {
        if let Some((k, v)) = self.single.get(word) {
            return Some((*k, v.as_str()));
        }
        word.ends_with("n't").then_some((FactKind::Negation, "not"))
    }

    pub(crate) fn claim(&self, w: &str) -> Option<&str> {
        if self.not_claims.contains(w) {
            return None;
        }
        if let Some(v) = self.claim_exact.get(w) {
            return Some(v);
        }
        self.claim_prefixes
            .iter()
            .find(|(p, _)| w.starts_with(p.as_str()))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn number_word(&self, w: &str) -> Option<u32> {
        self.numbers.get(w).copied()
    }

    /// "twenty-five" -> 25.
    pub(crate) fn compound_number(&self, w: &str) -> Option<u32> {
        if let Some(n) = self.number_word(w) {
            return Some(n);
        }
        let (a, b) = w.split_once('-')?;
        let (a, b) = (self.number_word(a)?, self.number_word(b)?);
        (a >= 20 && a % 10 == 0 && b < 10).then_some(a + b)
    }

    /// Normalised unit of a word, if it is one.
    pub(crate) fn unit(&self, w: &str) -> Option<&str> {
        self.units.get(w).map(String::as_str)
    }

    /// The label a word before a number makes of it (`week 12`: `@week`).
    pub(crate) fn label_before(&self, w: &str) -> Option<&str> {
        self.labels.get(w).map(String::as_str)
    }

    /// The treatment group a word names.
    pub(crate) fn group_word(&self, w: &str) -> Option<&str> {
        self.groups.get(w).map(String::as_str)
    }

    pub(crate) fn comparator_needs_number(&self, w: &str) -> bool {
        self.before_number.contains(w)
    }

    pub(crate) fn month_needs_number(&self, w: &str) -> bool {
        self.months_need_number.contains(w)
    }

    /// Whether `word`, followed by `after` (lower-case words; `None` for punctuation), is
    /// the first half of a correlative pair ("both the nurse and the doctor").
    pub(crate) fn is_correlative<'a>(
        &self,
        word: &str,
        after: impl Iterator<Item = Option<&'a str>>,
    ) -> bool {
        let Some(c) = self.correlatives.get(word) else {
            return false;
        };
        for (k, w) in after.enumerate() {
            match w {
                Some(w) if w == c.partner => return k > 0,
                Some(w) if k < c.within && !c.not_between.contains(w) => {}
                _ => return false,
            }
        }
        false
    }

    pub(crate) fn is_clause_break(&self, t: &Token) -> bool {
        self.clause_breaks.contains(t.norm.as_str())
    }
}

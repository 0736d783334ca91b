//! The edit classes' word lists, compiled once from the `kind = "edit"` rules of the packs
//! and the `words/*.txt` word lists.

use crate::facts::FactWords;
use crate::pack::{EditClass, FillerPosition, Kind, Level, Rule};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A wordy phrase and its plain replacement.
#[derive(Debug, Clone)]
pub(crate) struct Substitution {
    pub from: Vec<String>,
    pub to: Vec<String>,
    /// The phrase applies only when the next word is one of these (empty: always).
    pub before: Vec<String>,
    pub rule: usize,
}

/// A filler phrase that may be removed.
#[derive(Debug, Clone)]
pub(crate) struct Filler {
    pub words: Vec<String>,
    /// Written with a colon in the pack ("note:"): only before a colon, which goes too.
    pub colon: bool,
    pub position: FillerPosition,
    pub rule: usize,
}

/// The id and level of the rule behind an edit.
#[derive(Debug, Clone)]
pub(crate) struct EditRule {
    pub id: String,
    pub level: Level,
    pub class: EditClass,
}

/// Everything the alignment needs from the packs.
#[derive(Debug, Clone, Default)]
pub struct EditTables {
    pub(crate) rules: Vec<EditRule>,
    /// By first word, longest phrase first.
    pub(crate) substitutions: HashMap<String, Vec<Substitution>>,
    pub(crate) fillers: HashMap<String, Vec<Filler>>,
    /// Variant -> canonical spelling.
    pub(crate) spelling: HashMap<String, String>,
    pub(crate) articles: HashSet<String>,
    /// Standard abbreviations: lower-case abbreviation -> long-form words.
    pub(crate) abbreviations: HashMap<String, Vec<String>>,
    /// The standard abbreviations by the first word of their long form.
    pub(crate) abbreviations_by_first: HashMap<String, Vec<String>>,
    /// English words (lower case).
    pub(crate) words: HashSet<String>,
    /// The fact vocabulary (number words, units, comparators) the canonical streams use.
    pub(crate) facts: Arc<FactWords>,
}

fn words_of(s: &str) -> Vec<String> {
    s.split_whitespace()
        .flat_map(|w| w.split('-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

impl EditTables {
    pub(crate) fn build(rules: &[Rule], word_lists: &[&str], facts: Arc<FactWords>) -> Self {
        let mut t = EditTables {
            facts,
            ..EditTables::default()
        };
        for r in rules.iter().filter(|r| r.kind == Kind::Edit) {
            let Some(class) = r.edit.as_deref().and_then(EditClass::from_name) else {
                continue;
            };
            let idx = t.rules.len();
            t.rules.push(EditRule {
                id: r.id.clone(),
                level: r.level,
                class,
            });
            match class {
                EditClass::Substitution => {
                    let before: Vec<String> = r.tokens.iter().map(|w| w.to_lowercase()).collect();
                    for (from, to) in &r.swap {
                        let from = words_of(from);
                        let Some(first) = from.first().cloned() else {
                            continue;
                        };
                        t.substitutions
                            .entry(first)
                            .or_default()
                            .push(Substitution {
                                from,
                                to: words_of(to),
                                before: before.clone(),
                                rule: idx,
                            });
                    }
                }
                EditClass::Filler => {
                    // Validated with the pack: a filler rule always has one.
                    let position = r.position.unwrap_or(FillerPosition::Start);
                    for f in &r.tokens {
                        let colon = f.trim_end().ends_with(':');
                        let words = words_of(f.trim_end().trim_end_matches(':'));
                        let Some(first) = words.first().cloned() else {
                            continue;
                        };
                        t.fillers.entry(first).or_default().push(Filler {
                            words,
                            colon,
                            position,
                            rule: idx,
                        });
                    }
                }
                EditClass::Spelling => {
                    for [a, b] in &r.either {
                        t.spelling.insert(a.to_lowercase(), b.to_lowercase());
                    }
                }
                EditClass::Article => {
                    t.articles.extend(r.tokens.iter().map(|w| w.to_lowercase()));
                }
                EditClass::Abbreviation => {
                    for (abbr, long) in &r.swap {
                        t.abbreviations.insert(abbr.to_lowercase(), words_of(long));
                    }
                }
                _ => {}
            }
        }
        for (k, long) in &t.abbreviations {
            if let Some(first) = long.first() {
                t.abbreviations_by_first
                    .entry(first.clone())
                    .or_default()
                    .push(k.clone());
            }
        }
        for v in t.abbreviations_by_first.values_mut() {
            v.sort();
        }
        for v in t.substitutions.values_mut() {
            v.sort_by_key(|s| std::cmp::Reverse(s.from.len()));
        }
        for v in t.fillers.values_mut() {
            v.sort_by_key(|f| std::cmp::Reverse(f.words.len()));
        }
        for list in word_lists {
            for line in list.lines() {
                let w = line.trim();
                if !w.is_empty() && !w.starts_with('#') {
                    t.words.insert(w.to_lowercase());
                }
            }
        }
        t
    }

    /// The first rule of `class`, for reasons that belong to the class as a whole.
    pub(crate) fn rule_of(&self, class: EditClass) -> Option<&EditRule> {
        self.rules.iter().find(|r| r.class == class)
    }

    /// A word's canonical spelling (British and American variants are one word).
    pub(crate) fn spell(&self, w: &str) -> String {
        self.respell(w).unwrap_or_else(|| w.to_string())
    }

    /// The canonical spelling when it differs from `w`.
    pub(crate) fn respell(&self, w: &str) -> Option<String> {
        if let Some(c) = self.spelling.get(w) {
            return Some(c.clone());
        }
        if w.len() >= 6 && w.chars().all(|c| c.is_ascii_lowercase()) {
            for (uk, us) in [
                ("isations", "izations"),
                ("isation", "ization"),
                ("ising", "izing"),
                ("ised", "ized"),
                ("ises", "izes"),
                ("ise", "ize"),
                ("ysing", "yzing"),
                ("ysed", "yzed"),
                ("yses", "yzes"),
                ("yse", "yze"),
            ] {
                if let Some(stem) = w.strip_suffix(uk) {
                    return Some(format!("{stem}{us}"));
                }
            }
        }
        None
    }
}

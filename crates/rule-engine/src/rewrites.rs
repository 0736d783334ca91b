//! Rewrites the rules can make on their own: the allowed edit classes applied to a
//! sentence (a wordy phrase to its plain form, a linking word or intensifier removed, a
//! long form the document already defined contracted to its abbreviation). Each is a
//! candidate a model may rank; every one is cross-checked like any proposal.

use crate::crosscheck::{CrossCheck, Verdict, crosscheck_in_document};
use crate::edits::Definitions;
use crate::pack::FillerPosition;
use crate::pack::RuleSet;
use crate::text::{TokKind, tokenize};
use serde::Serialize;

/// One edit on the source text: replace bytes `start..end` with `with`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub rule_id: String,
    pub start: usize,
    pub end: usize,
    pub with: String,
}

/// A rewrite made of one or more edits, with its cross-check.
#[derive(Debug, Clone, Serialize)]
pub struct Rewrite {
    pub text: String,
    pub edits: Vec<Edit>,
    pub check: CrossCheck,
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// The edits the rules allow on `sentence`. `earlier` holds the abbreviations the document
/// defined before this sentence (their long forms may be contracted).
pub fn edits(sentence: &str, rules: &RuleSet, earlier: &Definitions) -> Vec<Edit> {
    let tables = &rules.edits;
    let toks = tokenize(sentence);
    // Word tokens with hyphenated words split, as the tables hold them.
    let mut words: Vec<(String, usize, usize)> = Vec::new();
    for t in &toks {
        if t.kind == TokKind::Symbol {
            continue;
        }
        let mut at = t.start;
        for part in t.raw.split('-') {
            if !part.is_empty() {
                words.push((part.to_lowercase(), at, at + part.len()));
            }
            at += part.len() + 1;
        }
    }
    let first_word = words.first().map(|w| w.1);
    let mut out: Vec<Edit> = Vec::new();
    let phrase_at = |i: usize, phrase: &[String]| -> bool {
        i + phrase.len() <= words.len()
            && phrase.iter().enumerate().all(|(k, w)| words[i + k].0 == *w)
    };
    // No hyphen or other symbol inside a phrase: its words are adjacent in the source.
    let contiguous = |i: usize, n: usize| -> bool {
        (i + 1..i + n).all(|k| {
            sentence
                .get(words[k - 1].2..words[k].1)
                .is_some_and(|gap| gap.chars().all(char::is_whitespace) && !gap.is_empty())
        })
    };
    let mut i = 0;
    while i < words.len() {
        let mut took = 0;
        // Lead fillers and intensifiers.
        if let Some(cands) = tables.fillers.get(&words[i].0) {
            for f in cands {
                let n = f.words.len();
                if !phrase_at(i, &f.words) || !contiguous(i, n) {
                    continue;
                }
                let at_start = Some(words[i].1) == first_word;
                let next_is_number = sentence
                    .get(words[i + n - 1].2..)
                    .is_some_and(|r| r.trim_start().starts_with(|c: char| c.is_ascii_digit()));
                let ok = match f.position {
                    FillerPosition::Start => at_start,
                    FillerPosition::Anywhere => true,
                    // Not at the start: a sentence should not begin with a numeral.
                    FillerPosition::BeforeNumber => next_is_number && !at_start,
                    // Tolerated in a proposal, never proposed: dropping a list's "and"
                    // reads worse, and a correlative "both" costs nothing.
                    FillerPosition::AfterComma | FillerPosition::Correlative => false,
                };
                let rest = &sentence[words[i + n - 1].2..];
                if !ok || (f.colon && !rest.trim_start().starts_with(':')) {
                    continue;
                }
                let start = words[i].1;
                let mut end = words[i + n - 1].2;
                let mark = if f.colon { ':' } else { ',' };
                if rest.trim_start().starts_with(mark) {
                    end += rest.find(mark).map_or(0, |p| p + 1);
                }
                end += sentence[end..].len() - sentence[end..].trim_start().len();
                let mut with = String::new();
                if start == first_word.unwrap_or(usize::MAX) {
                    // Capitalise what now starts the sentence.
                    if let Some(c) = sentence[end..].chars().next() {
                        with = c.to_uppercase().collect();
                        end += c.len_utf8();
                    }
                }
                out.push(Edit {
                    rule_id: tables.rules[f.rule].id.clone(),
                    start,
                    end,
                    with,
                });
                took = n;
                break;
            }
        }
        // Plain-language substitutions.
        if took == 0
            && let Some(cands) = tables.substitutions.get(&words[i].0)
        {
            for s in cands {
                let n = s.from.len();
                if !phrase_at(i, &s.from) || !contiguous(i, n) {
                    continue;
                }
                if !s.before.is_empty()
                    && !words.get(i + n).is_some_and(|w| s.before.contains(&w.0))
                {
                    continue;
                }
                let (start, mut end) = (words[i].1, words[i + n - 1].2);
                let mut with = s.to.join(" ");
                let upper = sentence[start..]
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase);
                if with.is_empty() {
                    end += sentence[end..].len() - sentence[end..].trim_start().len();
                    if upper && let Some(c) = sentence[end..].chars().next() {
                        with = c.to_uppercase().collect();
                        end += c.len_utf8();
                    }
                } else if upper {
                    with = capitalise(&with);
                }
                out.push(Edit {
                    rule_id: tables.rules[s.rule].id.clone(),
                    start,
                    end,
                    with,
                });
                took = n;
                break;
            }
        }
        // A long form the document defined earlier: its abbreviation.
        if took == 0 {
            for (abbr, raw) in earlier.abbreviations_starting(&words[i].0) {
                let long = earlier.get(abbr).unwrap_or(&[]).to_vec();
                let n = long.len();
                if n == 0 || i + n > words.len() || !contiguous(i, n) {
                    continue;
                }
                let same = long.iter().enumerate().all(|(k, w)| {
                    let x = &words[i + k].0;
                    x == w
                        || (k + 1 == n
                            && (x.strip_suffix('s') == Some(w.as_str())
                                || w.strip_suffix('s') == Some(x.as_str())))
                });
                if !same {
                    continue;
                }
                let plural = words[i + n - 1].0.ends_with('s') && !long[n - 1].ends_with('s');
                let (start, mut end) = (words[i].1, words[i + n - 1].2);
                // "long form (ABBR)" again: the bracket goes too.
                let rest = &sentence[end..];
                let trimmed = rest.trim_start();
                if let Some(inner) = trimmed.strip_prefix('(')
                    && let Some(close) = inner.find(')')
                    && inner[..close].eq_ignore_ascii_case(raw.trim_end_matches('s'))
                        | inner[..close].eq_ignore_ascii_case(raw)
                {
                    end += rest.len() - trimmed.len() + 1 + close + 1;
                }
                let mut with = raw.to_string();
                if plural {
                    with.push('s');
                }
                // "a safety review committee" -> "an SRC": the article follows the letters.
                if i > 0 && matches!(words[i - 1].0.as_str(), "a" | "an") {
                    let (a0, a1) = (words[i - 1].1, words[i - 1].2);
                    let vowel_sound = raw
                        .chars()
                        .next()
                        .is_some_and(|c| "AEFHILMNORSX".contains(c));
                    let article = if vowel_sound { "an" } else { "a" };
                    let article = if sentence[a0..a1].starts_with(char::is_uppercase) {
                        capitalise(article)
                    } else {
                        article.to_string()
                    };
                    if sentence[a0..a1] != article && out.last().is_none_or(|e| e.end <= a0) {
                        with = format!("{article}{}{with}", &sentence[a1..start]);
                        out.push(Edit {
                            rule_id: "edit.abbreviation".into(),
                            start: a0,
                            end,
                            with,
                        });
                        took = n;
                        break;
                    }
                }
                out.push(Edit {
                    rule_id: "edit.abbreviation".into(),
                    start,
                    end,
                    with,
                });
                took = n;
                break;
            }
        }
        i += took.max(1);
    }
    out
}

fn apply(sentence: &str, edits: &[&Edit]) -> String {
    let mut text = String::with_capacity(sentence.len());
    let mut last = 0;
    for e in edits {
        if e.start < last {
            continue;
        }
        text.push_str(&sentence[last..e.start]);
        text.push_str(&e.with);
        last = e.end;
    }
    text.push_str(&sentence[last..]);
    text
}

/// Candidate rewrites of `sentence`: every allowed edit at once, and each edit alone when
/// there are several (at most `max`), each cross-checked; those that would not pass are
/// left out (they would be a defect of the rules, and the tests look for them).
pub fn rewrites(
    sentence: &str,
    rules: &RuleSet,
    earlier: &Definitions,
    max: usize,
) -> Vec<Rewrite> {
    let all = edits(sentence, rules, earlier);
    if all.is_empty() {
        return Vec::new();
    }
    let mut sets: Vec<Vec<&Edit>> = vec![all.iter().collect()];
    if all.len() > 1 {
        sets.extend(all.iter().map(|e| vec![e]));
    }
    let mut out: Vec<Rewrite> = Vec::new();
    for set in sets.into_iter().take(max.max(1)) {
        let text = apply(sentence, &set);
        if text == sentence || out.iter().any(|r| r.text == text) {
            continue;
        }
        let check = crosscheck_in_document(sentence, &text, rules, &rules.lexicon, earlier);
        if check.verdict == Verdict::Pass {
            out.push(Rewrite {
                text,
                edits: set.into_iter().cloned().collect(),
                check,
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(s: &str, earlier: &Definitions) -> Vec<String> {
        rewrites(s, &RuleSet::builtin(), earlier, 6)
            .into_iter()
            .map(|r| r.text)
            .collect()
    }

    #[test]
    fn every_edit_at_once_then_each_alone() {
        let got = texts(
            "Moreover, the nurse will weigh each volunteer prior to dosing in order to adjust the dose.",
            &Definitions::default(),
        );
        assert_eq!(
            got,
            [
                "The nurse will weigh each volunteer before dosing to adjust the dose.",
                "The nurse will weigh each volunteer prior to dosing in order to adjust the dose.",
                "Moreover, the nurse will weigh each volunteer before dosing in order to adjust the dose.",
                "Moreover, the nurse will weigh each volunteer prior to dosing to adjust the dose.",
            ]
        );
        // A marker of contrast only warns when it goes: the rules never propose dropping it.
        let got = texts(
            "However, the nurse will weigh each volunteer before dosing.",
            &Definitions::default(),
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn fillers_only_where_they_are_fillers() {
        let none = Definitions::default();
        // A linking word inside the sentence links its clauses: it stays.
        assert!(
            texts(
                "The tablet is bitter; however, most volunteers take it.",
                &none
            )
            .is_empty()
        );
        // "A total of" at the start would leave a numeral starting the sentence.
        assert!(texts("A total of 40 volunteers will take part.", &none).is_empty());
        assert_eq!(
            texts("The unit will enrol a total of 40 volunteers.", &none),
            ["The unit will enrol 40 volunteers."]
        );
        // "Note:" is a marker; "Note to ..." is not.
        assert_eq!(
            texts("Note: the diary is returned at each visit.", &none),
            ["The diary is returned at each visit."]
        );
        assert!(
            texts(
                "Note to the site staff: the diary is returned at each visit.",
                &none
            )
            .is_empty()
        );
    }

    #[test]
    fn a_long_form_defined_earlier_is_contracted_with_its_article() {
        let earlier = Definitions::scan("The safety review committee (SRC) meets monthly.");
        assert_eq!(
            texts(
                "A safety review committee will meet after the first cohort.",
                &earlier
            ),
            ["An SRC will meet after the first cohort."]
        );
        // Not defined earlier: nothing to contract.
        assert!(
            texts(
                "A safety review committee will meet after the first cohort.",
                &Definitions::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn passive_receive_only_before_a_noun_phrase() {
        let none = Definitions::default();
        assert_eq!(
            texts(
                "Volunteers will be given a snack after the blood draw.",
                &none
            ),
            ["Volunteers will receive a snack after the blood draw."]
        );
        assert!(
            texts(
                "The snack will be given to volunteers after the blood draw.",
                &none
            )
            .is_empty()
        );
    }
}

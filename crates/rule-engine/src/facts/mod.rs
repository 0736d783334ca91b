//! Fact extraction: the meaning-bearing parts of a sentence, normalised so that faithful
//! rewordings compare equal ("twelve" = 12, "mg" = "milligrams", "more than" = "above",
//! "did not" and "no" are both one negation) and changed facts do not.

use crate::lexicon::Lexicon;
use crate::text::{TokKind, Token, tokenize};
mod frequency;
pub(crate) mod tables;

use frequency::frequency_at;
use tables::Phrase;
pub use tables::{FactWords, FactWordsFile};

crate::named_enum! {
    /// What kind of fact an extracted span is.
    pub enum FactKind {
        Number = "number",
        Comparator = "comparator",
        Negation = "negation",
        Quantifier = "quantifier",
        Modal = "modal",
        Condition = "condition",
        Frequency = "frequency",
        Route = "route",
        Logic = "logic",
        Identifier = "identifier",
        Drug = "drug",
        Name = "name",
        Abbreviation = "abbreviation",
        Month = "date",
        Claim = "claim",
        Temporal = "temporal",
    }
}

crate::named_enum! {
    /// The comparisons a `kind = "fact"` rule configures (its `fact` field): the fact
    /// kinds, the bindings and bounds, and the word-alignment checks.
    pub enum FactCheck {
        Number = "number",
        Unit = "unit",
        Comparator = "comparator",
        Negation = "negation",
        Quantifier = "quantifier",
        Modal = "modal",
        Condition = "condition",
        Frequency = "frequency",
        Route = "route",
        Logic = "logic",
        Identifier = "identifier",
        Drug = "drug",
        Date = "date",
        Name = "name",
        Abbreviation = "abbreviation",
        Claim = "claim",
        Group = "group",
        Length = "length",
        Temporal = "temporal",
        /// Words of the original missing from the proposal.
        Omission = "omission",
        /// Words of the proposal not in the original.
        Addition = "addition",
        /// Words replaced by others no edit class allows.
        Wording = "wording",
        /// Words exchanged, moved away from what they qualify, or turned into their opposite.
        Role = "role",
        /// A proposal that does not end as a sentence.
        Fragment = "fragment",
        /// A word that is in no word list, lexicon, nor the original.
        NonWord = "non_word",
    }
}

impl FactKind {
    /// The check that configures this fact kind.
    pub fn check(self) -> FactCheck {
        match self {
            FactKind::Number => FactCheck::Number,
            FactKind::Comparator => FactCheck::Comparator,
            FactKind::Negation => FactCheck::Negation,
            FactKind::Quantifier => FactCheck::Quantifier,
            FactKind::Modal => FactCheck::Modal,
            FactKind::Condition => FactCheck::Condition,
            FactKind::Frequency => FactCheck::Frequency,
            FactKind::Route => FactCheck::Route,
            FactKind::Logic => FactCheck::Logic,
            FactKind::Identifier => FactCheck::Identifier,
            FactKind::Drug => FactCheck::Drug,
            FactKind::Name => FactCheck::Name,
            FactKind::Abbreviation => FactCheck::Abbreviation,
            FactKind::Month => FactCheck::Date,
            FactKind::Claim => FactCheck::Claim,
            FactKind::Temporal => FactCheck::Temporal,
        }
    }
}

/// One fact with its normalised value and where it is (UTF-8 byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: FactKind,
    pub value: String,
    /// Numbers: the normalised unit after (or, for timepoints, before) them.
    pub unit: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// A number bound to the treatment group of its clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub number: String,
    pub group: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub facts: Vec<Fact>,
    pub bindings: Vec<Binding>,
    pub words: usize,
    /// The text in lower case (a name is only dropped when its word is gone).
    pub lower: String,
    /// Byte spans of defined abbreviations and their long forms (set by the cross-check).
    pub abbreviation_spans: Vec<(usize, usize)>,
}

impl Facts {
    pub fn of(&self, kind: FactKind) -> impl Iterator<Item = &Fact> {
        self.facts.iter().filter(move |f| f.kind == kind)
    }
}

/// Extract the facts of a sentence.
pub fn extract(text: &str, lex: &Lexicon) -> Facts {
    let fw = lex.facts();
    let toks = tokenize(text);
    let n = toks.len();
    let mut used = vec![false; n];
    let mut facts = Vec::new();
    let push =
        |facts: &mut Vec<Fact>, kind, value: String, unit: Option<String>, a: &Token, b: &Token| {
            facts.push(Fact {
                kind,
                value,
                unit,
                start: a.start,
                end: b.end,
            })
        };

    // Pass 1: frequencies with numbers ("twice daily", "3 times a day", "every 2 weeks").
    let mut i = 0;
    while i < n {
        if let Some((value, len)) = frequency_at(fw, &toks, i) {
            push(
                &mut facts,
                FactKind::Frequency,
                value,
                None,
                &toks[i],
                &toks[i + len - 1],
            );
            used[i..i + len].iter_mut().for_each(|u| *u = true);
            i += len;
        } else {
            i += 1;
        }
    }

    // Pass 2: phrases, longest first.
    let mut i = 0;
    while i < n {
        if used[i] {
            i += 1;
            continue;
        }
        let mut matched = 0;
        {
            let cands: &[Phrase] = fw.phrases(toks[i].norm.as_str());
            for p in cands {
                let len = p.words.len();
                if i + len <= n && (0..len).all(|k| !used[i + k] && toks[i + k].norm == p.words[k])
                {
                    // "over" and "under" are comparators only before a number.
                    if len == 1
                        && fw.comparator_needs_number(&p.words[0])
                        && !next_is_number(fw, &toks, i + 1)
                    {
                        continue;
                    }
                    push(
                        &mut facts,
                        p.kind,
                        p.value.clone(),
                        None,
                        &toks[i],
                        &toks[i + len - 1],
                    );
                    matched = len;
                    break;
                }
            }
        }
        if matched > 0 {
            used[i..i + matched].iter_mut().for_each(|u| *u = true);
            i += matched;
        } else {
            i += 1;
        }
    }

    // Pass 3: numbers (digits and words) with units; ratios.
    let mut numbers: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < n {
        if used[i] {
            i += 1;
            continue;
        }
        let t = &toks[i];
        let value = match t.kind {
            TokKind::Number => Some(t.norm.clone()),
            TokKind::Word => fw.compound_number(&t.norm).map(|v| v.to_string()),
            TokKind::Symbol => None,
        };
        let Some(mut value) = value else {
            i += 1;
            continue;
        };
        // "one of", "one or more": still the number one.
        let mut last = i;
        // "seventy five": a tens word and a units word are one number.
        if t.kind == TokKind::Word
            && let Ok(tens) = value.parse::<u32>()
            && tens >= 20
            && tens % 10 == 0
            && tens < 100
            && let Some(units) = toks
                .get(i + 1)
                .filter(|u| u.kind == TokKind::Word)
                .and_then(|u| fw.compound_number(&u.norm))
                .filter(|u| (1..10).contains(u))
        {
            value = (tens + units).to_string();
            last = i + 1;
        }
        // Ratio a:b.
        if t.kind == TokKind::Number
            && toks.get(i + 1).is_some_and(|c| c.norm == ":")
            && toks.get(i + 2).is_some_and(|x| x.kind == TokKind::Number)
        {
            value = format!("{value}:{}", toks[i + 2].norm);
            last = i + 2;
        }
        // Unit after: `mg`, `mg/kg`, `mg per kg`, `%`, `kg/m2`.
        let mut unit_parts: Vec<&str> = Vec::new();
        let mut j = last + 1;
        if let Some(u) = toks.get(j).and_then(|x| fw.unit(&x.norm)) {
            unit_parts.push(u);
            j += 1;
            while j + 1 < n && (toks[j].norm == "/" || toks[j].norm == "per") {
                match fw.unit(&toks[j + 1].norm) {
                    Some(u2) => {
                        unit_parts.push(u2);
                        j += 2;
                    }
                    None => break,
                }
            }
            last = j - 1;
        }
        let mut unit_s = (!unit_parts.is_empty()).then(|| unit_parts.join("/"));
        // Label before: `week 12`, `visit 3`, `p 0.05` (a timepoint, not a duration).
        if unit_s.is_none()
            && i > 0
            && let Some(l) = fw.label_before(&toks[i - 1].norm)
        {
            unit_s = Some(l.to_string());
        }
        push(
            &mut facts,
            FactKind::Number,
            value.clone(),
            unit_s.clone(),
            &toks[i],
            &toks[last],
        );
        if unit_s.as_deref().is_none_or(|u| !u.starts_with('@')) {
            numbers.push((i, value));
        }
        used[i..=last].iter_mut().for_each(|u| *u = true);
        i = last + 1;
    }

    // Pass 4: single words.
    let mut drugs_at: Vec<(usize, String)> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        if used[k] || t.kind != TokKind::Word {
            continue;
        }
        let w = t.norm.as_str();
        if let Some((kind, value)) = fw.single(w) {
            // "both A and B" pairs A and B; "both doses" counts them.
            if fw.is_correlative(
                w,
                toks[k + 1..]
                    .iter()
                    .map(|x| (x.kind == TokKind::Word).then_some(x.norm.as_str())),
            ) {
                continue;
            }
            // "may" the month vs the modal: a month only next to a number.
            if kind == FactKind::Modal
                && w == "may"
                && (next_is_number(fw, &toks, k + 1)
                    || (k > 0 && toks[k - 1].kind == TokKind::Number))
            {
                push(&mut facts, FactKind::Month, "05".into(), None, t, t);
                continue;
            }
            if kind == FactKind::Month
                && fw.month_needs_number(w)
                && !(next_is_number(fw, &toks, k + 1)
                    || (k > 0 && toks[k - 1].kind == TokKind::Number))
            {
                continue;
            }
            push(&mut facts, kind, value.to_string(), None, t, t);
            continue;
        }
        // "following dosing" is a time relation; "the following criteria" is not.
        if w == "following"
            && !(k > 0 && matches!(toks[k - 1].norm.as_str(), "the" | "as" | "these"))
        {
            push(&mut facts, FactKind::Temporal, "after".into(), None, t, t);
            continue;
        }
        if lex.is_drug(w) {
            push(&mut facts, FactKind::Drug, w.to_string(), None, t, t);
            drugs_at.push((k, w.to_string()));
            continue;
        }
        // A drug inside a hyphenated compound ("drug-albumin complex") is still the drug.
        if w.contains('-') && !is_identifier(t.raw) {
            let parts: Vec<&str> = w.split('-').filter(|p| lex.is_drug(p)).collect();
            if !parts.is_empty() {
                for p in parts {
                    push(&mut facts, FactKind::Drug, p.to_string(), None, t, t);
                }
                continue;
            }
        }
        if is_identifier(t.raw) {
            push(&mut facts, FactKind::Identifier, w.to_string(), None, t, t);
            continue;
        }
        if is_abbreviation(t.raw) {
            let v = w
                .strip_suffix('s')
                .filter(|_| t.raw.ends_with('s') && !t.raw.ends_with('S'))
                .unwrap_or(w);
            push(
                &mut facts,
                FactKind::Abbreviation,
                v.to_string(),
                None,
                t,
                t,
            );
            continue;
        }
        if let Some(c) = fw.claim(w) {
            push(&mut facts, FactKind::Claim, c.to_string(), None, t, t);
            continue;
        }
        if k > 0 && is_name(t.raw) && !sentence_start(&toks, k) && !lex.is_common_capitalised(w) {
            push(&mut facts, FactKind::Name, w.to_string(), None, t, t);
        }
    }

    // Group binding: within a clause, numbers bind to the one group named there.
    let mut bindings = Vec::new();
    let mut clause_start = 0;
    for k in 0..=n {
        if k == n || fw.is_clause_break(&toks[k]) {
            let mut groups: Vec<String> = toks[clause_start..k]
                .iter()
                .filter_map(|t| {
                    fw.group_word(&t.norm)
                        .map(str::to_string)
                        .or_else(|| lex.is_drug(&t.norm).then(|| t.norm.clone()))
                })
                .collect();
            groups.dedup();
            if groups.len() == 1 {
                for (pos, v) in numbers
                    .iter()
                    .filter(|(p, _)| (clause_start..k).contains(p))
                {
                    bindings.push(Binding {
                        number: v.clone(),
                        group: groups[0].clone(),
                        start: toks[*pos].start,
                        end: toks[*pos].end,
                    });
                }
            }
            clause_start = k + 1;
        }
    }
    let _ = drugs_at;
    Facts {
        facts,
        bindings,
        words: toks.iter().filter(|t| t.kind != TokKind::Symbol).count(),
        lower: text.to_lowercase(),
        abbreviation_spans: Vec::new(),
    }
}

fn next_is_number(fw: &FactWords, toks: &[Token], i: usize) -> bool {
    toks.get(i)
        .is_some_and(|t| t.kind == TokKind::Number || fw.compound_number(&t.norm).is_some())
}

fn sentence_start(toks: &[Token], k: usize) -> bool {
    k == 0
        || matches!(
            toks[k - 1].norm.as_str(),
            "." | ":" | "(" | "\"" | "“" | "!" | "?" | ";" | "•" | "-" | "–"
        )
}

/// `H2Q-MC-LZZT`, `NCT04573309`, `ABC-123`: letters and digits together.
pub(crate) fn is_identifier(raw: &str) -> bool {
    let has_digit = raw.chars().any(|c| c.is_ascii_digit());
    let has_alpha = raw.chars().any(|c| c.is_alphabetic());
    has_digit
        && has_alpha
        && raw.len() >= 3
        && raw.chars().filter(|c| c.is_uppercase()).count() >= 1
}

/// `ALT`, `BMI`, `SAEs`: two or more capitals (a trailing lower-case `s` allowed).
pub(crate) fn is_abbreviation(raw: &str) -> bool {
    let core = raw.strip_suffix('s').unwrap_or(raw);
    core.chars().count() >= 2
        && core.chars().all(|c| c.is_uppercase() || c == '-')
        && core.chars().any(char::is_alphabetic)
}

/// A capitalised word (`Lipitor`, `Smith`).
fn is_name(raw: &str) -> bool {
    let mut cs = raw.chars();
    cs.next().is_some_and(char::is_uppercase) && cs.any(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(s: &str, kind: FactKind) -> Vec<String> {
        extract(s, &Lexicon::builtin())
            .of(kind)
            .map(|f| match &f.unit {
                Some(u) => format!("{} {u}", f.value),
                None => f.value.clone(),
            })
            .collect()
    }

    #[test]
    fn numbers_units_and_words() {
        assert_eq!(
            vals(
                "124 subjects at 12 centres received 5 mg/kg (5.6%)",
                FactKind::Number
            ),
            ["124", "12", "5 mg/kg", "5.6 %"]
        );
        assert_eq!(
            vals(
                "Three subjects; twenty-five milligrams per kilogram",
                FactKind::Number
            ),
            ["3", "25 mg/kg"]
        );
        assert_eq!(
            vals("at week 12 for 12 weeks", FactKind::Number),
            ["12 @week", "12 week"]
        );
        assert_eq!(vals("randomised 2:1", FactKind::Number), ["2:1"]);
    }

    #[test]
    fn comparators_negations_quantifiers() {
        assert_eq!(
            vals(
                "no more than 3, at least 2, above 35, p < 0.05",
                FactKind::Comparator
            ),
            ["le", "ge", "gt", "lt"]
        );
        assert_eq!(
            vals("no more than 3", FactKind::Negation),
            Vec::<String>::new()
        );
        assert_eq!(
            vals("did not affect; had no effect; without", FactKind::Negation),
            ["not", "not", "not"]
        );
        assert_eq!(
            vals(
                "A majority of subjects; most; all; none",
                FactKind::Quantifier
            ),
            ["most", "most", "all"]
        );
        // "both ... and" pairs two things; "both" alone, or with a verb between, counts.
        assert_eq!(
            vals(
                "signed by both the nurse and the doctor",
                FactKind::Quantifier
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            vals(
                "both doses are given and checked; both arms",
                FactKind::Quantifier
            ),
            ["both", "both"]
        );
    }

    #[test]
    fn frequencies_routes_modals() {
        assert_eq!(
            vals(
                "twice daily, once a day, every 2 weeks, weekly, 3 times per day, BID",
                FactKind::Frequency
            ),
            ["2/day", "1/day", "1/2week", "1/week", "3/day", "2/day"]
        );
        assert_eq!(
            vals("given orally or by intravenous infusion", FactKind::Route),
            ["oral", "iv"]
        );
        assert_eq!(
            vals("may be reduced; must be; is required to", FactKind::Modal),
            ["must", "may", "must"]
        );
    }

    #[test]
    fn groups_bind_numbers_per_clause() {
        let f = extract(
            "Rash occurred in 10 subjects on drug and 2 subjects on placebo.",
            &Lexicon::builtin(),
        );
        let b: Vec<(String, String)> = f
            .bindings
            .iter()
            .map(|b| (b.number.clone(), b.group.clone()))
            .collect();
        assert_eq!(
            b,
            [
                ("10".to_string(), "active".to_string()),
                ("2".to_string(), "placebo".to_string())
            ]
        );
    }
}

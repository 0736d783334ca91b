//! Fact extraction: the meaning-bearing parts of a sentence, normalised so that faithful
//! rewordings compare equal ("twelve" = 12, "mg" = "milligrams", "more than" = "above",
//! "did not" and "no" are both one negation) and changed facts do not.

use crate::lexicon::Lexicon;
use crate::text::{TokKind, Token, tokenize};
use std::collections::HashMap;
use std::sync::LazyLock;

/// What kind of fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    Number,
    Comparator,
    Negation,
    Quantifier,
    Modal,
    Frequency,
    Route,
    Logic,
    Identifier,
    Drug,
    Name,
    Abbreviation,
    Month,
    Claim,
    Temporal,
}

impl FactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::Number => "number",
            FactKind::Comparator => "comparator",
            FactKind::Negation => "negation",
            FactKind::Quantifier => "quantifier",
            FactKind::Modal => "modal",
            FactKind::Frequency => "frequency",
            FactKind::Route => "route",
            FactKind::Logic => "logic",
            FactKind::Identifier => "identifier",
            FactKind::Drug => "drug",
            FactKind::Name => "name",
            FactKind::Abbreviation => "abbreviation",
            FactKind::Month => "date",
            FactKind::Claim => "claim",
            FactKind::Temporal => "temporal",
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
}

impl Facts {
    pub fn of(&self, kind: FactKind) -> impl Iterator<Item = &Fact> {
        self.facts.iter().filter(move |f| f.kind == kind)
    }
}

/// Multi-word (and single-word) phrases recognised before anything else, longest first.
struct Phrase {
    words: &'static [&'static str],
    kind: FactKind,
    value: &'static str,
}

macro_rules! p {
    ($kind:ident, $value:expr, [$($w:expr),+]) => {
        Phrase { words: &[$($w),+], kind: FactKind::$kind, value: $value }
    };
}

static PHRASES: &[Phrase] = &[
    // Comparators (before negations: "no more than" is a bound, not a negation).
    p!(Comparator, "le", ["no", "more", "than"]),
    p!(Comparator, "le", ["not", "more", "than"]),
    p!(Comparator, "le", ["not", "exceeding"]),
    p!(Comparator, "le", ["not", "to", "exceed"]),
    p!(Comparator, "le", ["at", "most"]),
    p!(Comparator, "le", ["up", "to"]),
    p!(Comparator, "le", ["or", "less"]),
    p!(Comparator, "le", ["or", "lower"]),
    p!(Comparator, "le", ["or", "fewer"]),
    p!(Comparator, "le", ["or", "below"]),
    p!(Comparator, "le", ["maximum", "of"]),
    p!(Comparator, "le", ["a", "maximum", "of"]),
    p!(Comparator, "ge", ["no", "less", "than"]),
    p!(Comparator, "ge", ["not", "less", "than"]),
    p!(Comparator, "ge", ["no", "fewer", "than"]),
    p!(Comparator, "ge", ["at", "least"]),
    p!(Comparator, "ge", ["or", "more"]),
    p!(Comparator, "ge", ["or", "higher"]),
    p!(Comparator, "ge", ["or", "greater"]),
    p!(Comparator, "ge", ["or", "above"]),
    p!(Comparator, "ge", ["minimum", "of"]),
    p!(Comparator, "ge", ["a", "minimum", "of"]),
    p!(Comparator, "gt", ["more", "than"]),
    p!(Comparator, "gt", ["greater", "than"]),
    p!(Comparator, "gt", ["higher", "than"]),
    p!(Comparator, "gt", ["larger", "than"]),
    p!(Comparator, "gt", ["above"]),
    p!(Comparator, "gt", ["over"]),
    p!(Comparator, "gt", ["exceeding"]),
    p!(Comparator, "gt", ["exceeded"]),
    p!(Comparator, "gt", ["exceeds"]),
    p!(Comparator, "gt", ["exceed"]),
    p!(Comparator, "lt", ["less", "than"]),
    p!(Comparator, "lt", ["fewer", "than"]),
    p!(Comparator, "lt", ["lower", "than"]),
    p!(Comparator, "lt", ["smaller", "than"]),
    p!(Comparator, "lt", ["below"]),
    p!(Comparator, "lt", ["under"]),
    p!(Comparator, "eq", ["equal", "to"]),
    p!(Comparator, "eq", ["exactly"]),
    p!(Comparator, "ge", [">", "="]),
    p!(Comparator, "le", ["<", "="]),
    p!(Comparator, "gt", [">"]),
    p!(Comparator, "lt", ["<"]),
    p!(Comparator, "ge", ["≥"]),
    p!(Comparator, "le", ["≤"]),
    p!(Comparator, "ge", ["⩾"]),
    p!(Comparator, "le", ["⩽"]),
    p!(Comparator, "eq", ["="]),
    // Logic words.
    p!(Logic, "whichever longer", ["whichever", "is", "longer"]),
    p!(Logic, "whichever longer", ["whichever", "is", "later"]),
    p!(Logic, "whichever longer", ["whichever", "comes", "later"]),
    p!(Logic, "whichever longer", ["whichever", "comes", "last"]),
    p!(Logic, "whichever greater", ["whichever", "is", "greater"]),
    p!(Logic, "whichever greater", ["whichever", "is", "higher"]),
    p!(Logic, "whichever shorter", ["whichever", "is", "shorter"]),
    p!(Logic, "whichever shorter", ["whichever", "is", "earlier"]),
    p!(Logic, "whichever shorter", ["whichever", "comes", "first"]),
    p!(Logic, "whichever shorter", ["whichever", "occurs", "first"]),
    p!(Logic, "whichever shorter", ["whichever", "is", "sooner"]),
    p!(Logic, "whichever lesser", ["whichever", "is", "lower"]),
    p!(Logic, "whichever lesser", ["whichever", "is", "less"]),
    p!(Logic, "and/or", ["and", "/", "or"]),
    p!(Logic, "respectively", ["respectively"]),
    // Frequencies.
    p!(Frequency, "as needed", ["as", "needed"]),
    p!(Frequency, "as needed", ["as", "required"]),
    p!(Frequency, "as needed", ["prn"]),
    p!(Frequency, "1/2day", ["every", "other", "day"]),
    p!(Frequency, "1/2day", ["qod"]),
    p!(Frequency, "1/day", ["qd"]),
    p!(Frequency, "1/day", ["od"]),
    p!(Frequency, "2/day", ["bid"]),
    p!(Frequency, "2/day", ["b", ".", "i", ".", "d", "."]),
    p!(Frequency, "3/day", ["tid"]),
    p!(Frequency, "3/day", ["t", ".", "i", ".", "d", "."]),
    p!(Frequency, "4/day", ["qid"]),
    p!(Frequency, "1/week", ["qw"]),
    p!(Frequency, "1/2week", ["q2w"]),
    p!(Frequency, "1/3week", ["q3w"]),
    p!(Frequency, "1/4week", ["q4w"]),
    p!(Frequency, "1/day at bedtime", ["qhs"]),
    // Quantifier phrases.
    p!(Quantifier, "most", ["a", "majority", "of"]),
    p!(Quantifier, "most", ["the", "majority", "of"]),
    p!(Quantifier, "most", ["the", "majority"]),
    p!(Quantifier, "some", ["a", "few"]),
    p!(Quantifier, "some", ["a", "number", "of"]),
    p!(Quantifier, "few", ["a", "minority", "of"]),
    p!(Quantifier, "few", ["the", "minority", "of"]),
    // Negations of more than one word.
    p!(Negation, "not", ["no", "one"]),
    p!(Negation, "not", ["no", "longer"]),
    p!(Negation, "not", ["in", "the", "absence", "of"]),
    p!(Negation, "not", ["absence", "of"]),
    p!(Negation, "not", ["lack", "of"]),
    p!(Negation, "not", ["failed", "to"]),
    p!(Negation, "not", ["fail", "to"]),
    p!(Negation, "not", ["fails", "to"]),
    // Temporal relations of more than one word.
    p!(Temporal, "before", ["prior", "to"]),
    p!(Temporal, "before", ["earlier", "than"]),
    p!(Temporal, "after", ["subsequent", "to"]),
    p!(Temporal, "after", ["later", "than"]),
    // Modal phrases.
    p!(Modal, "must", ["is", "required", "to"]),
    p!(Modal, "must", ["are", "required", "to"]),
    p!(Modal, "must", ["has", "to"]),
    p!(Modal, "must", ["have", "to"]),
    p!(Modal, "must", ["need", "to"]),
    p!(Modal, "must", ["needs", "to"]),
    p!(Modal, "should", ["ought", "to"]),
    // Routes of more than one word.
    p!(Route, "oral", ["by", "mouth"]),
    p!(Route, "iv", ["i", ".", "v", "."]),
    p!(Route, "im", ["i", ".", "m", "."]),
    p!(Route, "sc", ["s", ".", "c", "."]),
    p!(Route, "oral", ["p", ".", "o", "."]),
];

static PHRASE_INDEX: LazyLock<HashMap<&'static str, Vec<&'static Phrase>>> = LazyLock::new(|| {
    let mut m: HashMap<&'static str, Vec<&'static Phrase>> = HashMap::new();
    for p in PHRASES {
        m.entry(p.words[0]).or_default().push(p);
    }
    for v in m.values_mut() {
        v.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
    }
    m
});

fn single(word: &str) -> Option<(FactKind, &'static str)> {
    use FactKind::*;
    Some(match word {
        "no" | "not" | "none" | "never" | "neither" | "nor" | "without" | "cannot" | "nobody"
        | "nothing" | "unable" | "absent" | "lacked" | "lacking" => (Negation, "not"),
        w if w.ends_with("n't") => (Negation, "not"),
        "all" | "every" | "each" | "entire" | "whole" => (Quantifier, "all"),
        "most" | "majority" => (Quantifier, "most"),
        "some" | "several" | "certain" => (Quantifier, "some"),
        "few" | "minority" => (Quantifier, "few"),
        "many" | "numerous" => (Quantifier, "many"),
        "both" => (Quantifier, "both"),
        "either" => (Quantifier, "either"),
        "any" => (Quantifier, "any"),
        "half" => (Quantifier, "half"),
        "before" | "pre-dose" | "predose" | "pre-treatment" | "pretreatment" | "preceding" => {
            (Temporal, "before")
        }
        "after" | "post-dose" | "postdose" | "post-treatment" | "posttreatment" | "afterwards" => {
            (Temporal, "after")
        }
        "during" => (Temporal, "during"),
        "until" | "till" => (Temporal, "until"),
        "may" | "might" | "can" | "could" => (Modal, "may"),
        "must" | "shall" => (Modal, "must"),
        "should" => (Modal, "should"),
        "will" | "would" => (Modal, "will"),
        "oral" | "orally" | "po" => (Route, "oral"),
        "intravenous" | "intravenously" | "iv" => (Route, "iv"),
        "intramuscular" | "intramuscularly" => (Route, "im"),
        "subcutaneous" | "subcutaneously" | "sc" | "sub-cutaneous" | "sub-cutaneously" => {
            (Route, "sc")
        }
        "topical" | "topically" | "cutaneous" => (Route, "topical"),
        "inhaled" | "inhalation" | "inhalational" => (Route, "inhaled"),
        "intranasal" | "intranasally" | "nasal" | "nasally" => (Route, "nasal"),
        "transdermal" | "transdermally" => (Route, "transdermal"),
        "rectal" | "rectally" => (Route, "rectal"),
        "sublingual" | "sublingually" => (Route, "sublingual"),
        "intrathecal" | "intrathecally" => (Route, "intrathecal"),
        "intravitreal" | "intravitreally" => (Route, "intravitreal"),
        "intradermal" | "intradermally" => (Route, "intradermal"),
        "january" | "jan" | "february" | "feb" | "march" | "april" | "apr" | "june" | "july"
        | "august" | "aug" | "september" | "sept" | "october" | "oct" | "november" | "nov"
        | "december" | "dec" => (Month, month(word)),
        _ => return None,
    })
}

fn month(w: &str) -> &'static str {
    match &w[..3.min(w.len())] {
        "jan" => "01",
        "feb" => "02",
        "mar" => "03",
        "apr" => "04",
        "may" => "05",
        "jun" => "06",
        "jul" => "07",
        "aug" => "08",
        "sep" => "09",
        "oct" => "10",
        "nov" => "11",
        _ => "12",
    }
}

/// Claim words: evaluative or causal statements a rewrite may not add.
fn claim(w: &str) -> Option<&'static str> {
    const STEMS: &[(&str, &str)] = &[
        ("significan", "significant"),
        ("statistically", "significant"),
        ("effective", "effective"),
        ("efficacious", "effective"),
        ("safe", "safe"),
        ("safely", "safe"),
        ("well-tolerated", "tolerated"),
        ("tolerated", "tolerated"),
        ("superior", "superior"),
        ("inferior", "inferior"),
        ("non-inferior", "inferior"),
        ("noninferior", "inferior"),
        ("better", "better"),
        ("worse", "worse"),
        ("improv", "improved"),
        ("reduc", "reduced"),
        ("increas", "increased"),
        ("decreas", "reduced"),
        ("lower", "reduced"),
        ("higher", "increased"),
        ("associat", "associated"),
        ("caus", "caused"),
        ("related", "related"),
        ("attributab", "related"),
        ("proven", "proven"),
        ("prove", "proven"),
        ("demonstrat", "demonstrated"),
        ("confirm", "demonstrated"),
        ("cure", "cured"),
        ("prevent", "prevented"),
        ("benefi", "benefit"),
    ];
    if w == "safety" || w.starts_with("causal") && w.len() > 7 {
        return None;
    }
    STEMS
        .iter()
        .find(|(stem, _)| {
            if matches!(
                *stem,
                "safe"
                    | "safely"
                    | "better"
                    | "worse"
                    | "lower"
                    | "higher"
                    | "related"
                    | "proven"
                    | "prove"
                    | "cure"
                    | "tolerated"
                    | "superior"
                    | "inferior"
            ) {
                w == *stem || (*stem == "cure" && w == "cured")
            } else {
                w.starts_with(stem)
            }
        })
        .map(|(_, v)| *v)
}

fn number_word(w: &str) -> Option<u32> {
    Some(match w {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        "hundred" => 100,
        "thousand" => 1000,
        "dozen" => 12,
        _ => return None,
    })
}

/// "twenty-five" -> 25.
fn compound_number(w: &str) -> Option<u32> {
    if let Some(n) = number_word(w) {
        return Some(n);
    }
    let (a, b) = w.split_once('-')?;
    let (a, b) = (number_word(a)?, number_word(b)?);
    (a >= 20 && a % 10 == 0 && b < 10).then_some(a + b)
}

/// Normalised unit of a word, if it is one.
fn unit(w: &str) -> Option<&'static str> {
    Some(match w {
        "%" | "percent" | "pct" => "%",
        "mg" | "milligram" | "milligrams" => "mg",
        "g" | "gram" | "grams" | "gm" => "g",
        "kg" | "kilogram" | "kilograms" => "kg",
        "mcg" | "µg" | "μg" | "ug" | "microgram" | "micrograms" => "mcg",
        "ng" | "nanogram" | "nanograms" => "ng",
        "ml" | "millilitre" | "millilitres" | "milliliter" | "milliliters" | "cc" => "ml",
        "l" | "litre" | "litres" | "liter" | "liters" => "l",
        "dl" | "decilitre" | "deciliter" => "dl",
        "mmol" | "millimole" | "millimoles" => "mmol",
        "mol" => "mol",
        "iu" | "units" | "unit" | "u" => "iu",
        "mm" | "millimetre" | "millimetres" | "millimeter" | "millimeters" => "mm",
        "cm" | "centimetre" | "centimetres" | "centimeter" | "centimeters" => "cm",
        "m" | "metre" | "metres" | "meter" | "meters" => "m",
        "m2" | "m²" => "m2",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "min" | "mins" | "minute" | "minutes" => "min",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "d" | "day" | "days" => "day",
        "wk" | "wks" | "week" | "weeks" => "week",
        "month" | "months" | "mo" => "month",
        "year" | "years" | "yr" | "yrs" => "year",
        "mmhg" => "mmhg",
        "bpm" => "bpm",
        "x" | "times" | "fold" => "x",
        "uln" => "uln",
        "kcal" => "kcal",
        _ => return None,
    })
}

/// Words that, before a number, make it a timepoint or label (`week 12`, `visit 3`).
fn label_before(w: &str) -> Option<&'static str> {
    Some(match w {
        "week" | "wk" => "@week",
        "day" => "@day",
        "month" => "@month",
        "year" => "@year",
        "visit" => "@visit",
        "cycle" => "@cycle",
        "hour" => "@hour",
        "phase" => "@phase",
        "part" => "@part",
        "period" => "@period",
        "grade" => "@grade",
        "stage" => "@stage",
        "cohort" => "@cohort",
        "arm" => "@arm",
        "group" => "@group",
        "section" => "@section",
        "table" => "@table",
        "figure" => "@figure",
        "appendix" => "@appendix",
        "version" => "@version",
        "amendment" => "@amendment",
        "type" => "@type",
        "n" => "@n",
        "p" => "@p",
        _ => return None,
    })
}

/// Words that name a treatment group (plus the lexicon's drug names).
fn group_word(w: &str) -> Option<&str> {
    Some(match w {
        "placebo" | "placebos" => "placebo",
        "drug" | "active" | "treatment" | "treated" | "verum" => "active",
        "control" | "controls" | "comparator" | "vehicle" | "untreated" | "sham" => "control",
        "high-dose" => "high-dose",
        "low-dose" => "low-dose",
        "standard" => "standard",
        _ => return None,
    })
}

fn is_clause_break(t: &Token) -> bool {
    matches!(
        t.norm.as_str(),
        "," | ";"
            | ":"
            | "and"
            | "while"
            | "whereas"
            | "but"
            | "versus"
            | "vs"
            | "compared"
            | "than"
    )
}

/// Extract the facts of a sentence.
pub fn extract(text: &str, lex: &Lexicon) -> Facts {
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
        if let Some((value, len)) = frequency_at(&toks, i) {
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
        if let Some(cands) = PHRASE_INDEX.get(toks[i].norm.as_str()) {
            for p in cands {
                let len = p.words.len();
                if i + len <= n && (0..len).all(|k| !used[i + k] && toks[i + k].norm == p.words[k])
                {
                    // "over" and "under" are comparators only before a number.
                    if (p.value == "gt" || p.value == "lt")
                        && len == 1
                        && matches!(
                            p.words[0],
                            "over"
                                | "under"
                                | "above"
                                | "below"
                                | "exceed"
                                | "exceeds"
                                | "exceeded"
                                | "exceeding"
                        )
                        && !next_is_number(&toks, i + 1)
                    {
                        continue;
                    }
                    push(
                        &mut facts,
                        p.kind,
                        p.value.to_string(),
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
            TokKind::Word => compound_number(&t.norm).map(|v| v.to_string()),
            TokKind::Symbol => None,
        };
        let Some(mut value) = value else {
            i += 1;
            continue;
        };
        // "one of", "one or more": still the number one.
        let mut last = i;
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
        if let Some(u) = toks.get(j).and_then(|x| unit(&x.norm)) {
            unit_parts.push(u);
            j += 1;
            while j + 1 < n && (toks[j].norm == "/" || toks[j].norm == "per") {
                match unit(&toks[j + 1].norm) {
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
            && let Some(l) = label_before(&toks[i - 1].norm)
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
        if let Some((kind, value)) = single(w) {
            // "may" the month vs the modal: a month only next to a number.
            if kind == FactKind::Modal
                && w == "may"
                && (next_is_number(&toks, k + 1) || (k > 0 && toks[k - 1].kind == TokKind::Number))
            {
                push(&mut facts, FactKind::Month, "05".into(), None, t, t);
                continue;
            }
            if kind == FactKind::Month
                && matches!(
                    w,
                    "march" | "dec" | "oct" | "sept" | "aug" | "jan" | "feb" | "apr" | "nov"
                )
                && !(next_is_number(&toks, k + 1) || (k > 0 && toks[k - 1].kind == TokKind::Number))
                && w != "march"
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
        if let Some(c) = claim(w) {
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
        if k == n || is_clause_break(&toks[k]) {
            let mut groups: Vec<String> = toks[clause_start..k]
                .iter()
                .filter_map(|t| {
                    group_word(&t.norm)
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
    }
}

fn next_is_number(toks: &[Token], i: usize) -> bool {
    toks.get(i)
        .is_some_and(|t| t.kind == TokKind::Number || compound_number(&t.norm).is_some())
}

fn sentence_start(toks: &[Token], k: usize) -> bool {
    k == 0
        || matches!(
            toks[k - 1].norm.as_str(),
            "." | ":" | "(" | "\"" | "“" | "!" | "?" | ";" | "•" | "-" | "–"
        )
}

/// `H2Q-MC-LZZT`, `NCT04573309`, `ABC-123`: letters and digits together.
fn is_identifier(raw: &str) -> bool {
    let has_digit = raw.chars().any(|c| c.is_ascii_digit());
    let has_alpha = raw.chars().any(|c| c.is_alphabetic());
    has_digit
        && has_alpha
        && raw.len() >= 3
        && raw.chars().filter(|c| c.is_uppercase()).count() >= 1
}

/// `ALT`, `BMI`, `SAEs`: two or more capitals (a trailing lower-case `s` allowed).
fn is_abbreviation(raw: &str) -> bool {
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

/// A frequency starting at `i`; returns (normalised value, tokens used).
fn frequency_at(toks: &[Token], i: usize) -> Option<(String, usize)> {
    let w = |k: usize| toks.get(k).map(|t| t.norm.as_str()).unwrap_or("");
    let per = |k: usize| -> Option<(&'static str, usize)> {
        match (w(k), w(k + 1)) {
            ("daily", _) | ("nightly", _) => Some(("day", 1)),
            ("a" | "per" | "each" | "every" | "/", "day") => Some(("day", 2)),
            ("a" | "per" | "each" | "every" | "/", "week") | ("weekly", _) => {
                Some(if w(k) == "weekly" {
                    ("week", 1)
                } else {
                    ("week", 2)
                })
            }
            ("a" | "per" | "each" | "every" | "/", "month") | ("monthly", _) => {
                Some(if w(k) == "monthly" {
                    ("month", 1)
                } else {
                    ("month", 2)
                })
            }
            ("an" | "per" | "each" | "every" | "/", "hour") | ("hourly", _) => {
                Some(if w(k) == "hourly" {
                    ("hour", 1)
                } else {
                    ("hour", 2)
                })
            }
            ("a" | "per" | "each" | "every" | "/", "year") | ("yearly" | "annually", _) => {
                Some(if matches!(w(k), "yearly" | "annually") {
                    ("year", 1)
                } else {
                    ("year", 2)
                })
            }
            _ => None,
        }
    };
    // count: once/twice/thrice/N times/N-times
    let (count, used) = match w(i) {
        "once" => (Some(1u32), 1),
        "twice" => (Some(2), 1),
        "thrice" => (Some(3), 1),
        x => match (
            x.parse::<u32>().ok().or_else(|| compound_number(x)),
            w(i + 1),
        ) {
            (Some(c), "times" | "time") => (Some(c), 2),
            _ => (None, 0),
        },
    };
    if let Some(c) = count
        && let Some((unit, len)) = per(i + used)
    {
        return Some((format!("{c}/{unit}"), used + len));
    }
    // Standalone daily/weekly/...
    if used == 0 {
        match w(i) {
            "daily" | "nightly" => return Some(("1/day".into(), 1)),
            "weekly" => return Some(("1/week".into(), 1)),
            "monthly" => return Some(("1/month".into(), 1)),
            "hourly" => return Some(("1/hour".into(), 1)),
            "yearly" | "annually" => return Some(("1/year".into(), 1)),
            "every" | "each" => {
                // every N units / every unit
                let (nv, k) = match w(i + 1)
                    .parse::<u32>()
                    .ok()
                    .or_else(|| compound_number(w(i + 1)))
                {
                    Some(v) => (v, i + 2),
                    None => (1, i + 1),
                };
                let u = match w(k) {
                    "day" | "days" => "day",
                    "week" | "weeks" => "week",
                    "month" | "months" => "month",
                    "hour" | "hours" | "h" => "hour",
                    "year" | "years" => "year",
                    _ => return None,
                };
                // "each day" as a frequency only when it follows a verb; "at each visit" is not.
                let v = if nv == 1 {
                    format!("1/{u}")
                } else {
                    format!("1/{nv}{u}")
                };
                return Some((v, k + 1 - i));
            }
            _ => {}
        }
    }
    None
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

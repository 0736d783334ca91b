//! The word tables of fact extraction: phrases (comparators, logic, frequencies,
//! quantifiers, negations, temporal relations, modals, conditions, routes), single words,
//! claim stems, number words, units, timepoint labels and group words.

use super::FactKind;
use crate::text::Token;
use std::collections::HashMap;
use std::sync::LazyLock;

pub(crate) struct Phrase {
    pub(crate) words: &'static [&'static str],
    pub(crate) kind: FactKind,
    pub(crate) value: &'static str,
}

macro_rules! p {
    ($kind:ident, $value:expr, [$($w:expr),+]) => {
        Phrase { words: &[$($w),+], kind: FactKind::$kind, value: $value }
    };
}

pub(crate) static PHRASES: &[Phrase] = &[
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
    // Conditions of more than one word.
    p!(Condition, "if", ["in", "case", "of"]),
    p!(Condition, "if", ["in", "case"]),
    p!(Condition, "if", ["in", "the", "event", "that"]),
    p!(Condition, "if", ["in", "the", "event", "of"]),
    p!(Condition, "if", ["provided", "that"]),
    p!(Condition, "if", ["as", "long", "as"]),
    p!(Condition, "only if", ["only", "if"]),
    p!(Condition, "even if", ["even", "if"]),
    p!(Condition, "regardless", ["regardless", "of"]),
    p!(Condition, "regardless", ["irrespective", "of"]),
    p!(Condition, "discretion", ["at", "the", "discretion", "of"]),
    p!(Condition, "if needed", ["if", "applicable"]),
    p!(Condition, "if needed", ["where", "applicable"]),
    p!(Condition, "if needed", ["if", "necessary"]),
    p!(Condition, "if needed", ["as", "appropriate"]),
    p!(Condition, "if needed", ["if", "possible"]),
    p!(Condition, "if needed", ["whenever", "possible"]),
    p!(Condition, "if needed", ["where", "possible"]),
    p!(Condition, "except", ["except", "for"]),
    p!(Condition, "except", ["with", "the", "exception", "of"]),
    // Routes of more than one word.
    p!(Route, "oral", ["by", "mouth"]),
    p!(Route, "iv", ["i", ".", "v", "."]),
    p!(Route, "im", ["i", ".", "m", "."]),
    p!(Route, "sc", ["s", ".", "c", "."]),
    p!(Route, "oral", ["p", ".", "o", "."]),
];

pub(crate) static PHRASE_INDEX: LazyLock<HashMap<&'static str, Vec<&'static Phrase>>> =
    LazyLock::new(|| {
        let mut m: HashMap<&'static str, Vec<&'static Phrase>> = HashMap::new();
        for p in PHRASES {
            m.entry(p.words[0]).or_default().push(p);
        }
        for v in m.values_mut() {
            v.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        }
        m
    });

pub(crate) fn single(word: &str) -> Option<(FactKind, &'static str)> {
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
        "if" => (Condition, "if"),
        "unless" => (Condition, "unless"),
        "when" | "whenever" => (Condition, "when"),
        "while" | "whilst" => (Condition, "while"),
        "whether" => (Condition, "whether"),
        "whichever" => (Condition, "whichever"),
        "regardless" | "irrespective" => (Condition, "regardless"),
        "except" | "excluding" => (Condition, "except"),
        "otherwise" => (Condition, "otherwise"),
        "discretion" | "judgement" | "judgment" => (Condition, "discretion"),
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

pub(crate) fn month(w: &str) -> &'static str {
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
pub(crate) fn claim(w: &str) -> Option<&'static str> {
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

pub(crate) fn number_word(w: &str) -> Option<u32> {
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
pub(crate) fn compound_number(w: &str) -> Option<u32> {
    if let Some(n) = number_word(w) {
        return Some(n);
    }
    let (a, b) = w.split_once('-')?;
    let (a, b) = (number_word(a)?, number_word(b)?);
    (a >= 20 && a % 10 == 0 && b < 10).then_some(a + b)
}

/// Normalised unit of a word, if it is one.
pub(crate) fn unit(w: &str) -> Option<&'static str> {
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
pub(crate) fn label_before(w: &str) -> Option<&'static str> {
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
pub(crate) fn group_word(w: &str) -> Option<&str> {
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

pub(crate) fn is_clause_break(t: &Token) -> bool {
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

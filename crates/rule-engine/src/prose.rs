//! Which sentences of a document are prose worth a rewrite: not headings or tables, not
//! title-page fields, addresses, table rows flattened into a line, footnote-marker lines or
//! lists of codes. The analysis pipeline asks the model only about these.

use crate::edits::Definitions;
use ingest::{BlockKind, Document};

/// Why a sentence is not a candidate (for counts and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotProse {
    /// Fewer than `min_words` words.
    Short,
    /// Does not end as a sentence ends.
    NoEnd,
    /// Most words capitalised: a title, a field, a header row.
    TitleCase,
    /// Many numbers, codes or single letters: a table row or a list of codes.
    TableLike,
    /// An address, a telephone number, an e-mail or web address.
    Address,
    /// Starts with a footnote marker or reference label.
    FootnoteMarker,
    /// Too few function words to be a sentence.
    NoGrammar,
    /// Starts in lower case or with a digit: the rest of a sentence cut by the layout.
    Fragment,
}

const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "of", "to", "in", "is", "are", "was", "were", "be", "will", "with", "for",
    "on", "by", "and", "or", "that", "which", "who", "at", "from", "as", "may", "must", "should",
    "not", "this", "these", "has", "have", "been",
];

/// Is `s` a prose sentence of at least `min_words` words? `Err` says why not.
pub fn classify(s: &str, min_words: usize) -> Result<(), NotProse> {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() < min_words {
        return Err(NotProse::Short);
    }
    let t = s.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ')' | ']' | '"' | '”' | '’' | '*')
    });
    if !t.ends_with(['.', '?', '!', ':']) {
        return Err(NotProse::NoEnd);
    }
    let lower = s.to_lowercase();
    if lower.contains('@')
        || lower.contains("www.")
        || lower.contains("http")
        || lower.contains("tel:")
        || lower.contains("fax")
        || lower.contains("telephone")
    {
        return Err(NotProse::Address);
    }
    // "a The ...", "1 Patients ...", "[3] ...": a marker glued before the sentence.
    let first = words[0];
    let second_upper = words
        .get(1)
        .and_then(|w| w.chars().next())
        .is_some_and(char::is_uppercase);
    let marker = (first.chars().count() == 1
        && first
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && second_upper)
        || (first.starts_with('[') && first.ends_with(']'))
        || matches!(first, "*" | "†" | "‡" | "§");
    if marker {
        return Err(NotProse::FootnoteMarker);
    }
    if s.trim_start()
        .chars()
        .next()
        .is_some_and(|c| c.is_lowercase() || c.is_ascii_digit())
        && !words[0].chars().nth(1).is_some_and(char::is_uppercase)
    {
        return Err(NotProse::Fragment);
    }

    let alpha: Vec<&str> = words
        .iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    let n = alpha.len().max(1);
    let capitalised = alpha
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    if capitalised * 2 > n {
        return Err(NotProse::TitleCase);
    }
    let codes = alpha
        .iter()
        .filter(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                || (w.chars().count() == 1 && w.chars().all(char::is_uppercase))
        })
        .count();
    if codes * 10 > n * 3 {
        return Err(NotProse::TableLike);
    }
    // Isolated capital letters such as "X X" (schedule tables) are table debris.
    let single_caps = words
        .windows(2)
        .filter(|p| {
            p.iter()
                .all(|w| w.chars().count() == 1 && w.chars().all(char::is_uppercase))
        })
        .count();
    if single_caps > 0 {
        return Err(NotProse::TableLike);
    }
    let function = alpha
        .iter()
        .filter(|w| FUNCTION_WORDS.contains(&w.to_lowercase().as_str()))
        .count();
    if function * 8 < n {
        return Err(NotProse::NoGrammar);
    }
    Ok(())
}

/// A sentence worth a rewrite, with the abbreviations the document defined before it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub anchor: String,
    pub text: String,
    /// Definitions made earlier in the document ("long form (ABBR)"), in which a long form
    /// may be contracted and an abbreviation expanded.
    pub earlier: Definitions,
}

/// The candidates of a document and how many body sentences of `min_words` words or more
/// were left out as not prose.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub candidates: Vec<Candidate>,
    pub not_prose: usize,
}

/// Body sentences of `doc` (paragraphs and list items, not headings or tables) that are
/// prose of at least `min_words` words, in reading order; at most `limit`.
pub fn select(doc: &Document, min_words: usize, limit: usize) -> Selection {
    let mut earlier = Definitions::default();
    let mut out = Selection::default();
    for b in &doc.blocks {
        let body = !matches!(b.kind, BlockKind::Heading { .. } | BlockKind::Table { .. });
        for s in &b.sentences {
            if out.candidates.len() < limit && body {
                match classify(&s.text, min_words) {
                    Ok(()) => out.candidates.push(Candidate {
                        anchor: s.anchor.clone(),
                        text: s.text.clone(),
                        earlier: earlier.clone(),
                    }),
                    Err(NotProse::Short) => {}
                    Err(_) => out.not_prose += 1,
                }
            }
            earlier.add_text(&s.text);
        }
        if out.candidates.len() >= limit {
            break;
        }
    }
    out
}

/// The candidates of [`select`].
pub fn candidates(doc: &Document, min_words: usize, limit: usize) -> Vec<Candidate> {
    select(doc, min_words, limit).candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_and_not() {
        let ok = "Each volunteer will be asked to keep a diary of symptoms for the whole of the study period.";
        assert_eq!(classify(ok, 15), Ok(()));
        assert_eq!(classify("Too short to matter.", 15), Err(NotProse::Short));
        assert_eq!(
            classify(
                "to the clinic on the morning of the visit and the nurse will then weigh each of the volunteers.",
                15
            ),
            Err(NotProse::Fragment)
        );
        assert_eq!(
            classify(
                "Sponsor Name Clinical Research Organisation Protocol Number Study Phase Two Version Date Amendment Number Three Final",
                15
            ),
            Err(NotProse::NoEnd)
        );
        assert_eq!(
            classify(
                "Principal Investigator Of The Study At The Main Clinical Research Unit In The North Of The Country.",
                15
            ),
            Err(NotProse::TitleCase)
        );
        assert_eq!(
            classify(
                "Visit 1 2 3 4 5 6 7 8 9 10 11 12 13 14 is the schedule of the visits in the table.",
                15
            ),
            Err(NotProse::TableLike)
        );
        assert_eq!(
            classify(
                "Vital signs X X After the visit the nurse will call the volunteer at home to ask about the diary.",
                15
            ),
            Err(NotProse::TableLike)
        );
        assert_eq!(
            classify(
                "a The nurse will call the volunteer at home on the day after each visit to ask about the diary.",
                15
            ),
            Err(NotProse::FootnoteMarker)
        );
        assert_eq!(
            classify(
                "Questions about the study may be sent to the study team at study.team@example.org at any time of the day.",
                15
            ),
            Err(NotProse::Address)
        );
    }
}

//! A sentence splitter that knows clinical text.
//!
//! A boundary is a `.`, `!`, `?` or `…` (optionally followed by closing quotes or brackets)
//! followed by white space and then by something that can start a sentence (an upper-case
//! letter, a digit or an opening bracket or quote). It is *not* a boundary when the word
//! before the stop is a known abbreviation (`e.g.`, `i.e.`, `vs.`, `approx.`, `Fig.`, `Dr.`,
//! `et al.` ...), a single-letter initial (`J. Smith`), or a list marker at the start of the
//! text (`1.`, `a.`, `iv.`, `3.4.`). Decimals (`5.6%`) and `p<0.05` never qualify because no
//! white space follows their inner dot; `p<0.05.` and `n=124.` end sentences normally.

/// Words that, followed by a dot, do not end a sentence. Compared case-insensitively,
/// without the final dot.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "vs", "v", "approx", "fig", "figs", "dr", "mr", "mrs", "ms", "prof", "no", "nos",
    "vol", "ref", "refs", "eq", "cf", "ca", "st", "tab", "sect", "sec", "incl", "al", "et al",
    "resp", "max", "min", "mo", "wk", "wks", "yr", "yrs", "hr", "hrs", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "p.o", "i.v", "i.m", "s.c", "b.i.d",
    "t.i.d", "q.d", "q.i.d", "u.s", "u.k", "e.u", "ph", "eds", "ed", "chap", "app", "suppl",
    "dept", "corp", "co", "jr", "sr", "viz", "op", "pp",
];

/// Split `text` into sentences, returning char-offset spans `(start, end)` of trimmed
/// sentences in order. Empty or white-space-only text gives no spans.
pub fn split_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut spans = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < n {
        let c = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            // Extend over runs of terminators and closing punctuation: `?!`, `...`, `.)`, `."`.
            let mut j = i + 1;
            while j < n && matches!(chars[j], '.' | '!' | '?' | '…') {
                j += 1;
            }
            while j < n && matches!(chars[j], ')' | ']' | '"' | '\'' | '”' | '’' | '»') {
                j += 1;
            }
            // Must be followed by white space, then a sentence starter.
            if j < n && chars[j].is_whitespace() {
                let mut k = j;
                while k < n && chars[k].is_whitespace() {
                    k += 1;
                }
                if k < n
                    && starts_sentence(chars[k])
                    && !(c == '.' && j == i + 1 && is_non_terminal_dot(&chars, start, i))
                {
                    push_trimmed(&chars, start, j, &mut spans);
                    start = k;
                    i = k;
                    continue;
                }
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    push_trimmed(&chars, start, n, &mut spans);
    spans
}

/// Split `text` into sentence strings with their char spans.
pub fn split(text: &str) -> Vec<(usize, usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    split_spans(text)
        .into_iter()
        .map(|(s, e)| (s, e, chars[s..e].iter().collect()))
        .collect()
}

fn starts_sentence(c: char) -> bool {
    c.is_uppercase()
        || c.is_ascii_digit()
        || matches!(c, '(' | '[' | '"' | '\'' | '“' | '‘' | '•' | '-' | '–')
}

/// Is the dot at `dot` part of an abbreviation, an initial, or a leading list marker?
fn is_non_terminal_dot(chars: &[char], sentence_start: usize, dot: usize) -> bool {
    // The "word" before the dot: back to the previous white space.
    let mut w = dot;
    while w > sentence_start && !chars[w - 1].is_whitespace() && chars[w - 1] != '(' {
        w -= 1;
    }
    let word: String = chars[w..dot].iter().collect();
    if word.is_empty() {
        return false;
    }
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    // "et al." split across a space.
    if lower == "al" && w >= 3 {
        let before: String = chars[sentence_start..w].iter().collect();
        if before.trim_end().to_lowercase().ends_with("et") {
            return true;
        }
    }
    // Dotted abbreviations not in the list, such as "U.S.A" or "a.m": letters and inner dots.
    if word.contains('.')
        && word
            .split('.')
            .all(|p| p.chars().count() <= 2 && p.chars().all(char::is_alphabetic))
    {
        return true;
    }
    // A single upper-case letter is an initial ("J. Smith").
    let mut wc = word.chars();
    if let (Some(first), None) = (wc.next(), wc.next())
        && first.is_uppercase()
    {
        return true;
    }
    // A list marker at the very start of the text: "1.", "12.", "a.", "iv.", "3.4.".
    if chars[sentence_start..w].iter().all(|c| c.is_whitespace()) && is_list_marker(&word) {
        return true;
    }
    false
}

fn is_list_marker(word: &str) -> bool {
    let w = word.trim_start_matches('(');
    if w.chars().all(|c| c.is_ascii_digit() || c == '.') && w.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    if w.chars().count() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()) {
        return true;
    }
    let lower = w.to_ascii_lowercase();
    !lower.is_empty() && lower.len() <= 5 && lower.chars().all(|c| matches!(c, 'i' | 'v' | 'x'))
}

fn push_trimmed(chars: &[char], mut s: usize, mut e: usize, out: &mut Vec<(usize, usize)>) {
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    if e > s {
        out.push((s, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        split(t).into_iter().map(|(_, _, s)| s).collect()
    }

    #[test]
    fn clinical_abbreviations_do_not_split() {
        let t = "Patients were dosed (e.g. twice daily), i.e. at 08:00 vs. 20:00. Approx. 5.6% withdrew, see Fig. 2 and Dr. Smith et al. for details. Next sentence.";
        assert_eq!(
            texts(t),
            vec![
                "Patients were dosed (e.g. twice daily), i.e. at 08:00 vs. 20:00.",
                "Approx. 5.6% withdrew, see Fig. 2 and Dr. Smith et al. for details.",
                "Next sentence."
            ]
        );
    }

    #[test]
    fn statistics_end_sentences() {
        let t = "The difference was significant, p<0.05. A total of n=124. Subjects remained.";
        assert_eq!(
            texts(t),
            vec![
                "The difference was significant, p<0.05.",
                "A total of n=124.",
                "Subjects remained."
            ]
        );
    }

    #[test]
    fn initials_and_list_markers() {
        assert_eq!(
            texts("1. Subjects must be at least 18 years old. They must consent."),
            vec![
                "1. Subjects must be at least 18 years old.",
                "They must consent."
            ]
        );
        assert_eq!(
            texts("Reviewed by J. K. Rowling. Approved."),
            vec!["Reviewed by J. K. Rowling.", "Approved."]
        );
        assert_eq!(texts("iv. Pregnant women."), vec!["iv. Pregnant women."]);
    }

    #[test]
    fn spans_are_char_offsets() {
        let t = "Dose ≥ 5 mg. Über alles.";
        let s = split(t);
        assert_eq!(s.len(), 2);
        let chars: Vec<char> = t.chars().collect();
        for (a, b, txt) in s {
            assert_eq!(chars[a..b].iter().collect::<String>(), txt);
        }
    }

    #[test]
    fn questions_quotes_and_empty() {
        assert_eq!(
            texts("Was it safe? \"Yes.\" The end!"),
            vec!["Was it safe?", "\"Yes.\"", "The end!"]
        );
        assert!(split("   ").is_empty());
        assert_eq!(texts("no terminal stop"), vec!["no terminal stop"]);
    }
}

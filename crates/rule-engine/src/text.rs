//! A small, fast tokenizer for clinical sentences: words, numbers and symbols with their
//! byte spans, lower-cased once.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// Letters, possibly with inner hyphens, apostrophes or digits (`follow-up`, `didn't`,
    /// `H2Q-MC-LZZT`, `COVID-19`).
    Word,
    /// Digits with an optional decimal part and thousands separators (`1,234.5`, `.05`).
    Number,
    /// Any other non-space character (`%`, `≥`, `(`, `/`, `:`...), one per token.
    Symbol,
}

#[derive(Debug, Clone)]
pub struct Token<'a> {
    pub kind: TokKind,
    /// As written.
    pub raw: &'a str,
    /// Lower-cased (words), digits without separators (numbers), or the symbol.
    pub norm: String,
    pub start: usize,
    pub end: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Split `s` into tokens.
pub fn tokenize(s: &str) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(s.len() / 4);
    let b = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        if c.is_whitespace() {
            i += len;
            continue;
        }
        let start = i;
        if c.is_ascii_digit()
            || (c == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) && !prev_is_digit(b, i))
        {
            // Number: digits, then [.,] followed by a digit, repeatedly.
            let mut j = i + 1;
            while j < s.len() {
                let d = b[j];
                if d.is_ascii_digit() {
                    j += 1;
                } else if (d == b'.' || d == b',') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    // "1,234" thousands or "5.6" decimal; "1,2" in a list is rare in English prose.
                    j += 1;
                } else {
                    break;
                }
            }
            // A number glued to letters is an identifier word (`H2Q`, `2a`, `COVID19`).
            if j < s.len()
                && s[j..].chars().next().is_some_and(|c| c.is_alphabetic())
                && !unit_suffix(&s[j..])
            {
                let end = word_end(s, j);
                push_word(&mut out, s, start, end);
                i = end;
                continue;
            }
            let raw = &s[start..j];
            let norm = normalise_number(raw);
            out.push(Token {
                kind: TokKind::Number,
                raw,
                norm,
                start,
                end: j,
            });
            i = j;
        } else if is_word_char(c) {
            let end = word_end(s, i);
            push_word(&mut out, s, start, end);
            i = end;
        } else {
            let raw = &s[i..i + len];
            out.push(Token {
                kind: TokKind::Symbol,
                raw,
                norm: raw.to_string(),
                start,
                end: i + len,
            });
            i += len;
        }
    }
    out
}

fn prev_is_digit(b: &[u8], i: usize) -> bool {
    i > 0 && b[i - 1].is_ascii_digit()
}

/// Letters directly after digits that are a unit, not part of an identifier: `5mg`, `10mL`,
/// `24h`, `3x`.
fn unit_suffix(rest: &str) -> bool {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    let next = rest[word.len().min(rest.len())..].chars().next();
    let ends = next.is_none_or(|c| !c.is_alphanumeric() && c != '-');
    ends && matches!(
        word.as_str(),
        "mg" | "g"
            | "kg"
            | "mcg"
            | "µg"
            | "ug"
            | "ng"
            | "ml"
            | "l"
            | "dl"
            | "h"
            | "hr"
            | "hrs"
            | "min"
            | "s"
            | "d"
            | "wk"
            | "wks"
            | "mmol"
            | "mol"
            | "iu"
            | "u"
            | "mm"
            | "cm"
            | "m"
            | "x"
            | "mmhg"
            | "bpm"
            | "st"
            | "nd"
            | "rd"
            | "th"
    )
}

fn word_end(s: &str, from: usize) -> usize {
    let mut j = from;
    let mut chars = s[from..].char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        let pos = from + k;
        let joiner =
            matches!(c, '-' | '\'' | '’') && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric());
        if c.is_alphanumeric() || c == '_' || joiner {
            j = pos + c.len_utf8();
        } else {
            break;
        }
    }
    j
}

fn push_word<'a>(out: &mut Vec<Token<'a>>, s: &'a str, start: usize, end: usize) {
    let raw = &s[start..end];
    out.push(Token {
        kind: TokKind::Word,
        raw,
        norm: raw.to_lowercase().replace('’', "'"),
        start,
        end,
    });
}

/// `1,234.50` -> `1234.5`; `.05` -> `0.05`; `007` -> `7`.
pub fn normalise_number(raw: &str) -> String {
    let mut s: String = raw.chars().filter(|c| *c != ',').collect();
    if s.starts_with('.') {
        s.insert(0, '0');
    }
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() || trimmed.starts_with('.') {
        format!("0{trimmed}")
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.norm).collect()
    }

    #[test]
    fn numbers_words_symbols() {
        assert_eq!(
            norms("A total of 1,234 subjects (5.6%)"),
            ["a", "total", "of", "1234", "subjects", "(", "5.6", "%", ")"]
        );
        assert_eq!(
            norms("p<.05 didn't follow-up"),
            ["p", "<", "0.05", "didn't", "follow-up"]
        );
        assert_eq!(
            norms("Study H2Q-MC-LZZT, COVID-19"),
            ["study", "h2q-mc-lzzt", ",", "covid-19"]
        );
        assert_eq!(norms("5mg 24h 2:1"), ["5", "mg", "24", "h", "2", ":", "1"]);
        assert_eq!(normalise_number("10.50"), "10.5");
        assert_eq!(normalise_number("0.0"), "0");
    }

    #[test]
    fn spans_point_into_the_text() {
        let s = "Rash in 10 subjects — 2 on placebo.";
        for t in tokenize(s) {
            assert_eq!(&s[t.start..t.end], t.raw);
        }
    }
}

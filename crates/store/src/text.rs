//! The one text-clipping helper: what is stored or recorded of untrusted text.

/// At most `max_chars` characters of `s`, control characters other than line breaks and
/// tabs replaced by U+FFFD (PostgreSQL text refuses NUL; the rest keeps records readable).
pub fn clip(s: &str, max_chars: usize) -> String {
    s.chars()
        .take(max_chars)
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clips_by_characters_and_replaces_controls() {
        assert_eq!(super::clip("ab\0c\u{7}d", 4), "ab\u{fffd}c");
        assert_eq!(super::clip("été", 2), "ét");
        assert_eq!(super::clip("a\nb\tc", 10), "a\nb\tc");
    }
}

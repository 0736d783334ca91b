//! HTML text escaping for the reports this crate renders: every piece of stored text
//! (document titles, sentences, reasons, names, audit values) goes through [`esc`] before
//! it reaches a page, in element content and in quoted attribute values alike. Only the
//! renderer's own literal markup is written unescaped.

use std::fmt;

/// `s`, written with `&`, `<`, `>`, `"` and `'` as character references, and every control
/// character but tab, line feed and carriage return (which HTML does not allow as text)
/// as U+FFFD. Display it (`write!(out, "<td>{}</td>", esc(x))`) or take it as a `String`.
pub fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// Text to be written escaped (see [`esc`]).
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(needs_escape) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or('\u{fffd}');
            f.write_str(match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => "\u{fffd}",
            })?;
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn needs_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '"' | '\'')
        || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_in_text_is_written_as_text() {
        assert_eq!(
            esc("<script>alert(1)</script>").to_string(),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            esc("a & b \"c\" 'd' <e>").to_string(),
            "a &amp; b &quot;c&quot; &#39;d&#39; &lt;e&gt;"
        );
    }

    #[test]
    fn references_already_in_the_text_are_escaped_again() {
        // A title that reads "&lt;" shows "&lt;", not "<".
        assert_eq!(esc("&lt;b&gt;").to_string(), "&amp;lt;b&amp;gt;");
    }

    #[test]
    fn an_attribute_value_cannot_be_closed_from_inside() {
        let hostile = "x\" onmouseover=\"alert(1)' y='";
        let attr = format!("<span title=\"{}\">", esc(hostile));
        assert_eq!(attr.matches('"').count(), 2, "{attr}");
        assert!(!attr.contains('\''), "{attr}");
    }

    #[test]
    fn control_characters_are_replaced_and_other_text_kept() {
        assert_eq!(esc("a\u{0}b\u{1b}c").to_string(), "a\u{fffd}b\u{fffd}c");
        assert_eq!(
            esc("tab\tline\nµg ≥ 5 — ok").to_string(),
            "tab\tline\nµg ≥ 5 — ok"
        );
        assert_eq!(esc("").to_string(), "");
        assert_eq!(esc("<<&&>>").to_string(), "&lt;&lt;&amp;&amp;&gt;&gt;");
    }
}

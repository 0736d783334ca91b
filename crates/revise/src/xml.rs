//! A thin layer over quick-xml's slice reader: events with their byte ranges in the part
//! (so untouched markup is copied from the input, byte for byte), nesting checks, subtree
//! skipping, attribute and text decoding, and escaping for what is written.

use crate::ReviseError;
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use std::ops::Range;

/// The WordprocessingML namespace (transitional).
pub(crate) const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// Deepest element nesting accepted: real documents stay far below (a text box in a
/// table in a content control is about 25 levels).
pub(crate) const MAX_DEPTH: usize = 256;

#[derive(Debug)]
pub(crate) struct Xml<'a> {
    reader: Reader<&'a [u8]>,
    part: &'a str,
    depth: usize,
}

impl<'a> Xml<'a> {
    pub(crate) fn new(part: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            reader: Reader::from_reader(bytes),
            part,
            depth: 0,
        }
    }

    pub(crate) fn part(&self) -> &'a str {
        self.part
    }

    pub(crate) fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    pub(crate) fn error(&self, detail: impl ToString) -> ReviseError {
        ReviseError::malformed(self.part, self.reader.buffer_position(), detail)
    }

    /// The next event and the bytes it spans. Fails on a syntax error, on nesting over
    /// [`MAX_DEPTH`], and on an end of input with elements still open.
    pub(crate) fn next(&mut self) -> Result<(Event<'a>, Range<usize>), ReviseError> {
        let start = self.position();
        let ev = self.reader.read_event().map_err(|e| {
            ReviseError::malformed(self.part, self.reader.error_position(), e.to_string())
        })?;
        let end = self.position();
        match &ev {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.error(format!("elements nest deeper than {MAX_DEPTH}")));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::Eof if self.depth > 0 => {
                return Err(self.error("the part ends before its elements are closed"));
            }
            _ => {}
        }
        Ok((ev, start..end))
    }

    /// Read to the end of the element whose start tag was just read, calling `visit` on
    /// every start or empty tag inside it; returns the position after its end tag.
    pub(crate) fn skip(
        &mut self,
        mut visit: impl FnMut(&BytesStart<'_>),
    ) -> Result<usize, ReviseError> {
        let mut depth = 1usize;
        loop {
            let (ev, range) = self.next()?;
            match ev {
                Event::Start(e) => {
                    visit(&e);
                    depth += 1;
                }
                Event::Empty(e) => visit(&e),
                Event::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(range.end);
                    }
                }
                Event::Eof => return Err(self.error("unexpected end of the part")),
                _ => {}
            }
        }
    }

    /// The character data of the element whose start tag was just read (its text, its
    /// references resolved, CDATA included), and the position after its end tag. Nested
    /// elements are skipped.
    pub(crate) fn text(&mut self) -> Result<(String, usize), ReviseError> {
        let mut out = String::new();
        let mut depth = 1usize;
        loop {
            let (ev, range) = self.next()?;
            match ev {
                Event::Text(t) if depth == 1 => {
                    out.push_str(&t.decode().map_err(|e| self.error(e))?);
                }
                Event::CData(t) if depth == 1 => {
                    out.push_str(&t.decode().map_err(|e| self.error(e))?);
                }
                Event::GeneralRef(r) if depth == 1 => out.push(self.reference(&r)?),
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok((out, range.end));
                    }
                }
                Event::Eof => return Err(self.error("unexpected end of the part")),
                _ => {}
            }
        }
    }

    fn reference(&self, r: &BytesRef<'_>) -> Result<char, ReviseError> {
        if let Some(c) = r.resolve_char_ref().map_err(|e| self.error(e))? {
            return Ok(c);
        }
        let name: &[u8] = r;
        match name {
            b"lt" => Ok('<'),
            b"gt" => Ok('>'),
            b"amp" => Ok('&'),
            b"apos" => Ok('\''),
            b"quot" => Ok('"'),
            other => Err(self.error(format!(
                "unknown entity &{};",
                String::from_utf8_lossy(other)
            ))),
        }
    }
}

/// The value of the attribute named `key` (qualified, e.g. `w:val`), unescaped.
pub(crate) fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Text escaped for element content or a double-quoted attribute value.
pub(crate) fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Whether XML 1.0 can hold `c` at all.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

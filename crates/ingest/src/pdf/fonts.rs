//! Fonts: from a PDF font dictionary to Unicode text and glyph widths.
//!
//! Text is decoded with the font's `/ToUnicode` CMap when it has one (the most reliable
//! source), otherwise with its `/Encoding` (WinAnsi, MacRoman, Standard, `/Differences`
//! with glyph names), through lopdf's encoding tables. Type0 (CID) fonts use two-byte codes;
//! a Type0 font without `/ToUnicode` cannot be decoded and is reported as a warning.
//! Widths come from `/Widths` (simple fonts) or `/W` and `/DW` (CID fonts); a missing width
//! is taken as half an em, which only affects where word spaces are inferred.

use lopdf::{Dictionary, Document, Encoding, Object};
use std::collections::HashMap;

/// What the text extractor needs to know about one font.
pub(crate) struct FontInfo<'a> {
    encoding: Option<Encoding<'a>>,
    two_byte: bool,
    first_char: i64,
    widths: Vec<f32>,
    cid_widths: HashMap<u32, f32>,
    default_width: f32,
    pub bold: bool,
    symbolic_bullets: bool,
    /// Set when the font's text cannot be turned into Unicode.
    pub undecodable: bool,
}

impl std::fmt::Debug for FontInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontInfo")
            .field("two_byte", &self.two_byte)
            .field("bold", &self.bold)
            .field("undecodable", &self.undecodable)
            .finish()
    }
}

impl<'a> FontInfo<'a> {
    pub(crate) fn new(doc: &'a Document, font: &'a Dictionary) -> FontInfo<'a> {
        let subtype = font
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        let two_byte = subtype == b"Type0";
        let base_font = font
            .get(b"BaseFont")
            .and_then(Object::as_name)
            .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
            .unwrap_or_default();
        let has_to_unicode = font.get(b"ToUnicode").is_ok();

        // Prefer /ToUnicode: lopdf looks at /Encoding first, so ask it about a copy without one.
        let encoding = if has_to_unicode {
            let mut copy = font.clone();
            copy.remove(b"Encoding");
            // The copy is short-lived; decode the CMap now and keep the owned result.
            match copy.get_font_encoding(doc) {
                Ok(Encoding::UnicodeMapEncoding(map)) => Some(Encoding::UnicodeMapEncoding(map)),
                _ => font.get_font_encoding(doc).ok(),
            }
        } else if two_byte {
            None
        } else {
            font.get_font_encoding(doc).ok()
        };
        let undecodable = encoding.is_none();

        let mut info = FontInfo {
            encoding,
            two_byte,
            first_char: font.get(b"FirstChar").and_then(Object::as_i64).unwrap_or(0),
            widths: Vec::new(),
            cid_widths: HashMap::new(),
            default_width: 500.0,
            bold: base_font.contains("bold")
                || base_font.contains("black")
                || base_font.contains("heavy")
                || base_font.contains("semibold"),
            symbolic_bullets: !has_to_unicode
                && (base_font.contains("symbol") || base_font.contains("wingding")),
            undecodable,
        };
        if let Some(widths) = deref(doc, font.get(b"Widths").ok()).and_then(|o| o.as_array().ok()) {
            info.widths = widths
                .iter()
                .map(|w| {
                    deref(doc, Some(w))
                        .and_then(|w| w.as_float().ok())
                        .unwrap_or(0.0)
                })
                .collect();
        }
        let descriptor =
            deref(doc, font.get(b"FontDescriptor").ok()).and_then(|o| o.as_dict().ok());
        if two_byte {
            if let Some(desc) = deref(doc, font.get(b"DescendantFonts").ok())
                .and_then(|o| o.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| deref(doc, Some(o)))
                .and_then(|o| o.as_dict().ok())
            {
                info.default_width = desc.get(b"DW").and_then(Object::as_float).unwrap_or(1000.0);
                if let Some(w) = deref(doc, desc.get(b"W").ok()).and_then(|o| o.as_array().ok()) {
                    info.cid_widths = parse_cid_widths(doc, w);
                }
                if let Some(d) =
                    deref(doc, desc.get(b"FontDescriptor").ok()).and_then(|o| o.as_dict().ok())
                {
                    info.bold |= is_bold_descriptor(d);
                }
            }
        } else if let Some(d) = descriptor {
            info.bold |= is_bold_descriptor(d);
            if let Ok(mw) = d.get(b"MissingWidth").and_then(Object::as_float)
                && mw > 0.0
            {
                info.default_width = mw;
            }
        }
        info
    }

    /// Split a shown string into codes, decode each, and call `f(text, width_in_1000ths,
    /// is_single_byte_space)` for every glyph.
    pub(crate) fn for_each_glyph(&self, bytes: &[u8], mut f: impl FnMut(&str, f32, bool)) {
        let mut buf = String::new();
        if self.two_byte {
            for pair in bytes.chunks(2) {
                let code = if pair.len() == 2 {
                    u32::from(pair[0]) << 8 | u32::from(pair[1])
                } else {
                    u32::from(pair[0])
                };
                buf.clear();
                if let Some(enc) = &self.encoding {
                    let _ = enc.write_to_string(pair, &mut buf);
                }
                let w = self
                    .cid_widths
                    .get(&code)
                    .copied()
                    .unwrap_or(self.default_width);
                f(clean_glyph(&mut buf), w, false);
            }
        } else {
            for &b in bytes {
                buf.clear();
                if self.symbolic_bullets && matches!(b, 0xB7 | 0x6C | 0x6E | 0xA7 | 0x71 | 0xD8) {
                    buf.push('•');
                } else if let Some(enc) = &self.encoding
                    && enc.write_to_string(&[b], &mut buf).is_err()
                {
                    // Unknown named encoding: WinAnsi is what such producers meant.
                    buf.clear();
                    buf.push(win_ansi(b));
                }
                let idx = i64::from(b) - self.first_char;
                let w = usize::try_from(idx)
                    .ok()
                    .and_then(|i| self.widths.get(i).copied())
                    .filter(|w| *w > 0.0)
                    .unwrap_or(if b == b' ' { 250.0 } else { self.default_width });
                f(clean_glyph(&mut buf), w, b == b' ');
            }
        }
    }
}

/// Expand ligatures and map private-use bullets so that words compare as people read them.
fn clean_glyph(buf: &mut String) -> &str {
    if buf.chars().any(|c| {
        matches!(
            c,
            '\u{FB00}'..='\u{FB06}' | '\u{F0B7}' | '\u{F0A7}' | '\u{FFFD}' | '\0'
        )
    }) {
        let mut out = String::with_capacity(buf.len() + 2);
        for c in buf.chars() {
            match c {
                '\u{FB00}' => out.push_str("ff"),
                '\u{FB01}' => out.push_str("fi"),
                '\u{FB02}' => out.push_str("fl"),
                '\u{FB03}' => out.push_str("ffi"),
                '\u{FB04}' => out.push_str("ffl"),
                '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
                '\u{F0B7}' | '\u{F0A7}' => out.push('•'),
                '\u{FFFD}' | '\0' => {}
                c => out.push(c),
            }
        }
        *buf = out;
    }
    buf.as_str()
}

/// WinAnsi (Windows-1252) for fonts whose named encoding lopdf does not know.
fn win_ansi(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn is_bold_descriptor(d: &Dictionary) -> bool {
    let weight = d
        .get(b"FontWeight")
        .and_then(Object::as_float)
        .unwrap_or(0.0);
    let flags = d.get(b"Flags").and_then(Object::as_i64).unwrap_or(0);
    weight >= 600.0 || flags & (1 << 18) != 0
}

fn parse_cid_widths(doc: &Document, w: &[Object]) -> HashMap<u32, f32> {
    let mut out = HashMap::new();
    let mut i = 0;
    while i < w.len() && out.len() < 65_536 {
        let Some(first) = deref(doc, Some(&w[i])).and_then(|o| o.as_i64().ok()) else {
            break;
        };
        match w.get(i + 1).and_then(|o| deref(doc, Some(o))) {
            Some(Object::Array(ws)) => {
                for (k, wv) in ws.iter().enumerate() {
                    if let Ok(v) = wv.as_float() {
                        out.insert((first as u32).wrapping_add(k as u32), v);
                    }
                }
                i += 2;
            }
            Some(last) => {
                let last = last.as_i64().unwrap_or(first);
                let v = w
                    .get(i + 2)
                    .and_then(|o| o.as_float().ok())
                    .unwrap_or(1000.0);
                let (first, last) = (first.max(0) as u32, last.max(0) as u32);
                for c in first..=last.min(first.saturating_add(65_535)) {
                    out.insert(c, v);
                }
                i += 3;
            }
            None => break,
        }
    }
    out
}

/// Follow a reference (one level is what PDF producers use here).
pub(crate) fn deref<'a>(doc: &'a Document, o: Option<&'a Object>) -> Option<&'a Object> {
    match o? {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

//! Lines become blocks: headings, list items, tables and paragraphs.
//!
//! * A **heading** is a line that starts with a section number (`3.4.2.1 Inclusion
//!   Criteria`, level = number of components) followed by a capitalised title of at most
//!   20 words not ending in a full stop, when the number has two or more components, or the
//!   line is bold, larger than the body text, or in capitals, or short (at most 8 words).
//!   `APPENDIX 1`-style lines are level-1 headings. Unnumbered short lines that are bold or
//!   clearly larger than the body text are headings too (level 1 when 1.4x the body size,
//!   else 2 when larger, else 3). A heading continues on the next line when that line has
//!   the same size and weight and follows closely.
//! * A **list item** starts with a bullet (`•`, `–`, `-`, `▪`, ...) or a marker such as
//!   `1.`, `1)`, `a)`, `(a)`, `iv.`; its level comes from its indentation.
//! * A **table** is a run of two or more consecutive lines with wide gaps (two or more
//!   cells each).
//! * Other lines join into **paragraphs** until a vertical gap larger than 1.45x the usual
//!   line pitch, a change of font size or weight, a first-line indent, or a short line
//!   ending a sentence. A paragraph that ends a page without a full stop continues on the
//!   next page when that page starts with a lower-case word.
//! * **Hyphenation**: a line ending in `letter-` followed by a line starting in lower case is
//!   joined without the hyphen ("treat-/ment" = "treatment"), except after common compound
//!   prefixes and before common compound suffixes ("follow-/up" = "follow-up").

use super::layout::Line;
use crate::assemble::RawBlock;

/// Parse a leading section number: `3.4.2.1 Title` or `3.4. Title` -> ("3.4.2.1", "Title").
pub(crate) fn section_number(text: &str) -> Option<(String, &str)> {
    let end = text.find(|c: char| c.is_whitespace())?;
    let (num, rest) = text.split_at(end);
    let num = num.trim_end_matches('.');
    if num.is_empty() || num.len() > 16 {
        return None;
    }
    let parts: Vec<&str> = num.split('.').collect();
    let first_ok = parts[0].len() <= 2
        || (parts[0].len() == 1 && parts[0].chars().all(|c| c.is_ascii_uppercase()));
    if !first_ok || parts.len() > 7 {
        return None;
    }
    let all_digits = parts
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()));
    // Appendix-style numbers such as "A.1".
    let appendix = parts.len() >= 2
        && parts[0].len() == 1
        && parts[0].chars().all(|c| c.is_ascii_uppercase())
        && parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !(all_digits || appendix) {
        return None;
    }
    Some((num.to_string(), rest.trim_start()))
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn is_upper(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase())
}

struct Ctx {
    body_size: f32,
    pitch: f32,
    left: f32,
}

fn heading_of(l: &Line, ctx: &Ctx) -> Option<(u8, Option<String>)> {
    let text = l.text.trim();
    let larger = l.size > ctx.body_size * 1.12;
    let ends_sentence = text.ends_with('.') || text.ends_with(',') || text.ends_with(';');
    if let Some((num, rest)) = section_number(text) {
        let starts_cap = rest.chars().next().is_some_and(|c| c.is_uppercase());
        let components = num.split('.').count();
        if starts_cap
            && !ends_sentence
            && words(rest) <= 20
            && rest.chars().count() <= 160
            && (components >= 2 || l.bold || larger || is_upper(rest) || words(rest) <= 8)
            && !num.starts_with('0')
        {
            return Some((components.clamp(1, 9) as u8, Some(num)));
        }
        return None;
    }
    let lower = text.to_lowercase();
    if (lower.starts_with("appendix ") || lower.starts_with("annex "))
        && words(text) <= 14
        && !ends_sentence
    {
        return Some((1, None));
    }
    let starts_ok = text
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
    let caption = lower.starts_with("table ")
        || lower.starts_with("figure ")
        || lower.starts_with("listing ");
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let last_word = text.rsplit(' ').next().unwrap_or("").to_lowercase();
    let dangling = matches!(
        last_word.as_str(),
        "a" | "an"
            | "and"
            | "or"
            | "of"
            | "the"
            | "to"
            | "in"
            | "on"
            | "for"
            | "with"
            | "be"
            | "will"
            | "by"
            | "at"
            | "as"
            | "is"
            | "are"
    );
    let textual =
        letters * 2 >= text.chars().filter(|c| !c.is_whitespace()).count() && words(text) >= 1;
    if starts_ok
        && !ends_sentence
        && !caption
        && !dangling
        && textual
        && words(text) <= 12
        && text.chars().count() >= 3
    {
        if l.size > ctx.body_size * 1.4 {
            return Some((1, None));
        }
        if larger {
            return Some((2, None));
        }
        if l.bold && text.chars().any(char::is_alphabetic) {
            return Some((3, None));
        }
    }
    None
}

/// A list marker at the start of the line: (marker, rest).
fn list_marker(text: &str) -> Option<(String, &str)> {
    let mut chars = text.char_indices();
    let (_, first) = chars.next()?;
    if matches!(
        first,
        '•' | '●'
            | '▪'
            | '■'
            | '◦'
            | '○'
            | '◆'
            | '►'
            | '➢'
            | '✓'
            | '–'
            | '—'
            | '-'
            | '*'
            | '·'
    ) {
        let rest = text[first.len_utf8()..].trim_start();
        if !rest.is_empty() && rest.len() < text.len() - first.len_utf8() + 1 {
            // A bare "-5 mg" is a number, not a bullet: require a space after dashes.
            if matches!(first, '-' | '–' | '—') && !text[first.len_utf8()..].starts_with(' ') {
                return None;
            }
            return Some((first.to_string(), rest));
        }
        return None;
    }
    let end = text.find(' ')?;
    let (tok, rest) = text.split_at(end);
    let rest = rest.trim_start();
    if rest.is_empty() || tok.len() > 6 {
        return None;
    }
    let inner = tok.trim_start_matches('(');
    let body = inner.trim_end_matches(['.', ')']);
    let closed = inner.len() > body.len() && inner.len() - body.len() == 1;
    if !closed || body.is_empty() {
        return None;
    }
    let numeric = body.len() <= 2 && body.chars().all(|c| c.is_ascii_digit());
    let letter = body.len() == 1 && body.chars().all(|c| c.is_ascii_alphabetic());
    let roman = body.len() <= 4 && body.chars().all(|c| matches!(c, 'i' | 'v' | 'x'));
    (numeric || letter || roman).then(|| (tok.to_string(), rest))
}

const KEEP_PREFIX: &[&str] = &[
    "follow", "non", "pre", "post", "self", "well", "long", "short", "double", "single", "open",
    "low", "high", "dose", "placebo", "time", "end", "first", "second", "third", "half", "co",
    "anti", "multi", "cross", "age", "run", "wash", "run", "add", "drop", "read", "lead", "in",
    "out", "up", "sub", "semi", "intra", "inter", "re", "x", "t", "b", "e", "s",
];
const KEEP_SUFFIX: &[&str] = &[
    "up",
    "in",
    "out",
    "term",
    "label",
    "blind",
    "controlled",
    "based",
    "related",
    "free",
    "off",
    "specific",
    "dependent",
    "emergent",
    "naive",
    "like",
    "treated",
    "year",
    "month",
    "week",
    "day",
    "hour",
    "point",
    "level",
    "type",
    "up.",
    "up,",
    "related,",
    "in,",
];

/// Join `next` onto `text`, undoing end-of-line hyphenation.
fn join_line(text: &mut String, next: &str) {
    let next = next.trim();
    if text.ends_with('-') && !text.ends_with("--") && !text.ends_with(" -") {
        let stem = text[..text.len() - 1]
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .to_lowercase();
        let first_word = next.split_whitespace().next().unwrap_or("").to_lowercase();
        let letter_before = stem.chars().last().is_some_and(char::is_alphabetic);
        let lower_after = next.chars().next().is_some_and(char::is_lowercase);
        if letter_before && lower_after {
            let last_part = stem.rsplit('-').next().unwrap_or("");
            if KEEP_PREFIX.contains(&last_part) || KEEP_SUFFIX.contains(&first_word.as_str()) {
                text.push_str(next);
            } else {
                text.pop();
                text.push_str(next);
            }
            return;
        }
        if letter_before || stem.chars().last().is_some_and(|c| c.is_ascii_digit()) {
            // "COVID-" + "19", "anti-" + "TNF": keep the hyphen, no space.
            text.push_str(next);
            return;
        }
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(next);
}

enum Open {
    None,
    Para {
        text: String,
        page: u32,
        last: LineShape,
    },
    Item {
        level: u8,
        marker: String,
        text: String,
        page: u32,
        last: LineShape,
    },
    Heading {
        level: u8,
        number: Option<String>,
        text: String,
        page: u32,
        last: LineShape,
    },
}

#[derive(Clone, Copy)]
struct LineShape {
    y: f32,
    x0: f32,
    x1: f32,
    size: f32,
    bold: bool,
    page: u32,
}

impl From<&Line> for LineShape {
    fn from(l: &Line) -> Self {
        Self {
            y: l.y,
            x0: l.x0,
            x1: l.x1,
            size: l.size,
            bold: l.bold,
            page: l.page,
        }
    }
}

/// Build blocks from the body lines of every page (furniture and TOC removed).
pub(crate) fn build(pages: &[Vec<Line>]) -> Vec<RawBlock> {
    let all: Vec<&Line> = pages.iter().flatten().collect();
    if all.is_empty() {
        return Vec::new();
    }
    let ctx = context(&all);
    let right = all.iter().map(|l| l.x1).fold(f32::MIN, f32::max);
    let mut out: Vec<RawBlock> = Vec::new();
    let mut open = Open::None;
    let mut i = 0;
    while i < all.len() {
        let l = all[i];
        // Tables: two or more consecutive multi-cell lines on one page.
        if l.cells.len() >= 2 && heading_of(l, &ctx).is_none() {
            let mut j = i;
            while j < all.len()
                && all[j].cells.len() >= 2
                && all[j].page == l.page
                && (j == i || (all[j - 1].y - all[j].y) < ctx.pitch * 3.0)
                && heading_of(all[j], &ctx).is_none()
            {
                j += 1;
            }
            if j - i >= 2 {
                flush(&mut open, &mut out);
                out.push(RawBlock::Table {
                    rows: all[i..j].iter().map(|l| l.cells.clone()).collect(),
                    page: Some(l.page),
                });
                i = j;
                continue;
            }
        }
        let shape = LineShape::from(l);
        let continued_below = all.get(i + 1).is_some_and(|n| {
            let ns = LineShape::from(*n);
            same_style(&shape, &ns)
                && continues_vertically(&shape, &ns, &ctx)
                && n.text.chars().next().is_some_and(char::is_lowercase)
        });
        if let Some((level, number)) = heading_of(l, &ctx).filter(|_| !continued_below) {
            // A wrapped heading: same style, close below, and no number of its own.
            if let Open::Heading { text, last, .. } = &mut open
                && number.is_none()
                && same_style(last, &shape)
                && continues_vertically(last, &shape, &ctx)
                && words(text) < 12
            {
                join_line(text, &l.text);
                *last = shape;
                i += 1;
                continue;
            }
            flush(&mut open, &mut out);
            open = Open::Heading {
                level,
                number,
                text: l.text.clone(),
                page: l.page,
                last: shape,
            };
            i += 1;
            continue;
        }
        if let Some((marker, rest)) = list_marker(&l.text) {
            flush(&mut open, &mut out);
            let level = (1.0 + ((l.x0 - ctx.left) / (ctx.body_size * 2.5)).max(0.0)).min(6.0) as u8;
            open = Open::Item {
                level,
                marker,
                text: rest.to_string(),
                page: l.page,
                last: shape,
            };
            i += 1;
            continue;
        }
        let continues = match &open {
            Open::Para { text, last, .. } | Open::Item { text, last, .. } => {
                continues_block(last, &shape, text, &l.text, &ctx, right)
            }
            Open::Heading { text, last, .. } => {
                // Body text after a heading never joins it, except a wrapped heading line.
                same_style(last, &shape)
                    && continues_vertically(last, &shape, &ctx)
                    && words(text) < 12
                    && (last.bold || last.size > ctx.body_size * 1.12)
                    && !l.text.trim_end().ends_with('.')
                    && words(&l.text) <= 8
            }
            Open::None => false,
        };
        if continues {
            match &mut open {
                Open::Para { text, last, .. }
                | Open::Item { text, last, .. }
                | Open::Heading { text, last, .. } => {
                    join_line(text, &l.text);
                    *last = shape;
                }
                Open::None => {}
            }
        } else {
            flush(&mut open, &mut out);
            open = Open::Para {
                text: l.text.clone(),
                page: l.page,
                last: shape,
            };
        }
        i += 1;
    }
    flush(&mut open, &mut out);
    out
}

fn same_style(a: &LineShape, b: &LineShape) -> bool {
    (a.size - b.size).abs() <= 0.1 * a.size.max(b.size) && a.bold == b.bold
}

fn continues_vertically(last: &LineShape, l: &LineShape, ctx: &Ctx) -> bool {
    let gap = last.y - l.y;
    last.page == l.page && gap > 0.0 && gap <= ctx.pitch.max(l.size * 1.1) * 1.45
}

fn continues_block(
    last: &LineShape,
    l: &LineShape,
    text: &str,
    next: &str,
    ctx: &Ctx,
    right: f32,
) -> bool {
    if !same_style(last, l) {
        return false;
    }
    let ends_sentence =
        text.ends_with('.') || text.ends_with(':') || text.ends_with('?') || text.ends_with('!');
    if last.page != l.page {
        // Across a page break: an unfinished sentence continued in lower case.
        return l.page == last.page + 1
            && !ends_sentence
            && next.chars().next().is_some_and(char::is_lowercase);
    }
    if !continues_vertically(last, l, ctx) {
        return false;
    }
    // A short line that ends a sentence closes its paragraph.
    let width = (right - ctx.left).max(1.0);
    if ends_sentence && last.x1 < ctx.left + width * 0.8 {
        return false;
    }
    // A first-line indent starts a new paragraph.
    if l.x0 > last.x0 + ctx.body_size * 1.5 && ends_sentence {
        return false;
    }
    true
}

fn context(all: &[&Line]) -> Ctx {
    // Body size: the size carrying the most characters (rounded to half points).
    let mut by_size: std::collections::HashMap<i32, usize> = std::collections::HashMap::new();
    for l in all {
        *by_size.entry((l.size * 2.0).round() as i32).or_default() += l.text.len();
    }
    let body_size = by_size
        .into_iter()
        .max_by_key(|(s, n)| (*n, -*s))
        .map(|(s, _)| s as f32 / 2.0)
        .filter(|s| *s > 0.0)
        .unwrap_or(10.0);
    // Pitch: the median gap between consecutive body-size lines of a page.
    let mut gaps: Vec<f32> = all
        .windows(2)
        .filter(|w| {
            w[0].page == w[1].page
                && (w[0].size - body_size).abs() < 1.0
                && (w[1].size - body_size).abs() < 1.0
        })
        .map(|w| w[0].y - w[1].y)
        .filter(|g| *g > body_size * 0.8 && *g < body_size * 3.0)
        .collect();
    gaps.sort_by(f32::total_cmp);
    let pitch = gaps.get(gaps.len() / 2).copied().unwrap_or(body_size * 1.2);
    let mut lefts: Vec<f32> = all.iter().map(|l| l.x0).collect();
    lefts.sort_by(f32::total_cmp);
    let left = lefts.get(lefts.len() / 20).copied().unwrap_or(0.0);
    Ctx {
        body_size,
        pitch,
        left,
    }
}

fn flush(open: &mut Open, out: &mut Vec<RawBlock>) {
    match std::mem::replace(open, Open::None) {
        Open::None => {}
        Open::Para { text, page, .. } => out.push(RawBlock::Paragraph {
            text,
            page: Some(page),
        }),
        Open::Item {
            level,
            marker,
            text,
            page,
            ..
        } => out.push(RawBlock::ListItem {
            level,
            marker: Some(marker),
            text,
            page: Some(page),
        }),
        Open::Heading {
            level,
            number,
            text,
            page,
            ..
        } => out.push(RawBlock::Heading {
            level,
            number,
            text,
            page: Some(page),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_numbers() {
        assert_eq!(
            section_number("3.4.2.1 Inclusion Criteria"),
            Some(("3.4.2.1".into(), "Inclusion Criteria"))
        );
        assert_eq!(
            section_number("5. STUDY DESIGN"),
            Some(("5".into(), "STUDY DESIGN"))
        );
        assert_eq!(
            section_number("A.1 Schedule"),
            Some(("A.1".into(), "Schedule"))
        );
        assert_eq!(section_number("2021 was a year"), None);
        assert_eq!(section_number("Introduction"), None);
    }

    #[test]
    fn markers() {
        assert_eq!(
            list_marker("• Adults aged 18").map(|m| m.0),
            Some("•".into())
        );
        assert_eq!(list_marker("(a) Adults").map(|m| m.0), Some("(a)".into()));
        assert_eq!(list_marker("12. Adults").map(|m| m.0), Some("12.".into()));
        assert_eq!(list_marker("iv) Adults").map(|m| m.0), Some("iv)".into()));
        assert!(list_marker("-5 mg was given").is_none());
        assert!(list_marker("The 5. entry").is_none());
    }

    #[test]
    fn hyphenation() {
        let mut t = "the treat-".to_string();
        join_line(&mut t, "ment was given");
        assert_eq!(t, "the treatment was given");
        let mut t = "lost to follow-".to_string();
        join_line(&mut t, "up at week 4");
        assert_eq!(t, "lost to follow-up at week 4");
        let mut t = "COVID-".to_string();
        join_line(&mut t, "19 vaccine");
        assert_eq!(t, "COVID-19 vaccine");
        let mut t = "dose".to_string();
        join_line(&mut t, "  was");
        assert_eq!(t, "dose was");
    }
}

//! Page furniture and the table of contents, kept apart from the body.
//!
//! A running header or footer is a line in the top or bottom 12% of the page whose text,
//! with digits masked (`Page 7 of 97` = `Page # of #`), appears on at least two pages and on
//! at least 40% of the pages. Each distinct text is reported once with the pages it is on.
//! A table-of-contents line ends with a dot leader (4 or more dots, possibly spaced) and a
//! page label.

use super::layout::Line;
use crate::model::{PageFurniture, TocEntry};
use std::collections::{HashMap, HashSet};

const BAND: f32 = 0.12;

/// Remove running headers and footers from `pages` and return them.
pub(crate) fn split_furniture(
    pages: &mut [Vec<Line>],
    heights: &[(f32, f32)],
) -> (Vec<PageFurniture>, Vec<PageFurniture>) {
    let n = pages.len();
    let mut seen: HashMap<(bool, String), HashSet<usize>> = HashMap::new();
    for (i, lines) in pages.iter().enumerate() {
        let (bottom, top) = heights[i];
        let h = (top - bottom).max(1.0);
        for l in lines {
            if let Some(is_header) = band(l, bottom, h) {
                seen.entry((is_header, mask(&l.text)))
                    .or_default()
                    .insert(i);
            }
        }
    }
    let min_pages = 2.max((n as f32 * 0.4).ceil() as usize);
    let furniture: HashSet<(bool, String)> = seen
        .into_iter()
        .filter(|(_, p)| p.len() >= min_pages)
        .map(|(k, _)| k)
        .collect();
    let mut headers: Vec<PageFurniture> = Vec::new();
    let mut footers: Vec<PageFurniture> = Vec::new();
    if furniture.is_empty() {
        return (headers, footers);
    }
    for (i, lines) in pages.iter_mut().enumerate() {
        let (bottom, top) = heights[i];
        let h = (top - bottom).max(1.0);
        lines.retain(|l| {
            let Some(is_header) = band(l, bottom, h) else {
                return true;
            };
            if !furniture.contains(&(is_header, mask(&l.text))) {
                return true;
            }
            let list = if is_header {
                &mut headers
            } else {
                &mut footers
            };
            match list.iter_mut().find(|f| f.text == l.text) {
                Some(f) => f.pages.push(l.page),
                None => list.push(PageFurniture {
                    position: if is_header { "header" } else { "footer" }.to_string(),
                    text: l.text.clone(),
                    pages: vec![l.page],
                }),
            }
            false
        });
    }
    (merge_numbered(headers), merge_numbered(footers))
}

/// Merge furniture lines that differ only in their numbers (`Page 2 of 4`, `Page 3 of 4`)
/// into one entry whose varying numbers read `#` (`Page # of 4`), with all their pages.
fn merge_numbered(list: Vec<PageFurniture>) -> Vec<PageFurniture> {
    let mut out: Vec<(String, Vec<PageFurniture>)> = Vec::new();
    for f in list {
        let key = mask(&f.text);
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(f),
            None => out.push((key, vec![f])),
        }
    }
    out.into_iter()
        .map(|(_, group)| {
            if group.len() == 1 {
                return group.into_iter().next().expect("a group has a member");
            }
            let texts: Vec<&str> = group.iter().map(|f| f.text.as_str()).collect();
            let text = numbers_template(&texts);
            let mut pages: Vec<u32> = group.iter().flat_map(|f| f.pages.iter().copied()).collect();
            pages.sort_unstable();
            pages.dedup();
            PageFurniture {
                position: group[0].position.clone(),
                text,
                pages,
            }
        })
        .collect()
}

/// The first text with every digit run that is not the same in all texts replaced by `#`.
fn numbers_template(texts: &[&str]) -> String {
    let runs = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_ascii_digit())
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect()
    };
    let first = runs(texts[0]);
    let same: Vec<bool> = (0..first.len())
        .map(|i| texts.iter().all(|t| runs(t).get(i) == first.get(i)))
        .collect();
    let mut out = String::new();
    let mut run = 0usize;
    let mut in_digits = false;
    for c in texts[0].chars() {
        if c.is_ascii_digit() {
            if !in_digits && !same.get(run).copied().unwrap_or(false) {
                out.push('#');
            }
            if same.get(run).copied().unwrap_or(false) {
                out.push(c);
            }
            in_digits = true;
        } else {
            if in_digits {
                run += 1;
            }
            in_digits = false;
            out.push(c);
        }
    }
    out
}

fn band(l: &Line, bottom: f32, h: f32) -> Option<bool> {
    let rel = (l.y - bottom) / h;
    if rel > 1.0 - BAND {
        Some(true)
    } else if rel < BAND {
        Some(false)
    } else {
        None
    }
}

fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            if !c.is_whitespace() {
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

/// If `text` is a table-of-contents line, parse it.
pub(crate) fn toc_entry(text: &str) -> Option<TocEntry> {
    let t = text.trim_end();
    let (head, label) = t.rsplit_once(|c: char| c.is_whitespace() || c == '.' || c == '…')?;
    let label = label.trim();
    let label_ok = !label.is_empty()
        && label.len() <= 8
        && (label.chars().all(|c| c.is_ascii_digit() || c == '-')
            || label
                .chars()
                .all(|c| matches!(c.to_ascii_lowercase(), 'i' | 'v' | 'x' | 'l' | 'c')));
    if !label_ok {
        return None;
    }
    // The leader: at least 4 dots, possibly with spaces between them, just before the label.
    let bytes: Vec<char> = head.chars().collect();
    let mut i = bytes.len();
    let mut dots = 0;
    while i > 0 && matches!(bytes[i - 1], '.' | ' ' | '…' | '·' | '\u{a0}') {
        if bytes[i - 1] == '.' || bytes[i - 1] == '·' {
            dots += 1;
        }
        if bytes[i - 1] == '…' {
            dots += 3;
        }
        i -= 1;
    }
    if dots < 4 {
        return None;
    }
    let title: String = bytes[..i].iter().collect::<String>().trim().to_string();
    if title.is_empty() {
        return None;
    }
    let (number, level) = match super::blocks::section_number(&title) {
        Some((num, _)) => {
            let level = num.split('.').filter(|p| !p.is_empty()).count().clamp(1, 9) as u8;
            (Some(num), level)
        }
        None => (None, 1),
    };
    Some(TocEntry {
        text: title,
        number,
        page_label: Some(label.to_string()),
        level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_become_a_template() {
        assert_eq!(
            numbers_template(&["Page 2 of 4", "Page 3 of 4"]),
            "Page # of 4"
        );
        assert_eq!(
            numbers_template(&["LZZT Protocol 2019 Page 7", "LZZT Protocol 2019 Page 12"]),
            "LZZT Protocol 2019 Page #"
        );
    }

    #[test]
    fn toc_lines() {
        let e = toc_entry("3.4.2 Inclusion Criteria ........................ 17").expect("toc");
        assert_eq!(e.text, "3.4.2 Inclusion Criteria");
        assert_eq!(e.number.as_deref(), Some("3.4.2"));
        assert_eq!(e.level, 3);
        assert_eq!(e.page_label.as_deref(), Some("17"));
        assert!(toc_entry("Synopsis . . . . . . . . ii").is_some());
        assert!(toc_entry("The dose was 5 mg.").is_none());
        assert!(toc_entry("Values were 1.2 and 3").is_none());
        assert_eq!(mask("Page 7 of 97"), mask("Page 12 of 97"));
    }
}

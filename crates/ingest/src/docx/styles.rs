//! Paragraph styles resolved through `styles.xml`: names, `basedOn` chains, outline levels
//! and list numbering inherited from a style.
//!
//! What counts as a heading style (case-insensitive, on the style *name*, the first
//! recognised name up the `basedOn` chain wins, so a custom style based on `Heading 2` is a
//! level-2 heading): `heading 1`..`heading 9` -> levels 1..9; `Title` -> level 0 (the
//! document title, above chapter headings). `toc 1`..`toc 9` are table-of-contents lines and
//! `TOC Heading` the table of contents' own title. When a document has no styles part, the
//! style *id* is matched the same way (`Heading1`, `Title`, `TOC1`).

use docx_rs::{Style, Styles};
use std::collections::HashMap;

/// What a paragraph style says about its paragraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StyleKind {
    Heading(u8),
    Title,
    Toc(u8),
    TocHeading,
    #[default]
    Other,
}

/// A paragraph style with its inheritance resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Resolved {
    pub kind: StyleKind,
    /// `w:outlineLvl` (0-based; 9 = body text) from the style or an ancestor.
    pub outline: Option<usize>,
    /// `(numId, ilvl)` from the style or an ancestor.
    pub numbering: Option<(usize, Option<usize>)>,
}

/// Longest `basedOn` chain followed (real documents use a handful; cycles are cut).
const MAX_CHAIN: usize = 32;

#[derive(Debug)]
pub(crate) struct StyleMap<'a> {
    by_id: HashMap<&'a str, &'a Style>,
    default_paragraph: Option<&'a str>,
}

impl<'a> StyleMap<'a> {
    pub(crate) fn new(styles: &'a Styles) -> Self {
        let by_id: HashMap<&str, &Style> = styles
            .styles
            .iter()
            .map(|s| (s.style_id.as_str(), s))
            .collect();
        // The paragraph default style (`w:default="1"`) is not exposed by docx-rs; "Normal"
        // is Word's, which is what applies to paragraphs without a `w:pStyle`.
        let default_paragraph = by_id.contains_key("Normal").then_some("Normal");
        Self {
            by_id,
            default_paragraph,
        }
    }

    /// Resolve the style `id` (or the default paragraph style when `None`).
    pub(crate) fn resolve(&self, id: Option<&str>) -> Resolved {
        let mut out = Resolved::default();
        let Some(mut id) = id.or(self.default_paragraph) else {
            return out;
        };
        let mut kind_found = false;
        for _ in 0..MAX_CHAIN {
            let Some(style) = self.by_id.get(id) else {
                if !kind_found {
                    out.kind = classify(id);
                }
                break;
            };
            if !kind_found {
                let k = classify(&style_name(style));
                if k != StyleKind::Other {
                    out.kind = k;
                    kind_found = true;
                }
            }
            let pp = &style.paragraph_property;
            if out.outline.is_none() {
                out.outline = pp.outline_lvl.as_ref().map(|o| o.v);
            }
            if out.numbering.is_none()
                && let Some(np) = &pp.numbering_property
                && let Some(num) = &np.id
            {
                out.numbering = Some((num.id, np.level.as_ref().map(|l| l.val)));
            }
            match style.based_on.as_ref().and_then(based_on) {
                Some(next) => match self.by_id.get_key_value(next.as_str()) {
                    Some((k, _)) => id = k,
                    None => {
                        if !kind_found {
                            out.kind = classify(&next);
                        }
                        break;
                    }
                },
                None => break,
            }
        }
        out
    }
}

/// docx-rs keeps a style's name private but serialises it as a string.
fn style_name(style: &Style) -> String {
    serde_json::to_value(&style.name)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn based_on(b: &docx_rs::BasedOn) -> Option<String> {
    serde_json::to_value(b)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// Classify a style name (or id): `heading 2`, `Heading2`, `Title`, `toc 3`, `TOC Heading`.
pub(crate) fn classify(name: &str) -> StyleKind {
    let lower: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let level =
        |rest: &str| -> Option<u8> { rest.parse::<u8>().ok().filter(|n| (1..=9).contains(n)) };
    if lower == "title" {
        return StyleKind::Title;
    }
    if lower == "tocheading" {
        return StyleKind::TocHeading;
    }
    if let Some(n) = lower.strip_prefix("heading").and_then(level) {
        return StyleKind::Heading(n);
    }
    if let Some(n) = lower.strip_prefix("toc").and_then(level) {
        return StyleKind::Toc(n);
    }
    StyleKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use docx_rs::StyleType;

    #[test]
    fn classifies_names_and_ids() {
        assert_eq!(classify("heading 3"), StyleKind::Heading(3));
        assert_eq!(classify("Heading1"), StyleKind::Heading(1));
        assert_eq!(classify("Title"), StyleKind::Title);
        assert_eq!(classify("toc 2"), StyleKind::Toc(2));
        assert_eq!(classify("TOC Heading"), StyleKind::TocHeading);
        assert_eq!(classify("Heading 10"), StyleKind::Other);
        assert_eq!(classify("Body Text"), StyleKind::Other);
    }

    #[test]
    fn follows_based_on_chains_and_cuts_cycles() {
        let styles = Styles::new()
            .add_style(Style::new("H2", StyleType::Paragraph).name("heading 2"))
            .add_style(
                Style::new("ProtoH2", StyleType::Paragraph)
                    .name("Protocol Section")
                    .based_on("H2"),
            )
            .add_style(
                Style::new("A", StyleType::Paragraph)
                    .name("Loop A")
                    .based_on("B"),
            )
            .add_style(
                Style::new("B", StyleType::Paragraph)
                    .name("Loop B")
                    .based_on("A"),
            );
        let map = StyleMap::new(&styles);
        assert_eq!(map.resolve(Some("ProtoH2")).kind, StyleKind::Heading(2));
        assert_eq!(map.resolve(Some("A")).kind, StyleKind::Other);
        assert_eq!(map.resolve(Some("Heading4")).kind, StyleKind::Heading(4));
        assert_eq!(map.resolve(None).kind, StyleKind::Other);
    }
}

//! Package relationships and content types: finding the main document part, and the
//! small insertions that adding a comments part needs.

use crate::ReviseError;
use crate::package::Package;
use crate::xml::{Xml, attr};
use quick_xml::events::Event;

pub(crate) const CONTENT_TYPES: &str = "[Content_Types].xml";
const OFFICE_DOCUMENT: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";

/// One `Relationship`.
#[derive(Debug, Clone)]
pub(crate) struct Rel {
    pub id: String,
    pub kind: String,
    /// Resolved part name (no leading slash); empty for external targets.
    pub target: String,
}

/// The relationships of a `.rels` part; `base` is the directory its targets are
/// relative to.
pub(crate) fn relationships(part: &str, bytes: &[u8], base: &str) -> Result<Vec<Rel>, ReviseError> {
    let mut x = Xml::new(part, bytes);
    let mut out = Vec::new();
    loop {
        match x.next()?.0 {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                let external = attr(&e, b"TargetMode").is_some_and(|m| m == "External");
                let target = attr(&e, b"Target").unwrap_or_default();
                out.push(Rel {
                    id: attr(&e, b"Id").unwrap_or_default(),
                    kind: attr(&e, b"Type").unwrap_or_default(),
                    target: if external {
                        String::new()
                    } else {
                        resolve(base, &target)
                    },
                });
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// `target` relative to the directory `base`, `..` and `.` resolved.
pub(crate) fn resolve(base: &str, target: &str) -> String {
    let mut segs: Vec<&str> = Vec::new();
    let joined;
    let path = if let Some(abs) = target.strip_prefix('/') {
        abs
    } else {
        joined = format!("{base}/{target}");
        joined.as_str()
    };
    for s in path.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    segs.join("/")
}

/// The `.rels` part of `part` (`word/document.xml` -> `word/_rels/document.xml.rels`).
pub(crate) fn rels_name(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

pub(crate) fn dir_of(part: &str) -> &str {
    part.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The main document part: the package's `officeDocument` relationship, else
/// `word/document.xml`. Also requires `[Content_Types].xml`.
pub(crate) fn main_part(pkg: &Package<'_>) -> Result<String, ReviseError> {
    if pkg.xml(CONTENT_TYPES).is_none() {
        return Err(ReviseError::MissingPart {
            part: CONTENT_TYPES.to_string(),
        });
    }
    let from_rels = match pkg.xml("_rels/.rels") {
        Some(b) => relationships("_rels/.rels", b, "")?
            .into_iter()
            .find(|r| r.kind == OFFICE_DOCUMENT && pkg.xml(&r.target).is_some())
            .map(|r| r.target),
        None => None,
    };
    let main = from_rels.unwrap_or_else(|| "word/document.xml".to_string());
    if pkg.xml(&main).is_none() {
        return Err(ReviseError::MissingPart { part: main });
    }
    Ok(main)
}

/// `bytes` with `fragment` inserted just before the end tag of the root element (an
/// empty root `<x .../>` is opened and closed around it). Fails unless the root is named
/// `root`.
pub(crate) fn insert_in_root(
    part: &str,
    bytes: &[u8],
    root: &[u8],
    fragment: &[u8],
) -> Result<Vec<u8>, ReviseError> {
    let mut x = Xml::new(part, bytes);
    let mut depth = 0usize;
    loop {
        let (ev, range) = x.next()?;
        match ev {
            Event::Start(e) => {
                if depth == 0 && e.name().as_ref() != root {
                    return Err(wrong_root(part, e.name().as_ref(), root));
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 0 => {
                if e.name().as_ref() != root {
                    return Err(wrong_root(part, e.name().as_ref(), root));
                }
                let tag = &bytes[range.clone()];
                let open = tag
                    .strip_suffix(b"/>")
                    .ok_or_else(|| x.error("an empty element without />"))?;
                let mut out = Vec::with_capacity(bytes.len() + fragment.len() + 16);
                out.extend_from_slice(&bytes[..range.start]);
                out.extend_from_slice(open);
                out.push(b'>');
                out.extend_from_slice(fragment);
                out.extend_from_slice(b"</");
                out.extend_from_slice(root);
                out.push(b'>');
                out.extend_from_slice(&bytes[range.end..]);
                return Ok(out);
            }
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    let mut out = Vec::with_capacity(bytes.len() + fragment.len());
                    out.extend_from_slice(&bytes[..range.start]);
                    out.extend_from_slice(fragment);
                    out.extend_from_slice(&bytes[range.start..]);
                    return Ok(out);
                }
            }
            Event::Eof => return Err(x.error("the part holds no XML element")),
            _ => {}
        }
    }
}

fn wrong_root(part: &str, found: &[u8], want: &[u8]) -> ReviseError {
    ReviseError::malformed(
        part,
        0,
        format!(
            "the root element is <{}>, not <{}>",
            String::from_utf8_lossy(found),
            String::from_utf8_lossy(want)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_targets() {
        assert_eq!(resolve("word", "comments.xml"), "word/comments.xml");
        assert_eq!(resolve("word", "../customXml/a.xml"), "customXml/a.xml");
        assert_eq!(resolve("", "/word/document.xml"), "word/document.xml");
        assert_eq!(
            rels_name("word/document.xml"),
            "word/_rels/document.xml.rels"
        );
    }

    #[test]
    fn inserts_in_the_root() {
        let out = insert_in_root(
            "x",
            b"<?xml version=\"1.0\"?><a k=\"1\"><b/></a>",
            b"a",
            b"<c/>",
        )
        .unwrap_or_default();
        assert_eq!(out, b"<?xml version=\"1.0\"?><a k=\"1\"><b/><c/></a>");
        let out = insert_in_root("x", b"<a k=\"1\"/>", b"a", b"<c/>").unwrap_or_default();
        assert_eq!(out, b"<a k=\"1\"><c/></a>");
        assert!(insert_in_root("x", b"<z/>", b"a", b"<c/>").is_err());
    }
}

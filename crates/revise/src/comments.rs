//! The reviewer's decision as a Word comment on each change.
//!
//! This is the one place where parts other than the main document change: the comments
//! part (`word/comments.xml`) is extended, or created together with its relationship in
//! the main part's `.rels` and its `Override` in `[Content_Types].xml`. Only insertions
//! are made into those parts (the new elements before their root's end tag); the rest of
//! each part is copied byte for byte.

use crate::ReviseError;
use crate::package::Package;
use crate::parts::{self, CONTENT_TYPES};
use crate::render::text_element;
use crate::xml::{W_NS, Xml, attr, escape, is_xml_char};
use quick_xml::events::Event;
use std::collections::HashMap;

const COMMENTS_REL: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments";
const COMMENTS_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml";

/// One comment to add.
#[derive(Debug, Clone)]
pub(crate) struct NewComment {
    pub id: u64,
    pub author: String,
    pub initials: String,
    pub date: String,
    pub text: String,
}

/// `s` without the characters XML cannot hold.
fn legal(s: &str) -> String {
    s.chars().filter(|&c| is_xml_char(c)).collect()
}

/// The `w:comment` elements.
fn fragment(comments: &[NewComment]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in comments {
        out.extend_from_slice(
            format!(
                "<w:comment w:id=\"{}\" w:author=\"{}\" w:date=\"{}\" w:initials=\"{}\">",
                c.id,
                escape(&legal(&c.author)),
                escape(&c.date),
                escape(&legal(&c.initials))
            )
            .as_bytes(),
        );
        for (i, line) in c.text.split('\n').enumerate() {
            out.extend_from_slice(b"<w:p>");
            if i == 0 {
                out.extend_from_slice(b"<w:r><w:annotationRef/></w:r>");
            }
            let line = line.trim_end_matches('\r');
            if !line.is_empty() {
                out.extend_from_slice(b"<w:r>");
                text_element(&mut out, "w:t", line);
                out.extend_from_slice(b"</w:r>");
            }
            out.extend_from_slice(b"</w:p>");
        }
        out.extend_from_slice(b"</w:comment>");
    }
    out
}

/// Add `comments` to the package whose main part is `main`: changed parts go into
/// `replace`, new parts into `add`.
pub(crate) fn add(
    pkg: &Package<'_>,
    main: &str,
    comments: &[NewComment],
    replace: &mut HashMap<String, Vec<u8>>,
    add: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), ReviseError> {
    if comments.is_empty() {
        return Ok(());
    }
    let frag = fragment(comments);
    let rels_name = parts::rels_name(main);
    let dir = parts::dir_of(main);
    let rels = match pkg.xml(&rels_name) {
        Some(b) => parts::relationships(&rels_name, b, dir)?,
        None => Vec::new(),
    };

    let existing = rels
        .iter()
        .find(|r| r.kind == COMMENTS_REL && !r.target.is_empty());
    let part = match existing {
        Some(r) => r.target.clone(),
        None => {
            let mut name = format!("{dir}/comments.xml");
            let mut n = 1;
            while pkg.has(&name) {
                n += 1;
                name = format!("{dir}/comments{n}.xml");
            }
            name
        }
    };

    match pkg.xml(&part) {
        Some(bytes) => {
            check_comments_root(&part, bytes)?;
            let extended = parts::insert_in_root(&part, bytes, b"w:comments", &frag)?;
            replace.insert(part.clone(), extended);
        }
        None => {
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<w:comments xmlns:w=\"{W_NS}\">"
            )
            .into_bytes();
            xml.extend_from_slice(&frag);
            xml.extend_from_slice(b"</w:comments>");
            add.push((part.clone(), xml));
        }
    }

    if existing.is_none() {
        let mut n = rels.len() + 1;
        while rels.iter().any(|r| r.id == format!("rId{n}")) {
            n += 1;
        }
        let target = part
            .strip_prefix(&format!("{dir}/"))
            .map_or_else(|| format!("/{part}"), str::to_string);
        let rel = format!(
            "<Relationship Id=\"rId{n}\" Type=\"{COMMENTS_REL}\" Target=\"{}\"/>",
            escape(&target)
        );
        match pkg.xml(&rels_name) {
            Some(b) => {
                let out = parts::insert_in_root(&rels_name, b, b"Relationships", rel.as_bytes())?;
                replace.insert(rels_name, out);
            }
            None => add.push((
                rels_name,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rel}</Relationships>"
                )
                .into_bytes(),
            )),
        }
    }

    let types = pkg
        .xml(CONTENT_TYPES)
        .ok_or_else(|| ReviseError::MissingPart {
            part: CONTENT_TYPES.to_string(),
        })?;
    if !has_override(types, &part)? {
        let o = format!(
            "<Override PartName=\"/{}\" ContentType=\"{COMMENTS_TYPE}\"/>",
            escape(&part)
        );
        let out = parts::insert_in_root(CONTENT_TYPES, types, b"Types", o.as_bytes())?;
        replace.insert(CONTENT_TYPES.to_string(), out);
    }
    Ok(())
}

fn has_override(types: &[u8], part: &str) -> Result<bool, ReviseError> {
    let mut x = Xml::new(CONTENT_TYPES, types);
    let want = format!("/{part}");
    loop {
        match x.next()?.0 {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == b"Override"
                    && attr(&e, b"PartName").is_some_and(|p| p.eq_ignore_ascii_case(&want)) =>
            {
                return Ok(true);
            }
            Event::Eof => return Ok(false),
            _ => {}
        }
    }
}

fn check_comments_root(part: &str, bytes: &[u8]) -> Result<(), ReviseError> {
    let mut x = Xml::new(part, bytes);
    loop {
        match x.next()?.0 {
            Event::Start(e) | Event::Empty(e) => {
                return match attr(&e, b"xmlns:w") {
                    Some(ns) if ns == W_NS && e.name().as_ref() == b"w:comments" => Ok(()),
                    _ => Err(ReviseError::Unsupported {
                        reason: format!(
                            "the comments part {part} is not a <w:comments> in the transitional namespace"
                        ),
                    }),
                };
            }
            Event::Eof => return Err(x.error("the part holds no XML element")),
            _ => {}
        }
    }
}

//! Small streaming readers (quick-xml) for the parts docx-rs 0.4 does not expose or does
//! not report precisely: a well-formedness check with a position, package relationships,
//! core properties (`docProps/core.xml`), footnotes and endnotes.

use crate::IngestError;
use crate::model::Note;
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

/// Deepest element nesting accepted in any XML part. docx-rs reads nested tables and
/// content controls recursively, and a stack overflow aborts the process (it cannot be
/// caught like a panic): 128 levels (about 40 tables inside each other) stay far below
/// what overflows a 1 MiB thread stack, and far above real documents (a text box in a
/// table in a content control is about 25 levels).
pub(crate) const MAX_XML_DEPTH: usize = 128;

fn too_deep(part: &str) -> IngestError {
    IngestError::malformed(
        "DOCX",
        format!("the part {part} nests XML elements deeper than {MAX_XML_DEPTH} levels"),
    )
}

/// Fail when any element of `part` nests deeper than [`MAX_XML_DEPTH`]; stops quietly at
/// the first syntax error (parts that must be well-formed get [`check_well_formed`]).
pub(crate) fn check_depth(part: &str, bytes: &[u8]) -> Result<(), IngestError> {
    let mut reader = Reader::from_reader(bytes);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(too_deep(part));
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Fail with a [`IngestError::Malformed`] naming the part and the byte position when
/// `bytes` is not well-formed XML (mismatched or unclosed tags, bad syntax, no root), or
/// nests deeper than [`MAX_XML_DEPTH`].
pub(crate) fn check_well_formed(part: &str, bytes: &[u8]) -> Result<(), IngestError> {
    let mut reader = Reader::from_reader(bytes);
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut roots = 0usize;
    loop {
        let pos = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if open.is_empty() {
                    roots += 1;
                }
                if open.len() >= MAX_XML_DEPTH {
                    return Err(too_deep(part));
                }
                open.push(e.name().as_ref().to_vec());
            }
            Ok(Event::Empty(_)) => {
                if open.is_empty() {
                    roots += 1;
                }
            }
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(IngestError::malformed(
                    "DOCX",
                    format!("the part {part} is not well-formed XML near byte {pos}: {e}"),
                ));
            }
        }
    }
    if let Some(tag) = open.last() {
        return Err(IngestError::malformed(
            "DOCX",
            format!(
                "the part {part} ends before the element <{}> is closed (the file may be truncated)",
                String::from_utf8_lossy(tag)
            ),
        ));
    }
    if roots == 0 {
        return Err(IngestError::malformed(
            "DOCX",
            format!("the part {part} holds no XML element"),
        ));
    }
    Ok(())
}

/// Local name of the root element, if any.
pub(crate) fn root_name(bytes: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(bytes);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Fail unless the root element of `part` is named `expected` (any prefix). docx-rs's
/// readers for some parts wait for the end of a root of that name and would never stop
/// on a part rooted differently.
pub(crate) fn check_root(part: &str, bytes: &[u8], expected: &str) -> Result<(), IngestError> {
    match root_name(bytes) {
        Some(r) if r == expected => Ok(()),
        other => Err(IngestError::malformed(
            "DOCX",
            format!(
                "the part {part} has the root element <{}> where <{expected}> was expected",
                other.unwrap_or_default()
            ),
        )),
    }
}

/// docx-rs reads the first two attributes of every `Default`/`Override` entry of
/// `[Content_Types].xml` by index (and panics on fewer); refuse such a part up front.
pub(crate) fn check_content_types(bytes: &[u8]) -> Result<(), IngestError> {
    let mut reader = Reader::from_reader(bytes);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if depth == 1 && e.attributes().flatten().count() < 2 =>
            {
                return Err(IngestError::malformed(
                    "DOCX",
                    format!(
                        "the part [Content_Types].xml has a <{}> entry without its extension or part name and content type",
                        String::from_utf8_lossy(e.local_name().as_ref())
                    ),
                ));
            }
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// The content type `[Content_Types].xml` gives the part `name` (override, else default
/// by extension).
pub(crate) fn content_type(types: &[u8], name: &str) -> Option<String> {
    let wanted = format!("/{}", name.trim_start_matches('/'));
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut by_default = None;
    let mut reader = Reader::from_reader(types);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let tag = e.local_name();
                let tag = tag.as_ref();
                if tag == b"Override"
                    && attr(&e, b"PartName").is_some_and(|p| p.eq_ignore_ascii_case(&wanted))
                {
                    return attr(&e, b"ContentType");
                }
                if tag == b"Default"
                    && attr(&e, b"Extension").is_some_and(|x| x.eq_ignore_ascii_case(&ext))
                {
                    by_default = attr(&e, b"ContentType");
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    by_default
}

/// The value of attribute `local` (any prefix) of `e`, unescaped.
pub(crate) fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

/// Text of an entity or character reference inside text content.
fn reference(r: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match r.decode().as_deref() {
        Ok("amp") => "&",
        Ok("lt") => "<",
        Ok("gt") => ">",
        Ok("quot") => "\"",
        Ok("apos") => "'",
        _ => "",
    }
    .to_string()
}

/// One package relationship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rel {
    /// Last segment of the relationship type URI, e.g. `header`, `footnotes`, `officeDocument`.
    pub kind: String,
    /// Target resolved to a part name relative to the package root.
    pub target: String,
}

/// Relationships of the part at `source` (e.g. `word/document.xml`), in file order.
/// External targets (hyperlinks) are skipped.
pub(crate) fn relationships(bytes: &[u8], source: &str) -> Vec<Rel> {
    let base = match source.rfind('/') {
        Some(i) => &source[..i],
        None => "",
    };
    let mut out = Vec::new();
    let mut reader = Reader::from_reader(bytes);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref() == b"Relationship" =>
            {
                if attr(&e, b"TargetMode").as_deref() == Some("External") {
                    continue;
                }
                let (Some(kind), Some(target)) = (attr(&e, b"Type"), attr(&e, b"Target")) else {
                    continue;
                };
                let kind = kind.rsplit('/').next().unwrap_or_default().to_string();
                out.push(Rel {
                    kind,
                    target: resolve(base, &target),
                });
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// Resolve a relationship target against the folder of its source part.
fn resolve(base: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let mut segs: Vec<&str> = if let Some(abs) = target.strip_prefix('/') {
        return normalise(abs.split('/').collect());
    } else if base.is_empty() {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    segs.extend(target.split('/'));
    normalise(segs)
}

fn normalise(segs: Vec<&str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in segs {
        match s {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// `(title, author)` from `docProps/core.xml`, each trimmed and `None` when blank.
pub(crate) fn core_properties(bytes: &[u8]) -> (Option<String>, Option<String>) {
    let mut v = element_texts(bytes, &[b"title", b"creator"]);
    let author = v.pop().flatten();
    let title = v.pop().flatten();
    (title, author)
}

/// The producing application from `docProps/app.xml` (`Application AppVersion`).
pub(crate) fn application(bytes: &[u8]) -> Option<String> {
    let mut v = element_texts(bytes, &[b"Application", b"AppVersion"]);
    let version = v.pop().flatten();
    let app = v.pop().flatten()?;
    Some(match version {
        Some(ver) => format!("{app} {ver}"),
        None => app,
    })
}

/// The trimmed text of the first element with each local name (`None` when absent/blank).
fn element_texts(bytes: &[u8], names: &[&[u8]]) -> Vec<Option<String>> {
    let mut found: Vec<Option<String>> = vec![None; names.len()];
    let mut reader = Reader::from_reader(bytes);
    let mut current: Option<usize> = None;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                current = names.iter().position(|n| e.local_name().as_ref() == *n);
                text.clear();
            }
            Ok(Event::Text(t)) if current.is_some() => {
                text.push_str(&t.decode().unwrap_or_default());
            }
            Ok(Event::GeneralRef(r)) if current.is_some() => text.push_str(&reference(&r)),
            Ok(Event::End(_)) => {
                if let Some(i) = current.take() {
                    let value = text.trim();
                    if found[i].is_none() && !value.is_empty() {
                        found[i] = Some(value.to_string());
                    }
                }
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    found
}

/// Footnotes or endnotes (`kind` = `footnote` / `endnote`) of a notes part, skipping the
/// separator notes Word keeps there. Paragraphs of one note are joined by a space; deleted
/// text (`w:delText`) and field codes (`w:instrText`) are not part of the text.
pub(crate) fn notes(bytes: &[u8], kind: &str) -> Vec<Note> {
    let element: &[u8] = if kind == "endnote" {
        b"endnote"
    } else {
        b"footnote"
    };
    let mut out = Vec::new();
    let mut reader = Reader::from_reader(bytes);
    let mut current: Option<(String, bool)> = None; // (id, is a real note)
    let mut text = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                n if n == element => {
                    let id = attr(&e, b"id").unwrap_or_default();
                    let real = !matches!(
                        attr(&e, b"type").as_deref(),
                        Some("separator" | "continuationSeparator" | "continuationNotice")
                    );
                    current = Some((id, real));
                    text.clear();
                }
                b"t" => in_text = true,
                b"p" if current.is_some() && !text.is_empty() => text.push(' '),
                _ => {}
            },
            Ok(Event::Empty(e)) if current.is_some() => match e.local_name().as_ref() {
                b"tab" => text.push('\t'),
                b"br" | b"cr" => text.push(' '),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text && current.is_some() => {
                text.push_str(&t.decode().unwrap_or_default());
            }
            Ok(Event::GeneralRef(r)) if in_text && current.is_some() => {
                text.push_str(&reference(&r));
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                n if n == element => {
                    if let Some((id, true)) = current.take() {
                        let t = super::text::collapse(&text);
                        if !t.is_empty() {
                            out.push(Note {
                                kind: kind.to_string(),
                                id,
                                author: None,
                                text: t,
                            });
                        }
                    }
                    current = None;
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_targets() {
        assert_eq!(resolve("word", "header1.xml"), "word/header1.xml");
        assert_eq!(resolve("word", "../customXml/a.xml"), "customXml/a.xml");
        assert_eq!(resolve("word", "/word/footnotes.xml"), "word/footnotes.xml");
        assert_eq!(resolve("", "word/document.xml"), "word/document.xml");
    }

    #[test]
    fn reports_where_xml_breaks() {
        let err =
            check_well_formed("word/document.xml", b"<a><b></a>").expect_err("mismatched tags");
        assert!(err.to_string().contains("word/document.xml"), "{err}");
        let err = check_well_formed("word/document.xml", b"<a><b>").expect_err("unclosed");
        assert!(err.to_string().contains("truncated"), "{err}");
        assert!(check_well_formed("x", b"<?xml version=\"1.0\"?><a/>").is_ok());
    }

    #[test]
    fn reads_footnotes_without_separators() {
        let xml = br#"<w:footnotes xmlns:w="w"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>Data on file &amp; cited.</w:t></w:r></w:p><w:p><w:r><w:delText>gone</w:delText><w:t>Second.</w:t></w:r></w:p></w:footnote></w:footnotes>"#;
        let notes = notes(xml, "footnote");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].id, "1");
        assert_eq!(notes[0].text, "Data on file & cited. Second.");
    }
}

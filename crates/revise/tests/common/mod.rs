//! Shared by the test files: minimal packages written by hand, reading parts back, an
//! independent reading of accepted/rejected text, and the external tools (pandoc,
//! LibreOffice) behind testkit's required-or-skipped switch.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use quick_xml::events::Event;
use revise::Edit;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

pub const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>"#;

pub const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

pub const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>"#;

/// A footnotes part whose ids go up to 97 (above anything in the fixtures' bodies).
pub const FOOTNOTES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote><w:footnote w:id="97"><w:p><w:r><w:t>Data on file.</w:t></w:r></w:p></w:footnote></w:footnotes>"#;

/// `word/document.xml` around `body` (the content of `w:body`).
pub fn document_xml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{W_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math" xmlns:o="urn:schemas-microsoft-com:office:office" mc:Ignorable="w14"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>"#
    )
}

/// A zip of `entries`, deflated, in that order.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A minimal but complete package: content types, relationships, the body, a footnotes
/// part (ids up to 97) and a binary entry.
pub fn package(body: &str) -> Vec<u8> {
    let doc = document_xml(body);
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.as_bytes()),
        ("word/footnotes.xml", FOOTNOTES.as_bytes()),
        (
            "word/media/image1.png",
            &[0x89, b'P', b'N', b'G', 0, 1, 2, 3, 4, 5],
        ),
    ])
}

/// `<w:p>` of plain runs.
pub fn para(runs: &[&str]) -> String {
    let mut s = String::from("<w:p>");
    for r in runs {
        s.push_str(&format!(
            r#"<w:r><w:t xml:space="preserve">{r}</w:t></w:r>"#
        ));
    }
    s.push_str("</w:p>");
    s
}

pub fn edit(id: &str, original: &str, occurrence: usize, replacement: &str) -> Edit {
    Edit {
        id: id.to_string(),
        original: original.to_string(),
        occurrence,
        replacement: replacement.to_string(),
        author: "dualcheck AI (1a2b3c4d)".to_string(),
        date: Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap(),
        comment: None,
    }
}

/// Every entry of a zip, in order, inflated.
pub fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut v = Vec::new();
            f.read_to_end(&mut v).unwrap();
            (f.name().to_string(), v)
        })
        .collect()
}

pub fn part(bytes: &[u8], name: &str) -> Vec<u8> {
    entries(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no part {name}"))
}

pub fn document(bytes: &[u8]) -> String {
    String::from_utf8(part(bytes, "word/document.xml")).unwrap()
}

/// Which view of the tracked changes to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Accept,
    Reject,
}

/// Paragraph texts of a main part, read independently with quick-xml: accepted (text
/// of `w:t` outside `w:del`) or rejected (`w:t` outside `w:ins`, plus `w:delText`). Tabs
/// and breaks are spaces; white space is collapsed. Also checks the part is well-formed.
pub fn texts(xml: &str, view: View) -> Vec<String> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut ins, mut del, mut in_t, mut in_del_t) = (0, 0, false, false);
    let mut depth = 0usize;
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => {
                depth += 1;
                match e.name().as_ref() {
                    b"w:ins" => ins += 1,
                    b"w:del" => del += 1,
                    b"w:t" => in_t = true,
                    b"w:delText" => in_del_t = true,
                    _ => {}
                }
            }
            Event::Empty(e) => {
                if matches!(e.name().as_ref(), b"w:tab" | b"w:br" | b"w:cr") {
                    let visible = match view {
                        View::Accept => del == 0,
                        View::Reject => ins == 0,
                    };
                    if visible {
                        cur.push(' ');
                    }
                }
            }
            Event::End(e) => {
                depth -= 1;
                match e.name().as_ref() {
                    b"w:ins" => ins -= 1,
                    b"w:del" => del -= 1,
                    b"w:t" => in_t = false,
                    b"w:delText" => in_del_t = false,
                    b"w:p" => out.push(normalise(&std::mem::take(&mut cur))),
                    _ => {}
                }
            }
            Event::Text(t) => {
                let s = t.decode().unwrap();
                let s = quick_xml::escape::unescape(&s).unwrap().into_owned();
                push_text(&mut cur, &s, view, in_t, in_del_t, ins, del);
            }
            Event::GeneralRef(g) => {
                let s = match g.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::unescape(&format!("&{};", g.decode().unwrap()))
                        .unwrap()
                        .into_owned(),
                };
                push_text(&mut cur, &s, view, in_t, in_del_t, ins, del);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    out
}

fn push_text(
    cur: &mut String,
    s: &str,
    view: View,
    in_t: bool,
    in_del_t: bool,
    ins: i32,
    del: i32,
) {
    let take = match view {
        View::Accept => in_t && del == 0,
        View::Reject => (in_t && ins == 0) || (in_del_t && del > 0),
    };
    if take {
        cur.push_str(s);
    }
}

pub fn normalise(s: &str) -> String {
    s.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `tool` runs here; otherwise testkit's skip (a failure under
/// `DUALCHECK_REQUIRE_TOOLS`).
pub fn have(tool: &str, install: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        testkit::skip(
            testkit::Require::Tools,
            format_args!("{tool} is not installed (apt-get install {install})"),
        );
    }
    ok
}

/// pandoc's text of a DOCX with its tracked changes accepted or rejected: the strings
/// of its JSON document tree (so no plain-text markup such as `^sup^` gets in the way),
/// metadata first (where a `Title` paragraph goes), blocks separated by a space, white
/// space normalised.
pub fn pandoc(path: &Path, view: View) -> String {
    let mode = match view {
        View::Accept => "accept",
        View::Reject => "reject",
    };
    let out = Command::new("pandoc")
        .arg(format!("--track-changes={mode}"))
        .args(["-f", "docx", "-t", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pandoc failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let tree: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut text = String::new();
    // A `Title` paragraph goes into the metadata.
    if let Some(meta) = tree["meta"].as_object() {
        meta.values().for_each(|v| ast_text(v, &mut text));
    }
    ast_text(&tree["blocks"], &mut text);
    normalise(&text)
}

fn ast_text(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Array(a) => a.iter().for_each(|x| ast_text(x, out)),
        Value::Object(o) => match o.get("t").and_then(Value::as_str) {
            Some("Str") => out.push_str(o["c"].as_str().unwrap_or_default()),
            Some("Space" | "SoftBreak" | "LineBreak") => out.push(' '),
            Some("Code" | "Math") => out.push_str(o["c"][1].as_str().unwrap_or_default()),
            Some("RawInline" | "RawBlock") => {}
            // Inline containers hold words that may go on without a space.
            Some(
                "Emph" | "Underline" | "Strong" | "Strikeout" | "Superscript" | "Subscript"
                | "SmallCaps",
            ) => ast_text(&o["c"], out),
            Some("Span" | "Link" | "Image" | "Cite" | "Quoted" | "MetaInlines") => {
                ast_text(&o["c"], out)
            }
            Some(_) => {
                out.push(' ');
                if let Some(c) = o.get("c") {
                    ast_text(c, out);
                }
                out.push(' ');
            }
            None => {}
        },
        _ => {}
    }
}

/// What LibreOffice read from a DOCX, from its flat ODT export: the body text with the
/// tracked changes accepted and rejected, and the change regions per author.
#[derive(Debug, Default)]
pub struct LoText {
    pub accepted: String,
    pub rejected: String,
    /// (kind, author) of every change region: `insertion` or `deletion`.
    pub regions: Vec<(String, String)>,
}

pub fn lo_text(fodt: &str) -> LoText {
    use std::collections::{HashMap, HashSet};
    let mut r = quick_xml::Reader::from_str(fodt);
    let attr = |e: &quick_xml::events::BytesStart<'_>, k: &[u8]| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k)
            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
    };
    let mut kinds: HashMap<String, String> = HashMap::new();
    let mut region: Option<String> = None;
    let mut in_creator = false;
    let mut out = LoText::default();
    let mut in_body = false;
    let mut skip = 0usize; // inside annotations, the change list, declarations
    let mut active: HashSet<String> = HashSet::new();
    let (mut acc, mut rej) = (String::new(), String::new());
    let push = |s: &str,
                active: &HashSet<String>,
                kinds: &HashMap<String, String>,
                acc: &mut String,
                rej: &mut String| {
        let del = active
            .iter()
            .any(|id| kinds.get(id).is_some_and(|k| k == "deletion"));
        let ins = active
            .iter()
            .any(|id| kinds.get(id).is_some_and(|k| k == "insertion"));
        if !del {
            acc.push_str(s);
        }
        if !ins {
            rej.push_str(s);
        }
    };
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => {
                let name = e.name();
                if skip > 0
                    || matches!(
                        name.as_ref(),
                        b"office:annotation" | b"text:tracked-changes" | b"text:sequence-decls"
                    )
                {
                    skip += 1;
                }
                match name.as_ref() {
                    b"office:text" => in_body = true,
                    b"text:changed-region" => region = attr(&e, b"text:id"),
                    b"text:insertion" | b"text:deletion" | b"text:format-change" => {
                        if let Some(id) = &region {
                            let kind =
                                String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                            kinds.insert(id.clone(), kind);
                        }
                    }
                    b"dc:creator" if region.is_some() => in_creator = true,
                    _ => {}
                }
            }
            Event::End(e) => {
                let was_skipping = skip > 0;
                skip = skip.saturating_sub(1);
                match e.name().as_ref() {
                    b"office:text" => in_body = false,
                    b"text:changed-region" => region = None,
                    b"dc:creator" => in_creator = false,
                    b"text:p" | b"text:h" if in_body && !was_skipping => {
                        push(" ", &active, &kinds, &mut acc, &mut rej);
                    }
                    _ => {}
                }
            }
            Event::Empty(e) if in_body && skip == 0 => match e.name().as_ref() {
                b"text:change-start" => {
                    active.insert(attr(&e, b"text:change-id").unwrap_or_default());
                }
                b"text:change-end" => {
                    active.remove(&attr(&e, b"text:change-id").unwrap_or_default());
                }
                b"text:s" => {
                    let n: usize = attr(&e, b"text:c")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1);
                    push(&" ".repeat(n), &active, &kinds, &mut acc, &mut rej);
                }
                b"text:tab" | b"text:line-break" => push(" ", &active, &kinds, &mut acc, &mut rej),
                _ => {}
            },
            Event::Text(t) => {
                let s = quick_xml::escape::unescape(&t.decode().unwrap())
                    .unwrap()
                    .into_owned();
                if in_creator {
                    if let Some(id) = &region {
                        out.regions
                            .push((kinds.get(id).cloned().unwrap_or_default(), s));
                    }
                } else if in_body && skip == 0 {
                    push(&s, &active, &kinds, &mut acc, &mut rej);
                }
            }
            Event::GeneralRef(g) if in_body && skip == 0 => {
                let s = match g.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::unescape(&format!("&{};", g.decode().unwrap()))
                        .unwrap()
                        .into_owned(),
                };
                push(&s, &active, &kinds, &mut acc, &mut rej);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out.accepted = normalise(&acc);
    out.rejected = normalise(&rej);
    out
}

/// Convert `files` with one LibreOffice run to `format` (`pdf`, `fodt`) in `outdir`;
/// the files written, by input (`None` where LibreOffice wrote nothing usable).
pub fn soffice(files: &[PathBuf], format: &str, outdir: &Path) -> Vec<Option<PathBuf>> {
    if files.is_empty() {
        return Vec::new();
    }
    // A profile of its own, so a running LibreOffice (or another test) does not interfere.
    let profile = outdir.join("lo-profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            format,
            "--outdir",
        ])
        .arg(outdir)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    files
        .iter()
        .map(|f| {
            let conv = outdir.join(f.with_extension(format).file_name().unwrap());
            let ok = std::fs::read(&conv)
                .is_ok_and(|b| b.len() > 200 && (format != "pdf" || b.starts_with(b"%PDF")));
            ok.then_some(conv)
        })
        .collect()
}

/// Occurrences of `needle` in `hay` (non-overlapping).
pub fn count(hay: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 0;
    }
    hay.matches(needle).count()
}

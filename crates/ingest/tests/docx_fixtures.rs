//! DOCX back-end on fixtures built with docx-rs in `testkit::docx`: exact headings, list markers,
//! sentences, tables, furniture, notes, revisions and the accepted view.
#![allow(clippy::unwrap_used)]

use testkit::docx as fixture;

use ingest::{BlockKind, Document, Format, IngestError, Limits};
use std::io::Write;

fn parse_protocol() -> Document {
    ingest::parse(&fixture::protocol()).expect("the fixture parses")
}

fn summary(doc: &Document) -> Vec<String> {
    doc.blocks
        .iter()
        .map(|b| match &b.kind {
            BlockKind::Heading { level, number } => {
                format!("H{level} [{}] {}", number.as_deref().unwrap_or("-"), b.text)
            }
            BlockKind::Paragraph => format!("P {}", b.text),
            BlockKind::ListItem { level, marker } => {
                format!("L{level} [{}] {}", marker.as_deref().unwrap_or("-"), b.text)
            }
            BlockKind::Table { rows } => format!("T {}x{}", rows.len(), rows[0].len()),
        })
        .collect()
}

#[test]
fn body_blocks_in_reading_order() {
    let doc = parse_protocol();
    assert_eq!(doc.metadata.format, Format::Docx);
    assert_eq!(
        summary(&doc),
        vec![
            "H0 [-] A Phase 3 Study of Xanomeline",
            "H1 [1] 1. Introduction",
            "P Xanomeline is a muscarinic agonist, e.g. at M1 and M4 receptors. The mean age was 74.5 years vs. 73.9 years in the placebo arm. Dr. Smith reviewed the data.",
            "H2 [1.1] 1.1 Background",
            "P Patients received 75 mg daily.",
            "H3 [3.4.2.1] 3.4.2.1 Inclusion Criteria",
            "L1 [1.] Age 65 years or older.",
            "L1 [2.] Mild to moderate disease.",
            "L2 [a)] MMSE score 10 to 23.",
            "L1 [3.] Written informed consent.",
            "H2 [-] Study Procedures",
            "L1 [•] Vital signs at each visit.",
            "L2 [o] ECG at screening.",
            "T 3x3",
            "H1 [-] Safety Notes",
            "P The dose was 75 mg per day.",
        ]
    );
}

#[test]
fn sentences_of_a_paragraph() {
    let doc = parse_protocol();
    let p = &doc.blocks[2];
    let s: Vec<&str> = p.sentences.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        s,
        vec![
            "Xanomeline is a muscarinic agonist, e.g. at M1 and M4 receptors.",
            "The mean age was 74.5 years vs. 73.9 years in the placebo arm.",
            "Dr. Smith reviewed the data.",
        ]
    );
    assert_eq!(p.sentences[1].anchor, "b2.s1");
    // Offsets index the body text.
    let body: Vec<char> = doc.body_text().chars().collect();
    for b in &doc.blocks {
        assert_eq!(body[b.start..b.end].iter().collect::<String>(), b.text);
    }
}

#[test]
fn table_cells() {
    let doc = parse_protocol();
    let BlockKind::Table { rows } = &doc.blocks[13].kind else {
        panic!("block 13 is the table");
    };
    let text: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(|c| c.text.as_str()).collect())
        .collect();
    assert_eq!(
        text,
        vec![
            vec!["Arm", "N", "Dose"],
            vec!["Placebo", "86", "0 mg"],
            vec!["Xanomeline", "84", "75 mg once daily"],
        ]
    );
    assert_eq!(rows[2][2].anchor, "b13.r2c2");
}

#[test]
fn table_of_contents_kept_apart() {
    let doc = parse_protocol();
    let toc: Vec<(String, Option<String>, Option<String>, u8)> = doc
        .toc
        .iter()
        .map(|e| {
            (
                e.text.clone(),
                e.number.clone(),
                e.page_label.clone(),
                e.level,
            )
        })
        .collect();
    assert_eq!(
        toc,
        vec![
            (
                "1. Introduction".to_string(),
                Some("1".to_string()),
                Some("3".to_string()),
                1
            ),
            (
                "1.1 Background".to_string(),
                Some("1.1".to_string()),
                Some("4".to_string()),
                2
            ),
        ]
    );
    assert!(!doc.body_text().contains("Introduction\t3"));
}

#[test]
fn headers_footers_and_notes() {
    let doc = parse_protocol();
    let h: Vec<&str> = doc.headers.iter().map(|h| h.text.as_str()).collect();
    let f: Vec<&str> = doc.footers.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(h, vec!["Protocol XAN-301 Confidential"]);
    assert_eq!(f, vec!["Version 2.0 Final"]);
    assert!(doc.headers.iter().all(|h| h.position == "header"));
    assert!(!doc.body_text().contains("Confidential"));

    let comment = doc
        .notes
        .iter()
        .find(|n| n.kind == "comment")
        .expect("a comment");
    assert_eq!(comment.id, "1");
    assert_eq!(comment.author.as_deref(), Some("QA Reviewer"));
    assert_eq!(comment.text, "Please cite the source of the dose.");
    let footnote = doc
        .notes
        .iter()
        .find(|n| n.kind == "footnote")
        .expect("a footnote");
    assert_eq!(footnote.text, "Data on file, Sponsor Study Report 2021.");
    assert_eq!(doc.notes.len(), 2);
}

#[test]
fn tracked_changes_give_the_accepted_view_and_a_warning() {
    let doc = parse_protocol();
    let revs: Vec<(&str, &str, Option<&str>)> = doc
        .revisions
        .iter()
        .map(|r| (r.kind.as_str(), r.text.as_str(), r.author.as_deref()))
        .collect();
    assert_eq!(
        revs,
        vec![
            ("deletion", "50 mg", Some("Medical Writer")),
            ("insertion", "75 mg", Some("Medical Writer")),
        ]
    );
    assert_eq!(
        doc.blocks.last().unwrap().text,
        "The dose was 75 mg per day."
    );
    assert!(!doc.body_text().contains("50 mg"));
    assert!(doc.has_warning("tracked_changes"));
    let w = &doc.metadata.warnings[0];
    assert!(w.message.contains("accepted view"), "{}", w.message);
}

#[test]
fn metadata() {
    let bytes = fixture::protocol();
    let doc = ingest::parse(&bytes).unwrap();
    assert_eq!(doc.metadata.sha256, ingest::sha256_hex(&bytes));
    assert_eq!(doc.metadata.size_bytes, bytes.len() as u64);
    assert_eq!(doc.metadata.page_count, None);
    // docx-rs writes no title into docProps/core.xml: the Title paragraph gives it.
    assert_eq!(
        doc.metadata.title.as_deref(),
        Some("A Phase 3 Study of Xanomeline")
    );
}

#[test]
fn no_tracked_changes_no_warning() {
    let bytes = fixture::pack(docx_rs::Docx::new().add_paragraph(
        docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text("One. Two.")),
    ));
    let doc = ingest::parse(&bytes).unwrap();
    assert!(doc.metadata.warnings.is_empty());
    assert!(doc.revisions.is_empty());
    assert_eq!(doc.blocks[0].sentences.len(), 2);
}

/// Rewrite one entry of a DOCX (same order, deflated) with `f` applied.
fn rewrite(bytes: &[u8], name: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    use std::io::Read;
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..src.len() {
        let mut e = src.by_index(i).unwrap();
        let entry_name = e.name().to_string();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let data = if entry_name == name { f(&data) } else { data };
        out.start_file(entry_name, opts).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn corrupt_xml_is_malformed_and_says_where() {
    let bytes = rewrite(&fixture::protocol(), "word/document.xml", |d| {
        let s = String::from_utf8_lossy(d).replacen("</w:body>", "</w:bogus>", 1);
        s.into_bytes()
    });
    match ingest::parse(&bytes) {
        Err(IngestError::Malformed { reason, .. }) => {
            assert!(reason.contains("word/document.xml"), "{reason}");
            assert!(reason.contains("not well-formed"), "{reason}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn zip_without_main_document_is_rejected() {
    let bytes = rewrite(&fixture::protocol(), "word/document.xml", |d| d.to_vec());
    // Rename the main part away.
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..src.len() {
        use std::io::Read;
        let mut e = src.by_index(i).unwrap();
        let name = e.name().replace("word/document.xml", "word/other.xml");
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.start_file(name, opts).unwrap();
        out.write_all(&data).unwrap();
    }
    let bytes = out.finish().unwrap().into_inner();
    match ingest::parse(&bytes) {
        Err(IngestError::Malformed { reason, .. }) => {
            assert!(reason.contains("main document"), "{reason}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// A DOCX-looking zip with one huge, highly compressible entry.
fn bomb(entry_size: usize) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(entry_size > u32::MAX as usize);
    out.start_file("[Content_Types].xml", opts).unwrap();
    out.write_all(b"<Types/>").unwrap();
    out.start_file("word/document.xml", opts).unwrap();
    let chunk = vec![b' '; 1 << 20];
    let mut left = entry_size;
    while left > 0 {
        let n = left.min(chunk.len());
        out.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn zip_bomb_is_refused_by_ratio() {
    // 64 MiB of spaces deflate ~1000:1, far over the default ratio limit of 200.
    let bytes = bomb(64 << 20);
    assert!(bytes.len() < 1 << 20, "compressed to {}", bytes.len());
    let started = std::time::Instant::now();
    match ingest::parse(&bytes) {
        Err(IngestError::ArchiveLimits { reason }) => {
            assert!(reason.contains("ratio"), "{reason}")
        }
        other => panic!("expected ArchiveLimits, got {other:?}"),
    }
    // Refused from the central directory, before inflating anything.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn zip_bomb_is_refused_by_total_size() {
    let bytes = bomb(8 << 20);
    let limits = Limits {
        max_uncompressed_bytes: 4 << 20,
        max_compression_ratio: 1_000_000,
        ..Limits::default()
    };
    match ingest::parse_with(&bytes, &limits) {
        Err(IngestError::ArchiveLimits { reason }) => {
            assert!(reason.contains("uncompressed"), "{reason}")
        }
        other => panic!("expected ArchiveLimits, got {other:?}"),
    }
}

#[test]
fn lying_sizes_are_caught_while_inflating() {
    // Patch the central directory so the entry claims to be tiny: the declared sizes pass,
    // the stream-read cap must still stop it.
    let mut bytes = bomb(8 << 20);
    let cd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x01\x02")
        .expect("a central directory entry");
    // Uncompressed size field at offset 24 of the central directory header.
    bytes[cd + 24..cd + 28].copy_from_slice(&100u32.to_le_bytes());
    let limits = Limits {
        max_uncompressed_bytes: 4 << 20,
        max_compression_ratio: 1_000_000,
        ..Limits::default()
    };
    match ingest::parse_with(&bytes, &limits) {
        Err(IngestError::ArchiveLimits { reason }) => {
            assert!(reason.contains("inflates"), "{reason}")
        }
        other => panic!("expected ArchiveLimits from the stream-read cap, got {other:?}"),
    }
}

#[test]
fn toc_content_control_with_field_is_kept_apart() {
    use docx_rs::{Docx, Paragraph, Run, Style, StyleType, TableOfContents, TableOfContentsItem};
    let docx = Docx::new()
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("Heading 1"))
        .add_style(Style::new("Heading2", StyleType::Paragraph).name("Heading 2"))
        .add_table_of_contents(
            TableOfContents::new()
                .alias("Table of contents")
                .heading_styles_range(1, 3)
                .add_item(
                    TableOfContentsItem::new()
                        .text("Synopsis")
                        .toc_key("_Toc00000000")
                        .level(1)
                        .page_ref("2"),
                )
                .add_item(
                    TableOfContentsItem::new()
                        .text("Objectives")
                        .toc_key("_Toc00000001")
                        .level(2)
                        .page_ref("3"),
                ),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text("Synopsis"))
                .style("Heading1"),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text("Objectives"))
                .style("Heading2"),
        );
    let doc = ingest::parse(&fixture::pack(docx)).unwrap();
    let body: Vec<&str> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(body, vec!["Synopsis", "Objectives"], "{:#?}", doc.toc);
    let toc: Vec<(&str, Option<&str>)> = doc
        .toc
        .iter()
        .map(|e| (e.text.as_str(), e.page_label.as_deref()))
        .collect();
    assert_eq!(
        toc,
        vec![("Synopsis", Some("2")), ("Objectives", Some("3"))]
    );
}

#[test]
fn numbering_and_outline_inherited_from_styles() {
    use docx_rs::{
        AbstractNumbering, Docx, IndentLevel, Level, LevelJc, LevelOverride, LevelText,
        NumberFormat, Numbering, NumberingId, Paragraph, ParagraphProperty, Run, Start, Style,
        StyleType,
    };
    let lvl = |i: usize, fmt: &str, text: &str| {
        Level::new(
            i,
            Start::new(1),
            NumberFormat::new(fmt),
            LevelText::new(text),
            LevelJc::new("left"),
        )
    };
    // Word's usual pattern: the heading styles carry the outline numbering.
    let mut h1 = Style::new("Heading1", StyleType::Paragraph).name("heading 1");
    h1.paragraph_property =
        ParagraphProperty::new().numbering(NumberingId::new(1), IndentLevel::new(0));
    let mut h2 = Style::new("Heading2", StyleType::Paragraph).name("heading 2");
    h2.paragraph_property =
        ParagraphProperty::new().numbering(NumberingId::new(1), IndentLevel::new(1));
    let chapter = Style::new("Chapter", StyleType::Paragraph)
        .name("Chapter")
        .outline_lvl(0);
    let p = |t: &str| Paragraph::new().add_run(Run::new().add_text(t));
    let docx = Docx::new()
        .add_style(h1)
        .add_style(h2)
        .add_style(chapter)
        .add_abstract_numbering(
            AbstractNumbering::new(1)
                .add_level(lvl(0, "decimal", "%1"))
                .add_level(lvl(1, "decimal", "%1.%2")),
        )
        .add_numbering(Numbering::new(1, 1))
        .add_abstract_numbering(
            AbstractNumbering::new(2)
                .add_level(lvl(0, "upperRoman", "%1."))
                .add_level(lvl(1, "lowerRoman", "(%2)")),
        )
        // Starts at V through a level override.
        .add_numbering(Numbering::new(7, 2).add_override(LevelOverride::new(0).start(5)))
        .add_paragraph(p("Introduction").style("Heading1"))
        .add_paragraph(p("Rationale").style("Heading2"))
        .add_paragraph(p("Risks").style("Heading2"))
        .add_paragraph(p("Study Design").style("Heading1"))
        .add_paragraph(p("Overall Design").style("Heading2"))
        .add_paragraph(
            p("Not a heading despite the style.")
                .style("Heading2")
                .outline_lvl(9),
        )
        .add_paragraph(p("Annexes").style("Chapter"))
        .add_paragraph(p("Fifth item.").numbering(NumberingId::new(7), IndentLevel::new(0)))
        .add_paragraph(p("Sub item.").numbering(NumberingId::new(7), IndentLevel::new(1)))
        .add_paragraph(p("Sub item two.").numbering(NumberingId::new(7), IndentLevel::new(1)));
    let doc = ingest::parse(&fixture::pack(docx)).unwrap();
    let got: Vec<String> = doc
        .blocks
        .iter()
        .map(|b| match &b.kind {
            BlockKind::Heading { level, number } => {
                format!("H{level} {} | {}", number.as_deref().unwrap_or("-"), b.text)
            }
            BlockKind::ListItem { level, marker } => {
                format!("L{level} {} | {}", marker.as_deref().unwrap_or("-"), b.text)
            }
            _ => format!("P | {}", b.text),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "H1 1 | 1 Introduction",
            "H2 1.1 | 1.1 Rationale",
            "H2 1.2 | 1.2 Risks",
            "H1 2 | 2 Study Design",
            "H2 2.1 | 2.1 Overall Design",
            // outlineLvl 9 on the paragraph makes it body text; it is still numbered.
            "L2 2.2 | Not a heading despite the style.",
            "H1 - | Annexes",
            "L1 V. | Fifth item.",
            "L2 (i) | Sub item.",
            "L2 (ii) | Sub item two.",
        ]
    );
}

/// A DOCX whose body nests `depth` tables inside each other.
fn nested_tables(depth: usize) -> Vec<u8> {
    let base = fixture::pack(
        docx_rs::Docx::new()
            .add_paragraph(docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text("Top."))),
    );
    rewrite(&base, "word/document.xml", |d| {
        let s = String::from_utf8_lossy(d);
        let open = "<w:tbl><w:tr><w:tc>".repeat(depth);
        let close = "<w:p><w:r><w:t>deep</w:t></w:r></w:p></w:tc></w:tr></w:tbl>".repeat(depth);
        s.replacen("<w:body>", &format!("<w:body>{open}{close}"), 1)
            .into_bytes()
    })
}

#[test]
fn deep_nesting_is_refused_before_it_can_overflow_the_stack() {
    // Run on threads with a small (1 MiB) stack. 40 nested tables (125 XML levels) are
    // accepted; 5,000 would overflow the stack inside docx-rs and must be refused first.
    let ok_depth = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| ingest::parse(&nested_tables(40)).map(|d| d.blocks.len()))
        .unwrap()
        .join()
        .expect("no stack overflow or panic");
    assert_eq!(ok_depth.unwrap(), 2);
    let deep = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| ingest::parse(&nested_tables(5_000)).map(|d| d.blocks.len()))
        .unwrap()
        .join()
        .expect("no stack overflow or panic");
    match deep {
        Err(IngestError::Malformed { reason, .. }) => {
            assert!(reason.contains("deeper"), "{reason}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn one_oversized_xml_part_is_refused() {
    // Within the archive-wide limits, but one XML part over the per-part bound (64 MiB).
    let bytes = bomb(65 << 20);
    let limits = Limits {
        max_compression_ratio: 1_000_000,
        ..Limits::default()
    };
    match ingest::parse_with(&bytes, &limits) {
        Err(IngestError::ArchiveLimits { reason }) => {
            assert!(reason.contains("XML part word/document.xml"), "{reason}")
        }
        other => panic!("expected ArchiveLimits, got {other:?}"),
    }
}

#[test]
fn an_unclosed_toc_field_does_not_swallow_the_body() {
    use docx_rs::{Docx, FieldCharType, InstrText, InstrToC, Paragraph, Run};
    let docx = Docx::new()
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_field_char(FieldCharType::Begin, false))
                .add_run(
                    Run::new()
                        .add_instr_text(InstrText::TOC(InstrToC::new().heading_styles_range(1, 3))),
                )
                .add_run(Run::new().add_field_char(FieldCharType::Separate, false))
                .add_run(Run::new().add_text("Synopsis"))
                .add_run(Run::new().add_tab())
                .add_run(Run::new().add_text("2")),
        )
        // The field is never ended: the body must survive.
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text("Body text stays.")));
    let doc = ingest::parse(&fixture::pack(docx)).unwrap();
    assert_eq!(doc.toc.len(), 1);
    assert_eq!(doc.toc[0].text, "Synopsis");
    assert_eq!(doc.toc[0].page_label.as_deref(), Some("2"));
    let body: Vec<&str> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(body, vec!["Body text stays."]);
}

#[test]
fn content_types_entry_without_attributes_is_malformed_not_a_panic() {
    let bytes = rewrite(&fixture::protocol(), "[Content_Types].xml", |d| {
        String::from_utf8_lossy(d)
            .replacen("<Override ", "<Override/><Override ", 1)
            .into_bytes()
    });
    match ingest::parse(&bytes) {
        Err(IngestError::Malformed { reason, .. }) => {
            assert!(reason.contains("[Content_Types].xml"), "{reason}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// The smallest package Word opens, as some generators write it: `[Content_Types].xml`,
/// `_rels/.rels` and `word/document.xml`, without `word/_rels/document.xml.rels` (the
/// format does not require a part's relationships). It is read, not refused.
#[test]
fn a_minimal_docx_without_document_relationships_is_read() {
    let parts: [(&str, &str); 3] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
        ),
        (
            "word/document.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Doses are given once daily. Visits are weekly.</w:t></w:r></w:p></w:body></w:document>"#,
        ),
    ];
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, xml) in parts {
        out.start_file(name, opts).unwrap();
        out.write_all(xml.as_bytes()).unwrap();
    }
    let bytes = out.finish().unwrap().into_inner();
    let doc = ingest::parse(&bytes).expect("a minimal DOCX is read");
    assert_eq!(doc.metadata.format, Format::Docx);
    assert_eq!(doc.blocks.len(), 1, "{:?}", doc.blocks);
    assert_eq!(doc.blocks[0].sentences.len(), 2);
    assert_eq!(
        doc.blocks[0].text,
        "Doses are given once daily. Visits are weekly."
    );
}

//! The PDF back-end on fixtures written with lopdf (see `testkit::pdf`): every expectation below
//! is a fact the fixture was built with.
#![allow(clippy::unwrap_used)]

use testkit::pdf as pdfgen;

use ingest::{BlockKind, Document, Format, IngestError, Limits};
use pdfgen::{Options, Page};

fn body(doc: &Document) -> String {
    doc.blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn headings(doc: &Document) -> Vec<(u8, Option<String>, String)> {
    doc.blocks
        .iter()
        .filter_map(|b| match &b.kind {
            BlockKind::Heading { level, number } => Some((*level, number.clone(), b.text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn protocol_metadata() {
    let bytes = pdfgen::protocol();
    let doc = ingest::parse(&bytes).unwrap();
    assert_eq!(doc.metadata.format, Format::Pdf);
    assert_eq!(doc.metadata.page_count, Some(4));
    assert_eq!(doc.metadata.title.as_deref(), Some("Fixture Protocol"));
    assert_eq!(
        doc.metadata.producer.as_deref(),
        Some("dualcheck test fixtures")
    );
    assert_eq!(doc.metadata.sha256, ingest::sha256_hex(&bytes));
    assert!(
        doc.metadata.warnings.is_empty(),
        "{:?}",
        doc.metadata.warnings
    );
}

#[test]
fn numbered_headings_with_levels_and_numbers() {
    let doc = ingest::parse(&pdfgen::protocol()).unwrap();
    let hs = headings(&doc);
    let find = |t: &str| {
        hs.iter()
            .find(|h| h.2 == t)
            .unwrap_or_else(|| panic!("no heading {t:?} in {hs:?}"))
    };
    assert_eq!(find("1 Introduction").0, 1);
    assert_eq!(find("1 Introduction").1.as_deref(), Some("1"));
    assert_eq!(find("2.1 Primary Objective").0, 2);
    assert_eq!(find("2.1 Primary Objective").1.as_deref(), Some("2.1"));
    assert_eq!(find("2.2 Exacerbation Rates").1.as_deref(), Some("2.2"));
    assert_eq!(find("3 Safety Reporting").0, 1);
    // The larger bold title is a heading too, and pages are recorded.
    assert!(hs.iter().any(|h| h.2 == "Clinical Study Protocol"));
    let intro = doc
        .blocks
        .iter()
        .find(|b| b.text == "1 Introduction")
        .unwrap();
    assert_eq!(intro.page, Some(2));
}

#[test]
fn lines_join_into_a_paragraph_and_hyphenation_is_undone() {
    let doc = ingest::parse(&pdfgen::protocol()).unwrap();
    let para = doc
        .blocks
        .iter()
        .find(|b| b.text.starts_with("The study evaluates"))
        .unwrap_or_else(|| panic!("paragraph missing:\n{}", body(&doc)));
    assert!(matches!(para.kind, BlockKind::Paragraph));
    assert_eq!(
        para.text,
        "The study evaluates the safety and tolerability of examplumab in adults with mild \
         asthma, e.g. those using a rescue inhaler. The response rate was 5.6% vs. 3.2% \
         (p<0.05). Dr. Smith led the review of all results."
    );
    let sentences: Vec<&str> = para.sentences.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        sentences,
        [
            "The study evaluates the safety and tolerability of examplumab in adults with mild asthma, e.g. those using a rescue inhaler.",
            "The response rate was 5.6% vs. 3.2% (p<0.05).",
            "Dr. Smith led the review of all results.",
        ]
    );
    // Offsets point into the block text.
    for s in &para.sentences {
        assert_eq!(&para.text[s.start..s.end], s.text);
    }
}

#[test]
fn bullets_become_list_items() {
    let doc = ingest::parse(&pdfgen::protocol()).unwrap();
    let items: Vec<(String, String)> = doc
        .blocks
        .iter()
        .filter_map(|b| match &b.kind {
            BlockKind::ListItem { marker, .. } => {
                Some((marker.clone().unwrap_or_default(), b.text.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        items,
        [
            (
                "•".to_string(),
                "Participants receive 50 mg once daily.".to_string()
            ),
            (
                "•".to_string(),
                "No dose may exceed 100 mg per day.".to_string()
            ),
        ]
    );
}

#[test]
fn aligned_columns_become_a_table() {
    let doc = ingest::parse(&pdfgen::protocol()).unwrap();
    let rows: Vec<Vec<String>> = doc
        .blocks
        .iter()
        .find_map(|b| match &b.kind {
            BlockKind::Table { rows } => Some(
                rows.iter()
                    .map(|r| r.iter().map(|c| c.text.clone()).collect())
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no table in:\n{}", body(&doc)));
    assert_eq!(
        rows,
        [
            ["Group", "Participants", "Rate"],
            ["Placebo", "86", "12.1%"],
            ["Examplumab 50 mg", "84", "7.4%"],
        ]
    );
    // The sentence after the table is its own paragraph.
    assert!(doc.blocks.iter().any(|b| b.text
        == "Exacerbations were less frequent with examplumab than with placebo."
        && matches!(b.kind, BlockKind::Paragraph)));
}

#[test]
fn headers_footers_and_toc_are_kept_out_of_the_body() {
    let doc = ingest::parse(&pdfgen::protocol()).unwrap();
    let text = body(&doc);
    assert!(
        !text.contains("CONFIDENTIAL"),
        "header leaked into body:\n{text}"
    );
    assert!(
        !text.contains("Page 2 of 4"),
        "footer leaked into body:\n{text}"
    );
    assert!(!text.contains("....."), "TOC leaked into body:\n{text}");
    assert!(
        doc.headers.iter().any(|h| h.text == pdfgen::HEADER),
        "{:?}",
        doc.headers
    );
    assert!(
        doc.footers
            .iter()
            .any(|f| f.text == "Page # of 4" && f.pages == [1, 2, 3, 4]),
        "{:?}",
        doc.footers
    );
    let toc: Vec<(&str, Option<&str>)> = doc
        .toc
        .iter()
        .map(|e| (e.text.as_str(), e.page_label.as_deref()))
        .collect();
    assert_eq!(
        toc,
        [
            ("1 Introduction", Some("2")),
            ("2 Study Objectives", Some("2")),
            ("2.1 Primary Objective", Some("3")),
            ("3 Safety Reporting", Some("4")),
        ]
    );
    assert_eq!(doc.toc[2].number.as_deref(), Some("2.1"));
}

#[test]
fn type0_font_decodes_through_to_unicode_with_ligatures() {
    let doc = ingest::parse(&pdfgen::protocol()).unwrap();
    assert!(
        doc.blocks.iter().any(|b| b.text
            == "The final safety data are reported in the Café Study naïve cohort."),
        "{}",
        body(&doc)
    );
}

#[test]
fn type0_font_without_to_unicode_is_reported() {
    let mut p = Page::default();
    p.text("F1", 10.0, 72.0, 700.0, "Readable text in a simple font.");
    p.type0(10.0, 72.0, 680.0, "The final data.");
    let bytes = pdfgen::build(
        &[p],
        &Options {
            to_unicode: false,
            ..Options::default()
        },
    );
    let doc = ingest::parse(&bytes).unwrap();
    assert!(body(&doc).contains("Readable text in a simple font."));
    assert!(
        doc.metadata
            .warnings
            .iter()
            .any(|w| w.code == "unknown_font_encoding"),
        "{:?}",
        doc.metadata.warnings
    );
}

#[test]
fn a_scan_without_text_has_a_no_text_layer_warning() {
    let mut p = Page::default();
    p.rect(72.0, 72.0, 400.0, 600.0);
    let doc = ingest::parse(&pdfgen::build(&[p], &Options::default())).unwrap();
    assert!(doc.blocks.is_empty());
    assert!(
        doc.metadata
            .warnings
            .iter()
            .any(|w| w.code == "no_text_layer")
    );
}

#[test]
fn uncompressed_streams_read_the_same() {
    let mut p = Page::default();
    p.text("F2", 14.0, 72.0, 700.0, "4 Statistics");
    p.lines(
        72.0,
        675.0,
        &["Analyses use a mixed model. Missing data are not imputed."],
    );
    for compress in [true, false] {
        let doc = ingest::parse(&pdfgen::build(
            std::slice::from_ref(&p),
            &Options {
                compress,
                ..Options::default()
            },
        ))
        .unwrap();
        assert_eq!(headings(&doc)[0].2, "4 Statistics");
        assert_eq!(doc.blocks[1].sentences.len(), 2);
    }
}

#[test]
fn page_limit_is_enforced() {
    let pages: Vec<Page> = (0..3)
        .map(|i| {
            let mut p = Page::default();
            p.text("F1", 10.0, 72.0, 700.0, &format!("Page body {i}."));
            p
        })
        .collect();
    let bytes = pdfgen::build(&pages, &Options::default());
    let limits = Limits {
        max_pages: 2,
        ..Limits::default()
    };
    match ingest::parse_with(&bytes, &limits) {
        Err(e @ IngestError::TooManyPages { pages: 3, limit: 2 }) => {
            assert!(e.to_string().contains('3'), "{e}");
        }
        other => panic!("expected TooManyPages, got {other:?}"),
    }
    assert!(ingest::parse(&bytes).is_ok());
}

#[test]
fn decoded_bytes_are_bounded_over_the_document() {
    let pages: Vec<Page> = (0..6)
        .map(|i| {
            let mut p = Page::default();
            for k in 0..20 {
                let y = 700.0 - k as f32 * 12.0;
                p.text(
                    "F1",
                    10.0,
                    72.0,
                    y,
                    &format!("Line {k} of page {i}, a few words more."),
                );
            }
            p
        })
        .collect();
    let bytes = pdfgen::build(&pages, &Options::default());
    // Each page decodes to about 1.5 KB: six pages pass 3,000 bytes in all, not one page.
    let limits = Limits {
        max_decoded_bytes: 3_000,
        ..Limits::default()
    };
    match ingest::parse_with(&bytes, &limits) {
        Err(e @ IngestError::DecodedLimit { limit: 3_000 }) => {
            assert_eq!(e.code(), "decoded_limit");
            assert!(e.to_string().contains("ingest.max_decoded_bytes"), "{e}");
        }
        other => panic!("expected DecodedLimit, got {other:?}"),
    }
    let roomy = Limits {
        max_decoded_bytes: 100_000,
        ..Limits::default()
    };
    assert!(ingest::parse_with(&bytes, &roomy).is_ok());
}

#[test]
fn broken_pdfs_are_typed_errors() {
    let good = pdfgen::protocol();
    // Only a header.
    assert!(matches!(
        ingest::parse(b"%PDF-1.7\n"),
        Err(IngestError::Malformed { .. })
    ));
    // Cut in half: either recovered or a typed malformed error, never a panic.
    match ingest::parse(&good[..good.len() / 2]) {
        Ok(_) | Err(IngestError::Malformed { .. } | IngestError::ParserFailed { .. }) => {}
        Err(e) => panic!("unexpected error kind {e:?}"),
    }
}

#[test]
fn an_encrypted_pdf_is_refused_with_a_clear_error() {
    let mut p = Page::default();
    p.text("F1", 10.0, 72.0, 700.0, "Secret text.");
    let bytes = pdfgen::build(
        &[p],
        &Options {
            locked: true,
            ..Options::default()
        },
    );
    let err = ingest::parse(&bytes).unwrap_err();
    assert!(matches!(err, IngestError::Encrypted), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("password"), "{err}");
}

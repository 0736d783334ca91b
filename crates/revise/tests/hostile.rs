//! Damaged and hostile packages end in a [`ReviseError`], never a panic: not a ZIP, a
//! zip bomb, too many entries, missing parts, malformed or too deep XML, an unsupported
//! dialect; and some thousands of truncated and bit-flipped variants (fixed seed) of a
//! package and of its main part.
#![allow(clippy::unwrap_used)]

mod common;

use common::{CONTENT_TYPES, PACKAGE_RELS, W_NS, document_xml, edit, package, para, zip_of};
use revise::{Edit, Limits, Options, ReviseError, apply_tracked_changes};

fn edits() -> Vec<Edit> {
    let mut e = edit(
        "s",
        "Alpha beta gamma delta.",
        0,
        "Alpha beta epsilon delta.",
    );
    e.comment = Some("Accepted by QA".into());
    vec![e, edit("t", "Second one here.", 0, "Second one there.")]
}

fn with_main(doc: &[u8]) -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("word/document.xml", doc),
    ])
}

fn err(bytes: &[u8], opts: &Options) -> ReviseError {
    apply_tracked_changes(bytes, &edits(), opts).expect_err("an error")
}

#[test]
fn what_is_not_a_docx_package_is_an_error() {
    let opts = Options::default();
    assert_eq!(err(b"", &opts).code(), "not_a_package");
    assert_eq!(
        err(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", &opts).code(),
        "not_a_package"
    );
    let small = Options {
        limits: Limits {
            max_bytes: 100,
            ..Limits::default()
        },
        ..Options::default()
    };
    assert!(matches!(
        err(&package(&para(&["Alpha beta gamma delta."])), &small),
        ReviseError::TooLarge { limit: 100, .. }
    ));
}

#[test]
fn missing_parts_are_named() {
    let opts = Options::default();
    let no_main = zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
    ]);
    match err(&no_main, &opts) {
        ReviseError::MissingPart { part } => assert_eq!(part, "word/document.xml"),
        e => panic!("{e}"),
    }
    let doc = document_xml(&para(&["Alpha beta gamma delta."]));
    let no_types = zip_of(&[("word/document.xml", doc.as_bytes())]);
    match err(&no_types, &opts) {
        ReviseError::MissingPart { part } => assert_eq!(part, "[Content_Types].xml"),
        e => panic!("{e}"),
    }
}

#[test]
fn malformed_and_unsupported_xml_is_an_error() {
    let opts = Options::default();
    let ns = format!(r#"<w:document xmlns:w="{W_NS}"><w:body>"#);
    for (what, xml) in [
        (
            "mismatched",
            format!("{ns}<w:p><w:r><w:t>Alpha</w:r></w:p></w:body></w:document>"),
        ),
        (
            "truncated",
            format!("{ns}<w:p><w:r><w:t>Alpha beta gamma delta.</w:t></w:r>"),
        ),
        (
            "entity",
            format!("{ns}<w:p><w:r><w:t>Alpha &nbsp; beta</w:t></w:r></w:p></w:body></w:document>"),
        ),
        (
            "bad char ref",
            format!("{ns}<w:p><w:r><w:t>Alpha &#0; beta</w:t></w:r></w:p></w:body></w:document>"),
        ),
        ("no element", "<?xml version=\"1.0\"?>".to_string()),
        (
            "too deep",
            format!(
                "{ns}<w:p>{}<w:r><w:t>Alpha beta gamma delta.</w:t></w:r>{}</w:p></w:body></w:document>",
                "<w:hyperlink>".repeat(300),
                "</w:hyperlink>".repeat(300)
            ),
        ),
    ] {
        let e = err(&with_main(xml.as_bytes()), &opts);
        assert_eq!(e.code(), "malformed_xml", "{what}: {e}");
        assert!(e.to_string().contains("word/document.xml"), "{what}: {e}");
    }
    for (what, xml) in [
        ("strict", r#"<w:document xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main"><w:body/></w:document>"#.to_string()),
        ("not a document", format!(r#"<w:styles xmlns:w="{W_NS}"/>"#)),
        ("no namespace", "<w:document><w:body/></w:document>".to_string()),
    ] {
        let e = err(&with_main(xml.as_bytes()), &opts);
        assert_eq!(e.code(), "unsupported", "{what}: {e}");
    }
    let mut utf16 = vec![0xFF, 0xFE];
    for u in document_xml("").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(err(&with_main(&utf16), &opts).code(), "unsupported");
}

#[test]
fn zip_bombs_and_oversized_archives_stop_at_the_limits() {
    let doc = document_xml(&para(&["Alpha beta gamma delta."]));
    // 8 MiB of zeros deflate about a thousand times: over the ratio limit of 100.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let bomb = zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
        ("word/media/zeros.bin", &zeros),
    ]);
    assert!(bomb.len() < 100_000);
    let e = err(&bomb, &Options::default());
    assert_eq!(e.code(), "limit_exceeded", "{e}");
    let limited = |l: Limits| Options {
        limits: l,
        ..Options::default()
    };
    // The archive's inflated total.
    let e = err(
        &bomb,
        &limited(Limits {
            max_compression_ratio: 10_000,
            max_uncompressed_bytes: 4 * 1024 * 1024,
            ..Limits::default()
        }),
    );
    assert!(e.to_string().contains("inflated bytes"), "{e}");
    // One XML part's size.
    let e = err(
        &package(&para(&["Alpha beta gamma delta."])),
        &limited(Limits {
            max_xml_part_bytes: 500,
            ..Limits::default()
        }),
    );
    assert!(e.to_string().contains("XML part"), "{e}");
    // The number of entries.
    let e = err(
        &package(&para(&["Alpha beta gamma delta."])),
        &limited(Limits {
            max_entries: 3,
            ..Limits::default()
        }),
    );
    assert!(e.to_string().contains("entries"), "{e}");
}

/// xorshift64*: a fixed-seed stream for the mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn truncated_and_bit_flipped_variants_never_panic() {
    let body = format!(
        "{}{}<w:tbl><w:tr><w:tc>{}</w:tc></w:tr></w:tbl>",
        para(&["Alpha beta ", "gamma delta. Second one here."]),
        r#"<w:p><w:hyperlink r:id="rId5"><w:r><w:t>Linked text.</w:t></w:r></w:hyperlink><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>"#,
        para(&["Cell &amp; text."])
    );
    let good = package(&body);
    let doc = document_xml(&body).into_bytes();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut errors) = (0usize, 0usize);
    let mut run = |bytes: &[u8]| match apply_tracked_changes(bytes, &edits(), &Options::default()) {
        Ok(_) => ok += 1,
        Err(_) => errors += 1,
    };
    // The package: truncated, and bytes flipped.
    for i in 0..200 {
        run(&good[..good.len() * i / 200]);
    }
    for _ in 0..1500 {
        let mut b = good.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(b.len());
            b[at] ^= 1 << rng.below(8);
        }
        run(&b);
    }
    // The main part: truncated, bytes flipped or replaced by markup, then re-zipped.
    for i in 0..300 {
        run(&with_main(&doc[..doc.len() * i / 300]));
    }
    let specials = b"<>/&;\"'=:#x0 ";
    for _ in 0..1500 {
        let mut d = doc.clone();
        for _ in 0..=rng.below(6) {
            let at = rng.below(d.len());
            d[at] = if rng.below(2) == 0 {
                d[at] ^ (1 << rng.below(8))
            } else {
                specials[rng.below(specials.len())]
            };
        }
        run(&with_main(&d));
    }
    assert!(ok > 0 && errors > 0, "{ok} ok, {errors} errors");
}

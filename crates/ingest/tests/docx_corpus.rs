//! Conformance and mutation runs of the DOCX back-end over real Word files
//! (`../shared/corpus/docx`, the python-docx test files) and the fixtures built here.
//!
//! - conformance: every corpus file is a valid Word file and must parse `Ok`; a per-file
//!   line is printed (blocks, headings, tables, notes, warnings, word recall) and a few
//!   known contents are checked. Word recall: every word of the main part's `w:t` text,
//!   read independently with quick-xml, must appear in the ingested body or TOC (the
//!   corpus has no tracked deletions, whose text is `w:delText` anyway);
//! - mutation: truncated and bit-flipped variants (fixed seed, bounded count) must end in
//!   `Ok` or a typed [`IngestError`], never a panic escaping `ingest::parse` nor a hang.
//!   A second family mutates the XML *inside* the archive (the main document and styles
//!   parts truncated or bit-flipped, then re-zipped) so the XML readers, not only the ZIP
//!   CRC checks, see hostile bytes; each such parse runs under a 20 s watchdog so a hang
//!   fails the test with the variant named. About 4,000 variants; ~10 s in a debug build.
//!
//! Both skip politely (with a message) when the corpus is absent, and fail instead under
//! `DUALCHECK_REQUIRE_SHARED=1` (CI).
#![allow(clippy::unwrap_used)]

use testkit::docx as fixture;

use ingest::{BlockKind, Document};
use std::path::PathBuf;
use testkit::{Require, skip};

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/docx");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "docx"))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

/// Words of every `w:t` in the main document part, read independently with quick-xml.
fn xml_words(bytes: &[u8]) -> Vec<String> {
    use std::io::Read;
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = Vec::new();
    a.by_name("word/document.xml")
        .unwrap()
        .read_to_end(&mut xml)
        .unwrap();
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let (mut in_t, mut text) = (false, String::new());
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.local_name().as_ref() == b"t" => {
                in_t = true
            }
            Ok(quick_xml::events::Event::End(e)) if e.local_name().as_ref() == b"t" => in_t = false,
            // Runs split words anywhere; only paragraphs, cells, tabs and breaks separate.
            Ok(quick_xml::events::Event::End(e))
                if matches!(e.local_name().as_ref(), b"p" | b"tc") =>
            {
                text.push(' ')
            }
            Ok(quick_xml::events::Event::Empty(e))
                if matches!(e.local_name().as_ref(), b"tab" | b"br" | b"cr") =>
            {
                text.push(' ')
            }
            Ok(quick_xml::events::Event::Text(t)) if in_t => text.push_str(&t.decode().unwrap()),
            Ok(quick_xml::events::Event::GeneralRef(r)) if in_t => {
                match r.resolve_char_ref().ok().flatten() {
                    Some(c) => text.push(c),
                    None => text.push_str(match r.decode().unwrap().as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        _ => "'",
                    }),
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => panic!("{e}"),
            _ => {}
        }
    }
    text.split_whitespace().map(str::to_string).collect()
}

/// Words of the document as ingested: body blocks (table cells included) and TOC lines.
fn doc_words(doc: &Document) -> Vec<String> {
    let mut text = String::new();
    for b in &doc.blocks {
        text.push_str(&b.text);
        text.push(' ');
    }
    for e in &doc.toc {
        text.push_str(&e.text);
        text.push(' ');
    }
    text.split_whitespace().map(str::to_string).collect()
}

/// Share of `expected` words (as a multiset) found in `got`.
fn recall(expected: &[String], got: &[String]) -> f64 {
    if expected.is_empty() {
        return 1.0;
    }
    let mut pool: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for w in got {
        *pool.entry(w.as_str()).or_default() += 1;
    }
    let mut hit = 0;
    for w in expected {
        if let Some(n) = pool.get_mut(w.as_str()).filter(|n| **n > 0) {
            *n -= 1;
            hit += 1;
        }
    }
    hit as f64 / expected.len() as f64
}

fn tables(doc: &Document) -> usize {
    doc.blocks
        .iter()
        .filter(|b| matches!(b.kind, BlockKind::Table { .. }))
        .count()
}

#[test]
fn every_corpus_docx_parses() {
    let Some(files) = corpus() else {
        skip(Require::Shared, "../shared/corpus/docx is not present");
        return;
    };
    println!(
        "{:<58} {:>6} {:>5} {:>5} {:>4} {:>4} {:>4} {:>4} {:>6}  warnings",
        "file", "blocks", "head", "table", "hdr", "ftr", "note", "rev", "recall"
    );
    let mut failures = Vec::new();
    let mut docs = std::collections::HashMap::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        match ingest::parse(&bytes) {
            Ok(doc) => {
                let r = recall(&xml_words(&bytes), &doc_words(&doc));
                if r < 1.0 {
                    failures.push(format!("{name}: word recall {r:.3} against the w:t text"));
                }
                println!(
                    "{:<58} {:>6} {:>5} {:>5} {:>4} {:>4} {:>4} {:>4} {:>6.3}  {}",
                    name,
                    doc.blocks.len(),
                    doc.headings().count(),
                    tables(&doc),
                    doc.headers.len(),
                    doc.footers.len(),
                    doc.notes.len(),
                    doc.revisions.len(),
                    r,
                    doc.metadata
                        .warnings
                        .iter()
                        .map(|w| w.code.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
                docs.insert(name, doc);
            }
            Err(e) => {
                println!("{name:<58} ERROR {e}");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "corpus files failed: {failures:#?}");

    let get = |suffix: &str| {
        docs.iter()
            .find(|(n, _)| n.ends_with(suffix))
            .map(|(_, d)| d)
    };
    // Tables with text give table blocks (tables whose cells are all empty, such as
    // tbl-2x2-table.docx, are dropped like every empty block).
    for f in [
        "tbl-cell-access.docx",
        "tbl-having-applied-style.docx",
        "blk-paras-and-tables.docx",
    ] {
        if let Some(d) = get(f) {
            assert!(tables(d) >= 1, "{f} gives a table");
        }
    }
    if let Some(d) = get("hdr-header-footer.docx") {
        assert!(!d.headers.is_empty(), "hdr-header-footer gives headers");
        assert!(!d.footers.is_empty(), "hdr-header-footer gives footers");
    }
    if let Some(d) = get("comments-rich-para.docx") {
        assert!(
            d.notes
                .iter()
                .any(|n| n.kind == "comment" && !n.text.is_empty()),
            "comments-rich-para gives a comment"
        );
    }
    if let Some(d) = get("doc-coreprops.docx") {
        assert!(
            d.metadata.title.is_some() || d.metadata.author.is_some(),
            "doc-coreprops gives title or author"
        );
    }
    if let Some(d) = get("par-known-styles.docx") {
        assert!(d.headings().count() >= 1, "par-known-styles has a heading");
    }
}

/// xorshift64*: a fixed-seed generator so every run mutates the same bytes.
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

/// Run `ingest::parse` on variants of `bytes`; return how many ended in Ok and in Err.
/// Parse on a worker thread; fail the test if it does not finish within 20 s.
fn parse_with_watchdog(v: Vec<u8>, what: &str) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| ingest::parse(&v).map(|_| ()));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(Ok(r)) => r.map_err(|e| e.to_string()),
        Ok(Err(_)) => panic!("{what} escaped ingest::parse as a panic"),
        Err(_) => panic!("{what} did not finish within 20 s"),
    }
}

/// Re-zip `bytes` with the entry `part` replaced by `f(part bytes)`. `None` when absent.
fn with_part(bytes: &[u8], part: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> Option<Vec<u8>> {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    src.index_for_name(part)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..src.len() {
        let mut e = src.by_index(i).ok()?;
        let name = e.name().to_string();
        let mut data = Vec::new();
        e.read_to_end(&mut data).ok()?;
        let data = if name == part { f(&data) } else { data };
        out.start_file(name, opts).ok()?;
        out.write_all(&data).ok()?;
    }
    Some(out.finish().ok()?.into_inner())
}

/// Mutate the XML of `part` inside the archive; return (ok, err).
fn mutate_part(name: &str, bytes: &[u8], part: &str, rng: &mut Rng, n: usize) -> (usize, usize) {
    let (mut ok, mut err) = (0, 0);
    let Some(len) = with_part(bytes, part, |d| d.to_vec()).map(|_| {
        use std::io::Read;
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut d = Vec::new();
        a.by_name(part).unwrap().read_to_end(&mut d).unwrap();
        d.len()
    }) else {
        return (0, 0);
    };
    for k in 0..n {
        let cut = rng.below(len);
        let flips: Vec<(usize, u8)> = (0..1 + rng.below(6))
            .map(|_| (rng.below(len), 1u8 << rng.below(8)))
            .collect();
        let truncate = k % 3 == 0;
        let v = with_part(bytes, part, |d| {
            if truncate {
                d[..cut.min(d.len())].to_vec()
            } else {
                let mut d = d.to_vec();
                for (i, bit) in &flips {
                    if let Some(b) = d.get_mut(*i) {
                        *b ^= bit;
                    }
                }
                d
            }
        })
        .unwrap();
        let what = if truncate {
            format!("{name}: {part} truncated at {cut}")
        } else {
            format!("{name}: {part} bits flipped at {flips:?}")
        };
        if std::env::var_os("DOCX_MUTATION_TRACE").is_some() {
            eprintln!("variant {what}");
        }
        match parse_with_watchdog(v, &what) {
            Ok(()) => ok += 1,
            Err(_) => err += 1,
        }
    }
    (ok, err)
}

fn mutate(name: &str, bytes: &[u8], rng: &mut Rng, variants: usize) -> (usize, usize) {
    let (mut ok, mut err) = (0, 0);
    let mut check = |v: &[u8], what: String| {
        // catch_unwind here too: a panic escaping ingest::parse is a failure of this test,
        // reported with the variant that caused it.
        if std::env::var_os("DOCX_MUTATION_TRACE").is_some() {
            eprintln!("variant {name}: {what}");
        }
        let r = std::panic::catch_unwind(|| ingest::parse(v));
        match r {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(_)) => err += 1,
            Err(_) => panic!("{name}: {what} escaped ingest::parse as a panic"),
        }
    };
    // Truncations at fixed fractions and random points.
    for i in 1..8 {
        let cut = bytes.len() * i / 8;
        check(&bytes[..cut], format!("truncated at {cut}"));
    }
    for _ in 0..variants / 4 {
        let cut = rng.below(bytes.len());
        check(&bytes[..cut], format!("truncated at {cut}"));
    }
    // Bit flips: 1 to 8 bits anywhere.
    for _ in 0..variants - variants / 4 {
        let mut v = bytes.to_vec();
        let flips = 1 + rng.below(8);
        let mut at = Vec::new();
        for _ in 0..flips {
            let i = rng.below(v.len());
            v[i] ^= 1 << rng.below(8);
            at.push(i);
        }
        check(&v, format!("bits flipped at {at:?}"));
    }
    (ok, err)
}

#[test]
fn mutated_docx_end_in_ok_or_typed_error() {
    // Quiet the default panic hook's output for panics that lib.rs contains.
    let mut rng = Rng(0x5EED_D0C5);
    let started = std::time::Instant::now();
    let fixture = fixture::protocol();
    let (ok, err) = mutate("fixture", &fixture, &mut rng, 400);
    println!("fixture: {ok} ok, {err} typed errors");
    let mut total = ok + err;
    for part in ["word/document.xml", "word/styles.xml", "word/numbering.xml"] {
        let (ok, err) = mutate_part("fixture", &fixture, part, &mut rng, 150);
        println!("fixture {part}: {ok} ok, {err} typed errors");
        total += ok + err;
    }
    if let Some(files) = corpus() {
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let (ok, err) = mutate(&path.display().to_string(), &bytes, &mut rng, 40);
            total += ok + err;
            let short = path.file_name().unwrap().to_string_lossy().to_string();
            for part in ["word/document.xml", "word/styles.xml"] {
                let (o, e) = mutate_part(&short, &bytes, part, &mut rng, 20);
                total += o + e;
            }
            println!(
                "{}: {ok} ok, {err} typed errors",
                path.file_name().unwrap().to_string_lossy()
            );
        }
    } else {
        skip(
            Require::Shared,
            "the corpus part: ../shared/corpus/docx is not present",
        );
    }
    println!("{total} variants in {:?}", started.elapsed());
}

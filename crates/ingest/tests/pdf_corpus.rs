//! Conformance and mutation runs of the PDF back-end over PDFs written by others
//! (`../shared/corpus/pdf`, the pdfplumber test files; `../shared/corpus/clinical`, three
//! public protocols) and the fixtures of `testkit::pdf`.
//!
//! - conformance: every corpus PDF ends cleanly (`Ok`, or a typed error for the files that
//!   are meant to fail: the password-protected one is `Encrypted`); a per-file line is
//!   printed. On the clinical protocols, the extracted words (body, running headers and
//!   footers once per page, table of contents) agree with poppler's `pdftotext` at
//!   word-multiset F1 >= 0.97 per file (skipped with a message when `pdftotext` is absent);
//! - mutation: truncated and bit-flipped variants (fixed seed, bounded count) of the fixtures
//!   and of every corpus PDF end in `Ok` or a typed [`ingest::IngestError`], never a panic
//!   escaping `ingest::parse` nor a hang (each parse runs under a 30 s watchdog).
//!
//! Both skip politely when the corpus is absent (and fail under `DUALCHECK_REQUIRE_SHARED=1`,
//! as in CI; a missing `pdftotext` fails under `DUALCHECK_REQUIRE_TOOLS=1`).
#![allow(clippy::unwrap_used)]

use testkit::pdf as pdfgen;

use ingest::{BlockKind, Document, IngestError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::{Require, skip};

fn corpus(sub: &str) -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(sub);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Words as runs of letters and digits, lower-cased (punctuation and dot leaders dropped).
fn words(text: &str, out: &mut HashMap<String, usize>) {
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *out.entry(w.to_lowercase()).or_default() += 1;
    }
}

/// Every word the document holds: body (table cells included), headers and footers once
/// per page they are on, table of contents.
fn doc_words(doc: &Document) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for b in &doc.blocks {
        match &b.kind {
            BlockKind::Table { rows } => {
                for c in rows.iter().flatten() {
                    words(&c.text, &mut m);
                }
            }
            _ => words(&b.text, &mut m),
        }
    }
    for f in doc.headers.iter().chain(&doc.footers) {
        for _ in &f.pages {
            words(&f.text, &mut m);
        }
    }
    for t in &doc.toc {
        words(&t.text, &mut m);
        if let Some(l) = &t.page_label {
            words(l, &mut m);
        }
    }
    m
}

fn f1(expected: &HashMap<String, usize>, got: &HashMap<String, usize>) -> (f64, f64, f64) {
    let common: usize = expected
        .iter()
        .map(|(w, n)| (*n).min(got.get(w).copied().unwrap_or(0)))
        .sum();
    let e: usize = expected.values().sum();
    let g: usize = got.values().sum();
    let p = common as f64 / g.max(1) as f64;
    let r = common as f64 / e.max(1) as f64;
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

fn pdftotext(path: &Path) -> Option<String> {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn every_corpus_pdf_ends_cleanly() {
    let Some(files) = corpus("pdf") else {
        skip(Require::Shared, "../shared/corpus/pdf is absent or empty");
        return;
    };
    println!(
        "{:<48} {:>6} {:>6} {:>6} {:>6}  outcome",
        "file", "pages", "blocks", "heads", "tables"
    );
    let mut ok = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let n = name(path);
        match parse_with_watchdog(bytes, &n) {
            Ok(doc) => {
                ok += 1;
                let tables = doc
                    .blocks
                    .iter()
                    .filter(|b| matches!(b.kind, BlockKind::Table { .. }))
                    .count();
                let warnings: Vec<&str> = doc
                    .metadata
                    .warnings
                    .iter()
                    .map(|w| w.code.as_str())
                    .collect();
                println!(
                    "{n:<48} {:>6} {:>6} {:>6} {:>6}  ok {warnings:?}",
                    doc.metadata.page_count.unwrap_or(0),
                    doc.blocks.len(),
                    doc.headings().count(),
                    tables
                );
            }
            Err(e) => println!(
                "{n:<48} {:>6} {:>6} {:>6} {:>6}  {}: {e}",
                "",
                "",
                "",
                "",
                e.code()
            ),
        }
        if n == "password-example.pdf" {
            let r = ingest::parse(&std::fs::read(path).unwrap());
            assert!(matches!(r, Err(IngestError::Encrypted)), "{n}: {r:?}");
        }
    }
    // Every file but the password-protected one and the deliberately broken one reads.
    assert!(ok + 2 >= files.len(), "{ok} of {} read", files.len());
}

#[test]
fn clinical_protocols_agree_with_pdftotext() {
    let Some(files) = corpus("clinical") else {
        skip(
            Require::Shared,
            "../shared/corpus/clinical is absent or empty",
        );
        return;
    };
    if Command::new("pdftotext").arg("-v").output().is_err() {
        skip(Require::Tools, "pdftotext (poppler-utils) is not installed");
        return;
    }
    println!(
        "{:<40} {:>5} {:>7} {:>7} {:>9} {:>7} {:>7}",
        "file", "pages", "words", "poppler", "precision", "recall", "F1"
    );
    let mut failures = Vec::new();
    for path in &files {
        let doc = ingest::parse(&std::fs::read(path).unwrap()).unwrap();
        let mut expected = HashMap::new();
        words(&pdftotext(path).unwrap(), &mut expected);
        let got = doc_words(&doc);
        let (p, r, f) = f1(&expected, &got);
        println!(
            "{:<40} {:>5} {:>7} {:>7} {:>9.4} {:>7.4} {:>7.4}",
            name(path),
            doc.metadata.page_count.unwrap_or(0),
            got.values().sum::<usize>(),
            expected.values().sum::<usize>(),
            p,
            r,
            f
        );
        if f < 0.97 {
            failures.push(format!("{}: F1 {f:.4}", name(path)));
        }
    }
    assert!(failures.is_empty(), "below 0.97: {failures:?}");
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

/// Parse on a worker thread; fail the test if a panic escapes or it takes over 30 s.
fn parse_with_watchdog(v: Vec<u8>, what: &str) -> Result<Document, IngestError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| ingest::parse(&v));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => panic!("{what} escaped ingest::parse as a panic"),
        Err(_) => panic!("{what} did not finish within 30 s"),
    }
}

/// `variants` truncated and bit-flipped copies of `bytes`; returns (ok, typed errors).
fn mutate(what: &str, bytes: &[u8], rng: &mut Rng, variants: usize) -> (usize, usize) {
    let (mut ok, mut err) = (0, 0);
    if bytes.is_empty() {
        return (ok, err);
    }
    for i in 0..variants {
        let mut v = bytes.to_vec();
        let label = if i % 3 == 0 {
            let cut = rng.below(v.len());
            v.truncate(cut);
            format!("{what} truncated at {cut}")
        } else {
            // Flip 1 to 16 random bits; half the time inside the first or last 2 KiB, where
            // the header, the cross-reference table and the trailer live.
            let flips = 1 + rng.below(16);
            for _ in 0..flips {
                let at = match rng.below(4) {
                    0 => rng.below(v.len().min(2048)),
                    1 => v.len() - 1 - rng.below(v.len().min(2048)),
                    _ => rng.below(v.len()),
                };
                v[at] ^= 1 << rng.below(8);
            }
            format!("{what} with {flips} bits flipped (variant {i})")
        };
        match parse_with_watchdog(v, &label) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    (ok, err)
}

#[test]
fn mutated_pdfs_end_in_ok_or_typed_error() {
    let mut rng = Rng(0x005E_ED0F_D0C5);
    let fixture = pdfgen::protocol();
    let uncompressed = {
        let mut p = pdfgen::Page::default();
        p.text("F2", 14.0, 72.0, 700.0, "1 Introduction");
        p.lines(
            72.0,
            675.0,
            &["Uncompressed text, so flips land in operators."],
        );
        pdfgen::build(
            &[p],
            &pdfgen::Options {
                compress: false,
                ..pdfgen::Options::default()
            },
        )
    };
    let (a, b) = mutate("fixture protocol", &fixture, &mut rng, 400);
    let (c, d) = mutate("uncompressed fixture", &uncompressed, &mut rng, 400);
    println!("fixtures: {} ok, {} typed errors", a + c, b + d);
    let mut files = corpus("pdf").unwrap_or_default();
    files.extend(corpus("clinical").unwrap_or_default());
    let (mut ok, mut err) = (0, 0);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        // Large files cost more per parse: fewer variants for them.
        let variants = if bytes.len() > 1_000_000 { 3 } else { 9 };
        let (o, e) = mutate(&name(path), &bytes, &mut rng, variants);
        ok += o;
        err += e;
    }
    println!(
        "corpus ({} files): {ok} ok, {err} typed errors",
        files.len()
    );
}

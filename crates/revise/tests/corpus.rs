//! The real Word files of `../shared/corpus/docx`: for each, up to three body sentences of
//! four words or more (read with ingest, at test time) get one word replaced; the revised
//! file must then read, with pandoc, as the original when the changes are rejected and
//! with exactly the replacements when they are accepted, and LibreOffice must convert
//! every revised file to PDF (one LibreOffice run for the whole batch), and read the
//! changes as tracked changes (a second run, to flat ODT, whose change regions are
//! counted).
//!
//! Prints a line per file and a summary (`--nocapture`). Fails when fewer than 80% of
//! the files that have such a sentence get at least one edit applied (many corpus files
//! are empty or hold only one- to three-word paragraphs), or when a tool disagrees on any applied edit.
//! Skips when `../shared` or the tools are absent, and fails instead under
//! `DUALCHECK_REQUIRE_SHARED` / `DUALCHECK_REQUIRE_TOOLS`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{View, count, edit, have, lo_text, pandoc, soffice};
use revise::{Edit, Options, SkipReason, apply_tracked_changes, occurrence_of};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = testkit::require::shared("corpus/docx")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "docx"))
        .collect();
    files.sort();
    if files.is_empty() {
        testkit::skip(
            testkit::Require::Shared,
            "../shared/corpus/docx holds no .docx",
        );
        return None;
    }
    Some(files)
}

/// Up to three edits: distinct sentences of four words or more, spread over the body,
/// each with its middle word replaced.
fn edits_for(doc: &ingest::Document) -> Vec<Edit> {
    let mut eligible: Vec<&ingest::Sentence> = Vec::new();
    for s in doc.sentences() {
        if s.text.split(' ').count() >= 4 && !eligible.iter().any(|e| e.text == s.text) {
            eligible.push(s);
        }
    }
    let picks: Vec<&ingest::Sentence> = match eligible.len() {
        0..=3 => eligible,
        n => vec![eligible[0], eligible[n / 2], eligible[n - 1]],
    };
    picks
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut words: Vec<&str> = s.text.split(' ').collect();
            let mid = words.len() / 2;
            words[mid] = if words[mid] == "amended" {
                "modified"
            } else {
                "amended"
            };
            let mut e = edit(
                &format!("e{i}"),
                &s.text,
                occurrence_of(doc, &s.anchor).unwrap(),
                &words.join(" "),
            );
            e.comment = Some(format!(
                "Accepted by Jane Doe (qa), 2026-12-03T10:00:00Z, reason: corpus check {i}"
            ));
            e
        })
        .collect()
}

/// A revised corpus file and the edits applied to it.
struct Revised {
    name: String,
    input: PathBuf,
    output: PathBuf,
    edits: Vec<Edit>,
}

/// Every entry of `input` is in `output`, in the same order, with the same content,
/// except the main part and the comment parts; the relationships, the content types and
/// an existing comments part only had something inserted; a new entry can only be the
/// comments part, at the end.
fn only_expected_parts_changed(input: &[u8], output: &[u8]) -> Result<(), String> {
    let (a, b) = (common::entries(input), common::entries(output));
    if b.len() < a.len() || b.len() > a.len() + 1 {
        return Err(format!("{} entries became {}", a.len(), b.len()));
    }
    for ((n1, x), (n2, y)) in a.iter().zip(&b) {
        if n1 != n2 {
            return Err(format!("entry {n1} became {n2}"));
        }
        let inserted = x.len() <= y.len() && {
            let p = x.iter().zip(y).take_while(|(u, v)| u == v).count();
            let q = x
                .iter()
                .rev()
                .zip(y.iter().rev())
                .take_while(|(u, v)| u == v)
                .count();
            p + q >= x.len()
        };
        match n1.as_str() {
            "word/document.xml" => {}
            "[Content_Types].xml" | "word/_rels/document.xml.rels" | "word/comments.xml"
                if inserted => {}
            _ if x == y => {}
            _ => return Err(format!("entry {n1} changed")),
        }
    }
    if let Some((extra, _)) = b.get(a.len())
        && extra != "word/comments.xml"
    {
        return Err(format!("unexpected new entry {extra}"));
    }
    Ok(())
}

/// `after` (accepted view) has the edit's original once less and its replacement once
/// more than `before` (the original text).
fn accepted_once(before: &str, after: &str, e: &Edit) -> Result<(), String> {
    let (o, r) = (count(before, &e.original), count(before, &e.replacement));
    let (o2, r2) = (count(after, &e.original), count(after, &e.replacement));
    if o == 0 || o2 + 1 != o || r2 != r + 1 {
        return Err(format!(
            "accepted: original {o} -> {o2}, replacement {r} -> {r2}: {:?}",
            e.original
        ));
    }
    Ok(())
}

#[test]
fn corpus_edits_agree_with_pandoc_and_libreoffice() {
    let Some(files) = corpus() else { return };
    if !have("pandoc", "pandoc") || !have("soffice", "libreoffice-writer-nogui") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut reasons: BTreeMap<SkipReason, usize> = BTreeMap::new();
    let (mut tried, mut applied, mut with_applied, mut with_candidates) = (0, 0, 0, 0usize);
    let mut failures: Vec<String> = Vec::new();
    let mut revised: Vec<Revised> = Vec::new();
    println!(
        "{:<56} {:>5} {:>7} {:>7}  skipped",
        "file", "tried", "applied", "pandoc"
    );
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let doc = match ingest::parse(&bytes) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: ingest cannot read it ({e})"));
                continue;
            }
        };
        let edits = edits_for(&doc);
        tried += edits.len();
        if !edits.is_empty() {
            with_candidates += 1;
        }
        let out = match apply_tracked_changes(&bytes, &edits, &Options::default()) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        assert_eq!(out.applied.len() + out.skipped.len(), edits.len(), "{name}");
        for s in &out.skipped {
            *reasons.entry(s.reason).or_default() += 1;
        }
        applied += out.applied.len();
        let skipped: Vec<&str> = out.skipped.iter().map(|s| s.reason.code()).collect();
        let mut verdict = "-";
        if !out.applied.is_empty() {
            with_applied += 1;
            let input = tmp.path().join(format!("in-{name}"));
            let output = tmp.path().join(&name);
            std::fs::write(&input, &bytes).unwrap();
            std::fs::write(&output, &out.bytes).unwrap();
            revised.push(Revised {
                name: name.clone(),
                input: input.clone(),
                output: output.clone(),
                edits: edits
                    .iter()
                    .filter(|e| out.applied.contains(&e.id))
                    .cloned()
                    .collect(),
            });
            if let Err(why) = only_expected_parts_changed(&bytes, &out.bytes) {
                failures.push(format!("{name}: {why}"));
            }
            let before = pandoc(&input, View::Reject);
            let rejected = pandoc(&output, View::Reject);
            let accepted = pandoc(&output, View::Accept);
            let mut ok = rejected == before;
            if !ok {
                failures.push(format!(
                    "{name}: pandoc's rejected text differs from the original's"
                ));
            }
            for e in edits.iter().filter(|e| out.applied.contains(&e.id)) {
                if let Err(why) = accepted_once(&before, &accepted, e) {
                    ok = false;
                    failures.push(format!("{name} {}: pandoc: {why}", e.id));
                }
            }
            verdict = if ok { "ok" } else { "FAIL" };
        }
        println!(
            "{:<56} {:>5} {:>7} {:>7}  {}",
            name,
            edits.len(),
            out.applied.len(),
            verdict,
            skipped.join(",")
        );
    }

    // LibreOffice: one run reads every original and revised file (to flat ODT, whose
    // text with the changes accepted and rejected is compared), one converts every
    // revised file to PDF.
    let start = std::time::Instant::now();
    let lo_dir = tmp.path().join("lo");
    std::fs::create_dir_all(&lo_dir).unwrap();
    let both: Vec<PathBuf> = revised
        .iter()
        .flat_map(|r| [r.input.clone(), r.output.clone()])
        .collect();
    let fodts = soffice(&both, "fodt", &lo_dir);
    let outputs: Vec<PathBuf> = revised.iter().map(|r| r.output.clone()).collect();
    let pdfs = soffice(&outputs, "pdf", &lo_dir);
    println!(
        "LibreOffice: {} files read and {} converted to PDF in {:.1?}",
        both.len(),
        outputs.len(),
        start.elapsed()
    );
    for (i, r) in revised.iter().enumerate() {
        if pdfs[i].is_none() {
            failures.push(format!("{}: LibreOffice wrote no PDF", r.name));
        }
        let (Some(fin), Some(fout)) = (&fodts[2 * i], &fodts[2 * i + 1]) else {
            failures.push(format!("{}: LibreOffice could not read it", r.name));
            continue;
        };
        let before = lo_text(&std::fs::read_to_string(fin).unwrap());
        let after = lo_text(&std::fs::read_to_string(fout).unwrap());
        if after.rejected != before.rejected {
            failures.push(format!(
                "{}: LibreOffice's rejected text differs from the original's:\n  {}\n  {}",
                r.name, before.rejected, after.rejected
            ));
        }
        for e in &r.edits {
            if let Err(why) = accepted_once(&before.accepted, &after.accepted, e) {
                failures.push(format!("{} {}: LibreOffice: {why}", r.name, e.id));
            }
        }
        let ours = after
            .regions
            .iter()
            .filter(|(k, a)| a == &r.edits[0].author && (k == "insertion" || k == "deletion"))
            .count();
        if ours < 2 * r.edits.len() {
            failures.push(format!(
                "{}: LibreOffice sees {ours} tracked changes by the model for {} edits",
                r.name,
                r.edits.len()
            ));
        }
    }

    println!(
        "summary: {} files, {with_candidates} with a sentence of 4 words or more, {with_applied} with an edit applied; {tried} sentences tried, {applied} applied, {} skipped",
        files.len(),
        tried - applied
    );
    for (r, n) in &reasons {
        println!("  skipped {:<20} {n}", r.code());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Files without a sentence of four words (empty documents, tables of single words)
    // have nothing to edit; of the others, 80% must get an edit written.
    assert!(with_candidates > 0, "no corpus file has a sentence to edit");
    assert!(
        with_applied * 10 >= with_candidates * 8,
        "only {with_applied} of the {with_candidates} files with a sentence to edit got an edit applied"
    );
}

//! The unit fixtures' results read by independent tools: pandoc (`--track-changes=accept`
//! gives exactly the accepted text, `reject` exactly the original's) and LibreOffice (reads
//! the same accepted and rejected text and the changes as tracked changes by their author,
//! and converts every result to PDF; one LibreOffice run per format for the batch). The
//! fixtures: formatted runs, white space, tabs, escaping, a hyperlink, testkit's docx-rs
//! protocol (numbering, notes, comments, pending revisions) and a PDF rebuilt as DOCX.
//! Skips without the tools, and fails instead under `DUALCHECK_REQUIRE_TOOLS`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{View, count, edit, have, lo_text, package, pandoc, para, soffice};
use revise::{Edit, Options, apply_tracked_changes, occurrence_of};
use std::path::PathBuf;

/// (name, input, edits) of each fixture.
fn fixtures() -> Vec<(&'static str, Vec<u8>, Vec<Edit>)> {
    let mut out = Vec::new();
    let formatted = r#"<w:p><w:r><w:rPr><w:b/><w:i/></w:rPr><w:t xml:space="preserve">The dose was 10 mg daily. </w:t></w:r><w:r><w:t xml:space="preserve">Patients </w:t></w:r><w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t>should</w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve"> fast before   dosing.</w:t></w:r></w:p>"#;
    let mut e1 = edit(
        "dose",
        "The dose was 10 mg daily.",
        0,
        "The dose was 20 mg daily.",
    );
    e1.comment = Some("Accepted by Jane Doe (qa), 2026-12-03T10:00:00Z, reason: per SAP".into());
    let e2 = edit(
        "fast",
        "Patients should fast before dosing.",
        0,
        "Patients must fast overnight before dosing.",
    );
    out.push(("formatted", package(formatted), vec![e1, e2]));

    let spaced = format!(
        "{}{}",
        para(&[
            "  Blood samples ",
            "were taken  ",
            " at   baseline. ",
            "Next one is here."
        ]),
        r#"<w:p><w:r><w:t>Dose:</w:t><w:tab/><w:t>10 mg</w:t><w:br/><w:t>once daily &amp; with food.</w:t></w:r></w:p>"#
    );
    let edits = vec![
        edit(
            "del",
            "Blood samples were taken at baseline.",
            0,
            "Blood samples were at baseline.",
        ),
        edit("ins", "Next one is here.", 0, "Next one is right here."),
        edit(
            "amp",
            "Dose: 10 mg once daily & with food.",
            0,
            "Dose: 10 mg twice daily & <with> food.",
        ),
    ];
    out.push(("spaced", package(&spaced), edits));

    let linked = r#"<w:p><w:hyperlink r:id="rId9"><w:r><w:t>See the protocol appendix now.</w:t></w:r></w:hyperlink><w:r><w:t xml:space="preserve"> The visit </w:t></w:r><w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/><w:r><w:t>is on day one.</w:t></w:r></w:p>"#;
    let edits = vec![
        edit(
            "link",
            "See the protocol appendix now.",
            0,
            "See the protocol annex now.",
        ),
        edit("visit", "The visit is on day one.", 0, ""),
    ];
    out.push(("linked", package(linked), edits));

    // testkit's protocol: built with docx-rs, with numbering, tables, notes, comments
    // and pending revisions; every sentence of four words or more gets a word changed.
    let protocol = testkit::docx::protocol();
    let doc = ingest::parse(&protocol).unwrap();
    let edits = doc
        .sentences()
        .filter(|s| s.text.split(' ').count() >= 4)
        .enumerate()
        .map(|(i, s)| {
            let mut w: Vec<&str> = s.text.split(' ').collect();
            let mid = w.len() / 2;
            w[mid] = "amended";
            let mut e = edit(
                &format!("p{i}"),
                &s.text,
                occurrence_of(&doc, &s.anchor).unwrap(),
                &w.join(" "),
            );
            e.comment = Some(format!("Accepted by QA, reason {i}"));
            e
        })
        .collect();
    out.push(("protocol", protocol, edits));

    // A PDF's document rebuilt as a DOCX: every sentence's last word changed.
    let pdf = ingest::parse(&testkit::pdf::protocol()).unwrap();
    let docx = revise::docx_from_document(&pdf).unwrap();
    let edits = pdf
        .sentences()
        .enumerate()
        .map(|(i, s)| {
            let mut w: Vec<&str> = s.text.split(' ').collect();
            let last = w.len() - 1;
            let word = format!("changed{i}.");
            w[last] = &word;
            edit(
                &format!("f{i}"),
                &s.text,
                occurrence_of(&pdf, &s.anchor).unwrap(),
                &w.join(" "),
            )
        })
        .collect();
    out.push(("from-pdf", docx, edits));
    out
}

#[test]
fn pandoc_and_libreoffice_read_the_changes() {
    if !have("pandoc", "pandoc") || !have("soffice", "libreoffice-writer-nogui") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut runs = Vec::new();
    for (name, input, edits) in fixtures() {
        let out = apply_tracked_changes(&input, &edits, &Options::default()).unwrap();
        assert!(!out.applied.is_empty(), "{name}: {:?}", out.skipped);
        let applied: Vec<Edit> = edits
            .into_iter()
            .filter(|e| out.applied.contains(&e.id))
            .collect();
        println!(
            "{name}: {} applied, skipped {:?}",
            applied.len(),
            out.skipped
        );
        let (i, o) = (
            tmp.path().join(format!("in-{name}.docx")),
            tmp.path().join(format!("{name}.docx")),
        );
        std::fs::write(&i, &input).unwrap();
        std::fs::write(&o, &out.bytes).unwrap();

        let before = pandoc(&i, View::Reject);
        assert_eq!(pandoc(&o, View::Reject), before, "{name}: pandoc, rejected");
        let accepted = pandoc(&o, View::Accept);
        for e in &applied {
            check(name, "pandoc", &before, &accepted, e);
        }
        files.push(i);
        files.push(o);
        runs.push((name, applied));
    }
    let fodts = soffice(&files, "fodt", tmp.path());
    for (k, (name, applied)) in runs.iter().enumerate() {
        let lo_in = lo_text(&std::fs::read_to_string(fodts[2 * k].as_ref().unwrap()).unwrap());
        let lo_out = lo_text(&std::fs::read_to_string(fodts[2 * k + 1].as_ref().unwrap()).unwrap());
        assert_eq!(
            lo_out.rejected, lo_in.rejected,
            "{name}: LibreOffice, rejected"
        );
        for e in applied {
            check(name, "LibreOffice", &lo_in.accepted, &lo_out.accepted, e);
        }
        let ours = lo_out
            .regions
            .iter()
            .filter(|(_, a)| a == "dualcheck AI (1a2b3c4d)")
            .count();
        assert!(
            ours >= applied.len(),
            "{name}: {ours} tracked changes for {}",
            applied.len()
        );
    }
    let outputs: Vec<PathBuf> = files.iter().skip(1).step_by(2).cloned().collect();
    for (f, pdf) in outputs.iter().zip(soffice(&outputs, "pdf", tmp.path())) {
        assert!(pdf.is_some(), "{}: no PDF", f.display());
    }
}

/// The accepted text has the replacement once more, and the original once less.
fn check(name: &str, tool: &str, before: &str, accepted: &str, e: &Edit) {
    let norm = common::normalise(&e.replacement);
    if !norm.is_empty() {
        assert_eq!(
            count(accepted, &norm),
            count(before, &norm) + 1,
            "{name} {}: {tool} accepted text lacks {norm:?}:\n{accepted}",
            e.id
        );
    }
    // (Short originals are too often part of other changed sentences to be counted.)
    if !norm.contains(&e.original) && e.original.split(' ').count() >= 4 {
        assert_eq!(
            count(accepted, &e.original) + 1,
            count(before, &e.original),
            "{name} {}: {tool} accepted text still has {:?}",
            e.id,
            e.original
        );
    }
}

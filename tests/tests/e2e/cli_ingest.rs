//! `dualcheck ingest` as a user runs it: exit codes and one-line errors.

/// The same on a DOCX.
mod docx;

use dualcheck_tests::dualcheck_bin;
use std::process::Command;

#[test]
fn empty_and_unsupported_files_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.pdf");
    std::fs::write(&text, b"just some text, named .pdf").unwrap();

    for (file, needle) in [(&empty, "empty"), (&text, "PDF and DOCX")] {
        let out = Command::new(dualcheck_bin())
            .arg("ingest")
            .arg(file)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(needle), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn missing_file_fails() {
    let out = Command::new(dualcheck_bin())
        .args(["ingest", "/nonexistent/protocol.pdf"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn ingest_pdf_outline_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("protocol.pdf");
    let pdf = testkit::pdf::styled_pdf(&[
        ("3.4.2.1 Inclusion Criteria", 14.0, true),
        (
            "Patients aged 18 years or older, i.e. adults, were enrolled. Each gave consent.",
            10.0,
            false,
        ),
    ]);
    std::fs::write(&file, &pdf).unwrap();

    let out = Command::new(dualcheck_bin())
        .arg("ingest")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outline = String::from_utf8_lossy(&out.stdout);
    assert!(outline.contains("3.4.2.1 Inclusion Criteria"), "{outline}");

    let out = Command::new(dualcheck_bin())
        .arg("ingest")
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["metadata"]["format"], "pdf");
    assert_eq!(doc["metadata"]["page_count"], 1);
    let blocks = doc["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "heading");
    assert_eq!(blocks[0]["number"], "3.4.2.1");
    assert_eq!(blocks[0]["level"], 4);
    assert_eq!(blocks[1]["type"], "paragraph");
    let sentences: Vec<&str> = blocks[1]["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        sentences,
        [
            "Patients aged 18 years or older, i.e. adults, were enrolled.",
            "Each gave consent."
        ]
    );
}

#[test]
fn truncated_pdf_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.pdf");
    std::fs::write(&file, b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog").unwrap();
    let out = Command::new(dualcheck_bin())
        .arg("ingest")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("malformed") || err.contains("PDF"), "{err}");
}

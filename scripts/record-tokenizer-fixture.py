"""Record what llama.cpp does with the shipped generators, for the real-model tests:
- token ids of a few hundred strings (sentences of the clinical corpus and edge cases), per
  model: crates/ai-suggest/tests/fixtures/<model>_llamacpp_tokens.jsonl
- Gemma 3 only: greedy continuations (24 tokens) of 32 prompts, to check our own Gemma 3
  code against llama.cpp's: crates/ai-suggest/tests/fixtures/gemma3_llamacpp_greedy.jsonl

Run with the bench venv (scripts/bench-ai.sh builds it) after `dualcheck models fetch`:
  .bench-venv/bin/python scripts/record-tokenizer-fixture.py
"""
import json
import pathlib
import subprocess

from llama_cpp import Llama

root = pathlib.Path(__file__).resolve().parent.parent
fixtures = root / "crates" / "ai-suggest" / "tests" / "fixtures"
models = {
    "smollm2": root / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma3": root / "models" / "gemma-3-270m-q4_k_m.gguf",
}
strings = [
    "", " ", "  leading spaces", "trailing  ", "12345678", "3.14159", "p<0.001", "n=124.",
    "5.6% vs. 3.2%", "e.g. Fig. 2", "Ca²⁺ and µg/mL", "naïve café", "≥ 18 years", "tab\there",
    "line\nbreak", "Hello, World!", "don't won't can't", "COVID-19 H2Q-MC-LZZT", "👍 emoji",
    "<|im_start|>user\nHi<|im_end|>", "<start_of_turn>user\nHi<end_of_turn>", "SmolLM2",
    "日本語のテキスト", "αβγ", "x" * 40, "<table><tr><td>1</td></tr></table>", "a\n\n\nb",
    "    four spaces", "\ttabbed\t\tline", "\u0007 bell", "Ünïcödé ⅓ ½ ∑ ∞",
]
for pdf in sorted((root.parent / "shared" / "corpus" / "clinical").glob("*.pdf")):
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True).stdout
    lines = [l.strip() for l in text.splitlines() if len(l.strip()) > 20]
    strings += lines[:: max(1, len(lines) // 100)][:100]

for name, path in models.items():
    llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    out = fixtures / f"{name}_llamacpp_tokens.jsonl"
    with out.open("w") as f:
        for s in strings:
            ids = llm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
            f.write(json.dumps({"text": s, "ids": ids}, ensure_ascii=False) + "\n")
    print(f"{name}: {len(strings)} strings -> {out}")

# Greedy continuations of Gemma 3 on completion prompts (BOS first, as the model expects).
# One token per batch: llama-cpp-python 0.3.36 built with GGML_NATIVE on this machine
# (AVX512, AMX) crashes (SIGSEGV) on a multi-token batch of this file.
llm = Llama(model_path=str(models["gemma3"]), n_ctx=512, n_threads=2, n_batch=1, n_ubatch=1,
            logits_all=True, verbose=False)
sentences = [l for l in strings[31:] if 40 < len(l) < 200][:32]
out = fixtures / "gemma3_llamacpp_greedy.jsonl"
with out.open("w") as f:
    for s in sentences:
        prompt = f"Rewrite the sentence in plain language.\n\nSentence: {s}\nRewritten:"
        ids = [llm.token_bos()] + llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        gen = []
        for _ in range(24):
            tok = int(llm.scores[llm.n_tokens - 1].argmax())
            gen.append(tok)
            llm.eval([tok])
        f.write(json.dumps({"prompt_ids": ids, "greedy": gen}) + "\n")
print(f"gemma3: {len(sentences)} greedy continuations -> {out}")

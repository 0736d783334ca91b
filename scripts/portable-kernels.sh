#!/usr/bin/env bash
# The quantised-kernel tests built for baseline x86-64 (`-C target-cpu=x86-64`: no AVX2,
# FMA or F16C known at compile time), as for a CPU older than the default x86-64-v3 build
# targets: the build must be baseline (the test checks `cfg!(target_feature)` under
# DUALCHECK_EXPECT_BASELINE_CPU=1), the portable kernels must give the same bits as every
# x86 version this CPU runs (chosen at run time), and the quantised products too.
# Its own target directory, so the main build's artefacts (x86-64-v3) stay valid.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${CARGO_TARGET_DIR:-$HOME/.cache/dualcheck-target}"
start=$(date +%s)
RUSTFLAGS="-C target-cpu=x86-64" CARGO_TARGET_DIR="${base}-portable" DUALCHECK_EXPECT_BASELINE_CPU=1 \
  cargo test -p dualcheck-ai-suggest --lib qlinear -- --nocapture
echo "portable kernels: $(($(date +%s) - start)) s"

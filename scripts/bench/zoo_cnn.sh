#!/usr/bin/env bash
# Usage: scripts/bench/zoo_cnn.sh [N] [OUT_DIR] — the convolution and attention zoo (issue 13):
# fairaudit's forward and per-group Fisher side by side with Keras 3 predict (JAX) and JAX
# jit(vmap(grad)) (in chunks of 1024 rows) on the same N rows and cores, all measured by
# `fairaudit benchmark` in one run per model, with the ratios (scripts/bench/zoo.sh does the work).
# Needs a release build and the k3 venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/bench/zoo.sh "${1:-10000}" "${2:-/tmp/fairaudit-bench/zoo-cnn}" \
  small_cnn_k3,residual_cnn_k3,text_cnn_k3,transformer_k3,seq_cnn_tf2 1024

#!/usr/bin/env bash
# Usage: scripts/bench/zoo_cnn.sh [N] [OUT_DIR] — the convolution and attention zoo (issue 13):
# fairaudit's forward and per-group Fisher side by side with Keras 3 predict (JAX) and JAX
# jit(vmap(grad)) (in chunks of 1024 rows) on the same N rows and cores, in one run.
# Needs a release build (.build-release/release/fairaudit) and the k3 venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10000}
out=${2:-/tmp/fairaudit-bench/zoo-cnn}
bin=${FAIRAUDIT:-.build-release/release/fairaudit}
models=small_cnn_k3,residual_cnn_k3,text_cnn_k3,transformer_k3,seq_cnn_tf2
echo "== Keras 3 / JAX (load: $(cut -d' ' -f1-3 /proc/loadavg))"
KERAS_BACKEND=jax /work/venvs/k3/bin/python scripts/bench/zoo_keras.py "$n" "$out" "$models" 1024 2>&1 | grep -v -i warning
for m in ${models//,/ }; do
  file=Tests/FairAuditTests/Resources/zoo/$m.keras
  [[ $m == *_tf2 ]] && file=Tests/FairAuditTests/Resources/zoo/$m.h5
  echo "== fairaudit $m (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench --only --data "$out/${m}_bench.npz" --model "$file" --label label --group group 2>/dev/null \
    | grep -E "^  (forward|per-group)" || echo "  (fairaudit cannot run $m)"
done

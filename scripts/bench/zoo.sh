#!/usr/bin/env bash
# Usage: scripts/bench/zoo.sh [N] [OUT_DIR] — the zoo models' forward and Fisher, fairaudit
# side by side with Keras 3 predict (JAX) and JAX vmap(grad), on the same N rows.
# Needs a release build (.build-release/release/fairaudit) and the k3 venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-50000}
out=${2:-/tmp/fairaudit-bench/zoo}
bin=.build-release/release/fairaudit
echo "== Keras 3 / JAX (load: $(cut -d' ' -f1-3 /proc/loadavg))"
KERAS_BACKEND=jax /work/venvs/k3/bin/python scripts/bench/zoo_keras.py "$n" "$out" 2>&1 | grep "rows/s"
for m in residual_mlp wide_deep seq_dense merges; do
  echo "== fairaudit $m (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench --only --data "$out/${m}_bench.npz" --model Tests/FairAuditTests/Resources/zoo/${m}_k3.keras \
    --label label --group group 2>/dev/null | grep -E "^  (forward|per-group)"
done

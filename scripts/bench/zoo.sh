#!/usr/bin/env bash
# Usage: scripts/bench/zoo.sh [N] [OUT_DIR] [BIN] — the zoo models' forward and Fisher, fairaudit
# side by side with Keras 3 predict (JAX) and JAX vmap(grad), on the same N rows.
# Needs a release build (.build-release/release/fairaudit, or BIN) and the k3 venv.
# Each line gives rows per second of wall-clock time and of CPU time (all threads): on a
# machine other jobs share, compare the CPU figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-50000}
out=${2:-/tmp/fairaudit-bench/zoo}
bin=${3:-.build-release/release/fairaudit}
py=/work/venvs/k3/bin/python
echo "== Keras 3 / JAX (load: $(cut -d' ' -f1-3 /proc/loadavg))"
KERAS_BACKEND=jax "$py" scripts/bench/zoo_keras.py "$n" "$out" 2>&1 | grep "rows/s"
for m in residual_mlp wide_deep seq_dense merges; do
  echo "== fairaudit $m (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" bench --only --json --data "$out/${m}_bench.npz" --model Tests/FairAuditTests/Resources/zoo/${m}_k3.keras \
    --label label --group group 2>/dev/null | "$py" -c '
import json, sys
for m in json.load(sys.stdin):
    if m["name"] in ("forward", "per-group Fisher"):
        n, w, c = m["name"], m["amount"] / m["seconds"], m["amount"] / m["cpu_seconds"]
        print(f"  {n:18s} {w:12,.0f} rows/s wall {c:12,.0f} rows/s CPU")'
done

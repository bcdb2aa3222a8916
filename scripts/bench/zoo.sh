#!/usr/bin/env bash
# Usage: scripts/bench/zoo.sh [N] [OUT_DIR] [MODELS] [CHUNK] — zoo models' forward and per-group
# Fisher, fairaudit (`fairaudit bench --only --json`) side by side with Keras 3 predict (JAX) and
# JAX jit(vmap(grad)) on the same N rows and cores, in one run, with the ratios.
# MODELS: comma-separated zoo files without extension (default: the dense zoo of issue 12,
# residual_mlp_k3,wide_deep_k3,seq_dense_k3,merges_k3); a _tf2 name is its .h5. CHUNK: rows per
# JAX Fisher call (default all N; scripts/bench/zoo_cnn.sh passes 1024 for the image models).
# Needs a release build (.build-release/release/fairaudit, or FAIRAUDIT=path) and the k3 venv.
# Rows per second of wall-clock time and of CPU time (all threads) both: on a machine other jobs
# share, compare the CPU figures (the ratios are of CPU rows/s).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-50000}
out=${2:-/tmp/fairaudit-bench/zoo}
models=${3:-residual_mlp_k3,wide_deep_k3,seq_dense_k3,merges_k3}
chunk=${4:-$n}
bin=${FAIRAUDIT:-.build-release/release/fairaudit}
py=/work/venvs/k3/bin/python
mkdir -p "$out"
echo "== Keras 3 / JAX, $n rows (load: $(cut -d' ' -f1-3 /proc/loadavg))"
KERAS_BACKEND=jax "$py" scripts/bench/zoo_keras.py "$n" "$out" "$models" "$chunk" 2>&1 | grep "rows/s" | tee "$out/keras.txt"
for m in ${models//,/ }; do
  file=Tests/FairAuditTests/Resources/zoo/$m.keras
  [[ $m == *_tf2 ]] && file=Tests/FairAuditTests/Resources/zoo/$m.h5
  echo "== fairaudit $m (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  # The measurements are JSON on stdout; progress and errors go to stderr (kept, shown on failure).
  if ! "$bin" bench --only --json --data "$out/${m}_bench.npz" --model "$file" --label label --group group \
    >"$out/$m.json" 2>"$out/$m.err"; then
    echo "  fairaudit cannot run $m: $(tail -1 "$out/$m.err")"
  fi
done
echo "== side by side (rows per CPU second; ratio = fairaudit / reference)"
"$py" - "$out" "$models" <<'PY'
import json, os, re, sys
out, models = sys.argv[1], sys.argv[2].split(",")
ref = {}
for line in open(os.path.join(out, "keras.txt")):
    v = [float(x.replace(",", "")) for x in re.findall(r"([\d,]+) rows/s", line)]
    if len(v) == 4:
        ref[line.split()[0]] = (v[1], v[3])
print(f"{'model':16s} {'forward':>12s} {'Keras':>12s} {'ratio':>6s}   {'Fisher':>12s} {'JAX':>12s} {'ratio':>6s}")
for m in models:
    try:
        rows = {r["name"]: r["amount"] / r["cpu_seconds"] for r in json.load(open(os.path.join(out, m + ".json")))}
    except (OSError, ValueError):
        rows = {}
    f, fi = rows.get("forward", 0), rows.get("per-group Fisher", 0)
    kp, jf = ref.get(m, (0, 0))
    r1 = f"{f / kp:6.2f}" if kp and f else "     -"
    r2 = f"{fi / jf:6.2f}" if jf and fi else "     -"
    print(f"{m:16s} {f:12,.0f} {kp:12,.0f} {r1}   {fi:12,.0f} {jf:12,.0f} {r2}")
PY

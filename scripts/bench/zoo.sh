#!/usr/bin/env bash
# Usage: scripts/bench/zoo.sh [N] [OUT_DIR] [MODELS] [CHUNK] — zoo models' forward and per-group
# Fisher side by side with Keras 3 predict (JAX backend, CPU) and JAX jit(vmap(grad)), all measured
# by `fairaudit benchmark` in one run per model on the same rows and cores: each model's
# <model>_data.npz rows tiled to N (`--data-rows N`), fairaudit's forward and Fisher, then the same
# rows in a child Keras 3 / JAX Python (`--keras-python`, default the k3 venv; KERAS_PYTHON=path
# names another), each side timed by the same rule (after a warm-up, the least CPU per run over 5
# samples of at least 0.2 s of CPU each). Prints a table of rows per CPU second (every thread's)
# and the ratios fairaudit / reference that `fairaudit bench --json` carries (`ratio_cpu`, and
# `ratio_wall` in parentheses); on a machine other jobs share, compare the CPU figures.
# MODELS: comma-separated zoo files without extension (default: the dense zoo of issue 12); a
# _tf2 name is its .h5. CHUNK: rows per JAX Fisher call (`--keras-fisher-chunk`; default all N,
# scripts/bench/zoo_cnn.sh passes 1024 for the image models). The JSON of each model is kept in
# OUT_DIR/<model>.json, its stderr in OUT_DIR/<model>.err.
# Needs a release build (.build-release/release/fairaudit, or FAIRAUDIT=path) and the k3 venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-50000}
out=${2:-/tmp/fairaudit-bench/zoo}
models=${3:-residual_mlp_k3,wide_deep_k3,seq_dense_k3,merges_k3}
chunk=${4:-$n}
bin=${FAIRAUDIT:-.build-release/release/fairaudit}
py=${KERAS_PYTHON:-/work/venvs/k3/bin/python}
zoo=Tests/FairAuditTests/Resources/zoo
mkdir -p "$out"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $n rows, JAX Fisher chunks of $chunk"
for m in ${models//,/ }; do
  file=$zoo/$m.keras
  [[ $m == *_tf2 ]] && file=$zoo/$m.h5
  cut -d' ' -f1-3 /proc/loadavg >"$out/$m.load"
  # The measurements are JSON on stdout; notes and errors go to stderr (kept, shown).
  if ! "$bin" bench --only --json --data "$zoo/${m}_data.npz" --data-rows "$n" --model "$file" \
    --label label --group group --keras-python "$py" --keras-fisher-chunk "$chunk" \
    >"$out/$m.json" 2>"$out/$m.err"; then
    echo "  fairaudit cannot run $m: $(tail -1 "$out/$m.err")"
  fi
  grep '^note:' "$out/$m.err" | sed "s/^/  $m: /" || true
  cut -d' ' -f1-3 /proc/loadavg >>"$out/$m.load"
done
echo "== side by side (rows per CPU second; ratio = fairaudit / reference per CPU second, (per wall second))"
python3 - "$out" "$models" <<'PY'
import json, os, sys
out, models = sys.argv[1], sys.argv[2].split(",")
print(f"{'model':16s} {'forward':>11s} {'Keras':>11s} {'ratio':>13s}   {'Fisher':>11s} {'JAX':>11s} {'ratio':>13s}   load (before; after)")
for m in models:
    try:
        rows = json.load(open(os.path.join(out, m + ".json")))
    except (OSError, ValueError):
        rows = []
    def cpu(r):
        return f"{r['amount'] / r['cpu_seconds']:11,.0f}" if r and r.get("cpu_seconds") else f"{'-':>11s}"
    def cell(ref_for):
        ours = next((r for r in rows if r["name"] == ref_for and "reference_for" not in r), None)
        ref = next((r for r in rows if r.get("reference_for") == ref_for), None)
        ratio = f"{ref['ratio_cpu']:5.2f}× ({ref['ratio_wall']:.2f}×)" if ref and ref.get("ratio_cpu") else f"{'-':>13s}"
        return f"{cpu(ours)} {cpu(ref)} {ratio:>13s}"
    try:
        load = "; ".join(open(os.path.join(out, m + ".load")).read().split("\n")[:2])
    except OSError:
        load = "?"
    print(f"{m:16s} {cell('forward')}   {cell('per-group Fisher')}   {load}")
PY

#!/bin/sh
# Usage: scripts/bench/zoo_fit.sh [ROWS] [KERAS_PYTHON]
# Seconds per fine-tuning epoch of `fairaudit fix` (neutralized low-rank and full fine-tuning)
# on the zoo's small CNN and transformer block beside Keras 3 `model.fit` (JAX backend) on the
# same rows, batch 256, in one `fairaudit benchmark` run on the same machine and cores.
# ROWS (default 20000) fresh rows are drawn by scripts/bench/zoo_fit_data.py.
set -eu
ROWS=${1:-20000}
PY=${2:-/work/venvs/k3/bin/python}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
ZOO="$ROOT/Tests/FairAuditTests/Resources/zoo"
"$PY" "$ROOT/scripts/bench/zoo_fit_data.py" "$DIR" "$ROWS"
cd "$ROOT"
swift build -c release --product fairaudit >/dev/null
.build/release/fairaudit benchmark --only \
    --fit-model "$ZOO/small_cnn_k3.keras" --fit-data "$DIR/small_cnn_k3_fit.npz" \
    --fit-model "$ZOO/transformer_k3.keras" --fit-data "$DIR/transformer_k3_fit.npz" \
    --label label --group group --keras-python "$PY"

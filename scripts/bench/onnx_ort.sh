#!/usr/bin/env bash
# Usage: scripts/bench/onnx_ort.sh [BIN] [PYTHON] [ADULT_CSV]
# fairaudit's forward pass (as `predict` runs it) against onnxruntime's CPU session
# (intra_op_num_threads = 2, the threads fairaudit's predict uses) on the same rows, for the
# ONNX fixtures: the torch Adult MLP and the skl2onnx MLPClassifier on the Adult training rows
# repeated 10 times (301,620), the torch CNN on cnn.csv's 400 images repeated 250 times (100,000)
# and the torch attention block on attention.csv's rows repeated 250 times (100,000).
# Needs a release build (BIN, default .build/release/fairaudit) and a Python with onnxruntime.
# Rows per CPU second (user + system, all threads, of the same timed run) is the yardstick on a
# shared machine; the wall-clock figure is printed beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-.build/release/fairaudit}
py=${2:-/work/venvs/torch/bin/python}
adult=${3:-/work/shared/data/adult/adult_train.csv.gz}
res=Tests/FormatONNXTests/Resources
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in cnn attention; do
  "$py" -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
with open(sys.argv[2], "w") as f:
    f.write(lines[0] + ",race\n")
    for _ in range(250):
        f.write("".join(l + ",x\n" for l in lines[1:]))' "$res/$name.csv" "$tmp/$name.csv"
done
"$py" -c '
import gzip, sys
lines = gzip.open(sys.argv[1], "rt").read().splitlines()
with open(sys.argv[2], "w") as f:
    f.write(lines[0] + "\n")
    for _ in range(10):
        f.write("".join(l + "\n" for l in lines[1:]))' "$adult" "$tmp/adult.csv"
run() {
  echo "== $2 on $(basename "$1") (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$bin" benchmark --only --json --forward-only --repeats 7 --data "$1" --model "$res/$2" --python "$py" 2>/dev/null | "$py" -c '
import json, sys
rows = {m["name"]: m for m in json.load(sys.stdin)}
ort = next(m for n, m in rows.items() if n.startswith("onnxruntime forward"))
ours = rows["forward"]
cpu = lambda m: m["amount"] / m["cpu_seconds"]
wall = lambda m: m["amount"] / m["seconds"]
for n, m in (("fairaudit predict", ours), ("onnxruntime", ort)):
    rows = int(m["amount"])
    print(f"  {n:18s} {rows:7d} rows {wall(m):12,.0f} rows/s wall {cpu(m):12,.0f} rows/CPU-s")
print(f"  fairaudit / onnxruntime: {cpu(ours) / cpu(ort):.2f}x per CPU second, {wall(ours) / wall(ort):.2f}x wall")'
}
run "$tmp/adult.csv" adult_mlp_torch.onnx
run "$tmp/adult.csv" adult_mlp_sklearn.onnx
run "$tmp/cnn.csv" cnn_torch.onnx
run "$tmp/attention.csv" attention_torch.onnx

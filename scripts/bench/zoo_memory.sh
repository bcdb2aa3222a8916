#!/usr/bin/env bash
# Usage: scripts/bench/zoo_memory.sh [N] [OUT_DIR] — peak memory of `fairaudit audit` (Fisher on)
# over N generated 32×32×3 images (default 100,000) through the zoo's residual CNN, measured
# by /usr/bin/time -v (target: under 2 GB maximum resident set size).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
out=${2:-/tmp/fairaudit-bench/memory}
bin=${FAIRAUDIT:-.build-release/release/fairaudit}
[[ -f $out/images_32.npz ]] || KERAS_BACKEND=jax /work/venvs/k3/bin/python scripts/bench/zoo_memory.py "$n" "$out" 2>&1 | grep -v -i warning
echo "== fairaudit audit, $n images (load: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/time -v "$bin" audit "$out/residual_cnn_32.keras" --data "$out/images_32.npz" --label label --group group \
  --json-output "$out/audit.json" > /dev/null 2> "$out/time.txt" || true
grep -E "Maximum resident|Elapsed|Exit status" "$out/time.txt"
grep -v -E "^\s" "$out/time.txt" | head -5 || true

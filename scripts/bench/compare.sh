#!/usr/bin/env bash
# Usage: scripts/bench/compare.sh [ADULT_DIR] [OUT_DIR] — every fairaudit hot path side by side with numpy, h5py, JAX, Keras and fairlearn on the same files.
# Needs a release build (swift build -c release --scratch-path .build-release), numpy, h5py, pandas, jax, keras, fairlearn.
# Leaves ~3.5 GB of generated files in OUT_DIR (default /tmp/fairaudit-bench); logs the load average before each step.
set -euo pipefail
cd "$(dirname "$0")/../.."
adult=${1:-/work/shared/data/adult}
out=${2:-/tmp/fairaudit-bench}
bin=.build-release/release/fairaudit
mkdir -p "$out"
export ADULT_DIR=$adult
step() { echo; echo "== $1 (load: $(cut -d' ' -f1-3 /proc/loadavg))"; }

step "fairaudit bench: generated 512 MB npz (stored, deflated), 1 GB HDF5 (contiguous, gzip), 512 MB safetensors and .pt, Adult model paths"
"$bin" bench --keep "$out" --rows 0 --data "$adult/adult_train.csv.gz" --model "$adult/adult_mlp.h5" --json > "$out/fairaudit.json"
"$bin" bench --only --repeats 1 --file "$out/bench_stored.npz" >/dev/null  # same page-cache state as below
python3 - "$out/fairaudit.json" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1])):
    print(f"{m['name']:42s} {m['seconds']:8.3f} s  cpu {m['cpu_seconds'] if m['cpu_seconds'] is not None else float('nan'):7.3f} s  {m['throughput']:12,.1f} {m['unit']}")
PY
step "numpy.load on the same npz files"
python3 scripts/bench/npz_numpy.py "$out/bench_stored.npz" "$out/bench_deflated.npz"
step "safetensors.numpy.load_file and torch.load on the same .safetensors and .pt (needs torch + safetensors)"
"$bin" bench --only --repeats 1 --file "$out/bench.safetensors" --file "$out/bench.pt" >/dev/null  # same page-cache state
python3 scripts/bench/torch_safetensors.py "$out/bench.safetensors" "$out/bench.pt"
step "h5py on the same HDF5 files"
python3 scripts/bench/h5_h5py.py "$out/bench_contiguous.h5" "$out/bench_gzip.h5"
step "h5py-written files (h5py's own chunking, gzip 4): fairaudit, then h5py"
[ -f "$out/h5py_gzip.h5" ] || python3 scripts/bench/h5_h5py.py --make "$out" 1024
"$bin" bench --only --file "$out/h5py_contiguous.h5" --file "$out/h5py_gzip.h5"
python3 scripts/bench/h5_h5py.py "$out/h5py_contiguous.h5" "$out/h5py_gzip.h5"
step "per-group Fisher on adult_train: numpy squared-GEMM (1 BLAS thread, then default), JAX vmap(grad)"
OPENBLAS_NUM_THREADS=1 python3 scripts/bench/fisher_numpy.py 5 | tail -1
python3 scripts/bench/fisher_numpy.py 5 | tail -1
python3 scripts/bench/fisher_jax.py 3
step "Keras 3 model.fit, one epoch, batch 256"
python3 scripts/bench/keras_fit.py 2>&1 | tail -1
step "fairness metrics + 200 bootstrap on 1M rows: fairaudit vs fairlearn MetricFrame (2 resamples, extrapolated)"
bash scripts/bench/fairness_bench.sh 1000000 2

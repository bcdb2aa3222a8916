#!/usr/bin/env bash
# Fairness metrics + 200 bootstrap resamples on 1M rows: fairaudit vs fairlearn 0.15.
# Usage: scripts/bench/fairness_bench.sh [ROWS] [FAIRLEARN_N_BOOT]
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
nboot=${2:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
F=audits/Fairness
cp scripts/bench/fairness_bench_main.swift "$out/main.swift"   # top-level code must be in main.swift
swiftc -O -o "$out/bench" "$out/main.swift" $F/ConfusionCounts.swift $F/FairnessGaps.swift \
  $F/GroupMetrics.swift $F/FairnessReport.swift $F/FairnessBootstrap.swift $F/SeededGenerator.swift $F/FairnessError.swift
"$out/bench" "$rows" 200
python3 scripts/bench/fairlearn_bench.py "$rows" "$nboot"

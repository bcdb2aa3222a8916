#!/bin/sh
# Peak memory of `audit` on 10M Adult-shaped rows (83 columns, ~2.1 GB of CSV).
#
#   scripts/bench/mem_10m.sh [FAIRAUDIT] [DIR]
#
# Writes DIR/bench_adult.csv (1M rows, `fairaudit benchmark --keep`, the
# benchmark's own generator) once, repeats its rows ten times into
# DIR/adult_10m.csv (row ids are positions, so every row is its own), then
# runs /usr/bin/time -v on `audit --no-fisher` and on `audit` with Fisher
# (the Adult MLP of examples/adult) and prints peak RSS and wall time. Also
# times `audit --no-fisher` on the 1M-row file. The data stays in DIR (not in
# the repository); delete it when done.
set -eu
BIN=${1:-.build/release/fairaudit}
DIR=${2:-/tmp/fairaudit-mem}
MODEL=examples/adult/model.h5
mkdir -p "$DIR"
if [ ! -f "$DIR/bench_adult.csv" ]; then
  "$BIN" benchmark --npz-megabytes 0 --h5-megabytes 0 --checkpoint-megabytes 0 --rows 0 \
    --csv-rows 1000000 --python none --keep "$DIR" > /dev/null
fi
if [ ! -f "$DIR/adult_10m.csv" ]; then
  { head -n 1 "$DIR/bench_adult.csv"
    for _ in 1 2 3 4 5 6 7 8 9 10; do tail -n +2 "$DIR/bench_adult.csv"; done; } > "$DIR/adult_10m.csv"
fi
run() {
  name=$1; shift
  /usr/bin/time -v "$BIN" audit "$MODEL" --label income --group sex --ignore race --json "$@" \
    > "$DIR/$name.json" 2> "$DIR/$name.time" || true
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/$name.time")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/$name.time")
  echo "$name: peak RSS $((rss / 1024)) MB, wall $wall"
}
run no_fisher_1m --data "$DIR/bench_adult.csv" --no-fisher
run no_fisher_10m --data "$DIR/adult_10m.csv" --no-fisher
run fisher_10m --data "$DIR/adult_10m.csv"

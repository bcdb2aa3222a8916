#!/usr/bin/env bash
# Transfer to a new task on adult_transfer (docs/method.md §7): for seeds 0-4,
# new head only (body frozen), full fine-tuning, the default neutralized
# low-rank transfer and the default with an equalized-odds target; every
# written file is judged by Keras 3 (JAX) and fairlearn on task_test.
#
#   scripts/bench/transfer_repro.sh FAIRAUDIT DATA_DIR OUT_DIR [SEEDS]
set -euo pipefail
bin=$1 data=$2 out=$3 seeds=${4:-"0 1 2 3 4"}
mkdir -p "$out"
common=(--data "$data/task_train.csv.gz" --label professional --group sex --ignore race --new-head --force)
for s in $seeds; do
  "$bin" fix "$data/source_mlp.h5" "${common[@]}" --seed "$s" --freeze-body -o "$out/head_s$s.h5" >"$out/head_s$s.log" 2>&1 || echo "head seed $s: exit $?"
  "$bin" fix "$data/source_mlp.h5" "${common[@]}" --seed "$s" --method finetune -o "$out/finetune_s$s.h5" >"$out/finetune_s$s.log" 2>&1 || echo "finetune seed $s: exit $?"
  "$bin" fix "$data/source_mlp.h5" "${common[@]}" --seed "$s" -o "$out/default_s$s.h5" >"$out/default_s$s.log" 2>&1 || echo "default seed $s: exit $?"
  "$bin" fix "$data/source_mlp.h5" "${common[@]}" --seed "$s" --target max_equalized_odds_difference=0.02 \
    -o "$out/target_s$s.h5" >"$out/target_s$s.log" 2>&1 || echo "target seed $s: exit $?"
done
LABEL=professional KERAS_BACKEND=jax ${PYTHON:-/work/venvs/k3/bin/python} "$(dirname "$0")/keras_judge.py" "$data/task_test.csv.gz" sex "$out"/*.h5

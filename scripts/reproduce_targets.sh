#!/usr/bin/env bash
# Reproduces the README's fairness-target table: fix --target on Adult for
# seeds 0–4, each written file judged by Keras itself on adult_test.
#   scripts/reproduce_targets.sh DATA_DIR [FAIRAUDIT] [PYTHON]
# DATA_DIR holds adult_mlp.h5, adult_train.csv.gz, adult_test.csv.gz;
# PYTHON has keras (JAX backend), pandas and fairlearn.
set -euo pipefail
data=$1; bin=${2:-.build/release/fairaudit}; py=${3:-python3}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
common=(--data "$data/adult_train.csv.gz" --eval "$data/adult_test.csv.gz" --label income --group sex --ignore race)
run() {  # name, then the fix arguments
    local name=$1; shift
    for seed in 0 1 2 3 4; do
        "$bin" fix "$data/adult_mlp.h5" "${common[@]}" --seed "$seed" "$@" -o "$work/$name.$seed.h5" --force --json \
            > "$work/$name.$seed.json" || echo "seed $seed: exit $?" >&2
    done
    KERAS_BACKEND=jax "$py" "$(dirname "$0")/bench/keras_judge.py" "$data/adult_test.csv.gz" sex "$work/$name".*.h5 \
        | "$py" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
acc = [r["accuracy"] for r in rows]; eo = [r["eo"] for r in rows]; dp = [r["dp"] for r in rows]
print(f"{sys.argv[1]:<34} seeds {len(rows)}  accuracy mean {sum(acc)/len(acc):.4f} worst {min(acc):.4f}  "
      f"EO mean {sum(eo)/len(eo):.4f} worst {max(eo):.4f}  DP mean {sum(dp)/len(dp):.4f} worst {max(dp):.4f}")' "$name"
}
run eo-0.02-acc-0.835 --target max_equalized_odds_difference=0.02 --target min_accuracy=0.835
run dp-0.02-acc-0.825 --target max_demographic_parity_difference=0.02 --target min_accuracy=0.825

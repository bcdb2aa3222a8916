#!/usr/bin/env bash
# Reproduces the README's Adult table: train on adult_train, evaluate on
# adult_test, groups = sex, seeds 0-4, mean ± sd per setting.
# Usage: scripts/reproduce.sh DATA_DIR   (holding adult_mlp.h5, adult_train.csv.gz, adult_test.csv.gz)
set -euo pipefail
data=${1:?usage: scripts/reproduce.sh DATA_DIR}
cd "$(dirname "$0")/.."
# FAIRAUDIT_BIN=path uses that binary instead of building the release one.
bin=${FAIRAUDIT_BIN:-}
if [ -z "$bin" ]; then swift build -c release --product fairaudit >/dev/null; bin=.build/release/fairaudit; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--data "$data/adult_train.csv.gz" --eval "$data/adult_test.csv.gz" --label income --group sex --ignore race)

# value KEY FIELD < json : the number after "KEY": { ... "FIELD": in the "metrics" object of
# fix --json output (the eval rows; "validation" holds the same keys for the validation split)
value() { awk -v key="\"$1\"" -v field="\"$2\"" '
  index($0, "\"metrics\"") { inmetrics = 1 }
  inmetrics && index($0, key) && !found { inblock = 1 }
  inblock && index($0, field) { gsub(/[^0-9.eE+-]/, "", $2); print $2; found = 1; inblock = 0 }' FS=": "; }
scalar() { awk -v key="\"$1\"" 'index($0, key) { gsub(/[^0-9.eE+-]/, "", $2); print $2; exit }' FS=": "; }

stats() { awk '{ s += $1; ss += $1 * $1; n++ } END { m = s / n; v = ss / n - m * m; if (v < 0) v = 0;
  sd = (n > 1) ? sqrt(v * n / (n - 1)) : 0; printf "%.4f ± %.4f", m, sd }'; }

printf '| setting | accuracy | DP difference | EO difference | trainable parameters | seconds per epoch |\n'
printf '|---|---:|---:|---:|---:|---:|\n'

$bin audit "$data/adult_mlp.h5" --data "$data/adult_test.csv.gz" --label income --group sex --ignore race \
  --no-fisher --bootstrap 0 --json > "$work/pre.json"
acc=$(value accuracy value < "$work/pre.json")
dp=$(value demographic_parity_difference value < "$work/pre.json")
eo=$(value equalized_odds_difference value < "$work/pre.json")
printf '| pre-trained | %.4f | %.4f | %.4f | 0 | – |\n' "$acc" "$dp" "$eo"

run() {
  local label=$1; shift
  : > "$work/acc"; : > "$work/dp"; : > "$work/eo"; : > "$work/sec"; : > "$work/par"
  for seed in 0 1 2 3 4; do
    $bin fix "$data/adult_mlp.h5" "${common[@]}" --seed "$seed" "$@" -o "$work/out.h5" --force --force-write --json > "$work/r.json"
    value accuracy after < "$work/r.json" >> "$work/acc"
    value demographic_parity_difference after < "$work/r.json" >> "$work/dp"
    value equalized_odds_difference after < "$work/r.json" >> "$work/eo"
    scalar seconds_per_epoch < "$work/r.json" >> "$work/sec"
    scalar trainable_parameters < "$work/r.json" >> "$work/par"
  done
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(stats < "$work/acc")" "$(stats < "$work/dp")" \
    "$(stats < "$work/eo")" "$(head -1 "$work/par")" "$(stats < "$work/sec")"
}
run "--method finetune" --method finetune
run "--method lowrank" --method lowrank
run "default (neutralized-lowrank, rank 8)"
run "default + --penalty eo --lambda 1" --penalty eo --lambda 1
run "default + --penalty dp --lambda 1" --penalty dp --lambda 1

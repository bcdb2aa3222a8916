#!/usr/bin/env bash
# The Fisher's permutation null keyed by row id (docs/method.md §8) under a true
# null: the Adult model on the 15,060 test rows grouped by a column of random
# labels (a third "a", the rest "b"; twelve draws, seeds 0–11), 20 rounds each;
# prints the p-values' mean and the share at or below 0.05 and 0.10 over every
# tensor and layer of more than one parameter, then the same rows grouped by sex.
# Usage: scripts/null_calibration.sh [fairaudit-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-.build/release/fairaudit}")"
WORK="$(mktemp -d /tmp/fairaudit-null-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
MODEL=examples/adult/model.h5
python3 - "$WORK" <<'PY'
import csv, gzip, random, sys
rows = list(csv.reader(gzip.open("Tests/EndToEndTests/Resources/cli/adult_test.csv.gz", "rt")))
for s in range(12):
    rnd = random.Random(s)
    with open(f"{sys.argv[1]}/random{s}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(rows[0] + ["random"])
        for r in rows[1:]:
            w.writerow(r + ["a" if rnd.random() < 1 / 3 else "b"])
PY
PVALUES='import json, sys
pair = json.load(sys.stdin)["fisher"]["pairs"][0]
print(" ".join(str(u["p_value"]) for u in pair["tensors"] + pair["layers"] if u["size"] > 1))'
for s in $(seq 0 11); do
  "$BIN" audit "$MODEL" --data "$WORK/random$s.csv" --label income --group random --ignore race --ignore sex \
    --permutations 20 --bootstrap 0 --seed "$s" --json 2>/dev/null | python3 -c "$PVALUES"
done > "$WORK/null.txt"
python3 - "$WORK/null.txt" <<'PY'
import sys
ps = [float(x) for line in open(sys.argv[1]) for x in line.split()]
print(f"random groups: {len(ps)} p-values, mean {sum(ps) / len(ps):.3f}, "
      f"p <= 0.05: {sum(p <= 0.05 for p in ps) / len(ps):.3f}, p <= 0.10: {sum(p <= 0.10 for p in ps) / len(ps):.3f}")
PY
zcat Tests/EndToEndTests/Resources/cli/adult_test.csv.gz > "$WORK/rows.csv"
"$BIN" audit "$MODEL" --data "$WORK/rows.csv" --label income --group sex --ignore race --bootstrap 0 --json 2>/dev/null |
  python3 -c 'import json, sys
pair = json.load(sys.stdin)["fisher"]["pairs"][0]
for u in pair["tensors"] + pair["layers"]:
    if u["size"] > 1: print(f"sex: {u[\"name\"]}: TV {u[\"tv\"]:.3f}, null mean {u[\"null_tv_mean\"]:.3f}, p {u[\"p_value\"]}")'

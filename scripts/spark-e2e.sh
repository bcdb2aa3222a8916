#!/usr/bin/env bash
# End-to-end check of examples/spark: a few hundred thousand rows built from
# the Adult test split, audited by the PySpark job in local mode (local[2],
# 6 partitions) and by one `fairaudit audit` process; the merged report must
# equal the single run's (metrics and intervals within 1e-12; the Fisher
# divergences, permutation p-values and influential weights within 1e-9
# relative), with the same gate exit code and JUnit. Needs Java 17 and Python 3; installs pyspark from
# PyPI into a venv under .build/. Usage: scripts/spark-e2e.sh [fairaudit-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(realpath "${1:-.build/debug/fairaudit}")"
[ -x "$BIN" ] || { echo "spark-e2e: no fairaudit binary at $BIN (run swift build first)" >&2; exit 2; }
VENV=.build/spark-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pyspark" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check pyspark
fi
WORK="$(mktemp -d /tmp/fairaudit-spark-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# 20 copies of the 15,060 Adult test rows: 301,200 rows.
"$VENV/bin/python" - "$WORK/rows.csv" <<'PY'
import gzip, sys
lines = gzip.open("Tests/EndToEndTests/Resources/cli/adult_test.csv.gz", "rt").read().splitlines()
with open(sys.argv[1], "w") as f:
    f.write(lines[0] + "\n")
    for _ in range(20):
        f.write("\n".join(lines[1:]) + "\n")
PY
POLICY=examples/adult/fairaudit.toml
AUDIT=(examples/adult/model.h5 --config "$POLICY" --limit max_demographic_parity_difference=0.15)
set +e
t0=$(date +%s%N)
"$BIN" audit "${AUDIT[@]}" --data "$WORK/rows.csv" --json-output "$WORK/single.json" --junit "$WORK/single.xml" > /dev/null
single_rc=$?
t1=$(date +%s%N)
"$VENV/bin/python" examples/spark/audit_spark.py --master 'local[2]' --data "$WORK/rows.csv" --partitions 6 \
  --fairaudit "$BIN" --json "$WORK/spark.json" --junit "$WORK/spark.xml" --config "$POLICY" \
  --limit max_demographic_parity_difference=0.15 -- "${AUDIT[@]}" 2> "$WORK/spark.log"
spark_rc=$?
t2=$(date +%s%N)
set -e
echo "spark-e2e: single process exit ${single_rc} in $(( (t1 - t0) / 1000000 )) ms; Spark local[2] exit ${spark_rc} in $(( (t2 - t1) / 1000000 )) ms"
if [ "$spark_rc" -eq 2 ] || [ ! -s "$WORK/spark.json" ]; then tail -20 "$WORK/spark.log" >&2; exit 1; fi
[ "$single_rc" -eq "$spark_rc" ] || { echo "spark-e2e: exit codes differ: single $single_rc, Spark $spark_rc" >&2; exit 1; }
"$VENV/bin/python" scripts/compare_reports.py "$WORK/single.json" "$WORK/spark.json" "$WORK/single.xml" "$WORK/spark.xml"

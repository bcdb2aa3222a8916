#!/usr/bin/env python3
"""Compares two `fairaudit --json` reports (and JUnit files) the way the Spark
end-to-end check needs: same groups and counts, every metric, rate and interval
within 1e-12, Fisher values within 1e-9 relative, the same gate, and JUnit
equal once timings are removed. Mean scores are averages of float32 scores, and
some OpenBLAS kernels (Haswell's) round a row differently when a partition
boundary moves it within its scoring block, so they agree within 1e-7 relative
(float32 precision), not 1e-12. Usage: compare_reports.py A.json B.json [A.xml B.xml]"""
import json
import math
import re
import sys

TOL, FISHER_REL, SCORE_REL = 1e-12, 1e-9, 1e-7
problems = []


def close(a, b, where, rel=False):
    if a is None or b is None:
        if a is not b:
            problems.append(f"{where}: {a} vs {b}")
        return
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if where.endswith("mean_score"):
            tol = SCORE_REL * max(abs(a), abs(b), 1.0)
        else:
            tol = FISHER_REL * max(abs(a), abs(b)) if rel else TOL
        if not (math.isclose(a, b, rel_tol=0, abs_tol=tol) or (math.isnan(a) and math.isnan(b))):
            problems.append(f"{where}: {a!r} vs {b!r}")
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{where}[{i}]", rel)
        return
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            close(a[k], b[k], f"{where}.{k}", rel)
        return
    if a != b:
        problems.append(f"{where}: {str(a)[:80]} vs {str(b)[:80]}")


a, b = (json.load(open(p)) for p in sys.argv[1:3])
for key in ["rows", "threshold", "min_group_size", "groups", "overall", "metrics", "bootstrap", "group_columns", "features"]:
    close(a.get(key), b.get(key), key)
if "fisher" in a or "fisher" in b:
    close(a.get("fisher"), b.get("fisher"), "fisher", rel=True)
gate_a, gate_b = a["gate"], b["gate"]
close(gate_a, gate_b, "gate")
if len(sys.argv) > 4:
    strip = lambda p: re.sub(r' time="[^"]*"', "", open(p).read())
    if strip(sys.argv[3]) != strip(sys.argv[4]):
        problems.append("JUnit files differ (beyond timings)")
if problems:
    print("reports differ:\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
    sys.exit(1)
print(f"reports agree: {a['rows']} rows, {len(a['groups'])} groups, {len(a['metrics'])} metrics, "
      f"gate {'passed' if gate_a['passed'] else 'failed'}; JUnit equal")

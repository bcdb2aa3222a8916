#!/usr/bin/env python3
"""Audit a model on rows that live in Spark: every partition is piped through
`fairaudit audit --data - --partial -`, the driver collects the partials and
`fairaudit merge` writes the report and applies the gate.

    spark-submit examples/spark/audit_spark.py --data rows.parquet --partitions 64 \
        --json report.json --junit report.xml --config fairaudit.toml -- \
        model.h5 --label income --group sex --ignore race --no-fisher

Everything after `--` is passed to `fairaudit audit` on every partition
(the model, label, group and feature columns, threshold, bootstrap, seed).
With the Fisher audit on (no --no-fisher), a first, cheaper pass counts every
group's rows (partials with --no-fisher --bootstrap 0): the Fisher's
permutation null draws each row's group with those proportions, and every
partition must use the same ones (--null-counts).
Rows are keyed by their position in the input (`zipWithIndex`, file order),
so the report equals `fairaudit audit MODEL --data rows.csv …` on one machine,
interval for interval. Give --row-id COL instead when the data has an id
column. The exit code is merge's: 0 passed, 1 the gate failed, 2 bad input.
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROW_ID = "__fairaudit_row_id"


def audit_partition(binary, audit_args, columns):
    """mapPartitions body: the partition's CSV lines (no header) on the
    binary's stdin, its one-line partial from stdout."""

    def run(rows):
        first = next(rows, None)
        if first is None:
            return  # an empty partition has nothing to add
        proc = subprocess.Popen(
            [binary, "audit", *audit_args, "--data", "-", "--columns", ",".join(columns), "--partial", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out_box = {}

        def drain():
            out_box["out"], out_box["err"] = proc.stdout.read(), proc.stderr.read()

        reader = threading.Thread(target=drain)
        reader.start()
        try:
            chunk = [first]
            for line in rows:
                chunk.append(line)
                if len(chunk) >= 4096:
                    proc.stdin.write(("\n".join(chunk) + "\n").encode("utf-8"))
                    chunk = []
            if chunk:
                proc.stdin.write(("\n".join(chunk) + "\n").encode("utf-8"))
            proc.stdin.close()
        except BrokenPipeError:
            pass
        reader.join()
        code = proc.wait()
        if code != 0:
            raise RuntimeError(out_box["err"].decode("utf-8", "replace").strip() or f"fairaudit exited {code}")
        yield out_box["out"].decode("utf-8").strip()


    return run


def group_counts(partials):
    """Every group's rows over all partials (the sum of its confusion cells)."""
    counts = {}
    for line in partials:
        for group in json.loads(line)["fairness"]["groups"]:
            counts[group["name"]] = counts.get(group["name"], 0) + sum(group["cells"])
    return counts


def drop_header(index, lines, header):
    """The first partition's lines without the header line."""
    for k, line in enumerate(lines):
        if not (index == 0 and k == 0 and line == header):
            yield line[:-1] if line.endswith("\r") else line


def to_csv_lines(rows):
    """DataFrame rows as CSV lines (Python's repr round-trips floats)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="")
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(cell_text(v) for v in row)
        yield buf.getvalue()


def cell_text(v):
    """A cell as the CSV reader expects it (Python's repr round-trips floats)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def main(argv):
    if "--" not in argv:
        sys.exit("usage: audit_spark.py --data PATH [options] -- MODEL --label COL --group COL [audit options]")
    cut = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CSV (with a header) or Parquet rows")
    parser.add_argument("--partitions", type=int, default=0, help="repartition to this many (0: as read)")
    parser.add_argument("--master", default=None, help="Spark master when not run by spark-submit (e.g. local[2])")
    parser.add_argument("--fairaudit", default=shutil.which("fairaudit") or "fairaudit", help="the fairaudit binary")
    parser.add_argument("--row-id", default=None, help="an id column to key rows by (default: position)")
    parser.add_argument("--json", default=None, help="write the merged JSON report here")
    parser.add_argument("--junit", default=None, help="write the gate as JUnit XML here")
    parser.add_argument("--config", default=None, help="fairaudit.toml policy for the gate")
    parser.add_argument("--limit", action="append", default=[], help="a gate limit, as fairaudit audit --limit")
    parser.add_argument("--partials", default=None, help="keep the partials in this folder")
    opts = parser.parse_args(argv[:cut])
    audit_args = argv[cut + 1:]

    from pyspark.sql import SparkSession
    builder = SparkSession.builder.appName("fairaudit")
    if opts.master:
        builder = builder.master(opts.master)
    spark = builder.getOrCreate()
    try:
        sc = spark.sparkContext
        if opts.data.endswith(".parquet") or os.path.isdir(opts.data):
            df = spark.read.parquet(opts.data)
            parquet = True
            columns = list(df.columns)
            lines = df.rdd.mapPartitions(to_csv_lines)
        else:
            # CSV stays text: each partition's lines go to the binary as they are
            # (records must not span lines; use Parquet for quoted newlines).
            parquet = False
            raw = sc.textFile(opts.data, minPartitions=opts.partitions or None)
            header = raw.first().rstrip("\r")
            columns = next(csv.reader([header]))
            lines = raw.mapPartitionsWithIndex(lambda i, it: drop_header(i, it, header))
        if opts.row_id:
            id_args = ["--row-id", opts.row_id]
        else:
            # Key each row by its position in the input, as one process would.
            lines = lines.zipWithIndex().map(lambda li: f"{li[0]},{li[1]}")
            columns = columns + [ROW_ID]
            id_args = ["--row-id", ROW_ID]
        if parquet and opts.partitions:
            lines = lines.repartition(opts.partitions)  # after the ids: they keep the file order
        binary = os.path.abspath(opts.fairaudit) if os.path.sep in opts.fairaudit else opts.fairaudit
        if "--no-fisher" not in audit_args and "--null-counts" not in audit_args:
            lines = lines.cache()
            first = lines.mapPartitions(audit_partition(
                binary, audit_args + id_args + ["--no-fisher", "--bootstrap", "0"], columns)).collect()
            counts = group_counts(first)
            print(f"fairaudit: group counts for the Fisher's permutation null: {counts}", file=sys.stderr)
            id_args = id_args + ["--null-counts", json.dumps(counts, sort_keys=True)]
        parts = lines.mapPartitions(audit_partition(binary, audit_args + id_args, columns)).collect()
    finally:
        spark.stop()

    folder = opts.partials or tempfile.mkdtemp(prefix="fairaudit-partials-")
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, line in enumerate(parts):
        path = os.path.join(folder, f"part-{i:05d}.json")
        with open(path, "w") as f:
            f.write(line + "\n")
        paths.append(path)
    merge = [binary, "merge", *paths, "--json"]
    if opts.json:
        merge += ["--json-output", opts.json]
    if opts.junit:
        merge += ["--junit", opts.junit]
    if opts.config:
        merge += ["--config", opts.config]
    for limit in opts.limit:
        merge += ["--limit", limit]
    print(f"fairaudit: merging {len(paths)} partials from {folder}", file=sys.stderr)
    result = subprocess.run(merge, stdout=subprocess.DEVNULL if opts.json else None)
    if not opts.partials:
        shutil.rmtree(folder, ignore_errors=True)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Checks ONNX models fairaudit wrote (fix) with the ONNX tools: each passes
onnx.checker.check_model(full_check=True), and onnxruntime's scores of the
rows equal the scores `fairaudit predict` gives for the same file.

    /work/venvs/torch/bin/python scripts/acceptance/check_onnx_fixed.py MODEL.onnx DATA.csv SCORES.npy OUTPUT [--drop COL ...]

DATA.csv: the rows `fairaudit predict` scored (label, group and --drop
columns are left out, the rest fill the model's inputs in order, as many
columns per input as its per-sample size); SCORES.npy: fairaudit's scores;
OUTPUT: the graph output fairaudit read (the probability of class 1 is its
last column). Prints the largest difference and exits 1 above 1e-5.
"""
import csv
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main(argv):
    model_path, data, scores_path, output = argv[:4]
    drop = set(argv[argv.index("--drop") + 1:]) if "--drop" in argv else set()
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    with open(data) as f:
        rows = list(csv.reader(f))
    keep = [i for i, c in enumerate(rows[0]) if c not in drop]
    x = np.array([[float(r[i]) for i in keep] for r in rows[1:]], dtype=np.float64)
    init = {i.name for i in model.graph.initializer}
    feeds, at = {}, 0
    for v in model.graph.input:
        if v.name in init:
            continue
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim][1:]
        width = int(np.prod(dims)) if dims else 1
        dtype = {1: np.float32, 7: np.int64, 6: np.int32}[v.type.tensor_type.elem_type]
        feeds[v.name] = x[:, at:at + width].reshape([-1] + dims).astype(dtype)
        at += width
    out = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"]).run([output], feeds)[0]
    ort_scores = out.reshape(len(x), -1)[:, -1]
    ours = np.load(scores_path).reshape(-1)
    worst = float(np.max(np.abs(ort_scores - ours)))
    print(f"{model_path}: onnx.checker passed; {len(ours)} rows; largest difference from onnxruntime {worst:.3g}")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

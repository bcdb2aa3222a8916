#!/usr/bin/env python3
"""A ~500 MB ONNX model for the memory check (not committed): an MLP
80 → 11,000 → 11,000 → 1 (Gemm, Relu, Gemm, Relu, Gemm, Sigmoid) with random
float32 initializers stored as raw_data, written by onnx.helper.

    /work/venvs/torch/bin/python scripts/bench/make_big_onnx.py /tmp/big/big.onnx
    /usr/bin/time -v fairaudit inspect --no-stats /tmp/big/big.onnx   # Maximum resident set size
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(path, hidden=11000):
    rng = np.random.default_rng(0)
    sizes = [80, hidden, hidden, 1]
    inits, nodes, x = [], [], "features"
    for i in range(3):
        w = (rng.standard_normal((sizes[i + 1], sizes[i]), dtype=np.float32) * (1 / np.sqrt(sizes[i]))).astype(np.float32)
        b = np.zeros(sizes[i + 1], dtype=np.float32)
        inits += [numpy_helper.from_array(w, f"fc{i}.weight"), numpy_helper.from_array(b, f"fc{i}.bias")]
        nodes.append(helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [f"z{i}"], name=f"fc{i}", transB=1))
        act = "Relu" if i < 2 else "Sigmoid"
        x = f"a{i}" if i < 2 else "score"
        nodes.append(helper.make_node(act, [f"z{i}"], [x], name=f"{act.lower()}{i}"))
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 80])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnx.helper")
    onnx.save(model, path)


if __name__ == "__main__":
    main(sys.argv[1])

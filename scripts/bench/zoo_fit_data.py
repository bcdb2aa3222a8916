#!/usr/bin/env python3
# Usage: python3 scripts/bench/zoo_fit_data.py OUT_DIR [ROWS] — rows for timing fine-tuning epochs on the zoo's
# small CNN and transformer block (`fairaudit benchmark --fit-model … --fit-data …`, scripts/bench/zoo_fit.sh).
"""Draws ROWS (default 20,000) fresh rows for small_cnn_k3 and transformer_k3 from the
same generator the zoo fixtures came from (scripts/fixtures/make_zoo_cnn.py: 16×16×3
images, 16 token ids below 40; a label and a group 0/1/2), seed 1, and writes
OUT_DIR/small_cnn_k3_fit.npz and OUT_DIR/transformer_k3_fit.npz with arrays `x`
(the model input), `label` and `group`, as `fairaudit fix --data` reads them."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
out, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20000
sys.argv = [sys.argv[0], "k3"]  # make_zoo_cnn reads the Keras flavour from argv
import make_zoo_cnn  # noqa: E402

os.makedirs(out, exist_ok=True)
for name in ("small_cnn", "transformer"):
    x, label, group = make_zoo_cnn.draw(name, np.random.default_rng(1), rows)
    path = os.path.join(out, f"{name}_k3_fit.npz")
    np.savez(path, x=x, label=label, group=group)
    print(f"{path}: x {x.shape} {x.dtype}, label rate {label.mean():.3f}")

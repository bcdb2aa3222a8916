#!/usr/bin/env python3
# Usage: KERAS_BACKEND=jax python3 scripts/bench/keras_fit.py [ROWS] — seconds per epoch of Keras 3 model.fit (batch 256) on adult_train with the Adult MLP.
#        KERAS_BACKEND=jax python3 scripts/bench/keras_fit.py MODEL.keras DATA.npz — the same for a zoo model on an npz of
#        its inputs and `label` (scripts/bench/zoo_fit_data.py), every row, as `fairaudit benchmark --fit-model` times it.
"""Loads adult_mlp.h5 with keras.models.load_model, compiles it with Adam
(lr 1e-3) and binary cross-entropy, and fits 4 epochs of batch 256 on ROWS
rows of adult_train (default 24,130: the 80% fairaudit fix trains on after
its validation split). Prints the first epoch (with compilation) and the
fastest later epoch, wall and process CPU seconds.

With a model and an npz instead, fits that model on every row of the npz (its
arrays named after the model's inputs, and `label`), as `fairaudit benchmark
--fit-model MODEL --fit-data DATA` does in its own run beside `fix`."""
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import keras
import numpy as np


class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append((time.perf_counter() - self.t0, time.process_time() - self.c0))


def data_and_model():
    if len(sys.argv) > 2:
        model = keras.models.load_model(sys.argv[1], compile=False)
        d = np.load(sys.argv[2])
        names = [t.name.split(":")[0] for t in model.inputs]
        xs = [d[n] if n in d else d["x"] for n in names]
        return model, (xs if len(xs) > 1 else xs[0]), d["label"].astype("float32"), os.path.basename(sys.argv[1])
    from adult_common import DATA, load_train

    X, y, _, _ = load_train()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 24130
    return keras.models.load_model(os.path.join(DATA, "adult_mlp.h5"), compile=False), X[:rows], y[:rows], "adult_mlp"


def main():
    model, X, y, name = data_and_model()
    rows = len(y)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    timer = Timer()
    timer.times = []
    model.fit(X, y, batch_size=256, epochs=4, shuffle=True, verbose=0, callbacks=[timer])
    first = timer.times[0]
    wall, cpu = min(timer.times[1:])
    print(f"Keras {keras.__version__} ({keras.backend.backend()}) fit {name}, {rows} rows, batch 256: first epoch "
          f"{first[0]:.3f} s (with compilation); steady epoch {wall:.3f} s (cpu {cpu:.3f} s) = {rows / wall:,.0f} rows/s")


if __name__ == "__main__":
    main()

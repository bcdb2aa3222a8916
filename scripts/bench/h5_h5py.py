#!/usr/bin/env python3
# Usage: python3 scripts/bench/h5_h5py.py FILE.h5 [FILE.h5 …] [--repeats N] | --make DIR [MB] — MB/s of h5py reading every dataset; --make writes h5py contiguous + gzip files.
"""Reads every dataset of each file with h5py (ds[()] into a numpy array),
the fastest of N runs; MB = the arrays' nbytes / 1e6. With --make DIR MB,
writes DIR/h5py_contiguous.h5 and DIR/h5py_gzip.h5 (h5py's own chunking,
gzip level 4 = h5py's default) holding the same kind of tensors as
`fairaudit bench` (16 float32 [rows, 1024] arrays, uniform ±0.1)."""
import os
import sys

import h5py
import numpy as np

from timing import best_of, pop_repeats


def read_all(path):
    n = 0
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            nonlocal n
            if isinstance(obj, h5py.Dataset):
                n += obj[()].nbytes
        f.visititems(visit)
    return n


def make(folder, mb):
    rng = np.random.default_rng(0)
    rows = max(mb * 1_000_000 // 16 // 4 // 1024, 1)
    arrays = [((rng.random((rows, 1024), dtype=np.float32) - 0.5) * 0.2) for _ in range(16)]
    for name, kw in (("h5py_contiguous.h5", {}), ("h5py_gzip.h5", {"compression": "gzip"})):
        with h5py.File(os.path.join(folder, name), "w") as f:
            for i, a in enumerate(arrays):
                f.create_dataset(f"layer{i}.weight", data=a, **kw)
        print("wrote", os.path.join(folder, name))


def main():
    args = sys.argv[1:]
    if args and args[0] == "--make":
        make(args[1], int(args[2]) if len(args) > 2 else 1024)
        return
    reps = pop_repeats(args)
    for path in args:
        best, cpu, nbytes = best_of(reps, lambda: read_all(path))
        print(f"h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version}) {path}: {nbytes / 1e6:.0f} MB in {best:.3f} s "
              f"(cpu {cpu:.3f} s) = {nbytes / 1e6 / best:,.1f} MB/s")


if __name__ == "__main__":
    main()

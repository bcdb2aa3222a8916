#!/usr/bin/env python3
# Usage: python3 scripts/bench/npz_numpy.py FILE.npz [FILE.npz …] [--repeats N] — MB/s of numpy.load reading every array.
"""numpy.load on each file, every array read (np.load(f)[name] for every
member: inflate + CRC check + copy into an array), the fastest of N runs.
MB = the arrays' nbytes / 1e6, as `fairaudit bench` counts them."""
import sys

import numpy as np

from timing import best_of, pop_repeats


def read_all(path):
    n = 0
    with np.load(path) as z:
        for name in z.files:
            n += z[name].nbytes
    return n


def main():
    args = sys.argv[1:]
    reps = pop_repeats(args)
    for path in args:
        best, cpu, nbytes = best_of(reps, lambda: read_all(path))
        print(f"numpy {np.__version__} load {path}: {nbytes / 1e6:.0f} MB in {best:.3f} s (cpu {cpu:.3f} s) = {nbytes / 1e6 / best:,.1f} MB/s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Usage: python3 scripts/bench/torch_safetensors.py FILE.safetensors FILE.pt [--repeats N] — MB/s of safetensors.numpy.load_file and torch.load.
"""Reads every tensor of the files `fairaudit bench --keep DIR` wrote
(bench.safetensors, bench.pt) with the reference libraries, the fastest of N
runs: safetensors.numpy.load_file (every tensor copied out of the mapping
into a numpy array) and torch.load(weights_only=True) (every storage read
into memory). MB = the tensors' nbytes / 1e6, as `fairaudit bench` counts them."""
import sys

import safetensors
import torch
from safetensors.numpy import load_file

from timing import best_of, pop_repeats


def st_all(path):
    return sum(a.nbytes for a in load_file(path).values())


def pt_all(path):
    sd = torch.load(path, weights_only=True)
    return sum(t.numel() * t.element_size() for t in sd.values())


def pt_mmap_touched(path):
    """torch.load(mmap=True) maps storages like fairaudit does; summing each
    tensor touches every byte once, as `fairaudit bench` does."""
    sd = torch.load(path, weights_only=True, mmap=True)
    n = 0
    for t in sd.values():
        t.view(torch.int32).sum()
        n += t.numel() * t.element_size()
    return n


def main():
    args = sys.argv[1:]
    reps = pop_repeats(args)
    torch.set_num_threads(2)
    for path in args:
        if path.endswith(".safetensors"):
            best, cpu, n = best_of(reps, lambda: st_all(path))
            lib = f"safetensors {safetensors.__version__} numpy.load_file"
        else:
            best, cpu, n = best_of(reps, lambda: pt_all(path))
            lib = f"torch {torch.__version__} load(weights_only=True)"
            print(f"{lib} {path}: {n / 1e6:.0f} MB in {best:.3f} s (cpu {cpu:.3f} s) = {n / 1e6 / best:,.1f} MB/s")
            best, cpu, n = best_of(reps, lambda: pt_mmap_touched(path))
            lib = f"torch {torch.__version__} load(weights_only=True, mmap=True) + sum of each tensor"
        print(f"{lib} {path}: {n / 1e6:.0f} MB in {best:.3f} s (cpu {cpu:.3f} s) = {n / 1e6 / best:,.1f} MB/s")


if __name__ == "__main__":
    main()

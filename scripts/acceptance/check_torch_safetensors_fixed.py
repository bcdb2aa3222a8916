#!/usr/bin/env python3
"""Loads models fairaudit wrote (fix / convert) with the Python libraries and
compares their predictions with what `fairaudit audit --json` reports for the
same file on the same data (per-group mean score and selection rate).

    python3 scripts/acceptance/check_torch_safetensors_fixed.py DATA.csv.gz MODEL AUDIT.json [MODEL AUDIT.json …]

MODEL: a .safetensors (safetensors.torch.load_file), a sharded set's
.json index (each shard loaded), or a .pt (torch.load(weights_only=True));
weights are loaded into the Adult MLP with load_state_dict(strict=True).
Needs torch, safetensors, pandas-free stdlib CSV reading.
"""
import csv, gzip, json, os, sys

import torch
from safetensors.torch import load_file


class AdultMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(80, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32),
                                       torch.nn.ReLU(), torch.nn.Linear(32, 1))

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def state_dict(path):
    if path.endswith(".json"):
        index = json.load(open(path))
        sd = {}
        for shard in sorted(set(index["weight_map"].values())):
            sd.update(load_file(os.path.join(os.path.dirname(path), shard)))
        return sd
    if path.endswith(".safetensors"):
        return load_file(path)
    obj = torch.load(path, weights_only=True)
    return obj["state_dict"] if "state_dict" in obj else obj


def main():
    data, pairs = sys.argv[1], sys.argv[2:]
    with gzip.open(data, "rt") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    X = torch.tensor([[float(v) for v in r[:80]] for r in rows[1:]])
    sex = [r[head.index("sex")] for r in rows[1:]]
    worst = 0.0
    for model_path, audit_path in zip(pairs[::2], pairs[1::2]):
        m = AdultMLP()
        m.load_state_dict(state_dict(model_path), strict=True)
        with torch.no_grad():
            s = m(X).reshape(-1).double()
        audit = json.load(open(audit_path))
        for g in audit["groups"]:
            idx = [i for i, v in enumerate(sex) if v == g["name"]]
            mean = float(s[idx].mean())
            sel = float((s[idx] >= audit["threshold"]).double().mean())
            d = abs(mean - g["mean_score"])
            worst = max(worst, d)
            print(f"{model_path}: {g['name']}: torch mean score {mean:.9f}, fairaudit {g['mean_score']:.9f} (|diff| {d:.2e}); "
                  f"selection rate torch {sel:.6f}, fairaudit {g['selection_rate']:.6f}")
            assert sel == g["selection_rate"] or abs(sel - g["selection_rate"]) <= 1 / len(idx), "selection rates differ"
    print(f"largest mean-score difference {worst:.2e}")
    assert worst <= 1e-6


if __name__ == "__main__":
    main()

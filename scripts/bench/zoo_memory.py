"""Data and model for the Fisher memory check: the zoo's residual CNN built at
32×32×3 (the same layers as make_zoo_cnn.py's `residual_cnn`, trained one
epoch on 2,000 generated images) and N generated images (default 100,000;
1.2 GB of float32, not committed).

    KERAS_BACKEND=jax /work/venvs/k3/bin/python scripts/bench/zoo_memory.py [N] [OUT_DIR]

Writes OUT_DIR/residual_cnn_32.keras and OUT_DIR/images_32.npz (`x`, `label`,
`group`); scripts/bench/zoo_memory.sh runs `fairaudit audit` on them under
/usr/bin/time -v.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../fixtures"))
sys.argv, args = sys.argv[:1] + ["k3"], sys.argv[1:]
import make_zoo_cnn as zoo  # noqa: E402
import numpy as np  # noqa: E402

N = int(args[0]) if args else 100_000
OUT = args[1] if len(args) > 1 else "/tmp/fairaudit-bench/memory"
os.makedirs(OUT, exist_ok=True)
K = zoo.keras
rng = np.random.default_rng(13)
K.utils.set_random_seed(13)
x, y, _ = zoo.images(rng, 2000, size=(32, 32))
model = zoo.residual_cnn(K, size=(32, 32))
model.compile(optimizer=K.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=32, verbose=0)
model.save(os.path.join(OUT, "residual_cnn_32.keras"))
xs, ys, gs = [], [], []
for s in range(0, N, 10_000):
    a, b, c = zoo.images(rng, min(10_000, N - s), size=(32, 32))
    xs.append(a), ys.append(b), gs.append(c)
np.savez(os.path.join(OUT, "images_32.npz"), x=np.concatenate(xs), label=np.concatenate(ys), group=np.concatenate(gs))
print(f"wrote {N} images of 32×32×3 and the model to {OUT}")

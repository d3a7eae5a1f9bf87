"""W9 in NumPy: a small convnet's forward and backward passes, im2col style.

The layers of bench/convnet.ts, on the same data and shapes: Fashion-MNIST
scaled by 1/255 as [N, 1, 28, 28], batches of 64 in a seeded random order;
a 3x3 convolution with 16 filters (stride 1, pad 1) and a bias, ReLU, 2x2
max pooling with stride 2, an affine layer to 10 classes (W as [C, D], so
scores are h @ W.T + b), softmax cross-entropy, and an SGD update of every
param. The convolution goes as the course's fast layers do without Cython:
the padded batch viewed through strides as its columns (C·3·3 rows, one
column per output position), copied once, and one matrix product; its
kernel's gradient is the output's gradient times those columns transposed.
Max pooling takes the maximum of the four strided views of the
activations (one per position in the window; reducing a reshaped array
over two axes instead took 13 to 40 times as long here) and sends the
gradient back through the same views to each window's first maximum in
row-major order, as the kernels do. The input's gradient is not needed (x
is data) and is computed on neither side. The first step is left out of the timing.

    python3 bench/numpy/convnet.py [--repeats 3] [--steps 200]

Prints one JSON object per run.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided

FASHION = "/usr/share/datasets/fashion-mnist"
N_EXAMPLES, BATCH, FILTERS, CLASSES = 12800, 64, 16, 10
# Multiply-adds counted twice: the convolution forward and its kernel's
# gradient (16 x 9 x 784 each), the affine layer forward, its W's gradient
# and its input's gradient (3,136 x 10 each).
FLOPS = 2 * (2 * FILTERS * 9 * 784 + 3 * FILTERS * 14 * 14 * CLASSES)


def fashion_mnist(count):
    with gzip.open(os.path.join(FASHION, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    with gzip.open(os.path.join(FASHION, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:count].astype(np.int64)
    return images.astype(np.float32) / 255, labels


def columns(x, kh, kw, pad):
    """x [N, C, H, W] -> [C*kh*kw, N*H'*W'] for stride 1: a strided view of the padded batch, copied once."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
    sn, sc, sh, sw = padded.strides
    view = as_strided(padded, shape=(c, kh, kw, n, ho, wo), strides=(sc, sh, sw, sn, sh, sw))
    return np.ascontiguousarray(view).reshape(c * kh * kw, n * ho * wo), ho, wo


def step(params, xb, yb, lr):
    K, b1, W, b2 = params
    n = xb.shape[0]
    f = K.shape[0]
    cols, ho, wo = columns(xb, 3, 3, 1)
    z = (K.reshape(f, -1) @ cols + b1[:, None]).reshape(f, n, ho, wo).transpose(1, 0, 2, 3)
    z = np.ascontiguousarray(z)
    a = np.maximum(z, 0)
    views = [a[:, :, dy::2, dx::2] for dy in (0, 1) for dx in (0, 1)]
    p = np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))
    h = p.reshape(n, -1)
    s = h @ W.T + b2
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), yb]).mean()
    ds = probs
    ds[np.arange(n), yb] -= 1
    ds /= n
    dW = ds.T @ h
    db2 = ds.sum(axis=0)
    dp = (ds @ W).reshape(p.shape)
    da = np.zeros_like(a)
    taken = np.zeros(p.shape, dtype=bool)
    for position, view in enumerate(views):
        first = ~taken & (view == p) if position < 3 else ~taken
        da[:, :, position // 2::2, position % 2::2] = dp * first
        taken |= first
    dz = da * (z > 0)
    dz_rows = dz.transpose(1, 0, 2, 3).reshape(f, -1)
    dK = (dz_rows @ cols.T).reshape(K.shape)
    db1 = dz_rows.sum(axis=1)
    for param, grad in zip(params, (dK, db1, dW, db2)):
        param -= lr * grad
    return loss


def run(X, y, steps, seed):
    rng = np.random.default_rng(seed)
    params = [
        (rng.standard_normal((FILTERS, 1, 3, 3)) * np.sqrt(2 / 9)).astype(np.float32),
        np.zeros(FILTERS, dtype=np.float32),
        (rng.standard_normal((CLASSES, FILTERS * 14 * 14)) * np.sqrt(2 / (FILTERS * 196))).astype(np.float32),
        np.zeros(CLASSES, dtype=np.float32),
    ]
    lr = np.float32(0.05)
    order, position, examples, started = rng.permutation(len(y)), 0, 0, 0.0
    for k in range(steps):
        if position + BATCH > len(y):
            order, position = rng.permutation(len(y)), 0
        rows = order[position:position + BATCH]
        position += BATCH
        loss = step(params, X[rows], y[rows], lr)
        if k == 0:
            started = time.perf_counter()
        else:
            examples += BATCH
    seconds = time.perf_counter() - started
    if not np.isfinite(loss):
        raise SystemExit(f"W9: the loss is {loss}")
    return dict(workload="W9", backend="numpy", steps=steps, examples=examples, seconds=seconds, loss=float(loss),
                examplesPerSecond=examples / seconds, gflops=examples * FLOPS / seconds / 1e9)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    X, y = fashion_mnist(N_EXAMPLES)
    for repeat in range(args.repeats):
        print(json.dumps(run(X, y, args.steps, repeat)), flush=True)


if __name__ == "__main__":
    main()

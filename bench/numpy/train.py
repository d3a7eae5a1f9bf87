"""W1-W4 in plain vectorized NumPy: the reference our training is measured against.

Same shapes, dtype (float32), data sizes and batching as bench/training.ts:
5,000 seeded synthetic examples of 3,072 features plus the bias column
(W1-W3) or Fashion-MNIST scaled by 1/255 plus the bias column (W4); a new
random order every epoch, batches taken in order, the last one of an epoch
shorter. W is [C, D] as in the .optim documents, so scores are X @ W.T.
The first step is left out of the timing, as on our side.

    python3 bench/numpy/train.py W1 [--repeats 3] [--peak]

Prints one JSON object per run; --peak also measures a 4096 x 4096 float32
matrix product, the machine's practical peak.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np

D, C, H = 3073, 10, 100
FASHION = "/usr/share/datasets/fashion-mnist"


def synthetic(seed=1, classes=10, points=500, dims=3072):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(classes, dims)).astype(np.float32)
    X = np.empty((classes * points, dims + 1), dtype=np.float32)
    for j in range(classes):
        X[j * points:(j + 1) * points, :dims] = centres[j] + rng.standard_normal((points, dims), dtype=np.float32)
    X[:, dims] = 1
    y = np.repeat(np.arange(classes), points)
    return X, y


def fashion_mnist():
    with gzip.open(os.path.join(FASHION, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(FASHION, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    X = np.empty((images.shape[0], 785), dtype=np.float32)
    X[:, :784] = images.astype(np.float32) / 255
    X[:, 784] = 1
    return X, labels


def svm_step(W, Xb, yb, reg, lr):
    m = Xb.shape[0]
    rows = np.arange(m)
    S = Xb @ W.T
    margins = S - S[rows, yb][:, None] + 1
    margins[rows, yb] = 0
    loss = np.maximum(0, margins).sum() / m + 0.5 * reg * np.sum(W * W)
    G = (margins > 0).astype(np.float32)
    G[rows, yb] = -G.sum(axis=1)
    G /= m
    W -= lr * (G.T @ Xb + reg * W)
    return loss


def softmax_scores_gradient(S, yb):
    m = S.shape[0]
    rows = np.arange(m)
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=1, keepdims=True)
    loss = -np.log(P[rows, yb]).mean()
    P[rows, yb] -= 1
    P /= m
    return loss, P


def softmax_step(W, Xb, yb, reg, lr):
    loss, G = softmax_scores_gradient(Xb @ W.T, yb)
    W -= lr * (G.T @ Xb + reg * W)
    return loss + 0.5 * reg * np.sum(W * W)


def two_layer_step(params, Xb, yb, reg, lr):
    W1, W2 = params
    hidden = np.maximum(0, Xb @ W1.T)
    loss, G = softmax_scores_gradient(hidden @ W2.T, yb)
    dW2 = G.T @ hidden + reg * W2
    dhidden = G @ W2
    dhidden[hidden <= 0] = 0
    dW1 = dhidden.T @ Xb + reg * W1
    W1 -= lr * dW1
    W2 -= lr * dW2
    return loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))


WORKLOADS = {
    "W1": dict(data="synthetic", batch=256, steps=500, lr=1e-7, flops=4 * D * C),
    "W2": dict(data="synthetic", batch=256, steps=500, lr=1e-7, flops=4 * D * C),
    "W3": dict(data="synthetic", batch=200, steps=500, lr=1e-5, flops=4 * D * H + 6 * H * C),
    "W4": dict(data="fashion", batch=256, steps=None, lr=1e-3, flops=4 * 785 * C),
}


def run(name, X, y):
    spec = WORKLOADS[name]
    rng = np.random.default_rng(0)
    n, d = X.shape
    batch = spec["batch"]
    steps = spec["steps"] or -(-n // batch)  # None: one epoch
    reg, lr = np.float32(1e-3), np.float32(spec["lr"])
    if name == "W3":
        params = [(rng.standard_normal((H, d)) * 1e-4).astype(np.float32), (rng.standard_normal((C, H)) * 1e-2).astype(np.float32)]
        step = lambda Xb, yb: two_layer_step(params, Xb, yb, reg, lr)
    else:
        W = (rng.standard_normal((C, d)) * 1e-4).astype(np.float32)
        update = svm_step if name in ("W1", "W4") else softmax_step
        step = lambda Xb, yb: update(W, Xb, yb, reg, lr)
    order, position, examples, started = rng.permutation(n), 0, 0, 0.0
    for k in range(steps):
        if position >= n:
            order, position = rng.permutation(n), 0
        rows = order[position:position + batch]
        position += len(rows)
        loss = step(X[rows], y[rows])
        if k == 0:
            started = time.perf_counter()
        else:
            examples += len(rows)
    seconds = time.perf_counter() - started
    if not np.isfinite(loss):
        raise SystemExit(f"{name}: the loss is {loss}")
    return dict(workload=name, backend="numpy", steps=steps, examples=examples, seconds=seconds,
                examplesPerSecond=examples / seconds, gflops=examples * spec["flops"] / seconds / 1e9)


def peak():
    A = np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32)
    A @ A
    times = []
    for _ in range(5):
        started = time.perf_counter()
        A @ A
        times.append(time.perf_counter() - started)
    return dict(workload="peak", gflops=2 * 4096 ** 3 / min(times) / 1e9, numpy=np.__version__)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak", action="store_true")
    args = parser.parse_args()
    data = {}
    for name in args.workloads:
        kind = WORKLOADS[name]["data"]
        if kind not in data:
            data[kind] = synthetic() if kind == "synthetic" else fashion_mnist()
        for _ in range(args.repeats):
            print(json.dumps(run(name, *data[kind])), flush=True)
    if args.peak:
        print(json.dumps(peak()), flush=True)


if __name__ == "__main__":
    main()

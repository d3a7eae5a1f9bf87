"""The matrix products of bench/products.ts in NumPy (float32, each operand
stored as the product reads it), in GFLOP/s, best of several runs.

    python3 bench/numpy/products.py

Prints one JSON object per product.
"""
import json
import time

import numpy as np

PRODUCTS = [
    ("W1 forward X @ W^T (256×3073 by 3073×10)", 256, 3073, 10, False, True),
    ("W1 backward G^T @ X (10×256 by 256×3073)", 10, 256, 3073, True, False),
    ("W1 forward, W as [D, C]: X @ W", 256, 3073, 10, False, False),
    ("W1 backward, W as [D, C]: X^T @ G", 3073, 256, 10, True, False),
    ("W3 forward X @ W1^T (200×3073 by 3073×100)", 200, 3073, 100, False, True),
    ("W3 backward dH^T @ X (100×200 by 200×3073)", 100, 200, 3073, True, False),
    ("W4 forward X @ W^T (256×785 by 785×10)", 256, 785, 10, False, True),
    ("W4 backward G^T @ X (10×256 by 256×785)", 10, 256, 785, True, False),
]


def best(repeats, work):
    for _ in range(3):
        work()
    fastest = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest


def main():
    rng = np.random.default_rng(0)
    for name, m, k, n, transpose_a, transpose_b in PRODUCTS:
        a = rng.standard_normal((k, m) if transpose_a else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if transpose_b else (k, n), dtype=np.float32)
        left = a.T if transpose_a else a
        right = b.T if transpose_b else b
        seconds = best(30, lambda: left @ right)
        print(json.dumps({"product": name, "gflops": {"numpy": 2 * m * k * n / seconds / 1e9}}), flush=True)


if __name__ == "__main__":
    main()

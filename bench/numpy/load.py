"""W8 in NumPy: Fashion-MNIST's 60,000 training images and labels, read with
gzip, frombuffer and astype into a float32 matrix scaled by 1/255, the same
result bench/data-load.ts times on our side.

    python3 bench/numpy/load.py [--repeats 7] [folder]

Prints one JSON object: the median, minimum and maximum in seconds.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np


def load(folder):
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int32)
    return images.astype(np.float32) * np.float32(1 / 255), labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        X, y = load(args.folder)
        times.append(time.perf_counter() - started)
    assert X.shape == (60000, 784) and y.shape == (60000,)
    times.sort()
    print(json.dumps(dict(workload="W8", median=times[len(times) // 2], min=times[0], max=times[-1], runs=len(times))))


if __name__ == "__main__":
    main()

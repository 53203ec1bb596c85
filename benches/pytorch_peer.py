"""The PyTorch eager peer of `benches/train_step.rs`: the same four workloads on the CPU with
the same thread count, batch sizes and step composition.

A training step is
    opt.zero_grad(set_to_none=True); loss = ce(net(x), t); loss.backward(); opt.step()
with `torch.optim.SGD(lr=0.01)`, `nn.CrossEntropyLoss()` and fixed labels `t = arange(B) % 10`.
Inference is `net(x)` under `torch.no_grad()`.

Usage (with the venv's python, e.g. /opt/torchenv/bin/python):
    pytorch_peer.py [--threads 2] [--steps N] [--json FILE] [workload ...]
        times every workload (warm-up, then the median of N steps, default 200 (20 for
        wide_mlp_b512)) and prints `ms/step` for train and inference; then, for each workload,
        starts a fresh process (`--rss`) that runs 50 training steps and reports its peak RSS.
    pytorch_peer.py --rss WORKLOAD [--steps N]
        one training run in this process; prints `rss_setup_kib` (after building) and
        `rss_peak_kib` (VmHWM at the end).
Timings are printed, never asserted.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

WORKLOADS = {
    # name: (batch, input shape after the batch dim)
    "seed_mlp_b2": (2, (20,)),
    "mnist_mlp_b128": (128, (784,)),
    "wide_mlp_b512": (512, (1024,)),
    "lenet_b64": (64, (1, 28, 28)),
}


def build_net(name):
    if name == "seed_mlp_b2":
        return nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "mnist_mlp_b128":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "wide_mlp_b512":
        return nn.Sequential(
            nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
            nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10),
        )
    if name == "lenet_b64":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )
    raise SystemExit(f"unknown workload {name!r}; known: {list(WORKLOADS)}")


def build(name):
    torch.manual_seed(0)
    batch, shape = WORKLOADS[name]
    net = build_net(name)
    x = torch.randn(batch, *shape)
    t = torch.arange(batch) % 10
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    ce = nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = ce(net(x), t)
        loss.backward()
        opt.step()
        return loss

    def infer():
        with torch.no_grad():
            return net(x)

    return train_step, infer


def median_ms(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def status_kib(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_run(name, steps):
    train_step, _ = build(name)
    setup = status_kib("VmRSS:")
    loss = float("nan")
    for _ in range(steps):
        loss = train_step().item()
    print(f"{name} steps={steps} loss={loss:.4f} rss_setup_kib={setup} rss_peak_kib={status_kib('VmHWM:')}")


def default_steps(name):
    return 20 if name == "wide_mlp_b512" else 200


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--rss", metavar="WORKLOAD")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    if args.rss:
        rss_run(args.rss, args.steps or 50)
        return

    results = {}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name in args.workloads:
        if name not in WORKLOADS:
            raise SystemExit(f"unknown workload {name!r}; known: {list(WORKLOADS)}")
        steps = args.steps or default_steps(name)
        train_step, infer = build(name)
        train = median_ms(train_step, steps, warmup=max(5, steps // 10))
        inf = median_ms(infer, steps, warmup=max(5, steps // 10))
        out = subprocess.run(
            [sys.executable, __file__, "--rss", name, "--threads", str(args.threads)],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        fields = dict(kv.split("=", 1) for kv in out[1:])
        results[name] = {
            "train_ms": train,
            "infer_ms": inf,
            "rss_setup_kib": int(fields["rss_setup_kib"]),
            "rss_peak_kib": int(fields["rss_peak_kib"]),
        }
        r = results[name]
        print(f"pytorch {name:16} train {train:9.4f} ms/step  infer {inf:9.4f} ms  "
              f"peak RSS {r['rss_peak_kib'] / 1024:7.1f} MiB (after setup {r['rss_setup_kib'] / 1024:.1f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "workloads": results}, f, indent=1)


if __name__ == "__main__":
    main()

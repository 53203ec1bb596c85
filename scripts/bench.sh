#!/usr/bin/env bash
# fusenet against PyTorch eager on this machine, one after the other, in one go:
#   1. builds the benches in release;
#   2. measures the sgemm peak (matrixmultiply through fusenet::kernels::cpu::gemm, 2 threads and 1);
#   3. times the train step and inference of the four workloads with criterion (benches/train_step.rs);
#   4. runs 50 training steps of each workload in its own process for its peak RSS (benches/train_rss.rs);
#   5. runs the PyTorch peer (benches/pytorch_peer.py) with the same thread count;
#   6. prints one table: ms/step both sides, ratio PyTorch/fusenet, achieved GFLOP/s against the
#      sgemm peak, peak RSS both sides.
# Usage: scripts/bench.sh [OUTDIR]   (default target/bench-report; PYTHON overrides the interpreter,
# THREADS the thread count, default 2). The load average is recorded before each phase: other
# processes on the machine skew every number here.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-target/bench-report}
PYTHON=${PYTHON:-/opt/torchenv/bin/python}
THREADS=${THREADS:-2}
mkdir -p "$OUT"
export MATMUL_NUM_THREADS=$THREADS RAYON_NUM_THREADS=$THREADS
load() { echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"; }
: >"$OUT/load.txt"

echo "== build (release)"
cargo bench --no-run --bench train_step --bench train_rss --bench sgemm_peak 2>&1 | grep -E "^(error|warning: unused)|Finished" || true

echo "== sgemm peak"
load sgemm
cargo bench -q --bench sgemm_peak 2>/dev/null | tee "$OUT/sgemm.txt"
MATMUL_NUM_THREADS=1 cargo bench -q --bench sgemm_peak 2>/dev/null | tee "$OUT/sgemm_1thread.txt"

echo "== fusenet: criterion (cpu/train/*, cpu/infer/*)"
load fusenet_criterion
cargo bench -q --bench train_step 2>/dev/null | grep -E "^cpu/|time:" | tee "$OUT/criterion.txt"

echo "== fusenet: peak RSS of 50 training steps per workload"
load fusenet_rss
: >"$OUT/fusenet_rss.txt"
for w in seed_mlp_b2 mnist_mlp_b128 wide_mlp_b512 lenet_b64; do
    cargo bench -q --bench train_rss -- "$w" 50 2>/dev/null | tee -a "$OUT/fusenet_rss.txt"
done

echo "== PyTorch eager ($PYTHON, $THREADS threads)"
load pytorch
"$PYTHON" benches/pytorch_peer.py --threads "$THREADS" --json "$OUT/pytorch.json"
load end

echo "== table"
"$PYTHON" - "$OUT" <<'EOF'
import json, os, re, sys
out = sys.argv[1]
MLP = {"seed_mlp_b2": (2, [20, 256, 10]), "mnist_mlp_b128": (128, [784, 256, 256, 10]),
       "wide_mlp_b512": (512, [1024, 1024, 1024, 1024, 10])}
TARGET = {"seed_mlp_b2": 50, "mnist_mlp_b128": 1.5, "wide_mlp_b512": 1.0, "lenet_b64": 3.0}

def flops(name):
    """(forward, train step) FLOPs of the GEMMs: 2mnk each; a train step adds the weight gradient
    of every layer and the input gradient of every layer but the first (the input needs none);
    a convolution counts as its im2col GEMM."""
    if name in MLP:
        b, d = MLP[name]
        gemms = [2 * b * i * o for i, o in zip(d, d[1:])]
    else:  # lenet_b64: conv1 [6 x 25]·[25 x 64·576], conv2 [16 x 150]·[150 x 64·64], fc 256-120-84-10
        b = 64
        gemms = [2 * 6 * 25 * b * 576, 2 * 16 * 150 * b * 64] + [2 * b * i * o for i, o in [(256, 120), (120, 84), (84, 10)]]
    fwd = sum(gemms)
    return fwd, fwd + sum(gemms) + sum(gemms[1:])

def criterion_ms(kind, name):
    with open(os.path.join("target/criterion", f"cpu_{kind}", name, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"] / 1e6

peak = float(re.search(r"sgemm_peak gflops=([\d.]+)", open(os.path.join(out, "sgemm.txt")).read()).group(1))
rss = {}
for line in open(os.path.join(out, "fusenet_rss.txt")):
    f = line.split()
    rss[f[0]] = dict(kv.split("=", 1) for kv in f[1:])
pt = json.load(open(os.path.join(out, "pytorch.json")))["workloads"]

rows = []
print(f"sgemm peak (matrixmultiply, {os.environ.get('MATMUL_NUM_THREADS')} threads, n >= 1024): {peak:.1f} GFLOP/s")
print()
print("| workload | fusenet train ms/step | PyTorch train ms/step | ratio (target) | fusenet GFLOP/s (% peak) | PyTorch GFLOP/s (% peak) | fusenet infer ms | PyTorch infer ms | infer ratio | peak RSS fusenet / PyTorch MiB | RSS growth in the run fusenet / PyTorch MiB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name in ["seed_mlp_b2", "mnist_mlp_b128", "wide_mlp_b512", "lenet_b64"]:
    ft, fi = criterion_ms("train", name), criterion_ms("infer", name)
    p = pt[name]
    fwd, train = flops(name)
    fg, pg = train / ft / 1e6, train / p["train_ms"] / 1e6
    r = rss[name]
    frss, fset = int(r["rss_peak_kib"]) / 1024, int(r["rss_setup_kib"]) / 1024
    prss, pset = p["rss_peak_kib"] / 1024, p["rss_setup_kib"] / 1024
    ratio = p["train_ms"] / ft
    mark = "met" if ratio >= TARGET[name] else "MISSED"
    print(f"| {name} | {ft:.4f} | {p['train_ms']:.4f} | {ratio:.2f}x (>= {TARGET[name]}x, {mark}) | "
          f"{fg:.1f} ({100 * fg / peak:.0f}%) | {pg:.1f} ({100 * pg / peak:.0f}%) | {fi:.4f} | {p['infer_ms']:.4f} | "
          f"{p['infer_ms'] / fi:.2f}x | {frss:.1f} / {prss:.1f} | {frss - fset:.1f} / {prss - pset:.1f} |")
print()
print("load average (1, 5, 15 min) before each phase:")
print(open(os.path.join(out, "load.txt")).read().rstrip())
EOF

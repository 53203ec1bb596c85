#!/usr/bin/env bash
# fusenet against PyTorch eager on this machine, one after the other, in one go:
#   1. builds the benches in release;
#   2. PASSES times (default 2), one after the other:
#      a. the sgemm peak (the best of fusenet's sgemm and matrixmultiply on large products, 2 threads, then 1);
#      b. fusenet: train step and inference of the four workloads, criterion (benches/train_step.rs);
#      c. PyTorch eager: the same (benches/pytorch_peer.py, same thread count), with its peak RSS;
#   3. fusenet: 50 training steps of each workload in its own process, for its peak RSS, and the
#      pieces of a step with the GEMM floor (the step's GEMMs alone) (benches/train_rss.rs);
#   4. prints the tables: ms/step both sides (each side's best pass), ratio PyTorch/fusenet (and
#      each pass's ratio), achieved GFLOP/s against the sgemm peak, peak RSS both sides.
# Usage: scripts/bench.sh [OUTDIR]   (default target/bench-report; PYTHON overrides the interpreter,
# THREADS the thread count (default 2), PASSES the number of passes). Other processes on this
# shared machine, and its host, slow either side by up to 2x at times, hence the passes; the load
# average before each phase is printed with the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-target/bench-report}
PYTHON=${PYTHON:-/opt/torchenv/bin/python}
THREADS=${THREADS:-2}
PASSES=${PASSES:-2}
mkdir -p "$OUT"
export MATMUL_NUM_THREADS=$THREADS RAYON_NUM_THREADS=$THREADS
load() { echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"; }
: >"$OUT/load.txt"

echo "== build (release)"
# Build once and run the binaries themselves: `cargo bench` in each phase would rebuild whenever
# someone edits the tree, and the passes would time different code.
cargo bench --no-run --bench train_step --bench train_rss --bench sgemm_peak 2>&1 | grep -E "^error|Finished" || true
BINS=$(cargo bench --no-run --bench train_step --bench train_rss --bench sgemm_peak --message-format=json 2>/dev/null | "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["target"]["name"], m["executable"])')
bin() { awk -v n="$1" '$1 == n { print $2 }' <<<"$BINS"; }
TRAIN_STEP=$(bin train_step) TRAIN_RSS=$(bin train_rss) SGEMM_PEAK=$(bin sgemm_peak)
[ -x "$TRAIN_STEP" ] && [ -x "$TRAIN_RSS" ] && [ -x "$SGEMM_PEAK" ] || { echo "build failed"; exit 1; }
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (+ uncommitted changes)')" | tee "$OUT/commit.txt"

for pass in $(seq 1 "$PASSES"); do
    P="$OUT/pass$pass"
    mkdir -p "$P"
    echo "== pass $pass/$PASSES: sgemm peak"
    load "pass$pass sgemm"
    "$SGEMM_PEAK" | tee "$P/sgemm.txt"
    MATMUL_NUM_THREADS=1 "$SGEMM_PEAK" | tee "$P/sgemm_1thread.txt"

    echo "== pass $pass/$PASSES: fusenet, criterion (cpu/train/*, cpu/infer/*)"
    load "pass$pass fusenet"
    "$TRAIN_STEP" --bench 2>/dev/null | grep -E "^cpu/|time:" | tee "$P/criterion.txt"
    rm -rf "$P/criterion" && mkdir -p "$P/criterion" && cp -r target/criterion/cpu_train target/criterion/cpu_train_fused target/criterion/cpu_infer "$P/criterion/"

    echo "== pass $pass/$PASSES: PyTorch eager ($PYTHON, $THREADS threads)"
    load "pass$pass pytorch"
    "$PYTHON" benches/pytorch_peer.py --threads "$THREADS" --json "$P/pytorch.json"
done

echo "== fusenet: peak RSS of 50 training steps per workload"
load fusenet_rss
: >"$OUT/fusenet_rss.txt"
for w in seed_mlp_b2 mnist_mlp_b128 wide_mlp_b512 lenet_b64; do
    "$TRAIN_RSS" "$w" 50 | tee -a "$OUT/fusenet_rss.txt"
done

echo "== fusenet: where a step's time goes (medians, ms) and the GEMM floor (the same GEMMs alone)"
load fusenet_pieces
: >"$OUT/pieces.txt"
for w in seed_mlp_b2 mnist_mlp_b128 wide_mlp_b512 lenet_b64; do
    steps=200; [ "$w" = wide_mlp_b512 ] && steps=20
    "$TRAIN_RSS" pieces "$w" "$steps" | tee -a "$OUT/pieces.txt"
done

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

def criterion_ms(pass_dir, kind, name):
    with open(os.path.join(pass_dir, "criterion", f"cpu_{kind}", name, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"] / 1e6

passes = sorted(d for d in os.listdir(out) if d.startswith("pass"))
NAMES = ["seed_mlp_b2", "mnist_mlp_b128", "wide_mlp_b512", "lenet_b64"]
runs = []  # per pass: {name: (fusenet train, fusenet infer, pytorch train, pytorch infer)}, sgemm peak
for d in passes:
    d = os.path.join(out, d)
    pt = json.load(open(os.path.join(d, "pytorch.json")))["workloads"]
    peak = float(re.search(r"sgemm_peak gflops=([\d.]+)", open(os.path.join(d, "sgemm.txt")).read()).group(1))
    peak1 = float(re.search(r"sgemm_peak gflops=([\d.]+)", open(os.path.join(d, "sgemm_1thread.txt")).read()).group(1))
    runs.append(({n: (criterion_ms(d, "train", n), criterion_ms(d, "infer", n), pt[n]["train_ms"], pt[n]["infer_ms"],
                      criterion_ms(d, "train_fused", n)) for n in NAMES},
                 peak, peak1, pt))
peak = max(r[1] for r in runs)
rss = {}
for line in open(os.path.join(out, "fusenet_rss.txt")):
    f = line.split()
    rss[f[0]] = dict(kv.split("=", 1) for kv in f[1:])
pt = runs[-1][3]

print(f"sgemm peak (best of fusenet sgemm and matrixmultiply, n >= 1024), per pass: {', '.join(f'{r[1]:.0f}' for r in runs)} GFLOP/s on "
      f"{os.environ.get('MATMUL_NUM_THREADS')} threads, {', '.join(f'{r[2]:.0f}' for r in runs)} on 1; best {peak:.1f}")
print("times: median ms per step, each side's best pass; ratio = PyTorch / fusenet")
print()
print("fusenet train: backward then Sgd::step, as PyTorch; fused: the SGD update applied inside the backward (Layer::backward_with)")
print()
print("| workload | fusenet train | fusenet train, fused SGD | PyTorch train | ratio (per pass) | ratio, fused SGD | target | fusenet GFLOP/s (% peak) | PyTorch GFLOP/s (% peak) | fusenet infer | PyTorch infer | infer ratio | peak RSS fusenet / PyTorch MiB | RSS growth in the run fusenet / PyTorch MiB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name in NAMES:
    ft, fi, ptt, pti, ff = (min(r[0][name][i] for r in runs) for i in range(5))
    per_pass = ", ".join(f"{r[0][name][2] / r[0][name][0]:.2f}" for r in runs)
    fwd, train = flops(name)
    fg, pg = train / ft / 1e6, train / ptt / 1e6
    r = rss[name]
    frss, fset = int(r["rss_peak_kib"]) / 1024, int(r["rss_setup_kib"]) / 1024
    prss, pset = pt[name]["rss_peak_kib"] / 1024, pt[name]["rss_setup_kib"] / 1024
    ratio = ptt / min(ft, ff)
    mark = "met" if ratio >= TARGET[name] else "missed"
    print(f"| {name} | {ft:.4f} | {ff:.4f} | {ptt:.4f} | {ptt / ft:.2f}x ({per_pass}) | {ptt / ff:.2f}x | >= {TARGET[name]}x {mark} | "
          f"{fg:.1f} ({100 * fg / peak:.0f}%) | {pg:.1f} ({100 * pg / peak:.0f}%) | {fi:.4f} | {pti:.4f} | "
          f"{pti / fi:.2f}x | {frss:.1f} / {prss:.1f} | {frss - fset:.1f} / {prss - pset:.1f} |")
print()
pieces, fused, floor, heap = {}, {}, {}, {}
for line in open(os.path.join(out, "pieces.txt")):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    {"pieces_ms": pieces, "fused_pieces_ms": fused, "heap_per_step": heap, "fused_heap_per_step": {}}.get(f[1], floor).setdefault(f[0], {}).update(kv)
print("fusenet, where a train step goes (medians of a separate run, ms), and the GEMM floor: the step's GEMMs alone on preallocated buffers")
print()
print("| workload | step | forward_train | loss | backward | opt.step | zero_grad | step, fused SGD (backward, opt.step) | GEMM floor train (GFLOP/s) | GEMM floor infer | step / floor | heap allocations per step (KiB) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for name in ["seed_mlp_b2", "mnist_mlp_b128", "wide_mlp_b512", "lenet_b64"]:
    p, fl = pieces[name], floor[name]
    ft = float(fl["train"])
    q = fused[name]
    print(f"| {name} | {p['step']} | {p['forward_train']} | {p['loss']} | {p['backward']} | {p['opt.step']} | {p['zero_grad']} | "
          f"{q['step']} ({q['backward']}, {q['opt.step']}) | "
          f"{ft:.4f} ({flops(name)[1] / ft / 1e6:.0f}) | {fl['infer']} | {float(p['step']) / ft:.2f}x | {heap[name]['allocs']} ({heap[name]['kib']}) |")
print()
print("load average (1, 5, 15 min) before each phase:")
loads = open(os.path.join(out, "load.txt")).read().rstrip()
print(loads)
worst = max(float(l.split()[-3]) for l in loads.splitlines())
if worst > 3.0:
    print(f"WARNING: 1-minute load reached {worst:.1f} on this machine (this script alone makes about 2). "
          "Other processes slow PyTorch's OpenMP threads more than fusenet, so the ratios above flatter "
          "fusenet; run again when the machine is quiet.")
EOF

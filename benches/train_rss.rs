//! One training run of one workload in its own process, for its peak resident memory, and a
//! breakdown of where a step's time goes.
//!
//! - `train_rss <workload> [steps]` runs `steps` (default 50) training steps and prints
//!   `<workload> steps=<n> ms_per_step=<median> loss=<last> rss_setup_kib=<..> rss_peak_kib=<..>`,
//!   where the RSS figures are `VmRSS` after building the network and data, and `VmHWM` (the
//!   peak) at the end, both from `/proc/self/status` (0 where that file does not exist).
//! - `train_rss pieces <workload> [steps]` times the pieces of a step (medians over `steps`,
//!   default 200): `forward_train`, the loss, `backward`, `opt.step`, `zero_grad`; and the GEMM
//!   floor: the same GEMMs alone on preallocated buffers (`workloads::gemms`), for a step and
//!   for inference, once with one set of buffers for all (`train=`, `infer=`: warm operands)
//!   and once with buffers of their own per GEMM (`train_distinct=`, `infer_distinct=`: the
//!   operands come from farther away, as in a real step); and the heap allocations per step
//!   (count and bytes, all threads, through a counting global allocator).
//!
//! Both modes run on rayon's pool threads (`fusenet::pool::in_pool`), as `fit` does.
//!
//! `scripts/bench.sh` runs it through `cargo bench --bench train_rss -- <args>`; cargo's extra
//! `--bench` argument is ignored. Numbers are printed, never asserted.

mod workloads;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use fusenet::pool::in_pool;
use std::time::Instant;

/// The system allocator, counting allocations (`alloc`, `alloc_zeroed`, `realloc`) and bytes.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(bytes: usize) {
    ALLOCS.fetch_add(1, Relaxed);
    BYTES.fetch_add(bytes as u64, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; the counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, that is from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn build(name: &str) -> (workloads::Spec, Box<dyn workloads::Step>) {
    workloads::build(name).unwrap_or_else(|| {
        eprintln!("unknown workload {name:?}; known: {:?}", workloads::SPECS.map(|s| s.name));
        std::process::exit(2)
    })
}

fn rss(name: &str, steps: usize) {
    let (_, mut step) = build(name);
    let setup = status_kib("VmRSS:");
    let mut times = Vec::with_capacity(steps);
    let mut loss = 0.0;
    for _ in 0..steps {
        let t = Instant::now();
        loss = step.train_step();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "{name} steps={steps} ms_per_step={:.4} loss={loss:.4} rss_setup_kib={setup} rss_peak_kib={}",
        median(times),
        status_kib("VmHWM:")
    );
}

fn pieces(name: &str, steps: usize) {
    let (spec, mut step) = build(name);
    for fused in [false, true] {
        step.set_fused(fused);
        for _ in 0..steps / 10 + 2 {
            step.train_step();
        }
        let mut cols: [Vec<f64>; 5] = Default::default();
        for c in cols.iter_mut() {
            c.reserve(steps);
        }
        let mut total = Vec::with_capacity(steps);
        let (allocs0, bytes0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
        for _ in 0..steps {
            let p = step.train_step_pieces();
            for (c, t) in cols.iter_mut().zip(p) {
                c.push(t * 1e3);
            }
            total.push(p.iter().sum::<f64>() * 1e3);
        }
        let per_step = |now: u64, before: u64| (now - before) as f64 / steps.max(1) as f64;
        let allocs = per_step(ALLOCS.load(Relaxed), allocs0);
        let kib = per_step(BYTES.load(Relaxed), bytes0) / 1024.0;
        let labels = ["forward_train", "loss", "backward", "opt.step", "zero_grad"];
        let parts: Vec<String> = labels.iter().zip(cols).map(|(l, c)| format!("{l}={:.4}", median(c))).collect();
        // The fused step applies SGD inside the backward (`Layer::backward_with`).
        let (kind, heap) = if fused { ("fused_pieces_ms", "fused_heap_per_step") } else { ("pieces_ms", "heap_per_step") };
        println!("{name} {kind} step={:.4} {}", median(total), parts.join(" "));
        println!("{name} {heap} allocs={allocs:.1} kib={kib:.1}");
    }
    step.set_fused(false);

    let (fwd, train) = workloads::gemms(&spec);
    let mut scratch: [Vec<f32>; 3] = Default::default();
    for (label, list) in [("train", &train), ("infer", &fwd)] {
        workloads::run_gemms(list, &mut scratch);
        let times: Vec<f64> = (0..steps)
            .map(|_| {
                let t = Instant::now();
                workloads::run_gemms(list, &mut scratch);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        println!("{name} gemm_floor_ms {label}={:.4} gemms={}", median(times), list.len());
        let mut own: Vec<[Vec<f32>; 3]> = list.iter().map(|_| Default::default()).collect();
        let once = |own: &mut Vec<[Vec<f32>; 3]>| {
            for (g, s) in list.iter().zip(own.iter_mut()) {
                workloads::run_gemms(std::slice::from_ref(g), s);
            }
        };
        once(&mut own);
        let times: Vec<f64> = (0..steps)
            .map(|_| {
                let t = Instant::now();
                once(&mut own);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        println!("{name} gemm_floor_ms {label}_distinct={:.4}", median(times));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        // On the pool's threads, as `fit` runs a training loop (`fusenet::pool::in_pool`).
        ["pieces", name, rest @ ..] => in_pool(|| pieces(name, rest.first().and_then(|s| s.parse().ok()).unwrap_or(200))),
        [name, rest @ ..] => in_pool(|| rss(name, rest.first().and_then(|s| s.parse().ok()).unwrap_or(50))),
        [] => {
            eprintln!("usage: train_rss <workload> [steps] | train_rss pieces <workload> [steps]");
            std::process::exit(2)
        }
    }
}

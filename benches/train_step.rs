//! Training-step and inference timings of the four workloads of issue 6 (see
//! `benches/workloads/mod.rs` for what a step does, and `scripts/bench.sh` for the comparison
//! with PyTorch).
//!
//! `cargo bench --bench train_step` reports `cpu/train/<workload>`, `cpu/train_fused/<workload>`
//! (the SGD update applied inside the backward, `Layer::backward_with`) and `cpu/infer/<workload>`.
//! Everything runs on the CPU, so the clock stops when the step returns. Timings are reported,
//! never asserted.

mod workloads;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use fusenet::pool::in_pool;
use std::time::{Duration, Instant};

fn train_step(c: &mut Criterion) {
    for kind in ["train", "train_fused", "infer"] {
        let mut group = c.benchmark_group(format!("cpu/{kind}"));
        group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        for spec in workloads::SPECS {
            let (_, mut step) = workloads::build(spec.name).expect("a known workload");
            step.set_fused(kind == "train_fused");
            // Each timed batch of iterations runs on the pool's threads, as `fit` runs its epochs
            // (`fusenet::pool::in_pool`): the parallel ops then fork in place.
            let mut timed = |iters: u64, train: bool| {
                in_pool(|| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        if train {
                            black_box(step.train_step());
                        } else {
                            black_box(step.infer());
                        }
                    }
                    start.elapsed()
                })
            };
            let train = kind != "infer";
            group.bench_function(spec.name, |b| b.iter_custom(|iters| timed(iters, train)));
        }
        group.finish();
    }
}

criterion_group!(benches, train_step);
criterion_main!(benches);

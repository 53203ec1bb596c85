//! Serial versus rayon-parallel elementwise loops and reductions, to choose
//! `fusenet_kernels::cpu::parallel::PAR_THRESHOLD`.
//!
//! `cargo bench --bench eager_ops` times `add` (memory bound), `exp` (compute bound) and `sum`
//! at sizes 10^3..10^7 with each loop forced serial (`cpu/serial/...`) and forced parallel
//! (`cpu/parallel/...`), plus the eager `Tensor` op that picks by the threshold (`cpu/tensor/...`).
//! Everything runs on the CPU, so there is no device to synchronise before the clock stops.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fusenet_kernels::cpu::parallel::{Mode, map_unary_mode, sum_f32_mode, zip_binary_mode};
use fusenet_runtime::Tensor;
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 7] = [1_000, 10_000, 32_768, 65_536, 100_000, 1_000_000, 10_000_000];

fn eager_ops(c: &mut Criterion) {
    for op in ["add", "exp", "sum"] {
        let mut group = c.benchmark_group(format!("cpu/{op}"));
        group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
        for n in SIZES {
            let a: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 1e-3).collect();
            let b = a.clone();
            group.throughput(Throughput::Elements(n as u64));
            for (name, mode) in [("serial", Mode::Serial), ("parallel", Mode::Parallel)] {
                group.bench_with_input(BenchmarkId::new(name, n), &n, |bench, _| match op {
                    "add" => bench.iter(|| zip_binary_mode(black_box(&a), black_box(&b), |x, y| x + y, mode)),
                    "exp" => bench.iter(|| map_unary_mode(black_box(&a), |x: f32| x.exp(), mode)),
                    _ => bench.iter(|| sum_f32_mode(black_box(&a), mode)),
                });
            }
            let t = Tensor::from_vec(a.clone(), &[n]);
            group.bench_with_input(BenchmarkId::new("tensor", n), &n, |bench, _| match op {
                "add" => bench.iter(|| black_box(&t) + black_box(&t)),
                "exp" => bench.iter(|| black_box(&t).exp()),
                _ => bench.iter(|| black_box(&t).sum_all()),
            });
        }
        group.finish();
    }
}

criterion_group!(benches, eager_ops);
criterion_main!(benches);

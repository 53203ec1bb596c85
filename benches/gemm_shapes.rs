//! sgemm backends on the GEMM shapes of the training-step workloads, to choose the thresholds of
//! `fusenet_kernels::cpu::gemm` (`DIRECT_MAX_MNK`, `DIRECT_MAX_B_READ`, `PAR_MIN_MNK`) and
//! between the packed backend and matrixmultiply.
//!
//! `cargo bench --bench gemm_shapes [--features fusenet-kernels/gemm-crate] [-- FILTER]` times
//! `C ← A·B` for each shape `(m, k, n, layout)` through every compiled backend
//! (`Backend::COMPILED`: `direct`; `mm-t1`/`mm-t0`, matrixmultiply on one thread and split over
//! rayon's pool; `packed-t1`/`packed-t0`, our packed kernels likewise; with the feature, `gemm-t1`/`gemm-t0`, the `gemm` crate likewise), plus `auto`,
//! what `sgemm` picks. Group names are `gemm/<m>x<k>x<n>_<layout>`, where the layout says which
//! of A and B is transposed (`nt`: B is `Wᵀ` of a linear layer's forward). Throughput is in
//! elements = floating-point operations (`2·m·k·n`), so criterion's `Gelem/s` reads as GFLOP/s.
//! `MATMUL_NUM_THREADS` caps the threads of `mm-t0` (read once per process).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fusenet_kernels::cpu::gemm::{Backend, sgemm_with};
use std::hint::black_box;
use std::time::Duration;

/// `(m, k, n, a_transposed, b_transposed)`, after `benches/workloads` `gemms()`: a linear layer
/// `[B, in] -> [B, out]` has forward `X·Wᵀ` `(B, in, out, nt)`, weight gradient `Gᵀ·X`
/// `(out, B, in, tn)` and input gradient `G·W` `(B, out, in, nn)`; then square sizes around the
/// direct path's threshold.
const SHAPES: &[(usize, usize, usize, bool, bool)] = &[
    // seed_mlp_b2: 20-256-10, batch 2
    (2, 20, 256, false, true),
    (256, 2, 20, true, false),
    (2, 256, 10, false, true),
    (10, 2, 256, true, false),
    (2, 10, 256, false, false),
    // mnist_mlp_b128: 784-256-256-10, batch 128
    (128, 784, 256, false, true),
    (256, 128, 784, true, false),
    (128, 256, 256, false, true),
    (256, 128, 256, true, false),
    (128, 256, 256, false, false),
    (128, 256, 10, false, true),
    (10, 128, 256, true, false),
    (128, 10, 256, false, false),
    // wide_mlp_b512: 1024-1024-1024-1024-10, batch 512
    (512, 1024, 1024, false, true),
    (1024, 512, 1024, true, false),
    (512, 1024, 1024, false, false),
    (512, 1024, 10, false, true),
    (10, 512, 1024, true, false),
    (512, 10, 1024, false, false),
    // LeNet, batch 64 (chunks of 7 and 12 images): the convolutions' GEMMs (forward, weight
    // gradient, column gradient), then the linear layers 256-120-84-10
    (6, 25, 4032, false, false),
    (6, 4032, 25, false, true),
    (25, 6, 4032, true, false),
    (16, 150, 768, false, false),
    (16, 768, 150, false, true),
    (150, 16, 768, true, false),
    (64, 256, 120, false, true),
    (120, 64, 256, true, false),
    (64, 120, 256, false, false),
    (64, 120, 84, false, true),
    (84, 64, 120, true, false),
    (64, 84, 120, false, false),
    // squares around the direct path's threshold
    (16, 16, 16, false, false),
    (32, 32, 32, false, false),
    (48, 48, 48, false, false),
    (64, 64, 64, false, false),
    (96, 96, 96, false, false),
    (128, 128, 128, false, false),
];

fn gemm_shapes(c: &mut Criterion) {
    for &(m, k, n, ta, tb) in SHAPES {
        let layout = format!("{}{}", if ta { 't' } else { 'n' }, if tb { 't' } else { 'n' });
        let mut group = c.benchmark_group(format!("gemm/{m}x{k}x{n}_{layout}"));
        group.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(800));
        group.throughput(Throughput::Elements(2 * (m * k * n) as u64));
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 13) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 11) as f32 * 0.01).collect();
        let mut out = vec![0f32; m * n];
        let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
        let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
        for &backend in [&[Backend::Auto], Backend::COMPILED].concat().iter() {
            // The direct loops are not meant for wide_mlp's big products; skip them there.
            if backend == Backend::Direct && m * k * n > 4 << 20 {
                continue;
            }
            group.bench_function(BenchmarkId::from_parameter(backend.name()), |bench| {
                bench.iter(|| {
                    sgemm_with(backend, m, k, n, 1.0, black_box(&a), rsa, csa, black_box(&b), rsb, csb, 0.0, &mut out, n as isize, 1)
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, gemm_shapes);
criterion_main!(benches);

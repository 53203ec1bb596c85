//! The machine's sgemm peak: the best of fusenet's own `sgemm` (our packed kernel, split over
//! rayon's pool at these sizes) and `matrixmultiply` through the same function
//! (`sgemm_with(Backend::MatrixMultiply { .. })`), the reference for the achieved GFLOP/s of the
//! workloads.
//!
//! `MATMUL_NUM_THREADS=2 cargo bench --bench sgemm_peak` times `C ← A·B` for square `n×n`
//! matrices at several `n` (best of several runs, after a warm-up) and prints one line per size,
//! `sgemm n=<n> threads=<t> backend=<name> gflops=<best>`, then
//! `sgemm_peak gflops=<max over n ≥ 1024 and both backends>`.
//! `t` is `gemm::max_threads()`: rayon's pool size, capped by `MATMUL_NUM_THREADS`, which the
//! kernels read once per process, so a thread count is one process.

use fusenet::kernels::cpu::gemm::{Backend, max_threads, sgemm_with};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let threads = max_threads();
    let mut peak: f64 = 0.0;
    for n in [256usize, 512, 1024, 2048] {
        let a: Vec<f32> = (0..n * n).map(|i| ((i * 7) % 13) as f32 * 0.01).collect();
        let b: Vec<f32> = (0..n * n).map(|i| ((i * 5) % 11) as f32 * 0.01).collect();
        let mut c = vec![0f32; n * n];
        let flops = 2.0 * (n * n * n) as f64;
        // Enough repetitions for about half a second per size.
        let reps = ((0.5e9 * 100.0 / flops) as usize).clamp(3, 200);
        for backend in [Backend::Auto, Backend::MatrixMultiply { threads: 0 }] {
            let run = |c: &mut [f32]| {
                sgemm_with(backend, n, n, n, 1.0, black_box(&a), n as isize, 1, black_box(&b), n as isize, 1, 0.0, c, n as isize, 1)
            };
            run(&mut c);
            let mut best = f64::INFINITY;
            for _ in 0..reps {
                let t = Instant::now();
                run(&mut c);
                best = best.min(t.elapsed().as_secs_f64());
            }
            black_box(&c);
            let gflops = flops / best / 1e9;
            println!("sgemm n={n} threads={threads} backend={} gflops={gflops:.1}", backend.name());
            if n >= 1024 {
                peak = peak.max(gflops);
            }
        }
    }
    println!("sgemm_peak gflops={peak:.1}");
}

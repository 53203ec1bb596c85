//! `cpu::gemm::sgemm` allocates nothing once warm on the GEMM shapes of the training-step
//! workloads (mnist_mlp_b128, wide_mlp_b512, LeNet at batch 64): the packed backend keeps its
//! packing buffers per thread. Counted with a global allocator, on the calling thread only (a
//! thread-local flag), after one warm-up pass over every shape (which also starts rayon's pool
//! and grows each thread's buffers).

use fusenet_kernels::cpu::gemm::sgemm;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether allocations on this thread are counted.
    static COUNT_HERE: Cell<bool> = const { Cell::new(false) };
}

fn counted() {
    // `try_with`: the flag may be gone while a thread shuts down.
    if COUNT_HERE.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        counted();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `(m, k, n, A transposed, B transposed)`: each linear layer's forward `X·Wᵀ`, weight gradient
/// `Gᵀ·X` and input gradient `G·W`, and LeNet's convolution GEMMs over a chunk of images that
/// the direct path does not take (benches/workloads `gemms()`).
const SHAPES: &[(usize, usize, usize, bool, bool)] = &[
    // mnist_mlp_b128
    (128, 784, 256, false, true),
    (256, 128, 784, true, false),
    (128, 256, 256, false, true),
    (256, 128, 256, true, false),
    (128, 256, 256, false, false),
    (128, 256, 10, false, true),
    (128, 10, 256, false, false),
    // wide_mlp_b512 (split over rayon's pool)
    (512, 1024, 1024, false, true),
    (1024, 512, 1024, true, false),
    (512, 1024, 1024, false, false),
    (512, 1024, 10, false, true),
    (512, 10, 1024, false, false),
    // LeNet, batch 64: conv1's column gradient, conv2's column gradient and weight gradient,
    // the linear layers
    (25, 6, 4032, true, false),
    (150, 16, 768, true, false),
    (16, 768, 150, false, true),
    (64, 256, 120, false, true),
    (120, 64, 256, true, false),
    (64, 120, 256, false, false),
    (64, 120, 84, false, true),
    (84, 64, 120, true, false),
    (64, 84, 120, false, false),
];

#[allow(clippy::too_many_arguments)]
fn run(m: usize, k: usize, n: usize, ta: bool, tb: bool, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    sgemm(m, k, n, 1.0, &a[..m * k], rsa, csa, &b[..k * n], rsb, csb, 0.0, &mut c[..m * n], n as isize, 1);
}

#[test]
fn warm_sgemm_on_workload_shapes_allocates_nothing() {
    let len = |f: fn(&(usize, usize, usize, bool, bool)) -> usize| SHAPES.iter().map(f).max().unwrap_or(0);
    let a: Vec<f32> = (0..len(|s| s.0 * s.1)).map(|i| (i % 13) as f32 * 0.01).collect();
    let b: Vec<f32> = (0..len(|s| s.1 * s.2)).map(|i| (i % 11) as f32 * 0.01).collect();
    let mut c = vec![0.0f32; len(|s| s.0 * s.2)];
    // Warm-up: twice, so that whichever pool thread runs a panel has grown its buffers.
    for _ in 0..2 {
        for &(m, k, n, ta, tb) in SHAPES {
            run(m, k, n, ta, tb, &a, &b, &mut c);
        }
    }
    COUNT_HERE.with(|f| f.set(true));
    for &(m, k, n, ta, tb) in SHAPES {
        let before = ALLOCS.load(Ordering::Relaxed);
        run(m, k, n, ta, tb, &a, &b, &mut c);
        let made = ALLOCS.load(Ordering::Relaxed) - before;
        assert_eq!(made, 0, "sgemm {m}x{k}x{n} (ta {ta}, tb {tb}) made {made} allocations on a warm call");
    }
    COUNT_HERE.with(|f| f.set(false));
    // The product is right (the last shape, 64×84·84×120, row-major: C[i, j] = Σ_p A[i, p]·B[p, j]).
    let (k, n) = (84, 120);
    let want: f32 = (0..k).map(|p| a[5 * k + p] * b[p * n + 7]).sum();
    assert!((c[5 * n + 7] - want).abs() < 1e-4, "{} vs {want}", c[5 * n + 7]);
}

//! General matrix multiplication over strided slices: `C ← α·A·B + β·C`.
//!
//! Every matmul of the runtime goes through [`sgemm`] (f32), [`sgemm_epilogue`] (f32 followed by
//! per-row work on C, which the packed kernel runs on each tile while it is in L1: a `Linear`'s
//! bias and activation), [`dgemm`] (f64, for gradient checks) or [`gemm_naive`] (any numeric
//! type, used for `i64`). Operands are described by a slice that
//! starts at element `(0, 0)` plus a row stride and a column stride, so a transposed view is
//! passed by swapping its strides and is never copied.
//!
//! # How [`sgemm`] chooses
//!
//! [`sgemm`] picks one of several implementations ([`Backend`]) by the shape and strides;
//! [`sgemm_with`] forces one (benchmarks and tests).
//!
//! 1. [`Backend::Direct`] (`gemm_small.rs`): loops over the operands where they lie, no packing,
//!    no threads, no allocation. It wins where matrixmultiply's packing of B costs as much as
//!    the product: tiny products, and products with few rows of C whose B is read only a few
//!    times. Rules: [`DIRECT_MAX_MNK`], [`DIRECT_MAX_B_READ`], [`DIRECT_GENERAL_MAX_MNK`].
//! 2. Otherwise [`Backend::Packed`] (`gemm_packed*.rs`: our BLIS-style blocked kernels, AVX-512F
//!    12×32 tiles, AVX2+FMA 6×16 or portable, chosen at run time), on one thread below
//!    [`PAR_MIN_MNK`] multiply-adds and split into panels on rayon's pool above. It keeps its
//!    packing buffers per thread, so a warm call allocates nothing (`tests/gemm_alloc.rs`);
//!    matrixmultiply allocates its packing buffer on every call.
//!    Packed is chosen even where matrixmultiply was faster: `X·Wᵀ`-like products
//!    (`csa == 1`, `rsb == 1`) whose C has 13–16 rows or columns, where packing dominates and
//!    ours was 10–13% slower (LeNet's conv2 weight gradient `16×768×150`: 53 against 48 µs, about
//!    0.2% of a LeNet step). A training step that never allocates is worth more than that.
//! 3. With the cargo feature `gemm-crate`, skinny products (`min(m, n) ≤ 16`) that are not
//!    direct go to the `gemm` crate instead (it allocates per call).
//!
//! ## Packed against matrixmultiply (2026-11-25)
//!
//! Same machine and load; µs per `C ← A·B` (β = 0), best of 7 rounds alternating the two
//! backends, one thread, GFLOP/s in parentheses; ratio = matrixmultiply time / packed time
//! (`> 1`: packed faster). The ratios of the large shapes moved by ±10% between runs.
//!
//! | shape (m×k×n) | matrixmultiply | packed | ratio |
//! |---|---|---|---|
//! | 128×784×256 nt | 335 (153) | 335 (153) | 1.00 |
//! | 256×128×784 tn | 312 (165) | 302 (170) | 1.03 |
//! | 128×256×256 nt / tn / nn | 110 / 101 / 106 (153 / 166 / 158) | 105 / 98 / 100 (160 / 171 / 169) | 1.05 / 1.03 / 1.07 |
//! | 128×256×10 nt | 12.9 (51) | 12.1 (54) | 1.06 |
//! | 128×10×256 nn | 5.6–9.5 (69–118) | 6.0–7.4 (89–110) | 0.89–1.43 |
//! | 512×1024×1024 nt | 7 440 (144) | 7 030 (153) | 1.06 |
//! | 1024×512×1024 tn | 7 390 (145) | 6 950 (154) | 1.06 |
//! | 512×1024×1024 nn | 7 540 (143) | 6 970 (154) | 1.08 |
//! | 512×1024×10 nt | 230–259 (41–46) | 237–261 (40–44) | 0.88–1.08 |
//! | 512×10×1024 nn | 187 (56) | 153 (69) | 1.22 |
//! | 25×6×4032 tn (LeNet conv1 dcol) | 24.4 (50) | 17.4 (69) | 1.40 |
//! | 150×16×768 tn (conv2 dcol) | 29.6 (125) | 29.6 (125) | 1.00 |
//! | 16×768×150 nt (conv2 dW) | 47.8 (77) | 53.4 (69) | 0.90 |
//! | 64×256×120 nt / 120×64×256 tn / 64×120×256 nn | 31.4 / 26.5 / 25.8 | 31.6 / 24.4 / 25.5 | 0.99 / 1.09 / 1.01 |
//! | 64×120×84 nt / 84×64×120 tn / 64×84×120 nn | 12.9 / 12.0 / 10.9 | 12.5 / 10.4 / 10.3 | 1.03 / 1.16 / 1.06 |
//! | 16×256×256 nt | 23.5 (89) | 26.2 (80) | 0.89 |
//! | 16×512×1024 tn | 245 (69) | 235 (72) | 1.04 |
//!
//! Split over 2 threads at a load of 5 (no free core), the large shapes were at parity or better
//! (512×1024×1024 nt / tn / nn: 1.02 / 1.54 / 1.14).
//!
//! ## Measurements behind the thresholds (2026-11-25)
//!
//! Machine: the 2-core Intel Xeon (Sapphire Rapids, AVX-512) VM shared with other builds (load
//! average 2–5 during the runs). Times are µs per `C ← A·B`, the best of 15 repetitions in each
//! of 3 rounds (a criterion mean was too noisy at that load); `nt` means B is `Wᵀ` (a linear
//! layer's forward), `tn` means A is transposed (its weight gradient). `benches/gemm_shapes.rs`
//! times the same shapes.
//!
//! | shape (m×k×n) | direct | matrixmultiply, 1 thread | gemm crate, 1 thread |
//! |---|---|---|---|
//! | 2×20×256 nt | 0.75 | 2.24 | 1.72 |
//! | 256×2×20 tn | 0.89 | 0.87 | 1.37 |
//! | 2×256×10 nt | 0.23 | 2.49 | 0.18 |
//! | 10×2×256 tn | 0.34 | 1.01 | 0.25 |
//! | 2×10×256 nn | 0.22 | 1.05 | 0.33 |
//! | 16×16×16 nn | 0.12 | 0.22 | 0.20 |
//! | 32×32×32 nn / nt | 0.68 / 1.7 | 0.68 / 1.0 | 0.76 / 1.1 |
//! | 40×40×40 nn | 1.5 | 2.0 | 1.6 |
//! | 64×64×64 nn / nt | 4.8 / 11.3 | 4.1 / 5.3 | 4.9 / 6.7 |
//! | 8×64×64 nt | 1.2 | 1.9 | 1.8 |
//! | 10×128×256 tn | 8.0 | 11.5 | 8.4 |
//! | 24×256×256 nn | 31 | 35 | 31 |
//! | 16×256×256 nt | 38 | 26 | 38 |
//! | 2×784×256 nt | 14 | 85 | 72 |
//! | 16×512×1024 tn | 358 | 264 | 365 |
//! | 10×512×1024 tn | 221 | 289 | 213 |
//! | 128×256×10 nt | 12.3 | 12.9 | 10.8 |
//! | 128×784×256 nt | 960 | 373 | 527 |
//! | 512×1024×1024 nn | 38 800 | 7 360 | 10 990 |
//!
//! Hence: the axpy form (B and C rows contiguous) is direct up to 40³ multiply-adds whatever the
//! shape, and beyond while C has at most 4 blocks of 6 rows and B is streamed at most 2²⁰
//! elements in all; the dot form (A rows and B columns contiguous, as `X·Wᵀ`) reduces across
//! lanes and reuses nothing across rows, so it is direct only for at most 8 rows. Every GEMM of
//! seed_mlp_b2's step is direct (2.4 µs in all against 7.7 µs on matrixmultiply). The gemm crate
//! (0.18, no AVX-512 on stable Rust) is 25–35% slower than matrixmultiply on every large shape,
//! so it stays an opt-in feature.
//!
//! Threads: matrixmultiply's own `threading` feature (off here) split any product with
//! `m·k + k·n ≥ 2¹⁴` over `MATMUL_NUM_THREADS` threads and lost badly on medium shapes, e.g.
//! 10×128×256 tn 45 µs on 2 threads against 12 on 1, 32×256×256 60 against 35, 64×256×256 69–81
//! against 57–63. Our split, from [`PAR_MIN_MNK`] = 2²³ multiply-adds (≈ 110 µs on one
//! thread), still lost 64×256×256 (73–80 against 62–66 µs) but won up to 1.9× from there when the
//! second core was free (256³: 121 against 228 µs; 512×1024×1024 nt: 4.5 against 8.6 ms); on a
//! busy second core it costs 5–15%.

#[path = "gemm_small.rs"]
mod small;

#[path = "gemm_mm.rs"]
mod mm;

#[path = "gemm_epilogue.rs"]
mod epilogue;
pub use epilogue::{RowEpilogue, sgemm_epilogue};

#[path = "gemm_packed.rs"]
mod packed;

#[cfg(feature = "gemm-crate")]
#[path = "gemm_crate.rs"]
mod crate_backend;

#[cfg(test)]
#[path = "gemm_tests.rs"]
mod backend_tests;

/// `C ← α·A·B + β·C` for f32, with `A` an `m×k`, `B` a `k×n` and `C` an `m×n` strided matrix.
///
/// Element `(i, j)` of `A` is `a[i·rsa + j·csa]`, and likewise for `B` and `C`. Strides of `A` and
/// `B` may be zero (a broadcast operand). When `beta == 0`, `C` is only written, so it may hold
/// garbage (even NaN) on entry.
///
/// Panics when a stride is negative, when a matrix does not fit its slice, or when two elements
/// of `C` would share a memory location.
///
/// ```
/// use fusenet_kernels::cpu::gemm::sgemm;
/// // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
/// let a = [1.0, 2.0, 3.0, 4.0];
/// let b = [5.0, 6.0, 7.0, 8.0];
/// let mut c = [0.0f32; 4];
/// sgemm(2, 2, 2, 1.0, &a, 2, 1, &b, 2, 1, 0.0, &mut c, 2, 1);
/// assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
/// // Aᵀ·B by swapping the strides of A: [[1, 3], [2, 4]] · B = [[26, 30], [38, 44]]
/// sgemm(2, 2, 2, 1.0, &a, 1, 2, &b, 2, 1, 0.0, &mut c, 2, 1);
/// assert_eq!(c, [26.0, 30.0, 38.0, 44.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: &mut [f32],
    rsc: isize,
    csc: isize,
) {
    sgemm_with(Backend::Auto, m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
}

/// The implementations behind [`sgemm`]. All give the same results up to rounding (the order of
/// the sums differs) and share [`sgemm`]'s checks and panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// What [`sgemm`] uses, by the shape (see the module documentation for the rule and the
    /// measurements behind it).
    Auto,
    /// Loops over the operands where they lie: no packing, no threads, no allocation.
    Direct,
    /// `matrixmultiply::sgemm` (packed panels, AVX-512 where available), split into at most
    /// `threads` panels of C run on rayon's pool (`0`: as many as [`max_threads`] allows; `1`:
    /// the calling thread only).
    MatrixMultiply { threads: usize },
    /// Our packed, cache-blocked kernels (`gemm_packed.rs`: AVX-512F, AVX2+FMA or portable
    /// micro-kernels by run-time detection), which allocate nothing once a thread has packed
    /// once, split into at most `threads` panels of C on rayon's pool as `MatrixMultiply`.
    Packed { threads: usize },
    /// The `gemm` crate (cargo feature `gemm-crate`) with at most `threads` threads of rayon's
    /// pool (`0`: as many as [`max_threads`] allows; `1`: the calling thread only). It has its
    /// own rule on top: no threads below `m·n·k = 48·48·256`.
    #[cfg(feature = "gemm-crate")]
    GemmCrate { threads: usize },
}

impl Backend {
    /// Every concrete backend compiled in (all but `Auto`), for benchmarks and tests; the
    /// threaded ones appear serial (`threads: 1`) and on rayon's whole pool (`threads: 0`).
    #[cfg(not(feature = "gemm-crate"))]
    pub const COMPILED: &'static [Backend] = &[
        Backend::Direct,
        Backend::MatrixMultiply { threads: 1 },
        Backend::MatrixMultiply { threads: 0 },
        Backend::Packed { threads: 1 },
        Backend::Packed { threads: 0 },
    ];
    /// Every concrete backend compiled in (all but `Auto`), for benchmarks and tests; the
    /// threaded ones appear serial (`threads: 1`) and on rayon's whole pool (`threads: 0`).
    #[cfg(feature = "gemm-crate")]
    pub const COMPILED: &'static [Backend] = &[
        Backend::Direct,
        Backend::MatrixMultiply { threads: 1 },
        Backend::MatrixMultiply { threads: 0 },
        Backend::Packed { threads: 1 },
        Backend::Packed { threads: 0 },
        Backend::GemmCrate { threads: 1 },
        Backend::GemmCrate { threads: 0 },
    ];

    /// A short name for reports: `auto`, `direct`, `mm-t<threads>`, `packed-t<threads>`,
    /// `gemm-t<threads>`.
    pub fn name(self) -> String {
        match self {
            Backend::Auto => "auto".into(),
            Backend::Direct => "direct".into(),
            Backend::MatrixMultiply { threads } => format!("mm-t{threads}"),
            Backend::Packed { threads } => format!("packed-t{threads}"),
            #[cfg(feature = "gemm-crate")]
            Backend::GemmCrate { threads } => format!("gemm-t{threads}"),
        }
    }
}

/// [`sgemm`] through a chosen [`Backend`]: the same arguments, layout rules, checks and panics.
///
/// ```
/// use fusenet_kernels::cpu::gemm::{Backend, sgemm_with};
/// let (a, b) = ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]);
/// for backend in [Backend::Auto, Backend::Direct, Backend::MatrixMultiply { threads: 1 }] {
///     let mut c = [0.0f32; 4];
///     sgemm_with(backend, 2, 2, 2, 1.0, &a, 2, 1, &b, 2, 1, 0.0, &mut c, 2, 1);
///     assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
/// }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn sgemm_with(
    backend: Backend,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: isize,
    csa: isize,
    b: &[f32],
    rsb: isize,
    csb: isize,
    beta: f32,
    c: &mut [f32],
    rsc: isize,
    csc: isize,
) {
    if !prologue(m, k, n, (a.len(), rsa, csa), (b.len(), rsb, csb), beta, c, rsc, csc) {
        return;
    }
    let backend = match backend {
        Backend::Auto => auto_backend(m, k, n, [rsa, csa, rsb, csb, rsc, csc]),
        chosen => chosen,
    };
    match backend {
        Backend::Auto | Backend::Direct => {
            let s = |x: isize| x as usize; // non-negative: checked by the prologue
            small::sgemm_small(m, k, n, alpha, a, s(rsa), s(csa), b, s(rsb), s(csb), beta, c, s(rsc), s(csc));
        }
        Backend::MatrixMultiply { threads } => {
            let threads = if threads == 0 { max_threads() } else { threads };
            // SAFETY: `check_fits` verified, for each of A, B and C, that every stride is
            // non-negative and that the largest offset reached, (rows-1)·rs + (cols-1)·cs, is
            // below the slice length, so every element lies inside its slice. `check_no_alias`
            // verified that distinct (i, j) of C map to distinct offsets. `c` is borrowed
            // mutably, so nobody else accesses it during the call; `m, n, k > 0` (prologue).
            unsafe {
                mm::gemm(
                    matrixmultiply::sgemm, threads, m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c.as_mut_ptr(), rsc, csc,
                );
            }
        }
        Backend::Packed { threads } => {
            let threads = if threads == 0 { max_threads() } else { threads };
            let mat = |x: &[f32], rs, cs| packed::Mat { ptr: x.as_ptr(), rs, cs };
            // SAFETY: as for `MatrixMultiply`: the prologue checked that every element of A, B
            // and C lies in its slice (non-negative strides), that C's elements are distinct and
            // that `m, n, k > 0`; `c` is borrowed mutably; `Isa::best` is available.
            unsafe {
                packed::gemm(packed::Isa::best(), threads, m, k, n, alpha, mat(a, rsa, csa), mat(b, rsb, csb), beta, c.as_mut_ptr(), rsc, csc, None);
            }
        }
        #[cfg(feature = "gemm-crate")]
        Backend::GemmCrate { threads } => {
            let threads = if threads == 0 { max_threads() } else { threads };
            crate_backend::sgemm(threads, m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

/// [`Backend::Direct`] takes every axpy-form product (B and C rows contiguous, or A and C
/// columns) with `m·k·n` up to this many multiply-adds.
pub const DIRECT_MAX_MNK: usize = 40 * 40 * 40;

/// [`Backend::Direct`] also takes an axpy-form product with at most 4 blocks of 6 rows (24 rows
/// of C), and a dot-form product with at most 8 rows, while the elements of B it streams (B once
/// per row block) stay within this count.
pub const DIRECT_MAX_B_READ: usize = 1 << 20;

/// [`Backend::Direct`] takes a product whose strides fit no vectorised form (scalar loops) only
/// up to this many multiply-adds.
pub const DIRECT_GENERAL_MAX_MNK: usize = 512;

/// Products with `m·k·n` from this many multiply-adds on are split across threads.
pub const PAR_MIN_MNK: usize = 8 << 20;

/// The most threads one product uses: rayon's pool size, capped by the environment variable
/// `MATMUL_NUM_THREADS` when it is set (read once per process).
pub fn max_threads() -> usize {
    mm::max_threads()
}

/// Whether [`Backend::Direct`] beats the packed backends on this product (module documentation).
fn direct_pays(m: usize, k: usize, n: usize, strides: [isize; 6]) -> bool {
    let mnk = m.saturating_mul(k).saturating_mul(n);
    // Strides are non-negative here: the prologue checked them.
    match small::form(m, k, n, strides.map(|s| s as usize)) {
        small::Form::General => mnk <= DIRECT_GENERAL_MAX_MNK,
        small::Form::Dot => m <= 8 && mnk <= DIRECT_MAX_B_READ,
        form => {
            let (rows, cols) = if form == small::Form::Axpy { (m, n) } else { (n, m) };
            let passes = rows.div_ceil(6);
            mnk <= DIRECT_MAX_MNK || (passes <= 4 && passes.saturating_mul(k).saturating_mul(cols) <= DIRECT_MAX_B_READ)
        }
    }
}

/// The backend [`Backend::Auto`] stands for, for an `m×k · k×n` product with these strides
/// (`[rsa, csa, rsb, csb, rsc, csc]`, non-negative).
fn auto_backend(m: usize, k: usize, n: usize, strides: [isize; 6]) -> Backend {
    if direct_pays(m, k, n, strides) {
        return Backend::Direct;
    }
    let threads = if m.saturating_mul(k).saturating_mul(n) >= PAR_MIN_MNK { 0 } else { 1 };
    // The gemm crate (without AVX-512 on stable) loses to matrixmultiply except on skinny
    // products, where it packs less.
    #[cfg(feature = "gemm-crate")]
    if m.min(n) <= 16 {
        return Backend::GemmCrate { threads };
    }
    // Even where matrixmultiply was up to 13% faster (module documentation): it allocates.
    let _ = strides;
    Backend::Packed { threads }
}

/// [`sgemm`] for f64 (on `matrixmultiply::dgemm`): the same layout rules, checks and panics.
/// The layer kernels use it for their f64 instances (tight finite-difference gradient checks).
///
/// ```
/// use fusenet_kernels::cpu::gemm::dgemm;
/// let mut c = [0.0f64; 1];
/// dgemm(1, 2, 1, 1.0, &[1.0, 2.0], 2, 1, &[3.0, 4.0], 1, 1, 0.0, &mut c, 1, 1);
/// assert_eq!(c, [11.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn dgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f64,
    a: &[f64],
    rsa: isize,
    csa: isize,
    b: &[f64],
    rsb: isize,
    csb: isize,
    beta: f64,
    c: &mut [f64],
    rsc: isize,
    csc: isize,
) {
    if !prologue(m, k, n, (a.len(), rsa, csa), (b.len(), rsb, csb), beta, c, rsc, csc) {
        return;
    }
    let threads = if m.saturating_mul(k).saturating_mul(n) >= PAR_MIN_MNK { max_threads() } else { 1 };
    // SAFETY: as in `sgemm_with`: `check_fits` bounds every offset inside its slice (non-negative
    // strides), `check_no_alias` makes the elements of C distinct, `c` is borrowed mutably, and
    // the prologue returned early unless `m, n, k > 0`.
    unsafe {
        mm::gemm(matrixmultiply::dgemm, threads, m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c.as_mut_ptr(), rsc, csc);
    }
}

/// `C ← α·A·B + β·C` by the triple loop, for any numeric type (the `i64` matmul; also the
/// reference that the tests compare [`sgemm`] with). Same layout rules and panics as [`sgemm`];
/// when `beta` is zero, `C` is overwritten without being read.
///
/// ```
/// use fusenet_kernels::cpu::gemm::gemm_naive;
/// let a = [1i64, 2, 3, 4, 5, 6]; // 2×3
/// let b = [1i64, 0, 0, 1, 1, 1]; // 3×2
/// let mut c = [0i64; 4];
/// gemm_naive(2, 3, 2, 1, &a, 3, 1, &b, 2, 1, 0, &mut c, 2, 1);
/// assert_eq!(c, [4, 5, 10, 11]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gemm_naive<T>(
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: &[T],
    rsa: isize,
    csa: isize,
    b: &[T],
    rsb: isize,
    csb: isize,
    beta: T,
    c: &mut [T],
    rsc: isize,
    csc: isize,
) where
    T: Copy + Default + PartialEq + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    check_fits("A", m, k, rsa, csa, a.len());
    check_fits("B", k, n, rsb, csb, b.len());
    check_fits("C", m, n, rsc, csc, c.len());
    check_no_alias(m, n, rsc, csc);
    let at = |s: isize, i: usize| s as usize * i;
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::default();
            for p in 0..k {
                acc = acc + a[at(rsa, i) + at(csa, p)] * b[at(rsb, p) + at(csb, j)];
            }
            let dst = &mut c[at(rsc, i) + at(csc, j)];
            *dst = if beta == T::default() { alpha * acc } else { alpha * acc + beta * *dst };
        }
    }
}

/// Panics unless a `rows×cols` matrix with strides `(rs, cs)` starting at 0 fits in `len`.
fn check_fits(name: &str, rows: usize, cols: usize, rs: isize, cs: isize, len: usize) {
    assert!(rs >= 0 && cs >= 0, "gemm: matrix {name} has a negative stride ({rs}, {cs})");
    if rows == 0 || cols == 0 {
        return;
    }
    let last = (rows - 1)
        .checked_mul(rs as usize)
        .and_then(|r| (cols - 1).checked_mul(cs as usize).and_then(|c| r.checked_add(c)));
    match last {
        Some(last) if last < len => {}
        _ => panic!("gemm: matrix {name} ({rows}x{cols}, strides ({rs}, {cs})) does not fit in {len} elements"),
    }
}

/// Panics when two elements of the `m×n` output share a memory location.
fn check_no_alias(m: usize, n: usize, rsc: isize, csc: isize) {
    // Sort the two axes by stride; the layout is injective when the larger stride steps over
    // the whole extent of the smaller axis. Axes of length 1 never alias. (No allocation: this
    // runs on every call.)
    let (rs, cs) = (rsc as usize, csc as usize);
    let ok = match (m > 1, n > 1) {
        (false, false) => true,
        (true, false) => rs > 0,
        (false, true) => cs > 0,
        (true, true) => {
            let ((small, len), large) = if rs <= cs { ((rs, m), cs) } else { ((cs, n), rs) };
            small > 0 && large >= small.saturating_mul(len)
        }
    };
    assert!(ok, "gemm: output strides ({rsc}, {csc}) of a {m}x{n} matrix make elements alias");
}

fn scale_c<T: Copy + Default + PartialEq + std::ops::Mul<Output = T>>(m: usize, n: usize, beta: T, c: &mut [T], rsc: isize, csc: isize) {
    let zero = T::default();
    for i in 0..m {
        for j in 0..n {
            let dst = &mut c[rsc as usize * i + csc as usize * j];
            *dst = if beta == zero { zero } else { beta * *dst };
        }
    }
}

/// The checks and trivial cases shared by [`sgemm`] and [`dgemm`]: panics unless A (`m×k`), B
/// (`k×n`) and C (`m×n`) fit their slices and C's elements are distinct; handles an empty C and
/// `k = 0` (`C ← β·C`). Returns whether the product still has to be computed.
#[allow(clippy::too_many_arguments)]
fn prologue<T: Copy + Default + PartialEq + std::ops::Mul<Output = T>>(
    m: usize,
    k: usize,
    n: usize,
    (a_len, rsa, csa): (usize, isize, isize),
    (b_len, rsb, csb): (usize, isize, isize),
    beta: T,
    c: &mut [T],
    rsc: isize,
    csc: isize,
) -> bool {
    check_fits("A", m, k, rsa, csa, a_len);
    check_fits("B", k, n, rsb, csb, b_len);
    check_fits("C", m, n, rsc, csc, c.len());
    check_no_alias(m, n, rsc, csc);
    if m == 0 || n == 0 {
        return false;
    }
    if k == 0 {
        scale_c(m, n, beta, c, rsc, csc);
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random fill in [-1, 1).
    fn fill(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn close(a: &[f32], b: &[f32]) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "element {i}: {x} vs {y}");
        }
    }

    #[test]
    fn sgemm_matches_naive_on_odd_sizes_and_layouts() {
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 65, 63), (1, 300, 1), (5, 1, 4)] {
            let a = fill(m * k, 1);
            let b = fill(k * n, 2);
            // Row-major A, column-major (transposed view of a k×n stored as n×k) B.
            for &(rsa, csa, rsb, csb) in
                &[(k as isize, 1, n as isize, 1), (1, m as isize, 1, k as isize), (k as isize, 1, 1, k as isize)]
            {
                let c0 = fill(m * n, 3);
                let mut want = c0.clone();
                let mut got = c0.clone();
                gemm_naive(m, k, n, 0.5, &a, rsa, csa, &b, rsb, csb, 2.0, &mut want, n as isize, 1);
                sgemm(m, k, n, 0.5, &a, rsa, csa, &b, rsb, csb, 2.0, &mut got, n as isize, 1);
                close(&got, &want);
            }
        }
    }

    #[test]
    fn sgemm_with_zero_stride_and_column_major_output() {
        // A broadcast row: every row of A is [1, 2, 3].
        let a = [1.0, 2.0, 3.0];
        let b = fill(3 * 4, 5);
        let mut c = vec![f32::NAN; 2 * 4];
        sgemm(2, 3, 4, 1.0, &a, 0, 1, &b, 4, 1, 0.0, &mut c, 1, 2);
        let mut want = vec![0.0; 8];
        gemm_naive(2, 3, 4, 1.0, &a, 0, 1, &b, 4, 1, 0.0, &mut want, 1, 2);
        close(&c, &want);
        assert_eq!(c[0], c[1], "both rows equal");
    }

    #[test]
    fn sgemm_empty_inner_dim_scales_c() {
        let mut c = vec![f32::NAN, f32::NAN];
        sgemm(1, 0, 2, 1.0, &[], 0, 0, &[], 0, 0, 0.0, &mut c, 2, 1);
        assert_eq!(c, [0.0, 0.0]);
        let mut c = vec![1.0, 2.0];
        sgemm(1, 0, 2, 1.0, &[], 0, 0, &[], 0, 0, 3.0, &mut c, 2, 1);
        assert_eq!(c, [3.0, 6.0]);
    }

    #[test]
    fn integer_gemm() {
        let a: Vec<i64> = (0..6).collect(); // 2×3
        let b: Vec<i64> = (0..12).collect(); // 3×4
        let mut c = vec![0i64; 8];
        gemm_naive(2, 3, 4, 1, &a, 3, 1, &b, 4, 1, 0, &mut c, 4, 1);
        // torch.arange(6).reshape(2,3) @ torch.arange(12).reshape(3,4)
        assert_eq!(c, [20, 23, 26, 29, 56, 68, 80, 92]);
    }

    #[test]
    #[should_panic(expected = "matrix A (2x3, strides (3, 1)) does not fit in 5 elements")]
    fn too_short_slice_panics() {
        let mut c = [0.0; 4];
        sgemm(2, 3, 2, 1.0, &[0.0; 5], 3, 1, &[0.0; 6], 2, 1, 0.0, &mut c, 2, 1);
    }

    #[test]
    #[should_panic(expected = "make elements alias")]
    fn aliasing_output_panics() {
        let mut c = [0.0; 4];
        sgemm(2, 1, 2, 1.0, &[1.0; 2], 1, 1, &[1.0; 2], 2, 1, 0.0, &mut c, 1, 1);
    }
}

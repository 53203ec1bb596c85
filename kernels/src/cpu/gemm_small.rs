//! The direct small-matrix path of [`super::sgemm`]: no packing, no threads, no allocation.
//!
//! For a tiny product (seed_mlp_b2's `2×20·20×256` is 10 kFLOP) matrixmultiply spends more time
//! packing A and B into its panel layout than multiplying. These loops read the operands where
//! they lie and keep a register block of C in local arrays that LLVM turns into vector registers:
//!
//! - **axpy form** (`csb == 1`, `csc == 1`: B and C rows contiguous): a block of `R` rows ×
//!   `W` columns of C is accumulated as `C[i, j..j+W] += A[i, p] · B[p, j..j+W]` over `p`.
//!   A column-major C with `rsa == 1` is the same loop on the transposed product `Cᵀ = Bᵀ·Aᵀ`.
//! - **dot form** (`csa == 1`, `rsb == 1`: A rows and B columns contiguous along `k`, e.g.
//!   `X·Wᵀ` of a linear layer): a block of `R × C` dot products, each over `L` independent lanes
//!   (so the reduction needs no reassociation), summed across lanes at the end.
//! - **general**: any other strides, one strided dot product per element.
//!
//! On x86-64 with AVX-512F (detected at run time) the axpy and dot forms run
//! `gemm_small_avx512.rs`; with AVX2 and FMA they run the intrinsics of `gemm_small_avx2.rs`;
//! elsewhere the portable loops below, whose fixed-size register blocks
//! LLVM vectorises for the baseline target. FMA rounds `a·b + c` once, so results may differ from
//! the portable loops (and from matrixmultiply) in the last bits, as any summation order does.

/// Covers rows `0..$m` with blocks of `$top` rows, then at most one block each of 4, 2 and 1
/// rows: `$f::<R>(args.., i)` for a block of `R` rows from row `i`. (A macro rather than a
/// function so that each call stays inside its caller's `target_feature` code.)
#[cfg(target_arch = "x86_64")]
macro_rules! row_blocks {
    ($m:expr, $top:literal, $f:ident($($arg:expr),*)) => {{
        let mut i = 0;
        while i + $top <= $m {
            $f::<$top>($($arg,)* i);
            i += $top;
        }
        if i + 4 <= $m {
            $f::<4>($($arg,)* i);
            i += 4;
        }
        if i + 2 <= $m {
            $f::<2>($($arg,)* i);
            i += 2;
        }
        if i < $m {
            $f::<1>($($arg,)* i);
        }
    }};
}

#[cfg(target_arch = "x86_64")]
#[path = "gemm_small_avx2.rs"]
mod avx2;
#[cfg(target_arch = "x86_64")]
#[path = "gemm_small_avx512.rs"]
mod avx512;

/// `C ← α·A·B + β·C` by the direct loops. The caller (`sgemm`'s prologue) has checked that A, B
/// and C fit their slices with non-negative strides, that C's elements are distinct, and that
/// `m, n, k > 0`. With `beta == 0`, C is only written.
#[allow(clippy::too_many_arguments)]
pub(super) fn sgemm_small(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    rsa: usize,
    csa: usize,
    b: &[f32],
    rsb: usize,
    csb: usize,
    beta: f32,
    c: &mut [f32],
    rsc: usize,
    csc: usize,
) {
    let (rsa, csa, rsb, csb, rsc, csc) = normalise(m, k, n, [rsa, csa, rsb, csb, rsc, csc]);
    let p = Gemm { m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, rsc, csc };
    let form = form_of(&p);
    #[cfg(target_arch = "x86_64")]
    if form != Form::General && std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU supports AVX-512F (checked just above), the only requirement of a
        // `#[target_feature(enable = "avx512f")]` function.
        unsafe { run_avx512(form, &p, c) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirement of
        // a `#[target_feature(enable = "avx2,fma")]` function.
        unsafe { run_avx2(form, &p, c) };
        return;
    }
    run(form, &p, c);
}

/// A stride along an axis of length 1 is only ever multiplied by 0: it is set to 1, so that row
/// and column vectors reach the fast forms whatever strides their view carried.
fn normalise(m: usize, k: usize, n: usize, [rsa, csa, rsb, csb, rsc, csc]: [usize; 6]) -> (usize, usize, usize, usize, usize, usize) {
    let (rsa, rsc) = if m == 1 { (1, 1) } else { (rsa, rsc) };
    let (csb, csc) = if n == 1 { (1, 1) } else { (csb, csc) };
    let (csa, rsb) = if k == 1 { (1, 1) } else { (csa, rsb) };
    (rsa, csa, rsb, csb, rsc, csc)
}

/// Which loop the direct path runs for a stride layout (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    /// `csb == csc == 1`.
    Axpy,
    /// `rsa == rsc == 1`: the axpy form on `Cᵀ = Bᵀ·Aᵀ`.
    AxpyTransposed,
    /// `csa == rsb == 1`.
    Dot,
    /// Anything else: one strided dot product per element, unvectorised.
    General,
}

fn form_of(p: &Gemm) -> Form {
    if p.csb == 1 && p.csc == 1 {
        Form::Axpy
    } else if p.rsa == 1 && p.rsc == 1 {
        Form::AxpyTransposed
    } else if p.csa == 1 && p.rsb == 1 {
        Form::Dot
    } else {
        Form::General
    }
}

/// The form [`sgemm_small`] would use for these shapes and (non-negative) strides.
#[allow(clippy::too_many_arguments)]
pub(super) fn form(m: usize, k: usize, n: usize, strides: [usize; 6]) -> Form {
    let (rsa, csa, rsb, csb, rsc, csc) = normalise(m, k, n, strides);
    form_of(&Gemm { m, k, n, alpha: 0.0, a: &[], rsa, csa, b: &[], rsb, csb, beta: 0.0, rsc, csc })
}

/// One product's operands; strides are `usize` (the prologue rejected negative ones).
struct Gemm<'a> {
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &'a [f32],
    rsa: usize,
    csa: usize,
    b: &'a [f32],
    rsb: usize,
    csb: usize,
    beta: f32,
    rsc: usize,
    csc: usize,
}

impl<'a> Gemm<'a> {
    /// The product `Cᵀ = Bᵀ·Aᵀ`, which writes the same memory as `self`.
    fn transposed(&self) -> Gemm<'a> {
        Gemm {
            m: self.n,
            k: self.k,
            n: self.m,
            alpha: self.alpha,
            a: self.b,
            rsa: self.csb,
            csa: self.rsb,
            b: self.a,
            rsb: self.csa,
            csb: self.rsa,
            beta: self.beta,
            rsc: self.csc,
            csc: self.rsc,
        }
    }
}

/// [`run`] on the AVX2+FMA bodies.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2(form: Form, p: &Gemm, c: &mut [f32]) {
    match form {
        Form::Axpy => avx2::axpy(p, c),
        Form::AxpyTransposed => avx2::axpy(&p.transposed(), c),
        Form::Dot => avx2::dot(p, c),
        Form::General => general(p, c),
    }
}

/// The AVX-512F bodies of the axpy and dot forms (the general form has none).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512(form: Form, p: &Gemm, c: &mut [f32]) {
    match form {
        Form::Axpy => avx512::axpy(p, c),
        Form::AxpyTransposed => avx512::axpy(&p.transposed(), c),
        Form::Dot => avx512::dot(p, c),
        Form::General => general(p, c),
    }
}

/// The portable loops of `form`.
fn run(form: Form, p: &Gemm, c: &mut [f32]) {
    match form {
        Form::Axpy => axpy(p, c),
        Form::AxpyTransposed => axpy(&p.transposed(), c),
        Form::Dot => dot(p, c),
        Form::General => general(p, c),
    }
}

/// Writes `α·acc (+ β·C)` into `dst`: C is not read when `β == 0`.
#[inline(always)]
fn store(dst: &mut [f32], acc: &[f32], alpha: f32, beta: f32) {
    if beta == 0.0 {
        for (d, &s) in dst.iter_mut().zip(acc) {
            *d = alpha * s;
        }
    } else {
        for (d, &s) in dst.iter_mut().zip(acc) {
            *d = alpha * s + beta * *d;
        }
    }
}

/// Axpy form (`csb == csc == 1`): rows of C in blocks of 4, columns in blocks of 16, 8 and 1.
#[inline(always)]
fn axpy(p: &Gemm, c: &mut [f32]) {
    let mut i = 0;
    while i + 4 <= p.m {
        axpy_rows::<4>(p, i, c);
        i += 4;
    }
    while i < p.m {
        axpy_rows::<1>(p, i, c);
        i += 1;
    }
}

#[inline(always)]
fn axpy_rows<const R: usize>(p: &Gemm, i: usize, c: &mut [f32]) {
    let mut j = 0;
    while j + 16 <= p.n {
        axpy_block::<R, 16>(p, i, j, c);
        j += 16;
    }
    while j + 8 <= p.n {
        axpy_block::<R, 8>(p, i, j, c);
        j += 8;
    }
    while j < p.n {
        axpy_block::<R, 1>(p, i, j, c);
        j += 1;
    }
}

/// `C[i..i+R, j..j+W]` of the axpy form, accumulated in `R × W` locals over the whole `k`.
#[inline(always)]
fn axpy_block<const R: usize, const W: usize>(p: &Gemm, i: usize, j: usize, c: &mut [f32]) {
    let mut acc = [[0.0f32; W]; R];
    for q in 0..p.k {
        let b: &[f32; W] = p.b[q * p.rsb + j..][..W].try_into().expect("W columns");
        let mut x = [0.0f32; R];
        for (r, x) in x.iter_mut().enumerate() {
            *x = p.a[(i + r) * p.rsa + q * p.csa];
        }
        for r in 0..R {
            for w in 0..W {
                acc[r][w] += x[r] * b[w];
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        store(&mut c[(i + r) * p.rsc + j..][..W], acc, p.alpha, p.beta);
    }
}

/// Lanes of each dot product of the dot form (one AVX register of f32).
const L: usize = 8;

/// Dot form (`csa == rsb == 1`): blocks of 2 rows × 4 columns of C, then the edges.
#[inline(always)]
fn dot(p: &Gemm, c: &mut [f32]) {
    let mut i = 0;
    while i + 2 <= p.m {
        dot_rows::<2>(p, i, c);
        i += 2;
    }
    if i < p.m {
        dot_rows::<1>(p, i, c);
    }
}

#[inline(always)]
fn dot_rows<const R: usize>(p: &Gemm, i: usize, c: &mut [f32]) {
    let mut j = 0;
    while j + 4 <= p.n {
        dot_block::<R, 4>(p, i, j, c);
        j += 4;
    }
    while j < p.n {
        dot_block::<R, 1>(p, i, j, c);
        j += 1;
    }
}

/// `C[i..i+R, j..j+C]` of the dot form: `R × C` dot products over `k`, `L` lanes each.
#[inline(always)]
fn dot_block<const R: usize, const C: usize>(p: &Gemm, i: usize, j: usize, c: &mut [f32]) {
    let k = p.k;
    let rows: [&[f32]; R] = std::array::from_fn(|r| &p.a[(i + r) * p.rsa..][..k]);
    let cols: [&[f32]; C] = std::array::from_fn(|s| &p.b[(j + s) * p.csb..][..k]);
    let mut acc = [[[0.0f32; L]; C]; R];
    let full = k / L * L;
    let mut q = 0;
    while q < full {
        let x: [&[f32; L]; R] = std::array::from_fn(|r| rows[r][q..q + L].try_into().expect("L lanes"));
        let y: [&[f32; L]; C] = std::array::from_fn(|s| cols[s][q..q + L].try_into().expect("L lanes"));
        for r in 0..R {
            for s in 0..C {
                for l in 0..L {
                    acc[r][s][l] += x[r][l] * y[s][l];
                }
            }
        }
        q += L;
    }
    for r in 0..R {
        for s in 0..C {
            let mut sum = acc[r][s].iter().sum::<f32>();
            for q in full..k {
                sum += rows[r][q] * cols[s][q];
            }
            let dst = &mut c[(i + r) * p.rsc + (j + s) * p.csc];
            *dst = if p.beta == 0.0 { p.alpha * sum } else { p.alpha * sum + p.beta * *dst };
        }
    }
}

/// Any strides (broadcast operands, column-major A with row-major B and C, ...).
fn general(p: &Gemm, c: &mut [f32]) {
    for i in 0..p.m {
        for j in 0..p.n {
            let mut sum = 0.0f32;
            for q in 0..p.k {
                sum += p.a[i * p.rsa + q * p.csa] * p.b[q * p.rsb + j * p.csb];
            }
            let dst = &mut c[i * p.rsc + j * p.csc];
            *dst = if p.beta == 0.0 { p.alpha * sum } else { p.alpha * sum + p.beta * *dst };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::gemm_naive;

    /// The portable loops (which an AVX2 machine never reaches through `sgemm`) and, where the
    /// CPU has them, the AVX2 and AVX-512 bodies, against the triple loop on every form.
    #[test]
    fn portable_and_simd_bodies_match_naive_on_every_form() {
        let mut seed = 1u32;
        let mut rand = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let shapes = [(1, 1, 1), (2, 20, 256), (256, 2, 20), (7, 13, 29), (13, 17, 3), (1, 9, 33), (30, 1, 18), (15, 3, 47), (9, 2, 64), (3, 37, 40), (2, 256, 10), (5, 16, 17), (4, 32, 9)];
        for &(m, k, n) in &shapes {
            for layout in 0..8 {
                let (ta, tb, tc) = (layout & 1 != 0, layout & 2 != 0, layout & 4 != 0);
                let (rsa, csa) = if ta { (1, m) } else { (k, 1) };
                let (rsb, csb) = if tb { (1, k) } else { (n, 1) };
                let (rsc, csc) = if tc { (1, m) } else { (n, 1) };
                let a: Vec<f32> = (0..m * k).map(|_| rand()).collect();
                let b: Vec<f32> = (0..k * n).map(|_| rand()).collect();
                let c0: Vec<f32> = (0..m * n).map(|_| rand()).collect();
                for beta in [0.0, 0.75] {
                    let mut want = c0.clone();
                    let i = |x: usize| x as isize;
                    gemm_naive(m, k, n, 1.5, &a, i(rsa), i(csa), &b, i(rsb), i(csb), beta, &mut want, i(rsc), i(csc));
                    let (rsa, csa, rsb, csb, rsc, csc) = normalise(m, k, n, [rsa, csa, rsb, csb, rsc, csc]);
                    let p = Gemm { m, k, n, alpha: 1.5, a: &a, rsa, csa, b: &b, rsb, csb, beta, rsc, csc };
                    let mut bodies: Vec<(&str, Vec<f32>)> = Vec::new();
                    let mut got = if beta == 0.0 { vec![f32::NAN; m * n] } else { c0.clone() };
                    run(form_of(&p), &p, &mut got);
                    bodies.push(("portable", got));
                    #[cfg(target_arch = "x86_64")]
                    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                        let mut got = if beta == 0.0 { vec![f32::NAN; m * n] } else { c0.clone() };
                        // SAFETY: AVX2 and FMA are available (checked just above).
                        unsafe { run_avx2(form_of(&p), &p, &mut got) };
                        bodies.push(("avx2", got));
                    }
                    #[cfg(target_arch = "x86_64")]
                    if std::is_x86_feature_detected!("avx512f") {
                        let mut got = if beta == 0.0 { vec![f32::NAN; m * n] } else { c0.clone() };
                        // SAFETY: AVX-512F is available (checked just above).
                        unsafe { run_avx512(form_of(&p), &p, &mut got) };
                        bodies.push(("avx512", got));
                    }
                    for (name, got) in &bodies {
                        for (e, (g, w)) in got.iter().zip(&want).enumerate() {
                            assert!(
                                (g - w).abs() <= 1e-5 * (k as f32 + 1.0) * (1.0 + w.abs()),
                                "{name} {:?} {m}x{k}x{n} layout {layout} beta {beta}: element {e}: {g} vs {w}",
                                form_of(&p)
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn forms_follow_the_strides() {
        // [rsa, csa, rsb, csb, rsc, csc]
        assert_eq!(form(4, 5, 6, [5, 1, 6, 1, 6, 1]), Form::Axpy);
        assert_eq!(form(4, 5, 6, [1, 4, 1, 5, 1, 4]), Form::AxpyTransposed);
        assert_eq!(form(4, 5, 6, [5, 1, 1, 5, 6, 1]), Form::Dot);
        assert_eq!(form(4, 5, 6, [1, 4, 1, 5, 6, 1]), Form::General);
        // A row vector times a matrix is axpy whatever strides the length-1 axes carry.
        assert_eq!(form(1, 5, 6, [99, 1, 6, 1, 77, 1]), Form::Axpy);
    }
}

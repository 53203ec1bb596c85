//! Direct 2-d convolution for one input channel (stride 1, no dilation, any zero padding): the
//! first layer of an image network (LeNet's `Conv2d(1, 6, 5)` on 28×28). With one input channel
//! the im2col column matrix is `K` copies of the image (25 for a 5×5 kernel) and the GEMMs have
//! `C_in·K = 25` rows and `C_out = 6` columns: skinny products that run far below the machine's
//! peak. Here each output row is computed in registers instead:
//!
//! ```text
//! y[o, r, c]  = b[o] + Σ_{kh, kw} W[o, kh, kw] · x[r + kh − ph, c + kw − pw]      (0 outside x)
//! dW[o, kh, kw] += Σ_{r, c} dY[o, r, c] · x[r + kh − ph, c + kw − pw]
//! ```
//!
//! The forward holds a block of up to 8 output channels × 16 columns of one output row in
//! registers over all taps (in `f32`, of two rows at once, each weight broadcast for both: LeNet's
//! conv1 forward + `dW` 318–351 → 302–330 µs, 1 thread, minimums of 6 alternated runs), loading
//! each input run once for the whole block; the weight gradient
//! holds 8 channels × 16 lanes of one tap, over every output position of the image, or, for
//! kernels 3 or 5 wide in `f32`, a whole kernel row of up to 4 channels (`weight_grad_rows`: each
//! position loads its gradients and input runs once for all of the row's taps; LeNet's conv1
//! forward + `dW` 466–468 → 329–378 µs, 1 thread, minimums, alternated). Summing each tap over
//! a chunk's images before the horizontal add (fewer reductions) was 1.5× slower: a chunk's
//! images no longer stay in L1 across taps. For `f32` on a CPU with AVX-512F these are the
//! intrinsics of `direct_avx512.rs`; otherwise (`f64`, other CPUs) the same loops in plain Rust
//! over fixed-size arrays (the per-tap form).

use super::ConvGeom;
use crate::real::Real;
#[cfg(target_arch = "x86_64")]
use crate::real::{as_f32, as_f32_mut};

/// Whether the AVX-512 `f32` bodies run on this CPU.
#[cfg(target_arch = "x86_64")]
fn avx512() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

/// Columns of an output row one register block holds.
const CW: usize = 16;
/// Output channels one block accumulates at once.
const OB: usize = 8;

/// Whether the direct loops apply: 2-d, one input channel, one group, stride 1, dilation 1.
pub(super) fn applies<const D: usize>(g: &ConvGeom<D>) -> bool {
    D == 2 && g.c_in == 1 && g.groups == 1 && g.stride.iter().all(|&s| s == 1) && g.dilation.iter().all(|&d| d == 1)
}

/// The geometry of one image, for the loops.
#[derive(Clone, Copy)]
pub(super) struct Geom {
    pub ih: usize,
    pub iw: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub ph: usize,
    pub pw: usize,
    pub c_out: usize,
}

impl Geom {
    fn of<const D: usize>(g: &ConvGeom<D>) -> Geom {
        let (o, k, p, i) = (g.output(), g.kernel, g.padding, g.input);
        Geom { ih: i[0], iw: i[1], oh: o[0], ow: o[1], kh: k[0], kw: k[1], ph: p[0], pw: p[1], c_out: g.c_out }
    }

    /// The 16 input values that output columns `c0..c0 + 16` of a row see through tap column
    /// `kw` in input row `xrow` (0 in the padding and past `cw` columns).
    #[inline(always)]
    fn run<T: Real>(&self, xrow: &[T], c0: usize, cw: usize, kw: usize) -> [T; CW] {
        let mut v = [T::zero(); CW];
        // Input column of output column c0 + l: c0 + l + kw − pw.
        let first = c0 + kw;
        if first >= self.pw && first + cw <= self.iw + self.pw {
            v[..cw].copy_from_slice(&xrow[first - self.pw..first - self.pw + cw]);
        } else {
            for (l, v) in v.iter_mut().enumerate().take(cw) {
                let c = first + l;
                if c >= self.pw && c - self.pw < self.iw {
                    *v = xrow[c - self.pw];
                }
            }
        }
        v
    }

    /// Input row `r + kh − ph`, if inside the image.
    #[inline(always)]
    fn in_row<'x, T>(&self, x: &'x [T], r: usize, kh: usize) -> Option<&'x [T]> {
        let i = (r + kh).checked_sub(self.ph).filter(|&i| i < self.ih)?;
        Some(&x[i * self.iw..(i + 1) * self.iw])
    }
}

/// `y = conv(x, W) + b` for `n` images (`x` `[n, 1, IH, IW]`, `y` `[n, C_out, OH, OW]`).
pub(super) fn forward<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T]) {
    let geo = Geom::of(g);
    let (img, out_img, plane) = (geo.ih * geo.iw, geo.c_out * geo.oh * geo.ow, geo.oh * geo.ow);
    for i in 0..n {
        let (xi, yi) = (&x[i * img..(i + 1) * img], &mut y[i * out_img..(i + 1) * out_img]);
        for (o, ob) in blocks(geo.c_out) {
            forward_block(&geo, ob, xi, w, b, &mut yi[o * plane..], o);
        }
    }
}

/// `Σ p`, in 16 interleaved partial sums (which vectorise) added at the end.
pub(super) fn lane_sum<T: Real>(p: &[T]) -> T {
    let mut acc = [T::zero(); CW];
    let mut chunks = p.chunks_exact(CW);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().copied().sum::<T>() + chunks.remainder().iter().copied().sum::<T>()
}

/// The output channel blocks: `(first channel, size)`, sizes `OB` then the rest.
fn blocks(c_out: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..c_out).step_by(OB).map(move |o| (o, OB.min(c_out - o)))
}

/// [`forward_block_of`] for a block of `ob ≤ 8` channels, by the AVX-512 body where it runs.
fn forward_block<T: Real>(geo: &Geom, ob: usize, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], o: usize) {
    #[cfg(target_arch = "x86_64")]
    if avx512()
        && let (Some(x), Some(w), Some(y)) = (as_f32(x), as_f32(w), as_f32_mut(y))
    {
        let b = b.map(|b| as_f32(b).expect("bias of the weight's type"));
        use super::direct_avx512::forward_block as f;
        // SAFETY: AVX-512F is available (checked above), the only requirement.
        unsafe {
            match ob {
                8 => f::<8>(geo, x, w, b, y, o),
                7 => f::<7>(geo, x, w, b, y, o),
                6 => f::<6>(geo, x, w, b, y, o),
                5 => f::<5>(geo, x, w, b, y, o),
                4 => f::<4>(geo, x, w, b, y, o),
                3 => f::<3>(geo, x, w, b, y, o),
                2 => f::<2>(geo, x, w, b, y, o),
                _ => f::<1>(geo, x, w, b, y, o),
            }
        }
        return;
    }
    match ob {
        8 => forward_block_of::<T, 8>(geo, x, w, b, y, o),
        7 => forward_block_of::<T, 7>(geo, x, w, b, y, o),
        6 => forward_block_of::<T, 6>(geo, x, w, b, y, o),
        5 => forward_block_of::<T, 5>(geo, x, w, b, y, o),
        4 => forward_block_of::<T, 4>(geo, x, w, b, y, o),
        3 => forward_block_of::<T, 3>(geo, x, w, b, y, o),
        2 => forward_block_of::<T, 2>(geo, x, w, b, y, o),
        _ => forward_block_of::<T, 1>(geo, x, w, b, y, o),
    }
}

/// Output channels `o..o + B` of one image (`y` starts at channel `o`'s plane).
fn forward_block_of<T: Real, const B: usize>(geo: &Geom, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], o: usize) {
    let (taps, plane) = (geo.kh * geo.kw, geo.oh * geo.ow);
    let wb: [&[T]; B] = std::array::from_fn(|j| &w[(o + j) * taps..(o + j + 1) * taps]);
    let bias: [T; B] = std::array::from_fn(|j| b.map_or(T::zero(), |b| b[o + j]));
    for r in 0..geo.oh {
        for c0 in (0..geo.ow).step_by(CW) {
            let cw = CW.min(geo.ow - c0);
            let mut acc: [[T; CW]; B] = std::array::from_fn(|j| [bias[j]; CW]);
            for kh in 0..geo.kh {
                let Some(xrow) = geo.in_row(x, r, kh) else { continue };
                for kw in 0..geo.kw {
                    let v = geo.run(xrow, c0, cw, kw);
                    for (acc, wj) in acc.iter_mut().zip(&wb) {
                        let wt = wj[kh * geo.kw + kw];
                        for (a, &x) in acc.iter_mut().zip(&v) {
                            *a += wt * x;
                        }
                    }
                }
            }
            for (j, acc) in acc.iter().enumerate() {
                let at = j * plane + r * geo.ow + c0;
                y[at..at + cw].copy_from_slice(&acc[..cw]);
            }
        }
    }
}

/// `dW += Σ dY ⊛ x` and `db += Σ dY` over `n` images (`dy` `[n, C_out, OH, OW]`); either may be
/// skipped (empty slice).
pub(super) fn weight_grad<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, x: &[T], dy: &[T], dw: &mut [T], db: &mut [T]) {
    let geo = Geom::of(g);
    let (img, plane, taps) = (geo.ih * geo.iw, geo.oh * geo.ow, geo.kh * geo.kw);
    let out_img = geo.c_out * plane;
    for i in 0..n {
        let (xi, dyi) = (&x[i * img..(i + 1) * img], &dy[i * out_img..(i + 1) * out_img]);
        if !db.is_empty() {
            for (d, p) in db.iter_mut().zip(dyi.chunks_exact(plane)) {
                *d += lane_sum(p);
            }
        }
        if dw.is_empty() {
            continue;
        }
        for (o, ob) in blocks(geo.c_out) {
            weight_grad_block(&geo, ob, xi, &dyi[o * plane..], &mut dw[o * taps..]);
        }
    }
}

/// [`weight_grad_block_of`] for a block of `ob ≤ 8` channels, by the AVX-512 body where it runs.
fn weight_grad_block<T: Real>(geo: &Geom, ob: usize, x: &[T], dy: &[T], dw: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if avx512()
        && let (Some(x), Some(dy), Some(dw)) = (as_f32(x), as_f32(dy), as_f32_mut(dw))
    {
        if geo.kw == 5 || geo.kw == 3 {
            // Kernel rows in registers, in parts of up to 4 channels (6 = 3 + 3).
            let (taps, plane) = (geo.kh * geo.kw, geo.oh * geo.ow);
            let parts = ob.div_ceil(4);
            let per = ob.div_ceil(parts);
            for j0 in (0..ob).step_by(per) {
                let (dy, dw) = (&dy[j0 * plane..], &mut dw[j0 * taps..]);
                use super::direct_avx512::weight_grad_rows as f;
                // SAFETY: AVX-512F is available (checked above), the only requirement.
                unsafe {
                    match (per.min(ob - j0), geo.kw) {
                        (4, 5) => f::<4, 5>(geo, x, dy, dw),
                        (3, 5) => f::<3, 5>(geo, x, dy, dw),
                        (2, 5) => f::<2, 5>(geo, x, dy, dw),
                        (1, 5) => f::<1, 5>(geo, x, dy, dw),
                        (4, _) => f::<4, 3>(geo, x, dy, dw),
                        (3, _) => f::<3, 3>(geo, x, dy, dw),
                        (2, _) => f::<2, 3>(geo, x, dy, dw),
                        _ => f::<1, 3>(geo, x, dy, dw),
                    }
                }
            }
            return;
        }
        use super::direct_avx512::weight_grad_block as f;
        // SAFETY: AVX-512F is available (checked above), the only requirement.
        unsafe {
            match ob {
                8 => f::<8>(geo, x, dy, dw),
                7 => f::<7>(geo, x, dy, dw),
                6 => f::<6>(geo, x, dy, dw),
                5 => f::<5>(geo, x, dy, dw),
                4 => f::<4>(geo, x, dy, dw),
                3 => f::<3>(geo, x, dy, dw),
                2 => f::<2>(geo, x, dy, dw),
                _ => f::<1>(geo, x, dy, dw),
            }
        }
        return;
    }
    match ob {
        8 => weight_grad_block_of::<T, 8>(geo, x, dy, dw),
        7 => weight_grad_block_of::<T, 7>(geo, x, dy, dw),
        6 => weight_grad_block_of::<T, 6>(geo, x, dy, dw),
        5 => weight_grad_block_of::<T, 5>(geo, x, dy, dw),
        4 => weight_grad_block_of::<T, 4>(geo, x, dy, dw),
        3 => weight_grad_block_of::<T, 3>(geo, x, dy, dw),
        2 => weight_grad_block_of::<T, 2>(geo, x, dy, dw),
        _ => weight_grad_block_of::<T, 1>(geo, x, dy, dw),
    }
}

/// `dW[o + j, tap] += Σ_{r, c} dY[o + j, r, c] · x[..]` for `j < B`, one tap at a time, the sums
/// kept in 16 lanes over the image and added across lanes at the end (`dy` and `dw` start at
/// channel `o`).
fn weight_grad_block_of<T: Real, const B: usize>(geo: &Geom, x: &[T], dy: &[T], dw: &mut [T]) {
    let (taps, plane) = (geo.kh * geo.kw, geo.oh * geo.ow);
    for kh in 0..geo.kh {
        for kw in 0..geo.kw {
            let mut acc = [[T::zero(); CW]; B];
            for r in 0..geo.oh {
                let Some(xrow) = geo.in_row(x, r, kh) else { continue };
                for c0 in (0..geo.ow).step_by(CW) {
                    let cw = CW.min(geo.ow - c0);
                    let v = geo.run(xrow, c0, cw, kw);
                    for (j, acc) in acc.iter_mut().enumerate() {
                        let at = j * plane + r * geo.ow + c0;
                        let mut g = [T::zero(); CW];
                        g[..cw].copy_from_slice(&dy[at..at + cw]);
                        for ((a, &g), &x) in acc.iter_mut().zip(&g).zip(&v) {
                            *a += g * x;
                        }
                    }
                }
            }
            for (j, acc) in acc.iter().enumerate() {
                dw[j * taps + kh * geo.kw + kw] += acc.iter().copied().sum::<T>();
            }
        }
    }
}

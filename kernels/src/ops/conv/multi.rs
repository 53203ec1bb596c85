//! Direct 2-d convolution of small multi-channel layers (stride 1, no dilation, one group, zero
//! padding `p < kernel`): LeNet's second layer `Conv2d(6, 16, 5)` on 12×12. There im2col builds a
//! `[150, B·64]` column matrix for GEMMs of 16 rows, and col2im adds it back for `dx`; here each
//! output is summed in registers straight from the input:
//!
//! ```text
//! y[o, r, c]      = b[o] + Σ_{i, kh, kw} W[o, i, kh, kw] · x[i, r + kh − ph, c + kw − pw]
//! dx[i, r, c]     = Σ_{o, kh, kw} W[o, i, kh, kw] · dY[o, r − kh + ph, c − kw + pw]
//!                 = Σ_{o, a, b} W[o, i, KH−1−a, KW−1−b] · dY[o, r + a − (KH−1−ph), c + b − (KW−1−pw)]
//! dW[o, i, kh, kw] += Σ_{n, r, c} dY[n, o, r, c] · x[n, i, r + kh − ph, c + kw − pw]
//! ```
//! (0 outside `x` and `dY`). The forward and `dx` are the same correlation ([`corr_block`]): `dx`
//! is the correlation of `dY` with the flipped, transposed kernel and padding `K − 1 − p`, read
//! through a [`WView`] of `W` with negative strides. A block of up to 16 output channels × one
//! 16-lane vector (two output rows of up to 8 columns, or 16 columns of one row) is accumulated
//! over every `(i, kh, kw)`, each input run loaded once for the block and multiplied by broadcast
//! weights. The weight gradient keeps 16 output channels in the lanes and one register per kernel
//! tap (up to 25), over every output position of the chunk's images: one load of `dY[·, r, c]`
//! (a transposed copy) and one broadcast input value per tap and position.
//!
//! The AVX-512F `f32` bodies are in `multi_avx512.rs`; the plain loops below run for `f64`, other
//! CPUs and the tests, but `applies` sends only `f32` on AVX-512F here: the plain loops are no
//! faster than im2col + GEMM. (No AVX2 body yet.)

use super::ConvGeom;
use super::direct::lane_sum;
use crate::real::Real;
#[cfg(target_arch = "x86_64")]
use crate::real::{as_f32, as_f32_mut};

/// Limits of the applicability rule: output planes up to `PLANE_MAX` positions, padded input
/// windows (`(OH + KH − 1)·(OW + KW − 1)`) up to `PAD_MAX`, and `C_out ≤ CO_MAX`.
pub(super) const PLANE_MAX: usize = 256;
pub(super) const PAD_MAX: usize = 1024;
const CO_MAX: usize = 64;
/// Channels (lanes) of one weight-gradient block, and the most channels of a correlation block.
pub(super) const V: usize = 16;

/// Whether the AVX-512 `f32` bodies run for `T` on this CPU.
pub(super) fn fast<T: Real>() -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
        return std::is_x86_feature_detected!("avx512f");
    }
    false
}

/// Whether the direct loops may run: 2-d, several input channels, one group, stride 1, dilation
/// 1, padding below the kernel, kernel at most 16 wide and the size limits above; `C_in·K ≥ 16`
/// (the weight gradient's transposed `dY` fits in a chunk's column scratch).
pub(super) fn fits<const D: usize>(g: &ConvGeom<D>) -> bool {
    if D != 2 || g.c_in < 2 || g.groups != 1 || g.stride.iter().any(|&s| s != 1) || g.dilation.iter().any(|&d| d != 1) {
        return false;
    }
    let (o, k, p) = (g.output(), g.kernel, g.padding);
    p[0] < k[0]
        && p[1] < k[1]
        && k[1] <= 16
        && o[0] * o[1] <= PLANE_MAX
        && (o[0] + k[0] - 1) * (o[1] + k[1] - 1) <= PAD_MAX
        && g.c_out <= CO_MAX
        && g.c_in * k[0] * k[1] >= V
}

/// [`fits`], and the fast bodies run: the dispatch rule of `cpu.rs`.
pub(super) fn applies<T: Real, const D: usize>(g: &ConvGeom<D>) -> bool {
    fast::<T>() && fits(g)
}

/// One correlation: input `[c, ih, iw]`, output `[·, oh, ow]`, kernel `kh × kw`, padding.
#[derive(Clone, Copy, Debug)]
pub(super) struct Corr {
    pub c: usize,
    pub ih: usize,
    pub iw: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
    pub ph: usize,
    pub pw: usize,
}

impl Corr {
    /// Input row `r + a − ph`, if inside.
    #[inline(always)]
    pub fn in_row(&self, r: usize, a: usize) -> Option<usize> {
        (r + a).checked_sub(self.ph).filter(|&i| i < self.ih)
    }
}

/// Where weight `(block channel j, input channel c, tap a, b)` lies in `W`:
/// `base + j·sj + c·sc + a·sa + b·sb`.
#[derive(Clone, Copy, Debug)]
pub(super) struct WView {
    pub base: isize,
    pub sj: isize,
    pub sc: isize,
    pub sa: isize,
    pub sb: isize,
}

impl WView {
    #[inline(always)]
    pub fn at(&self, j: usize, c: usize, a: usize, b: usize) -> isize {
        self.base + j as isize * self.sj + c as isize * self.sc + a as isize * self.sa + b as isize * self.sb
    }

    /// Panics unless every index of `blk` channels over `cr` lies in `0..len`.
    pub fn check(&self, blk: usize, cr: &Corr, len: usize) {
        let ext = |s: isize, n: usize| (s * (n as isize - 1)).min(0)..=(s * (n as isize - 1)).max(0);
        let parts = [ext(self.sj, blk), ext(self.sc, cr.c), ext(self.sa, cr.kh), ext(self.sb, cr.kw)];
        let lo = self.base + parts.iter().map(|r| *r.start()).sum::<isize>();
        let hi = self.base + parts.iter().map(|r| *r.end()).sum::<isize>();
        assert!(blk >= 1 && lo >= 0 && hi < len as isize, "direct conv: weight view {self:?} outside {len}");
    }
}

/// The blocks of `c` channels, as even as possible with at most `V` a block: `(first, size)`.
fn blocks(c: usize) -> impl Iterator<Item = (usize, usize)> {
    let per = c.div_ceil(c.div_ceil(V).max(1)).max(1);
    (0..c).step_by(per).map(move |o| (o, per.min(c - o)))
}

fn dims<const D: usize>(g: &ConvGeom<D>) -> ([usize; 2], [usize; 2], [usize; 2], [usize; 2]) {
    let (i, o, k, p) = (g.input, g.output(), g.kernel, g.padding);
    ([i[0], i[1]], [o[0], o[1]], [k[0], k[1]], [p[0], p[1]])
}

/// `y = conv(x, W) + b` for `n` images (`x` `[n, C_in, IH, IW]`, `y` `[n, C_out, OH, OW]`).
pub(super) fn forward<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T]) {
    let ([ih, iw], [oh, ow], [kh, kw], [ph, pw]) = dims(g);
    let cr = Corr { c: g.c_in, ih, iw, oh, ow, kh, kw, ph, pw };
    let (taps, img, plane) = (kh * kw, g.c_in * ih * iw, oh * ow);
    for im in 0..n {
        let (xi, yi) = (&x[im * img..(im + 1) * img], &mut y[im * g.c_out * plane..(im + 1) * g.c_out * plane]);
        for (o, ob) in blocks(g.c_out) {
            let (sj, sc) = ((g.c_in * taps) as isize, taps as isize);
            let wv = WView { base: o as isize * sj, sj, sc, sa: kw as isize, sb: 1 };
            corr_block(&cr, ob, &wv, xi, w, b.map(|b| &b[o..o + ob]), &mut yi[o * plane..(o + ob) * plane]);
        }
    }
}

/// `dx = conv_transpose(dY, W)` for `n` images (written, not accumulated).
pub(super) fn input_grad<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, dy: &[T], w: &[T], dx: &mut [T]) {
    let ([ih, iw], [oh, ow], [kh, kw], [ph, pw]) = dims(g);
    let cr = Corr { c: g.c_out, ih: oh, iw: ow, oh: ih, ow: iw, kh, kw, ph: kh - 1 - ph, pw: kw - 1 - pw };
    let (taps, img, plane) = (kh * kw, g.c_in * ih * iw, oh * ow);
    for im in 0..n {
        let (dyi, dxi) = (&dy[im * g.c_out * plane..(im + 1) * g.c_out * plane], &mut dx[im * img..(im + 1) * img]);
        for (i, ib) in blocks(g.c_in) {
            let last = ((kh - 1) * kw + kw - 1) as isize;
            let wv = WView { base: (i * taps) as isize + last, sj: taps as isize, sc: (g.c_in * taps) as isize, sa: -(kw as isize), sb: -1 };
            corr_block(&cr, ib, &wv, dyi, w, None, &mut dxi[i * ih * iw..(i + ib) * ih * iw]);
        }
    }
}

/// `y[j] = b[j] + Σ_{c, a, bb} W[wv(j, c, a, bb)] · x[c, r + a − ph, c' + bb − pw]` for `j < blk`
/// (`y` `[blk, oh, ow]`), by the AVX-512 body where it runs.
fn corr_block<T: Real>(cr: &Corr, blk: usize, wv: &WView, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f")
        && let (Some(x), Some(w), Some(y)) = (as_f32(x), as_f32(w), as_f32_mut(y))
    {
        let b = b.map(|b| as_f32(b).expect("bias of the weight's type"));
        use super::multi_avx512::corr_block as f;
        macro_rules! by_size {
            ($($n:literal => $r:literal),*) => {
                match blk { $($n => f::<$n, $r>(cr, wv, x, w, b, y),)* _ => unreachable!("block of {blk} channels") }
            };
        }
        // SAFETY: AVX-512F is available (checked above), the only requirement.
        unsafe {
            by_size!(1 => 2, 2 => 2, 3 => 2, 4 => 2, 5 => 2, 6 => 2, 7 => 2, 8 => 2,
                     9 => 1, 10 => 1, 11 => 1, 12 => 1, 13 => 1, 14 => 1, 15 => 1, 16 => 1)
        }
        return;
    }
    wv.check(blk, cr, w.len());
    let plane = cr.oh * cr.ow;
    for j in 0..blk {
        for r in 0..cr.oh {
            for c in 0..cr.ow {
                let mut acc = b.map_or(T::zero(), |b| b[j]);
                for ci in 0..cr.c {
                    for a in 0..cr.kh {
                        let Some(i) = cr.in_row(r, a) else { continue };
                        for bb in 0..cr.kw {
                            let Some(col) = (c + bb).checked_sub(cr.pw).filter(|&col| col < cr.iw) else {
                                continue;
                            };
                            acc += w[wv.at(j, ci, a, bb) as usize] * x[(ci * cr.ih + i) * cr.iw + col];
                        }
                    }
                }
                y[j * plane + r * cr.ow + c] = acc;
            }
        }
    }
}

/// `dW += Σ dY ⊛ x` and `db += Σ dY` over `n` images, either skipped when empty; `scratch` holds
/// at least `n·OH·OW·16` elements (the AVX-512 body's transposed `dY`).
pub(super) fn weight_grad<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, x: &[T], dy: &[T], dw: &mut [T], db: &mut [T], scratch: &mut [T]) {
    let ([ih, iw], [oh, ow], [kh, kw], [ph, pw]) = dims(g);
    let (plane, out_img, taps) = (oh * ow, g.c_out * oh * ow, kh * kw);
    if !db.is_empty() {
        for dyi in dy.chunks_exact(out_img).take(n) {
            for (d, p) in db.iter_mut().zip(dyi.chunks_exact(plane)) {
                *d += lane_sum(p);
            }
        }
    }
    if dw.is_empty() {
        return;
    }
    let cr = Corr { c: g.c_in, ih, iw, oh, ow, kh, kw, ph, pw };
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f")
        && let (Some(x), Some(dy), Some(dw), Some(s)) = (as_f32(x), as_f32(dy), as_f32_mut(dw), as_f32_mut(scratch))
    {
        // SAFETY: AVX-512F is available (checked above), the only requirement.
        unsafe { super::multi_avx512::weight_grad(&cr, g.c_out, n, x, dy, dw, s) };
        return;
    }
    let img = g.c_in * ih * iw;
    for o in 0..g.c_out {
        for ci in 0..g.c_in {
            for t in 0..taps {
                let (a, bb) = (t / kw, t % kw);
                let mut s = T::zero();
                for im in 0..n {
                    let (xc, dyo) = (&x[im * img + ci * ih * iw..], &dy[im * out_img + o * plane..]);
                    for r in 0..oh {
                        let Some(i) = cr.in_row(r, a) else { continue };
                        for c in 0..ow {
                            if let Some(col) = (c + bb).checked_sub(pw).filter(|&col| col < iw) {
                                s += dyo[r * ow + c] * xc[i * iw + col];
                            }
                        }
                    }
                }
                dw[(o * g.c_in + ci) * taps + t] += s;
            }
        }
    }
}

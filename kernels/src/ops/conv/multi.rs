//! Direct 2-d convolution of small multi-channel layers (stride 1, no dilation, one group, zero
//! padding `p < kernel`): LeNet's second layer `Conv2d(6, 16, 5)` on 12×12. There im2col builds a
//! `[150, B·64]` column matrix for GEMMs of 16 rows, and col2im adds it back for `dx`; here each
//! output is summed in registers straight from the input:
//!
//! ```text
//! y[o, r, c]      = b[o] + Σ_{i, kh, kw} W[o, i, kh, kw] · x[i, r + kh − ph, c + kw − pw]
//! dx[i, r, c]     = Σ_{o, kh, kw} W[o, i, kh, kw] · dY[o, r − kh + ph, c − kw + pw]
//!                 = Σ_{kw} T_kw[i, r, c − kw + pw],  T_kw[i, r, c] = Σ_{o, kh} W[o, i, kh, kw] · dY[o, r − kh + ph, c]
//! dW[o, i, kh, kw] += Σ_{n, r, c} dY[n, o, r, c] · x[n, i, r + kh − ph, c + kw − pw]
//! ```
//! (0 outside `x` and `dY`). The forward and each `T_kw` are the same correlation ([`corr_block`]):
//! a block of up to 16 output planes × one 16-lane vector (two output rows of up to 8 columns, or
//! 16 columns of one row) is accumulated over every `(i, kh, kw)`, each input run loaded once for
//! the block and multiplied by broadcast weights, packed (`pack`) in the order the loops read them.
//! `T_kw` is the correlation of `dY` with kernel column `kw` flipped upside down (padding
//! `KH − 1 − ph`): as wide as `dY`, so no lane is spent on `dx`'s border, unlike the flipped-kernel
//! correlation of `dY` padded by `K − 1 − p` (tried first: half of its lanes multiplied zeros, and
//! `dx` took as long as im2col + col2im). A block holds all `KW` planes of its input channels, so
//! with rows of at most 16 each `dx` row is summed in a register from its `KW` shifted rows and
//! stored once (`multi_avx512::Out::Shifted`); otherwise the planes go through `scratch`.
//! The weight gradient keeps 16 output channels in the lanes and one register per kernel tap (up
//! to 25), over every output position of the chunk's images: one load of `dY[·, r, c]` (a
//! transposed copy) and one broadcast input value per tap and position.
//!
//! The AVX-512F `f32` bodies are in `multi_avx512.rs` and `multi_dw_avx512.rs`; the plain loops
//! below run for `f64`, other CPUs and the tests, but `applies` sends only `f32` on AVX-512F: the
//! plain loops are no faster than im2col + GEMM. (No AVX2 body yet: on AVX2-only CPUs every layer
//! keeps im2col.)

use super::ConvGeom;
use super::direct::lane_sum;
use crate::real::Real;
#[cfg(target_arch = "x86_64")]
use crate::real::{as_f32, as_f32_mut};

/// Limits of the applicability rule: output planes up to `PLANE_MAX` positions, padded input
/// windows (`(OH + KH − 1)·(OW + KW − 1)`) up to `PAD_MAX`, `C_out ≤ CO_MAX` and
/// `C_in·KH·KW ≤ ROWS_MAX`. Measured (`conv_pool shapes`, batch 32, forward + backward with `dx`,
/// 1 thread, minimums, im2col → direct): 16→32 k3 p1 16×16 3.3 → 2.4 ms, 32→64 k3 p1 8×8
/// 3.1–3.3 → 2.3–2.7 ms, 3→8 k5 p2 16×16 1.11–1.16 → 0.36 ms, 16→32 k3 p1 32×32 (plane 1024)
/// 12.1 → 10.7–10.9 ms; but 64→128 k3 p1 8×8 9.3–9.8 → 12.0 ms (there the GEMMs are large enough
/// to run near peak), hence the channel limits.
pub(super) const PLANE_MAX: usize = 1024;
pub(super) const PAD_MAX: usize = 2048;
const CO_MAX: usize = 64;
const ROWS_MAX: usize = 512;
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
/// 1, padding below the kernel, kernel at most 16 wide and the size limits above, `C_in·K ≥ 16`
/// (smaller products are one GEMM anyway).
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
        && g.c_in * k[0] * k[1] <= ROWS_MAX
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

/// The blocks of `c` channels, as even as possible with at most `most` a block: `(first, size)`.
fn blocks(c: usize, most: usize) -> impl Iterator<Item = (usize, usize)> {
    let per = c.div_ceil(c.div_ceil(most).max(1)).max(1);
    (0..c).step_by(per).map(move |o| (o, per.min(c - o)))
}

fn dims<const D: usize>(g: &ConvGeom<D>) -> ([usize; 2], [usize; 2], [usize; 2], [usize; 2]) {
    let (i, o, k, p) = (g.input, g.output(), g.kernel, g.padding);
    ([i[0], i[1]], [o[0], o[1]], [k[0], k[1]], [p[0], p[1]])
}

/// The scratch a chunk of `per` images needs (elements): the packed weights of a block and the
/// `dx` planes `T` of a block, or the weight gradient's transposed `dY`; 0 unless [`fits`].
pub(super) fn lane_len<const D: usize>(g: &ConvGeom<D>, per: usize) -> usize {
    if !fits(g) {
        return 0;
    }
    let ([ih, _], [oh, ow], [kh, kw], _) = dims(g);
    let fwd = V * g.c_in * kh * kw;
    let dx = V * g.c_out * kh + V * ih * ow;
    fwd.max(dx).max(V * per * oh * ow)
}

/// `wp[((c·kh + a)·kw + b)·blk + j] = w[at(j, c, a, b)]`: a block's weights in the order the
/// loops read them, the `blk` weights of one tap side by side.
fn pack<T: Real>(wp: &mut [T], blk: usize, cr: &Corr, w: &[T], at: impl Fn(usize, usize, usize, usize) -> usize) {
    let mut it = wp[..cr.c * cr.kh * cr.kw * blk].iter_mut();
    for c in 0..cr.c {
        for a in 0..cr.kh {
            for b in 0..cr.kw {
                for (j, d) in (0..blk).zip(&mut it) {
                    *d = w[at(j, c, a, b)];
                }
            }
        }
    }
}

/// `y = conv(x, W) + b` for `n` images (`x` `[n, C_in, IH, IW]`, `y` `[n, C_out, OH, OW]`);
/// `scratch` of at least [`lane_len`].
pub(super) fn forward<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], scratch: &mut [T]) {
    let ([ih, iw], [oh, ow], [kh, kw], [ph, pw]) = dims(g);
    let cr = Corr { c: g.c_in, ih, iw, oh, ow, kh, kw, ph, pw };
    let (taps, img, plane) = (kh * kw, g.c_in * ih * iw, oh * ow);
    for (o, ob) in blocks(g.c_out, V) {
        let wp = &mut scratch[..g.c_in * taps * ob];
        pack(wp, ob, &cr, w, |j, c, a, bb| ((o + j) * g.c_in + c) * taps + a * kw + bb);
        for im in 0..n {
            let yo = &mut y[(im * g.c_out + o) * plane..(im * g.c_out + o + ob) * plane];
            corr_block(&cr, ob, wp, &x[im * img..(im + 1) * img], b.map(|b| &b[o..o + ob]), yo);
        }
    }
}

/// `dx = conv_transpose(dY, W)` for `n` images (written, not accumulated): for a block of input
/// channels `i` and every kernel column `b` (`blk = channels·KW ≤ 16` planes at once),
/// `T[i, b, r, c] = Σ_{o, a} W[o, i, a, b] · dY[o, r − a + ph, c]` (a correlation of `dY` with
/// column `b` of the kernel flipped upside down, as wide as `dY`: no lane spent on `dx`'s
/// border), then `dx[i, r, j] += T[i, b, r, j − b + pw]`. `scratch` of at least [`lane_len`].
pub(super) fn input_grad<T: Real, const D: usize>(g: &ConvGeom<D>, n: usize, dy: &[T], w: &[T], dx: &mut [T], scratch: &mut [T]) {
    let ([ih, iw], [oh, ow], [kh, kw], [ph, pw]) = dims(g);
    let cr = Corr { c: g.c_out, ih: oh, iw: ow, oh: ih, ow, kh, kw: 1, ph: kh - 1 - ph, pw: 0 };
    let (taps, img, out_img, tplane) = (kh * kw, g.c_in * ih * iw, g.c_out * oh * ow, ih * ow);
    // For f32 on AVX-512F with rows of at most 16, the shifted sums are taken in registers.
    #[cfg(target_arch = "x86_64")]
    let shift = (iw <= V && ow <= V && fast::<T>()).then(|| super::multi_avx512::Shift::new(kw, pw, ow, iw));
    #[cfg(not(target_arch = "x86_64"))]
    let shift: Option<()> = None;
    if shift.is_none() {
        dx[..n * img].fill(T::zero());
    }
    for (i0, ib) in blocks(g.c_in, (V / kw).max(1)) {
        let blk = ib * kw;
        let (wp, t) = scratch.split_at_mut(g.c_out * kh * blk);
        let t = &mut t[..blk * tplane];
        pack(wp, blk, &cr, w, |j, o, a, _| (o * g.c_in + i0 + j / kw) * taps + (kh - 1 - a) * kw + j % kw);
        for im in 0..n {
            let dyi = &dy[im * out_img..(im + 1) * out_img];
            #[cfg(target_arch = "x86_64")]
            if let Some(table) = &shift {
                let dxs = &mut dx[(im * g.c_in + i0) * ih * iw..(im * g.c_in + i0 + ib) * ih * iw];
                let (wp, x, dx) = (as_f32(wp).expect("f32"), as_f32(dyi).expect("f32"), as_f32_mut(dxs).expect("f32"));
                corr_block_f32(&cr, blk, wp, x, None, super::multi_avx512::Out::Shifted { dx, table });
                continue;
            }
            corr_block(&cr, blk, wp, dyi, None, t);
            let dxi = &mut dx[im * img..(im + 1) * img];
            for (j, tj) in t.chunks_exact(tplane).enumerate() {
                let (i, b) = (i0 + j / kw, j % kw);
                // Columns of dx with 0 ≤ column − b + pw < ow.
                let (j0, j1) = (b.saturating_sub(pw), (b + ow).saturating_sub(pw).min(iw));
                if j0 >= j1 {
                    continue;
                }
                let c0 = j0 + pw - b;
                for (d, s) in dxi[i * ih * iw..(i + 1) * ih * iw].chunks_exact_mut(iw).zip(tj.chunks_exact(ow)) {
                    d[j0..j1].iter_mut().zip(&s[c0..]).for_each(|(d, &s)| *d += s);
                }
            }
        }
    }
}

/// `y[j] = b[j] + Σ_{c, a, bb} wp[((c·kh + a)·kw + bb)·blk + j] · x[c, r + a − ph, c' + bb − pw]`
/// for `j < blk` (`y` `[blk, oh, ow]`), by the AVX-512 body where it runs.
fn corr_block<T: Real>(cr: &Corr, blk: usize, wp: &[T], x: &[T], b: Option<&[T]>, y: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f")
        && let (Some(x), Some(wp), Some(y)) = (as_f32(x), as_f32(wp), as_f32_mut(y))
    {
        let b = b.map(|b| as_f32(b).expect("bias of the weight's type"));
        corr_block_f32(cr, blk, wp, x, b, super::multi_avx512::Out::Planes(y));
        return;
    }
    let plane = cr.oh * cr.ow;
    for j in 0..blk {
        for r in 0..cr.oh {
            for c in 0..cr.ow {
                let mut acc = b.map_or(T::zero(), |b| b[j]);
                for ci in 0..cr.c {
                    for a in 0..cr.kh {
                        let Some(i) = cr.in_row(r, a) else { continue };
                        for bb in 0..cr.kw {
                            let Some(col) = (c + bb).checked_sub(cr.pw).filter(|&col| col < cr.iw) else { continue };
                            acc += wp[((ci * cr.kh + a) * cr.kw + bb) * blk + j] * x[(ci * cr.ih + i) * cr.iw + col];
                        }
                    }
                }
                y[j * plane + r * cr.ow + c] = acc;
            }
        }
    }
}

/// The AVX-512 body of [`corr_block`] for a block of `blk ≤ 16` channels (two vectors at a time
/// for up to 8 channels). The caller has checked that AVX-512F is available.
#[cfg(target_arch = "x86_64")]
fn corr_block_f32(cr: &Corr, blk: usize, wp: &[f32], x: &[f32], b: Option<&[f32]>, out: super::multi_avx512::Out<'_>) {
    use super::multi_avx512::corr_block as f;
    macro_rules! by_size {
        ($($n:literal => $r:literal),*) => {
            match blk { $($n => f::<$n, $r>(cr, wp, x, b, out),)* _ => unreachable!("block of {blk} channels") }
        };
    }
    assert!(std::is_x86_feature_detected!("avx512f"));
    // SAFETY: AVX-512F is available (asserted above), the only requirement.
    unsafe {
        by_size!(1 => 2, 2 => 2, 3 => 2, 4 => 2, 5 => 2, 6 => 2, 7 => 2, 8 => 2,
                 9 => 1, 10 => 1, 11 => 1, 12 => 1, 13 => 1, 14 => 1, 15 => 1, 16 => 1)
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
        unsafe { super::multi_dw_avx512::weight_grad(&cr, g.c_out, n, x, dy, dw, s) };
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

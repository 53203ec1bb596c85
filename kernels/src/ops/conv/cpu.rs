//! The convolution loops, over chunks of images sized so that a chunk's column matrix stays in
//! cache: one im2col for the chunk, one GEMM per group over all its images, and a pass that lays
//! the `[C_out, B·L]` GEMM result out as `[B, C_out, L]` (adding the bias). The backward lays
//! `dY` out the other way, then runs one GEMM per group for `dW` and one for the column
//! gradient, and col2im.

use super::ConvGeom;
use super::im2col::{Vol, col2im, im2col};
use crate::cpu::parallel::PAR_THRESHOLD;
use crate::real::Real;
use rayon::prelude::*;

/// The scratch a chunk of images may use (column matrix plus GEMM result), in elements: 2^17
/// (512 KiB of f32) keeps a chunk in a core's L2 cache. Measured on LeNet's convolutions at batch
/// 64 (`cargo bench --bench conv_pool`): one whole-batch chunk was 1.4–1.6× slower on one thread
/// than per-image GEMMs, because its 3.7 MB column matrix went through L3.
const CHUNK_ELEMS: usize = 1 << 17;

/// How many images one chunk holds (at least 1, at most `N`). Depends on the geometry only, so
/// results do not depend on the machine.
fn chunk_images<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> usize {
    let per_image = (v.rows() + g.c_out) * v.out_len();
    (CHUNK_ELEMS / per_image.max(1)).clamp(1, g.n.max(1))
}

/// The scratch length of [`conv_forward`] and [`conv_backward`]: one chunk's column matrix
/// (`C_in·K·B·L`) followed by its `[C_out, B·L]` GEMM result, `B` images a chunk.
pub fn conv_scratch_len<const D: usize>(g: &ConvGeom<D>) -> usize {
    let v = g.vol();
    (v.rows() + g.c_out) * chunk_images(g, &v) * v.out_len()
}

/// The sizes the GEMMs use.
#[derive(Clone, Copy)]
struct Dims {
    /// `C_in/G·K`, `C_out/G`, `L`, `G`.
    rows: usize,
    cog: usize,
    l: usize,
    groups: usize,
}

impl Dims {
    fn of<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> Dims {
        Dims { rows: g.c_in / g.groups * v.taps(), cog: g.c_out / g.groups, l: v.out_len(), groups: g.groups }
    }
}

/// Runs `f(first image, image count, cols, tmp)` for each chunk of images, with `cols` and
/// `tmp` the chunk's parts of `scratch` (`[C_in·K, B·L]` and `[C_out, B·L]`).
fn for_each_chunk<T, const D: usize>(g: &ConvGeom<D>, v: &Vol, scratch: &mut [T], op: &str, mut f: impl FnMut(usize, usize, &mut [T], &mut [T])) {
    let want = conv_scratch_len(g);
    assert!(scratch.len() >= want, "{op}: scratch has {} elements, expected at least {want} (conv_scratch_len)", scratch.len());
    let per = chunk_images(g, v);
    let l = v.out_len();
    let mut start = 0;
    while start < g.n {
        let b = per.min(g.n - start);
        let (cols, rest) = scratch.split_at_mut(v.rows() * b * l);
        f(start, b, cols, &mut rest[..g.c_out * b * l]);
        start += b;
    }
}

/// Runs `f(i, chunk)` over the `len`-element chunks of `s`, on rayon when `s` is large.
fn rows_mut<T: Send>(s: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if s.is_empty() || len == 0 {
        return;
    }
    if s.len() < PAR_THRESHOLD {
        s.chunks_exact_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    } else {
        s.par_chunks_exact_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    }
}

/// `y = conv(x, W) + b`; see the [module docs](super). `scratch` has at least
/// [`conv_scratch_len`] elements (its contents on entry do not matter).
pub fn conv_forward<T: Real, const D: usize>(g: &ConvGeom<D>, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], scratch: &mut [T]) {
    g.check("conv_forward", x.len(), w.len(), b.map(<[T]>::len), y.len());
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let (img, out_img, l) = (g.c_in * v.in_len(), g.c_out * dm.l, dm.l);
    for_each_chunk(g, &v, scratch, "conv_forward", |start, n, cols, tmp| {
        let nl = n * l;
        im2col(&v, n, &x[start * img..(start + n) * img], cols);
        for grp in 0..dm.groups {
            let wg = &w[grp * dm.cog * dm.rows..];
            let cg = &cols[grp * dm.rows * nl..];
            let tg = &mut tmp[grp * dm.cog * nl..(grp + 1) * dm.cog * nl];
            // tmp_g[cog×BL] = W_g[cog×rows] · cols_g[rows×BL]
            T::gemm(dm.cog, dm.rows, nl, T::one(), wg, dm.rows as isize, 1, cg, nl as isize, 1, T::zero(), tg, nl as isize, 1);
        }
        // y[i, o, :] = tmp[o, i·L..(i+1)·L] + b[o]
        let tmp = &*tmp;
        rows_mut(&mut y[start * out_img..(start + n) * out_img], out_img, |i, yi| {
            for (o, row) in yi.chunks_exact_mut(l).enumerate() {
                let src = &tmp[o * nl + i * l..o * nl + (i + 1) * l];
                match b {
                    Some(b) => {
                        let bo = b[o];
                        row.iter_mut().zip(src).for_each(|(d, &s)| *d = s + bo);
                    }
                    None => row.copy_from_slice(src),
                }
            }
        });
    });
}

/// The backward of [`conv_forward`] at input `x`: writes `dx` into `grad_in`, accumulates
/// `dW += Σ dY·colᵀ` into `grad_weight` and `db += Σ dY` into `grad_bias` (each skipped when
/// `None`). `scratch` as for [`conv_forward`].
#[allow(clippy::too_many_arguments)]
pub fn conv_backward<T: Real, const D: usize>(
    g: &ConvGeom<D>,
    x: &[T],
    w: &[T],
    grad_out: &[T],
    scratch: &mut [T],
    mut grad_in: Option<&mut [T]>,
    mut grad_weight: Option<&mut [T]>,
    mut grad_bias: Option<&mut [T]>,
) {
    g.check("conv_backward", x.len(), w.len(), grad_bias.as_deref().map(<[T]>::len), grad_out.len());
    if let Some(dw) = grad_weight.as_deref() {
        assert_eq!(dw.len(), g.weight_len(), "conv_backward: grad_weight has {} elements, expected {}", dw.len(), g.weight_len());
    }
    if let Some(dx) = grad_in.as_deref() {
        assert_eq!(dx.len(), x.len(), "conv_backward: grad_in has {} elements, expected {}", dx.len(), x.len());
    }
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let (img, out_img, l) = (g.c_in * v.in_len(), g.c_out * dm.l, dm.l);
    if l == 0 {
        if let Some(dx) = grad_in {
            dx.fill(T::zero());
        }
        return;
    }
    for_each_chunk(g, &v, scratch, "conv_backward", |start, n, cols, tmp| {
        let nl = n * l;
        let gy = &grad_out[start * out_img..(start + n) * out_img];
        // tmp[o, i·L..(i+1)·L] = dY[i, o, :]
        rows_mut(tmp, nl, |o, trow| {
            for (i, dst) in trow.chunks_exact_mut(l).enumerate() {
                dst.copy_from_slice(&gy[i * out_img + o * l..i * out_img + (o + 1) * l]);
            }
        });
        let tmp = &*tmp;
        if let Some(db) = grad_bias.as_deref_mut() {
            // Image by image, in order.
            for (d, row) in db.iter_mut().zip(tmp.chunks_exact(nl)) {
                *d += row.chunks_exact(l).map(|p| p.iter().copied().sum::<T>()).sum::<T>();
            }
        }
        if let Some(dw) = grad_weight.as_deref_mut() {
            im2col(&v, n, &x[start * img..(start + n) * img], cols);
            for grp in 0..dm.groups {
                // dW_g[cog×rows] += dY_g[cog×BL] · cols_g[rows×BL]ᵀ
                let gyg = &tmp[grp * dm.cog * nl..];
                let cg = &cols[grp * dm.rows * nl..];
                let dwg = &mut dw[grp * dm.cog * dm.rows..(grp + 1) * dm.cog * dm.rows];
                T::gemm(dm.cog, nl, dm.rows, T::one(), gyg, nl as isize, 1, cg, 1, nl as isize, T::one(), dwg, dm.rows as isize, 1);
            }
        }
        if let Some(dx) = grad_in.as_deref_mut() {
            for grp in 0..dm.groups {
                // dcols_g[rows×BL] = W_g[cog×rows]ᵀ · dY_g[cog×BL], over the columns.
                let wg = &w[grp * dm.cog * dm.rows..];
                let gyg = &tmp[grp * dm.cog * nl..];
                let dcg = &mut cols[grp * dm.rows * nl..(grp + 1) * dm.rows * nl];
                T::gemm(dm.rows, dm.cog, nl, T::one(), wg, 1, dm.rows as isize, gyg, nl as isize, 1, T::zero(), dcg, nl as isize, 1);
            }
            col2im(&v, n, cols, &mut dx[start * img..(start + n) * img]);
        }
    });
}

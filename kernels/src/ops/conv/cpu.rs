//! The convolution loops: one im2col over the whole batch, one GEMM per group over all images,
//! and a pass that lays the `[C_out, N·L]` GEMM result out as `[N, C_out, L]` (adding the bias).
//! The backward lays `dY` out the other way (summing the bias gradient as it goes), then runs one
//! GEMM per group for `dW` and one for the column gradient, and col2im.

use super::ConvGeom;
use super::im2col::{Vol, col2im, im2col};
use crate::cpu::parallel::PAR_THRESHOLD;
use crate::real::Real;
use rayon::prelude::*;

/// The scratch length of [`conv_forward`] and [`conv_backward`]: the batch's column matrix
/// (`C_in·K·N·L`) followed by the `[C_out, N·L]` GEMM result.
pub fn conv_scratch_len<const D: usize>(g: &ConvGeom<D>) -> usize {
    let v = g.vol();
    let nl = g.n * v.out_len();
    (v.rows() + g.c_out) * nl
}

/// The sizes the GEMMs use.
#[derive(Clone, Copy)]
struct Dims {
    /// `C_in/G·K`, `C_out/G`, `N·L`, `L`, `G`.
    rows: usize,
    cog: usize,
    nl: usize,
    l: usize,
    groups: usize,
}

impl Dims {
    fn of<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> Dims {
        let l = v.out_len();
        Dims { rows: g.c_in / g.groups * v.taps(), cog: g.c_out / g.groups, nl: g.n * l, l, groups: g.groups }
    }
}

/// Splits `scratch` into the column matrix and the GEMM result.
fn split<'a, T, const D: usize>(g: &ConvGeom<D>, v: &Vol, scratch: &'a mut [T], op: &str) -> (&'a mut [T], &'a mut [T]) {
    let want = conv_scratch_len(g);
    assert!(scratch.len() >= want, "{op}: scratch has {} elements, expected at least {want} (conv_scratch_len)", scratch.len());
    let (cols, rest) = scratch.split_at_mut(v.rows() * g.n * v.out_len());
    (cols, &mut rest[..g.c_out * g.n * v.out_len()])
}

/// `y = conv(x, W) + b`; see the [module docs](super). `scratch` has at least
/// [`conv_scratch_len`] elements; on return its first `C_in·K·N·L` hold the column matrix of `x`,
/// which [`conv_backward_saved`] reuses.
pub fn conv_forward<T: Real, const D: usize>(g: &ConvGeom<D>, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], scratch: &mut [T]) {
    g.check("conv_forward", x.len(), w.len(), b.map(<[T]>::len), y.len());
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let (cols, tmp) = split(g, &v, scratch, "conv_forward");
    im2col(&v, g.n, x, cols);
    for grp in 0..dm.groups {
        let wg = &w[grp * dm.cog * dm.rows..];
        let cg = &cols[grp * dm.rows * dm.nl..];
        let tg = &mut tmp[grp * dm.cog * dm.nl..(grp + 1) * dm.cog * dm.nl];
        // tmp_g[cog×NL] = W_g[cog×rows] · cols_g[rows×NL]
        T::gemm(dm.cog, dm.rows, dm.nl, T::one(), wg, dm.rows as isize, 1, cg, dm.nl as isize, 1, T::zero(), tg, dm.nl as isize, 1);
    }
    // y[i, o, :] = tmp[o, i·L..(i+1)·L] + b[o]
    let (l, c_out) = (dm.l, g.c_out);
    let tmp = &*tmp;
    let lay = |i: usize, yi: &mut [T]| {
        for (o, row) in yi.chunks_exact_mut(l).enumerate() {
            let src = &tmp[o * dm.nl + i * l..o * dm.nl + (i + 1) * l];
            match b {
                Some(b) => {
                    let bo = b[o];
                    row.iter_mut().zip(src).for_each(|(d, &s)| *d = s + bo);
                }
                None => row.copy_from_slice(src),
            }
        }
    };
    if y.is_empty() || l == 0 {
        return;
    }
    if y.len() < PAR_THRESHOLD {
        y.chunks_exact_mut(c_out * l).enumerate().for_each(|(i, yi)| lay(i, yi));
    } else {
        y.par_chunks_exact_mut(c_out * l).enumerate().for_each(|(i, yi)| lay(i, yi));
    }
}

/// The backward of [`conv_forward`] at input `x`: writes `dx` into `grad_in`, accumulates
/// `dW += Σ dY·colᵀ` into `grad_weight` and `db += Σ dY` into `grad_bias` (each skipped when
/// `None`). `scratch` as for [`conv_forward`] (its contents on entry do not matter).
#[allow(clippy::too_many_arguments)]
pub fn conv_backward<T: Real, const D: usize>(
    g: &ConvGeom<D>,
    x: &[T],
    w: &[T],
    grad_out: &[T],
    scratch: &mut [T],
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check("conv_backward", x.len(), w.len(), grad_bias.as_deref().map(<[T]>::len), grad_out.len());
    if grad_weight.is_some() {
        let v = g.vol();
        let (cols, _) = split(g, &v, scratch, "conv_backward");
        im2col(&v, g.n, x, cols);
    }
    conv_backward_saved(g, w, grad_out, scratch, grad_in, grad_weight, grad_bias);
}

/// [`conv_backward`] when `scratch` still holds what [`conv_forward`] left there for the same
/// geometry and input (the column matrix of `x`), so `x` itself is not needed. When `grad_in`
/// is asked for, the column matrix is overwritten (a second backward must use
/// [`conv_backward`]).
#[allow(clippy::too_many_arguments)]
pub fn conv_backward_saved<T: Real, const D: usize>(
    g: &ConvGeom<D>,
    w: &[T],
    grad_out: &[T],
    scratch: &mut [T],
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check("conv_backward", g.input_len(), w.len(), grad_bias.as_deref().map(<[T]>::len), grad_out.len());
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let (cols, tmp) = split(g, &v, scratch, "conv_backward");
    if dm.nl == 0 {
        if let Some(dx) = grad_in {
            dx.fill(T::zero());
        }
        return;
    }
    // tmp[o, i·L..(i+1)·L] = dY[i, o, :]; db[o] += Σ dY[:, o, :], images in order.
    let l = dm.l;
    let out_img = g.c_out * l;
    let lay = |o: usize, trow: &mut [T]| {
        for (i, dst) in trow.chunks_exact_mut(l).enumerate() {
            dst.copy_from_slice(&grad_out[i * out_img + o * l..i * out_img + (o + 1) * l]);
        }
    };
    if tmp.len() < PAR_THRESHOLD {
        tmp.chunks_exact_mut(dm.nl).enumerate().for_each(|(o, r)| lay(o, r));
    } else {
        tmp.par_chunks_exact_mut(dm.nl).enumerate().for_each(|(o, r)| lay(o, r));
    }
    let tmp = &*tmp;
    if let Some(db) = grad_bias {
        for (d, row) in db.iter_mut().zip(tmp.chunks_exact(dm.nl)) {
            *d += row.chunks(l).map(|p| p.iter().copied().sum::<T>()).sum::<T>();
        }
    }
    if let Some(dw) = grad_weight {
        assert_eq!(dw.len(), g.weight_len(), "conv_backward: grad_weight has {} elements, expected {}", dw.len(), g.weight_len());
        for grp in 0..dm.groups {
            // dW_g[cog×rows] += dY_g[cog×NL] · cols_g[rows×NL]ᵀ
            let gy = &tmp[grp * dm.cog * dm.nl..];
            let cg = &cols[grp * dm.rows * dm.nl..];
            let dwg = &mut dw[grp * dm.cog * dm.rows..(grp + 1) * dm.cog * dm.rows];
            T::gemm(dm.cog, dm.nl, dm.rows, T::one(), gy, dm.nl as isize, 1, cg, 1, dm.nl as isize, T::one(), dwg, dm.rows as isize, 1);
        }
    }
    if let Some(dx) = grad_in {
        assert_eq!(dx.len(), g.input_len(), "conv_backward: grad_in has {} elements, expected {}", dx.len(), g.input_len());
        for grp in 0..dm.groups {
            // dcols_g[rows×NL] = W_g[cog×rows]ᵀ · dY_g[cog×NL], over the columns (no longer needed).
            let wg = &w[grp * dm.cog * dm.rows..];
            let gy = &tmp[grp * dm.cog * dm.nl..];
            let dcg = &mut cols[grp * dm.rows * dm.nl..(grp + 1) * dm.rows * dm.nl];
            T::gemm(dm.rows, dm.cog, dm.nl, T::one(), wg, 1, dm.rows as isize, gy, dm.nl as isize, 1, T::zero(), dcg, dm.nl as isize, 1);
        }
        col2im(&v, g.n, cols, dx);
    }
}

//! The convolution loops: per image, im2col then one GEMM per group; images in parallel (one
//! scratch slot each) when the work is large.

use super::ConvGeom;
use super::im2col::{Vol, col2im_add, im2col};
use crate::cpu::parallel::PAR_THRESHOLD;
use crate::real::Real;
use rayon::prelude::*;

/// The scratch length of [`conv_forward`] and [`conv_backward`]: 0 for a 1×1 kernel with stride 1
/// and no padding, else one `C_in·K·L` column matrix per image that may run at once
/// (`min(N, rayon threads)` of them).
pub fn conv_scratch_len<const D: usize>(g: &ConvGeom<D>) -> usize {
    let v = g.vol();
    if v.is_identity() { 0 } else { v.col_len() * g.n.min(rayon::current_num_threads()).max(1) }
}

/// The sizes one image's GEMMs use.
#[derive(Clone, Copy)]
struct Dims {
    /// `C_in/G`, `C_out/G`, `K`, `L`.
    cig: usize,
    cog: usize,
    taps: usize,
    l: usize,
    groups: usize,
}

impl Dims {
    fn of<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> Dims {
        Dims { cig: g.c_in / g.groups, cog: g.c_out / g.groups, taps: v.taps(), l: v.out_len(), groups: g.groups }
    }
    /// Rows of a group's column block, `C_in/G·K`.
    fn rows(&self) -> usize {
        self.cig * self.taps
    }
}

/// Splits `scratch` into column-matrix slots (none when im2col is skipped).
fn slots<'a, T>(v: &Vol, n: usize, scratch: &'a mut [T], op: &str) -> Vec<&'a mut [T]> {
    if v.is_identity() || n == 0 {
        return Vec::new();
    }
    let len = v.col_len();
    assert!(scratch.len() >= len, "{op}: scratch has {} elements, expected at least {len} (conv_scratch_len)", scratch.len());
    let count = (scratch.len() / len).min(n);
    scratch[..count * len].chunks_exact_mut(len).collect()
}

/// Runs `f(image, slot)` for every image: serially when the work is small or there is one slot,
/// else in chunks of `slots.len()` images in parallel.
fn for_each_image<T: Send, O: Send>(
    n: usize,
    work: usize,
    slots: &mut [&mut [T]],
    outs: Vec<O>,
    f: impl Fn(usize, &mut [T], O) + Sync + Send,
) {
    let mut outs = outs.into_iter();
    let mut empty: [T; 0] = [];
    if slots.len() <= 1 || work < PAR_THRESHOLD {
        for (i, o) in (0..n).zip(outs.by_ref()) {
            match slots.first_mut() {
                Some(s) => f(i, s, o),
                None => f(i, &mut empty, o),
            }
        }
        return;
    }
    let mut start = 0;
    while start < n {
        let chunk: Vec<O> = outs.by_ref().take(slots.len()).collect();
        let k = chunk.len();
        slots[..k].par_iter_mut().zip(chunk).enumerate().for_each(|(j, (s, o))| f(start + j, s, o));
        start += k;
    }
}

/// `y = conv(x, W) + b`; see the [module docs](super). `scratch` has at least one image's column
/// matrix ([`conv_scratch_len`] gives enough for full parallelism).
pub fn conv_forward<T: Real, const D: usize>(g: &ConvGeom<D>, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], scratch: &mut [T]) {
    g.check("conv_forward", x.len(), w.len(), b.map(<[T]>::len), y.len());
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let (in_img, out_img) = (g.c_in * v.in_len(), g.c_out * dm.l);
    let mut slots = slots(&v, g.n, scratch, "conv_forward");
    let work = g.n * g.c_out * dm.l * dm.rows();
    let outs: Vec<&mut [T]> = y.chunks_exact_mut(out_img.max(1)).collect();
    for_each_image(g.n, work, &mut slots, outs, |i, slot, yi| {
        let xi = &x[i * in_img..(i + 1) * in_img];
        let col: &[T] = if v.is_identity() {
            xi
        } else {
            im2col(&v, xi, slot);
            slot
        };
        for grp in 0..dm.groups {
            let (wg, cg) = (&w[grp * dm.cog * dm.rows()..], &col[grp * dm.rows() * dm.l..]);
            let yg = &mut yi[grp * dm.cog * dm.l..(grp + 1) * dm.cog * dm.l];
            // y_g[cog×L] = W_g[cog×rows] · col_g[rows×L]
            T::gemm(dm.cog, dm.rows(), dm.l, T::one(), wg, dm.rows() as isize, 1, cg, dm.l as isize, 1, T::zero(), yg, dm.l as isize, 1);
        }
        if let Some(b) = b {
            yi.chunks_exact_mut(dm.l.max(1)).zip(b).for_each(|(row, &bc)| row.iter_mut().for_each(|v| *v += bc));
        }
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
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check("conv_backward", x.len(), w.len(), grad_bias.as_deref().map(<[T]>::len), grad_out.len());
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let (in_img, out_img) = (g.c_in * v.in_len(), g.c_out * dm.l);
    let rows = dm.rows();
    let work = g.n * g.c_out * dm.l * rows;
    let mut slots = slots(&v, g.n, scratch, "conv_backward");

    if let Some(db) = grad_bias {
        for yi in grad_out.chunks_exact(out_img.max(1)) {
            db.iter_mut().zip(yi.chunks_exact(dm.l.max(1))).for_each(|(d, row)| *d += row.iter().copied().sum::<T>());
        }
    }

    if let Some(dw) = grad_weight {
        assert_eq!(dw.len(), g.weight_len(), "conv_backward: grad_weight has {} elements, expected {}", dw.len(), g.weight_len());
        // dW_g[cog×rows] += dY_g[cog×L] · col_g[rows×L]ᵀ, images in order (deterministic sums);
        // the column matrices of a chunk of images are built in parallel first.
        let per = slots.len().max(1);
        let mut start = 0;
        while start < g.n {
            let k = per.min(g.n - start);
            if !v.is_identity() {
                let fill = |j: usize, s: &mut &mut [T]| im2col(&v, &x[(start + j) * in_img..(start + j + 1) * in_img], s);
                if work < PAR_THRESHOLD {
                    slots[..k].iter_mut().enumerate().for_each(|(j, s)| fill(j, s));
                } else {
                    slots[..k].par_iter_mut().enumerate().for_each(|(j, s)| fill(j, s));
                }
            }
            for j in 0..k {
                let i = start + j;
                let col: &[T] = match slots.get(j) {
                    Some(slot) => slot,
                    None => &x[i * in_img..(i + 1) * in_img], // 1×1 kernel: no slots, col = x
                };
                for grp in 0..dm.groups {
                    let gy = &grad_out[i * out_img + grp * dm.cog * dm.l..];
                    let cg = &col[grp * rows * dm.l..];
                    let dwg = &mut dw[grp * dm.cog * rows..(grp + 1) * dm.cog * rows];
                    T::gemm(dm.cog, dm.l, rows, T::one(), gy, dm.l as isize, 1, cg, 1, dm.l as isize, T::one(), dwg, rows as isize, 1);
                }
            }
            start += k;
        }
    }

    if let Some(dx) = grad_in {
        assert_eq!(dx.len(), x.len(), "conv_backward: grad_in has {} elements, expected {}", dx.len(), x.len());
        let outs: Vec<&mut [T]> = dx.chunks_exact_mut(in_img.max(1)).collect();
        for_each_image(g.n, work, &mut slots, outs, |i, slot, dxi| {
            let gyi = &grad_out[i * out_img..(i + 1) * out_img];
            // dcol_g[rows×L] = W_g[cog×rows]ᵀ · dY_g[cog×L], straight into dx for a 1×1 kernel.
            let identity = v.is_identity();
            for grp in 0..dm.groups {
                let wg = &w[grp * dm.cog * rows..];
                let gy = &gyi[grp * dm.cog * dm.l..];
                let dst: &mut [T] = if identity { &mut dxi[grp * rows * dm.l..(grp + 1) * rows * dm.l] } else { &mut slot[grp * rows * dm.l..(grp + 1) * rows * dm.l] };
                T::gemm(rows, dm.cog, dm.l, T::one(), wg, 1, rows as isize, gy, dm.l as isize, 1, T::zero(), dst, dm.l as isize, 1);
            }
            if !identity {
                dxi.fill(T::zero());
                col2im_add(&v, slot, dxi);
            }
        });
    }
}

//! Max pooling: `y = max over the window`, with the argmax saved for the backward.
//!
//! Ties and NaN as PyTorch's CPU kernel: the window is scanned in row-major order, a value
//! replaces the running maximum when it is strictly greater or NaN, so the first of equal
//! maxima wins and a NaN propagates. Padding never wins (it is −∞ and is not scanned).
//! `indices` hold, for each output, the flat position of its maximum inside its input plane
//! (`h·W + w` in 2-d), as `return_indices=True` gives in PyTorch.
//!
//! Backward: `dx[plane, indices[o]] += dy[o]` (dx written: zeroed first).
//!
//! ```
//! use fusenet_kernels::ops::pool::{PoolGeom, max::{max_pool_forward, max_pool_backward}};
//! let mut g = PoolGeom::<1>::new(1, 1, [5], [3]);
//! g.stride = [1];
//! let x = [1.0f64, 3.0, 2.0, 3.0, 0.0];
//! let (mut y, mut idx) = ([0.0; 3], [0i64; 3]);
//! max_pool_forward(&g, &x, &mut y, &mut idx);
//! assert_eq!((y, idx), ([3.0; 3], [1, 1, 3])); // the first 3 wins a tie
//! let mut dx = [9.0; 5];
//! max_pool_backward(&g, &idx, &[1.0, 1.0, 1.0], &mut dx);
//! assert_eq!(dx, [0.0, 2.0, 0.0, 1.0, 0.0]);
//! ```

use super::{PoolGeom, for_each_plane, for_each_plane2};
use crate::real::Real;
#[cfg(target_arch = "x86_64")]
use crate::real::{as_f32, as_f32_mut};

/// `y` and `indices` (each `[N, C, *output]`) from `x` (`[N, C, *input]`).
pub fn max_pool_forward<T: Real, const D: usize>(g: &PoolGeom<D>, x: &[T], y: &mut [T], indices: &mut [i64]) {
    g.check("max_pool_forward", x.len(), y.len());
    assert_eq!(indices.len(), y.len(), "max_pool_forward: indices has {} elements, expected {}", indices.len(), y.len());
    let a = g.in3();
    let (ip, op) = (a.in_plane(), a.out_plane());
    let [od, oh, ow] = a.output;
    let [_, ih, iw] = a.input;
    let [dd, dh, dw] = a.dilation;
    let cost = g.kernel.iter().product();
    if a.kernel == [1, 2, 2] && a.stride == [1, 2, 2] && a.padding == [0; 3] && a.dilation == [1; 3] && 2 * oh <= ih && 2 * ow <= iw && od == a.input[0] {
        for_each_plane2(y, indices, op, cost, |p, yp, ixp| {
            let xp = &x[p * ip..(p + 1) * ip];
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f")
                && let Some(xp) = as_f32(xp)
            {
                let yp = as_f32_mut(yp).expect("y of x's type");
                // SAFETY: AVX-512F is available (checked just above), the only requirement.
                unsafe { super::max_avx512::max_2x2(xp, [od, ih, iw], [oh, ow], yp, ixp) };
                return;
            }
            max_2x2(xp, [od, ih, iw], [oh, ow], yp, ixp)
        });
        return;
    }
    for_each_plane2(y, indices, op, cost, |p, yp, ixp| {
        let xp = &x[p * ip..(p + 1) * ip];
        let mut at = 0;
        for zd in 0..od {
            let (d_lo, d_hi, d0) = a.taps(0, zd);
            for zh in 0..oh {
                let (h_lo, h_hi, h0) = a.taps(1, zh);
                for zw in 0..ow {
                    let (w_lo, w_hi, w0) = a.taps(2, zw);
                    let pos = |kd: usize, kh: usize, kw: usize| {
                        let (pd, ph, pw) = (d0 + (kd * dd) as isize, h0 + (kh * dh) as isize, w0 + (kw * dw) as isize);
                        ((pd as usize) * ih + ph as usize) * iw + pw as usize
                    };
                    let mut best = T::NEG_INFINITY;
                    let mut arg = pos(d_lo, h_lo, w_lo);
                    for kd in d_lo..d_hi {
                        for kh in h_lo..h_hi {
                            for kw in w_lo..w_hi {
                                let i = pos(kd, kh, kw);
                                let v = xp[i];
                                if v > best || v.is_nan() {
                                    best = v;
                                    arg = i;
                                }
                            }
                        }
                    }
                    yp[at] = best;
                    ixp[at] = arg as i64;
                    at += 1;
                }
            }
        }
    });
}

/// The 2×2, stride-2 windows of one plane (`[d, ih, iw]`, the windows inside it, `[d, oh, ow]`
/// outputs), with the general loop's scan order, tie and NaN rules.
#[inline]
fn max_2x2<T: Real>(xp: &[T], [d, ih, iw]: [usize; 3], [oh, ow]: [usize; 2], yp: &mut [T], ixp: &mut [i64]) {
    const W: usize = 4;
    for zd in 0..d {
        for zh in 0..oh {
            let top = (zd * ih + 2 * zh) * iw;
            let (r0, r1) = (&xp[top..top + 2 * ow], &xp[top + iw..top + iw + 2 * ow]);
            let at = (zd * oh + zh) * ow;
            let (yr, ir) = (&mut yp[at..at + ow], &mut ixp[at..at + ow]);
            // Blocks of W windows as fixed-size arrays, so that the compares become vector
            // compares and blends (a branch per tap mispredicts on real data).
            let full = ow / W * W;
            for z0 in (0..full).step_by(W) {
                let (a, b) = (&r0[2 * z0..2 * z0 + 2 * W], &r1[2 * z0..2 * z0 + 2 * W]);
                let mut best: [T; W] = std::array::from_fn(|k| a[2 * k]);
                let mut tap = [0usize; W];
                for (t, src, odd) in [(1, a, 1), (2, b, 0), (3, b, 1)] {
                    for k in 0..W {
                        let v = src[2 * k + odd];
                        #[allow(clippy::eq_op)]
                        let take = (v > best[k]) | (v != v); // strictly greater, or NaN
                        best[k] = if take { v } else { best[k] };
                        tap[k] = if take { t } else { tap[k] };
                    }
                }
                yr[z0..z0 + W].copy_from_slice(&best);
                for k in 0..W {
                    let t = tap[k];
                    ir[z0 + k] = (top + 2 * (z0 + k) + (t & 1) + (t >> 1) * iw) as i64;
                }
            }
            for zw in full..ow {
                let j = 2 * zw;
                // The first tap is the running maximum unless it is −∞ (then it is the argmax
                // anyway); the others replace it when strictly greater or NaN, as in the scan.
                let (mut best, mut arg) = (r0[j], j);
                for (v, k) in [(r0[j + 1], j + 1), (r1[j], iw + j), (r1[j + 1], iw + j + 1)] {
                    #[allow(clippy::eq_op)]
                    let take = (v > best) | (v != v);
                    best = if take { v } else { best };
                    arg = if take { k } else { arg };
                }
                yr[zw] = best;
                ir[zw] = (top + arg) as i64;
            }
        }
    }
}

/// Writes `grad_in` (`[N, C, *input]`): each `grad_out` element added at its saved argmax.
/// Panics when an index lies outside its input plane.
pub fn max_pool_backward<T: Real, const D: usize>(g: &PoolGeom<D>, indices: &[i64], grad_out: &[T], grad_in: &mut [T]) {
    g.check("max_pool_backward", grad_in.len(), grad_out.len());
    assert_eq!(indices.len(), grad_out.len(), "max_pool_backward: indices has {} elements, expected {}", indices.len(), grad_out.len());
    let (ip, op) = (g.in_plane(), g.out_plane());
    for_each_plane(grad_in, ip, op.div_ceil(ip.max(1)).max(1), |p, dxp| {
        dxp.fill(T::zero());
        for (&i, &gv) in indices[p * op..(p + 1) * op].iter().zip(&grad_out[p * op..(p + 1) * op]) {
            assert!((0..ip as i64).contains(&i), "max_pool_backward: index {i} is outside the input plane of {ip} elements");
            dxp[i as usize] += gv;
        }
    });
}

//! Batch normalisation over `[N, C, L]` (`L = 1` for `BatchNorm1d` on `[N, C]`, `L = H·W` for
//! `BatchNorm2d`): statistics per channel over the `M = N·L` values of that channel.
//!
//! Training ([`batch_norm_forward_train`]): `μ_c`, `σ²_c` (biased) from the batch; `y = γ(x − μ)r + β`;
//! the caller-provided running statistics (if any) are updated with the factor `f`:
//! `running_mean ← (1 − f)·running_mean + f·μ`, `running_var ← (1 − f)·running_var + f·σ²·M/(M − 1)`
//! (the unbiased variance). PyTorch's `f` is `momentum`, or `1/num_batches_tracked` (after its
//! increment) when `momentum=None`; the caller, which owns `num_batches_tracked`, computes it.
//!
//! Evaluation ([`batch_norm_forward_eval`]): `y = γ(x − running_mean)/√(running_var + eps) + β`.
//!
//! Backward ([`batch_norm_backward`]), with `x̂ = (x − μ)r`:
//! - through batch statistics: `dx = γr/M · (M·dy − Σdy − x̂·Σ(dy·x̂))`;
//! - through running statistics (an affine map): `dx = γr·dy`;
//! - `dγ += Σ dy·x̂`, `dβ += Σ dy` (sums over N and L).
//!
//! ```
//! use fusenet_kernels::ops::norm::batch_norm::{BatchNormGeom, batch_norm_forward_train};
//! let g = BatchNormGeom { n: 2, c: 1, l: 1 };
//! let (mut y, mut mean, mut invstd) = ([0.0f64; 2], [0.0], [0.0]);
//! let (mut rm, mut rv) = ([0.0], [1.0]);
//! batch_norm_forward_train(&g, 0.0, 0.1, &[1.0, 3.0], None, None, Some((&mut rm, &mut rv)), &mut y, &mut mean, &mut invstd);
//! assert_eq!(y, [-1.0, 1.0]);
//! assert!((rm[0] - 0.2).abs() < 1e-15 && (rv[0] - (0.9 + 0.1 * 2.0)).abs() < 1e-15); // unbiased var 2
//! ```

use crate::ops::rows::for_each_row;
use crate::real::Real;
use rayon::prelude::*;

/// Input `[n, c, l]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchNormGeom {
    pub n: usize,
    pub c: usize,
    pub l: usize,
}

impl BatchNormGeom {
    /// `n·c·l`.
    pub fn numel(&self) -> usize {
        self.n * self.c * self.l
    }

    fn check(&self, what: &str, len: usize) {
        assert_eq!(len, self.numel(), "batch_norm: {what} has {len} elements, expected [{}, {}, {}] = {}", self.n, self.c, self.l, self.numel());
    }

    fn check_c<T>(&self, what: &str, s: Option<&[T]>) {
        if let Some(s) = s {
            assert_eq!(s.len(), self.c, "batch_norm: {what} has {} elements, expected one per channel ({})", s.len(), self.c);
        }
    }

    /// The values of channel `ch`, one `l`-long run per sample.
    fn runs<'a, T>(&self, x: &'a [T], ch: usize) -> impl Iterator<Item = &'a [T]> + 'a {
        let (c, l) = (self.c, self.l);
        (0..self.n).map(move |ni| &x[(ni * c + ch) * l..(ni * c + ch + 1) * l])
    }
}

/// Per-channel work in parallel when the tensor is large.
fn per_channel<T: Real>(g: &BatchNormGeom, outs: (&mut [T], &mut [T]), f: impl Fn(usize) -> (T, T) + Sync + Send) {
    let (a, b) = outs;
    let body = |(ch, (a, b)): (usize, (&mut T, &mut T))| (*a, *b) = f(ch);
    if g.numel() < crate::cpu::parallel::par_threshold() {
        a.iter_mut().zip(b.iter_mut()).enumerate().for_each(body);
    } else {
        a.par_iter_mut().zip(b.par_iter_mut()).enumerate().for_each(body);
    }
}

/// `y = γ·(x − mean)·invstd + β` with per-channel `mean`, `invstd`.
fn normalize<T: Real>(g: &BatchNormGeom, x: &[T], mean: &[T], invstd: &[T], weight: Option<&[T]>, bias: Option<&[T]>, y: &mut [T]) {
    let (c, l) = (g.c, g.l);
    for_each_row(y, l.max(1), 1, |row, out| {
        let ch = row % c;
        let scale = invstd[ch] * weight.map_or(T::one(), |w| w[ch]);
        let shift = bias.map_or(T::zero(), |b| b[ch]) - mean[ch] * scale;
        let src = &x[row * l..(row + 1) * l];
        out.iter_mut().zip(src).for_each(|(o, &v)| *o = v * scale + shift);
    });
}

/// Training-mode forward: writes `y` and the batch statistics `save_mean`, `save_invstd` (`[c]`,
/// for the backward), and updates `running` = `(running_mean, running_var)` with the factor
/// `exp_avg_factor` when given. Panics when a channel has a single value (`n·l == 1`), as torch.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_forward_train<T: Real>(
    g: &BatchNormGeom,
    eps: f64,
    exp_avg_factor: f64,
    x: &[T],
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    running: Option<(&mut [T], &mut [T])>,
    y: &mut [T],
    save_mean: &mut [T],
    save_invstd: &mut [T],
) {
    g.check("input", x.len());
    g.check("output", y.len());
    g.check_c("weight", weight);
    g.check_c("bias", bias);
    g.check_c("save_mean", Some(save_mean));
    g.check_c("save_invstd", Some(save_invstd));
    let m = g.n * g.l;
    assert!(m > 1 || g.c == 0, "Expected more than 1 value per channel when training, got input of size [{}, {}, {}]", g.n, g.c, g.l);
    // Two passes in f64: the mean, then the centred sum of squares.
    // `save_invstd` holds the centred sums of squares until the end.
    per_channel(g, (&mut *save_mean, &mut *save_invstd), |ch| {
        let mean = g.runs(x, ch).flatten().map(|v| v.to_f64()).sum::<f64>() / m as f64;
        let ss: f64 = g.runs(x, ch).flatten().map(|v| (v.to_f64() - mean).powi(2)).sum();
        (T::from_f64(mean), T::from_f64(ss))
    });
    if let Some((rm, rv)) = running {
        g.check_c("running_mean", Some(rm));
        g.check_c("running_var", Some(rv));
        let f = exp_avg_factor;
        for ch in 0..g.c {
            let ss = save_invstd[ch].to_f64();
            rm[ch] = T::from_f64((1.0 - f) * rm[ch].to_f64() + f * save_mean[ch].to_f64());
            rv[ch] = T::from_f64((1.0 - f) * rv[ch].to_f64() + f * ss / (m - 1) as f64);
        }
    }
    for s in save_invstd.iter_mut() {
        *s = T::from_f64(1.0 / (s.to_f64() / m as f64 + eps).sqrt());
    }
    normalize(g, x, save_mean, save_invstd, weight, bias, y);
}

/// Evaluation-mode forward with the running statistics.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_forward_eval<T: Real>(
    g: &BatchNormGeom,
    eps: f64,
    x: &[T],
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    running_mean: &[T],
    running_var: &[T],
    y: &mut [T],
) {
    g.check("input", x.len());
    g.check("output", y.len());
    g.check_c("weight", weight);
    g.check_c("bias", bias);
    g.check_c("running_mean", Some(running_mean));
    g.check_c("running_var", Some(running_var));
    let (c, l) = (g.c, g.l);
    for_each_row(y, l.max(1), 1, |row, out| {
        let ch = row % c;
        let invstd = T::from_f64(1.0 / (running_var[ch].to_f64() + eps).sqrt());
        let scale = invstd * weight.map_or(T::one(), |w| w[ch]);
        let shift = bias.map_or(T::zero(), |b| b[ch]) - running_mean[ch] * scale;
        let src = &x[row * l..(row + 1) * l];
        out.iter_mut().zip(src).for_each(|(o, &v)| *o = v * scale + shift);
    });
}

/// Which statistics the forward normalised with.
#[derive(Clone, Copy, Debug)]
pub enum BatchNormStats<'a, T> {
    /// Training mode: the forward's `save_mean`, `save_invstd`; gradients flow through them.
    Batch { mean: &'a [T], invstd: &'a [T] },
    /// Evaluation mode: the running statistics (constants).
    Running { mean: &'a [T], var: &'a [T], eps: f64 },
}

/// The scratch length of [`batch_norm_backward`]: `2·c` (the per-channel sums).
pub fn batch_norm_backward_scratch_len(g: &BatchNormGeom) -> usize {
    2 * g.c
}

/// The backward of either forward: writes `grad_in`, accumulates `grad_weight` (`dγ`) and
/// `grad_bias` (`dβ`). `weight` is `None` for `affine=False` (γ = 1). `scratch` has
/// [`batch_norm_backward_scratch_len`] elements.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward<T: Real>(
    g: &BatchNormGeom,
    stats: BatchNormStats<'_, T>,
    x: &[T],
    weight: Option<&[T]>,
    grad_out: &[T],
    scratch: &mut [T],
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check("input", x.len());
    g.check("grad_out", grad_out.len());
    g.check_c("weight", weight);
    let (mean, train) = match stats {
        BatchNormStats::Batch { mean, .. } => (mean, true),
        BatchNormStats::Running { mean, .. } => (mean, false),
    };
    g.check_c("mean", Some(mean));
    let invstd = |ch: usize| match stats {
        BatchNormStats::Batch { invstd, .. } => invstd[ch].to_f64(),
        BatchNormStats::Running { var, eps, .. } => 1.0 / (var[ch].to_f64() + eps).sqrt(),
    };
    let (c, l) = (g.c, g.l);
    let m = (g.n * l) as f64;
    assert!(scratch.len() >= 2 * c, "batch_norm_backward: scratch has {} elements, expected at least {}", scratch.len(), 2 * c);
    // Per channel: Σdy and Σdy·x̂ (accumulated in f64), needed by every gradient.
    let (sum_dy, sum_dy_xhat) = scratch[..2 * c].split_at_mut(c);
    per_channel(g, (&mut *sum_dy, &mut *sum_dy_xhat), |ch| {
        let (mu, r) = (mean[ch].to_f64(), invstd(ch));
        let (s, sx) = g.runs(grad_out, ch).flatten().zip(g.runs(x, ch).flatten()).fold((0.0, 0.0), |(s, sx), (&dy, &v)| {
            let dy = dy.to_f64();
            (s + dy, sx + dy * (v.to_f64() - mu) * r)
        });
        (T::from_f64(s), T::from_f64(sx))
    });
    let (sum_dy, sum_dy_xhat): (&[T], &[T]) = (sum_dy, sum_dy_xhat);
    if let Some(dw) = grad_weight {
        g.check_c("grad_weight", Some(dw));
        dw.iter_mut().zip(sum_dy_xhat).for_each(|(d, &v)| *d += v);
    }
    if let Some(db) = grad_bias {
        g.check_c("grad_bias", Some(db));
        db.iter_mut().zip(sum_dy).for_each(|(d, &v)| *d += v);
    }
    if let Some(dx) = grad_in {
        g.check("grad_in", dx.len());
        for_each_row(dx, l.max(1), 1, |row, out| {
            let ch = row % c;
            let (mu, r) = (mean[ch].to_f64(), invstd(ch));
            let gr = r * weight.map_or(1.0, |w| w[ch].to_f64());
            let (gy, xs) = (&grad_out[row * l..(row + 1) * l], &x[row * l..(row + 1) * l]);
            if train {
                let (s, sx) = (sum_dy[ch].to_f64(), sum_dy_xhat[ch].to_f64());
                for ((o, &dy), &v) in out.iter_mut().zip(gy).zip(xs) {
                    let xhat = (v.to_f64() - mu) * r;
                    *o = T::from_f64(gr / m * (m * dy.to_f64() - s - xhat * sx));
                }
            } else {
                out.iter_mut().zip(gy).for_each(|(o, &dy)| *o = T::from_f64(gr * dy.to_f64()));
            }
        });
    }
}

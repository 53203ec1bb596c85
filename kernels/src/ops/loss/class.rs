//! `NLLLoss` and `CrossEntropyLoss` over class indices.
//!
//! Shapes ([`ClassGeom`]): input `[N, C, d]` (log-probabilities for NLL, logits for
//! cross-entropy; `d = 1` for `[N, C]`, else the product of the extra dims), target `[N, d]` of
//! `i64` class indices, optional class `weight` `[C]`. Position `(n, k)` of the target selects
//! input element `(n·C + t)·d + k`.
//!
//! For a position with target `t ≠ ignore_index` (an ignored position contributes 0 and no
//! gradient):
//! - NLL: `ℓ = −w_t · logp_t`;
//! - cross-entropy, with `logp = log_softmax(x)` over C and smoothing `ε`:
//!   `ℓ = (1 − ε)·(−w_t · logp_t) + (ε/C)·(−Σ_c w_c · logp_c)`.
//!
//! `Mean` divides the sum by `Σ w_t` over the non-ignored positions (their count without a
//! weight), as PyTorch; with every position ignored that is 0/0 = NaN, as in PyTorch.
//! Cross-entropy's backward, with `s` the incoming gradient (over the denominator for `Mean`):
//! `dx_c = s·(a_c − p_c · Σ_e a_e)`, `a_c = −(ε/C)·w_c − (1 − ε)·w_t·[c = t]`, `p = e^logp`.
//!
//! A target outside `[0, C)` that is not `ignore_index` is a [`KernelError::TargetOutOfRange`].
//!
//! ```
//! use fusenet_kernels::ops::loss::{Reduction, class::{ClassGeom, ClassLoss, cross_entropy_forward}};
//! let g = ClassGeom { n: 1, c: 2, d: 1 };
//! let mut logp = [0.0f64; 2];
//! let mut out = [0.0];
//! cross_entropy_forward(&g, &ClassLoss::default(), &[0.0, 0.0], &[1], None, &mut logp, &mut out).unwrap();
//! assert!((out[0] - 2f64.ln()).abs() < 1e-15);
//! let err = cross_entropy_forward(&g, &ClassLoss::default(), &[0.0, 0.0], &[2], None, &mut logp, &mut out);
//! assert_eq!(err.unwrap_err().to_string(), "Target 2 is out of bounds: expected a class index in [0, 2) (or the ignore_index)");
//! ```

use super::{Reduction, Scale};
use crate::error::{KernelError, KernelResult};
use crate::ops::rows::for_each_row;
use crate::ops::softmax::{SoftmaxGeom, log_softmax_forward};
use crate::real::Real;

/// Input `[n, c, d]`, target `[n, d]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassGeom {
    pub n: usize,
    pub c: usize,
    pub d: usize,
}

/// The options of the class losses (PyTorch's defaults: mean, −100, no smoothing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassLoss {
    pub reduction: Reduction,
    /// Targets equal to it are skipped.
    pub ignore_index: i64,
    /// Cross-entropy only, in `[0, 1]`.
    pub label_smoothing: f64,
}

impl Default for ClassLoss {
    fn default() -> Self {
        ClassLoss { reduction: Reduction::Mean, ignore_index: -100, label_smoothing: 0.0 }
    }
}

impl ClassGeom {
    fn check<T>(&self, what: &str, input: usize, target: usize, weight: Option<&[T]>) {
        let ClassGeom { n, c, d } = *self;
        assert_eq!(input, n * c * d, "{what}: input has {input} elements, expected [{n}, {c}, {d}] = {}", n * c * d);
        assert_eq!(target, n * d, "{what}: target has {target} elements, expected [{n}, {d}] = {}", n * d);
        if let Some(w) = weight {
            assert_eq!(w.len(), c, "{what}: weight has {} elements, expected one per class ({c})", w.len());
        }
    }
}

/// Checks every target and returns the `Mean` denominator: `Σ w_t` (or the count) over the
/// non-ignored positions.
fn validate<T: Real>(g: &ClassGeom, ignore: i64, target: &[i64], weight: Option<&[T]>) -> KernelResult<f64> {
    let mut denom = 0.0;
    for &t in target {
        if t == ignore {
            continue;
        }
        if t < 0 || t as u64 >= g.c as u64 {
            return Err(KernelError::TargetOutOfRange { target: t, classes: g.c });
        }
        denom += weight.map_or(1.0, |w| w[t as usize].to_f64());
    }
    Ok(denom)
}

fn reduce_into<T: Real>(red: Reduction, m: usize, denom: f64, out: &mut [T], f: impl Fn(usize) -> f64) {
    assert_eq!(out.len(), red.out_len(m), "loss: output has {} elements, expected {} for reduction='{}'", out.len(), red.out_len(m), red.as_str());
    match red {
        Reduction::None => out.iter_mut().enumerate().for_each(|(i, o)| *o = T::from_f64(f(i))),
        Reduction::Sum => out[0] = T::from_f64((0..m).map(&f).sum()),
        Reduction::Mean => out[0] = T::from_f64((0..m).map(&f).sum::<f64>() / denom),
    }
}

/// `NLLLoss` forward on log-probabilities `input` `[n, c, d]`.
pub fn nll_forward<T: Real>(
    g: &ClassGeom,
    opts: &ClassLoss,
    input: &[T],
    target: &[i64],
    weight: Option<&[T]>,
    out: &mut [T],
) -> KernelResult {
    g.check("nll_loss", input.len(), target.len(), weight);
    assert!(opts.label_smoothing == 0.0, "nll_loss has no label_smoothing (got {})", opts.label_smoothing);
    let denom = validate(g, opts.ignore_index, target, weight)?;
    let ClassGeom { c, d, .. } = *g;
    reduce_into(opts.reduction, target.len(), denom, out, |p| {
        let t = target[p];
        if t == opts.ignore_index {
            return 0.0;
        }
        let (ni, k) = (p / d, p % d);
        -weight.map_or(1.0, |w| w[t as usize].to_f64()) * input[(ni * c + t as usize) * d + k].to_f64()
    });
    Ok(())
}

/// `NLLLoss` backward: writes `grad_input` `[n, c, d]` (zero except at each target).
pub fn nll_backward<T: Real>(
    g: &ClassGeom,
    opts: &ClassLoss,
    target: &[i64],
    weight: Option<&[T]>,
    grad_out: &[T],
    grad_input: &mut [T],
) -> KernelResult {
    g.check("nll_loss backward", grad_input.len(), target.len(), weight);
    let denom = validate(g, opts.ignore_index, target, weight)?;
    let s = Scale::new(opts.reduction, grad_out, target.len(), denom);
    let ClassGeom { c, d, .. } = *g;
    for_each_row(grad_input, (c * d).max(1), 1, |ni, block| {
        block.iter_mut().for_each(|v| *v = T::zero());
        for k in 0..d {
            let t = target[ni * d + k];
            if t != opts.ignore_index {
                block[t as usize * d + k] = -weight.map_or(T::one(), |w| w[t as usize]) * s.at(ni * d + k);
            }
        }
    });
    Ok(())
}

/// `CrossEntropyLoss` forward on logits `[n, c, d]`; also writes `log_probs` (same shape, the
/// log-softmax over C), which the backward needs.
#[allow(clippy::too_many_arguments)]
pub fn cross_entropy_forward<T: Real>(
    g: &ClassGeom,
    opts: &ClassLoss,
    logits: &[T],
    target: &[i64],
    weight: Option<&[T]>,
    log_probs: &mut [T],
    out: &mut [T],
) -> KernelResult {
    g.check("cross_entropy", logits.len(), target.len(), weight);
    let eps = opts.label_smoothing;
    assert!((0.0..=1.0).contains(&eps), "cross_entropy: label_smoothing must be between 0.0 and 1.0, got {eps}");
    let denom = validate(g, opts.ignore_index, target, weight)?;
    let ClassGeom { n, c, d } = *g;
    log_softmax_forward(&SoftmaxGeom { outer: n, dim: c, inner: d }, logits, log_probs);
    let lp: &[T] = log_probs;
    let w = |cls: usize| weight.map_or(1.0, |w| w[cls].to_f64());
    reduce_into(opts.reduction, target.len(), denom, out, |p| {
        let t = target[p];
        if t == opts.ignore_index {
            return 0.0;
        }
        let (ni, k) = (p / d, p % d);
        let at = |cls: usize| lp[(ni * c + cls) * d + k].to_f64();
        let nll = -w(t as usize) * at(t as usize);
        if eps == 0.0 {
            return nll;
        }
        let smooth: f64 = -(0..c).map(|cls| w(cls) * at(cls)).sum::<f64>();
        (1.0 - eps) * nll + eps / c as f64 * smooth
    });
    Ok(())
}

/// `CrossEntropyLoss` backward from the forward's `log_probs`: writes `grad_logits`.
#[allow(clippy::too_many_arguments)]
pub fn cross_entropy_backward<T: Real>(
    g: &ClassGeom,
    opts: &ClassLoss,
    log_probs: &[T],
    target: &[i64],
    weight: Option<&[T]>,
    grad_out: &[T],
    grad_logits: &mut [T],
) -> KernelResult {
    g.check("cross_entropy backward", log_probs.len(), target.len(), weight);
    assert_eq!(grad_logits.len(), log_probs.len(), "cross_entropy backward: grad_logits has {} elements, expected {}", grad_logits.len(), log_probs.len());
    let denom = validate(g, opts.ignore_index, target, weight)?;
    let s = Scale::new(opts.reduction, grad_out, target.len(), denom);
    let ClassGeom { c, d, .. } = *g;
    let eps_c = T::from_f64(opts.label_smoothing / c as f64);
    let keep = T::from_f64(1.0 - opts.label_smoothing);
    let w = |cls: usize| weight.map_or(T::one(), |w| w[cls]);
    let w_sum: T = match weight {
        Some(w) => w.iter().copied().sum(),
        None => T::from_usize(c),
    };
    for_each_row(grad_logits, (c * d).max(1), c, |ni, block| {
        for k in 0..d {
            let t = target[ni * d + k];
            if t == opts.ignore_index {
                (0..c).for_each(|cls| block[cls * d + k] = T::zero());
                continue;
            }
            let t = t as usize;
            let sc = s.at(ni * d + k);
            let total = -(eps_c * w_sum) - keep * w(t);
            for cls in 0..c {
                let mut a = -(eps_c * w(cls));
                if cls == t {
                    a -= keep * w(t);
                }
                let p = log_probs[(ni * c + cls) * d + k].exp();
                block[cls * d + k] = sc * (a - p * total);
            }
        }
    });
    Ok(())
}

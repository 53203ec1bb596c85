//! Losses as graph ops, for `network!`'s built-ins `cross_entropy`, `nll_loss`, `mse_loss`,
//! `l1_loss`, `binary_cross_entropy` and `binary_cross_entropy_with_logits`: each forward runs the
//! kernel of `fusenet_kernels::ops::loss` and returns the loss (0-d for `Mean`/`Sum`, one per
//! element or target position for `None`) and, for `cross_entropy`, the log-probabilities its
//! backward reads; each backward returns `∂L/∂input` (and `∂L/∂target` for the two-float losses).
//!
//! Every result is written into a [`Slot`] the caller keeps (see [`slot`](super::slot)), and the
//! inputs (class targets included) are read in place under one read lock each, so a warm call
//! allocates nothing. A strided (non-contiguous) operand is read through a contiguous copy.
//!
//! A class index outside `[0, C)` or a `binary_cross_entropy` input outside `[0, 1]` is a data
//! error: the forward returns [`Error::Kernel`](crate::Error::Kernel). Shapes that do not fit are a
//! programmer's mistake and panic naming both shapes (`network!` rejects them at compile time when
//! the dims are known).
//!
//! Formulas (`s` is the reduction's scale: `g` per element for `None`, `g` for `Sum`, `g/n` for
//! `Mean`, with `n` the number of non-ignored targets for the class losses):
//! - `cross_entropy`: `ℓ = −log softmax(x)_t`; `∂ℓ/∂x = s (softmax(x) − onehot(t))`.
//! - `nll_loss`: `ℓ = −x_t`; `∂ℓ/∂x = −s onehot(t)`.
//! - `mse_loss`: `ℓ = (a − b)²`; `∂ℓ/∂a = 2s(a − b) = −∂ℓ/∂b`.
//! - `l1_loss`: `ℓ = |a − b|`; `∂ℓ/∂a = s sgn(a − b) = −∂ℓ/∂b`.
//! - `binary_cross_entropy`: `ℓ = −(t log p + (1 − t) log(1 − p))` (logs clamped at −100);
//!   `∂ℓ/∂p = s (p − t) / max(p(1 − p), 1e−12)`, `∂ℓ/∂t = s (log(1 − p) − log p)`.
//! - `binary_cross_entropy_with_logits`: `ℓ = (1 − t)x − log σ(x)`; `∂ℓ/∂x = s (σ(x) − t)`,
//!   `∂ℓ/∂t = −s x`.
//!
//! ```
//! use fusenet_runtime::{Tensor, graph::{self, Reduction, Slot}};
//! let logits = Tensor::from_vec(vec![2.0f32, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3]);
//! let target = Tensor::from_vec(vec![0i64, 1], &[2]);
//! let (mut s_loss, mut s_lp, mut s_grad) = (Slot::default(), Slot::default(), Slot::default());
//! let (loss, log_probs) = graph::cross_entropy(&mut s_loss, &mut s_lp, &logits, &target, Reduction::Mean).unwrap();
//! assert!((loss.item() - 0.2395).abs() < 1e-4); // -log(e²/(e²+2))
//! let gx = graph::cross_entropy_backward(&mut s_grad, &log_probs, &target, Reduction::Mean, &Tensor::scalar(1.0));
//! assert!((gx.to_vec::<f32>()[0] - (0.7870 - 1.0) / 2.0).abs() < 1e-4);
//! let bad = Tensor::from_vec(vec![0i64, 3], &[2]);
//! assert!(graph::cross_entropy(&mut s_loss, &mut s_lp, &logits, &bad, Reduction::Mean).is_err());
//! ```

use super::Slot;
use crate::error::Result;
use crate::tensor::{DType, Element, Tensor, elementwise::read_all};
use fusenet_kernels::ops::loss::{bce, class, regression};
use fusenet_kernels::ops::loss::class::{ClassGeom, ClassLoss};
use std::cell::RefCell;

pub use fusenet_kernels::ops::loss::Reduction;

/// The gradient a network's loss backward starts from: a number (for a 0-d loss, `backward(1.0)`)
/// or a tensor shaped like the loss.
pub trait GradSeed {
    fn into_grad(self) -> Tensor;
}

thread_local! {
    /// The 0-d tensor a number seed is written into: reused whenever the previous seed has been
    /// dropped (the usual case: the backward consumed it), so `backward(1.0)` allocates nothing.
    static NUMBER_SEED: RefCell<Slot> = RefCell::new(Slot::default());
}

impl GradSeed for f32 {
    /// A 0-d tensor holding `self`.
    ///
    /// ```
    /// use fusenet_runtime::graph::GradSeed;
    /// assert_eq!(2.5f32.into_grad().item(), 2.5);
    /// ```
    fn into_grad(self) -> Tensor {
        NUMBER_SEED.with(|s| {
            let t = s.borrow_mut().out(&[]);
            t.with_slice_mut(|v: &mut [f32]| v[0] = self);
            t
        })
    }
}

impl GradSeed for &Tensor {
    fn into_grad(self) -> Tensor {
        self.shallow_clone()
    }
}

impl GradSeed for Tensor {
    fn into_grad(self) -> Tensor {
        self
    }
}

/// The loss's shape: `unreduced` for `None`, 0-d otherwise.
fn out_shape(red: Reduction, unreduced: &[usize]) -> &[usize] {
    match red {
        Reduction::None => unreduced,
        Reduction::Mean | Reduction::Sum => &[],
    }
}

fn check_f32(loss: &str, what: &str, x: &Tensor) {
    assert!(x.dtype() == DType::F32, "{loss}: expected {what} of dtype torch.float32, but got {}", x.dtype().torch_name());
}

/// Runs `f` on the elements of the `f32` tensors `ts`, in logical order, each storage read-locked
/// once; a strided tensor is read through a contiguous copy.
fn read<const N: usize, R>(ts: [&Tensor; N], f: impl FnOnce([&[f32]; N]) -> R) -> R {
    let cs: [Tensor; N] = std::array::from_fn(|k| ts[k].contiguous());
    let refs: [&Tensor; N] = std::array::from_fn(|k| &cs[k]);
    read_all(&refs, |datas| {
        f(std::array::from_fn(|k| {
            let all = f32::slice(datas[k]).unwrap_or_else(|| panic!("loss: operand {k} is {:?}, not f32", cs[k].dtype()));
            let o = cs[k].storage_offset();
            &all[o..o + cs[k].numel()]
        }))
    })
}

/// [`read`] with the class indices of `target` (`i64`) beside.
fn read_classes<const N: usize, R>(ts: [&Tensor; N], target: &Tensor, f: impl FnOnce([&[f32]; N], &[i64]) -> R) -> R {
    target.contiguous().with_slice(|t: &[i64]| read(ts, |xs| f(xs, t)))
}

/// Runs `f` on the elements of `out`, a tensor fresh from a [`Slot`] (contiguous, `f32`).
fn write<R>(out: &Tensor, f: impl FnOnce(&mut [f32]) -> R) -> R {
    out.with_slice_mut(f)
}

/// `input` `[N, C, d…]` against class indices `[N, d…]` (i64); panics naming both shapes.
fn geometry(loss: &str, input: &[usize], target: &Tensor) -> ClassGeom {
    assert!(
        target.dtype() == DType::I64,
        "{loss}: expected a target of class indices of dtype torch.int64, but got {}",
        target.dtype().torch_name()
    );
    let t = target.shape();
    let fits = input.len() >= 2 && t.len() == input.len() - 1 && t[0] == input[0] && t[1..] == input[2..];
    assert!(fits, "{loss}: expected input [N, C, d1, ...] and target [N, d1, ...], got input {input:?} and target {t:?}");
    ClassGeom { n: input[0], c: input[1], d: input[2..].iter().product() }
}

fn opts(red: Reduction) -> ClassLoss {
    ClassLoss { reduction: red, ..ClassLoss::default() }
}

/// `cross_entropy(logits, target)`: the loss (into `out`) and the log-probabilities (into
/// `log_probs`, what the backward reads).
pub fn cross_entropy(out: &mut Slot, log_probs: &mut Slot, logits: &Tensor, target: &Tensor, red: Reduction) -> Result<(Tensor, Tensor)> {
    let g = geometry("cross_entropy", logits.shape(), target);
    check_f32("cross_entropy", "input", logits);
    let (loss, lp) = (out.out(out_shape(red, target.shape())), log_probs.out(logits.shape()));
    read_classes([logits], target, |[x], t| {
        write(&lp, |lps| write(&loss, |o| class::cross_entropy_forward(&g, &opts(red), x, t, None, lps, o)))
    })?;
    Ok((loss, lp))
}

/// The backward of [`cross_entropy`] from its log-probabilities, into `slot`.
///
/// # Panics
/// When `target` holds a class out of range (the forward already reported it as an error).
pub fn cross_entropy_backward(slot: &mut Slot, log_probs: &Tensor, target: &Tensor, red: Reduction, g: &Tensor) -> Tensor {
    let geom = geometry("cross_entropy backward", log_probs.shape(), target);
    check_f32("cross_entropy backward", "log_probs", log_probs);
    check_f32("cross_entropy backward", "grad_output", g);
    let gx = slot.out(log_probs.shape());
    let r = read_classes([log_probs, g], target, |[lp, go], t| {
        write(&gx, |o| class::cross_entropy_backward(&geom, &opts(red), lp, t, None, go, o))
    });
    if let Err(e) = r {
        panic!("cross_entropy backward: {e} (the forward reports this as an error; was backward called with another target?)");
    }
    gx
}

/// `nll_loss(log_probs, target)`, into `out`.
pub fn nll_loss(out: &mut Slot, input: &Tensor, target: &Tensor, red: Reduction) -> Result<Tensor> {
    let g = geometry("nll_loss", input.shape(), target);
    check_f32("nll_loss", "input", input);
    let loss = out.out(out_shape(red, target.shape()));
    read_classes([input], target, |[x], t| write(&loss, |o| class::nll_forward(&g, &opts(red), x, t, None, o)))?;
    Ok(loss)
}

/// The backward of [`nll_loss`] for an input of shape `input_shape`, into `slot`.
///
/// # Panics
/// When `target` holds a class out of range (the forward already reported it as an error).
pub fn nll_loss_backward(slot: &mut Slot, input_shape: &[usize], target: &Tensor, red: Reduction, g: &Tensor) -> Tensor {
    let geom = geometry("nll_loss backward", input_shape, target);
    check_f32("nll_loss backward", "grad_output", g);
    let gx = slot.out(input_shape);
    let r = read_classes([g], target, |[go], t| write(&gx, |o| class::nll_backward::<f32>(&geom, &opts(red), t, None, go, o)));
    if let Err(e) = r {
        panic!("nll_loss backward: {e} (the forward reports this as an error; was backward called with another target?)");
    }
    gx
}

fn pair(loss: &str, a: &Tensor, b: &Tensor) {
    assert!(a.shape() == b.shape(), "{loss}: target size ({:?}) must be the same as input size ({:?})", b.shape(), a.shape());
    check_f32(loss, "input", a);
    check_f32(loss, "target", b);
}

type Forward = fn(Reduction, &[f32], &[f32], &mut [f32]);

fn regression_forward(loss: &str, k: Forward, out: &mut Slot, a: &Tensor, b: &Tensor, red: Reduction) -> Tensor {
    pair(loss, a, b);
    let o = out.out(out_shape(red, a.shape()));
    read([a, b], |[x, t]| write(&o, |o| k(red, x, t, o)));
    o
}

/// `mse_loss(a, b)`, into `out`.
pub fn mse_loss(out: &mut Slot, a: &Tensor, b: &Tensor, red: Reduction) -> Tensor {
    regression_forward("mse_loss", regression::mse_forward::<f32>, out, a, b, red)
}

/// `l1_loss(a, b)`, into `out`.
pub fn l1_loss(out: &mut Slot, a: &Tensor, b: &Tensor, red: Reduction) -> Tensor {
    regression_forward("l1_loss", regression::l1_forward::<f32>, out, a, b, red)
}

/// The gradient of each operand the caller gives a slot for: `(∂L/∂a, ∂L/∂b)`, each written by
/// `f(x, t, g, ga, gb)` with the operands' elements.
#[allow(clippy::type_complexity)]
fn two_grads(
    loss: &str,
    a: &Tensor,
    b: &Tensor,
    g: &Tensor,
    ga: Option<&mut Slot>,
    gb: Option<&mut Slot>,
    f: impl FnOnce(&[f32], &[f32], &[f32], Option<&mut [f32]>, Option<&mut [f32]>),
) -> (Option<Tensor>, Option<Tensor>) {
    pair(loss, a, b);
    check_f32(loss, "grad_output", g);
    let (ga, gb) = (ga.map(|s| s.out(a.shape())), gb.map(|s| s.out(a.shape())));
    read([a, b, g], |[x, t, go]| {
        let run = |wa: Option<&mut [f32]>, wb: Option<&mut [f32]>| f(x, t, go, wa, wb);
        match (&ga, &gb) {
            (Some(ta), Some(tb)) => write(ta, |wa| write(tb, |wb| run(Some(wa), Some(wb)))),
            (Some(ta), None) => write(ta, |wa| run(Some(wa), None)),
            (None, Some(tb)) => write(tb, |wb| run(None, Some(wb))),
            (None, None) => {}
        }
    });
    (ga, gb)
}

/// The backward of [`mse_loss`]: `(∂L/∂a, ∂L/∂b)`, each computed (into its slot) only when a slot
/// is given for it.
pub fn mse_loss_backward(a: &Tensor, b: &Tensor, red: Reduction, g: &Tensor, ga: Option<&mut Slot>, gb: Option<&mut Slot>) -> (Option<Tensor>, Option<Tensor>) {
    two_grads("mse_loss backward", a, b, g, ga, gb, |x, t, go, wa, wb| regression::mse_backward(red, x, t, go, wa, wb))
}

/// The backward of [`l1_loss`]: `(∂L/∂a, ∂L/∂b)`, each only when a slot is given for it.
pub fn l1_loss_backward(a: &Tensor, b: &Tensor, red: Reduction, g: &Tensor, ga: Option<&mut Slot>, gb: Option<&mut Slot>) -> (Option<Tensor>, Option<Tensor>) {
    two_grads("l1_loss backward", a, b, g, ga, gb, |x, t, go, wa, wb| regression::l1_backward(red, x, t, go, wa, wb))
}

/// The per-element scale `s` of a reduced loss's backward.
fn scale(red: Reduction, go: &[f32], n: usize) -> impl Fn(usize) -> f32 + '_ {
    move |i| match red {
        Reduction::None => go[i],
        Reduction::Sum => go[0],
        Reduction::Mean => go[0] / n as f32,
    }
}

/// `binary_cross_entropy(p, t)`, into `out`; an input outside `[0, 1]` is an error.
pub fn binary_cross_entropy(out: &mut Slot, p: &Tensor, t: &Tensor, red: Reduction) -> Result<Tensor> {
    pair("binary_cross_entropy", p, t);
    let o = out.out(out_shape(red, p.shape()));
    read([p, t], |[x, y]| write(&o, |o| bce::bce_forward(red, x, y, None, o)))?;
    Ok(o)
}

/// The backward of [`binary_cross_entropy`]: `(∂L/∂p, ∂L/∂t)`, each only when a slot is given.
pub fn binary_cross_entropy_backward(p: &Tensor, t: &Tensor, red: Reduction, g: &Tensor, gp: Option<&mut Slot>, gt: Option<&mut Slot>) -> (Option<Tensor>, Option<Tensor>) {
    two_grads("binary_cross_entropy backward", p, t, g, gp, gt, |x, y, go, wp, wt| {
        if let Some(wp) = wp {
            bce::bce_backward(red, x, y, None, go, wp);
        }
        if let Some(wt) = wt {
            let s = scale(red, go, x.len());
            for (i, (o, &x)) in wt.iter_mut().zip(x).enumerate() {
                *o = s(i) * ((-x).ln_1p().max(-100.0) - x.ln().max(-100.0));
            }
        }
    })
}

/// `binary_cross_entropy_with_logits(x, t)`, into `out`.
pub fn binary_cross_entropy_with_logits(out: &mut Slot, x: &Tensor, t: &Tensor, red: Reduction) -> Tensor {
    pair("binary_cross_entropy_with_logits", x, t);
    let o = out.out(out_shape(red, x.shape()));
    read([x, t], |[xs, ys]| write(&o, |o| bce::bce_with_logits_forward(red, xs, ys, None, None, o)));
    o
}

/// The backward of [`binary_cross_entropy_with_logits`]: `(∂L/∂x, ∂L/∂t)`, each only when a slot
/// is given.
pub fn binary_cross_entropy_with_logits_backward(x: &Tensor, t: &Tensor, red: Reduction, g: &Tensor, gx: Option<&mut Slot>, gt: Option<&mut Slot>) -> (Option<Tensor>, Option<Tensor>) {
    two_grads("binary_cross_entropy_with_logits backward", x, t, g, gx, gt, |xs, ys, go, wx, wt| {
        if let Some(wx) = wx {
            bce::bce_with_logits_backward(red, xs, ys, None, None, go, wx);
        }
        if let Some(wt) = wt {
            let s = scale(red, go, xs.len());
            for (i, (o, &v)) in wt.iter_mut().zip(xs).enumerate() {
                *o = -s(i) * v;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss};

    fn close(a: &Tensor, b: &Tensor) {
        let (a, b) = (a.to_vec::<f32>(), b.to_vec::<f32>());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    fn s() -> Slot {
        Slot::default()
    }

    fn ptr(t: &Tensor) -> *const f32 {
        t.with_slice(|v: &[f32]| v.as_ptr())
    }

    #[test]
    fn forwards_equal_the_loss_modules() {
        let x = Tensor::from_vec(vec![0.2f32, -1.0, 0.5, 1.5, 0.3, -0.7], &[2, 3]);
        let y = Tensor::from_vec(vec![0.1f32, 0.9, 0.4, 0.6, 0.2, 0.8], &[2, 3]);
        let p = x.sigmoid();
        let t = Tensor::from_vec(vec![2i64, 0], &[2]);
        for red in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            close(&mse_loss(&mut s(), &x, &y, red), &MSELoss::with_reduction(red).forward(&x, &y));
            close(&l1_loss(&mut s(), &x, &y, red), &L1Loss::with_reduction(red).forward(&x, &y));
            close(&binary_cross_entropy(&mut s(), &p, &y, red).unwrap(), &BCELoss::with_options(None, red).forward(&p, &y).unwrap());
            close(&binary_cross_entropy_with_logits(&mut s(), &x, &y, red), &BCEWithLogitsLoss::with_options(None, None, red).forward(&x, &y));
            let mut ce = CrossEntropyLoss::new();
            ce.reduction = red;
            let (loss, lp) = cross_entropy(&mut s(), &mut s(), &x, &t, red).unwrap();
            close(&loss, &ce.forward(&x, &t).unwrap());
            close(&lp, &x.log_softmax(1));
            let mut nll = NLLLoss::new();
            nll.reduction = red;
            close(&nll_loss(&mut s(), &x, &t, red).unwrap(), &nll.forward(&x, &t).unwrap());
        }
    }

    #[test]
    fn input_gradients_by_finite_differences() {
        let x = Tensor::from_vec(vec![0.2f32, -1.0, 0.5, 1.5, 0.3, -0.7], &[2, 3]);
        let y = Tensor::from_vec(vec![0.1f32, 0.9, 0.4, 0.6, 0.2, 0.8], &[2, 3]);
        let t = Tensor::from_vec(vec![2i64, 0], &[2]);
        let one = Tensor::scalar(1.0);
        let h = 1e-2f32;
        let fd = |f: &dyn Fn(&Tensor) -> f32, i: usize| {
            let bump = |d: f32| {
                let mut v = x.to_vec::<f32>();
                v[i] += d;
                Tensor::from_vec(v, &[2, 3])
            };
            (f(&bump(h)) - f(&bump(-h))) / (2.0 * h)
        };
        let (_, lp) = cross_entropy(&mut s(), &mut s(), &x, &t, Reduction::Mean).unwrap();
        let gce = cross_entropy_backward(&mut s(), &lp, &t, Reduction::Mean, &one).to_vec::<f32>();
        let gnll = nll_loss_backward(&mut s(), &[2, 3], &t, Reduction::Sum, &one).to_vec::<f32>();
        let gmse = mse_loss_backward(&x, &y, Reduction::Mean, &one, Some(&mut s()), None).0.unwrap().to_vec::<f32>();
        let gl1 = l1_loss_backward(&x, &y, Reduction::Sum, &one, Some(&mut s()), None).0.unwrap().to_vec::<f32>();
        let gbl = binary_cross_entropy_with_logits_backward(&x, &y, Reduction::Mean, &one, Some(&mut s()), None).0.unwrap().to_vec::<f32>();
        for i in 0..6 {
            let ce = fd(&|x| cross_entropy(&mut s(), &mut s(), x, &t, Reduction::Mean).unwrap().0.item(), i);
            assert!((ce - gce[i]).abs() < 2e-3, "cross_entropy {i}: {ce} vs {}", gce[i]);
            let nll = fd(&|x| nll_loss(&mut s(), x, &t, Reduction::Sum).unwrap().item(), i);
            assert!((nll - gnll[i]).abs() < 2e-3, "nll_loss {i}: {nll} vs {}", gnll[i]);
            let mse = fd(&|x| mse_loss(&mut s(), x, &y, Reduction::Mean).item(), i);
            assert!((mse - gmse[i]).abs() < 2e-3, "mse_loss {i}: {mse} vs {}", gmse[i]);
            let l1 = fd(&|x| l1_loss(&mut s(), x, &y, Reduction::Sum).item(), i);
            assert!((l1 - gl1[i]).abs() < 2e-3, "l1_loss {i}: {l1} vs {}", gl1[i]);
            let bl = fd(&|x| binary_cross_entropy_with_logits(&mut s(), x, &y, Reduction::Mean).item(), i);
            assert!((bl - gbl[i]).abs() < 2e-3, "bce_with_logits {i}: {bl} vs {}", gbl[i]);
        }
    }

    #[test]
    fn target_gradients_by_finite_differences() {
        let x = Tensor::from_vec(vec![0.2f32, 0.7, 0.4], &[3]);
        let y = Tensor::from_vec(vec![0.1f32, 0.9, 0.35], &[3]);
        let g = Tensor::scalar(1.0);
        let (_, gt) = binary_cross_entropy_backward(&x, &y, Reduction::Mean, &g, None, Some(&mut s()));
        let (_, gl) = binary_cross_entropy_with_logits_backward(&x, &y, Reduction::Sum, &g, None, Some(&mut s()));
        let (_, gm) = mse_loss_backward(&x, &y, Reduction::Sum, &g, None, Some(&mut s()));
        let (gt, gl, gm) = (gt.unwrap().to_vec::<f32>(), gl.unwrap().to_vec::<f32>(), gm.unwrap().to_vec::<f32>());
        let h = 1e-3f32;
        for i in 0..3 {
            let bump = |d: f32| {
                let mut v = y.to_vec::<f32>();
                v[i] += d;
                Tensor::from_vec(v, &[3])
            };
            let fd = (binary_cross_entropy(&mut s(), &x, &bump(h), Reduction::Mean).unwrap().item() - binary_cross_entropy(&mut s(), &x, &bump(-h), Reduction::Mean).unwrap().item()) / (2.0 * h);
            assert!((fd - gt[i]).abs() < 1e-2, "bce target grad {i}: {fd} vs {}", gt[i]);
            let fd = (binary_cross_entropy_with_logits(&mut s(), &x, &bump(h), Reduction::Sum).item() - binary_cross_entropy_with_logits(&mut s(), &x, &bump(-h), Reduction::Sum).item()) / (2.0 * h);
            assert!((fd - gl[i]).abs() < 1e-2, "bce_with_logits target grad {i}: {fd} vs {}", gl[i]);
            let fd = (mse_loss(&mut s(), &x, &bump(h), Reduction::Sum).item() - mse_loss(&mut s(), &x, &bump(-h), Reduction::Sum).item()) / (2.0 * h);
            assert!((fd - gm[i]).abs() < 1e-2, "mse target grad {i}: {fd} vs {}", gm[i]);
        }
    }

    #[test]
    fn warm_calls_reuse_their_buffers() {
        let x = Tensor::randn(&[4, 3]);
        let t = Tensor::from_vec(vec![0i64, 2, 1, 2], &[4]);
        let (mut so, mut slp, mut sg) = (s(), s(), s());
        let (loss, lp) = cross_entropy(&mut so, &mut slp, &x, &t, Reduction::Mean).unwrap();
        let gx = cross_entropy_backward(&mut sg, &lp, &t, Reduction::Mean, &Tensor::scalar(1.0));
        let ptrs = (ptr(&loss), ptr(&lp), ptr(&gx));
        let want = (loss.item(), gx.to_vec::<f32>());
        drop((loss, lp, gx));
        let (loss, lp) = cross_entropy(&mut so, &mut slp, &x, &t, Reduction::Mean).unwrap();
        let gx = cross_entropy_backward(&mut sg, &lp, &t, Reduction::Mean, &Tensor::scalar(1.0));
        assert_eq!((ptr(&loss), ptr(&lp), ptr(&gx)), ptrs);
        assert_eq!((loss.item(), gx.to_vec::<f32>()), want);
        // A result still held is never overwritten.
        let again = nll_loss(&mut so, &lp, &t, Reduction::None).unwrap();
        assert_ne!(ptr(&again), ptr(&loss));
        assert_eq!(loss.item(), want.0);
    }

    #[test]
    fn strided_operands_read_as_their_contiguous_copies() {
        let x = Tensor::randn(&[3, 4]).t();
        let y = Tensor::randn(&[4, 3]);
        let g = Tensor::randn(&[3]).expand([4, 3]);
        let xc = x.contiguous();
        close(&mse_loss(&mut s(), &x, &y, Reduction::None), &mse_loss(&mut s(), &xc, &y, Reduction::None));
        let (a, b) = l1_loss_backward(&x, &y, Reduction::None, &g, Some(&mut s()), Some(&mut s()));
        let (ac, bc) = l1_loss_backward(&xc, &y, Reduction::None, &g.contiguous(), Some(&mut s()), Some(&mut s()));
        close(&a.unwrap(), &ac.unwrap());
        close(&b.unwrap(), &bc.unwrap());
        let t = Tensor::from_vec(vec![0i64, 1, 2, 0, 1, 2, 0, 1], &[2, 4]).select(0, 1);
        let x = Tensor::randn(&[3, 4]).t();
        close(&nll_loss(&mut s(), &x, &t, Reduction::None).unwrap(), &nll_loss(&mut s(), &x.contiguous(), &t.contiguous(), Reduction::None).unwrap());
    }

    #[test]
    fn a_number_seed_reuses_its_tensor_once_dropped() {
        let a = 2.0f32.into_grad();
        let p = ptr(&a);
        assert_eq!(a.shape(), &[] as &[usize]);
        drop(a);
        let b = 3.0f32.into_grad();
        assert_eq!((ptr(&b), b.item()), (p, 3.0));
        let c = 4.0f32.into_grad();
        assert_ne!(ptr(&c), p, "b is still held");
        assert_eq!((b.item(), c.item()), (3.0, 4.0));
    }

    #[test]
    fn out_of_range_is_an_error() {
        let x = Tensor::zeros(&[2, 3]);
        let t = Tensor::from_vec(vec![0i64, -1], &[2]);
        assert!(cross_entropy(&mut s(), &mut s(), &x, &t, Reduction::Mean).unwrap_err().to_string().contains("Target -1 is out of bounds"));
        assert!(nll_loss(&mut s(), &x, &t, Reduction::Sum).is_err());
        assert!(binary_cross_entropy(&mut s(), &Tensor::full(&[2], 1.5), &Tensor::zeros(&[2]), Reduction::Mean).is_err());
    }

    #[test]
    #[should_panic(expected = "got input [2, 3] and target [3]")]
    fn class_shape_mismatch_panics() {
        let _ = cross_entropy(&mut s(), &mut s(), &Tensor::zeros(&[2, 3]), &Tensor::from_vec(vec![0i64, 1, 2], &[3]), Reduction::Mean);
    }

    #[test]
    #[should_panic(expected = "mse_loss: target size ([3]) must be the same as input size ([2])")]
    fn pair_shape_mismatch_panics() {
        let _ = mse_loss(&mut s(), &Tensor::zeros(&[2]), &Tensor::zeros(&[3]), Reduction::Mean);
    }
}

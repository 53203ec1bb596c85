//! Losses as graph ops, for `network!`'s built-ins `cross_entropy`, `nll_loss`, `mse_loss`,
//! `l1_loss`, `binary_cross_entropy` and `binary_cross_entropy_with_logits`: each forward runs the
//! kernel of `fusenet_kernels::ops::loss` and returns the loss (0-d for `Mean`/`Sum`, one per
//! element or target position for `None`) and, for `cross_entropy`, the log-probabilities its
//! backward reads; each backward returns `∂L/∂input` (and `∂L/∂target` for the two-float losses).
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
//! use fusenet_runtime::{Tensor, graph::{self, Reduction}};
//! let logits = Tensor::from_vec(vec![2.0f32, 0.0, 0.0, 0.0, 2.0, 0.0], &[2, 3]);
//! let target = Tensor::from_vec(vec![0i64, 1], &[2]);
//! let (loss, log_probs) = graph::cross_entropy(&logits, &target, Reduction::Mean).unwrap();
//! assert!((loss.item() - 0.2395).abs() < 1e-4); // -log(e²/(e²+2))
//! let gx = graph::cross_entropy_backward(&log_probs, &target, Reduction::Mean, &Tensor::scalar(1.0));
//! assert!((gx.to_vec::<f32>()[0] - (0.7870 - 1.0) / 2.0).abs() < 1e-4);
//! let bad = Tensor::from_vec(vec![0i64, 3], &[2]);
//! assert!(graph::cross_entropy(&logits, &bad, Reduction::Mean).is_err());
//! ```

use crate::error::Result;
use crate::tensor::{DType, Tensor};
use fusenet_kernels::ops::loss::{bce, class, regression};
use fusenet_kernels::ops::loss::class::{ClassGeom, ClassLoss};

pub use fusenet_kernels::ops::loss::Reduction;

/// The gradient a network's loss backward starts from: a number (for a 0-d loss, `backward(1.0)`)
/// or a tensor shaped like the loss.
pub trait GradSeed {
    fn into_grad(self) -> Tensor;
}

impl GradSeed for f32 {
    fn into_grad(self) -> Tensor {
        Tensor::scalar(self)
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

fn out_shape(red: Reduction, unreduced: &[usize]) -> Vec<usize> {
    match red {
        Reduction::None => unreduced.to_vec(),
        Reduction::Mean | Reduction::Sum => Vec::new(),
    }
}

fn f32s(loss: &str, what: &str, x: &Tensor) -> Vec<f32> {
    assert!(x.dtype() == DType::F32, "{loss}: expected {what} of dtype torch.float32, but got {}", x.dtype().torch_name());
    x.contiguous().to_vec::<f32>()
}

/// `input` `[N, C, d…]` against class indices `[N, d…]` (i64); panics naming both shapes.
fn geometry(loss: &str, input: &[usize], target: &Tensor) -> (ClassGeom, Vec<i64>) {
    assert!(
        target.dtype() == DType::I64,
        "{loss}: expected a target of class indices of dtype torch.int64, but got {}",
        target.dtype().torch_name()
    );
    let t = target.shape();
    let fits = input.len() >= 2 && t.len() == input.len() - 1 && t[0] == input[0] && t[1..] == input[2..];
    assert!(fits, "{loss}: expected input [N, C, d1, ...] and target [N, d1, ...], got input {input:?} and target {t:?}");
    let g = ClassGeom { n: input[0], c: input[1], d: input[2..].iter().product() };
    (g, target.contiguous().to_vec::<i64>())
}

fn opts(red: Reduction) -> ClassLoss {
    ClassLoss { reduction: red, ..ClassLoss::default() }
}

/// `cross_entropy(logits, target)`: the loss and the log-probabilities (what the backward reads).
pub fn cross_entropy(logits: &Tensor, target: &Tensor, red: Reduction) -> Result<(Tensor, Tensor)> {
    let (g, t) = geometry("cross_entropy", logits.shape(), target);
    let x = f32s("cross_entropy", "input", logits);
    let mut lp = vec![0f32; x.len()];
    let shape = out_shape(red, target.shape());
    let mut out = vec![0f32; shape.iter().product()];
    class::cross_entropy_forward(&g, &opts(red), &x, &t, None, &mut lp, &mut out)?;
    Ok((Tensor::from_vec(out, &shape), Tensor::from_vec(lp, logits.shape())))
}

/// The backward of [`cross_entropy`] from its log-probabilities.
///
/// # Panics
/// When `target` holds a class out of range (the forward already reported it as an error).
pub fn cross_entropy_backward(log_probs: &Tensor, target: &Tensor, red: Reduction, g: &Tensor) -> Tensor {
    let (geom, t) = geometry("cross_entropy backward", log_probs.shape(), target);
    let lp = f32s("cross_entropy backward", "log_probs", log_probs);
    let go = f32s("cross_entropy backward", "grad_output", g);
    let mut gx = vec![0f32; lp.len()];
    let r = class::cross_entropy_backward(&geom, &opts(red), &lp, &t, None, &go, &mut gx);
    if let Err(e) = r {
        panic!("cross_entropy backward: {e} (the forward reports this as an error; was backward called with another target?)");
    }
    Tensor::from_vec(gx, log_probs.shape())
}

/// `nll_loss(log_probs, target)`.
pub fn nll_loss(input: &Tensor, target: &Tensor, red: Reduction) -> Result<Tensor> {
    let (g, t) = geometry("nll_loss", input.shape(), target);
    let x = f32s("nll_loss", "input", input);
    let shape = out_shape(red, target.shape());
    let mut out = vec![0f32; shape.iter().product()];
    class::nll_forward(&g, &opts(red), &x, &t, None, &mut out)?;
    Ok(Tensor::from_vec(out, &shape))
}

/// The backward of [`nll_loss`] for an input of shape `input_shape`.
///
/// # Panics
/// When `target` holds a class out of range (the forward already reported it as an error).
pub fn nll_loss_backward(input_shape: &[usize], target: &Tensor, red: Reduction, g: &Tensor) -> Tensor {
    let (geom, t) = geometry("nll_loss backward", input_shape, target);
    let go = f32s("nll_loss backward", "grad_output", g);
    let mut gx = vec![0f32; input_shape.iter().product()];
    if let Err(e) = class::nll_backward::<f32>(&geom, &opts(red), &t, None, &go, &mut gx) {
        panic!("nll_loss backward: {e} (the forward reports this as an error; was backward called with another target?)");
    }
    Tensor::from_vec(gx, input_shape)
}

fn pair(loss: &str, a: &Tensor, b: &Tensor) -> (Vec<f32>, Vec<f32>) {
    assert!(a.shape() == b.shape(), "{loss}: target size ({:?}) must be the same as input size ({:?})", b.shape(), a.shape());
    (f32s(loss, "input", a), f32s(loss, "target", b))
}

/// `mse_loss(a, b)`.
pub fn mse_loss(a: &Tensor, b: &Tensor, red: Reduction) -> Tensor {
    let (x, t) = pair("mse_loss", a, b);
    let shape = out_shape(red, a.shape());
    let mut out = vec![0f32; shape.iter().product()];
    regression::mse_forward(red, &x, &t, &mut out);
    Tensor::from_vec(out, &shape)
}

/// `l1_loss(a, b)`.
pub fn l1_loss(a: &Tensor, b: &Tensor, red: Reduction) -> Tensor {
    let (x, t) = pair("l1_loss", a, b);
    let shape = out_shape(red, a.shape());
    let mut out = vec![0f32; shape.iter().product()];
    regression::l1_forward(red, &x, &t, &mut out);
    Tensor::from_vec(out, &shape)
}

type RegBackward = fn(Reduction, &[f32], &[f32], &[f32], Option<&mut [f32]>, Option<&mut [f32]>);

fn regression_backward(loss: &str, k: RegBackward, a: &Tensor, b: &Tensor, red: Reduction, g: &Tensor, need: (bool, bool)) -> (Option<Tensor>, Option<Tensor>) {
    let (x, t) = pair(loss, a, b);
    let go = f32s(loss, "grad_output", g);
    let mut ga = need.0.then(|| vec![0f32; x.len()]);
    let mut gb = need.1.then(|| vec![0f32; x.len()]);
    k(red, &x, &t, &go, ga.as_deref_mut(), gb.as_deref_mut());
    (ga.map(|v| Tensor::from_vec(v, a.shape())), gb.map(|v| Tensor::from_vec(v, a.shape())))
}

/// The backward of [`mse_loss`]: `(∂L/∂a, ∂L/∂b)`, each computed only when asked.
pub fn mse_loss_backward(a: &Tensor, b: &Tensor, red: Reduction, g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    regression_backward("mse_loss backward", regression::mse_backward::<f32>, a, b, red, g, (need_a, need_b))
}

/// The backward of [`l1_loss`]: `(∂L/∂a, ∂L/∂b)`, each computed only when asked.
pub fn l1_loss_backward(a: &Tensor, b: &Tensor, red: Reduction, g: &Tensor, need_a: bool, need_b: bool) -> (Option<Tensor>, Option<Tensor>) {
    regression_backward("l1_loss backward", regression::l1_backward::<f32>, a, b, red, g, (need_a, need_b))
}

/// The per-element scale `s` of a reduced loss's backward.
fn scale(red: Reduction, go: &[f32], n: usize) -> impl Fn(usize) -> f32 + '_ {
    move |i| match red {
        Reduction::None => go[i],
        Reduction::Sum => go[0],
        Reduction::Mean => go[0] / n as f32,
    }
}

/// `binary_cross_entropy(p, t)`; an input outside `[0, 1]` is an error.
pub fn binary_cross_entropy(p: &Tensor, t: &Tensor, red: Reduction) -> Result<Tensor> {
    let (x, y) = pair("binary_cross_entropy", p, t);
    let shape = out_shape(red, p.shape());
    let mut out = vec![0f32; shape.iter().product()];
    bce::bce_forward(red, &x, &y, None, &mut out)?;
    Ok(Tensor::from_vec(out, &shape))
}

/// The backward of [`binary_cross_entropy`]: `(∂L/∂p, ∂L/∂t)`, each computed only when asked.
pub fn binary_cross_entropy_backward(p: &Tensor, t: &Tensor, red: Reduction, g: &Tensor, need_p: bool, need_t: bool) -> (Option<Tensor>, Option<Tensor>) {
    let (x, y) = pair("binary_cross_entropy backward", p, t);
    let go = f32s("binary_cross_entropy backward", "grad_output", g);
    let gp = need_p.then(|| {
        let mut gp = vec![0f32; x.len()];
        bce::bce_backward(red, &x, &y, None, &go, &mut gp);
        Tensor::from_vec(gp, p.shape())
    });
    let gt = need_t.then(|| {
        let s = scale(red, &go, x.len());
        let v = x.iter().enumerate().map(|(i, &x)| s(i) * ((-x).ln_1p().max(-100.0) - x.ln().max(-100.0))).collect();
        Tensor::from_vec(v, p.shape())
    });
    (gp, gt)
}

/// `binary_cross_entropy_with_logits(x, t)`.
pub fn binary_cross_entropy_with_logits(x: &Tensor, t: &Tensor, red: Reduction) -> Tensor {
    let (xs, ys) = pair("binary_cross_entropy_with_logits", x, t);
    let shape = out_shape(red, x.shape());
    let mut out = vec![0f32; shape.iter().product()];
    bce::bce_with_logits_forward(red, &xs, &ys, None, None, &mut out);
    Tensor::from_vec(out, &shape)
}

/// The backward of [`binary_cross_entropy_with_logits`]: `(∂L/∂x, ∂L/∂t)`, each only when asked.
pub fn binary_cross_entropy_with_logits_backward(x: &Tensor, t: &Tensor, red: Reduction, g: &Tensor, need_x: bool, need_t: bool) -> (Option<Tensor>, Option<Tensor>) {
    let (xs, ys) = pair("binary_cross_entropy_with_logits backward", x, t);
    let go = f32s("binary_cross_entropy_with_logits backward", "grad_output", g);
    let gx = need_x.then(|| {
        let mut gx = vec![0f32; xs.len()];
        bce::bce_with_logits_backward(red, &xs, &ys, None, None, &go, &mut gx);
        Tensor::from_vec(gx, x.shape())
    });
    let gt = need_t.then(|| {
        let s = scale(red, &go, xs.len());
        Tensor::from_vec(xs.iter().enumerate().map(|(i, &v)| -s(i) * v).collect(), x.shape())
    });
    (gx, gt)
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

    #[test]
    fn forwards_equal_the_loss_modules() {
        let x = Tensor::from_vec(vec![0.2f32, -1.0, 0.5, 1.5, 0.3, -0.7], &[2, 3]);
        let y = Tensor::from_vec(vec![0.1f32, 0.9, 0.4, 0.6, 0.2, 0.8], &[2, 3]);
        let p = x.sigmoid();
        let t = Tensor::from_vec(vec![2i64, 0], &[2]);
        for red in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            close(&mse_loss(&x, &y, red), &MSELoss::with_reduction(red).forward(&x, &y));
            close(&l1_loss(&x, &y, red), &L1Loss::with_reduction(red).forward(&x, &y));
            close(&binary_cross_entropy(&p, &y, red).unwrap(), &BCELoss::with_options(None, red).forward(&p, &y).unwrap());
            close(&binary_cross_entropy_with_logits(&x, &y, red), &BCEWithLogitsLoss::with_options(None, None, red).forward(&x, &y));
            let mut ce = CrossEntropyLoss::new();
            ce.reduction = red;
            close(&cross_entropy(&x, &t, red).unwrap().0, &ce.forward(&x, &t).unwrap());
            let mut nll = NLLLoss::new();
            nll.reduction = red;
            close(&nll_loss(&x, &t, red).unwrap(), &nll.forward(&x, &t).unwrap());
        }
    }

    #[test]
    fn target_gradients_by_finite_differences() {
        let x = Tensor::from_vec(vec![0.2f32, 0.7, 0.4], &[3]);
        let y = Tensor::from_vec(vec![0.1f32, 0.9, 0.35], &[3]);
        let g = Tensor::scalar(1.0);
        let (_, gt) = binary_cross_entropy_backward(&x, &y, Reduction::Mean, &g, false, true);
        let (_, gl) = binary_cross_entropy_with_logits_backward(&x, &y, Reduction::Sum, &g, false, true);
        let (gt, gl) = (gt.unwrap().to_vec::<f32>(), gl.unwrap().to_vec::<f32>());
        let h = 1e-3f32;
        for i in 0..3 {
            let bump = |d: f32| {
                let mut v = y.to_vec::<f32>();
                v[i] += d;
                Tensor::from_vec(v, &[3])
            };
            let fd = (binary_cross_entropy(&x, &bump(h), Reduction::Mean).unwrap().item() - binary_cross_entropy(&x, &bump(-h), Reduction::Mean).unwrap().item()) / (2.0 * h);
            assert!((fd - gt[i]).abs() < 1e-2, "bce target grad {i}: {fd} vs {}", gt[i]);
            let fd = (binary_cross_entropy_with_logits(&x, &bump(h), Reduction::Sum).item() - binary_cross_entropy_with_logits(&x, &bump(-h), Reduction::Sum).item()) / (2.0 * h);
            assert!((fd - gl[i]).abs() < 1e-2, "bce_with_logits target grad {i}: {fd} vs {}", gl[i]);
        }
    }

    #[test]
    fn out_of_range_is_an_error() {
        let x = Tensor::zeros(&[2, 3]);
        let t = Tensor::from_vec(vec![0i64, -1], &[2]);
        assert!(cross_entropy(&x, &t, Reduction::Mean).unwrap_err().to_string().contains("Target -1 is out of bounds"));
        assert!(nll_loss(&x, &t, Reduction::Sum).is_err());
        assert!(binary_cross_entropy(&Tensor::full(&[2], 1.5), &Tensor::zeros(&[2]), Reduction::Mean).is_err());
    }

    #[test]
    #[should_panic(expected = "got input [2, 3] and target [3]")]
    fn class_shape_mismatch_panics() {
        let _ = cross_entropy(&Tensor::zeros(&[2, 3]), &Tensor::from_vec(vec![0i64, 1, 2], &[3]), Reduction::Mean);
    }
}

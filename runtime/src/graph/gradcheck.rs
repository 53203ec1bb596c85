//! Gradient checking by central finite differences, for every backward helper and every
//! [`Layer`]: the harness all gradient tests use (reached from tests as
//! `fusenet_runtime::graph::gradcheck`, or `fusenet::__private::ops::gradcheck`).
//!
//! A backward is checked through the scalar `L = Σ g ⊙ f(inputs)` for a fixed pseudo-random `g`
//! (its gradient is what the backward returns for `grad_out = g`). Each element `θ` of each input
//! and parameter is perturbed to `θ ± h`, and the numeric derivative
//! `(L(θ+h) − L(θ−h)) / ((θ+h) − (θ−h))` (the denominator as actually rounded in `f32`) is compared
//! with the backward's value `a`: they agree when `|a − numeric| ≤ atol + rtol·|numeric|`.
//! `L` is summed in `f64` from the `f32` outputs, so the outputs a perturbation does not touch
//! cancel exactly.
//!
//! Tolerances ([`Tolerance::default`]): `h = 1e-2`, `atol = 1e-3`, `rtol = 1e-2`. Our tensors are
//! `f32`: each output carries a rounding error of about `1e-7·|y|`, and dividing differences of
//! `L` by `2h` amplifies it to about `1e-5·√(outputs touched)` for outputs of order 1, while the
//! truncation error of the central difference is `h²·|f'''|/6 ≈ 2e-5·|f'''|`. Both are well inside
//! the tolerance for inputs of order 1, and a wrong formula (a missing factor, a transposition, a
//! dropped broadcast sum) is off by far more. Keep inputs away from non-differentiable points
//! (`relu` at 0), or set [`Tolerance::skip_kinks`].
//!
//! ```
//! use fusenet_runtime::graph::{self, gradcheck::{self, Tolerance}};
//! let x = gradcheck::sample(&[3, 4], 1);
//! let report = gradcheck::check_op(
//!     "tanh",
//!     &[x],
//!     |xs| xs[0].tanh(),
//!     |xs, g| vec![Some(graph::tanh_backward(&xs[0].tanh(), g))],
//!     Tolerance::default(),
//! )
//! .unwrap();
//! assert_eq!(report.checked, 12);
//! ```

use crate::module::Layer;
use crate::tensor::Tensor;

/// How a numeric and an analytic gradient are compared (see the module docs for the defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// The perturbation `h` of each element.
    pub step: f32,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance, against the numeric value.
    pub rtol: f64,
    /// Skip elements where `L` has a kink: where the one-sided slopes `(L(θ+h) − L(θ))/h` and
    /// `(L(θ) − L(θ−h))/h` differ by more than `atol + rtol·max(|·|)` (a `relu` input within `h`
    /// of 0). Costs a third evaluation per element; skipped elements are counted in
    /// [`Report::skipped`].
    pub skip_kinks: bool,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance { step: 1e-2, atol: 1e-3, rtol: 1e-2, skip_kinks: false }
    }
}

impl Tolerance {
    /// The defaults with [`Tolerance::skip_kinks`] on, for functions with `relu`s inside.
    pub fn with_kinks() -> Tolerance {
        Tolerance { skip_kinks: true, ..Tolerance::default() }
    }
}

/// What a successful check compared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Elements compared.
    pub checked: usize,
    /// Elements skipped at kinks.
    pub skipped: usize,
    /// The largest `|analytic − numeric|`.
    pub max_abs_err: f64,
}

/// Deterministic values uniform in `[-1, 1)` (xorshift64*, independent of the global generator),
/// different for each `seed`.
///
/// ```
/// use fusenet_runtime::graph::gradcheck::sample;
/// let x = sample(&[2, 3], 5);
/// assert!(x.to_vec::<f32>().iter().all(|v| (-1.0..1.0).contains(v)));
/// assert!(x.equal(&sample(&[2, 3], 5)));
/// ```
pub fn sample(shape: &[usize], seed: u64) -> Tensor {
    sample_range(shape, seed, -1.0, 1.0)
}

/// Deterministic values uniform in `[lo, hi)`.
pub fn sample_range(shape: &[usize], seed: u64, lo: f32, hi: f32) -> Tensor {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let n: usize = shape.iter().product();
    let v = (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32;
            lo + (hi - lo) * u
        })
        .collect();
    Tensor::from_vec(v, shape)
}

/// `Σ g ⊙ y` in `f64`.
fn weighted_sum(g: &Tensor, y: &Tensor) -> Result<f64, String> {
    if g.shape() != y.shape() {
        return Err(format!("the output's shape changed to {:?} (expected {:?})", y.shape(), g.shape()));
    }
    let (g, y) = (g.contiguous(), y.contiguous());
    Ok(g.with_slice(|gs: &[f32]| y.with_slice(|ys: &[f32]| gs.iter().zip(ys).map(|(&a, &b)| a as f64 * b as f64).sum())))
}

/// The row-major index of flat position `i` in `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        idx[d] = i % n.max(1);
        i /= n.max(1);
    }
    idx
}

/// Compares `analytic` with central differences of `loss` over every element of `target`, which
/// `loss` reads (it is perturbed in place and restored).
fn compare(what: &str, target: &Tensor, analytic: &Tensor, tol: Tolerance, report: &mut Report, loss: &mut dyn FnMut() -> Result<f64, String>) -> Result<(), String> {
    if analytic.shape() != target.shape() {
        return Err(format!("{what}: the backward's gradient has shape {:?}, but the value has shape {:?}", analytic.shape(), target.shape()));
    }
    if !target.is_contiguous() {
        return Err(format!("{what}: cannot perturb a non-contiguous tensor of shape {:?}", target.shape()));
    }
    let analytic = analytic.contiguous().to_vec::<f32>();
    let h = tol.step;
    for (i, &a) in analytic.iter().enumerate() {
        let orig = target.with_slice(|s: &[f32]| s[i]);
        let (up, down) = (orig + h, orig - h);
        let set = |v: f32| target.with_slice_mut(|s: &mut [f32]| s[i] = v);
        set(up);
        let l_up = loss();
        set(down);
        let l_down = loss();
        set(orig);
        let (l_up, l_down) = (l_up?, l_down?);
        if tol.skip_kinks {
            let l0 = loss()?;
            let (dp, dm) = ((l_up - l0) / (up - orig) as f64, (l0 - l_down) / (orig - down) as f64);
            if (dp - dm).abs() > tol.atol + tol.rtol * dp.abs().max(dm.abs()) {
                report.skipped += 1;
                continue;
            }
        }
        let numeric = (l_up - l_down) / (up - down) as f64;
        let err = (a as f64 - numeric).abs();
        if err.is_nan() || err > tol.atol + tol.rtol * numeric.abs() {
            return Err(format!(
                "{what}{:?}: backward gives {a}, central differences give {numeric} (|difference| {err:.3e} > atol {} + rtol {} · |numeric|)",
                unravel(i, target.shape()),
                tol.atol,
                tol.rtol
            ));
        }
        report.checked += 1;
        report.max_abs_err = report.max_abs_err.max(err);
    }
    Ok(())
}

/// Checks a differentiable function of several tensors against its backward.
///
/// `forward(inputs)` computes the output `y`; `backward(inputs, g)` returns `∂L/∂input` for each
/// input (`None` for one that is not differentiated, such as indices), for `g` a pseudo-random
/// tensor of `y`'s shape. Inputs are copied; the copies are perturbed. Returns what was compared,
/// or a message naming the first element that disagrees.
pub fn check_op(
    name: &str,
    inputs: &[Tensor],
    forward: impl Fn(&[Tensor]) -> Tensor,
    backward: impl FnOnce(&[Tensor], &Tensor) -> Vec<Option<Tensor>>,
    tol: Tolerance,
) -> Result<Report, String> {
    let xs: Vec<Tensor> = inputs.iter().map(Tensor::clone).collect();
    let y = forward(&xs);
    let g = sample(y.shape(), 0x5EED);
    let grads = backward(&xs, &g);
    if grads.len() != xs.len() {
        return Err(format!("{name}: backward returned {} gradients for {} inputs", grads.len(), xs.len()));
    }
    let mut report = Report::default();
    for (k, grad) in grads.iter().enumerate() {
        if let Some(grad) = grad {
            let mut loss = || weighted_sum(&g, &forward(&xs));
            compare(&format!("{name}: ∂L/∂input{k}"), &xs[k], grad, tol, &mut report, &mut loss)?;
        }
    }
    Ok(report)
}

/// [`check_op`], panicking with its message on a mismatch.
pub fn assert_op(
    name: &str,
    inputs: &[Tensor],
    forward: impl Fn(&[Tensor]) -> Tensor,
    backward: impl FnOnce(&[Tensor], &Tensor) -> Vec<Option<Tensor>>,
    tol: Tolerance,
) -> Report {
    check_op(name, inputs, forward, backward, tol).unwrap_or_else(|e| panic!("gradcheck failed: {e}"))
}

/// Checks a [`Layer`]'s whole contract at input `x`:
/// - `forward_train` returns what `forward` returns (within `1e-5` relative);
/// - `backward(ctx, g, true)` returns `∂L/∂x`, and adds `∂L/∂θ` into the gradient of every
///   parameter that requires one (each shared parameter once, with its uses summed) — both checked
///   by central differences; a frozen parameter gets no gradient;
/// - a second `forward_train` + `backward(ctx, g, false)` returns `None` and accumulates again
///   (every gradient doubles).
///
/// The parameters' gradients are restored afterwards; their values are perturbed and restored.
pub fn check_layer<L: Layer>(layer: &L, x: &Tensor, tol: Tolerance) -> Result<Report, String> {
    let name = layer.type_name();
    let y = layer.forward(x);
    let mut ctx = L::Ctx::default();
    let y_train = layer.forward_train(x, &mut ctx);
    if y_train.shape() != y.shape() || !y_train.allclose(&y, 1e-5, 1e-6) {
        return Err(format!("{name}: forward_train (shape {:?}) differs from forward (shape {:?})", y_train.shape(), y.shape()));
    }
    let g = sample(y.shape(), 0x5EED);
    let params = layer.named_parameters();
    let saved: Vec<Option<Tensor>> = params.iter().map(|(_, p)| p.grad()).collect();
    params.iter().for_each(|(_, p)| p.set_grad(None));
    let result = check_layer_inner(layer, x, &g, ctx, &params, tol);
    for ((_, p), s) in params.iter().zip(saved) {
        p.set_grad(s);
    }
    result
}

fn check_layer_inner<L: Layer>(
    layer: &L,
    x: &Tensor,
    g: &Tensor,
    mut ctx: L::Ctx,
    params: &[(String, &crate::param::Param)],
    tol: Tolerance,
) -> Result<Report, String> {
    let name = layer.type_name();
    let gx = layer.backward(&mut ctx, g, true).ok_or_else(|| format!("{name}: backward(.., true) returned no input gradient"))?;
    let mut first = Vec::new();
    for (k, p) in params {
        match (p.requires_grad(), p.grad()) {
            (true, Some(t)) => first.push(Some(t.clone())),
            (true, None) => return Err(format!("{name}: backward left no gradient in parameter `{k}`")),
            (false, None) => first.push(None),
            (false, Some(_)) => return Err(format!("{name}: backward wrote a gradient into the frozen parameter `{k}`")),
        }
    }
    // Second pass: no input gradient, and the parameter gradients accumulate.
    let mut ctx2 = L::Ctx::default();
    layer.forward_train(x, &mut ctx2);
    if layer.backward(&mut ctx2, g, false).is_some() {
        return Err(format!("{name}: backward(.., false) returned an input gradient"));
    }
    for ((k, p), a) in params.iter().zip(&first) {
        if let (Some(a), Some(now)) = (a, p.grad())
            && !now.allclose(&a.mul(2.0), 1e-5, 1e-6)
        {
            return Err(format!("{name}: a second backward did not accumulate into `{k}` (expected twice the first gradient)"));
        }
    }
    let mut report = Report::default();
    let xc = x.clone();
    let mut loss = || weighted_sum(g, &layer.forward(&xc));
    compare(&format!("{name}: ∂L/∂x"), &xc, &gx, tol, &mut report, &mut loss)?;
    for ((k, p), a) in params.iter().zip(&first) {
        if let Some(a) = a {
            compare(&format!("{name}: ∂L/∂{k}"), &p.value(), a, tol, &mut report, &mut || weighted_sum(g, &layer.forward(x)))?;
        }
    }
    Ok(report)
}

/// [`check_layer`], panicking with its message on a mismatch.
pub fn assert_layer<L: Layer>(layer: &L, x: &Tensor, tol: Tolerance) -> Report {
    check_layer(layer, x, tol).unwrap_or_else(|e| panic!("gradcheck failed: {e}"))
}

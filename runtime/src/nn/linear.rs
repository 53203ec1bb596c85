//! `Linear<IN, OUT>`: `y = x Wᵀ + b`.

use crate::init;
use crate::module::{Module, Visitor, VisitorMut};
use crate::param::Param;
use crate::tensor::{Dims, Tensor};
use super::kernel_call::expect_f32;
use super::saved_layer::{StepBuffers, contiguous_in, with_two_slices};
use fusenet_kernels::cpu::gemm;
use fusenet_kernels::ops::linear::{LinearAct, LinearGeom, linear_forward};

/// A fully connected layer, PyTorch's `nn.Linear(IN, OUT)`: `y = x Wᵀ + b`, with `weight` of
/// shape `[OUT, IN]` and `bias` of shape `[OUT]`.
///
/// [`Linear::new`] initialises as PyTorch does — `kaiming_uniform_(weight, a=√5)`, i.e.
/// U(−1/√IN, 1/√IN), then U(−1/√IN, 1/√IN) for the bias — drawing from the default generator in
/// PyTorch's order, so after `manual_seed(s)` the values equal `torch.manual_seed(s);
/// nn.Linear(IN, OUT)` bit for bit.
///
/// ```
/// use fusenet_runtime::{Module, manual_seed};
/// use fusenet_runtime::nn::Linear;
/// manual_seed(0);
/// let lin = Linear::<4, 8>::new();
/// assert_eq!(lin.weight.shape(), &[8, 4]);
/// assert_eq!(lin.to_string(), "Linear(in_features=4, out_features=8, bias=True)");
/// ```
pub struct Linear<const IN: usize, const OUT: usize> {
    /// `[OUT, IN]`.
    pub weight: Param,
    /// `[OUT]`, or `None` for `bias=False`.
    pub bias: Option<Param>,
}

impl<const IN: usize, const OUT: usize> Linear<IN, OUT> {
    /// A layer with a bias, initialised as PyTorch's `nn.Linear(IN, OUT)`.
    pub fn new() -> Self {
        Self::with_bias(true)
    }

    /// A layer without a bias (`nn.Linear(IN, OUT, bias=False)`).
    pub fn no_bias() -> Self {
        Self::with_bias(false)
    }

    /// `nn.Linear(IN, OUT, bias=bias)`.
    pub fn with_bias(bias: bool) -> Self {
        let weight = Param::new(Tensor::zeros(&[OUT, IN]));
        let bias = bias.then(|| Param::new(Tensor::zeros(&[OUT])));
        let lin = Linear { weight, bias };
        lin.reset_parameters();
        lin
    }

    /// Builds a layer around given tensors; panics when their shapes are not `[OUT, IN]` / `[OUT]`.
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>) -> Self {
        assert_eq!(weight.shape(), &[OUT, IN], "Linear<{IN}, {OUT}>: weight must have shape [{OUT}, {IN}], got {:?}", weight.shape());
        if let Some(b) = &bias {
            assert_eq!(b.shape(), &[OUT], "Linear<{IN}, {OUT}>: bias must have shape [{OUT}], got {:?}", b.shape());
        }
        Linear { weight: Param::new(weight), bias: bias.map(Param::new) }
    }

    /// PyTorch's `reset_parameters`: `kaiming_uniform_(weight, a=√5)`, then the bias from
    /// U(−1/√fan_in, 1/√fan_in).
    pub fn reset_parameters(&self) {
        init::kaiming_uniform_(&self.weight, 5f64.sqrt(), init::FanMode::FanIn, init::Nonlinearity::LeakyRelu);
        if let Some(b) = &self.bias {
            let (fan_in, _) = init::calculate_fan_in_and_fan_out(self.weight.shape());
            let bound = if fan_in > 0 { 1.0 / (fan_in as f64).sqrt() } else { 0.0 };
            init::uniform_(b, -bound, bound);
        }
    }

    /// `IN`.
    pub fn in_features(&self) -> usize {
        IN
    }

    /// `OUT`.
    pub fn out_features(&self) -> usize {
        OUT
    }

    /// `x Wᵀ + b` for `x` of shape `[.., IN]`; panics naming both shapes when the last dim is not `IN`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        assert!(
            x.dim() >= 1 && x.shape()[x.dim() - 1] == IN,
            "Linear: mat1 and mat2 shapes cannot be multiplied (input {:?}, weight [{OUT}, {IN}]): the last dimension of the input must be {IN}",
            x.shape()
        );
        let y = x.matmul(&self.weight.value().t());
        if let Some(b) = &self.bias {
            y.add_(b.value());
        }
        y
    }
}

impl<const IN: usize, const OUT: usize> Default for Linear<IN, OUT> {
    fn default() -> Self {
        Self::new()
    }
}

/// What every `Linear`, whatever its dimensions, offers to an `apply` callback
/// (reach it with [`Module::as_linear`]).
///
/// ```
/// use fusenet_runtime::{Module, init};
/// use fusenet_runtime::nn::Linear;
/// let mut lin = Linear::<3, 2>::new();
/// lin.apply(&mut |_, m| {
///     if let Some(l) = m.as_linear() {
///         init::constant_(l.weight(), 1.0);
///         if let Some(b) = l.bias() { init::zeros_(b) }
///     }
/// });
/// assert_eq!(lin.weight.value().to_vec::<f32>(), [1.0; 6]);
/// ```
pub trait AnyLinear {
    fn weight(&self) -> &Param;
    fn bias(&self) -> Option<&Param>;
    fn in_features(&self) -> usize;
    fn out_features(&self) -> usize;
}

impl<const IN: usize, const OUT: usize> AnyLinear for Linear<IN, OUT> {
    fn weight(&self) -> &Param {
        &self.weight
    }
    fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }
    fn in_features(&self) -> usize {
        IN
    }
    fn out_features(&self) -> usize {
        OUT
    }
}

impl<const IN: usize, const OUT: usize> Module for Linear<IN, OUT> {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        v.param("weight", &self.weight);
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        v.param("weight", &mut self.weight);
        if let Some(b) = &mut self.bias {
            v.param("bias", b);
        }
    }
    fn type_name(&self) -> &'static str {
        "Linear"
    }
    fn extra_repr(&self) -> String {
        let bias = if self.bias.is_some() { "True" } else { "False" };
        format!("in_features={IN}, out_features={OUT}, bias={bias}")
    }
    fn share(&self) -> Self {
        Linear { weight: self.weight.share(), bias: self.bias.as_ref().map(Param::share) }
    }
    fn as_linear(&self) -> Option<&dyn AnyLinear> {
        Some(self)
    }
    crate::__module_boilerplate!();
}

/// The keys of `Linear::new()`, which has a bias (`no_bias()` has `weight` only).
impl<const IN: usize, const OUT: usize> crate::module::ConstKeys for Linear<IN, OUT> {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&["weight", "bias"]);
}

impl<const IN: usize, const OUT: usize> std::fmt::Display for Linear<IN, OUT> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::module::fmt_module(self, f)
    }
}

/// What a `Linear` call site keeps for its backward: a handle onto its input (no copy), and the
/// buffers its output and input gradient are written into, reused from step to step.
#[derive(Default)]
pub struct LinearCtx {
    input: Option<Tensor>,
    bufs: StepBuffers,
}

impl std::fmt::Debug for LinearCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearCtx").field("input", &self.input).finish_non_exhaustive()
    }
}

/// The product of all dims but the last (the rows a `[*, IN]` input is flattened into).
fn rows(shape: &[usize]) -> usize {
    shape[..shape.len() - 1].iter().product()
}

/// `x`'s shape with the last dim replaced by `last`.
fn with_last(x: &[usize], last: usize) -> Dims<usize> {
    let mut d = Dims::from_slice(x);
    if let Some(l) = d.last_mut() {
        *l = last;
    }
    d
}

/// `y = x Wᵀ + b` for `x` of shape `[*, IN]`; the backward, with `g = ∂L/∂y` of shape `[*, OUT]`
/// and the leading dims flattened into rows, adds `gᵀ·x` into `weight.grad` (one GEMM into the
/// gradient buffer) and `Σ_rows g` into `bias.grad` (each only when it requires a gradient), and
/// returns `∂L/∂x = g·W` when asked.
///
/// `forward_train` runs one GEMM straight into the call site's output buffer and adds the bias
/// in one pass over it; `backward` writes `∂L/∂x` into the call site's gradient buffer. Neither
/// allocates in steady state (beyond what the GEMM kernel itself does).
///
/// The saved input is a handle onto the caller's tensor: it must not be modified in place
/// between `forward_train` and `backward` (PyTorch would raise "modified by an inplace operation").
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::Linear;
/// use fusenet_runtime::Tensor;
/// let lin = Linear::<2, 1>::from_tensors(Tensor::from_vec(vec![3.0f32, 4.0], &[1, 2]), Some(Tensor::zeros(&[1])));
/// let mut ctx = Default::default();
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
/// assert_eq!(lin.forward_train(&x, &mut ctx).to_vec::<f32>(), [11.0]);
/// let gx = lin.backward(&mut ctx, &Tensor::ones(&[1, 1]), true).unwrap();
/// assert_eq!(gx.to_vec::<f32>(), [3.0, 4.0]);
/// assert_eq!(lin.weight.grad().unwrap().to_vec::<f32>(), [1.0, 2.0]);
/// ```
impl<const IN: usize, const OUT: usize> crate::module::Layer for Linear<IN, OUT> {
    type Ctx = LinearCtx;

    fn forward(&self, x: &Tensor) -> Tensor {
        Linear::forward(self, x)
    }

    fn forward_train(&self, x: &Tensor, ctx: &mut LinearCtx) -> Tensor {
        ctx.input = None;
        assert!(
            x.dim() >= 1 && x.shape()[x.dim() - 1] == IN,
            "Linear: mat1 and mat2 shapes cannot be multiplied (input {:?}, weight [{OUT}, {IN}]): the last dimension of the input must be {IN}",
            x.shape()
        );
        expect_f32("Linear", "input", x);
        let x = contiguous_in(x, &mut ctx.bufs.input_copy);
        let geom = LinearGeom { m: rows(x.shape()), k: IN, n: OUT };
        let (w, b) = (self.weight.value().contiguous(), self.bias.as_ref().map(|b| b.value().contiguous()));
        let y = ctx.bufs.out.out(&with_last(x.shape(), OUT));
        with_two_slices::<f32, f32, _>(&x, &w, |xs, ws| {
            y.with_slice_mut::<f32, _>(|ys| match &b {
                Some(b) => b.with_slice::<f32, _>(|bs| linear_forward(&geom, LinearAct::None, xs, ws, Some(bs), ys)),
                None => linear_forward(&geom, LinearAct::None, xs, ws, None, ys),
            })
        });
        ctx.input = Some(x);
        y
    }

    fn backward(&self, ctx: &mut LinearCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let x = ctx.input.take().expect(
            "Linear::backward: no saved input; call forward_train first (and backward once per forward_train)",
        );
        let want = with_last(x.shape(), OUT);
        assert!(
            grad_out.shape() == want.as_slice(),
            "Linear<{IN}, {OUT}>::backward: the input had shape {:?}, so the gradient must have shape {want:?}, got {:?}",
            x.shape(),
            grad_out.shape()
        );
        expect_f32("Linear", "gradient", grad_out);
        crate::graph::add_at_b_to_grad(&self.weight, grad_out, &x);
        if let Some(b) = &self.bias {
            crate::graph::add_row_sum_to_grad(b, grad_out);
        }
        if !need_input_grad {
            return None;
        }
        let g = contiguous_in(grad_out, &mut ctx.bufs.grad_copy);
        let w = self.weight.value().contiguous();
        let m = rows(x.shape());
        let dx = ctx.bufs.grad.out(x.shape());
        with_two_slices::<f32, f32, _>(&g, &w, |gs, ws| {
            // dX[m×IN] = G[m×OUT] · W[OUT×IN].
            dx.with_slice_mut::<f32, _>(|d| gemm::sgemm(m, OUT, IN, 1.0, gs, OUT as isize, 1, ws, IN as isize, 1, 0.0, d, IN as isize, 1))
        });
        Some(dx)
    }
}

#[cfg(test)]
mod tests;

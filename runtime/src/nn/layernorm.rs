//! `LayerNorm`: PyTorch's `nn.LayerNorm(normalized_shape)`.

use super::kernel_call::{expect_f32, py_float};
use crate::module::{Module, Visitor, VisitorMut};
use crate::param::Param;
use crate::tensor::Tensor;
use fusenet_kernels::ops::norm::layer_norm::{LayerNormGeom, layer_norm_forward};

/// Normalises over the last `normalized_shape.len()` dims of its input:
/// `y = (x − μ)/√(σ² + eps) ⊙ γ + β` with μ, σ² (biased) over those dims, and `weight` γ (ones)
/// and `bias` β (zeros) of shape `normalized_shape` (`elementwise_affine`, `bias` flags).
///
/// ```
/// use fusenet_runtime::{Module, Tensor};
/// use fusenet_runtime::nn::LayerNorm;
/// let ln = LayerNorm::new(&[2]);
/// assert_eq!(ln.to_string(), "LayerNorm((2,), eps=1e-05, elementwise_affine=True, bias=True)");
/// let y = ln.forward(&Tensor::from_vec(vec![1.0f32, 3.0], &[1, 2]));
/// assert!((y.to_vec::<f32>()[1] - 1.0).abs() < 1e-5);
/// ```
pub struct LayerNorm {
    pub normalized_shape: Vec<usize>,
    pub eps: f64,
    /// γ, when `elementwise_affine`.
    pub weight: Option<Param>,
    /// β, when `elementwise_affine` and `bias`.
    pub bias: Option<Param>,
}

impl LayerNorm {
    /// `nn.LayerNorm(normalized_shape)`: eps 1e-5, with weight and bias.
    pub fn new(normalized_shape: &[usize]) -> Self {
        Self::with_options(normalized_shape, 1e-5, true, true)
    }

    /// `nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias)`.
    pub fn with_options(normalized_shape: &[usize], eps: f64, elementwise_affine: bool, bias: bool) -> Self {
        LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            eps,
            weight: elementwise_affine.then(|| Param::new(Tensor::ones(normalized_shape))),
            bias: (elementwise_affine && bias).then(|| Param::new(Tensor::zeros(normalized_shape))),
        }
    }

    /// The eager forward. Panics, in PyTorch's words, when the input's trailing dims are not
    /// `normalized_shape`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let g = self.geom(x);
        let x = x.contiguous();
        let (mut y, mut mean, mut rstd) = (vec![0f32; x.numel()], vec![0f32; g.rows], vec![0f32; g.rows]);
        self.forward_into(&g, &x, &mut y, &mut mean, &mut rstd);
        Tensor::from_vec(y, x.shape())
    }

    /// The geometry of `x` (rows of `normalized_shape`); panics in PyTorch's words when the
    /// trailing dims are not `normalized_shape`.
    fn geom(&self, x: &Tensor) -> LayerNormGeom {
        let (shape, ns) = (x.shape(), &self.normalized_shape);
        assert!(
            shape.len() >= ns.len() && shape[shape.len() - ns.len()..] == ns[..],
            "Given normalized_shape={ns:?}, expected input with shape [*, {}], but got input of size{shape:?}",
            ns.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        );
        expect_f32("LayerNorm", "input", x);
        let cols: usize = ns.iter().product();
        LayerNormGeom { rows: x.numel().checked_div(cols).unwrap_or(0), cols }
    }

    /// Normalises the contiguous `x` into `y`, writing each row's mean and `1/√(σ² + eps)`.
    fn forward_into(&self, g: &LayerNormGeom, x: &Tensor, y: &mut [f32], mean: &mut [f32], rstd: &mut [f32]) {
        let (w, b) = (param_value(self.weight.as_ref()), param_value(self.bias.as_ref()));
        with_opt_slice(w.as_ref(), |ws| {
            with_opt_slice(b.as_ref(), |bs| x.with_slice::<f32, _>(|xs| layer_norm_forward(g, self.eps, xs, ws, bs, y, mean, rstd)))
        });
    }
}

impl Module for LayerNorm {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        if let Some(p) = &self.weight {
            v.param("weight", p)
        }
        if let Some(p) = &self.bias {
            v.param("bias", p)
        }
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        if let Some(p) = &mut self.weight {
            v.param("weight", p)
        }
        if let Some(p) = &mut self.bias {
            v.param("bias", p)
        }
    }
    fn type_name(&self) -> &'static str {
        "LayerNorm"
    }
    fn extra_repr(&self) -> String {
        // Python's tuple repr: (10,) or (3, 4).
        let dims: Vec<String> = self.normalized_shape.iter().map(|d| d.to_string()).collect();
        let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
        let b = |v: bool| if v { "True" } else { "False" };
        format!("{tuple}, eps={}, elementwise_affine={}, bias={}", py_float(self.eps), b(self.weight.is_some()), b(self.bias.is_some()))
    }
    fn share(&self) -> Self {
        LayerNorm {
            normalized_shape: self.normalized_shape.clone(),
            eps: self.eps,
            weight: self.weight.as_ref().map(Param::share),
            bias: self.bias.as_ref().map(Param::share),
        }
    }
    crate::__module_boilerplate!();
}

/// The keys of `LayerNorm::new(shape)` (`elementwise_affine` and `bias`).
impl crate::module::ConstKeys for LayerNorm {
    const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&["weight", "bias"]);
}

impl std::fmt::Display for LayerNorm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::module::fmt_module(self, f)
    }
}

// ----- `Layer`: the rows' statistics saved for the backward -----

use super::conv::grad::with_grad_slice;
use super::kernel_call::{param_value, with_opt_slice};
use super::saved_layer::{StepBuffers, check_grad_out, contiguous_in, with_two_slices};
use fusenet_kernels::ops::norm::layer_norm::layer_norm_backward;

/// What a `LayerNorm` call site keeps for its backward: a handle onto its input (no copy), the
/// mean and `1/√(σ² + eps)` of each normalised row (`2·rows` floats, in vectors reused from step
/// to step), and the buffers its output and input gradient are written into.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::{LayerNorm, LayerNormCtx};
/// use fusenet_runtime::Tensor;
/// let ln = LayerNorm::new(&[2]);
/// let mut ctx = LayerNormCtx::default();
/// ln.forward_train(&Tensor::from_vec(vec![1.0f32, 3.0], &[1, 2]), &mut ctx);
/// let gx = ln.backward(&mut ctx, &Tensor::ones(&[1, 2]), true).unwrap();
/// assert!(gx.to_vec::<f32>().iter().all(|v| v.abs() < 1e-6)); // a shift does not change y
/// assert_eq!(ln.bias.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), [1.0, 1.0]);
/// ```
#[derive(Default)]
pub struct LayerNormCtx {
    x: Option<Tensor>,
    geom: Option<LayerNormGeom>,
    mean: Vec<f32>,
    rstd: Vec<f32>,
    bufs: StepBuffers,
}

impl std::fmt::Debug for LayerNormCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerNormCtx").field("x", &self.x).field("mean", &self.mean).field("rstd", &self.rstd).finish_non_exhaustive()
    }
}

/// `forward_train` saves the input and each row's statistics; `backward`, with `x̂ = (x − μ)r`
/// and `h = γ ⊙ g` per row, returns `∂L/∂x = r·(h − mean(h) − x̂·mean(h ⊙ x̂))` and adds
/// `Σ_rows g ⊙ x̂` into `weight.grad`, `Σ_rows g` into `bias.grad`. Neither allocates in steady
/// state.
impl crate::module::Layer for LayerNorm {
    type Ctx = LayerNormCtx;

    fn forward(&self, x: &Tensor) -> Tensor {
        LayerNorm::forward(self, x)
    }

    fn forward_train(&self, x: &Tensor, ctx: &mut LayerNormCtx) -> Tensor {
        ctx.x = None;
        let g = self.geom(x);
        let x = contiguous_in(x, &mut ctx.bufs.input_copy);
        ctx.mean.resize(g.rows, 0.0);
        ctx.rstd.resize(g.rows, 0.0);
        let y = ctx.bufs.out.out(x.shape());
        y.with_slice_mut::<f32, _>(|ys| self.forward_into(&g, &x, ys, &mut ctx.mean, &mut ctx.rstd));
        ctx.x = Some(x);
        ctx.geom = Some(g);
        y
    }

    fn backward(&self, ctx: &mut LayerNormCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let x = ctx.x.take().expect("LayerNorm::backward: nothing saved; call forward_train first (and backward once per forward_train)");
        let geom = ctx.geom.expect("saved with the input");
        check_grad_out("LayerNorm", x.shape(), grad_out);
        let (weight, bias) = (self.weight.as_ref(), self.bias.as_ref());
        if !need_input_grad && !weight.is_some_and(Param::requires_grad) && !bias.is_some_and(Param::requires_grad) {
            return None;
        }
        let w = param_value(weight);
        let gy = contiguous_in(grad_out, &mut ctx.bufs.grad_copy);
        let dx = need_input_grad.then(|| ctx.bufs.grad.out(x.shape()));
        let (mean, rstd) = (&ctx.mean, &ctx.rstd);
        with_grad_slice(weight, |dw| {
            with_grad_slice(bias, |db| {
                with_opt_slice(w.as_ref(), |ws| {
                    with_two_slices::<f32, f32, _>(&x, &gy, |xs, gs| match &dx {
                        Some(dx) => dx.with_slice_mut::<f32, _>(|d| layer_norm_backward(&geom, xs, ws, mean, rstd, gs, Some(d), dw, db)),
                        None => layer_norm_backward(&geom, xs, ws, mean, rstd, gs, None, dw, db),
                    })
                })
            })
        });
        dx
    }
}

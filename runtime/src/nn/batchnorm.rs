//! `BatchNorm1d<C>` and `BatchNorm2d<C>`: PyTorch's `nn.BatchNorm1d(C)` / `nn.BatchNorm2d(C)`.

use super::kernel_call::{expect_f32, py_float};
use crate::module::{Module, Visitor, VisitorMut};
use crate::param::{Buffer, Param};
use crate::tensor::Tensor;
use fusenet_kernels::ops::norm::batch_norm::{BatchNormGeom, batch_norm_forward_eval, batch_norm_forward_train};

/// The options of a batch-norm layer (PyTorch's keyword arguments and defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormOptions {
    pub eps: f64,
    /// `None` is PyTorch's `momentum=None`: a cumulative average over the batches seen.
    pub momentum: Option<f64>,
    pub affine: bool,
    /// Whether the affine map has a shift (`bias=`, when `affine`).
    pub bias: bool,
    pub track_running_stats: bool,
}

impl Default for BatchNormOptions {
    fn default() -> Self {
        BatchNormOptions { eps: 1e-5, momentum: Some(0.1), affine: true, bias: true, track_running_stats: true }
    }
}

macro_rules! batch_norm {
    ($(#[$doc:meta])* $name:ident, $torch:literal, $dims:pat, $expected:literal) => {
        $(#[$doc])*
        pub struct $name<const C: usize> {
            /// `γ`, `[C]` (ones), when `affine`.
            pub weight: Option<Param>,
            /// `β`, `[C]` (zeros), when `affine` and `bias`.
            pub bias: Option<Param>,
            /// `[C]` (zeros), when `track_running_stats`.
            pub running_mean: Option<Buffer>,
            /// `[C]` (ones), when `track_running_stats`.
            pub running_var: Option<Buffer>,
            /// A 0-d `i64` counter, when `track_running_stats`.
            pub num_batches_tracked: Option<Buffer>,
            pub options: BatchNormOptions,
            training: bool,
        }

        impl<const C: usize> $name<C> {
            /// The layer with PyTorch's defaults (`eps=1e-5, momentum=0.1, affine=True,
            /// track_running_stats=True`), in training mode.
            pub fn new() -> Self {
                Self::with_options(BatchNormOptions::default())
            }

            /// The layer with the given options.
            pub fn with_options(options: BatchNormOptions) -> Self {
                let track = options.track_running_stats;
                $name {
                    weight: options.affine.then(|| Param::new(Tensor::ones(&[C]))),
                    bias: (options.affine && options.bias).then(|| Param::new(Tensor::zeros(&[C]))),
                    running_mean: track.then(|| Buffer::new(Tensor::zeros(&[C]))),
                    running_var: track.then(|| Buffer::new(Tensor::ones(&[C]))),
                    num_batches_tracked: track.then(|| Buffer::new(Tensor::from_vec(vec![0i64], &[]))),
                    options,
                    training: true,
                }
            }

            /// The eager forward (see the type's docs for the modes). Panics, naming the shape,
            /// when the input does not have the expected rank or `C` channels.
            pub fn forward(&self, x: &Tensor) -> Tensor {
                let g = self.geom(x);
                let x = x.contiguous();
                let (mut y, mut a, mut b) = (vec![0f32; g.numel()], Vec::new(), Vec::new());
                self.forward_into(&g, &x, &mut y, &mut a, &mut b);
                Tensor::from_vec(y, x.shape())
            }

            /// The geometry `[N, C, L]` of `x`; panics, naming the shape, when it is not
            /// the expected rank with `C` channels.
            fn geom(&self, x: &Tensor) -> BatchNormGeom {
                let shape = x.shape();
                assert!(matches!(shape.len(), $dims), "{}: expected {} input (got {}D input of shape {:?})", $torch, $expected, shape.len(), shape);
                assert!(shape[1] == C, "{}: expected input with {C} channels (dim 1), but got input of shape {:?}", $torch, shape);
                expect_f32($torch, "input", x);
                BatchNormGeom { n: shape[0], c: C, l: shape[2..].iter().product() }
            }

            /// Normalises the contiguous `x` into `y`; see [`forward_into`].
            fn forward_into(&self, g: &BatchNormGeom, x: &Tensor, y: &mut [f32], a: &mut Vec<f32>, b: &mut Vec<f32>) -> bool {
                forward_into(g, &self.options, self.training, x, self.weight.as_ref(), self.bias.as_ref(),
                             self.running_mean.as_ref(), self.running_var.as_ref(), self.num_batches_tracked.as_ref(), y, a, b)
            }

            /// Resets the running statistics (`reset_running_stats()`).
            pub fn reset_running_stats(&self) {
                if let (Some(m), Some(v), Some(n)) = (&self.running_mean, &self.running_var, &self.num_batches_tracked) {
                    m.value().fill_(0.0);
                    v.value().fill_(1.0);
                    n.value().with_slice_mut::<i64, _>(|s| s[0] = 0);
                }
            }
        }

        impl<const C: usize> Default for $name<C> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<const C: usize> Module for $name<C> {
            fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
                if let Some(p) = &self.weight { v.param("weight", p) }
                if let Some(p) = &self.bias { v.param("bias", p) }
                if let Some(b) = &self.running_mean { v.buffer("running_mean", b) }
                if let Some(b) = &self.running_var { v.buffer("running_var", b) }
                if let Some(b) = &self.num_batches_tracked { v.buffer("num_batches_tracked", b) }
            }
            fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
                if let Some(p) = &mut self.weight { v.param("weight", p) }
                if let Some(p) = &mut self.bias { v.param("bias", p) }
                if let Some(b) = &mut self.running_mean { v.buffer("running_mean", b) }
                if let Some(b) = &mut self.running_var { v.buffer("running_var", b) }
                if let Some(b) = &mut self.num_batches_tracked { v.buffer("num_batches_tracked", b) }
            }
            fn type_name(&self) -> &'static str {
                $torch
            }
            fn extra_repr(&self) -> String {
                extra_repr(C, &self.options)
            }
            fn set_training_self(&mut self, on: bool) {
                self.training = on;
            }
            fn training_self(&self) -> Option<bool> {
                Some(self.training)
            }
            fn share(&self) -> Self {
                $name {
                    weight: self.weight.as_ref().map(Param::share),
                    bias: self.bias.as_ref().map(Param::share),
                    running_mean: self.running_mean.as_ref().map(Buffer::share),
                    running_var: self.running_var.as_ref().map(Buffer::share),
                    num_batches_tracked: self.num_batches_tracked.as_ref().map(Buffer::share),
                    options: self.options,
                    training: self.training,
                }
            }
            crate::__module_boilerplate!();
        }

        /// The keys of `new()` (`affine`, `track_running_stats`).
        impl<const C: usize> crate::module::ConstKeys for $name<C> {
            const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
        }

        impl<const C: usize> std::fmt::Display for $name<C> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::module::fmt_module(self, f)
            }
        }
    };
}

batch_norm!(
    /// Batch normalisation over `[N, C]` or `[N, C, L]`: `y = γ·(x − μ)/√(σ² + eps) + β` per
    /// channel.
    ///
    /// In training mode μ and σ² (biased) come from the batch, and the running statistics are
    /// updated with the unbiased variance: `running ← (1 − f)·running + f·stat`, with
    /// `f = momentum`, or `1/num_batches_tracked` for `momentum: None`; `num_batches_tracked`
    /// grows by one per training forward. In evaluation mode the running statistics are used
    /// (the batch's when `track_running_stats` is off).
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::BatchNorm1d;
    /// let bn = BatchNorm1d::<2>::new();
    /// assert_eq!(bn.to_string(), "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)");
    /// let y = bn.forward(&Tensor::from_vec(vec![1.0f32, 10.0, 3.0, 30.0], &[2, 2]));
    /// assert_eq!(y.to_vec::<f32>().iter().map(|v| v.round()).collect::<Vec<_>>(), [-1.0, -1.0, 1.0, 1.0]);
    /// assert_eq!(bn.running_mean.as_ref().unwrap().value().to_vec::<f32>(), [0.2, 2.0]);
    /// ```
    BatchNorm1d, "BatchNorm1d", 2 | 3, "2D or 3D"
);

batch_norm!(
    /// Batch normalisation over `[N, C, H, W]`, per channel (statistics over N, H and W); the
    /// modes and running statistics are those of [`BatchNorm1d`].
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::BatchNorm2d;
    /// let mut bn = BatchNorm2d::<6>::new();
    /// assert_eq!(bn.to_string(), "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)");
    /// let keys: Vec<String> = bn.state_dict().keys().map(String::from).collect();
    /// assert_eq!(keys, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    /// bn.eval();
    /// let x = Tensor::ones(&[1, 6, 2, 2]);
    /// assert!((bn.forward(&x).to_vec::<f32>()[0] - 1.0 / (1.0f32 + 1e-5).sqrt()).abs() < 1e-7);
    /// ```
    BatchNorm2d, "BatchNorm2d", 4, "4D"
);

fn extra_repr(c: usize, o: &BatchNormOptions) -> String {
    let b = |v: bool| if v { "True" } else { "False" };
    let momentum = o.momentum.map_or("None".to_string(), py_float);
    format!(
        "{c}, eps={}, momentum={momentum}, affine={}, bias={}, track_running_stats={}",
        py_float(o.eps),
        b(o.affine),
        b(o.affine && o.bias),
        b(o.track_running_stats)
    )
}

/// Normalises the contiguous `x` into `y`. With batch statistics (training mode, or no running
/// statistics) it writes the batch's mean and `1/√(σ² + eps)` into `a`, `b`, updates the running
/// statistics in place in training mode, and returns `true`; otherwise it normalises with the
/// running statistics, copies them (mean, var) into `a`, `b` and returns `false`. `a` and `b`
/// are resized to `C` (no allocation when they already have that length).
#[allow(clippy::too_many_arguments)]
fn forward_into(
    g: &BatchNormGeom,
    o: &BatchNormOptions,
    training: bool,
    x: &Tensor,
    weight: Option<&Param>,
    bias: Option<&Param>,
    running_mean: Option<&Buffer>,
    running_var: Option<&Buffer>,
    num_batches_tracked: Option<&Buffer>,
    y: &mut [f32],
    a: &mut Vec<f32>,
    b: &mut Vec<f32>,
) -> bool {
    a.resize(g.c, 0.0);
    b.resize(g.c, 0.0);
    let (w, bi) = (param_value(weight), param_value(bias));
    let running = running_mean.zip(running_var).map(|(m, v)| (m.value(), v.value()));
    let use_batch_stats = training || running.is_none();
    with_opt_slice(w.as_ref(), |ws| {
        with_opt_slice(bi.as_ref(), |bs| {
            x.with_slice::<f32, _>(|xs| {
                if !use_batch_stats {
                    let (rm, rv) = running.as_ref().expect("running stats exist in this branch");
                    rm.with_slice::<f32, _>(|m| a.copy_from_slice(m));
                    rv.with_slice::<f32, _>(|v| b.copy_from_slice(v));
                    batch_norm_forward_eval(g, o.eps, xs, ws, bs, a, b, y);
                    return;
                }
                // PyTorch: in training mode with tracking, count the batch, then pick the factor.
                let mut factor = o.momentum.unwrap_or(0.0);
                let update = training && running.is_some();
                if update && let Some(n) = num_batches_tracked {
                    let count = n.value().with_slice_mut::<i64, _>(|s| {
                        s[0] += 1;
                        s[0]
                    });
                    if o.momentum.is_none() {
                        factor = 1.0 / count as f64;
                    }
                }
                match running.as_ref().filter(|_| update) {
                    Some((rm, rv)) => rm.with_slice_mut::<f32, _>(|m| {
                        rv.with_slice_mut::<f32, _>(|v| batch_norm_forward_train(g, o.eps, factor, xs, ws, bs, Some((m, v)), y, a, b))
                    }),
                    None => batch_norm_forward_train(g, o.eps, factor, xs, ws, bs, None, y, a, b),
                }
            })
        })
    });
    use_batch_stats
}

// ----- `Layer`: the forward's statistics saved for the backward -----

use super::conv::grad::with_grad_slice;
use super::kernel_call::{param_value, with_opt_slice};
use super::saved_layer::{StepBuffers, check_grad_out, contiguous_in, with_two_slices};
use fusenet_kernels::ops::norm::batch_norm::{BatchNormStats, batch_norm_backward, batch_norm_backward_scratch_len};

/// What a `BatchNorm1d`/`BatchNorm2d` call site keeps for its backward: a handle onto its input
/// (no copy) and the per-channel statistics the forward normalised with (`2·C` floats); and the
/// buffers its output, input gradient and scratch space are written into. All are reused from
/// step to step.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::{BatchNorm1d, BatchNormCtx};
/// use fusenet_runtime::Tensor;
/// let bn = BatchNorm1d::<1>::new(); // training mode: batch statistics
/// let mut ctx = BatchNormCtx::default();
/// let y = bn.forward_train(&Tensor::from_vec(vec![1.0f32, 3.0], &[2, 1]), &mut ctx);
/// assert!((y.to_vec::<f32>()[1] - 1.0).abs() < 1e-5);
/// // A constant gradient is removed by the mean: ∂L/∂x = 0.
/// let gx = bn.backward(&mut ctx, &Tensor::ones(&[2, 1]), true).unwrap();
/// assert!(gx.to_vec::<f32>().iter().all(|v| v.abs() < 1e-6));
/// assert_eq!(bn.bias.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), [2.0]);
/// ```
#[derive(Default)]
pub struct BatchNormCtx {
    /// The (contiguous) input, its geometry and `eps`.
    saved: Option<(Tensor, BatchNormGeom, f64)>,
    /// Whether `a`, `b` hold the batch's (mean, invstd) or the running (mean, var).
    batch_stats: bool,
    a: Vec<f32>,
    b: Vec<f32>,
    scratch: Vec<f32>,
    bufs: StepBuffers,
}

impl std::fmt::Debug for BatchNormCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchNormCtx").field("saved", &self.saved).field("batch_stats", &self.batch_stats).finish_non_exhaustive()
    }
}

/// The backward shared by both batch-norm layers.
fn backward(name: &str, ctx: &mut BatchNormCtx, weight: Option<&Param>, bias: Option<&Param>, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
    let (x, g, eps) = ctx.saved.take().unwrap_or_else(|| {
        panic!("{name}::backward: nothing saved; call forward_train first (and backward once per forward_train)")
    });
    check_grad_out(name, x.shape(), grad_out);
    let wants_param_grad = weight.is_some_and(Param::requires_grad) || bias.is_some_and(Param::requires_grad);
    if !need_input_grad && !wants_param_grad {
        return None;
    }
    let stats = if ctx.batch_stats {
        BatchNormStats::Batch { mean: &ctx.a, invstd: &ctx.b }
    } else {
        BatchNormStats::Running { mean: &ctx.a, var: &ctx.b, eps }
    };
    let w = param_value(weight);
    let gy = contiguous_in(grad_out, &mut ctx.bufs.grad_copy);
    let dx = need_input_grad.then(|| ctx.bufs.grad.out(x.shape()));
    ctx.scratch.resize(batch_norm_backward_scratch_len(&g), 0.0);
    let scratch = &mut ctx.scratch;
    with_grad_slice(weight, |dw| {
        with_grad_slice(bias, |db| {
            with_opt_slice(w.as_ref(), |ws| {
                with_two_slices::<f32, f32, _>(&x, &gy, |xs, gs| match &dx {
                    Some(dx) => dx.with_slice_mut::<f32, _>(|d| batch_norm_backward(&g, stats, xs, ws, gs, scratch, Some(d), dw, db)),
                    None => batch_norm_backward(&g, stats, xs, ws, gs, scratch, None, dw, db),
                })
            })
        })
    });
    dx
}

macro_rules! batch_norm_layer {
    ($name:ident, $dims:expr) => {
        /// `forward` is the eager forward: in training mode it normalises with the batch
        /// statistics and updates the running statistics (as PyTorch's `bn(x)` under
        /// `torch.no_grad()` in training mode). `forward_train` does the same, once, and saves the
        /// input and the statistics. `backward` differentiates through the batch statistics
        /// (`∂L/∂x = γr/M·(M·g − Σg − x̂·Σ(g·x̂))`, `M = N·L` values per channel) when the forward
        /// used them, and through the constant running statistics (`∂L/∂x = γr·g`) in evaluation
        /// mode; it adds `Σ g·x̂` into `weight.grad` and `Σ g` into `bias.grad`.
        impl<const C: usize> crate::module::Layer for $name<C> {
            type Ctx = BatchNormCtx;

            const IN_DIMS: &'static [usize] = $dims;
            const OUT_DIMS: &'static [usize] = $dims;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut BatchNormCtx) -> Tensor {
                ctx.saved = None;
                let g = self.geom(x);
                let x = contiguous_in(x, &mut ctx.bufs.input_copy);
                let y = ctx.bufs.out.out(x.shape());
                ctx.batch_stats = y.with_slice_mut::<f32, _>(|ys| self.forward_into(&g, &x, ys, &mut ctx.a, &mut ctx.b));
                ctx.saved = Some((x, g, self.options.eps));
                y
            }

            fn backward(&self, ctx: &mut BatchNormCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                backward(stringify!($name), ctx, self.weight.as_ref(), self.bias.as_ref(), grad_out, need_input_grad)
            }
        }
    };
}

// `[N, C]` or `[N, C, L]`: the channel dim has no fixed place from the end, so nothing is static.
batch_norm_layer!(BatchNorm1d, &[]);
// `[N, C, H, W]`: `C` channels, checked by `network!` at type-check time.
batch_norm_layer!(BatchNorm2d, &[crate::module::shape::ANY, C, crate::module::shape::ANY, crate::module::shape::ANY]);

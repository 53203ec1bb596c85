//! `Conv1d`, `Conv2d`, `Conv3d`: PyTorch's `nn.Conv1d/2d/3d` (zero padding), on the batched
//! im2col kernel of `fusenet_kernels::ops::conv`. The `Layer` impls keep their output, input
//! gradient and scratch in [`ConvCtx`], so a steady-state training step allocates nothing.

pub(crate) mod grad;
mod layer;
mod size;

pub use layer::ConvCtx;
pub use size::SizeArg;
pub(crate) use size::py_tuple;

use crate::init;
use crate::module::{Module, Visitor, VisitorMut};
use crate::param::Param;
use crate::tensor::Tensor;
use grad::{value_f32, with_grad_slice};
use crate::tensor::Dims;
use fusenet_kernels::ops::conv::{ConvGeom, conv_backward, conv_forward, conv_scratch_len};

/// The keyword arguments of a convolution (PyTorch's defaults: `stride=1, padding=0,
/// dilation=1, groups=1, bias=True`), set with builder methods.
///
/// ```
/// use fusenet_runtime::nn::{Conv2d, ConvOptions};
/// let conv = Conv2d::<4, 8, 3>::with_options(ConvOptions::default().stride(2).padding(1).groups(2).bias(false));
/// assert_eq!(conv.weight.shape(), &[8, 2, 3, 3]);
/// assert_eq!(conv.to_string(), "Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvOptions<const D: usize> {
    pub stride: [usize; D],
    pub padding: [usize; D],
    pub dilation: [usize; D],
    pub groups: usize,
    pub bias: bool,
}

impl<const D: usize> Default for ConvOptions<D> {
    fn default() -> Self {
        ConvOptions { stride: [1; D], padding: [0; D], dilation: [1; D], groups: 1, bias: true }
    }
}

impl<const D: usize> ConvOptions<D> {
    /// `stride=` (an int, or one per axis).
    pub fn stride(mut self, s: impl Into<SizeArg<D>>) -> Self {
        self.stride = s.into().expand();
        self
    }
    /// `padding=` (zeros on both sides).
    pub fn padding(mut self, p: impl Into<SizeArg<D>>) -> Self {
        self.padding = p.into().expand();
        self
    }
    /// `dilation=`.
    pub fn dilation(mut self, d: impl Into<SizeArg<D>>) -> Self {
        self.dilation = d.into().expand();
        self
    }
    /// `groups=`.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
    /// `bias=`.
    pub fn bias(mut self, on: bool) -> Self {
        self.bias = on;
        self
    }
}

/// Everything a convolution call needs besides its tensors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvSpec<const D: usize> {
    pub name: &'static str,
    pub c_in: usize,
    pub c_out: usize,
    pub kernel: [usize; D],
    pub stride: [usize; D],
    pub padding: [usize; D],
    pub dilation: [usize; D],
    pub groups: usize,
}

impl<const D: usize> ConvSpec<D> {
    fn weight_shape(&self) -> Vec<usize> {
        let mut s = vec![self.c_out, self.c_in / self.groups];
        s.extend_from_slice(&self.kernel);
        s
    }

    /// The kernel geometry for an input of `shape` (`[N, C_in, *spatial]`, or unbatched
    /// `[C_in, *spatial]`), and whether it is batched. Panics in PyTorch's words.
    fn geom(&self, shape: &[usize]) -> (ConvGeom<D>, bool) {
        let batched = shape.len() == D + 2;
        assert!(
            batched || shape.len() == D + 1,
            "Expected {}D (unbatched) or {}D (batched) input to {}, but got input of size: {shape:?}",
            D + 1,
            D + 2,
            self.name.to_lowercase()
        );
        let (n, rest) = if batched { (shape[0], &shape[1..]) } else { (1, shape) };
        assert!(
            rest[0] == self.c_in,
            "Given groups={}, weight of size {:?}, expected input{shape:?} to have {} channels, but got {} channels instead",
            self.groups,
            self.weight_shape(),
            self.c_in,
            rest[0]
        );
        let g = ConvGeom {
            n,
            c_in: self.c_in,
            c_out: self.c_out,
            groups: self.groups,
            input: std::array::from_fn(|i| rest[1 + i]),
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
        };
        (g, batched)
    }

    fn out_shape(g: &ConvGeom<D>, batched: bool) -> Dims<usize> {
        let mut s = Dims::new();
        if batched {
            s.push(g.n);
        }
        s.push(g.c_out);
        s.extend_from_slice(&g.output());
        s
    }

    /// The eager forward (allocates its result and scratch).
    pub(crate) fn forward(&self, x: &Tensor, weight: &Param, bias: Option<&Param>) -> Tensor {
        let mut ctx = ConvCtx::default();
        let y = self.forward_train(x, weight, bias, &mut ctx);
        drop(ctx);
        y
    }

    /// The training forward: `y` is written into `ctx.out`, and `x` is saved (a handle).
    pub(crate) fn forward_train(&self, x: &Tensor, weight: &Param, bias: Option<&Param>, ctx: &mut ConvCtx) -> Tensor {
        super::kernel_call::expect_f32(self.name, "input", x);
        let (g, batched) = self.geom(x.shape());
        let x = x.contiguous();
        let w = value_f32(self.name, weight);
        let b = bias.map(|b| value_f32(self.name, b));
        let y = ctx.out.out(&Self::out_shape(&g, batched));
        ctx.scratch.resize(conv_scratch_len(&g), 0.0);
        let scratch = &mut ctx.scratch;
        y.with_slice_mut::<f32, _>(|ys| {
            x.with_slice::<f32, _>(|xs| {
                w.with_slice::<f32, _>(|ws| match &b {
                    Some(b) => b.with_slice::<f32, _>(|bs| conv_forward(&g, xs, ws, Some(bs), ys, scratch)),
                    None => conv_forward(&g, xs, ws, None, ys, scratch),
                })
            })
        });
        ctx.input = Some(x);
        y
    }

    /// The backward of the last `forward_train` on `ctx`: accumulates the parameter gradients,
    /// returns `∂L/∂x` (written into `ctx.grad_in`) when asked.
    pub(crate) fn backward(&self, ctx: &mut ConvCtx, weight: &Param, bias: Option<&Param>, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
        let x = ctx.take(self.name);
        let (g, batched) = self.geom(x.shape());
        let want = Self::out_shape(&g, batched);
        assert!(
            grad_out.shape() == &want[..],
            "{}::backward: the input had shape {:?}, so the gradient must have shape {want:?}, got {:?}",
            self.name,
            x.shape(),
            grad_out.shape()
        );
        super::kernel_call::expect_f32(self.name, "gradient", grad_out);
        let gy = grad_out.contiguous();
        let w = value_f32(self.name, weight);
        let dx = need_input_grad.then(|| ctx.grad_in.out(x.shape()));
        ctx.scratch.resize(conv_scratch_len(&g), 0.0);
        let scratch = &mut ctx.scratch;
        let mut run = |dx: Option<&mut [f32]>, dw: Option<&mut [f32]>, db: Option<&mut [f32]>| {
            w.with_slice::<f32, _>(|ws| {
                gy.with_slice::<f32, _>(|gs| x.with_slice::<f32, _>(|xs| conv_backward(&g, xs, ws, gs, scratch, dx, dw, db)))
            })
        };
        with_grad_slice(Some(weight), |dw| {
            with_grad_slice(bias, |db| match &dx {
                Some(dx) => dx.with_slice_mut::<f32, _>(|d| run(Some(d), dw, db)),
                None => run(None, dw, db),
            })
        });
        dx
    }
}

/// PyTorch's `ConvNd.extra_repr`: defaults other than the stride are left out.
fn extra_repr<const D: usize>(c_in: usize, c_out: usize, kernel: [usize; D], o: &ConvOptions<D>) -> String {
    let mut s = format!("{c_in}, {c_out}, kernel_size={}, stride={}", py_tuple(&kernel), py_tuple(&o.stride));
    if o.padding != [0; D] {
        s += &format!(", padding={}", py_tuple(&o.padding));
    }
    if o.dilation != [1; D] {
        s += &format!(", dilation={}", py_tuple(&o.dilation));
    }
    if o.groups != 1 {
        s += &format!(", groups={}", o.groups);
    }
    if !o.bias {
        s += ", bias=False";
    }
    s
}

macro_rules! conv_layer {
    ($(#[$doc:meta])* $name:ident, $d:literal, [$($k:ident $(= $def:ident)?),+]) => {
        $(#[$doc])*
        pub struct $name<const C_IN: usize, const C_OUT: usize, $(const $k: usize $(= $def)?),+> {
            /// `[C_OUT, C_IN/groups, *kernel]`.
            pub weight: Param,
            /// `[C_OUT]`, or `None` for `bias=False`.
            pub bias: Option<Param>,
            /// The stride, padding and dilation (free to change: they do not touch the parameters).
            pub stride: [usize; $d],
            pub padding: [usize; $d],
            pub dilation: [usize; $d],
            groups: usize,
        }

        impl<const C_IN: usize, const C_OUT: usize, $(const $k: usize),+> $name<C_IN, C_OUT, $($k),+> {
            /// The kernel size.
            pub const KERNEL: [usize; $d] = [$($k),+];

            /// `nn.Conv…(C_IN, C_OUT, kernel)` with PyTorch's defaults and initialisation.
            pub fn new() -> Self {
                Self::with_options(ConvOptions::default())
            }

            /// The layer with the given options; panics when `groups` does not divide both
            /// channel counts (PyTorch's ValueError).
            pub fn with_options(o: ConvOptions<$d>) -> Self {
                assert!(o.groups > 0, "groups must be a positive integer");
                assert!(C_IN % o.groups == 0, "in_channels must be divisible by groups (in_channels={C_IN}, groups={})", o.groups);
                assert!(C_OUT % o.groups == 0, "out_channels must be divisible by groups (out_channels={C_OUT}, groups={})", o.groups);
                let mut shape = vec![C_OUT, C_IN / o.groups];
                shape.extend_from_slice(&Self::KERNEL);
                let conv = $name {
                    weight: Param::new(Tensor::zeros(&shape)),
                    bias: o.bias.then(|| Param::new(Tensor::zeros(&[C_OUT]))),
                    stride: o.stride,
                    padding: o.padding,
                    dilation: o.dilation,
                    groups: o.groups,
                };
                conv.reset_parameters();
                conv
            }

            /// `stride=` (an int or one per axis).
            pub fn stride(mut self, s: impl Into<SizeArg<$d>>) -> Self {
                self.stride = s.into().expand();
                self
            }

            /// `padding=` (zeros).
            pub fn padding(mut self, p: impl Into<SizeArg<$d>>) -> Self {
                self.padding = p.into().expand();
                self
            }

            /// `dilation=`.
            pub fn dilation(mut self, d: impl Into<SizeArg<$d>>) -> Self {
                self.dilation = d.into().expand();
                self
            }

            /// `groups` (fixed at construction: it sets the weight's shape).
            pub fn groups(&self) -> usize {
                self.groups
            }

            /// The options this layer runs with.
            pub fn options(&self) -> ConvOptions<$d> {
                ConvOptions { stride: self.stride, padding: self.padding, dilation: self.dilation, groups: self.groups, bias: self.bias.is_some() }
            }

            /// PyTorch's `reset_parameters`: `kaiming_uniform_(weight, a=√5)`, then the bias from
            /// U(−1/√fan_in, 1/√fan_in) with `fan_in = C_IN/groups·∏kernel`.
            pub fn reset_parameters(&self) {
                init::kaiming_uniform_(&self.weight, 5f64.sqrt(), init::FanMode::FanIn, init::Nonlinearity::LeakyRelu);
                if let Some(b) = &self.bias {
                    let (fan_in, _) = init::calculate_fan_in_and_fan_out(self.weight.shape());
                    let bound = if fan_in > 0 { 1.0 / (fan_in as f64).sqrt() } else { 0.0 };
                    init::uniform_(b, -bound, bound);
                }
            }

            pub(crate) fn spec(&self) -> ConvSpec<$d> {
                ConvSpec {
                    name: stringify!($name),
                    c_in: C_IN,
                    c_out: C_OUT,
                    kernel: Self::KERNEL,
                    stride: self.stride,
                    padding: self.padding,
                    dilation: self.dilation,
                    groups: self.groups,
                }
            }

            /// The eager forward on `[N, C_IN, *spatial]` (or unbatched `[C_IN, *spatial]`);
            /// panics, in PyTorch's words, on a wrong rank or channel count or a kernel larger
            /// than the padded input.
            pub fn forward(&self, x: &Tensor) -> Tensor {
                self.spec().forward(x, &self.weight, self.bias.as_ref())
            }
        }

        impl<const C_IN: usize, const C_OUT: usize, $(const $k: usize),+> Default for $name<C_IN, C_OUT, $($k),+> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<const C_IN: usize, const C_OUT: usize, $(const $k: usize),+> Module for $name<C_IN, C_OUT, $($k),+> {
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
                stringify!($name)
            }
            fn extra_repr(&self) -> String {
                extra_repr(C_IN, C_OUT, Self::KERNEL, &self.options())
            }
            fn share(&self) -> Self {
                $name {
                    weight: self.weight.share(),
                    bias: self.bias.as_ref().map(Param::share),
                    stride: self.stride,
                    padding: self.padding,
                    dilation: self.dilation,
                    groups: self.groups,
                }
            }
            crate::__module_boilerplate!();
        }

        impl<const C_IN: usize, const C_OUT: usize, $(const $k: usize),+> crate::module::ConstKeys for $name<C_IN, C_OUT, $($k),+> {
            const STATE_DICT_KEYS: Option<&'static [&'static str]> = Some(&["weight", "bias"]); // `new()` has a bias
        }

        impl<const C_IN: usize, const C_OUT: usize, $(const $k: usize),+> std::fmt::Display for $name<C_IN, C_OUT, $($k),+> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::module::fmt_module(self, f)
            }
        }

        impl<const C_IN: usize, const C_OUT: usize, $(const $k: usize),+> crate::module::Layer for $name<C_IN, C_OUT, $($k),+> {
            type Ctx = ConvCtx;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut ConvCtx) -> Tensor {
                self.spec().forward_train(x, &self.weight, self.bias.as_ref(), ctx)
            }

            fn backward(&self, ctx: &mut ConvCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                self.spec().backward(ctx, &self.weight, self.bias.as_ref(), grad_out, need_input_grad)
            }
        }
    };
}

conv_layer!(
    /// A 1-d convolution, PyTorch's `nn.Conv1d(C_IN, C_OUT, K)`, over `[N, C_IN, L]`:
    /// `y[n, o, l] = b[o] + Σ_{c, k} W[o, c, k] · x[n, g·C_IN/groups + c, l·stride − padding + k·dilation]`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::Conv1d;
    /// let conv = Conv1d::<4, 8, 3>::new().padding(1);
    /// assert_eq!(conv.to_string(), "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=(1,))");
    /// assert_eq!(conv.forward(&Tensor::ones(&[2, 4, 10])).shape(), &[2, 8, 10]);
    /// ```
    Conv1d, 1, [K]
);

conv_layer!(
    /// A 2-d convolution, PyTorch's `nn.Conv2d(C_IN, C_OUT, K)`, over `[N, C_IN, H, W]`; the kernel
    /// is `KH×KW` (`KW` defaults to `KH`: `Conv2d<1, 6, 5>` is `nn.Conv2d(1, 6, 5)`,
    /// `Conv2d<1, 6, 3, 5>` is `nn.Conv2d(1, 6, (3, 5))`).
    ///
    /// Initialised as PyTorch does (`kaiming_uniform_(weight, a=√5)`, then the bias), drawing in
    /// PyTorch's order, so seeded weights equal `torch.manual_seed(s); nn.Conv2d(...)`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor, manual_seed};
    /// use fusenet_runtime::nn::Conv2d;
    /// manual_seed(0);
    /// let conv = Conv2d::<1, 6, 5>::new();
    /// assert_eq!(conv.to_string(), "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))");
    /// assert_eq!(conv.weight.shape(), &[6, 1, 5, 5]);
    /// let y = conv.forward(&Tensor::zeros(&[64, 1, 28, 28]));
    /// assert_eq!(y.shape(), &[64, 6, 24, 24]);
    /// let strided = Conv2d::<3, 16, 3>::new().stride(2).padding(1);
    /// assert_eq!(strided.forward(&Tensor::zeros(&[3, 32, 32])).shape(), &[16, 16, 16]); // unbatched
    /// ```
    Conv2d, 2, [KH, KW = KH]
);

conv_layer!(
    /// A 3-d convolution, PyTorch's `nn.Conv3d(C_IN, C_OUT, K)`, over `[N, C_IN, D, H, W]`
    /// (`KD×KH×KW`, `KH` and `KW` default to `KD`).
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::Conv3d;
    /// let conv = Conv3d::<2, 4, 3>::new().padding(1);
    /// assert_eq!(conv.to_string(), "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))");
    /// assert_eq!(conv.forward(&Tensor::ones(&[1, 2, 4, 5, 6])).shape(), &[1, 4, 4, 5, 6]);
    /// ```
    Conv3d, 3, [KD, KH = KD, KW = KH]
);

#[cfg(test)]
mod tests;

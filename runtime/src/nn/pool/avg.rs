//! `AvgPool1d/2d/3d`: PyTorch's `nn.AvgPool*d(kernel_size, stride=None, padding=0,
//! ceil_mode=False, count_include_pad=True, divisor_override=None)`.

use super::{PoolCtx, check_grad, geom, out_shape};
use crate::nn::SizeArg;
use crate::nn::conv::py_tuple;
use crate::nn::kernel_call::expect_f32;
use crate::tensor::Tensor;
use fusenet_kernels::ops::pool::PoolGeom;
use fusenet_kernels::ops::pool::avg::{AvgPoolOptions, avg_pool_backward, avg_pool_forward};

macro_rules! avg_pool {
    ($(#[$doc:meta])* $name:ident, $d:literal, $tuples:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            pub kernel_size: SizeArg<$d>,
            /// `None` is PyTorch's default: the kernel size.
            pub stride: Option<SizeArg<$d>>,
            pub padding: SizeArg<$d>,
            pub ceil_mode: bool,
            pub count_include_pad: bool,
            pub divisor_override: Option<usize>,
        }

        impl $name {
            /// `nn.AvgPool…(kernel_size)` with PyTorch's defaults.
            pub fn new(kernel_size: impl Into<SizeArg<$d>>) -> Self {
                $name {
                    kernel_size: kernel_size.into(),
                    stride: None,
                    padding: SizeArg::Int(0),
                    ceil_mode: false,
                    count_include_pad: true,
                    divisor_override: None,
                }
            }
            /// `stride=`.
            pub fn stride(mut self, s: impl Into<SizeArg<$d>>) -> Self {
                self.stride = Some(s.into());
                self
            }
            /// `padding=` (zeros).
            pub fn padding(mut self, p: impl Into<SizeArg<$d>>) -> Self {
                self.padding = p.into();
                self
            }
            /// `ceil_mode=`.
            pub fn ceil_mode(mut self, on: bool) -> Self {
                self.ceil_mode = on;
                self
            }
            /// `count_include_pad=`.
            pub fn count_include_pad(mut self, on: bool) -> Self {
                self.count_include_pad = on;
                self
            }
            /// `divisor_override=`.
            pub fn divisor_override(mut self, d: usize) -> Self {
                self.divisor_override = Some(d);
                self
            }

            fn geom(&self, shape: &[usize]) -> PoolGeom<$d> {
                let k = self.kernel_size.expand();
                let s = self.stride.map_or(k, SizeArg::expand);
                geom(stringify!($name), shape, k, s, self.padding.expand(), [1; $d], self.ceil_mode)
            }

            fn options(&self) -> AvgPoolOptions {
                AvgPoolOptions { count_include_pad: self.count_include_pad, divisor_override: self.divisor_override }
            }

            /// The eager forward on `[N, C, *spatial]` or `[C, *spatial]`.
            pub fn forward(&self, x: &Tensor) -> Tensor {
                expect_f32(stringify!($name), "input", x);
                let g = self.geom(x.shape());
                let x = x.contiguous();
                let mut y = vec![0f32; g.planes() * g.out_plane()];
                x.with_slice::<f32, _>(|xs| avg_pool_forward(&g, self.options(), xs, &mut y));
                Tensor::from_vec(y, &out_shape(x.shape(), g.output()))
            }
        }

        hyper_module!($name, stringify!($name), |s| {
            let stride = s.stride.unwrap_or(s.kernel_size);
            // AvgPool1d stores `_single(...)` tuples; the others keep what was given.
            let show = |a: SizeArg<$d>| if $tuples { py_tuple(&a.expand()) } else { a.to_string() };
            format!("kernel_size={}, stride={}, padding={}", show(s.kernel_size), show(stride), show(s.padding))
        });

        impl crate::module::Layer for $name {
            type Ctx = PoolCtx;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut PoolCtx) -> Tensor {
                expect_f32(stringify!($name), "input", x);
                let g = self.geom(x.shape());
                let x = x.contiguous();
                let y = ctx.out.out(&out_shape(x.shape(), g.output()));
                y.with_slice_mut::<f32, _>(|ys| x.with_slice::<f32, _>(|xs| avg_pool_forward(&g, self.options(), xs, ys)));
                ctx.save_shape(&x);
                y
            }

            fn backward(&self, ctx: &mut PoolCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                let shape = ctx.take(stringify!($name));
                if !need_input_grad {
                    return None;
                }
                let g = self.geom(&shape);
                check_grad(stringify!($name), &shape, &out_shape(&shape, g.output()), grad_out);
                let dx = ctx.grad_in.out(&shape);
                let gy = grad_out.contiguous();
                dx.with_slice_mut::<f32, _>(|d| gy.with_slice::<f32, _>(|gs| avg_pool_backward(&g, self.options(), gs, d)));
                Some(dx)
            }
        }
    };
}

avg_pool!(
    /// Average pooling over `[N, C, L]`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::AvgPool1d;
    /// let pool = AvgPool1d::new(2);
    /// assert_eq!(pool.to_string(), "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))");
    /// let y = pool.forward(&Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0, 5.0], &[1, 5]));
    /// assert_eq!(y.to_vec::<f32>(), [2.0, 1.0]);
    /// ```
    AvgPool1d, 1, true
);

avg_pool!(
    /// Average pooling over `[N, C, H, W]`, PyTorch's `nn.AvgPool2d`: each window's sum divided by
    /// its size inside the padded input (`count_include_pad`), by its size inside the input
    /// (`count_include_pad(false)`), or by `divisor_override`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::AvgPool2d;
    /// let pool = AvgPool2d::new(2);
    /// assert_eq!(pool.to_string(), "AvgPool2d(kernel_size=2, stride=2, padding=0)");
    /// let y = pool.forward(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]));
    /// assert_eq!(y.to_vec::<f32>(), [2.5]);
    /// ```
    AvgPool2d, 2, false
);

avg_pool!(
    /// Average pooling over `[N, C, D, H, W]`, PyTorch's `nn.AvgPool3d`.
    AvgPool3d, 3, false
);

//! `MaxPool1d/2d/3d`: PyTorch's `nn.MaxPool*d(kernel_size, stride=None, padding=0, dilation=1,
//! ceil_mode=False)`.

use super::{PoolCtx, check_grad, geom, out_shape, py_bool};
use crate::nn::SizeArg;
use crate::nn::kernel_call::expect_f32;
use crate::tensor::Tensor;
use fusenet_kernels::ops::pool::PoolGeom;
use fusenet_kernels::ops::pool::max::{max_pool_backward, max_pool_forward};

macro_rules! max_pool {
    ($(#[$doc:meta])* $name:ident, $d:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            pub kernel_size: SizeArg<$d>,
            /// `None` is PyTorch's default: the kernel size.
            pub stride: Option<SizeArg<$d>>,
            pub padding: SizeArg<$d>,
            pub dilation: SizeArg<$d>,
            pub ceil_mode: bool,
        }

        impl $name {
            /// `nn.MaxPool…(kernel_size)`: stride = kernel size, no padding, dilation 1.
            pub fn new(kernel_size: impl Into<SizeArg<$d>>) -> Self {
                $name { kernel_size: kernel_size.into(), stride: None, padding: SizeArg::Int(0), dilation: SizeArg::Int(1), ceil_mode: false }
            }
            /// `stride=`.
            pub fn stride(mut self, s: impl Into<SizeArg<$d>>) -> Self {
                self.stride = Some(s.into());
                self
            }
            /// `padding=` (implicit −∞).
            pub fn padding(mut self, p: impl Into<SizeArg<$d>>) -> Self {
                self.padding = p.into();
                self
            }
            /// `dilation=`.
            pub fn dilation(mut self, d: impl Into<SizeArg<$d>>) -> Self {
                self.dilation = d.into();
                self
            }
            /// `ceil_mode=`.
            pub fn ceil_mode(mut self, on: bool) -> Self {
                self.ceil_mode = on;
                self
            }

            fn geom(&self, shape: &[usize]) -> PoolGeom<$d> {
                let k = self.kernel_size.expand();
                let s = self.stride.map_or(k, SizeArg::expand);
                geom(stringify!($name), shape, k, s, self.padding.expand(), self.dilation.expand(), self.ceil_mode)
            }

            /// `(y, indices)`: the pooled input and the flat argmax of each output in its plane.
            pub fn forward_with_indices(&self, x: &Tensor) -> (Tensor, Vec<i64>) {
                expect_f32(stringify!($name), "input", x);
                let g = self.geom(x.shape());
                let x = x.contiguous();
                let len = g.planes() * g.out_plane();
                let (mut y, mut idx) = (vec![0f32; len], vec![0i64; len]);
                x.with_slice::<f32, _>(|xs| max_pool_forward(&g, xs, &mut y, &mut idx));
                (Tensor::from_vec(y, &out_shape(x.shape(), g.output())), idx)
            }

            /// The eager forward on `[N, C, *spatial]` or `[C, *spatial]`.
            pub fn forward(&self, x: &Tensor) -> Tensor {
                self.forward_with_indices(x).0
            }
        }

        hyper_module!($name, stringify!($name), |s| {
            format!(
                "kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                s.kernel_size,
                s.stride.unwrap_or(s.kernel_size),
                s.padding,
                s.dilation,
                py_bool(s.ceil_mode)
            )
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
                ctx.indices.resize(y.numel(), 0);
                let idx = &mut ctx.indices;
                y.with_slice_mut::<f32, _>(|ys| x.with_slice::<f32, _>(|xs| max_pool_forward(&g, xs, ys, idx)));
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
                let idx = &ctx.indices;
                let gy = grad_out.contiguous();
                dx.with_slice_mut::<f32, _>(|d| gy.with_slice::<f32, _>(|gs| max_pool_backward(&g, idx, gs, d)));
                Some(dx)
            }
        }
    };
}

max_pool!(
    /// Max pooling over `[N, C, L]`: `y[n, c, o] = max_k x[n, c, o·stride − padding + k·dilation]`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::MaxPool1d;
    /// let pool = MaxPool1d::new(2);
    /// assert_eq!(pool.to_string(), "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
    /// let y = pool.forward(&Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0, 5.0], &[1, 1, 5]));
    /// assert_eq!(y.to_vec::<f32>(), [3.0, 2.0]);
    /// ```
    MaxPool1d, 1
);

max_pool!(
    /// Max pooling over `[N, C, H, W]`, PyTorch's `nn.MaxPool2d`: ties go to the first maximum in
    /// row-major order and NaN propagates, as PyTorch's CPU kernel.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::MaxPool2d;
    /// let pool = MaxPool2d::new(2);
    /// assert_eq!(pool.to_string(), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
    /// assert_eq!(pool.forward(&Tensor::zeros(&[64, 6, 24, 24])).shape(), &[64, 6, 12, 12]);
    /// let odd = MaxPool2d::new([2, 3]).stride(1).padding(1).ceil_mode(true);
    /// assert_eq!(odd.to_string(), "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=1, ceil_mode=True)");
    /// ```
    MaxPool2d, 2
);

max_pool!(
    /// Max pooling over `[N, C, D, H, W]`, PyTorch's `nn.MaxPool3d`.
    MaxPool3d, 3
);

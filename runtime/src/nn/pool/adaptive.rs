//! `AdaptiveAvgPool1d/2d/3d`: PyTorch's `nn.AdaptiveAvgPool*d(output_size)`.

use super::{PoolCtx, check_grad, out_shape, split_shape};
use crate::nn::kernel_call::expect_f32;
use crate::tensor::Tensor;
use fusenet_kernels::ops::pool::avg::{adaptive_avg_pool_backward, adaptive_avg_pool_forward};

/// The target size of an adaptive pool: one int for every axis, or one per axis where `None`
/// keeps the input's size on that axis (PyTorch's `(None, 7)`).
///
/// ```
/// use fusenet_runtime::nn::OutputSize;
/// assert_eq!(OutputSize::<2>::from(5).to_string(), "5");
/// assert_eq!(OutputSize::from([None, Some(3)]).to_string(), "(None, 3)");
/// assert_eq!(OutputSize::from([None, Some(3)]).resolve([8, 9]), [8, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputSize<const D: usize> {
    Int(usize),
    Tuple([Option<usize>; D]),
}

impl<const D: usize> OutputSize<D> {
    /// The output size for an input of spatial size `input`.
    pub fn resolve(self, input: [usize; D]) -> [usize; D] {
        match self {
            OutputSize::Int(v) => [v; D],
            OutputSize::Tuple(t) => std::array::from_fn(|i| t[i].unwrap_or(input[i])),
        }
    }
}

impl<const D: usize> From<usize> for OutputSize<D> {
    fn from(v: usize) -> Self {
        OutputSize::Int(v)
    }
}

impl<const D: usize> From<[usize; D]> for OutputSize<D> {
    fn from(t: [usize; D]) -> Self {
        OutputSize::Tuple(t.map(Some))
    }
}

impl<const D: usize> From<[Option<usize>; D]> for OutputSize<D> {
    fn from(t: [Option<usize>; D]) -> Self {
        OutputSize::Tuple(t)
    }
}

impl<const D: usize> std::fmt::Display for OutputSize<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputSize::Int(v) => write!(f, "{v}"),
            OutputSize::Tuple(t) => {
                let items: Vec<String> = t.iter().map(|o| o.map_or("None".to_string(), |v| v.to_string())).collect();
                if D == 1 { write!(f, "({},)", items[0]) } else { write!(f, "({})", items.join(", ")) }
            }
        }
    }
}

macro_rules! adaptive_avg_pool {
    ($(#[$doc:meta])* $name:ident, $d:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            pub output_size: OutputSize<$d>,
        }

        impl $name {
            /// `nn.AdaptiveAvgPool…(output_size)`.
            pub fn new(output_size: impl Into<OutputSize<$d>>) -> Self {
                $name { output_size: output_size.into() }
            }

            fn sizes(&self, shape: &[usize]) -> (usize, [usize; $d], [usize; $d]) {
                let (n, c, input) = split_shape::<$d>(stringify!($name), shape);
                let output = self.output_size.resolve(input);
                assert!(output.iter().all(|&o| o > 0), "{}: output_size must be positive, got {}", stringify!($name), self.output_size);
                (n * c, input, output)
            }

            /// The eager forward on `[N, C, *spatial]` or `[C, *spatial]`.
            pub fn forward(&self, x: &Tensor) -> Tensor {
                expect_f32(stringify!($name), "input", x);
                let (planes, input, output) = self.sizes(x.shape());
                let x = x.contiguous();
                let mut y = vec![0f32; planes * output.iter().product::<usize>()];
                x.with_slice::<f32, _>(|xs| adaptive_avg_pool_forward(planes, input, output, xs, &mut y));
                Tensor::from_vec(y, &out_shape(x.shape(), output))
            }
        }

        hyper_module!($name, stringify!($name), |s| {
            format!("output_size={}", s.output_size)
        });

        impl crate::module::Layer for $name {
            type Ctx = PoolCtx;

            fn forward(&self, x: &Tensor) -> Tensor {
                $name::forward(self, x)
            }

            fn forward_train(&self, x: &Tensor, ctx: &mut PoolCtx) -> Tensor {
                expect_f32(stringify!($name), "input", x);
                let (planes, input, output) = self.sizes(x.shape());
                let x = x.contiguous();
                let y = ctx.out.out(&out_shape(x.shape(), output));
                y.with_slice_mut::<f32, _>(|ys| x.with_slice::<f32, _>(|xs| adaptive_avg_pool_forward(planes, input, output, xs, ys)));
                ctx.save_shape(&x);
                y
            }

            fn backward(&self, ctx: &mut PoolCtx, grad_out: &Tensor, need_input_grad: bool) -> Option<Tensor> {
                let shape = ctx.take(stringify!($name));
                if !need_input_grad {
                    return None;
                }
                let (planes, input, output) = self.sizes(&shape);
                check_grad(stringify!($name), &shape, &out_shape(&shape, output), grad_out);
                let dx = ctx.grad_in.out(&shape);
                let gy = grad_out.contiguous();
                dx.with_slice_mut::<f32, _>(|d| gy.with_slice::<f32, _>(|gs| adaptive_avg_pool_backward(planes, input, output, gs, d)));
                Some(dx)
            }
        }
    };
}

adaptive_avg_pool!(
    /// Adaptive average pooling over `[N, C, L]` to `output_size`: window `o` is
    /// `[⌊o·L/O⌋, ⌈(o+1)·L/O⌉)`.
    AdaptiveAvgPool1d, 1
);

adaptive_avg_pool!(
    /// Adaptive average pooling over `[N, C, H, W]`, PyTorch's `nn.AdaptiveAvgPool2d`: window
    /// `o` along an axis of length `I` pooled to `O` is `[⌊o·I/O⌋, ⌈(o+1)·I/O⌉)`.
    ///
    /// ```
    /// use fusenet_runtime::{Module, Tensor};
    /// use fusenet_runtime::nn::AdaptiveAvgPool2d;
    /// let gap = AdaptiveAvgPool2d::new(1); // global average pooling
    /// assert_eq!(gap.to_string(), "AdaptiveAvgPool2d(output_size=1)");
    /// let y = gap.forward(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 6.0], &[1, 1, 2, 2]));
    /// assert_eq!((y.shape(), y.to_vec::<f32>()), (&[1usize, 1, 1, 1][..], vec![3.0]));
    /// assert_eq!(AdaptiveAvgPool2d::new([5, 7]).to_string(), "AdaptiveAvgPool2d(output_size=(5, 7))");
    /// ```
    AdaptiveAvgPool2d, 2
);

adaptive_avg_pool!(
    /// Adaptive average pooling over `[N, C, D, H, W]`, PyTorch's `nn.AdaptiveAvgPool3d`.
    AdaptiveAvgPool3d, 3
);

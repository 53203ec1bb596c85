//! Elementwise unary ops: their backward, and the forward of `gelu`, `leaky_relu` and `erf`
//! (which the eager tensor API lacks).
//!
//! Each backward takes what PyTorch's saves: the input `x` or the output `y` (named in the doc),
//! and the incoming gradient `g` of the same shape (checked).

use super::elem;
use super::kernel::zip2;
use crate::tensor::{Tensor, elementwise};
use fusenet_kernels::real::erf_f64;


/// The error function `erf x = 2/√π ∫₀ˣ e^(−t²) dt`, elementwise (`torch.erf`), computed in `f64`
/// and rounded once.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::erf};
/// // torch.erf(torch.tensor([0., 0.5, -2.])) = [0.0000, 0.5205, -0.9953]
/// let y = erf(&Tensor::from_vec(vec![0.0f32, 0.5, -2.0], &[3]));
/// assert_eq!(y.to_vec::<f32>(), [0.0, 0.5204999, -0.9953223]);
/// ```
pub fn erf(x: &Tensor) -> Tensor {
    elementwise::map("erf", &x.float(), |v: f32| erf_f64(v as f64) as f32)
}

/// `gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2))`, the exact form (`F.gelu(x)`, `approximate='none'`).
///
/// ```
/// use fusenet_runtime::{Tensor, graph::gelu};
/// // F.gelu(torch.tensor([-1., 0., 2.])) = [-0.1587, 0.0000, 1.9545]
/// let y = gelu(&Tensor::from_vec(vec![-1.0f32, 0.0, 2.0], &[3]));
/// assert!(y.allclose(&Tensor::from_vec(vec![-0.15865526f32, 0.0, 1.9544997], &[3]), 1e-6, 1e-7));
/// ```
pub fn gelu(x: &Tensor) -> Tensor {
    elementwise::map("gelu", &x.float(), elem::gelu)
}

/// Backward of exact [`gelu`] from the input: `∂L/∂x = g·(Φ(x) + x·φ(x))`, with
/// `φ(x) = e^(−x²/2)/√(2π)`.
pub fn gelu_backward(x: &Tensor, g: &Tensor) -> Tensor {
    zip2("gelu_backward", ["x", "grad"], x, g, elem::gelu_grad)
}

/// `leaky_relu(x) = x` for `x > 0`, `slope·x` otherwise (`F.leaky_relu(x, slope)`).
///
/// ```
/// use fusenet_runtime::{Tensor, graph::leaky_relu};
/// let y = leaky_relu(&Tensor::from_vec(vec![-2.0f32, 0.0, 3.0], &[3]), 0.1);
/// assert_eq!(y.to_vec::<f32>(), [-0.2, 0.0, 3.0]);
/// ```
pub fn leaky_relu(x: &Tensor, slope: f32) -> Tensor {
    elementwise::map("leaky_relu", &x.float(), move |v: f32| elem::leaky_relu(v, slope))
}

/// Backward of [`leaky_relu`] from the input: `∂L/∂x = g` where `x > 0`, `slope·g` elsewhere
/// (at `x = 0` too, as PyTorch).
pub fn leaky_relu_backward(x: &Tensor, g: &Tensor, slope: f32) -> Tensor {
    zip2("leaky_relu_backward", ["x", "grad"], x, g, move |x, g| elem::leaky_relu_grad(x, g, slope))
}

/// Backward of `relu`, from either its input or its output (`x > 0 ⇔ y > 0`):
/// `∂L/∂x = 0` where `x ≤ 0`, else `g` (0 at `x = 0`, and `g` at NaN, as PyTorch's
/// `threshold_backward`).
///
/// ```
/// use fusenet_runtime::{Tensor, graph::relu_backward};
/// let y = Tensor::from_vec(vec![0.0f32, 2.0, 0.0], &[3]);
/// let g = Tensor::from_vec(vec![5.0f32, 6.0, 7.0], &[3]);
/// assert_eq!(relu_backward(&y, &g).to_vec::<f32>(), [0.0, 6.0, 0.0]);
/// ```
pub fn relu_backward(x_or_y: &Tensor, g: &Tensor) -> Tensor {
    zip2("relu_backward", ["x", "grad"], x_or_y, g, elem::relu_grad)
}

/// Backward of `sigmoid` from its output: `∂L/∂x = g·y·(1 − y)`.
pub fn sigmoid_backward(y: &Tensor, g: &Tensor) -> Tensor {
    zip2("sigmoid_backward", ["y", "grad"], y, g, elem::sigmoid_grad)
}

/// Backward of `tanh` from its output: `∂L/∂x = g·(1 − y²)`.
pub fn tanh_backward(y: &Tensor, g: &Tensor) -> Tensor {
    zip2("tanh_backward", ["y", "grad"], y, g, elem::tanh_grad)
}

/// Backward of `exp` from its output: `∂L/∂x = g·y`.
pub fn exp_backward(y: &Tensor, g: &Tensor) -> Tensor {
    zip2("exp_backward", ["y", "grad"], y, g, |y, g| g * y)
}

/// Backward of `log` from its input: `∂L/∂x = g / x`.
pub fn log_backward(x: &Tensor, g: &Tensor) -> Tensor {
    zip2("log_backward", ["x", "grad"], x, g, |x, g| g / x)
}

/// Backward of `sqrt` from its output: `∂L/∂x = g / (2y)` (`inf` at `x = 0`, as PyTorch).
pub fn sqrt_backward(y: &Tensor, g: &Tensor) -> Tensor {
    zip2("sqrt_backward", ["y", "grad"], y, g, elem::sqrt_grad)
}

/// Backward of `abs` from its input: `∂L/∂x = g·sign(x)`, 0 at `x = 0` (PyTorch's choice).
pub fn abs_backward(x: &Tensor, g: &Tensor) -> Tensor {
    zip2("abs_backward", ["x", "grad"], x, g, elem::abs_grad)
}

/// Backward of `x.pow(p)` for a scalar exponent, from the input: `∂L/∂x = g·p·x^(p−1)`, and 0
/// everywhere when `p = 0` (PyTorch's special case).
///
/// ```
/// use fusenet_runtime::{Tensor, graph::pow_backward};
/// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
/// assert_eq!(pow_backward(&x, &Tensor::ones(&[2]), 3.0).to_vec::<f32>(), [3.0, 12.0]);
/// ```
pub fn pow_backward(x: &Tensor, g: &Tensor, p: f32) -> Tensor {
    if p == 0.0 {
        super::kernel::same_shape("pow_backward", ["x", "grad"], x, g);
        return Tensor::zeros(g.shape());
    }
    zip2("pow_backward", ["x", "grad"], x, g, move |x, g| elem::pow_grad(x, g, p))
}

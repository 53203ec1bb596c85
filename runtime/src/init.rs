//! Weight initialisation, as `torch.nn.init`.
//!
//! Every function writes in place and draws from this thread's default generator in PyTorch's
//! order, so after [`manual_seed`](crate::manual_seed) the values equal PyTorch's bit for bit.
//! They accept a [`Param`], a [`Buffer`] or a [`Tensor`] (anything [`InitTarget`]).
//!
//! ```
//! use fusenet_runtime::{Param, Tensor, init, manual_seed};
//! manual_seed(0);
//! let w = Param::new(Tensor::zeros(&[2, 3]));
//! init::xavier_uniform_(&w, 1.0);
//! // torch.manual_seed(0); nn.init.xavier_uniform_(torch.empty(2, 3))[0, 0] == -0.0082014
//! assert!((w.value().to_vec::<f32>()[0] - -0.008_201_4).abs() < 1e-6);
//! ```

use crate::param::{Buffer, Param};
use crate::rng::with_default_generator;
use crate::tensor::Tensor;

/// Something whose values an init function can overwrite.
pub trait InitTarget {
    /// A handle onto the storage to write.
    fn target(&self) -> Tensor;
}

impl InitTarget for Tensor {
    fn target(&self) -> Tensor {
        self.shallow_clone()
    }
}

impl InitTarget for Param {
    fn target(&self) -> Tensor {
        self.value()
    }
}

impl InitTarget for Buffer {
    fn target(&self) -> Tensor {
        self.value()
    }
}

impl<T: InitTarget + ?Sized> InitTarget for &T {
    fn target(&self) -> Tensor {
        (**self).target()
    }
}

/// Fills with U(a, b): `nn.init.uniform_(t, a, b)`, drawing as PyTorch does.
pub fn uniform_(t: impl InitTarget, a: f64, b: f64) {
    let t = t.target();
    with_default_generator(|g| t.uniform_with_(a as f32, b as f32, g));
}

/// Fills with N(mean, std²): `nn.init.normal_(t, mean, std)`, drawing as PyTorch does (mean and
/// std stay `f64` on the scalar path below 16 elements, as in PyTorch).
pub fn normal_(t: impl InitTarget, mean: f64, std: f64) {
    let t = t.target();
    assert!(std >= 0.0, "normal_ expects std >= 0.0, but found std {std}");
    with_default_generator(|g| t.normal_f64_with_(mean, std, g));
}

/// Fills with `val`: `nn.init.constant_(t, val)`.
pub fn constant_(t: impl InitTarget, val: f64) {
    t.target().fill_(val as f32);
}

/// Fills with 0.
pub fn zeros_(t: impl InitTarget) {
    constant_(t, 0.0);
}

/// Fills with 1.
pub fn ones_(t: impl InitTarget) {
    constant_(t, 1.0);
}

/// The non-linearities [`calculate_gain`] knows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    Linear,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Sigmoid,
    Tanh,
    Relu,
    /// Its parameter is the negative slope (PyTorch's default 0.01 in `calculate_gain`).
    LeakyRelu,
    Selu,
}

/// The recommended gain for a non-linearity, `nn.init.calculate_gain(nonlinearity, param)`:
/// 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for ReLU, √(2 / (1 + slope²)) for leaky ReLU
/// (slope `param`, 0.01 when `None`), 3/4 for SELU.
///
/// ```
/// use fusenet_runtime::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Relu, None), 2f64.sqrt());
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> f64 {
    use Nonlinearity::*;
    match nonlinearity {
        Linear | Conv1d | Conv2d | Conv3d | ConvTranspose1d | ConvTranspose2d | ConvTranspose3d | Sigmoid => 1.0,
        Tanh => 5.0 / 3.0,
        Relu => 2f64.sqrt(),
        LeakyRelu => {
            let slope = param.unwrap_or(0.01);
            (2.0 / (1.0 + slope * slope)).sqrt()
        }
        Selu => 3.0 / 4.0,
    }
}

/// PyTorch's `_calculate_fan_in_and_fan_out`: for a weight `[out, in, k...]`,
/// `fan_in = in · ∏k` and `fan_out = out · ∏k` (the receptive field of a convolution).
///
/// Panics, as PyTorch does, for fewer than 2 dimensions.
///
/// ```
/// use fusenet_runtime::init::calculate_fan_in_and_fan_out;
/// assert_eq!(calculate_fan_in_and_fan_out(&[8, 4]), (4, 8));
/// assert_eq!(calculate_fan_in_and_fan_out(&[6, 1, 5, 5]), (25, 150));
/// ```
pub fn calculate_fan_in_and_fan_out(shape: &[usize]) -> (usize, usize) {
    assert!(
        shape.len() >= 2,
        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got shape {shape:?})"
    );
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

/// Which fan [`kaiming_uniform_`] and [`kaiming_normal_`] scale by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Preserves the variance of the forward pass (PyTorch's default).
    FanIn,
    /// Preserves the variance of the backward pass.
    FanOut,
}

fn fan(shape: &[usize], mode: FanMode) -> usize {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(shape);
    match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    }
}

/// Glorot uniform: U(−a, a) with `a = gain · √(6 / (fan_in + fan_out))`.
pub fn xavier_uniform_(t: impl InitTarget, gain: f64) {
    let t = t.target();
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t.shape());
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let a = 3f64.sqrt() * std;
    uniform_(&t, -a, a);
}

/// Glorot normal: N(0, std²) with `std = gain · √(2 / (fan_in + fan_out))`.
pub fn xavier_normal_(t: impl InitTarget, gain: f64) {
    let t = t.target();
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(t.shape());
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    normal_(&t, 0.0, std);
}

/// He uniform: U(−b, b) with `b = √3 · gain / √fan`, `gain = calculate_gain(nonlinearity, a)`.
/// PyTorch's defaults are `a = 0`, `FanIn`, `LeakyRelu`.
pub fn kaiming_uniform_(t: impl InitTarget, a: f64, mode: FanMode, nonlinearity: Nonlinearity) {
    let t = t.target();
    let gain = calculate_gain(nonlinearity, Some(a));
    let std = gain / (fan(t.shape(), mode) as f64).sqrt();
    let bound = 3f64.sqrt() * std;
    uniform_(&t, -bound, bound);
}

/// He normal: N(0, std²) with `std = gain / √fan`.
pub fn kaiming_normal_(t: impl InitTarget, a: f64, mode: FanMode, nonlinearity: Nonlinearity) {
    let t = t.target();
    let gain = calculate_gain(nonlinearity, Some(a));
    let std = gain / (fan(t.shape(), mode) as f64).sqrt();
    normal_(&t, 0.0, std);
}

#[cfg(test)]
mod tests;

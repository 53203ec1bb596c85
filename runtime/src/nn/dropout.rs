//! `Dropout { p }`: PyTorch's `nn.Dropout(p=0.5)`.

use super::kernel_call::{map_f32, py_float};
use crate::module::{Module, Visitor, VisitorMut};
use crate::rng::with_default_generator;
use crate::tensor::Tensor;
use fusenet_kernels::ops::dropout::dropout_forward;

/// Zeroes each element with probability `p` in training mode and scales the kept ones by
/// `1/(1 − p)`; the identity in evaluation mode (`eval()`).
///
/// The keep-mask is drawn from the default generator, one `uniform_f32` per element in order
/// (element kept when the draw is `< 1 − p`). PyTorch draws its mask through MKL's Bernoulli
/// generator, so after the same `manual_seed` the masks differ; the distribution is the same.
///
/// ```
/// use fusenet_runtime::{Module, Tensor, manual_seed};
/// use fusenet_runtime::nn::Dropout;
/// let mut drop = Dropout::new(0.5);
/// assert_eq!(drop.to_string(), "Dropout(p=0.5, inplace=False)");
/// manual_seed(0);
/// let y = drop.forward(&Tensor::ones(&[1000]));
/// assert!(y.to_vec::<f32>().iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.eval();
/// assert_eq!(drop.forward(&Tensor::ones(&[3])).to_vec::<f32>(), [1.0; 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// The probability of zeroing an element.
    pub p: f64,
    training: bool,
}

impl Dropout {
    /// `nn.Dropout(p)`, in training mode. Panics unless `0 ≤ p ≤ 1`, as PyTorch.
    pub fn new(p: f64) -> Self {
        assert!((0.0..=1.0).contains(&p), "dropout probability has to be between 0 and 1, but got {p}");
        Dropout { p, training: true }
    }

    /// The eager forward: a new tensor in training mode, a handle onto `x` in evaluation mode.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        if !self.training {
            return x.shallow_clone();
        }
        map_f32("Dropout", x, x.shape(), |xs, out| {
            let mut mask = vec![0f32; xs.len()];
            with_default_generator(|g| mask.iter_mut().for_each(|u| *u = g.uniform_f32()));
            dropout_forward(self.p, xs, &mut mask, out);
        })
    }
}

impl Default for Dropout {
    fn default() -> Self {
        Dropout::new(0.5)
    }
}

impl Module for Dropout {
    fn visit<'a>(&'a self, _v: &mut dyn Visitor<'a>) {}
    fn visit_mut(&mut self, _v: &mut dyn VisitorMut) {}
    fn type_name(&self) -> &'static str {
        "Dropout"
    }
    fn extra_repr(&self) -> String {
        format!("p={}, inplace=False", py_float(self.p))
    }
    fn set_training_self(&mut self, on: bool) {
        self.training = on;
    }
    fn training_self(&self) -> Option<bool> {
        Some(self.training)
    }
    fn share(&self) -> Self {
        *self
    }
    crate::__module_boilerplate!();
}

impl std::fmt::Display for Dropout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::module::fmt_module(self, f)
    }
}

//! Adagrad, as `torch.optim.Adagrad` (dense gradients).

use super::core::{Optim, ParamState, UpdateRule, nonneg};
use super::json::{self, Obj};
use fusenet_kernels::cpu::optim::{AdagradStep, adagrad_step};

/// Adagrad's hyper-parameters besides `lr` (PyTorch's defaults: eps 1e-10, the rest zero).
#[derive(Clone, Debug, PartialEq)]
pub struct AdagradOptions {
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub initial_accumulator_value: f64,
    pub eps: f64,
    pub maximize: bool,
}

/// The Adagrad update rule (see [`Adagrad`]).
pub struct AdagradRule;

/// Adagrad (Duchi et al.):
///
/// ```text
/// t ← t + 1;  g ← ∇ (−∇ if maximize) + weight_decay·θ;  clr ← lr / (1 + (t−1)·lr_decay)
/// s ← s + g²;  θ ← θ − clr·g / (sqrt(s) + eps)
/// ```
///
/// State: `step` and `sum` (filled with `initial_accumulator_value`). As in PyTorch, every
/// parameter has state from the start, so the state dict lists untouched parameters too.
///
/// ```
/// use fusenet_runtime::optim::{Adagrad, Optimizer};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::zeros(&[1]));
/// let mut opt = Adagrad::new([&w], 0.1).initial_accumulator_value(0.5);
/// assert_eq!(opt.state_dict().tensors["state.0.sum"].to_vec::<f32>(), [0.5]);
/// w.set_grad(Some(Tensor::ones(&[1])));
/// opt.step();
/// assert!((w.value().item() + 0.1 / 1.5f32.sqrt()).abs() < 1e-7);
/// ```
pub type Adagrad = Optim<AdagradRule>;

impl UpdateRule for AdagradRule {
    type Options = AdagradOptions;
    const NAME: &'static str = "Adagrad";
    const BUFFERS: &'static [&'static str] = &["sum"];
    const REQUIRED: &'static [&'static str] = &["sum"];
    const HAS_STEP: bool = true;

    fn default_options() -> AdagradOptions {
        AdagradOptions { lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10, maximize: false }
    }

    fn check(lr: f64, o: &AdagradOptions) -> Result<(), String> {
        if !nonneg(lr) {
            return Err(format!("Invalid learning rate: {}", json::py(lr)));
        }
        if !nonneg(o.lr_decay) {
            return Err(format!("Invalid lr_decay value: {}", json::py(o.lr_decay)));
        }
        if !nonneg(o.weight_decay) {
            return Err(format!("Invalid weight_decay value: {}", json::py(o.weight_decay)));
        }
        if !nonneg(o.initial_accumulator_value) {
            return Err(format!("Invalid initial_accumulator_value value: {}", json::py(o.initial_accumulator_value)));
        }
        if !nonneg(o.eps) {
            return Err(format!("Invalid epsilon value: {}", json::py_float(o.eps)));
        }
        Ok(())
    }

    fn options_to_json(o: &AdagradOptions, out: &mut Obj) {
        out.insert("lr_decay".into(), json::num(o.lr_decay));
        out.insert("eps".into(), json::num(o.eps));
        out.insert("weight_decay".into(), json::num(o.weight_decay));
        out.insert("initial_accumulator_value".into(), json::num(o.initial_accumulator_value));
        out.insert("maximize".into(), o.maximize.into());
    }

    fn options_from_json(m: &Obj) -> Result<AdagradOptions, String> {
        Ok(AdagradOptions {
            lr_decay: json::f64_of(m, "lr_decay")?,
            weight_decay: json::f64_of(m, "weight_decay")?,
            initial_accumulator_value: json::f64_of(m, "initial_accumulator_value")?,
            eps: json::f64_of(m, "eps")?,
            maximize: json::bool_of(m, "maximize")?,
        })
    }

    fn initial_state(numel: usize, o: &AdagradOptions) -> Option<ParamState> {
        let mut st = ParamState::default();
        st.buffer(0, numel, o.initial_accumulator_value as f32);
        Some(st)
    }

    fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &AdagradOptions) {
        st.step += 1.0;
        let step = st.step as f64;
        let clr = lr / (1.0 + (step - 1.0) * o.lr_decay);
        let cfg = AdagradStep { neg_clr: -clr as f32, weight_decay: o.weight_decay as f32, eps: o.eps as f32, maximize: o.maximize };
        let sum = st.buffer(0, p.len(), o.initial_accumulator_value as f32);
        adagrad_step(p, g, sum, &cfg);
    }
}

impl Adagrad {
    /// Learning-rate decay per step (default 0).
    pub fn lr_decay(self, lr_decay: f64) -> Self {
        self.with_option(|o| o.lr_decay = lr_decay)
    }
    /// L2 penalty (default 0).
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        self.with_option(|o| o.weight_decay = weight_decay)
    }
    /// Starting value of the squared-gradient sums (default 0).
    pub fn initial_accumulator_value(self, value: f64) -> Self {
        self.with_option(|o| o.initial_accumulator_value = value)
    }
    /// Term added to the denominator (default 1e-10).
    pub fn eps(self, eps: f64) -> Self {
        self.with_option(|o| o.eps = eps)
    }
    /// Maximise the objective instead of minimising it (default false).
    pub fn maximize(self, maximize: bool) -> Self {
        self.with_option(|o| o.maximize = maximize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Param, Tensor};

    #[test]
    #[should_panic(expected = "Invalid initial_accumulator_value value: -1")]
    fn negative_initial_accumulator_panics() {
        let _ = Adagrad::new([&Param::new(Tensor::zeros(&[1]))], 1e-2).initial_accumulator_value(-1.0);
    }

    #[test]
    #[should_panic(expected = "Invalid lr_decay value: -0.5")]
    fn negative_lr_decay_panics() {
        let _ = Adagrad::new([&Param::new(Tensor::zeros(&[1]))], 1e-2).lr_decay(-0.5);
    }
}

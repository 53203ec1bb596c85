//! Adadelta, as `torch.optim.Adadelta`.

use super::core::{Optim, ParamState, UpdateRule, nonneg};
use super::json::{self, Obj};
use fusenet_kernels::cpu::optim::{AdadeltaStep, adadelta_step};

/// Adadelta's hyper-parameters besides `lr` (PyTorch's defaults: rho 0.9, eps 1e-6, weight_decay 0).
#[derive(Clone, Debug, PartialEq)]
pub struct AdadeltaOptions {
    pub rho: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub maximize: bool,
}

/// The Adadelta update rule (see [`Adadelta`]).
pub struct AdadeltaRule;

/// Adadelta (Zeiler):
///
/// ```text
/// g ← ∇ (−∇ if maximize) + weight_decay·θ;  s ← ρ·s + (1−ρ)·g²
/// δ ← sqrt(a + eps) / sqrt(s + eps) · g;  a ← ρ·a + (1−ρ)·δ²;  θ ← θ − lr·δ
/// ```
///
/// State: `step`, `square_avg`, `acc_delta`. PyTorch's default `lr` is 1.0
/// ([`Adadelta::DEFAULT_LR`]).
///
/// ```
/// use fusenet_runtime::optim::{Adadelta, Optimizer};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::zeros(&[1]));
/// let mut opt = Adadelta::new([&w], Adadelta::DEFAULT_LR);
/// w.set_grad(Some(Tensor::ones(&[1])));
/// opt.step();
/// // s = 0.1, δ = sqrt(1e-6) / sqrt(0.1 + 1e-6)
/// assert!((w.value().item() + 1e-3 / (0.1f32 + 1e-6).sqrt()).abs() < 1e-7);
/// ```
pub type Adadelta = Optim<AdadeltaRule>;

impl Adadelta {
    /// `torch.optim.Adadelta`'s default learning rate.
    pub const DEFAULT_LR: f64 = 1.0;

    /// Coefficient of the running averages (default 0.9).
    pub fn rho(self, rho: f64) -> Self {
        self.with_option(|o| o.rho = rho)
    }
    /// Term added inside the square roots (default 1e-6).
    pub fn eps(self, eps: f64) -> Self {
        self.with_option(|o| o.eps = eps)
    }
    /// L2 penalty (default 0).
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        self.with_option(|o| o.weight_decay = weight_decay)
    }
    /// Maximise the objective instead of minimising it (default false).
    pub fn maximize(self, maximize: bool) -> Self {
        self.with_option(|o| o.maximize = maximize)
    }
}

impl UpdateRule for AdadeltaRule {
    type Options = AdadeltaOptions;
    const NAME: &'static str = "Adadelta";
    const BUFFERS: &'static [&'static str] = &["square_avg", "acc_delta"];
    const REQUIRED: &'static [&'static str] = &["square_avg", "acc_delta"];
    const HAS_STEP: bool = true;

    fn default_options() -> AdadeltaOptions {
        AdadeltaOptions { rho: 0.9, eps: 1e-6, weight_decay: 0.0, maximize: false }
    }

    fn check(lr: f64, o: &AdadeltaOptions) -> Result<(), String> {
        if !nonneg(lr) {
            return Err(format!("Invalid learning rate: {}", json::py(lr)));
        }
        if !(0.0 <= o.rho && o.rho <= 1.0) {
            return Err(format!("Invalid rho value: {}", json::py_float(o.rho)));
        }
        if !nonneg(o.eps) {
            return Err(format!("Invalid epsilon value: {}", json::py_float(o.eps)));
        }
        if !nonneg(o.weight_decay) {
            return Err(format!("Invalid weight_decay value: {}", json::py(o.weight_decay)));
        }
        Ok(())
    }

    fn options_to_json(o: &AdadeltaOptions, out: &mut Obj) {
        out.insert("rho".into(), json::num(o.rho));
        out.insert("eps".into(), json::num(o.eps));
        out.insert("weight_decay".into(), json::num(o.weight_decay));
        out.insert("maximize".into(), o.maximize.into());
    }

    fn options_from_json(m: &Obj) -> Result<AdadeltaOptions, String> {
        Ok(AdadeltaOptions {
            rho: json::f64_of(m, "rho")?,
            eps: json::f64_of(m, "eps")?,
            weight_decay: json::f64_of(m, "weight_decay")?,
            maximize: json::bool_of(m, "maximize")?,
        })
    }

    fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &AdadeltaOptions) {
        st.step += 1.0;
        let n = p.len();
        st.buffer(0, n, 0.0);
        st.buffer(1, n, 0.0);
        let cfg = AdadeltaStep {
            neg_lr: -lr as f32,
            weight_decay: o.weight_decay as f32,
            rho: o.rho as f32,
            one_minus_rho: (1.0 - o.rho) as f32,
            eps: o.eps as f32,
            maximize: o.maximize,
        };
        let [sq, acc, _] = &mut st.buffers;
        adadelta_step(p, g, sq.as_deref_mut().unwrap_or_default(), acc.as_deref_mut().unwrap_or_default(), &cfg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Param, Tensor};

    #[test]
    #[should_panic(expected = "Invalid rho value: 1.5")]
    fn rho_above_one_panics() {
        let _ = Adadelta::new([&Param::new(Tensor::zeros(&[1]))], 1.0).rho(1.5);
    }
}

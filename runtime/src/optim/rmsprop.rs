//! RMSprop, as `torch.optim.RMSprop`.

use super::core::{Optim, ParamState, UpdateRule, nonneg};
use super::json::{self, Obj};
use fusenet_kernels::cpu::optim::{RmspropStep, rmsprop_step};

/// RMSprop's hyper-parameters besides `lr` (PyTorch's defaults: alpha 0.99, eps 1e-8, the rest
/// zero / false).
#[derive(Clone, Debug, PartialEq)]
pub struct RmspropOptions {
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
    pub maximize: bool,
}

/// The RMSprop update rule (see [`Rmsprop`]).
pub struct RmspropRule;

/// RMSprop (Hinton), optionally centered and with momentum:
///
/// ```text
/// g ← ∇ (−∇ if maximize) + weight_decay·θ;  s ← α·s + (1−α)·g²
/// ḡ ← α·ḡ + (1−α)·g and d ← sqrt(s − ḡ²) (centered), else d ← sqrt(s);  d ← d + eps
/// b ← momentum·b + g/d, θ ← θ − lr·b (momentum > 0);  else θ ← θ − lr·g/d
/// ```
///
/// State: `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
///
/// ```
/// use fusenet_runtime::optim::{Optimizer, Rmsprop};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::zeros(&[1]));
/// let mut opt = Rmsprop::new([&w], 0.01);
/// w.set_grad(Some(Tensor::from_vec(vec![2.0f32], &[1])));
/// opt.step();
/// // s = 0.01·4, θ = −0.01·2 / (sqrt(0.04) + 1e-8)
/// assert!((w.value().item() + 0.1).abs() < 1e-6);
/// ```
pub type Rmsprop = Optim<RmspropRule>;

impl UpdateRule for RmspropRule {
    type Options = RmspropOptions;
    const NAME: &'static str = "RMSprop";
    const BUFFERS: &'static [&'static str] = &["square_avg", "momentum_buffer", "grad_avg"];
    const REQUIRED: &'static [&'static str] = &["square_avg"];
    const HAS_STEP: bool = true;

    fn default_options() -> RmspropOptions {
        RmspropOptions { alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false, maximize: false }
    }

    fn check(lr: f64, o: &RmspropOptions) -> Result<(), String> {
        if !nonneg(lr) {
            return Err(format!("Invalid learning rate: {}", json::py(lr)));
        }
        if !nonneg(o.eps) {
            return Err(format!("Invalid epsilon value: {}", json::py_float(o.eps)));
        }
        if !nonneg(o.momentum) {
            return Err(format!("Invalid momentum value: {}", json::py(o.momentum)));
        }
        if !nonneg(o.weight_decay) {
            return Err(format!("Invalid weight_decay value: {}", json::py(o.weight_decay)));
        }
        if !nonneg(o.alpha) {
            return Err(format!("Invalid alpha value: {}", json::py_float(o.alpha)));
        }
        Ok(())
    }

    fn options_to_json(o: &RmspropOptions, out: &mut Obj) {
        out.insert("alpha".into(), json::num(o.alpha));
        out.insert("eps".into(), json::num(o.eps));
        out.insert("weight_decay".into(), json::num(o.weight_decay));
        out.insert("momentum".into(), json::num(o.momentum));
        out.insert("centered".into(), o.centered.into());
        out.insert("maximize".into(), o.maximize.into());
    }

    fn options_from_json(m: &Obj) -> Result<RmspropOptions, String> {
        Ok(RmspropOptions {
            alpha: json::f64_of(m, "alpha")?,
            eps: json::f64_of(m, "eps")?,
            weight_decay: json::f64_of(m, "weight_decay")?,
            momentum: json::f64_of(m, "momentum")?,
            centered: json::bool_of(m, "centered")?,
            maximize: json::bool_of(m, "maximize")?,
        })
    }

    fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &RmspropOptions) {
        st.step += 1.0;
        let n = p.len();
        st.buffer(0, n, 0.0);
        if o.momentum > 0.0 {
            st.buffer(1, n, 0.0);
        }
        if o.centered {
            st.buffer(2, n, 0.0);
        }
        let cfg = RmspropStep {
            neg_lr: -lr as f32,
            weight_decay: o.weight_decay as f32,
            alpha: o.alpha as f32,
            one_minus_alpha: (1.0 - o.alpha) as f32,
            eps: o.eps as f32,
            momentum: o.momentum as f32,
            maximize: o.maximize,
        };
        let [sq, buf, ga] = &mut st.buffers;
        let sq = sq.as_deref_mut().unwrap_or_default();
        let buf: &mut [f32] = if o.momentum > 0.0 { buf.as_deref_mut().unwrap_or_default() } else { &mut [] };
        let ga: &mut [f32] = if o.centered { ga.as_deref_mut().unwrap_or_default() } else { &mut [] };
        rmsprop_step(p, g, sq, ga, buf, &cfg);
    }
}

impl Rmsprop {
    /// Smoothing constant (default 0.99).
    pub fn alpha(self, alpha: f64) -> Self {
        self.with_option(|o| o.alpha = alpha)
    }
    /// Term added to the denominator (default 1e-8).
    pub fn eps(self, eps: f64) -> Self {
        self.with_option(|o| o.eps = eps)
    }
    /// L2 penalty (default 0).
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        self.with_option(|o| o.weight_decay = weight_decay)
    }
    /// Momentum factor (default 0).
    pub fn momentum(self, momentum: f64) -> Self {
        self.with_option(|o| o.momentum = momentum)
    }
    /// Normalise by an estimate of the gradient's variance (default false).
    pub fn centered(self, centered: bool) -> Self {
        self.with_option(|o| o.centered = centered)
    }
    /// Maximise the objective instead of minimising it (default false).
    pub fn maximize(self, maximize: bool) -> Self {
        self.with_option(|o| o.maximize = maximize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::{Param, Tensor};

    #[test]
    #[should_panic(expected = "Invalid alpha value: -0.1")]
    fn negative_alpha_panics() {
        let _ = Rmsprop::new([&Param::new(Tensor::zeros(&[1]))], 1e-2).alpha(-0.1);
    }

    #[test]
    fn buffers_follow_the_options() {
        let w = Param::new(Tensor::zeros(&[2]));
        let mut opt = Rmsprop::new([&w], 1e-2).centered(true);
        w.set_grad(Some(Tensor::ones(&[2])));
        opt.step();
        let keys: Vec<String> = opt.state_dict().tensors.keys().map(String::from).collect();
        assert_eq!(keys, ["state.0.step", "state.0.square_avg", "state.0.grad_avg"]);
    }
}

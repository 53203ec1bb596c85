//! Adam and AdamW, as `torch.optim.Adam` and `torch.optim.AdamW`.

use super::core::{Optim, ParamState, UpdateRule, nonneg};
use super::json::{self, Obj};
use fusenet_kernels::cpu::optim::{AdamStep, adam_step};

/// Adam's and AdamW's hyper-parameters besides `lr`.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamOptions {
    /// (β₁, β₂), default (0.9, 0.999).
    pub betas: (f64, f64),
    /// Default 1e-8.
    pub eps: f64,
    /// Default 0 for Adam (L2 penalty), 1e-2 for AdamW (decoupled decay).
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub maximize: bool,
}

/// The Adam update rule (see [`Adam`]).
pub struct AdamRule;
/// The AdamW update rule (see [`AdamW`]).
pub struct AdamWRule;

/// Adam (Kingma & Ba), with weight decay as an L2 penalty on the gradient:
///
/// ```text
/// t ← t + 1;  g ← ∇ (−∇ if maximize) + weight_decay·θ
/// m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  v_max ← max(v_max, v) (amsgrad)
/// θ ← θ − lr/(1−β₁ᵗ) · m / (sqrt(v or v_max)/sqrt(1−β₂ᵗ) + eps)
/// ```
///
/// State: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
///
/// ```
/// use fusenet_runtime::optim::{Adam, Optimizer};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::zeros(&[3]));
/// let mut opt = Adam::new([&w], 0.1).betas(0.9, 0.99);
/// w.set_grad(Some(Tensor::from_vec(vec![1.0f32, -2.0, 0.0], &[3])));
/// opt.step();
/// // The first Adam step moves every coordinate with a non-zero grad by about lr.
/// let v = w.value().to_vec::<f32>();
/// assert!((v[0] + 0.1).abs() < 1e-6 && (v[1] - 0.1).abs() < 1e-6 && v[2] == 0.0);
/// ```
pub type Adam = Optim<AdamRule>;

/// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay `θ ← θ·(1 − lr·weight_decay)`
/// before the moment updates; `weight_decay` defaults to 1e-2.
///
/// ```
/// use fusenet_runtime::optim::{AdamW, Optimizer};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::ones(&[1]));
/// let mut opt = AdamW::new([&w], 0.5);
/// assert_eq!(opt.param_groups()[0].options.weight_decay, 1e-2);
/// w.set_grad(Some(Tensor::zeros(&[1]))); // no gradient signal: only the decay acts
/// opt.step();
/// assert_eq!(w.value().item(), 1.0 - 0.5 * 1e-2);
/// ```
pub type AdamW = Optim<AdamWRule>;

fn check(lr: f64, o: &AdamOptions) -> Result<(), String> {
    if !nonneg(lr) {
        return Err(format!("Invalid learning rate: {}", json::py(lr)));
    }
    if !nonneg(o.eps) {
        return Err(format!("Invalid epsilon value: {}", json::py_float(o.eps)));
    }
    if !(0.0 <= o.betas.0 && o.betas.0 < 1.0) {
        return Err(format!("Invalid beta parameter at index 0: {}", json::py_float(o.betas.0)));
    }
    if !(0.0 <= o.betas.1 && o.betas.1 < 1.0) {
        return Err(format!("Invalid beta parameter at index 1: {}", json::py_float(o.betas.1)));
    }
    if !nonneg(o.weight_decay) {
        return Err(format!("Invalid weight_decay value: {}", json::py(o.weight_decay)));
    }
    Ok(())
}

fn to_json(o: &AdamOptions, out: &mut Obj) {
    out.insert("betas".into(), vec![json::num(o.betas.0), json::num(o.betas.1)].into());
    out.insert("eps".into(), json::num(o.eps));
    out.insert("weight_decay".into(), json::num(o.weight_decay));
    out.insert("amsgrad".into(), o.amsgrad.into());
    out.insert("maximize".into(), o.maximize.into());
}

fn from_json(m: &Obj) -> Result<AdamOptions, String> {
    Ok(AdamOptions {
        betas: json::pair_of(m, "betas")?,
        eps: json::f64_of(m, "eps")?,
        weight_decay: json::f64_of(m, "weight_decay")?,
        amsgrad: json::bool_of(m, "amsgrad")?,
        maximize: json::bool_of(m, "maximize")?,
    })
}

/// PyTorch's `_single_tensor_adam` (non-capturable): the scalars are computed in f64 as Python
/// does, then cast to f32 where they meet a tensor.
fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &AdamOptions, decoupled: bool) {
    st.step += 1.0;
    let step = st.step as f64;
    let (beta1, beta2) = o.betas;
    let bias_correction1 = 1.0 - beta1.powf(step);
    let bias_correction2 = 1.0 - beta2.powf(step);
    let step_size = lr / bias_correction1;
    let cfg = AdamStep {
        decay_factor: if decoupled && o.weight_decay != 0.0 { (1.0 - lr * o.weight_decay) as f32 } else { 1.0 },
        l2: if decoupled { 0.0 } else { o.weight_decay as f32 },
        one_minus_beta1: (1.0 - beta1) as f32,
        beta2: beta2 as f32,
        one_minus_beta2: (1.0 - beta2) as f32,
        bias_correction2_sqrt: bias_correction2.powf(0.5) as f32,
        neg_step_size: -step_size as f32,
        eps: o.eps as f32,
        maximize: o.maximize,
    };
    let n = p.len();
    for k in 0..2 {
        st.buffer(k, n, 0.0);
    }
    if o.amsgrad {
        st.buffer(2, n, 0.0);
    }
    let [m, v, vmax] = &mut st.buffers;
    let (m, v) = (m.as_deref_mut().unwrap_or_default(), v.as_deref_mut().unwrap_or_default());
    let vmax: &mut [f32] = if o.amsgrad { vmax.as_deref_mut().unwrap_or_default() } else { &mut [] };
    adam_step(p, g, m, v, vmax, &cfg);
}

macro_rules! adam_rule {
    ($rule:ty, $name:literal, $wd:expr, $decoupled:expr) => {
        impl UpdateRule for $rule {
            type Options = AdamOptions;
            const NAME: &'static str = $name;
            const BUFFERS: &'static [&'static str] = &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
            const REQUIRED: &'static [&'static str] = &["exp_avg", "exp_avg_sq"];
            const HAS_STEP: bool = true;

            fn default_options() -> AdamOptions {
                AdamOptions { betas: (0.9, 0.999), eps: 1e-8, weight_decay: $wd, amsgrad: false, maximize: false }
            }
            fn check(lr: f64, o: &AdamOptions) -> Result<(), String> {
                check(lr, o)
            }
            fn options_to_json(o: &AdamOptions, out: &mut Obj) {
                to_json(o, out)
            }
            fn options_from_json(m: &Obj) -> Result<AdamOptions, String> {
                from_json(m)
            }
            fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &AdamOptions) {
                update(p, g, st, lr, o, $decoupled)
            }
        }

        impl Optim<$rule> {
            /// Coefficients of the running averages of the gradient and its square.
            pub fn betas(self, beta1: f64, beta2: f64) -> Self {
                self.with_option(|o| o.betas = (beta1, beta2))
            }
            /// Term added to the denominator.
            pub fn eps(self, eps: f64) -> Self {
                self.with_option(|o| o.eps = eps)
            }
            /// Weight decay coefficient.
            pub fn weight_decay(self, weight_decay: f64) -> Self {
                self.with_option(|o| o.weight_decay = weight_decay)
            }
            /// The AMSGrad variant (normalise by the running maximum of `exp_avg_sq`).
            pub fn amsgrad(self, amsgrad: bool) -> Self {
                self.with_option(|o| o.amsgrad = amsgrad)
            }
            /// Maximise the objective instead of minimising it.
            pub fn maximize(self, maximize: bool) -> Self {
                self.with_option(|o| o.maximize = maximize)
            }
        }
    };
}

adam_rule!(AdamRule, "Adam", 0.0, false);
adam_rule!(AdamWRule, "AdamW", 1e-2, true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
    use crate::{Param, Tensor};

    #[test]
    #[should_panic(expected = "Invalid beta parameter at index 1: 1.0")] // torch: Adam([p], betas=(0.9, 1.0))
    fn beta_of_one_panics() {
        let _ = Adam::new([&Param::new(Tensor::zeros(&[1]))], 1e-3).betas(0.9, 1.0);
    }

    #[test]
    #[should_panic(expected = "Invalid epsilon value: -1e-08")] // torch: AdamW([p], eps=-1e-8)
    fn negative_eps_panics() {
        let _ = AdamW::new([&Param::new(Tensor::zeros(&[1]))], 1e-3).eps(-1e-8);
    }

    #[test]
    fn step_counter_and_amsgrad_buffer() {
        let w = Param::new(Tensor::zeros(&[2]));
        let mut opt = Adam::new([&w], 1e-2).amsgrad(true);
        for _ in 0..3 {
            w.set_grad(Some(Tensor::ones(&[2])));
            opt.step();
        }
        let st = opt.state_of(&w).unwrap();
        assert_eq!(st.step, 3.0);
        assert!(st.buffers.iter().all(Option::is_some));
        // A param whose grad is None keeps its state untouched.
        w.zero_grad();
        let before = st.clone();
        opt.step();
        assert_eq!(opt.state_of(&w), Some(&before));
    }

    #[test]
    fn maximize_equals_descent_on_the_negated_gradient() {
        let (a, b) = (Param::new(Tensor::ones(&[2])), Param::new(Tensor::ones(&[2])));
        let mut up = AdamW::new([&a], 0.1).maximize(true).amsgrad(true);
        let mut down = AdamW::new([&b], 0.1).amsgrad(true);
        for k in 0..3 {
            let g = Tensor::from_vec(vec![0.5f32 * k as f32, -1.0], &[2]);
            a.set_grad(Some(-&g));
            b.set_grad(Some(g));
            up.step();
            down.step();
        }
        assert_eq!(a.value().to_vec::<f32>(), b.value().to_vec::<f32>());
    }
}

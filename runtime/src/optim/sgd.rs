//! Stochastic gradient descent, as `torch.optim.SGD`.

use super::core::{Optim, ParamState, UpdateRule, nonneg};
use super::json::{self, Obj};
use fusenet_kernels::cpu::optim::{SgdStep, sgd_step};

/// SGD's hyper-parameters besides `lr` (PyTorch's defaults: all zero / false).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SgdOptions {
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
}

/// The SGD update rule (see [`Sgd`]).
pub struct SgdRule;

/// SGD with optional momentum, dampening, Nesterov momentum and L2 weight decay:
///
/// ```text
/// g ← ∇ (−∇ if maximize) + weight_decay·θ
/// b ← g at the first step, then b ← momentum·b + (1 − dampening)·g
/// g ← g + momentum·b if nesterov, else g ← b        (when momentum ≠ 0)
/// θ ← θ − lr·g
/// ```
///
/// State: `momentum_buffer` (only with momentum). No `step` counter.
///
/// ```
/// use fusenet_runtime::optim::{Optimizer, Sgd};
/// use fusenet_runtime::{Param, Tensor};
/// let w = Param::new(Tensor::from_vec(vec![1.0f32], &[1]));
/// let mut opt = Sgd::new([&w], 0.5).momentum(0.9).nesterov(true);
/// for _ in 0..2 {
///     w.set_grad(Some(Tensor::from_vec(vec![1.0f32], &[1])));
///     opt.step();
/// }
/// // step 1: b = 1, θ = 1 − 0.5·(1 + 0.9) = 0.05; step 2: b = 1.9, θ = 0.05 − 0.5·(1 + 1.71)
/// assert!((w.value().item() - (0.05 - 0.5 * 2.71)).abs() < 1e-6);
/// ```
pub type Sgd = Optim<SgdRule>;

impl UpdateRule for SgdRule {
    type Options = SgdOptions;
    const NAME: &'static str = "SGD";
    const BUFFERS: &'static [&'static str] = &["momentum_buffer"];
    const REQUIRED: &'static [&'static str] = &[];
    const HAS_STEP: bool = false;

    fn default_options() -> SgdOptions {
        SgdOptions::default()
    }

    fn check(lr: f64, o: &SgdOptions) -> Result<(), String> {
        if !nonneg(lr) {
            return Err(format!("Invalid learning rate: {}", json::py(lr)));
        }
        if !nonneg(o.momentum) {
            return Err(format!("Invalid momentum value: {}", json::py(o.momentum)));
        }
        if !nonneg(o.weight_decay) {
            return Err(format!("Invalid weight_decay value: {}", json::py(o.weight_decay)));
        }
        Ok(())
    }

    fn check_combination(o: &SgdOptions) -> Result<(), String> {
        if o.nesterov && (o.momentum <= 0.0 || o.dampening != 0.0) {
            return Err("Nesterov momentum requires a momentum and zero dampening".into());
        }
        Ok(())
    }

    fn options_to_json(o: &SgdOptions, out: &mut Obj) {
        out.insert("momentum".into(), json::num(o.momentum));
        out.insert("dampening".into(), json::num(o.dampening));
        out.insert("weight_decay".into(), json::num(o.weight_decay));
        out.insert("nesterov".into(), o.nesterov.into());
        out.insert("maximize".into(), o.maximize.into());
    }

    fn options_from_json(m: &Obj) -> Result<SgdOptions, String> {
        Ok(SgdOptions {
            momentum: json::f64_of(m, "momentum")?,
            dampening: json::f64_of(m, "dampening")?,
            weight_decay: json::f64_of(m, "weight_decay")?,
            nesterov: json::bool_of(m, "nesterov")?,
            maximize: json::bool_of(m, "maximize")?,
        })
    }

    fn plain_lr(lr: f64, o: &SgdOptions) -> Option<f32> {
        (o.momentum == 0.0 && o.weight_decay == 0.0 && !o.maximize).then_some(lr as f32)
    }

    fn update(p: &mut [f32], g: &[f32], st: &mut ParamState, lr: f64, o: &SgdOptions) {
        let cfg = SgdStep {
            neg_lr: -lr as f32,
            weight_decay: o.weight_decay as f32,
            momentum: o.momentum as f32,
            one_minus_dampening: (1.0 - o.dampening) as f32,
            nesterov: o.nesterov,
            maximize: o.maximize,
        };
        if o.momentum != 0.0 {
            let init = st.buffers[0].is_none();
            sgd_step(p, g, st.buffer(0, p.len(), 0.0), init, &cfg);
        } else {
            sgd_step(p, g, &mut [], false, &cfg);
        }
    }
}

impl Sgd {
    /// Momentum factor (default 0).
    pub fn momentum(self, momentum: f64) -> Self {
        self.with_option(|o| o.momentum = momentum)
    }
    /// Dampening for momentum (default 0).
    pub fn dampening(self, dampening: f64) -> Self {
        self.with_option(|o| o.dampening = dampening)
    }
    /// L2 penalty added to the gradient (default 0).
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        self.with_option(|o| o.weight_decay = weight_decay)
    }
    /// Nesterov momentum (default false); needs momentum > 0 and zero dampening.
    pub fn nesterov(self, nesterov: bool) -> Self {
        self.with_option(|o| o.nesterov = nesterov)
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

    fn param(v: &[f32]) -> Param {
        Param::new(Tensor::from_vec(v.to_vec(), &[v.len()]))
    }

    #[test]
    fn params_without_grad_are_skipped_and_keep_no_state() {
        let (a, b) = (param(&[1.0, 2.0]), param(&[3.0]));
        let mut opt = Sgd::new([&a, &b], 0.1).momentum(0.9);
        a.set_grad(Some(Tensor::from_vec(vec![1.0f32, 1.0], &[2])));
        opt.step();
        assert_eq!(b.value().to_vec::<f32>(), [3.0]);
        assert!(opt.state_of(&b).is_none());
        assert_eq!(opt.state_of(&a).unwrap().buffers[0].as_deref(), Some(&[1.0f32, 1.0][..]));
        assert_eq!(opt.state_dict().tensors.keys().collect::<Vec<_>>(), ["state.0.momentum_buffer"]);
    }

    #[test]
    fn maximize_equals_descent_on_the_negated_gradient() {
        let (a, b) = (param(&[1.0, -2.0]), param(&[1.0, -2.0]));
        let mut up = Sgd::new([&a], 0.1).momentum(0.5).weight_decay(0.1).maximize(true);
        let mut down = Sgd::new([&b], 0.1).momentum(0.5).weight_decay(0.1);
        for _ in 0..3 {
            a.set_grad(Some(Tensor::from_vec(vec![0.3f32, 0.7], &[2])));
            b.set_grad(Some(Tensor::from_vec(vec![-0.3f32, -0.7], &[2])));
            up.step();
            down.step();
        }
        assert_eq!(a.value().to_vec::<f32>(), b.value().to_vec::<f32>());
    }

    #[test]
    fn zero_grad_sets_none_or_zeros() {
        let a = param(&[1.0]);
        let opt = Sgd::new([&a], 0.1);
        a.set_grad(Some(Tensor::ones(&[1])));
        opt.zero_grad_with(false);
        assert_eq!(a.grad().unwrap().to_vec::<f32>(), [0.0]);
        opt.zero_grad();
        assert!(a.grad().is_none());
    }

    #[test]
    fn strided_parameter_and_aliasing_grad_are_handled() {
        let w = Param::new(Tensor::arange(6.0).reshape([2, 3]).t());
        assert!(!w.value().is_contiguous());
        let mut opt = Sgd::new([&w], 1.0);
        w.set_grad(Some(w.value())); // grad aliases the value: θ ← θ − θ
        opt.step();
        assert_eq!(w.value().to_vec::<f32>(), [0.0; 6]);
    }

    #[test]
    #[should_panic(expected = "Invalid learning rate: -1")]
    fn negative_lr_panics() {
        Sgd::new([&param(&[1.0])], -1.0);
    }

    #[test]
    #[should_panic(expected = "Invalid momentum value: -0.5")]
    fn negative_momentum_panics() {
        let _ = Sgd::new([&param(&[1.0])], 0.1).momentum(-0.5);
    }

    #[test]
    #[should_panic(expected = "Nesterov momentum requires a momentum and zero dampening")]
    fn nesterov_without_momentum_panics_at_step() {
        let p = param(&[1.0]);
        let mut opt = Sgd::new([&p], 0.1).nesterov(true);
        opt.step();
    }

    #[test]
    fn nesterov_builder_order_does_not_matter() {
        let p = param(&[1.0]);
        let mut opt = Sgd::new([&p], 0.1).nesterov(true).momentum(0.9);
        opt.step();
    }

    #[test]
    #[should_panic(expected = "optimizer got an empty parameter list")]
    fn empty_parameter_list_panics() {
        Sgd::new(Vec::<Param>::new(), 0.1);
    }

    #[test]
    #[should_panic(expected = "some parameters appear in more than one parameter group")]
    fn a_parameter_in_two_groups_panics() {
        let p = param(&[1.0]);
        let mut opt = Sgd::new([&p], 0.1);
        let g = opt.default_group([p.share()]);
        opt.add_param_group(g);
    }

    #[test]
    fn groups_have_their_own_lr() {
        let (a, b) = (param(&[1.0]), param(&[1.0]));
        let mut opt = Sgd::new([&a], 0.1);
        let mut g = opt.default_group([&b]);
        g.lr = 0.5;
        opt.add_param_group(g);
        a.set_grad(Some(Tensor::ones(&[1])));
        b.set_grad(Some(Tensor::ones(&[1])));
        opt.step();
        assert_eq!((a.value().item(), b.value().item()), (0.9, 0.5));
        assert_eq!(opt.lrs(), [0.1, 0.5]);
    }
}

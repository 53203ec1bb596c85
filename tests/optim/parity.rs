//! Parity with `torch.optim`: every fixture configuration (tests/fixtures/gen_optim_fixtures.py)
//! runs 5 steps on `loss = mean((X Wᵀ + b − Y)²)` with gradients computed here analytically; the
//! loss, the gradients and W, b after every step must equal PyTorch's (rel 1e-5, abs 1e-6).
//! Fed PyTorch's own gradients instead, W and b must agree to 4 float32 ulps.

use crate::optim_support;

use fusenet::Tensor;
use fusenet::optim::*;
use optim_support::{Config, Fixture, STEPS, SetOption, assert_close, build, fixture};

fn run<R>(fx: &Fixture, c: &Config)
where
    R: UpdateRule,
    R::Options: SetOption,
{
    let (w, b) = fx.params();
    let mut opt = build::<R>(c, &w, &b);
    for k in 0..=STEPS {
        let at = |q: &str| &c.rows[&(k, q.to_string())];
        let (loss, gw, gb) = fx.loss_and_grads(&w.value(), &b.value());
        assert_close(&format!("{} step {k} loss", c.name), &[loss], at("loss"));
        if k == STEPS {
            break;
        }
        assert_close(&format!("{} step {k} dL/dW", c.name), &gw.to_vec::<f32>(), at("gW"));
        assert_close(&format!("{} step {k} dL/db", c.name), &gb.to_vec::<f32>(), at("gb"));
        opt.zero_grad();
        w.set_grad(Some(gw));
        b.set_grad(Some(gb));
        opt.step();
        let after = |q: &str| &c.rows[&(k + 1, q.to_string())];
        assert_close(&format!("{} W after step {}", c.name, k + 1), &w.value().to_vec::<f32>(), after("W"));
        assert_close(&format!("{} b after step {}", c.name, k + 1), &b.value().to_vec::<f32>(), after("b"));
    }
}

/// The update alone: fed torch's own gradients, the parameters must agree to 4 float32 ulps
/// (of the larger of the new and the previous value), since the fused loop evaluates torch's ops in torch's order with
/// torch's fused multiply-adds. They are not all bit-identical only because torch's vectorised
/// `sqrt` is not correctly rounded (about 0.5% of its results are 1 ulp off; ours are exact).
fn run_with_torch_grads<R>(fx: &Fixture, c: &Config)
where
    R: UpdateRule,
    R::Options: SetOption,
{
    let (w, b) = fx.params();
    let mut opt = build::<R>(c, &w, &b);
    for k in 0..STEPS {
        let at = |q: &str| c.rows[&(k, q.to_string())].clone();
        w.set_grad(Some(Tensor::from_vec(at("gW"), &[3, 4])));
        b.set_grad(Some(Tensor::from_vec(at("gb"), &[3])));
        opt.step();
        for (name, p) in [("W", &w), ("b", &b)] {
            let want = &c.rows[&(k + 1, name.to_string())];
            let before: Vec<f32> = if k == 0 { fx.data[name].to_vec::<f32>() } else { c.rows[&(k, name.to_string())].clone() };
            for (i, (&a, &e)) in p.value().to_vec::<f32>().iter().zip(want).enumerate() {
                // ulps of the larger of the value and its previous value: an update that moves a
                // parameter across zero is computed from operands of the old value's size.
                let scale = e.abs().max(before[i].abs());
                let ulp = f32::from_bits(scale.to_bits() + 1) - scale;
                assert!((a - e).abs() <= 4.0 * ulp, "{} {name}[{i}] after step {}: got {a}, torch {e}", c.name, k + 1);
            }
        }
    }
}

fn run_config(fx: &Fixture, c: &Config) {
    macro_rules! both {
        ($rule:ty) => {{
            run::<$rule>(fx, c);
            run_with_torch_grads::<$rule>(fx, c);
        }};
    }
    match c.kind.as_str() {
        "SGD" => both!(SgdRule),
        "Adam" => both!(AdamRule),
        "AdamW" => both!(AdamWRule),
        "RMSprop" => both!(RmspropRule),
        "Adagrad" => both!(AdagradRule),
        "Adadelta" => both!(AdadeltaRule),
        other => panic!("no optimiser {other}"),
    }
}

/// One test per configuration, so a failure names it.
macro_rules! parity {
    ($($test:ident => $name:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            let fx = fixture();
            let c = fx.configs.iter().find(|c| c.name == $name).expect(concat!("fixture has ", $name));
            run_config(&fx, c);
        }
    )*};
}

parity! {
    sgd_plain => "sgd",
    sgd_momentum_dampening_weight_decay => "sgd_momentum",
    sgd_nesterov => "sgd_nesterov",
    sgd_maximize => "sgd_maximize",
    adam => "adam",
    adam_amsgrad_weight_decay => "adam_amsgrad_wd",
    adamw => "adamw",
    adamw_amsgrad_maximize => "adamw_amsgrad_maximize",
    rmsprop => "rmsprop",
    rmsprop_centered_momentum => "rmsprop_centered_momentum",
    adagrad_lr_decay => "adagrad_lr_decay",
    adadelta => "adadelta",
    adam_two_param_groups => "adam_groups",
}

/// The macro list above covers every configuration in the fixture.
#[test]
fn every_fixture_configuration_is_tested() {
    let src = include_str!("parity.rs");
    for c in fixture().configs {
        assert!(src.contains(&format!("=> \"{}\"", c.name)), "configuration {} has no test", c.name);
    }
}

/// The optimisers actually move: torch's trajectories decrease the loss, and so do ours.
#[test]
fn descent_configurations_reduce_the_loss() {
    let fx = fixture();
    for c in fx.configs.iter().filter(|c| !c.opts.iter().any(|(k, v)| k == "maximize" && v == "true")) {
        let first = c.rows[&(0, "loss".to_string())][0];
        let last = c.rows[&(STEPS, "loss".to_string())][0];
        assert!(last < first, "{}: loss {first} -> {last}", c.name);
    }
}

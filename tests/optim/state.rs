//! Optimiser state dicts: a checkpoint after 3 steps, saved to a safetensors file and loaded into
//! a fresh optimiser, continues for 2 steps exactly as 5 uninterrupted steps; a state that does not
//! fit is an `Error::OptimizerState` naming the problem, and changes nothing.

use crate::optim_support;

use fusenet::io::Metadata;
use fusenet::optim::*;
use fusenet::{Error, Param, Tensor};
use optim_support::{Config, Fixture, SetOption, build, fixture};
use std::path::PathBuf;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fusenet-optim-state-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bits(p: &Param) -> Vec<u32> {
    p.value().to_vec::<f32>().iter().map(|x| x.to_bits()).collect()
}

fn round_trip<R>(fx: &Fixture, c: &Config, dir: &std::path::Path)
where
    R: UpdateRule,
    R::Options: SetOption,
{
    // Five uninterrupted steps.
    let (w, b) = fx.params();
    let mut opt = build::<R>(c, &w, &b);
    for _ in 0..5 {
        fx.set_grads(&w, &b);
        opt.step();
    }

    // Three steps, checkpoint (params and optimizer) to files.
    let (w1, b1) = fx.params();
    let mut opt1 = build::<R>(c, &w1, &b1);
    for _ in 0..3 {
        fx.set_grads(&w1, &b1);
        opt1.step();
    }
    let path = dir.join(format!("{}.safetensors", c.name));
    opt1.state_dict().save(&path).unwrap();
    let (w_saved, b_saved) = (w1.value().clone(), b1.value().clone());
    drop(opt1);

    // A fresh optimiser with default hyper-parameters; everything comes from the file.
    let (w2, b2) = (Param::new(w_saved), Param::new(b_saved));
    let mut opt2 = if c.group1.is_some() {
        let mut o = Optim::<R>::new([&w2], 0.5);
        let g = o.default_group([&b2]);
        o.add_param_group(g);
        o
    } else {
        Optim::<R>::new([&w2, &b2], 0.5)
    };
    opt2.load_state_dict(&OptimizerState::load(&path).unwrap()).unwrap();
    let expect: Vec<f64> = opt.lrs();
    assert_eq!(opt2.lrs(), expect, "{}: group lrs restored", c.name);
    for (g2, g) in opt2.param_groups().iter().zip(opt.param_groups()) {
        assert_eq!(g2.options, g.options, "{}: options restored", c.name);
    }
    for _ in 0..2 {
        fx.set_grads(&w2, &b2);
        opt2.step();
    }
    assert_eq!(bits(&w2), bits(&w), "{}: W after 3 + 2 steps", c.name);
    assert_eq!(bits(&b2), bits(&b), "{}: b after 3 + 2 steps", c.name);
    assert_eq!(opt2.state_of(&w2), opt.state_of(&w), "{}: state of W", c.name);
}

#[test]
fn checkpoint_after_three_steps_continues_like_five_steps() {
    let fx = fixture();
    let dir = scratch("roundtrip");
    for c in &fx.configs {
        match c.kind.as_str() {
            "SGD" => round_trip::<SgdRule>(&fx, c, &dir),
            "Adam" => round_trip::<AdamRule>(&fx, c, &dir),
            "AdamW" => round_trip::<AdamWRule>(&fx, c, &dir),
            "RMSprop" => round_trip::<RmspropRule>(&fx, c, &dir),
            "Adagrad" => round_trip::<AdagradRule>(&fx, c, &dir),
            "Adadelta" => round_trip::<AdadeltaRule>(&fx, c, &dir),
            k => panic!("no optimiser {k}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An Adam over W [3, 4] and b [3] after one step.
fn stepped_adam() -> (Adam, Param, Param) {
    let (w, b) = (Param::new(Tensor::ones(&[3, 4])), Param::new(Tensor::ones(&[3])));
    let mut opt = Adam::new([&w, &b], 1e-2).amsgrad(true);
    w.set_grad(Some(Tensor::ones(&[3, 4])));
    b.set_grad(Some(Tensor::ones(&[3])));
    opt.step();
    (opt, w, b)
}

fn load_err(opt: &mut impl Optimizer, sd: &OptimizerState) -> String {
    match opt.load_state_dict(sd) {
        Err(e @ Error::OptimizerState(_)) => e.to_string(),
        other => panic!("expected Error::OptimizerState, got {other:?}"),
    }
}

#[test]
fn the_state_dict_has_torch_keys_and_hyper_parameters() {
    let (opt, _, _) = stepped_adam();
    let sd = opt.state_dict();
    let keys: Vec<&str> = sd.tensors.keys().collect();
    assert_eq!(
        keys,
        [
            "state.0.step",
            "state.0.exp_avg",
            "state.0.exp_avg_sq",
            "state.0.max_exp_avg_sq",
            "state.1.step",
            "state.1.exp_avg",
            "state.1.exp_avg_sq",
            "state.1.max_exp_avg_sq"
        ]
    );
    assert_eq!(sd.tensors["state.0.step"].shape(), &[] as &[usize]);
    assert_eq!(sd.tensors["state.1.exp_avg"].shape(), &[3]);
    assert_eq!(sd.kind(), Some("Adam"));
    assert_eq!(
        sd.metadata["param_groups"],
        r#"[{"amsgrad":true,"betas":[0.9,0.999],"eps":1e-8,"lr":0.01,"maximize":false,"params":[0,1],"weight_decay":0.0}]"#
    );
}

#[test]
fn another_optimizer_kind_is_an_error() {
    let (opt, w, _) = stepped_adam();
    let mut sgd = Sgd::new([&w], 0.1);
    let e = load_err(&mut sgd, &opt.state_dict());
    assert_eq!(e, "the optimizer state dict is for Adam, it cannot be loaded into SGD");
}

#[test]
fn a_different_number_of_parameters_is_an_error() {
    let (opt, w, _) = stepped_adam();
    let mut other = Adam::new([&w], 1e-2);
    let e = load_err(&mut other, &opt.state_dict());
    assert!(e.contains("doesn't match the size of optimizer's group: group 0 has 2 parameters in the state dict and 1 in the optimizer"), "{e}");
    let mut two_groups = Adam::new([&w], 1e-2);
    let g = two_groups.default_group([&Param::new(Tensor::ones(&[3]))]);
    two_groups.add_param_group(g);
    let e = load_err(&mut two_groups, &opt.state_dict());
    assert!(e.contains("different number of parameter groups (1 saved, 2 in the optimizer)"), "{e}");
}

#[test]
fn a_shape_mismatch_is_an_error_and_changes_nothing() {
    let (opt, _, _) = stepped_adam();
    let (w, b) = (Param::new(Tensor::ones(&[3, 5])), Param::new(Tensor::ones(&[3])));
    let mut fresh = Adam::new([&w, &b], 0.5);
    let e = load_err(&mut fresh, &opt.state_dict());
    assert!(e.contains("size mismatch for state.0.exp_avg: shape [3, 4] in the state dict, the parameter has shape [3, 5]"), "{e}");
    assert!(e.contains("state.0.max_exp_avg_sq"), "every mismatch is listed: {e}");
    assert!(fresh.state_of(&b).is_none(), "no state was loaded");
    assert_eq!(fresh.lrs(), [0.5], "no hyper-parameter was loaded");
}

#[test]
fn unknown_and_missing_entries_are_errors() {
    let (opt, w, b) = stepped_adam();
    let mut sd = opt.state_dict();
    sd.tensors.insert("state.0.momentum_buffer", Tensor::ones(&[3, 4]));
    sd.tensors.remove("state.1.step");
    sd.tensors.insert("state.7.exp_avg", Tensor::ones(&[3]));
    sd.tensors.insert("garbage", Tensor::ones(&[1]));
    let mut fresh = Adam::new([&w, &b], 1e-2);
    let e = load_err(&mut fresh, &sd);
    for part in [
        "state.0.momentum_buffer: Adam keeps no state named \"momentum_buffer\"",
        "state.1: the \"step\" entry is missing",
        "state.7.exp_avg: no param group lists parameter 7",
        "unexpected key \"garbage\"",
    ] {
        assert!(e.contains(part), "{part:?} not in {e}");
    }
}

#[test]
fn bad_metadata_is_an_error() {
    let (opt, w, b) = stepped_adam();
    let mut fresh = Adam::new([&w, &b], 1e-2);
    let with = |k: &str, v: &str| {
        let sd = opt.state_dict();
        let mut metadata: Metadata = sd.metadata.clone();
        metadata.insert(k.into(), v.into());
        OptimizerState { tensors: sd.tensors, metadata }
    };
    let e = load_err(&mut fresh, &with("param_groups", "[{"));
    assert!(e.contains("\"param_groups\" metadata is not valid JSON"), "{e}");
    let e = load_err(&mut fresh, &with("param_groups", r#"[{"lr":0.1,"params":[0,1]}]"#));
    assert!(e.contains("param group 0: hyper-parameter \"betas\" is missing"), "{e}");
    let bad_beta = r#"[{"amsgrad":true,"betas":[0.9,1.5],"eps":1e-8,"lr":0.01,"maximize":false,"params":[0,1],"weight_decay":0.0}]"#;
    let e = load_err(&mut fresh, &with("param_groups", bad_beta));
    assert!(e.contains("param group 0: Invalid beta parameter at index 1: 1.5"), "{e}");
    let e = load_err(&mut fresh, &OptimizerState::default());
    assert!(e.contains("no \"optimizer\" metadata entry"), "{e}");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let e = OptimizerState::load("no/such/optimizer.safetensors").unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
}

/// Adagrad has state for every parameter from the start (PyTorch creates it in the constructor);
/// loading keeps untouched parameters' accumulators.
#[test]
fn adagrad_state_exists_before_the_first_step() {
    let (w, b) = (Param::new(Tensor::ones(&[2])), Param::new(Tensor::ones(&[1])));
    let mut opt = Adagrad::new([&w, &b], 0.1).initial_accumulator_value(0.25);
    w.set_grad(Some(Tensor::ones(&[2])));
    opt.step();
    let sd = opt.state_dict();
    assert_eq!(sd.tensors["state.1.sum"].to_vec::<f32>(), [0.25]);
    assert_eq!(sd.tensors["state.1.step"].item(), 0.0);
    assert_eq!(sd.tensors["state.0.step"].item(), 1.0);
    let mut fresh = Adagrad::new([&w, &b], 0.1);
    fresh.load_state_dict(&sd).unwrap();
    assert_eq!(fresh.state_of(&b).unwrap().buffers[0].as_deref(), Some(&[0.25f32][..]));
}

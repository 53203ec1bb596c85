//! Shared by the optimiser tests: the PyTorch fixture (tests/fixtures/optim_trajectories.tsv,
//! written by gen_optim_fixtures.py), the problem's loss and analytic gradient, and building an
//! optimiser from a fixture configuration.

#![allow(dead_code)]

use fusenet::optim::*;
use fusenet::{Param, Tensor};
use std::collections::BTreeMap;

pub const STEPS: usize = 5;

/// One optimiser configuration of the fixture and torch's trajectory for it.
pub struct Config {
    pub name: String,
    pub kind: String,
    /// Options of every group (group 0 only, when `group1` is set).
    pub opts: Vec<(String, String)>,
    /// Overrides for a second group that holds `b`.
    pub group1: Option<Vec<(String, String)>>,
    /// `(step, quantity)` → values: `loss`, `gW`, `gb` at k updates, `W`, `b` after k updates.
    pub rows: BTreeMap<(usize, String), Vec<f32>>,
}

pub struct Fixture {
    pub data: BTreeMap<String, Tensor>,
    pub configs: Vec<Config>,
}

fn floats(s: &str) -> Vec<f32> {
    s.split(',').map(|v| v.parse().unwrap_or_else(|_| panic!("bad number {v:?}"))).collect()
}

fn options(s: &str) -> Vec<(String, String)> {
    s.split(',').map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).expect("k=v")).collect()
}

pub fn fixture() -> Fixture {
    let text = include_str!("../fixtures/optim_trajectories.tsv");
    let mut fx = Fixture { data: BTreeMap::new(), configs: Vec::new() };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "data" => {
                let shape: Vec<usize> = f[2].split(',').map(|d| d.parse().unwrap()).collect();
                fx.data.insert(f[1].to_string(), Tensor::from_vec(floats(f[3]), &shape));
            }
            "config" => fx.configs.push(Config {
                name: f[1].into(),
                kind: f[2].into(),
                opts: options(f[3]),
                group1: (f[4] != "-").then(|| options(f[4])),
                rows: BTreeMap::new(),
            }),
            "step" => {
                let c = fx.configs.last_mut().expect("config before steps");
                assert_eq!(c.name, f[1]);
                c.rows.insert((f[2].parse().unwrap(), f[3].to_string()), floats(f[4]));
            }
            other => panic!("unknown fixture line kind {other:?}"),
        }
    }
    fx
}

impl Fixture {
    /// Fresh parameters W [3,4] and b [3] at the fixture's initial values.
    pub fn params(&self) -> (Param, Param) {
        (Param::new(self.data["W"].clone()), Param::new(self.data["b"].clone()))
    }

    /// `loss = mean((X Wᵀ + b − Y)²)` and its gradients `dL/dW = (2/n)·Eᵀ X`, `dL/db = (2/n)·Σ_rows E`
    /// with `E = X Wᵀ + b − Y` and `n = 5·3`, computed eagerly.
    pub fn loss_and_grads(&self, w: &Tensor, b: &Tensor) -> (f32, Tensor, Tensor) {
        let (x, y) = (&self.data["X"], &self.data["Y"]);
        let e = &(&x.matmul(&w.t()) + b) - y;
        let loss = (&e * &e).mean().item();
        let ge = &e * (2.0 / e.numel() as f32);
        (loss, ge.t().matmul(x), ge.sum_dim(0, false))
    }

    /// Sets both grads from the current parameter values; returns the loss.
    pub fn set_grads(&self, w: &Param, b: &Param) -> f32 {
        let (loss, gw, gb) = self.loss_and_grads(&w.value(), &b.value());
        w.set_grad(Some(gw));
        b.set_grad(Some(gb));
        loss
    }
}

fn num(v: &str) -> f64 {
    v.parse().unwrap_or_else(|_| panic!("bad number {v:?}"))
}

fn flag(v: &str) -> bool {
    match v {
        "true" => true,
        "false" => false,
        _ => panic!("bad flag {v:?}"),
    }
}

/// Sets a hyper-parameter by its PyTorch name on a group's options.
pub trait SetOption {
    fn set(&mut self, key: &str, value: &str);
}

impl SetOption for SgdOptions {
    fn set(&mut self, k: &str, v: &str) {
        match k {
            "momentum" => self.momentum = num(v),
            "dampening" => self.dampening = num(v),
            "weight_decay" => self.weight_decay = num(v),
            "nesterov" => self.nesterov = flag(v),
            "maximize" => self.maximize = flag(v),
            _ => panic!("SGD has no option {k}"),
        }
    }
}

impl SetOption for AdamOptions {
    fn set(&mut self, k: &str, v: &str) {
        match k {
            "betas" => {
                let (a, b) = v.split_once(';').expect("betas=b1;b2");
                self.betas = (num(a), num(b));
            }
            "eps" => self.eps = num(v),
            "weight_decay" => self.weight_decay = num(v),
            "amsgrad" => self.amsgrad = flag(v),
            "maximize" => self.maximize = flag(v),
            _ => panic!("Adam has no option {k}"),
        }
    }
}

impl SetOption for RmspropOptions {
    fn set(&mut self, k: &str, v: &str) {
        match k {
            "alpha" => self.alpha = num(v),
            "eps" => self.eps = num(v),
            "weight_decay" => self.weight_decay = num(v),
            "momentum" => self.momentum = num(v),
            "centered" => self.centered = flag(v),
            "maximize" => self.maximize = flag(v),
            _ => panic!("RMSprop has no option {k}"),
        }
    }
}

impl SetOption for AdagradOptions {
    fn set(&mut self, k: &str, v: &str) {
        match k {
            "lr_decay" => self.lr_decay = num(v),
            "weight_decay" => self.weight_decay = num(v),
            "initial_accumulator_value" => self.initial_accumulator_value = num(v),
            "eps" => self.eps = num(v),
            "maximize" => self.maximize = flag(v),
            _ => panic!("Adagrad has no option {k}"),
        }
    }
}

impl SetOption for AdadeltaOptions {
    fn set(&mut self, k: &str, v: &str) {
        match k {
            "rho" => self.rho = num(v),
            "eps" => self.eps = num(v),
            "weight_decay" => self.weight_decay = num(v),
            "maximize" => self.maximize = flag(v),
            _ => panic!("Adadelta has no option {k}"),
        }
    }
}

fn apply<O: SetOption>(lr: &mut f64, o: &mut O, opts: &[(String, String)]) {
    for (k, v) in opts {
        if k == "lr" {
            *lr = num(v);
        } else {
            o.set(k, v);
        }
    }
}

/// The optimiser a configuration describes, over `w` and `b`: one group, or `w` in group 0 and
/// `b` in group 1 (built through `param_groups_mut`, `default_group` and `add_param_group`).
pub fn build<R>(c: &Config, w: &Param, b: &Param) -> Optim<R>
where
    R: UpdateRule,
    R::Options: SetOption,
{
    let first: Vec<&Param> = if c.group1.is_some() { vec![w] } else { vec![w, b] };
    let mut opt = Optim::<R>::new(first, 1.0);
    let g0 = &mut opt.param_groups_mut()[0];
    apply(&mut g0.lr, &mut g0.options, &c.opts);
    if let Some(over) = &c.group1 {
        let mut g = opt.default_group([b]);
        apply(&mut g.lr, &mut g.options, &c.opts);
        apply(&mut g.lr, &mut g.options, over);
        opt.add_param_group(g);
    }
    opt
}

/// `|a − e| ≤ 1e-6 + 1e-5·|e|` elementwise, with a message naming what and where.
pub fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&a, &e)) in got.iter().zip(want).enumerate() {
        let tol = 1e-6 + 1e-5 * e.abs();
        assert!((a - e).abs() <= tol, "{what}[{i}]: got {a}, torch {e} (diff {:e})", (a - e).abs());
    }
}

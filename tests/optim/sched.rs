//! Learning-rate schedulers against `torch.optim.lr_scheduler` (tests/fixtures/optim_sched.tsv,
//! written by gen_optim_fixtures.py): two groups with lr 0.1 and 0.03, 25 epochs.

use fusenet::optim::*;
use fusenet::{Param, Tensor};
use std::collections::BTreeMap;

struct Trajectory {
    kind: String,
    params: BTreeMap<String, String>,
    /// lrs of both groups at epochs 0..=25.
    lrs: Vec<Vec<f64>>,
}

fn fixture() -> BTreeMap<String, Trajectory> {
    let mut out: BTreeMap<String, Trajectory> = BTreeMap::new();
    for line in include_str!("../fixtures/optim_sched.tsv").lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let params = if f[2] == "-" {
            BTreeMap::new()
        } else {
            f[2].split(',').map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap()).collect()
        };
        let t = out.entry(f[0].to_string()).or_insert(Trajectory { kind: f[1].into(), params, lrs: vec![] });
        assert_eq!(f[3].parse::<usize>().unwrap(), t.lrs.len(), "epochs in order");
        t.lrs.push(f[4].split(',').map(|v| v.parse().unwrap()).collect());
    }
    out
}

fn schedule(t: &Trajectory) -> Schedule {
    let f = |k: &str, default: f64| t.params.get(k).map_or(default, |v| v.parse().unwrap());
    let u = |k: &str| t.params[k].parse::<usize>().unwrap();
    match t.kind.as_str() {
        "StepLR" => Schedule::Step { step_size: u("step_size"), gamma: f("gamma", 0.1) },
        "MultiStepLR" => Schedule::MultiStep {
            milestones: t.params["milestones"].split(';').map(|m| m.parse().unwrap()).collect(),
            gamma: f("gamma", 0.1),
        },
        "ExponentialLR" => Schedule::Exponential { gamma: f("gamma", f64::NAN) },
        "CosineAnnealingLR" => Schedule::CosineAnnealing { t_max: u("T_max"), eta_min: f("eta_min", 0.0) },
        "LinearLR" => Schedule::Linear {
            start_factor: f("start_factor", 1.0 / 3.0),
            end_factor: f("end_factor", 1.0),
            total_iters: t.params.get("total_iters").map_or(5, |v| v.parse().unwrap()),
        },
        k => panic!("no scheduler {k}"),
    }
}

fn two_group_sgd() -> Sgd {
    let mut opt = Sgd::new([&Param::new(Tensor::zeros(&[1]))], 0.1);
    let mut g = opt.default_group([&Param::new(Tensor::zeros(&[1]))]);
    g.lr = 0.03;
    opt.add_param_group(g);
    opt
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 + 1e-12 * b.abs()
}

fn check(name: &str) {
    let fx = fixture();
    let t = &fx[name];
    let mut opt = two_group_sgd();
    let mut sched = LrScheduler::new(&mut opt, schedule(t));
    for (epoch, want) in t.lrs.iter().enumerate() {
        let got = sched.get_last_lr().to_vec();
        assert!(got.iter().zip(want).all(|(a, b)| close(*a, *b)), "{name} epoch {epoch}: got {got:?}, torch {want:?}");
        assert_eq!(opt.lrs(), got, "the optimizer's groups hold the scheduler's lrs");
        assert_eq!(sched.last_epoch(), epoch as i64);
        opt.step();
        sched.step(&mut opt);
    }
}

#[test]
fn step_lr() {
    check("step");
}

#[test]
fn multi_step_lr_with_a_repeated_milestone() {
    check("multistep");
}

#[test]
fn exponential_lr() {
    check("exponential");
}

#[test]
fn cosine_annealing_lr_over_more_than_two_periods() {
    check("cosine");
    check("cosine_short");
}

#[test]
fn linear_lr() {
    check("linear");
    check("linear_default");
}

#[test]
fn every_fixture_schedule_is_tested() {
    let src = include_str!("sched.rs");
    for name in fixture().keys() {
        assert!(src.contains(&format!("check(\"{name}\")")), "{name} has no test");
    }
}

/// A checkpoint mid-schedule (optimizer state with its group lrs, scheduler state), restored into
/// fresh objects, continues exactly as the uninterrupted run.
#[test]
fn checkpoint_resumes_the_trajectory() {
    let fx = fixture();
    let t = &fx["cosine"];
    let mut opt = two_group_sgd();
    let mut sched = LrScheduler::new(&mut opt, schedule(t));
    let mut uninterrupted = vec![sched.get_last_lr().to_vec()];
    let mut saved = None;
    for epoch in 1..=25 {
        opt.step();
        sched.step(&mut opt);
        uninterrupted.push(sched.get_last_lr().to_vec());
        if epoch == 13 {
            saved = Some((opt.state_dict(), sched.state_dict()));
        }
    }
    let (opt_sd, sched_sd) = saved.unwrap();

    let mut opt2 = two_group_sgd();
    let mut sched2 = LrScheduler::new(&mut opt2, Schedule::CosineAnnealing { t_max: 10, eta_min: 0.001 });
    opt2.load_state_dict(&opt_sd).unwrap();
    sched2.load_state_dict(&sched_sd).unwrap();
    assert_eq!(sched2.last_epoch(), 13);
    for (epoch, want) in uninterrupted.iter().enumerate().skip(14) {
        opt2.step();
        sched2.step(&mut opt2);
        assert_eq!(sched2.get_last_lr(), want.as_slice(), "epoch {epoch}");
    }
}

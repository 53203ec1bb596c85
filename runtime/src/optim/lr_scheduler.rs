//! Learning-rate schedulers, as `torch.optim.lr_scheduler`.
//!
//! A scheduler rewrites the `lr` of every param group of an optimiser, once per [`LrScheduler::step`]
//! (call it after the optimiser's `step`, once per epoch). The values follow PyTorch's recursive
//! (chainable) `get_lr` formulas, which derive each lr from the group's current one, evaluated in
//! the same order in f64, so a trajectory equals PyTorch's to the last bit or so.
//!
//! | fusenet | PyTorch |
//! |---|---|
//! | [`Schedule::Step`] | `StepLR(step_size, gamma=0.1)` |
//! | [`Schedule::MultiStep`] | `MultiStepLR(milestones, gamma=0.1)` |
//! | [`Schedule::Exponential`] | `ExponentialLR(gamma)` |
//! | [`Schedule::CosineAnnealing`] | `CosineAnnealingLR(T_max, eta_min=0)` |
//! | [`Schedule::Linear`] | `LinearLR(start_factor=1/3, end_factor=1, total_iters=5)` |
//!
//! ```
//! use fusenet_runtime::optim::{LrScheduler, Optimizer, Schedule, Sgd};
//! use fusenet_runtime::{Param, Tensor};
//! let w = Param::new(Tensor::zeros(&[1]));
//! let mut opt = Sgd::new([&w], 0.1);
//! let mut sched = LrScheduler::new(&mut opt, Schedule::Step { step_size: 2, gamma: 0.5 });
//! let mut lrs = vec![];
//! for _epoch in 0..5 {
//!     lrs.push(sched.get_last_lr()[0]);
//!     opt.step();
//!     sched.step(&mut opt);
//! }
//! assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025]);
//! ```

use super::Optimizer;
use super::json::{self, Obj};
use crate::error::{Error, Result};
use crate::io::Metadata;
use serde_json::Value;
use std::f64::consts::PI;

/// How the learning rate changes with the epoch.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Multiplies the lr by `gamma` every `step_size` epochs.
    Step { step_size: usize, gamma: f64 },
    /// Multiplies the lr by `gamma` at each milestone epoch (by `gamma^k` for a milestone listed
    /// `k` times).
    MultiStep { milestones: Vec<usize>, gamma: f64 },
    /// Multiplies the lr by `gamma` every epoch.
    Exponential { gamma: f64 },
    /// `η = η_min + (η_base − η_min)·(1 + cos(π·epoch/T_max))/2`, continued past `T_max` as
    /// PyTorch continues it (the recursive form rises back to `η_base` at `2·T_max`).
    CosineAnnealing { t_max: usize, eta_min: f64 },
    /// Scales the base lr by a factor that moves linearly from `start_factor` to `end_factor`
    /// over `total_iters` epochs, then stays.
    Linear { start_factor: f64, end_factor: f64, total_iters: usize },
}

impl Schedule {
    fn name(&self) -> &'static str {
        match self {
            Schedule::Step { .. } => "StepLR",
            Schedule::MultiStep { .. } => "MultiStepLR",
            Schedule::Exponential { .. } => "ExponentialLR",
            Schedule::CosineAnnealing { .. } => "CosineAnnealingLR",
            Schedule::Linear { .. } => "LinearLR",
        }
    }

    fn check(&self) -> std::result::Result<(), String> {
        match *self {
            Schedule::Step { step_size: 0, .. } => Err("StepLR: step_size must be positive, got 0".into()),
            Schedule::CosineAnnealing { t_max: 0, .. } => Err("CosineAnnealingLR: T_max must be positive, got 0".into()),
            Schedule::Linear { start_factor, .. } if !(start_factor > 0.0 && start_factor <= 1.0) => {
                Err("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.".into())
            }
            Schedule::Linear { end_factor, .. } if !(0.0..=1.0).contains(&end_factor) => {
                Err("Ending multiplicative factor expected to be between 0 and 1.".into())
            }
            _ => Ok(()),
        }
    }

    /// PyTorch's `get_lr` for the epoch `e` (already advanced), from the current lr `lr`.
    fn next(&self, e: i64, initial: bool, lr: f64, base: f64) -> f64 {
        match *self {
            Schedule::Step { step_size, gamma } => {
                if e == 0 || e % step_size as i64 != 0 { lr } else { lr * gamma }
            }
            Schedule::MultiStep { ref milestones, gamma } => {
                let k = milestones.iter().filter(|&&m| m as i64 == e).count();
                if k == 0 { lr } else { lr * gamma.powf(k as f64) }
            }
            Schedule::Exponential { gamma } => {
                if initial { lr } else { lr * gamma }
            }
            Schedule::CosineAnnealing { t_max, eta_min } => {
                let t = t_max as f64;
                if initial {
                    lr
                } else if (e - 1 - t_max as i64).rem_euclid(2 * t_max as i64) == 0 {
                    lr + (base - eta_min) * (1.0 - (PI / t).cos()) / 2.0
                } else {
                    (1.0 + (PI * e as f64 / t).cos()) / (1.0 + (PI * (e - 1) as f64 / t).cos()) * (lr - eta_min) + eta_min
                }
            }
            Schedule::Linear { start_factor, end_factor, total_iters } => {
                if e == 0 {
                    lr * start_factor
                } else if initial || e > total_iters as i64 {
                    lr
                } else {
                    lr * (1.0 + (end_factor - start_factor) / (total_iters as f64 * start_factor + (e - 1) as f64 * (end_factor - start_factor)))
                }
            }
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Obj::new();
        match self {
            Schedule::Step { step_size, gamma } => {
                m.insert("step_size".into(), (*step_size).into());
                m.insert("gamma".into(), json::num(*gamma));
            }
            Schedule::MultiStep { milestones, gamma } => {
                m.insert("milestones".into(), milestones.clone().into());
                m.insert("gamma".into(), json::num(*gamma));
            }
            Schedule::Exponential { gamma } => {
                m.insert("gamma".into(), json::num(*gamma));
            }
            Schedule::CosineAnnealing { t_max, eta_min } => {
                m.insert("T_max".into(), (*t_max).into());
                m.insert("eta_min".into(), json::num(*eta_min));
            }
            Schedule::Linear { start_factor, end_factor, total_iters } => {
                m.insert("start_factor".into(), json::num(*start_factor));
                m.insert("end_factor".into(), json::num(*end_factor));
                m.insert("total_iters".into(), (*total_iters).into());
            }
        }
        Value::Object(m)
    }

    /// The same kind of schedule with the parameters in `v`.
    fn with_json(&self, v: &Value) -> std::result::Result<Schedule, String> {
        let m = v.as_object().ok_or("the schedule is not a JSON object")?;
        let uint = |k: &str| m.get(k).and_then(Value::as_u64).map(|x| x as usize).ok_or(format!("{k:?} is missing or not an integer"));
        Ok(match self {
            Schedule::Step { .. } => Schedule::Step { step_size: uint("step_size")?, gamma: json::f64_of(m, "gamma")? },
            Schedule::MultiStep { .. } => {
                let list = m.get("milestones").and_then(Value::as_array).ok_or("\"milestones\" is missing or not a list")?;
                let milestones = list.iter().map(|x| x.as_u64().map(|x| x as usize).ok_or("a milestone is not an integer")).collect::<std::result::Result<_, _>>()?;
                Schedule::MultiStep { milestones, gamma: json::f64_of(m, "gamma")? }
            }
            Schedule::Exponential { .. } => Schedule::Exponential { gamma: json::f64_of(m, "gamma")? },
            Schedule::CosineAnnealing { .. } => Schedule::CosineAnnealing { t_max: uint("T_max")?, eta_min: json::f64_of(m, "eta_min")? },
            Schedule::Linear { .. } => Schedule::Linear {
                start_factor: json::f64_of(m, "start_factor")?,
                end_factor: json::f64_of(m, "end_factor")?,
                total_iters: uint("total_iters")?,
            },
        })
    }
}

/// A learning-rate scheduler over one optimiser, as `torch.optim.lr_scheduler.LRScheduler`.
#[derive(Clone, Debug)]
pub struct LrScheduler {
    schedule: Schedule,
    base_lrs: Vec<f64>,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl LrScheduler {
    /// Starts `schedule` on `opt` at epoch 0: the groups' current lrs become the base lrs, and
    /// epoch 0's lrs are written (only [`Schedule::Linear`] changes them). Panics on invalid
    /// parameters, with PyTorch's message where it has one.
    pub fn new<O: Optimizer + ?Sized>(opt: &mut O, schedule: Schedule) -> LrScheduler {
        if let Err(msg) = schedule.check() {
            panic!("{msg}");
        }
        let base_lrs = opt.lrs();
        let mut s = LrScheduler { schedule, last_lr: base_lrs.clone(), base_lrs, last_epoch: -1 };
        s.advance(opt, true);
        s
    }

    /// Advances one epoch and writes the new lr into every group of `opt`.
    pub fn step<O: Optimizer + ?Sized>(&mut self, opt: &mut O) {
        self.advance(opt, false);
    }

    fn advance<O: Optimizer + ?Sized>(&mut self, opt: &mut O, initial: bool) {
        self.last_epoch += 1;
        let groups = opt.param_groups_mut();
        assert_eq!(
            groups.len(),
            self.base_lrs.len(),
            "the scheduler was created for {} param groups, the optimizer now has {}",
            self.base_lrs.len(),
            groups.len()
        );
        for (g, &base) in groups.iter_mut().zip(&self.base_lrs) {
            g.lr = self.schedule.next(self.last_epoch, initial, g.lr, base);
        }
        self.last_lr = opt.lrs();
    }

    /// The lrs written by the last step (PyTorch's `get_last_lr()`).
    pub fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// The epoch counter (0 after construction).
    pub fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    /// The base lrs (each group's lr when the scheduler started).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The scheduler's state as safetensors metadata strings (`scheduler`, `last_epoch`,
    /// `base_lrs`, `last_lr`, `schedule`), to save next to the optimiser's state.
    pub fn state_dict(&self) -> Metadata {
        let lrs = |v: &[f64]| Value::Array(v.iter().map(|&x| json::num(x)).collect()).to_string();
        let mut m = Metadata::new();
        m.insert("scheduler".into(), self.schedule.name().into());
        m.insert("last_epoch".into(), self.last_epoch.to_string());
        m.insert("base_lrs".into(), lrs(&self.base_lrs));
        m.insert("last_lr".into(), lrs(&self.last_lr));
        m.insert("schedule".into(), self.schedule.to_json().to_string());
        m
    }

    /// Restores [`state_dict`](LrScheduler::state_dict)'s output (epoch counter, base lrs and the
    /// schedule's parameters, as PyTorch's `load_state_dict` does). The optimiser's lrs come from
    /// its own state dict. Nothing changes on error.
    pub fn load_state_dict(&mut self, m: &Metadata) -> Result<()> {
        let err = |msg: String| Error::OptimizerState(format!("scheduler state dict: {msg}"));
        let get = |k: &str| m.get(k).ok_or_else(|| err(format!("no {k:?} entry")));
        let kind = get("scheduler")?;
        if kind != self.schedule.name() {
            return Err(err(format!("it is for {kind}, it cannot be loaded into {}", self.schedule.name())));
        }
        let last_epoch: i64 = get("last_epoch")?.parse().map_err(|_| err("\"last_epoch\" is not an integer".into()))?;
        let lrs = |k: &str| -> Result<Vec<f64>> {
            let v: Value = serde_json::from_str(get(k)?).map_err(|e| err(format!("{k:?} is not JSON: {e}")))?;
            let list = v.as_array().ok_or_else(|| err(format!("{k:?} is not a list")))?;
            let out: Option<Vec<f64>> = list.iter().map(Value::as_f64).collect();
            let out = out.ok_or_else(|| err(format!("{k:?} holds a non-number")))?;
            if out.len() != self.base_lrs.len() {
                return Err(err(format!("{k:?} has {} entries, the scheduler has {} param groups", out.len(), self.base_lrs.len())));
            }
            Ok(out)
        };
        let (base_lrs, last_lr) = (lrs("base_lrs")?, lrs("last_lr")?);
        let params: Value = serde_json::from_str(get("schedule")?).map_err(|e| err(format!("\"schedule\" is not JSON: {e}")))?;
        let schedule = self.schedule.with_json(&params).map_err(err)?;
        schedule.check().map_err(err)?;
        *self = LrScheduler { schedule, base_lrs, last_epoch, last_lr };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;
    use crate::{Param, Tensor};

    fn opt() -> Sgd {
        Sgd::new([&Param::new(Tensor::zeros(&[1]))], 0.1)
    }

    #[test]
    fn linear_starts_scaled_and_reaches_the_base() {
        let mut o = opt();
        let mut s = LrScheduler::new(&mut o, Schedule::Linear { start_factor: 0.5, end_factor: 1.0, total_iters: 2 });
        assert_eq!(s.get_last_lr(), [0.05]);
        s.step(&mut o);
        s.step(&mut o);
        s.step(&mut o);
        assert!((o.lrs()[0] - 0.1).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")]
    fn linear_zero_start_panics() {
        LrScheduler::new(&mut opt(), Schedule::Linear { start_factor: 0.0, end_factor: 1.0, total_iters: 5 });
    }

    #[test]
    fn state_round_trip_and_kind_mismatch() {
        let mut o = opt();
        let mut s = LrScheduler::new(&mut o, Schedule::Exponential { gamma: 0.5 });
        s.step(&mut o);
        let sd = s.state_dict();
        let mut o2 = opt();
        let mut s2 = LrScheduler::new(&mut o2, Schedule::Exponential { gamma: 0.9 });
        s2.load_state_dict(&sd).unwrap();
        assert_eq!((s2.last_epoch(), s2.schedule()), (1, &Schedule::Exponential { gamma: 0.5 }));
        let mut s3 = LrScheduler::new(&mut o2, Schedule::Step { step_size: 1, gamma: 0.5 });
        let e = s3.load_state_dict(&sd).unwrap_err().to_string();
        assert!(e.contains("it is for ExponentialLR, it cannot be loaded into StepLR"), "{e}");
    }
}

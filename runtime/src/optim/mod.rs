//! Optimisers and learning-rate schedulers, as `torch.optim` and `torch.optim.lr_scheduler`.
//!
//! | fusenet | PyTorch | defaults (besides `lr`) |
//! |---|---|---|
//! | [`Sgd`] | `SGD` | momentum 0, dampening 0, weight_decay 0, nesterov false |
//! | [`Adam`] | `Adam` | betas (0.9, 0.999), eps 1e-8, weight_decay 0, amsgrad false |
//! | [`AdamW`] | `AdamW` | as Adam, but decoupled weight_decay 1e-2 |
//! | [`Rmsprop`] | `RMSprop` | alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false |
//! | [`Adagrad`] | `Adagrad` | lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10 |
//! | [`Adadelta`] | `Adadelta` | rho 0.9, eps 1e-6, weight_decay 0 (and lr 1.0: [`Adadelta::DEFAULT_LR`]) |
//!
//! Every optimiser also takes `maximize`. Each update is PyTorch's single-tensor (`foreach=False`)
//! algorithm, one fused pass per parameter (`fusenet_kernels::cpu::optim`), so parameters follow
//! PyTorch's trajectories to float rounding. A parameter whose grad is `None` is skipped and its
//! state left as it was. State buffers are allocated at a parameter's first step; later steps
//! allocate nothing.
//!
//! Hyper-parameters are set with builder methods, which apply to every group added so far and to
//! later [`default_group`](Optim::default_group)s. An invalid value is a programmer's error and
//! panics with PyTorch's message (`Invalid learning rate: -1`); a saved state that does not fit is
//! an [`Error::OptimizerState`](crate::Error::OptimizerState).
//!
//! ```
//! use fusenet_runtime::optim::{Optimizer, Sgd};
//! use fusenet_runtime::{Param, Tensor};
//! let w = Param::new(Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
//! let mut opt = Sgd::new([&w], 0.1).momentum(0.9);
//! w.set_grad(Some(Tensor::from_vec(vec![1.0f32, -1.0], &[2])));
//! opt.step();
//! assert_eq!(w.value().to_vec::<f32>(), [0.9, 2.1]);
//! opt.zero_grad();
//! assert!(w.grad().is_none());
//! ```

mod adadelta;
mod adagrad;
mod adam;
mod core;
mod fused;
mod json;
pub mod lr_scheduler;
mod rmsprop;
mod sgd;
mod state;

pub use adadelta::{Adadelta, AdadeltaOptions, AdadeltaRule};
pub use adagrad::{Adagrad, AdagradOptions, AdagradRule};
pub use adam::{Adam, AdamOptions, AdamRule, AdamW, AdamWRule};
pub use self::core::{Optim, ParamState, UpdateRule};
pub use fused::{FUSE_MAX_NUMEL, FusedUpdate, fused_lr};
pub use lr_scheduler::{LrScheduler, Schedule};
pub use rmsprop::{Rmsprop, RmspropOptions, RmspropRule};
pub use sgd::{Sgd, SgdOptions, SgdRule};
pub use state::{GROUPS_KEY, KIND_KEY, OptimizerState};

use crate::error::Result;
use crate::param::Param;

/// One parameter group: parameters that share hyper-parameters, as a dict in PyTorch's
/// `optimizer.param_groups`. `lr` is a field of its own so that schedulers reach it for every
/// optimiser; the rest are in `options`.
#[derive(Debug)]
pub struct ParamGroup<O> {
    /// Shared handles onto the parameters ([`Param::share`]).
    pub params: Vec<Param>,
    pub lr: f64,
    pub options: O,
}

/// An optimiser, as `torch.optim.Optimizer`.
pub trait Optimizer {
    /// The hyper-parameters of a group besides `lr` (e.g. [`SgdOptions`]).
    type Options;

    /// One update of every parameter that has a grad.
    fn step(&mut self);

    /// The parameter groups, in the order they were added.
    fn param_groups(&self) -> &[ParamGroup<Self::Options>];

    /// The parameter groups, to change a group's `lr` or options between steps.
    fn param_groups_mut(&mut self) -> &mut [ParamGroup<Self::Options>];

    /// Adds a group (fine-tuning a new head with its own lr). Panics, like PyTorch, when a
    /// parameter is already in another group or a hyper-parameter is invalid.
    fn add_param_group(&mut self, group: ParamGroup<Self::Options>);

    /// The per-parameter state and the groups' hyper-parameters, saveable with
    /// [`OptimizerState::save`].
    fn state_dict(&self) -> OptimizerState;

    /// Restores [`state_dict`](Optimizer::state_dict)'s output: the groups' hyper-parameters and
    /// every parameter's state, matched by position as PyTorch does. Nothing changes when the
    /// state does not fit (another optimiser kind, group sizes, shapes); the error says what.
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()>;

    /// The optimiser as a [`FusedUpdate`], when it can apply its step inside a backward
    /// ([`Layer::backward_with`](crate::module::Layer::backward_with)); `None` by default.
    fn as_fused(&self) -> Option<&dyn FusedUpdate> {
        None
    }

    /// PyTorch's `zero_grad()` (`set_to_none=True`): every grad becomes `None`.
    fn zero_grad(&self) {
        self.zero_grad_with(true);
    }

    /// `zero_grad(set_to_none)`: with `false`, existing grads are filled with zeros in place.
    fn zero_grad_with(&self, set_to_none: bool) {
        for p in self.param_groups().iter().flat_map(|g| &g.params) {
            if set_to_none {
                p.zero_grad();
            } else if let Some(g) = p.grad() {
                g.fill_(0.0);
            }
        }
    }

    /// The current learning rate of every group.
    fn lrs(&self) -> Vec<f64> {
        self.param_groups().iter().map(|g| g.lr).collect()
    }
}

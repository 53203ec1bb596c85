//! Optimisers and learning-rate schedulers against `torch.optim`: trajectories, schedules and
//! state dicts.

mod optim_support;

mod parity;
mod sched;
mod state;

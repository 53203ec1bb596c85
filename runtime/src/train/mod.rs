//! Training: the loop (`fit`, or its pieces `train_epoch` and `evaluate` for a loop written by
//! hand as in the seeds), the criterion trait, and checkpoints that resume a run exactly.

mod checkpoint;
mod criterion;
mod fit;

pub use checkpoint::Checkpoint;
pub use criterion::Criterion;
pub use fit::{EpochStats, FitOptions, evaluate, fit, train_epoch};

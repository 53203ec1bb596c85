//! Data-dependent kernel errors: a value read from the data (a class index, an embedding index,
//! a probability) that the op cannot accept. Shape and geometry mistakes are programmer errors and
//! panic instead. The runtime maps a [`KernelError`] into `fusenet_runtime::Error`.
//!
//! ```
//! use fusenet_kernels::error::KernelError;
//! let e = KernelError::TargetOutOfRange { target: 7, classes: 3 };
//! assert_eq!(e.to_string(), "Target 7 is out of bounds: expected a class index in [0, 3) (or the ignore_index)");
//! ```

use std::fmt;

/// An error in the data a kernel was given.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum KernelError {
    /// A loss target class index outside `[0, classes)` that is not the `ignore_index`.
    TargetOutOfRange { target: i64, classes: usize },
    /// An embedding index outside `[0, num_embeddings)`.
    IndexOutOfRange { index: i64, num_embeddings: usize },
    /// A probability input of `BCELoss` outside `[0, 1]` (or NaN).
    ProbabilityOutOfRange { value: f64 },
}

/// The result of a kernel that can fail on its data.
pub type KernelResult<T = ()> = Result<T, KernelError>;

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::TargetOutOfRange { target, classes } => {
                write!(f, "Target {target} is out of bounds: expected a class index in [0, {classes}) (or the ignore_index)")
            }
            KernelError::IndexOutOfRange { index, num_embeddings } => {
                write!(f, "index out of range in self: index {index} is not in [0, {num_embeddings}) (num_embeddings={num_embeddings})")
            }
            KernelError::ProbabilityOutOfRange { value } => {
                write!(f, "all elements of input should be between 0 and 1, but found {value}")
            }
        }
    }
}

impl std::error::Error for KernelError {}

//! Errors for everything that comes from outside the program: files, checkpoints, state dicts and
//! devices.
//!
//! A programmer's mistake in an eager op (a shape mismatch, a bad dim) panics. Anything a file, a
//! state dict or the machine can get wrong is an [`Error`] whose message names the file (and the
//! tensor key, where there is one) and says what is wrong:
//!
//! ```
//! use fusenet_runtime::{io, Error};
//! let err = io::load("no/such/file.safetensors").unwrap_err();
//! assert!(matches!(err, Error::Io { .. }));
//! assert!(err.to_string().contains("no/such/file.safetensors"));
//! ```

use crate::data::DataProblem;
use crate::state_dict::LoadReport;
use std::path::PathBuf;

/// The result of a fallible fusenet operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error caused by input from outside the program: files, checkpoints, state dicts, devices.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed at the operating-system level (missing file, permission
    /// denied, disk full, a directory where a file was expected, ...).
    #[error("I/O error on {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    /// The file ends before the data its own header describes (or is too short to hold a header).
    #[error("{}: truncated safetensors file: {msg}", path.display())]
    Truncated { path: PathBuf, msg: String },

    /// The header is not a valid safetensors header (length, UTF-8, JSON, structure).
    #[error("{}: invalid safetensors header: {msg}", path.display())]
    BadHeader { path: PathBuf, msg: String },

    /// One tensor's header entry is inconsistent: offsets out of bounds or overlapping, a shape
    /// whose byte size does not match its offsets, an invalid element value.
    #[error("{}: tensor {key:?}: {msg}", path.display())]
    BadTensor { path: PathBuf, key: String, msg: String },

    /// A tensor is stored with an element type that fusenet cannot represent.
    #[error(
        "{}: tensor {key:?} has dtype {dtype}, which fusenet cannot load \
         (F32, I64 and BOOL load as they are; F64, F16 and BF16 convert to F32; \
         I8, I16, I32, U8, U16, U32 and U64 convert to I64)",
        path.display()
    )]
    UnsupportedDtype { path: PathBuf, key: String, dtype: String },

    /// A file's contents are valid safetensors but not what the caller asked for (a list whose
    /// keys are not `0..n`, a missing key, a reserved key on save, ...).
    #[error("{}: {msg}", path.display())]
    Format { path: PathBuf, msg: String },

    /// A state dict does not fit the module it is loaded into. The message lists every missing
    /// key, every unexpected key and every shape mismatch, as PyTorch's does.
    #[error("{0}")]
    LoadStateDict(LoadReport),

    /// A device was asked for that is not there.
    #[error("{0}")]
    Device(String),

    /// A data set file (an MNIST IDX file, ...) is missing or malformed; `problem` says how.
    #[error("{}: {problem}", path.display())]
    Data { path: PathBuf, problem: DataProblem },

    /// An optimiser's or learning-rate scheduler's saved state does not fit the one it is loaded
    /// into (another optimiser kind, another number of parameters, a shape mismatch, ...).
    #[error("{0}")]
    OptimizerState(String),

    /// A layer was given data it cannot accept: a loss target class out of range, an embedding
    /// index out of range, a `BCELoss` input outside [0, 1]. The message names the value and the
    /// valid range.
    #[error(transparent)]
    Kernel(#[from] fusenet_kernels::error::KernelError),
}

impl Error {
    /// The file the error is about, if it is about one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Io { path, .. }
            | Error::Truncated { path, .. }
            | Error::BadHeader { path, .. }
            | Error::BadTensor { path, .. }
            | Error::UnsupportedDtype { path, .. }
            | Error::Format { path, .. }
            | Error::Data { path, .. } => Some(path),
            Error::LoadStateDict(_) | Error::Device(_) | Error::OptimizerState(_) | Error::Kernel(_) => None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, msg: impl Into<String>) -> Error {
        Error::Format { path: path.into(), msg: msg.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_dict::ShapeMismatch;

    #[test]
    fn messages_name_the_file_and_the_key() {
        let e = Error::UnsupportedDtype { path: "m.safetensors".into(), key: "w".into(), dtype: "F8_E4M3".into() };
        let s = e.to_string();
        assert!(s.starts_with("m.safetensors: tensor \"w\" has dtype F8_E4M3"), "{s}");
        assert_eq!(e.path(), Some(std::path::Path::new("m.safetensors")));
        let e = Error::Truncated { path: "a/b".into(), msg: "x".into() };
        assert_eq!(e.to_string(), "a/b: truncated safetensors file: x");
        let e = Error::Device("CUDA device 0 requested".into());
        assert_eq!(e.to_string(), "CUDA device 0 requested");
        assert_eq!(e.path(), None);
    }

    #[test]
    fn load_state_dict_error_lists_everything() {
        let report = LoadReport {
            missing_keys: vec!["0.bias".into()],
            unexpected_keys: vec!["1.weight".into()],
            shape_mismatches: vec![ShapeMismatch { key: "0.weight".into(), expected: vec![8, 4], found: vec![8, 5] }],
        };
        let s = Error::LoadStateDict(report).to_string();
        assert!(s.contains("Missing key(s) in state_dict: \"0.bias\"."), "{s}");
        assert!(s.contains("Unexpected key(s) in state_dict: \"1.weight\"."), "{s}");
        assert!(s.contains("size mismatch for 0.weight: copying a param with shape [8, 5] from checkpoint, the shape in current model is [8, 4]."), "{s}");
    }
}

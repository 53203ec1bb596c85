//! Errors for everything that comes from outside the program. (Owner: io helper extends this.)

use crate::state_dict::LoadReport;
use std::path::PathBuf;

/// The result of a fallible fusenet operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error caused by input from outside the program: files, checkpoints, state dicts, devices.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A file's contents are not what they should be (truncated, corrupt, wrong dtype, ...).
    #[error("{path}: {msg}")]
    Format { path: PathBuf, msg: String },
    /// A state dict does not fit the module it is loaded into.
    #[error("error(s) in loading state_dict: {0:?}")]
    LoadStateDict(LoadReport),
    /// A device was asked for that is not there.
    #[error("device error: {0}")]
    Device(String),
}

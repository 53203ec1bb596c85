//! Saving and loading tensors and state dicts as [safetensors] files, the format that PyTorch's
//! `safetensors.torch.save_file` / `load_file` read and write.
//!
//! | fusenet | file keys | PyTorch counterpart |
//! |---|---|---|
//! | [`save`] / [`load`] | `"tensor"` ([`TENSOR_KEY`]) | `save_file({"tensor": x}, f)` |
//! | [`save_list`] / [`load_list`] | `"0"`, `"1"`, ... | `save_file({str(i): t for i, t in enumerate(ts)}, f)` |
//! | [`save_dict`] / [`load_dict`] | the names | `save_file(mydict, f)` / `load_file(f)` |
//! | [`save_state_dict`] / [`load_state_dict_file`] | the state-dict keys | `save_file(net.state_dict(), f)` |
//!
//! # Format and interop
//! A file is an 8-byte little-endian header length, a JSON header
//! (`{"key": {"dtype": "F32", "shape": [8, 4], "data_offsets": [begin, end]}, ...}`, plus an
//! optional `"__metadata__"` map of strings) and the tensor bytes, row-major and little-endian.
//! Writing goes through the `safetensors` crate, which orders tensors by dtype alignment and then by
//! name, exactly as the Python package does: a state dict saved here is byte-for-byte the file
//! `safetensors.torch.save_file` writes for the same tensors. Loading returns tensors in file (offset)
//! order, as Python's `load_file` does; match keys by name, not by position.
//!
//! # Element types
//! `F32`, `I64` and `BOOL` round-trip exactly. On load, other types convert where the conversion is
//! well defined: `F16` and `BF16` → `F32` (exact), `F64` → `F32` (rounded to nearest, as
//! `tensor.float()` does), and `I8`, `I16`, `I32`, `U8`, `U16`, `U32` → `I64` (exact); `U64` → `I64`
//! when every value fits. Anything else (FP8 variants, `C64`, sub-byte types) is
//! [`Error::UnsupportedDtype`] naming the file, the key and the dtype.
//! A `BOOL` byte other than 0 or 1 is an error too. Non-contiguous tensors are written in logical
//! (row-major) order, as `.contiguous()` would lay them out.
//!
//! # Safety of writes
//! Every save writes a temporary file next to the target, fsyncs it, renames it over the target and
//! fsyncs the directory ([`atomic::write_atomic`]). A failed save leaves the previous file as it was
//! and removes the temporary file. Every failure, and every problem in a file read, is an
//! [`Error`] naming the file; file content never causes a panic.
//!
//! ```
//! use fusenet_runtime::{io, Tensor};
//! let dir = std::env::temp_dir().join(format!("fusenet-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let x = Tensor::from_vec(vec![0i64, 1, 2, 3], &[4]);
//! io::save(dir.join("x-file"), &x)?;
//! let x2 = io::load(dir.join("x-file"))?;
//! assert_eq!(x2.to_vec::<i64>(), [0, 1, 2, 3]);
//!
//! let y = Tensor::zeros(&[4]);
//! io::save_list(dir.join("x-files"), &[x.shallow_clone(), y])?;
//! let xy = io::load_list(dir.join("x-files"))?;
//! assert_eq!(xy[1].to_vec::<f32>(), [0.0; 4]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [safetensors]: https://huggingface.co/docs/safetensors

pub mod atomic;
mod diagnose;
mod read;
mod write;

use crate::error::{Error, Result};
use crate::state_dict::StateDict;
use crate::tensor::Tensor;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::Path;

pub use atomic::write_atomic;
pub use read::{from_bytes, read_metadata};
pub use write::to_bytes;

/// The key under which [`save`] stores a single tensor, and which [`load`] looks for first.
pub const TENSOR_KEY: &str = "tensor";

/// The free-form `__metadata__` map of a safetensors header: small strings such as an epoch
/// number or a format version. Keys are sorted.
pub type Metadata = BTreeMap<String, String>;

/// Saves one tensor under the key [`TENSOR_KEY`] (`"tensor"`), as `torch.save(x, 'x-file')`
/// saves one tensor (but in safetensors format).
pub fn save(path: impl AsRef<Path>, tensor: &Tensor) -> Result<()> {
    save_dict(path, [(TENSOR_KEY, tensor)])
}

/// Loads one tensor: the one under [`TENSOR_KEY`], or the only tensor of a file that holds exactly
/// one under any key. Any other file is an [`Error::Format`] listing its keys.
pub fn load(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let mut dict = load_dict(path)?;
    if let Some(t) = dict.remove(TENSOR_KEY) {
        return Ok(t);
    }
    let keys: Vec<String> = dict.keys().map(String::from).collect();
    if let [_] = keys.as_slice()
        && let Some((_, t)) = dict.into_iter().next()
    {
        return Ok(t);
    }
    Err(Error::format(
        path,
        format!(
            "expected one tensor (key {TENSOR_KEY:?}), but the file holds {} tensors with keys {keys:?}; use load_dict",
            keys.len()
        ),
    ))
}

/// Saves a list of tensors under the keys `"0"`, `"1"`, ..., as `torch.save([x, y], f)` saves a
/// list.
pub fn save_list<T: Borrow<Tensor>>(path: impl AsRef<Path>, tensors: &[T]) -> Result<()> {
    save_dict(path, tensors.iter().enumerate().map(|(i, t)| (i.to_string(), t.borrow())))
}

/// Loads a list saved by [`save_list`] (or by Python with keys `"0"`..`"n-1"`), in index order.
///
/// A file whose keys are not exactly `"0"`..`"n-1"` is an [`Error::Format`] naming the first
/// offending key.
pub fn load_list(path: impl AsRef<Path>) -> Result<Vec<Tensor>> {
    let path = path.as_ref();
    let dict = load_dict(path)?;
    let n = dict.len();
    let mut slots: Vec<Option<Tensor>> = (0..n).map(|_| None).collect();
    for (key, t) in dict {
        let index = key
            .parse::<usize>()
            .ok()
            .filter(|&i| i < n && i.to_string() == key)
            .ok_or_else(|| {
                Error::format(path, format!("not a tensor list: key {key:?} is not an index in 0..{n}"))
            })?;
        slots[index] = Some(t);
    }
    slots
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.ok_or_else(|| Error::format(path, format!("not a tensor list: key \"{i}\" is missing"))))
        .collect()
}

/// Saves named tensors, as `safetensors.torch.save_file(mydict, f)`.
///
/// Accepts anything that yields `(name, tensor)` pairs: `&StateDict` via `sd.iter()`, a `BTreeMap`,
/// an array of pairs. A repeated name or the reserved name `"__metadata__"` is an
/// [`Error::Format`] and nothing is written.
pub fn save_dict<K, T>(path: impl AsRef<Path>, tensors: impl IntoIterator<Item = (K, T)>) -> Result<()>
where
    K: AsRef<str>,
    T: Borrow<Tensor>,
{
    save_dict_with_metadata(path, tensors, &Metadata::new())
}

/// [`save_dict`] with a `__metadata__` map of strings in the header (none is written when `metadata`
/// is empty), as `save_file(tensors, f, metadata={"epoch": "3"})`.
pub fn save_dict_with_metadata<K, T>(
    path: impl AsRef<Path>,
    tensors: impl IntoIterator<Item = (K, T)>,
    metadata: &Metadata,
) -> Result<()>
where
    K: AsRef<str>,
    T: Borrow<Tensor>,
{
    let path = path.as_ref();
    let bytes = write::serialize(path, tensors, metadata)?;
    write_atomic(path, |file| std::io::Write::write_all(file, &bytes))
}

/// Loads every tensor of a file, in file order, as `safetensors.torch.load_file(f)`.
pub fn load_dict(path: impl AsRef<Path>) -> Result<StateDict> {
    Ok(load_dict_with_metadata(path)?.0)
}

/// [`load_dict`] that also returns the header's `__metadata__` map (empty when there is none).
pub fn load_dict_with_metadata(path: impl AsRef<Path>) -> Result<(StateDict, Metadata)> {
    let path = path.as_ref();
    let bytes = read::read_file(path)?;
    read::parse(path, &bytes)
}

/// Saves a module's state dict, as `safetensors.torch.save_file(net.state_dict(), f)`.
pub fn save_state_dict(path: impl AsRef<Path>, state_dict: &StateDict) -> Result<()> {
    save_dict(path, state_dict.iter())
}

/// [`save_state_dict`] with a `__metadata__` map (e.g. `{"epoch": "3"}`) in the header.
pub fn save_state_dict_with_metadata(path: impl AsRef<Path>, state_dict: &StateDict, metadata: &Metadata) -> Result<()> {
    save_dict_with_metadata(path, state_dict.iter(), metadata)
}

/// Loads a state dict saved by [`save_state_dict`] or by `safetensors.torch.save_file`, ready for
/// `module.load_state_dict(&sd)`.
pub fn load_state_dict_file(path: impl AsRef<Path>) -> Result<StateDict> {
    load_dict(path)
}

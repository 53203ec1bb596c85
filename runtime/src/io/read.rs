//! Reading safetensors bytes into tensors, with a typed error for everything a file can get wrong.

use super::{Metadata, diagnose};
use crate::error::{Error, Result};
use crate::state_dict::StateDict;
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors};
use std::io::Read;
use std::path::Path;

/// Bytes of the little-endian header length that starts every file.
pub(super) const LEN_BYTES: usize = 8;

/// The path shown in errors about in-memory bytes ([`from_bytes`]).
const MEMORY: &str = "<bytes>";

/// Reads a whole file, with a clear error for a directory or a missing file.
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>> {
    if path.is_dir() {
        return Err(Error::format(path, "is a directory, not a safetensors file"));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Parses safetensors bytes held in memory (errors name the path `<bytes>`).
///
/// ```
/// use fusenet_runtime::{io, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let bytes = io::to_bytes([("x", &x)], &io::Metadata::new())?;
/// let (sd, meta) = io::from_bytes(&bytes)?;
/// assert_eq!(sd["x"].to_vec::<f32>(), [1.0, 2.0]);
/// assert!(meta.is_empty());
/// assert!(io::from_bytes(&bytes[..bytes.len() - 1]).is_err());
/// # Ok::<(), fusenet_runtime::Error>(())
/// ```
pub fn from_bytes(bytes: &[u8]) -> Result<(StateDict, Metadata)> {
    parse(Path::new(MEMORY), bytes)
}

/// Parses a whole file's bytes into its tensors (in offset order) and its `__metadata__`.
pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<(StateDict, Metadata)> {
    let header_len = header_len(path, bytes, bytes.len() as u64)?;
    let (n, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| diagnose::explain(path, bytes, header_len, e))?;
    let data = bytes.get(LEN_BYTES + n..).unwrap_or_default();
    let mut dict = StateDict::new();
    for key in meta.offset_keys() {
        let Some(info) = meta.info(&key) else {
            return Err(Error::BadHeader { path: path.into(), msg: format!("tensor {key:?} vanished from the header") });
        };
        let (begin, end) = info.data_offsets;
        let raw = data.get(begin..end).ok_or_else(|| Error::BadTensor {
            path: path.into(),
            key: key.clone(),
            msg: format!("data_offsets [{begin}, {end}] lie outside the {} bytes of tensor data", data.len()),
        })?;
        let tensor = decode(path, &key, info.dtype, &info.shape, raw)?;
        dict.insert(key, tensor);
    }
    let metadata = meta.metadata().clone().unwrap_or_default().into_iter().collect();
    Ok((dict, metadata))
}

/// Reads only the `__metadata__` map of a file's header (empty when there is none), without
/// reading or checking the tensor data: cheap even for a large checkpoint.
///
/// ```
/// use fusenet_runtime::{io, StateDict, Tensor};
/// let path = std::env::temp_dir().join(format!("fusenet-meta-doc-{}.safetensors", std::process::id()));
/// let mut sd = StateDict::new();
/// sd.insert("w", Tensor::zeros(&[2]));
/// let meta = io::Metadata::from([("epoch".to_string(), "3".to_string())]);
/// io::save_state_dict_with_metadata(&path, &sd, &meta)?;
/// assert_eq!(io::read_metadata(&path)?["epoch"], "3");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), fusenet_runtime::Error>(())
/// ```
pub fn read_metadata(path: impl AsRef<Path>) -> Result<Metadata> {
    let path = path.as_ref();
    if path.is_dir() {
        return Err(Error::format(path, "is a directory, not a safetensors file"));
    }
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; LEN_BYTES];
    let got = read_up_to(&mut file, &mut head).map_err(|e| Error::io(path, e))?;
    let n = header_len(path, &head[..got], file_len)?;
    let mut header = vec![0u8; n];
    let got = read_up_to(&mut file, &mut header).map_err(|e| Error::io(path, e))?;
    if got < n {
        return Err(Error::Truncated { path: path.into(), msg: format!("the header should be {n} bytes, but the file ended after {got}") });
    }
    diagnose::header_metadata(path, &header)
}

/// Reads until `buf` is full or the file ends; returns how many bytes were read.
fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The header length from the first 8 bytes, checked against the length of the whole file.
fn header_len(path: &Path, bytes: &[u8], file_len: u64) -> Result<usize> {
    let Some(first) = bytes.get(..LEN_BYTES) else {
        return Err(Error::Truncated {
            path: path.into(),
            msg: format!(
                "the file is {file_len} bytes long, too short for the 8-byte header length that starts every safetensors file"
            ),
        });
    };
    let mut le = [0u8; LEN_BYTES];
    le.copy_from_slice(first);
    let n = u64::from_le_bytes(le);
    let rest = file_len.saturating_sub(LEN_BYTES as u64);
    if n > rest {
        return Err(Error::Truncated {
            path: path.into(),
            msg: format!("the header length field says the header is {n} bytes, but only {rest} bytes follow it"),
        });
    }
    usize::try_from(n).map_err(|_| Error::BadHeader { path: path.into(), msg: format!("header length {n} does not fit in memory") })
}

/// Converts one tensor's little-endian bytes (whose length the header check has validated) to a
/// tensor, converting other dtypes as the module docs describe.
fn decode(path: &Path, key: &str, dtype: Dtype, shape: &[usize], raw: &[u8]) -> Result<Tensor> {
    let bad = |msg: String| Error::BadTensor { path: path.into(), key: key.into(), msg };
    // Strides are isize products of the dims (a 0 dim counts as 1): reject shapes where they
    // overflow, which the byte-length check cannot catch when some dim is 0.
    if shape.iter().try_fold(1isize, |acc, &d| acc.checked_mul(isize::try_from(d.max(1)).ok()?)).is_none() {
        return Err(bad(format!("shape {shape:?} is too large to index")));
    }
    let expected = shape.iter().try_fold(dtype.bitsize(), |acc, &d| acc.checked_mul(d)).map(|bits| bits / 8);
    if expected != Some(raw.len()) {
        let expected = expected.map_or("more than usize::MAX".to_string(), |e| e.to_string());
        return Err(bad(format!("shape {shape:?} of dtype {dtype} needs {expected} bytes, but {} are stored", raw.len())));
    }
    let tensor = match dtype {
        Dtype::F32 => Tensor::from_vec(le(raw, f32::from_le_bytes), shape),
        Dtype::F64 => Tensor::from_vec(le(raw, |b| f64::from_le_bytes(b) as f32), shape),
        Dtype::F16 => Tensor::from_vec(le(raw, |b| half::f16::from_le_bytes(b).to_f32()), shape),
        Dtype::BF16 => Tensor::from_vec(le(raw, |b| half::bf16::from_le_bytes(b).to_f32()), shape),
        Dtype::I64 => Tensor::from_vec(le(raw, i64::from_le_bytes), shape),
        Dtype::I32 => Tensor::from_vec(le(raw, |b| i64::from(i32::from_le_bytes(b))), shape),
        Dtype::I16 => Tensor::from_vec(le(raw, |b| i64::from(i16::from_le_bytes(b))), shape),
        Dtype::I8 => Tensor::from_vec(le(raw, |b| i64::from(i8::from_le_bytes(b))), shape),
        Dtype::U8 => Tensor::from_vec(le(raw, |b| i64::from(u8::from_le_bytes(b))), shape),
        Dtype::U16 => Tensor::from_vec(le(raw, |b| i64::from(u16::from_le_bytes(b))), shape),
        Dtype::U32 => Tensor::from_vec(le(raw, |b| i64::from(u32::from_le_bytes(b))), shape),
        Dtype::U64 => {
            let wide = le(raw, u64::from_le_bytes);
            let mut out = Vec::with_capacity(wide.len());
            for (i, v) in wide.into_iter().enumerate() {
                let v = i64::try_from(v).map_err(|_| bad(format!("U64 element {i} = {v} does not fit in I64")))?;
                out.push(v);
            }
            Tensor::from_vec(out, shape)
        }
        Dtype::BOOL => {
            if let Some(i) = raw.iter().position(|&b| b > 1) {
                return Err(bad(format!("BOOL element {i} is the byte {}, which is neither 0 nor 1", raw[i])));
            }
            Tensor::from_vec(raw.iter().map(|&b| b == 1).collect::<Vec<bool>>(), shape)
        }
        other => {
            return Err(Error::UnsupportedDtype { path: path.into(), key: key.into(), dtype: other.to_string() });
        }
    };
    Ok(tensor)
}

/// Splits `raw` into `N`-byte little-endian words and converts each.
fn le<const N: usize, T>(raw: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    raw.chunks_exact(N)
        .map(|c| {
            let mut word = [0u8; N];
            word.copy_from_slice(c);
            f(word)
        })
        .collect()
}

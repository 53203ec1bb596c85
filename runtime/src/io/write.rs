//! Serialising tensors to safetensors bytes through the `safetensors` crate.

use super::Metadata;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};
use safetensors::tensor::{Dtype, View};
use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A host tensor seen as safetensors bytes. The bytes are produced when the crate asks for them,
/// one tensor at a time, in logical (row-major) order and little-endian.
struct HostTensor(Tensor);

impl View for HostTensor {
    fn dtype(&self) -> Dtype {
        match self.0.dtype() {
            DType::F32 => Dtype::F32,
            DType::I64 => Dtype::I64,
            DType::Bool => Dtype::BOOL,
        }
    }

    fn shape(&self) -> &[usize] {
        self.0.shape()
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(match self.0.dtype() {
            DType::F32 => le_bytes(&self.0, f32::to_le_bytes),
            DType::I64 => le_bytes(&self.0, i64::to_le_bytes),
            DType::Bool => le_bytes(&self.0, |b: bool| [u8::from(b)]),
        })
    }

    fn data_len(&self) -> usize {
        self.0.numel() * self.0.dtype().size_in_bytes()
    }
}

fn le_bytes<T: Element, const N: usize>(t: &Tensor, f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    if t.numel() == 0 {
        // An empty tensor has no bytes (and `[2, 0]`'s strides need not look contiguous).
        return Vec::new();
    }
    t.contiguous().with_slice(|s: &[T]| {
        let mut out = Vec::with_capacity(s.len() * N);
        for &x in s {
            out.extend_from_slice(&f(x));
        }
        out
    })
}

/// Serialises named tensors to the bytes of a safetensors file. `path` only names the target in
/// errors: a repeated key or the reserved key `__metadata__` is an [`Error::Format`].
pub(super) fn serialize<K, T>(path: &Path, tensors: impl IntoIterator<Item = (K, T)>, metadata: &Metadata) -> Result<Vec<u8>>
where
    K: AsRef<str>,
    T: Borrow<Tensor>,
{
    let mut seen = HashSet::new();
    let mut views = Vec::new();
    for (key, tensor) in tensors {
        let key = key.as_ref();
        if key == "__metadata__" {
            return Err(Error::format(path, "cannot save a tensor under the reserved key \"__metadata__\""));
        }
        if !seen.insert(key.to_string()) {
            return Err(Error::format(path, format!("cannot save two tensors under the key {key:?}")));
        }
        views.push((key.to_string(), HostTensor(tensor.borrow().to(Device::Cpu)?)));
    }
    let info = (!metadata.is_empty()).then(|| metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<HashMap<_, _>>());
    safetensors::serialize(views, info).map_err(|e| Error::format(path, format!("cannot serialise the tensors: {e}")))
}

/// Serialises named tensors (and a `__metadata__` map, omitted when empty) to the bytes of a
/// safetensors file, as `safetensors.torch.save(tensors, metadata)` does.
///
/// ```
/// use fusenet_runtime::{io, Tensor};
/// let t = Tensor::from_vec(vec![true, false], &[2]);
/// let bytes = io::to_bytes([("mask", &t)], &io::Metadata::new())?;
/// // 8-byte little-endian header length, the JSON header padded with spaces to a multiple of 8, the data.
/// assert_eq!(bytes[..8], 64u64.to_le_bytes());
/// assert_eq!(&bytes[8..], &b"{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}      \x01\x00"[..]);
/// # Ok::<(), fusenet_runtime::Error>(())
/// ```
pub fn to_bytes<K, T>(tensors: impl IntoIterator<Item = (K, T)>, metadata: &Metadata) -> Result<Vec<u8>>
where
    K: AsRef<str>,
    T: Borrow<Tensor>,
{
    serialize(Path::new("<bytes>"), tensors, metadata)
}

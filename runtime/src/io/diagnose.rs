//! Turns the `safetensors` crate's validation errors into messages that name the key and say
//! what is wrong.
//!
//! The crate is the authority on whether a file is valid; when it refuses one, this module reads
//! the header again as plain JSON to find the offending entry (its errors mostly do not say which
//! tensor is at fault, nor by how many bytes a file is short).

use super::Metadata;
use super::read::LEN_BYTES;
use crate::error::Error;
use safetensors::SafeTensorError;
use safetensors::tensor::Dtype;
use serde_json::Value;
use std::path::Path;

/// One header entry as plain JSON saw it (fields that are missing or ill-typed are `None`).
struct Entry {
    key: String,
    dtype: Option<String>,
    shape: Option<Vec<u64>>,
    offsets: Option<(u64, u64)>,
}

/// Explains why the crate refused `bytes`, whose header is `n` bytes long.
pub(super) fn explain(path: &Path, bytes: &[u8], n: usize, err: SafeTensorError) -> Error {
    use SafeTensorError as E;
    let header = bytes.get(LEN_BYTES..LEN_BYTES + n).unwrap_or_default();
    let data_len = bytes.len().saturating_sub(LEN_BYTES + n) as u64;
    let bad_header = |msg: String| Error::BadHeader { path: path.into(), msg };
    let bad_tensor = |key: String, msg: String| Error::BadTensor { path: path.into(), key, msg };
    let entries = entries(header).unwrap_or_default();
    match err {
        E::HeaderTooLarge => bad_header(format!("the header length {n} exceeds the safetensors limit of 100000000 bytes")),
        E::HeaderTooSmall | E::InvalidHeaderLength => Error::Truncated {
            path: path.into(),
            msg: format!("the header length field says {n} bytes, which the file does not hold"),
        },
        E::InvalidHeader(e) => bad_header(format!("the header is not valid UTF-8 ({e})")),
        E::InvalidHeaderDeserialization(e) | E::JsonError(e) => {
            match entries.iter().find_map(|en| en.dtype.as_ref().filter(|d| !known_dtype(d)).map(|d| (en, d))) {
                Some((en, dtype)) => {
                    Error::UnsupportedDtype { path: path.into(), key: en.key.clone(), dtype: dtype.clone() }
                }
                None => bad_header(format!("the header is not a valid safetensors JSON header: {e}")),
            }
        }
        E::InvalidOffset(key) => {
            let mut sorted: Vec<&Entry> = entries.iter().filter(|e| e.offsets.is_some()).collect();
            sorted.sort_by_key(|e| e.offsets);
            let mut start = 0u64;
            for en in sorted {
                let Some((b, e)) = en.offsets else { continue };
                if b != start || e < b {
                    let why = if e < b {
                        format!("data_offsets [{b}, {e}] end before they begin")
                    } else if b < start {
                        format!("data_offsets [{b}, {e}] overlap the previous tensor, which ends at byte {start}")
                    } else {
                        format!("data_offsets [{b}, {e}] leave a gap after the previous tensor, which ends at byte {start}")
                    };
                    return bad_tensor(en.key.clone(), why);
                }
                start = e;
            }
            bad_tensor(key, "invalid data_offsets (overlapping, out of order or leaving a gap)".into())
        }
        E::TensorInvalidInfo | E::ValidationOverflow | E::MisalignedSlice => {
            for en in &entries {
                let (Some(dtype), Some(shape), Some((b, e))) = (&en.dtype, &en.shape, en.offsets) else { continue };
                let Ok(dt) = serde_json::from_value::<Dtype>(Value::String(dtype.clone())) else { continue };
                let bits = shape.iter().try_fold(dt.bitsize() as u64, |acc, &d| acc.checked_mul(d));
                let span = e.saturating_sub(b);
                match bits {
                    None => return bad_tensor(en.key.clone(), format!("shape {shape:?} of dtype {dtype} overflows")),
                    Some(bits) if bits % 8 != 0 => {
                        return bad_tensor(en.key.clone(), format!("shape {shape:?} of dtype {dtype} does not fill whole bytes"));
                    }
                    Some(bits) if bits / 8 != span => {
                        return bad_tensor(
                            en.key.clone(),
                            format!(
                                "shape {shape:?} of dtype {dtype} needs {} bytes, but data_offsets [{b}, {e}] span {span} bytes",
                                bits / 8
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
            bad_header(err.to_string())
        }
        E::MetadataIncompleteBuffer => {
            let need = entries.iter().filter_map(|e| e.offsets.map(|o| o.1)).max().unwrap_or(0);
            if data_len < need {
                Error::Truncated {
                    path: path.into(),
                    msg: format!("the header describes {need} bytes of tensor data, but only {data_len} bytes follow the header"),
                }
            } else {
                Error::Format {
                    path: path.into(),
                    msg: format!(
                        "{} unexpected bytes follow the {need} bytes of tensor data that the header describes",
                        data_len - need
                    ),
                }
            }
        }
        other => Error::Format { path: path.into(), msg: other.to_string() },
    }
}

/// The `__metadata__` map of a header (empty when there is none), checked to be strings.
pub(super) fn header_metadata(path: &Path, header: &[u8]) -> Result<Metadata, Error> {
    let bad_header = |msg: String| Error::BadHeader { path: path.into(), msg };
    let text = std::str::from_utf8(header).map_err(|e| bad_header(format!("the header is not valid UTF-8 ({e})")))?;
    let map: serde_json::Map<String, Value> =
        serde_json::from_str(text).map_err(|e| bad_header(format!("the header is not a JSON object: {e}")))?;
    let Some(meta) = map.get("__metadata__") else { return Ok(Metadata::new()) };
    let Some(meta) = meta.as_object() else {
        return Err(bad_header("__metadata__ is not a JSON object".into()));
    };
    meta.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(bad_header(format!("__metadata__ value for {k:?} is not a string"))),
        })
        .collect()
}

/// The tensor entries of a header, or `None` when it is not a JSON object.
fn entries(header: &[u8]) -> Option<Vec<Entry>> {
    let map: serde_json::Map<String, Value> = serde_json::from_slice(header).ok()?;
    Some(
        map.into_iter()
            .filter(|(k, _)| k != "__metadata__")
            .map(|(key, v)| Entry {
                key,
                dtype: v.get("dtype").and_then(Value::as_str).map(String::from),
                shape: v.get("shape").and_then(Value::as_array).and_then(|a| a.iter().map(Value::as_u64).collect()),
                offsets: v.get("data_offsets").and_then(Value::as_array).and_then(|a| match a.as_slice() {
                    [b, e] => Some((b.as_u64()?, e.as_u64()?)),
                    _ => None,
                }),
            })
            .collect(),
    )
}

/// Whether the `safetensors` crate knows the dtype name (even if fusenet cannot load it).
fn known_dtype(name: &str) -> bool {
    serde_json::from_value::<Dtype>(Value::String(name.to_string())).is_ok()
}

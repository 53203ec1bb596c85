//! `state_dict` and `load_state_dict`.

use super::Module;
use super::visit::{Member, join, members};
use crate::error::{Error, Result};
use crate::state_dict::{LoadReport, ShapeMismatch, StateDict};
use crate::tensor::{Data, Tensor};

/// Every state-dict entry in PyTorch's order: a module's own parameters, then its persistent
/// buffers, then each child's entries. Tied parameters appear once per path.
pub(crate) fn state_dict_entries(m: &dyn Module) -> Vec<(String, Tensor)> {
    fn go(m: &dyn Module, path: &str, out: &mut Vec<(String, Tensor)>) {
        let ms = members(m);
        for member in &ms {
            if let Member::Param(name, p) = member {
                out.push((join(path, name), p.value()));
            }
        }
        for member in &ms {
            if let Member::Buffer(name, b) = member
                && b.is_persistent() {
                    out.push((join(path, name), b.value()));
                }
        }
        for member in ms {
            if let Member::Module(name, child) = member {
                go(child, &join(path, &name), out);
            }
        }
    }
    let mut out = Vec::new();
    go(m, "", &mut out);
    out
}

pub(crate) fn state_dict(m: &dyn Module) -> StateDict {
    state_dict_entries(m).into_iter().collect()
}

/// Checks `sd` against the module, then (only when nothing is wrong) copies every value into
/// the module's storage.
pub(crate) fn load(m: &dyn Module, sd: &StateDict, strict: bool) -> Result<LoadReport> {
    let own = state_dict_entries(m);
    let mut report = LoadReport::default();
    let mut pairs = Vec::new();
    for (key, dst) in &own {
        match sd.get(key) {
            None => report.missing_keys.push(key.clone()),
            Some(src) if src.shape() != dst.shape() => report.shape_mismatches.push(ShapeMismatch {
                key: key.clone(),
                expected: dst.shape().to_vec(),
                found: src.shape().to_vec(),
            }),
            Some(src) => pairs.push((dst, src)),
        }
    }
    report.unexpected_keys = sd.keys().filter(|k| !own.iter().any(|(o, _)| o == k)).map(String::from).collect();
    let fatal = !report.shape_mismatches.is_empty() || (strict && !report.is_clean());
    if fatal {
        return Err(Error::LoadStateDict(report));
    }
    for (dst, src) in pairs {
        copy_into(dst, src);
    }
    Ok(report)
}

/// Copies `src` (same shape, any dtype: converted as `Tensor.copy_` converts) into `dst`'s
/// elements, in place.
fn copy_into(dst: &Tensor, src: &Tensor) {
    let values = src.storage.read().gather(src.offsets(), None);
    let offsets = dst.offsets();
    let mut data = dst.storage.write();
    fn put<T: Copy, S: Copy>(d: &mut [T], offsets: impl Iterator<Item = usize>, s: &[S], f: impl Fn(S) -> T) {
        offsets.zip(s).for_each(|(o, &v)| d[o] = f(v));
    }
    match (&mut *data, &values) {
        (Data::F32(d), Data::F32(s)) => put(d, offsets, s, |v| v),
        (Data::F32(d), Data::I64(s)) => put(d, offsets, s, |v| v as f32),
        (Data::F32(d), Data::Bool(s)) => put(d, offsets, s, |v| f32::from(u8::from(v))),
        (Data::I64(d), Data::I64(s)) => put(d, offsets, s, |v| v),
        (Data::I64(d), Data::F32(s)) => put(d, offsets, s, |v| v as i64),
        (Data::I64(d), Data::Bool(s)) => put(d, offsets, s, i64::from),
        (Data::Bool(d), Data::Bool(s)) => put(d, offsets, s, |v| v),
        (Data::Bool(d), Data::F32(s)) => put(d, offsets, s, |v| v != 0.0),
        (Data::Bool(d), Data::I64(s)) => put(d, offsets, s, |v| v != 0),
    }
}

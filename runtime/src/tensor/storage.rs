//! Reference-counted, lock-protected element storage.

use super::element::DType;
use crate::device::Device;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The elements of a storage, one variant per dtype.
#[derive(Clone, Debug)]
pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

impl Data {
    pub fn dtype(&self) -> DType {
        match self {
            Data::F32(_) => DType::F32,
            Data::I64(_) => DType::I64,
            Data::Bool(_) => DType::Bool,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }

    /// Copies the elements at `offsets` into new data; `range` is a fast path for contiguous views.
    pub fn gather(
        &self,
        offsets: impl Iterator<Item = usize>,
        range: Option<std::ops::Range<usize>>,
    ) -> Data {
        fn pick<T: Copy>(v: &[T], offsets: impl Iterator<Item = usize>, range: Option<std::ops::Range<usize>>) -> Vec<T> {
            match range {
                Some(r) => v[r].to_vec(),
                None => offsets.map(|o| v[o]).collect(),
            }
        }
        match self {
            Data::F32(v) => Data::F32(pick(v, offsets, range)),
            Data::I64(v) => Data::I64(pick(v, offsets, range)),
            Data::Bool(v) => Data::Bool(pick(v, offsets, range)),
        }
    }
}

/// Storage shared by every view of a tensor.
///
/// The dtype is kept beside the lock: every op asks for it several times, and reading it must
/// not take the lock. Writers change elements, never the `Data` variant.
#[derive(Debug)]
pub struct Storage {
    data: RwLock<Data>,
    dtype: DType,
    device: Device,
}

impl Storage {
    pub fn new(data: Data, device: Device) -> Storage {
        Storage { dtype: data.dtype(), data: RwLock::new(data), device }
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// A read guard. A poisoned lock (a panic while writing) still yields the data: an eager op
    /// that panicked left the elements as they were or partly written, which PyTorch allows too.
    pub fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A write guard. Callers write elements only: replacing the `Data` with another dtype's
    /// would make [`Storage::dtype`] stale (checked in debug builds when the guard is taken).
    pub fn write(&self) -> RwLockWriteGuard<'_, Data> {
        let guard = self.data.write().unwrap_or_else(|e| e.into_inner());
        debug_assert_eq!(guard.dtype(), self.dtype, "storage dtype changed under a write guard");
        guard
    }
}

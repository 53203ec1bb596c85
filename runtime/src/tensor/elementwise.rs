//! The loops behind every eager elementwise op: locking, broadcasting, strided walks, and the
//! contiguous fast paths that hand slices to `fusenet_kernels::cpu::parallel`.
//!
//! Locks: an op takes each distinct storage's lock once, in address order, so two ops on two
//! threads never wait on each other in a cycle; a tensor read twice (`x * x`) is locked once.
//! An in-place op whose source shares the destination's storage copies the source first
//! (a read and a write lock on one `RwLock` would deadlock).

use crate::tensor::{Data, Dims, Element, Storage, Tensor, dtype_panic};
use fusenet_kernels::cpu::parallel;
use std::sync::{Arc, RwLockReadGuard};

/// PyTorch's broadcasting rule: align shapes on the right; each pair of sizes must be equal or
/// contain a 1.
///
/// Panics as PyTorch does, naming both shapes.
///
/// ```
/// use fusenet_runtime::tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]), vec![2, 4, 3]);
/// assert_eq!(broadcast_shapes(&[], &[5]), vec![5]);
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Vec<usize> {
    broadcast_dims(a, b).to_vec()
}

/// [`broadcast_shapes`] without a heap allocation (at most [`MAX_DIMS`](crate::tensor::MAX_DIMS) dims).
pub(crate) fn broadcast_dims(a: &[usize], b: &[usize]) -> Dims<usize> {
    if a == b {
        return Dims::from_slice(a);
    }
    let n = a.len().max(b.len());
    let mut out = Dims::filled(0, n);
    for i in 0..n {
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        out[n - 1 - i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => panic!(
                "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton \
                 dimension {} (shapes {a:?} and {b:?})",
                n - 1 - i
            ),
        };
    }
    out
}

/// The strides that view `t` as `shape` (which `t.shape` must broadcast to): 0 on new and
/// stretched dims.
pub(crate) fn expanded_strides(t: &Tensor, shape: &[usize]) -> Dims<isize> {
    let lead = shape.len() - t.dim();
    (0..shape.len())
        .map(|i| if i < lead || t.shape[i - lead] != shape[i] { 0 } else { t.strides[i - lead] })
        .collect()
}

/// Visits every element of `shape` in row-major order, passing the storage offset of each of
/// `K` operands (each with its own strides and base offset). The last dim is the inner loop.
pub(crate) fn for_each_offsets<const K: usize>(
    shape: &[usize],
    strides: [&[isize]; K],
    offsets: [usize; K],
    mut f: impl FnMut([usize; K]),
) {
    if shape.contains(&0) {
        return;
    }
    let Some(last) = shape.len().checked_sub(1) else {
        f(offsets);
        return;
    };
    let mut idx = Dims::filled(0usize, last);
    let mut base = offsets.map(|o| o as isize);
    loop {
        let mut cur = base;
        for _ in 0..shape[last] {
            f(cur.map(|c| c as usize));
            for k in 0..K {
                cur[k] += strides[k][last];
            }
        }
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for k in 0..K {
                base[k] += strides[k][d];
            }
            if idx[d] < shape[d] {
                break;
            }
            for k in 0..K {
                base[k] -= strides[k][d] * shape[d] as isize;
            }
            idx[d] = 0;
        }
    }
}

/// The most operands [`read_all`] locks at once (`where` has three; a fused `network!` pass up to six).
const MAX_OPERANDS: usize = 8;

/// Runs `f` with the data of every tensor in `ts` (same order), each distinct storage read-locked
/// once, locks taken in address order. No heap allocation (at most [`MAX_OPERANDS`] tensors).
pub(crate) fn read_all<R>(ts: &[&Tensor], f: impl FnOnce(&[&Data]) -> R) -> R {
    static UNUSED: Data = Data::F32(Vec::new());
    assert!(ts.len() <= MAX_OPERANDS, "read_all: {} operands, at most {MAX_OPERANDS}", ts.len());
    let mut unique: [Option<&Arc<Storage>>; MAX_OPERANDS] = [None; MAX_OPERANDS];
    let mut n = 0;
    for t in ts {
        if !unique[..n].iter().flatten().any(|s| Arc::ptr_eq(s, &t.storage)) {
            unique[n] = Some(&t.storage);
            n += 1;
        }
    }
    unique[..n].sort_by_key(|s| s.map_or(0, |s| Arc::as_ptr(s) as usize));
    // `from_fn` runs in index order, so the locks are taken in address order.
    let guards: [Option<RwLockReadGuard<'_, Data>>; MAX_OPERANDS] = std::array::from_fn(|i| unique[i].map(|s| s.read()));
    let datas: [&Data; MAX_OPERANDS] = std::array::from_fn(|k| match ts.get(k) {
        Some(t) => {
            let i = unique[..n].iter().flatten().position(|s| Arc::ptr_eq(s, &t.storage)).expect("locked above");
            &**guards[i].as_ref().expect("locked above")
        }
        None => &UNUSED,
    });
    f(&datas[..ts.len()])
}

/// [`read_all`] for a fixed number of operands: the same locks (each storage once, in address
/// order) without `read_all`'s scratch arrays of `MAX_OPERANDS` entries, for the ops of
/// generated code that run every step.
pub(crate) fn read_n<const N: usize, R>(ts: [&Tensor; N], f: impl FnOnce([&Data; N]) -> R) -> R {
    let mut order: [usize; N] = std::array::from_fn(|k| k);
    order.sort_unstable_by_key(|&k| Arc::as_ptr(&ts[k].storage) as usize);
    // `from_fn` runs in index order, so the locks are taken in address order; an operand whose
    // storage the previous one (in that order) shares takes no lock of its own.
    let guards: [Option<RwLockReadGuard<'_, Data>>; N] = std::array::from_fn(|p| {
        let k = order[p];
        let dup = p > 0 && Arc::ptr_eq(&ts[order[p - 1]].storage, &ts[k].storage);
        (!dup).then(|| ts[k].storage.read())
    });
    let datas: [&Data; N] = std::array::from_fn(|k| {
        let held = (0..N).find(|&p| guards[p].is_some() && Arc::ptr_eq(&ts[order[p]].storage, &ts[k].storage));
        &**guards[held.expect("locked above")].as_ref().expect("locked above")
    });
    f(datas)
}

/// Runs `f` with `dst`'s data write-locked and `src`'s read-locked; locks in address order.
/// The two must not share storage (callers copy `src` first).
fn write_read<R>(dst: &Tensor, src: &Tensor, f: impl FnOnce(&mut Data, &Data) -> R) -> R {
    debug_assert!(!dst.shares_storage(src));
    if (Arc::as_ptr(&dst.storage) as usize) < (Arc::as_ptr(&src.storage) as usize) {
        let mut w = dst.storage.write();
        let r = src.storage.read();
        f(&mut w, &r)
    } else {
        let r = src.storage.read();
        let mut w = dst.storage.write();
        f(&mut w, &r)
    }
}

fn slice_of<'a, T: Element>(op: &str, t: &Tensor, d: &'a Data) -> &'a [T] {
    T::slice(d).unwrap_or_else(|| dtype_panic::<T>(op, t.dtype()))
}

/// The contiguous elements of `t` inside its storage slice, if `t` is contiguous.
fn contiguous_part<'a, T>(t: &Tensor, all: &'a [T]) -> Option<&'a [T]> {
    t.is_contiguous().then(|| &all[t.offset..t.offset + t.numel()])
}

/// `f` applied to every element of `x` (dtype `T`), as a new contiguous tensor.
pub(crate) fn map<T: Element, U: Element>(op: &str, x: &Tensor, f: impl Fn(T) -> U + Sync + Send) -> Tensor {
    let out = read_all(&[x], |d| {
        let all = slice_of::<T>(op, x, d[0]);
        match contiguous_part(x, all) {
            Some(s) => parallel::map_unary(s, &f),
            None => {
                let mut out = Vec::with_capacity(x.numel());
                for_each_offsets(&x.shape, [&x.strides], [x.offset], |[o]| out.push(f(all[o])));
                out
            }
        }
    });
    Tensor::from_vec(out, &x.shape)
}

/// `f(a, b)` elementwise with broadcasting, as a new contiguous tensor of the broadcast shape.
pub(crate) fn zip<A: Element, B: Element, C: Element>(
    op: &str,
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(A, B) -> C + Sync + Send,
) -> Tensor {
    let shape = broadcast_dims(&a.shape, &b.shape);
    let out = read_all(&[a, b], |d| {
        let (da, db) = (slice_of::<A>(op, a, d[0]), slice_of::<B>(op, b, d[1]));
        let (ca, cb) = (contiguous_part(a, da), contiguous_part(b, db));
        match (ca, cb) {
            (Some(x), Some(y)) if a.shape == b.shape => parallel::zip_binary(x, y, &f),
            (Some(x), _) if a.shape == shape && b.numel() == 1 => {
                let y = db[b.offset];
                parallel::map_unary(x, |v| f(v, y))
            }
            (_, Some(y)) if b.shape == shape && a.numel() == 1 => {
                let x = da[a.offset];
                parallel::map_unary(y, |v| f(x, v))
            }
            _ => {
                let (sa, sb) = (expanded_strides(a, &shape), expanded_strides(b, &shape));
                let mut out = Vec::with_capacity(shape.iter().product());
                for_each_offsets(&shape, [&sa, &sb], [a.offset, b.offset], |[i, j]| out.push(f(da[i], db[j])));
                out
            }
        }
    });
    Tensor::from_vec(out, &shape)
}

/// Panics like PyTorch when an in-place write would hit one memory location twice (an expanded
/// view).
pub(crate) fn check_writable(dst: &Tensor) {
    let overlapping = dst.shape.iter().zip(&dst.strides).any(|(&n, &s)| n > 1 && s == 0);
    assert!(
        !overlapping,
        "unsupported operation: more than one element of the written-to tensor refers to a single \
         memory location. Please clone() the tensor before performing the operation."
    );
}

/// `dst[i] = f(dst[i])` in place, through any view.
pub(crate) fn map_assign<T: Element>(op: &str, dst: &Tensor, f: impl Fn(T) -> T + Sync + Send) {
    check_writable(dst);
    let contiguous = dst.is_contiguous();
    let mut data = dst.storage.write();
    let dtype = data.dtype();
    let all = T::slice_mut(&mut data).unwrap_or_else(|| dtype_panic::<T>(op, dtype));
    if contiguous {
        parallel::map_inplace(&mut all[dst.offset..dst.offset + dst.numel()], f);
    } else {
        for_each_offsets(&dst.shape, [&dst.strides], [dst.offset], |[o]| all[o] = f(all[o]));
    }
}

/// `dst[i] = f(dst[i], src[i])` in place, `src` broadcast to `dst`'s shape.
///
/// Panics like PyTorch when `src` does not broadcast to `dst`'s shape.
pub(crate) fn zip_assign<T: Element, B: Element>(
    op: &str,
    dst: &Tensor,
    src: &Tensor,
    f: impl Fn(T, B) -> T + Sync + Send,
) {
    let shape = broadcast_dims(&dst.shape, &src.shape);
    assert!(
        shape == dst.shape,
        "output with shape {:?} doesn't match the broadcast shape {:?}",
        dst.shape,
        shape
    );
    check_writable(dst);
    // Aliasing (`x.add_(&x.t())`): read a private copy, so the write lock is the only lock.
    let copy;
    let src = if dst.shares_storage(src) {
        copy = src.clone();
        &copy
    } else {
        src
    };
    write_read(dst, src, |w, r| {
        let dtype = w.dtype();
        let all = T::slice_mut(w).unwrap_or_else(|| dtype_panic::<T>(op, dtype));
        let sd = slice_of::<B>(op, src, r);
        if dst.is_contiguous() {
            let d = &mut all[dst.offset..dst.offset + dst.numel()];
            if let (Some(s), true) = (contiguous_part(src, sd), src.shape == dst.shape) {
                return parallel::zip_inplace(d, s, f);
            }
            if src.numel() == 1 {
                let y = sd[src.offset];
                return parallel::map_inplace(d, |x| f(x, y));
            }
        }
        let ss = expanded_strides(src, &shape);
        for_each_offsets(&shape, [&dst.strides, &ss], [dst.offset, src.offset], |[i, j]| all[i] = f(all[i], sd[j]));
    });
}

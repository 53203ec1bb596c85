//! [`Dims`]: the inline, heap-free list behind a tensor's shape and strides.
//!
//! A tensor handle (`shallow_clone`, every view, a saved-for-backward input, `Param::value()`)
//! copies its shape and strides; with `Vec`s that was two heap allocations per handle, which a
//! training step whose arithmetic takes a microsecond cannot afford (a steady-state step makes
//! zero heap allocations). `Dims` keeps up to [`MAX_DIMS`] entries in a fixed array and is `Copy`.
//!
//! Why a fixed array and not a small-vector that spills to the heap: spilling would make `Dims`
//! non-`Copy`, put a branch on every access, and bring back the allocation for exactly the
//! tensors whose rank is unusual — silently. Eight dims cover every network in this crate (conv
//! and pooling use 4–5, batched matmul and attention 4–6); PyTorch allows up to 64 dims in
//! principle but real models rarely pass 6. A 9-dim tensor panics with a message naming the
//! limit (`Dims holds at most 8 dimensions ...`), so the limit is never hit silently.
//!
//! ```
//! use fusenet_runtime::tensor::Dims;
//! let mut d: Dims<usize> = Dims::from(&[2, 3][..]);
//! d.push(4);
//! assert_eq!(d, [2, 3, 4]);
//! assert_eq!(&d[1..], &[3, 4]);
//! assert_eq!(format!("{d:?}"), "[2, 3, 4]");
//! ```

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

/// The largest number of dimensions a tensor may have.
pub const MAX_DIMS: usize = 8;

/// Up to [`MAX_DIMS`] values stored inline; derefs to `[T]`. Used for shapes (`Dims<usize>`)
/// and strides (`Dims<isize>`).
#[derive(Clone, Copy)]
pub struct Dims<T: Copy + Default> {
    items: [T; MAX_DIMS],
    len: u8,
}

#[cold]
#[inline(never)]
fn too_many(len: usize) -> ! {
    panic!(
        "Dims holds at most {MAX_DIMS} dimensions, but {len} were requested (fusenet tensors support \
         up to {MAX_DIMS} dims)"
    )
}

impl<T: Copy + Default> Dims<T> {
    /// An empty list (the shape of a 0-d tensor).
    pub fn new() -> Dims<T> {
        Dims { items: [T::default(); MAX_DIMS], len: 0 }
    }

    /// `len` copies of `value`. Panics when `len > MAX_DIMS`.
    pub fn filled(value: T, len: usize) -> Dims<T> {
        if len > MAX_DIMS {
            too_many(len);
        }
        let mut d = Dims::new();
        d.items[..len].fill(value);
        d.len = len as u8;
        d
    }

    /// Copies a slice. Panics when it has more than [`MAX_DIMS`] entries.
    pub fn from_slice(s: &[T]) -> Dims<T> {
        if s.len() > MAX_DIMS {
            too_many(s.len());
        }
        let mut d = Dims::new();
        d.items[..s.len()].copy_from_slice(s);
        d.len = s.len() as u8;
        d
    }

    /// The entries as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.items[..self.len as usize]
    }

    /// The entries as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.items[..self.len as usize]
    }

    /// Appends `value`. Panics when full.
    pub fn push(&mut self, value: T) {
        let n = self.len as usize;
        if n == MAX_DIMS {
            too_many(n + 1);
        }
        self.items[n] = value;
        self.len += 1;
    }

    /// Inserts `value` at `index`, shifting later entries right. Panics when full or `index > len`.
    pub fn insert(&mut self, index: usize, value: T) {
        let n = self.len as usize;
        assert!(index <= n, "Dims::insert: index {index} out of range for length {n}");
        if n == MAX_DIMS {
            too_many(n + 1);
        }
        self.items.copy_within(index..n, index + 1);
        self.items[index] = value;
        self.len += 1;
    }

    /// Removes and returns the entry at `index`. Panics when `index >= len`.
    pub fn remove(&mut self, index: usize) -> T {
        let n = self.len as usize;
        assert!(index < n, "Dims::remove: index {index} out of range for length {n}");
        let v = self.items[index];
        self.items.copy_within(index + 1..n, index);
        self.len -= 1;
        v
    }

    /// Removes and returns the last entry.
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(self.items[self.len as usize])
    }

    /// Keeps the first `len` entries.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len as usize {
            self.len = len as u8;
        }
    }

    /// Appends every entry of `s`. Panics when the result would exceed [`MAX_DIMS`].
    pub fn extend_from_slice(&mut self, s: &[T]) {
        let n = self.len as usize;
        if n + s.len() > MAX_DIMS {
            too_many(n + s.len());
        }
        self.items[n..n + s.len()].copy_from_slice(s);
        self.len += s.len() as u8;
    }
}

impl<T: Copy + Default> Default for Dims<T> {
    fn default() -> Dims<T> {
        Dims::new()
    }
}

impl<T: Copy + Default> Deref for Dims<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + Default> DerefMut for Dims<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: Copy + Default> AsRef<[T]> for Dims<T> {
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T: Copy + Default> std::borrow::Borrow<[T]> for Dims<T> {
    fn borrow(&self) -> &[T] {
        self
    }
}

impl<T: Copy + Default + fmt::Debug> fmt::Debug for Dims<T> {
    /// Formats as the slice does (`[2, 3]`), so error messages read as before.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: Copy + Default + PartialEq> PartialEq for Dims<T> {
    fn eq(&self, other: &Dims<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + Eq> Eq for Dims<T> {}

impl<T: Copy + Default + Hash> Hash for Dims<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

macro_rules! eq_with {
    ($([$($g:tt)*] $other:ty;)*) => {$(
        impl<$($g)* T: Copy + Default + PartialEq> PartialEq<$other> for Dims<T> {
            fn eq(&self, other: &$other) -> bool {
                self.as_slice() == &other[..]
            }
        }
        impl<$($g)* T: Copy + Default + PartialEq> PartialEq<Dims<T>> for $other {
            fn eq(&self, other: &Dims<T>) -> bool {
                &self[..] == other.as_slice()
            }
        }
    )*};
}

eq_with! {
    [] [T];
    ['a,] &'a [T];
    [] Vec<T>;
    [const N: usize,] [T; N];
    ['a, const N: usize,] &'a [T; N];
}

impl<T: Copy + Default> From<&[T]> for Dims<T> {
    fn from(s: &[T]) -> Dims<T> {
        Dims::from_slice(s)
    }
}

impl<T: Copy + Default> From<&mut [T]> for Dims<T> {
    fn from(s: &mut [T]) -> Dims<T> {
        Dims::from_slice(s)
    }
}

impl<T: Copy + Default> From<Vec<T>> for Dims<T> {
    fn from(v: Vec<T>) -> Dims<T> {
        Dims::from_slice(&v)
    }
}

impl<T: Copy + Default> From<&Vec<T>> for Dims<T> {
    fn from(v: &Vec<T>) -> Dims<T> {
        Dims::from_slice(v)
    }
}

impl<T: Copy + Default, const N: usize> From<[T; N]> for Dims<T> {
    fn from(a: [T; N]) -> Dims<T> {
        Dims::from_slice(&a)
    }
}

impl<T: Copy + Default, const N: usize> From<&[T; N]> for Dims<T> {
    fn from(a: &[T; N]) -> Dims<T> {
        Dims::from_slice(a)
    }
}

impl<T: Copy + Default> From<&Dims<T>> for Dims<T> {
    fn from(d: &Dims<T>) -> Dims<T> {
        *d
    }
}

impl<T: Copy + Default> From<Dims<T>> for Vec<T> {
    fn from(d: Dims<T>) -> Vec<T> {
        d.to_vec()
    }
}

impl<T: Copy + Default> FromIterator<T> for Dims<T> {
    /// Collects up to [`MAX_DIMS`] items; panics on more.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Dims<T> {
        let mut d = Dims::new();
        for x in iter {
            d.push(x);
        }
        d
    }
}

impl<T: Copy + Default> Extend<T> for Dims<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for x in iter {
            self.push(x);
        }
    }
}

impl<'a, T: Copy + Default> IntoIterator for &'a Dims<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<'a, T: Copy + Default> IntoIterator for &'a mut Dims<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_mut_slice().iter_mut()
    }
}

/// By-value iteration (`for d in dims`), copying out of the inline array.
pub struct IntoIter<T: Copy + Default> {
    dims: Dims<T>,
    front: usize,
}

impl<T: Copy + Default> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let v = self.dims.get(self.front).copied();
        self.front += v.is_some() as usize;
        v
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.dims.len() - self.front;
        (n, Some(n))
    }
}

impl<T: Copy + Default> DoubleEndedIterator for IntoIter<T> {
    fn next_back(&mut self) -> Option<T> {
        if self.front == self.dims.len() { None } else { self.dims.pop() }
    }
}

impl<T: Copy + Default> ExactSizeIterator for IntoIter<T> {}

impl<T: Copy + Default> IntoIterator for Dims<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { dims: self, front: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_and_compares_like_a_vec() {
        let mut d: Dims<usize> = [2, 3].into();
        d.insert(0, 1);
        d.push(5);
        assert_eq!(d, vec![1, 2, 3, 5]);
        assert_eq!(d.remove(2), 3);
        assert_eq!(d.pop(), Some(5));
        assert_eq!(d, [1, 2]);
        assert_eq!(vec![1usize, 2], d);
        d.extend_from_slice(&[7, 8]);
        d.truncate(3);
        assert_eq!(d.as_slice(), &[1, 2, 7]);
        assert_eq!(d.into_iter().rev().collect::<Vec<_>>(), [7, 2, 1]);
        assert_eq!(Dims::filled(0isize, 3), [0, 0, 0]);
        assert_eq!(format!("{:?}", Dims::<usize>::new()), "[]");
    }

    #[test]
    fn holds_exactly_max_dims() {
        let d: Dims<usize> = (0..MAX_DIMS).collect();
        assert_eq!(d.len(), MAX_DIMS);
    }

    #[test]
    #[should_panic(expected = "Dims holds at most 8 dimensions, but 9 were requested")]
    fn more_than_max_dims_panics() {
        let _ = Dims::from_slice(&[1usize; 9]);
    }

    #[test]
    #[should_panic(expected = "Dims holds at most 8 dimensions, but 9 were requested")]
    fn push_past_max_dims_panics() {
        let mut d = Dims::filled(1usize, 8);
        d.push(1);
    }
}

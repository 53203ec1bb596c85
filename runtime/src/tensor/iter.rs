//! Iteration over the storage offsets of a strided view (no heap allocation: the geometry and
//! the index live in inline [`Dims`]).

use super::Dims;

/// Yields the storage offset of every element of a strided view, in row-major logical order.
pub struct StridedOffsets {
    shape: Dims<usize>,
    strides: Dims<isize>,
    index: Dims<usize>,
    current: isize,
    remaining: usize,
}

impl StridedOffsets {
    pub fn new(shape: &[usize], strides: &[isize], offset: usize) -> StridedOffsets {
        StridedOffsets {
            shape: Dims::from_slice(shape),
            strides: Dims::from_slice(strides),
            index: Dims::filled(0, shape.len()),
            current: offset as isize,
            remaining: shape.iter().product(),
        }
    }
}

impl Iterator for StridedOffsets {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        let out = self.current as usize;
        self.remaining -= 1;
        if self.remaining > 0 {
            for d in (0..self.shape.len()).rev() {
                self.index[d] += 1;
                self.current += self.strides[d];
                if self.index[d] < self.shape[d] {
                    break;
                }
                self.current -= self.strides[d] * self.shape[d] as isize;
                self.index[d] = 0;
            }
        }
        Some(out)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for StridedOffsets {}

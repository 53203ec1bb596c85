//! The one elementwise loop of generated code: `out[i] = f(a[i], b[i], …)` over any number of
//! `f32` operands broadcast to the output's shape, written into a buffer the caller provides.
//!
//! `network!` fuses a chain of elementwise ops (`relu(x * w + b) - 1.0`, or a gradient times an
//! activation's derivative) into one closure and calls [`map`] once: one pass over memory, no
//! intermediate tensor. Operands may be views with any strides (a transposed tensor, a bias
//! broadcast over rows, a 0-d scalar); adjacent dims that every operand walks contiguously are
//! merged first, so the common cases (same shapes, a row bias) run as flat loops that the
//! compiler vectorises.

use super::Slot;
use crate::tensor::{Dims, Element, Tensor, elementwise::{broadcast_dims, expanded_strides, read_n}};
use fusenet_kernels::cpu::parallel::{PAR_MIN_CHUNK, par_threshold};
use rayon::prelude::*;

/// `f` over `inputs` broadcast together, into `slot`'s buffer; returns the result.
///
/// ```
/// use fusenet_runtime::{Tensor, tensor, graph::{Slot, map}};
/// let x = tensor![[1.0, -2.0], [3.0, -4.0]];
/// let b = tensor![10.0, 20.0];
/// let mut s = Slot::default();
/// let y = map(&mut s, [&x, &b], |[x, b]| (x + b).max(0.0) * 2.0);
/// assert_eq!(y.to_vec::<f32>(), [22.0, 36.0, 26.0, 32.0]);
/// ```
pub fn map<const N: usize>(slot: &mut Slot, inputs: [&Tensor; N], f: impl Fn([f32; N]) -> f32 + Sync + Send) -> Tensor {
    let shape = broadcast_all(&inputs);
    let out = slot.out(&shape);
    map_into(&out, inputs, f);
    out
}

/// [`map`] into an existing contiguous `f32` tensor whose shape every input broadcasts to, and
/// that shares storage with none of them.
///
/// Panics when an input does not broadcast to `out`'s shape, naming both shapes.
pub fn map_into<const N: usize>(out: &Tensor, inputs: [&Tensor; N], f: impl Fn([f32; N]) -> f32 + Sync + Send) {
    assert!(out.is_contiguous(), "map_into: the output of shape {:?} is not contiguous", out.shape());
    let shape = out.shape();
    let geo = if flat(&inputs, shape) {
        for t in &inputs {
            assert!(!t.shares_storage(out), "map: an operand shares storage with the output");
        }
        Geometry::flat(shape.iter().product(), 1)
    } else {
        let mut strides: [Dims<isize>; N] = std::array::from_fn(|_| Dims::from_slice(&[]));
        for (k, t) in inputs.iter().enumerate() {
            let fits = t.dim() <= shape.len() && t.shape().iter().rev().zip(shape.iter().rev()).all(|(&a, &b)| a == b || a == 1);
            assert!(fits, "map: an operand of shape {:?} does not broadcast to the output shape {:?}", t.shape(), shape);
            assert!(!t.shares_storage(out), "map: an operand shares storage with the output");
            strides[k] = expanded_strides(t, shape);
        }
        Geometry::new(shape, &strides)
    };
    let offsets: [usize; N] = std::array::from_fn(|k| inputs[k].storage_offset());
    let base = out.storage_offset();
    read_n(inputs, |datas| {
        let ins: [&[f32]; N] = std::array::from_fn(|k| {
            f32::slice(datas[k]).unwrap_or_else(|| panic!("map: operand {k} is {:?}, not f32", inputs[k].dtype()))
        });
        let mut w = out.storage.write();
        let all = f32::slice_mut(&mut w).expect("a slot holds f32");
        let dst = &mut all[base..base + geo.numel];
        geo.run(dst, ins, offsets, &f);
    });
}

/// [`map`], also adding the result's column sums (over every dim but the last) into
/// `col_sums` (one entry per element of the last dim) in the same pass: a bias gradient
/// accumulated while the activation's derivative is applied. Rows are visited in order on the
/// calling thread, so the sums equal a separate row-by-row accumulation bit for bit.
///
/// ```
/// use fusenet_runtime::{Tensor, graph::{Slot, map_col_sums}};
/// let g = Tensor::arange(6.0).reshape([2, 3]);
/// let mut sums = [1.0f32; 3];
/// let y = map_col_sums(&mut Slot::default(), [&g], |[g]| 2.0 * g, &mut sums);
/// assert_eq!(y.to_vec::<f32>(), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
/// assert_eq!(sums, [7.0, 11.0, 15.0]);
/// ```
pub fn map_col_sums<const N: usize>(
    slot: &mut Slot,
    inputs: [&Tensor; N],
    f: impl Fn([f32; N]) -> f32 + Sync + Send,
    col_sums: &mut [f32],
) -> Tensor {
    let shape = broadcast_all(&inputs);
    let cols = shape.last().copied().unwrap_or(1);
    assert!(
        col_sums.len() == cols,
        "map_col_sums: {} column sums for a result of shape {:?}",
        col_sums.len(),
        shape.as_slice()
    );
    let out = slot.out(&shape);
    let r = shape.len().saturating_sub(1);
    let (geo, inner_st) = if flat(&inputs, &shape) {
        // Rows of `cols` contiguous elements in every operand.
        (Geometry::flat(shape[..r].iter().product(), cols as isize), [1; N])
    } else {
        let mut strides: [Dims<isize>; N] = std::array::from_fn(|_| Dims::from_slice(&[]));
        for (k, t) in inputs.iter().enumerate() {
            strides[k] = expanded_strides(t, &shape);
        }
        // The leading dims merge as usual; the last stays a dim of its own (the columns).
        let outer: [Dims<isize>; N] = std::array::from_fn(|k| Dims::from_slice(&strides[k][..r]));
        let inner_st: [isize; N] = std::array::from_fn(|k| if r < shape.len() { strides[k][r] } else { 0 });
        (Geometry::new(&shape[..r], &outer), inner_st)
    };
    let offsets: [usize; N] = std::array::from_fn(|k| inputs[k].storage_offset());
    let base = out.storage_offset();
    read_n(inputs, |datas| {
        let ins: [&[f32]; N] = std::array::from_fn(|k| {
            f32::slice(datas[k]).unwrap_or_else(|| panic!("map_col_sums: operand {k} is {:?}, not f32", inputs[k].dtype()))
        });
        let mut w = out.storage.write();
        let all = f32::slice_mut(&mut w).expect("a slot holds f32");
        let dst = &mut all[base..base + geo.numel * cols];
        if cols == 0 {
            return;
        }
        for (row, o) in dst.chunks_mut(cols).enumerate() {
            let starts = if geo.sizes.is_empty() { offsets } else { geo.row_starts_all(row, offsets) };
            row_loop(o, ins, starts, inner_st, &f);
            for (c, v) in col_sums.iter_mut().zip(o.iter()) {
                *c += *v;
            }
        }
    });
    out
}

/// The shape every operand broadcasts to (PyTorch's rule; panics naming both shapes).
fn broadcast_all(inputs: &[&Tensor]) -> Dims<usize> {
    inputs.iter().fold(Dims::from_slice(&[]), |shape, t| broadcast_dims(&shape, t.shape()))
}

/// The output's dims after merging, with each operand's strides on them.
struct Geometry<const N: usize> {
    sizes: Dims<usize>,
    strides: [Dims<isize>; N],
    numel: usize,
}

/// Whether every input is contiguous with exactly `shape`: one flat loop serves them all.
fn flat<const N: usize>(inputs: &[&Tensor; N], shape: &[usize]) -> bool {
    inputs.iter().all(|t| t.shape() == shape && t.is_contiguous())
}

impl<const N: usize> Geometry<N> {
    /// `numel` positions `step` elements apart in every operand: one merged dim (none when
    /// `numel == 1`, as [`Geometry::new`] gives).
    fn flat(numel: usize, step: isize) -> Self {
        let merged: &[usize] = if numel == 1 { &[] } else { &[numel] };
        Geometry { sizes: Dims::from_slice(merged), strides: std::array::from_fn(|_| Dims::filled(step, merged.len())), numel }
    }

    /// Drops size-1 dims and merges each dim into the next where every operand's stride allows.
    fn new(shape: &[usize], strides: &[Dims<isize>; N]) -> Self {
        let mut sizes: Dims<usize> = Dims::from_slice(&[]);
        let mut st: [Dims<isize>; N] = std::array::from_fn(|_| Dims::from_slice(&[]));
        for (d, &n) in shape.iter().enumerate() {
            if n == 1 {
                continue;
            }
            let merge = !sizes.is_empty() && (0..N).all(|k| st[k][st[k].len() - 1] == strides[k][d] * n as isize);
            if merge {
                let last = sizes.len() - 1;
                sizes[last] *= n;
                for k in 0..N {
                    let l = st[k].len() - 1;
                    st[k][l] = strides[k][d];
                }
            } else {
                sizes.push(n);
                for k in 0..N {
                    st[k].push(strides[k][d]);
                }
            }
        }
        Geometry { numel: shape.iter().product(), sizes, strides: st }
    }

    fn run(&self, dst: &mut [f32], ins: [&[f32]; N], offsets: [usize; N], f: &(impl Fn([f32; N]) -> f32 + Sync)) {
        if self.numel == 0 {
            return;
        }
        let Some(&inner) = self.sizes.last() else {
            dst[0] = f(std::array::from_fn(|k| ins[k][offsets[k]]));
            return;
        };
        let d = self.sizes.len() - 1;
        let inner_st: [isize; N] = std::array::from_fn(|k| self.strides[k][d]);
        let rows = self.numel / inner;
        let row = |r: usize, out: &mut [f32]| {
            let starts = self.row_starts(r, offsets);
            row_loop(out, ins, starts, inner_st, f);
        };
        let threshold = par_threshold();
        if self.numel >= threshold && rows > 1 {
            let per = PAR_MIN_CHUNK.div_ceil(inner).max(1);
            dst.par_chunks_mut(inner * per).enumerate().for_each(|(c, chunk)| {
                for (i, out) in chunk.chunks_mut(inner).enumerate() {
                    row(c * per + i, out);
                }
            });
        } else if self.numel >= threshold {
            dst.par_chunks_mut(PAR_MIN_CHUNK).enumerate().for_each(|(c, out)| {
                let starts: [usize; N] = std::array::from_fn(|k| (offsets[k] as isize + (c * PAR_MIN_CHUNK) as isize * inner_st[k]) as usize);
                row_loop(out, ins, starts, inner_st, f);
            });
        } else {
            for (r, out) in dst.chunks_mut(inner).enumerate() {
                row(r, out);
            }
        }
    }

    /// Each operand's offset of element `r` of the merged dims (every dim counted).
    fn row_starts_all(&self, mut r: usize, offsets: [usize; N]) -> [usize; N] {
        let mut pos: [isize; N] = offsets.map(|o| o as isize);
        for d in (0..self.sizes.len()).rev() {
            let i = r % self.sizes[d];
            r /= self.sizes[d];
            for k in 0..N {
                pos[k] += i as isize * self.strides[k][d];
            }
        }
        pos.map(|p| p as usize)
    }

    /// Each operand's offset of the first element of output row `r` (all dims but the last).
    fn row_starts(&self, mut r: usize, offsets: [usize; N]) -> [usize; N] {
        let mut pos: [isize; N] = offsets.map(|o| o as isize);
        for d in (0..self.sizes.len() - 1).rev() {
            let i = r % self.sizes[d];
            r /= self.sizes[d];
            for k in 0..N {
                pos[k] += i as isize * self.strides[k][d];
            }
        }
        pos.map(|p| p as usize)
    }
}

/// One row: unit strides become plain slices (a loop the compiler vectorises), stride 0 a
/// constant, anything else a strided read.
#[inline]
fn row_loop<const N: usize>(out: &mut [f32], ins: [&[f32]; N], starts: [usize; N], st: [isize; N], f: &impl Fn([f32; N]) -> f32) {
    let n = out.len();
    if st.iter().all(|&s| s == 1) {
        let s: [&[f32]; N] = std::array::from_fn(|k| &ins[k][starts[k]..starts[k] + n]);
        for (j, o) in out.iter_mut().enumerate() {
            *o = f(std::array::from_fn(|k| s[k][j]));
        }
    } else if st.iter().all(|&s| s == 0 || s == 1) {
        let unit: [bool; N] = st.map(|s| s == 1);
        let s: [&[f32]; N] = std::array::from_fn(|k| if unit[k] { &ins[k][starts[k]..starts[k] + n] } else { &ins[k][starts[k]..=starts[k]] });
        for (j, o) in out.iter_mut().enumerate() {
            *o = f(std::array::from_fn(|k| if unit[k] { s[k][j] } else { s[k][0] }));
        }
    } else {
        for (j, o) in out.iter_mut().enumerate() {
            *o = f(std::array::from_fn(|k| ins[k][(starts[k] as isize + j as isize * st[k]) as usize]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor;

    #[test]
    fn same_shapes_row_bias_scalar_and_column_broadcasts() {
        let x = Tensor::arange(6.0).reshape([2, 3]);
        let mut s = Slot::default();
        let y = map(&mut s, [&x, &x], |[a, b]| a * b);
        assert_eq!(y.to_vec::<f32>(), [0.0, 1.0, 4.0, 9.0, 16.0, 25.0]);
        drop(y);
        let y = map(&mut s, [&x, &tensor![1.0, 2.0, 3.0], &Tensor::scalar(10.0)], |[a, b, c]| a + b + c);
        assert_eq!(y.to_vec::<f32>(), [11.0, 13.0, 15.0, 14.0, 16.0, 18.0]);
        let col = Tensor::from_vec(vec![100.0f32, 200.0], &[2, 1]);
        let y = map(&mut Slot::default(), [&x, &col], |[a, b]| a + b);
        assert_eq!(y.to_vec::<f32>(), [100.0, 101.0, 102.0, 203.0, 204.0, 205.0]);
    }

    #[test]
    fn transposed_and_outer_broadcast_operands() {
        let x = Tensor::arange(6.0).reshape([2, 3]);
        let y = map(&mut Slot::default(), [&x.t()], |[a]| a);
        assert_eq!(y.to_vec::<f32>(), x.t().to_vec::<f32>());
        let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
        let b = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[1, 3]);
        let y = map(&mut Slot::default(), [&a, &b], |[a, b]| a * b);
        assert_eq!(y.shape(), &[2, 3]);
        assert_eq!(y.to_vec::<f32>(), [10.0, 20.0, 30.0, 20.0, 40.0, 60.0]);
        let z = map(&mut Slot::default(), [&Tensor::scalar(3.0)], |[a]| a + 1.0);
        assert_eq!(z.shape(), &[] as &[usize]);
        assert_eq!(z.item(), 4.0);
    }

    #[test]
    fn large_inputs_take_the_parallel_path_and_agree_with_eager_ops() {
        let x = Tensor::randn(&[700, 513]);
        let b = Tensor::randn(&[513]);
        let y = map(&mut Slot::default(), [&x, &b], |[a, b]| (a + b).max(0.0));
        assert_eq!(y.to_vec::<f32>(), x.add(&b).relu().to_vec::<f32>());
        let flat = Tensor::randn(&[300_000]);
        let y = map(&mut Slot::default(), [&flat, &Tensor::scalar(2.0)], |[a, s]| a * s);
        assert_eq!(y.to_vec::<f32>(), flat.mul(2.0).to_vec::<f32>());
    }

    #[test]
    fn column_sums_equal_a_separate_row_sum() {
        let g = Tensor::randn(&[5, 4, 3]);
        let y = Tensor::randn(&[5, 4, 3]);
        // A strided operand (the general loop) and contiguous ones (the flat loop).
        for y_in in [y.transpose(0, 1).contiguous().transpose(0, 1), y.shallow_clone()] {
            let mut sums = [0.5f32; 3];
            let out = map_col_sums(&mut Slot::default(), [&g, &y_in], |[g, y]| if y > 0.0 { g } else { 0.0 }, &mut sums);
            let want = super::super::relu_backward(&y, &g);
            assert_eq!(out.to_vec::<f32>(), want.to_vec::<f32>());
            let mut expect = [0.5f32; 3];
            for row in want.to_vec::<f32>().chunks(3) {
                for (e, v) in expect.iter_mut().zip(row) {
                    *e += v;
                }
            }
            assert_eq!(sums, expect);
        }
    }

    #[test]
    #[should_panic(expected = "an operand of shape [4] does not broadcast to the output shape [2, 3]")]
    fn a_mismatched_operand_panics_naming_both_shapes() {
        let out = Tensor::zeros(&[2, 3]);
        map_into(&out, [&Tensor::ones(&[4])], |[a]| a);
    }
}

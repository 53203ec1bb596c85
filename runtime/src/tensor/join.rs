//! Joining and splitting: `cat` and `stack` (copies), `split`, `chunk` and `unbind` (views).

use super::binary::promote_types;
use super::Tensor;
use std::borrow::Borrow;

impl Tensor {
    /// PyTorch's `torch.cat(tensors, dim)`: joins tensors along an existing dimension (a copy).
    ///
    /// All tensors must have the same shape except along `dim`. As in PyTorch, 1-D empty tensors
    /// are skipped, and mixed dtypes are promoted (bool < int64 < float32). Accepts `&[&Tensor]`
    /// or `&[Tensor]`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let a = Tensor::zeros(&[2, 3]);
    /// let b = Tensor::ones(&[1, 3]);
    /// assert_eq!(Tensor::cat(&[&a, &b], 0).shape(), &[3, 3]);
    /// assert_eq!(Tensor::cat(&[&a, &a], -1).shape(), &[2, 6]);
    /// ```
    pub fn cat<T: Borrow<Tensor>>(tensors: &[T], dim: isize) -> Tensor {
        assert!(!tensors.is_empty(), "torch.cat(): expected a non-empty list of Tensors");
        let all: Vec<&Tensor> = tensors.iter().map(Borrow::borrow).collect();
        for (i, t) in all.iter().enumerate() {
            assert!(t.dim() > 0, "zero-dimensional tensor (at position {i}) cannot be concatenated");
        }
        let dtype = all.iter().skip(1).fold(all[0].dtype(), |acc, t| promote_types(acc, t.dtype()));
        // PyTorch's legacy rule: 1-D tensors of size 0 are ignored.
        let parts: Vec<(usize, &Tensor)> =
            all.iter().copied().enumerate().filter(|(_, t)| !(t.dim() == 1 && t.numel() == 0)).collect();
        let Some(&(_, first)) = parts.first() else {
            return Tensor::zeros_dtype(&[0], dtype);
        };
        let d = first.wrap_dim(dim);
        let mut shape = first.shape().to_vec();
        shape[d] = 0;
        for &(i, t) in &parts {
            assert!(
                t.dim() == first.dim(),
                "Tensors must have same number of dimensions: got {} and {}",
                first.dim(),
                t.dim()
            );
            for (k, (&want, &got)) in first.shape().iter().zip(t.shape()).enumerate() {
                assert!(
                    k == d || want == got,
                    "Sizes of tensors must match except in dimension {d}. Expected size {want} but got \
                     size {got} for tensor number {i} in the list."
                );
            }
            shape[d] += t.shape()[d];
        }
        let out = Tensor::zeros_dtype(&shape, dtype);
        let mut start = 0;
        for &(_, t) in &parts {
            let len = t.shape()[d];
            out.narrow(d as isize, start as isize, len).copy_(t);
            start += len;
        }
        out
    }

    /// PyTorch's `torch.stack(tensors, dim)`: joins equal-shaped tensors along a new dimension
    /// `dim` (in `-dim()-1..=dim()`), copying.
    ///
    /// ```
    /// use fusenet_runtime::{tensor, Tensor};
    /// let a = tensor![1, 2, 3];
    /// let b = tensor![4, 5, 6];
    /// assert_eq!(Tensor::stack(&[&a, &b], 0).shape(), &[2, 3]);
    /// assert_eq!(Tensor::stack(&[&a, &b], 1).to_vec::<i64>(), [1, 4, 2, 5, 3, 6]);
    /// ```
    pub fn stack<T: Borrow<Tensor>>(tensors: &[T], dim: isize) -> Tensor {
        assert!(!tensors.is_empty(), "stack expects a non-empty TensorList");
        let all: Vec<&Tensor> = tensors.iter().map(Borrow::borrow).collect();
        for (i, t) in all.iter().enumerate().skip(1) {
            assert!(
                t.shape() == all[0].shape(),
                "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
                all[0].shape(),
                t.shape()
            );
        }
        let unsqueezed: Vec<Tensor> = all.iter().map(|t| t.unsqueeze(dim)).collect();
        Tensor::cat(&unsqueezed, dim)
    }

    /// PyTorch's `split(split_size, dim)`: views of `split_size` along `dim` (the last may be
    /// smaller).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let parts = Tensor::arange(5.0).split(2, 0);
    /// let sizes: Vec<_> = parts.iter().map(|p| p.shape()[0]).collect();
    /// assert_eq!(sizes, [2, 2, 1]);
    /// ```
    pub fn split(&self, split_size: usize, dim: isize) -> Vec<Tensor> {
        assert!(self.dim() > 0, "split expects at least a 1-dimensional tensor");
        let d = self.wrap_dim(dim);
        let size = self.dim_size(d);
        assert!(
            split_size > 0 || size == 0,
            "split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
        );
        if size == 0 {
            return vec![self.shallow_clone()];
        }
        (0..size)
            .step_by(split_size)
            .map(|start| self.narrow(d as isize, start as isize, split_size.min(size - start)))
            .collect()
    }

    /// PyTorch's `split(split_sizes, dim)` with a list: views of the given sizes along `dim`,
    /// which must sum to the dimension's size.
    pub fn split_with_sizes(&self, split_sizes: &[usize], dim: isize) -> Vec<Tensor> {
        assert!(self.dim() > 0, "split expects at least a 1-dimensional tensor");
        let d = self.wrap_dim(dim);
        let size = self.dim_size(d);
        assert!(
            split_sizes.iter().sum::<usize>() == size,
            "split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at \
             dimension {d}), but got split_sizes={split_sizes:?}"
        );
        let mut start = 0;
        split_sizes
            .iter()
            .map(|&len| {
                let part = self.narrow(d as isize, start as isize, len);
                start += len;
                part
            })
            .collect()
    }

    /// PyTorch's `chunk(chunks, dim)`: at most `chunks` views of size `ceil(size / chunks)`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange(6.0).chunk(4, 0).len(), 3); // sizes 2, 2, 2, as in PyTorch
    /// ```
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Tensor> {
        assert!(self.dim() > 0, "chunk expects at least a 1-dimensional tensor");
        assert!(chunks > 0, "chunk expects `chunks` to be greater than 0, got: {chunks}");
        let d = self.wrap_dim(dim);
        let size = self.dim_size(d);
        if size == 0 {
            return (0..chunks).map(|_| self.shallow_clone()).collect();
        }
        self.split(size.div_ceil(chunks), dim)
    }

    /// PyTorch's `unbind(dim)`: every slice along `dim`, as views without that dimension.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let rows = Tensor::zeros(&[3, 4]).unbind(0);
    /// assert_eq!(rows.len(), 3);
    /// assert_eq!(rows[0].shape(), &[4]);
    /// ```
    pub fn unbind(&self, dim: isize) -> Vec<Tensor> {
        assert!(self.dim() > 0, "Dimension specified as {dim} but tensor has no dimensions");
        let d = self.wrap_dim(dim);
        (0..self.dim_size(d)).map(|i| self.select(d as isize, i as isize)).collect()
    }

    fn dim_size(&self, d: usize) -> usize {
        self.shape[d]
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;

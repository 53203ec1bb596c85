//! Selection by index or mask, which copies: `masked_select`, `index_select` and `gather`.

use super::binary::broadcast_shapes;
use super::{DType, Dims, StridedOffsets, Tensor};

impl Tensor {
    /// PyTorch's `masked_select(mask)`: the elements where the bool `mask` (broadcast with `self`)
    /// is true, as a new 1-D tensor in row-major order.
    ///
    /// ```
    /// use fusenet_runtime::tensor;
    /// let x = tensor![[1.0, 2.0], [3.0, 4.0]];
    /// let m = tensor![true, false];
    /// assert_eq!(x.masked_select(&m).to_vec::<f32>(), [1.0, 3.0]);
    /// ```
    pub fn masked_select(&self, mask: &Tensor) -> Tensor {
        assert!(mask.dtype() == DType::Bool, "masked_select: expected BoolTensor for mask");
        let shape = broadcast_shapes(self.shape(), mask.shape());
        let keep = mask.expand(&shape).to_vec::<bool>();
        let offsets: Vec<usize> = self.expand(&shape).offsets().zip(&keep).filter(|(_, k)| **k).map(|(o, _)| o).collect();
        let n = offsets.len();
        let data = self.storage.read().gather(offsets.into_iter(), None);
        Tensor::from_data(data, &[n])
    }

    /// PyTorch's `index_select(dim, index)`: the entries along `dim` at the positions in the 1-D
    /// `i64` tensor `index` (repeats allowed), copied.
    ///
    /// ```
    /// use fusenet_runtime::{tensor, Tensor};
    /// let x = Tensor::arange(6.0).reshape([3, 2]);
    /// let rows = x.index_select(0, &tensor![2, 0]);
    /// assert_eq!(rows.to_vec::<f32>(), [4.0, 5.0, 0.0, 1.0]);
    /// ```
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Tensor {
        assert!(index.dtype() == DType::I64, "index_select(): Expected dtype int32 or int64 for index");
        assert!(index.dim() <= 1, "index_select(): Index is supposed to be a vector");
        let src = if self.dim() == 0 { self.reshape([1]) } else { self.shallow_clone() };
        let d = src.wrap_dim(dim);
        let idx = index.to_vec::<i64>();
        assert!(
            self.dim() > 0 || idx.len() == 1,
            "index_select(): Index to scalar can have only 1 value, got {} value(s)",
            idx.len()
        );
        let mut shape = src.shape().to_vec();
        shape[d] = idx.len();
        let out = Tensor::zeros_dtype(&shape, self.dtype());
        for (k, &i) in idx.iter().enumerate() {
            assert!(i >= 0 && (i as usize) < src.shape()[d], "index out of range in self");
            out.select(d as isize, k as isize).copy_(&src.select(d as isize, i as isize));
        }
        if self.dim() == 0 { out.reshape(index.shape()) } else { out }
    }

    /// PyTorch's `gather(dim, index)`: `out[i][j] = self[index[i][j]][j]` for `dim = 0` (and
    /// likewise for other dims). `index` is `i64` with as many dims as `self`; its shape is the
    /// output's, and may be smaller than `self` outside `dim`.
    ///
    /// ```
    /// use fusenet_runtime::tensor;
    /// let probs = tensor![[0.1, 0.9], [0.8, 0.2]];
    /// let picked = probs.gather(1, &tensor![[1], [0]]);
    /// assert_eq!(picked.to_vec::<f32>(), [0.9, 0.8]);
    /// ```
    pub fn gather(&self, dim: isize, index: &Tensor) -> Tensor {
        assert!(index.dtype() == DType::I64, "gather(): Expected dtype int32/int64 for index");
        assert!(
            index.dim() == self.dim() || (self.dim() <= 1 && index.dim() <= 1),
            "Index tensor must have the same number of dimensions as input tensor"
        );
        let d = self.wrap_dim(dim);
        let (shape, strides) = if self.dim() == 0 { (Dims::from([1]), Dims::from([1])) } else { (self.shape, self.strides) };
        let ishape = if index.dim() == 0 { vec![1] } else { index.shape().to_vec() };
        for k in (0..shape.len()).filter(|&k| k != d) {
            assert!(
                ishape[k] <= shape[k],
                "Size does not match at dimension {k} expected index {:?} to be no larger than self {:?} \
                 apart from dimension {d}",
                index.shape(),
                self.shape()
            );
        }
        let mut base_strides = strides;
        base_strides[d] = 0;
        let idx = index.to_vec::<i64>();
        let offsets: Vec<usize> = StridedOffsets::new(&ishape, &base_strides, self.offset)
            .zip(&idx)
            .map(|(base, &i)| {
                assert!(
                    i >= 0 && (i as usize) < shape[d],
                    "index {i} is out of bounds for dimension {d} with size {}",
                    shape[d]
                );
                (base as isize + i as isize * strides[d]) as usize
            })
            .collect();
        let data = self.storage.read().gather(offsets.into_iter(), None);
        Tensor::from_data(data, index.shape())
    }
}

#[cfg(test)]
#[path = "gather_tests.rs"]
mod tests;

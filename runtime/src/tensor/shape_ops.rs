//! Shape operations: views that share storage (`view`, `reshape` when strides allow, `transpose`,
//! `permute`, `expand`, `squeeze`, ...) and the two copying ops `repeat` and `flip`.
//!
//! Dimensions are `isize` and may be negative (`-1` is the last dimension), as in PyTorch. Shapes
//! and dimension lists are taken as any [`IntoDims`]: `[2, -1]`, `&[2, 3]`, `x.shape()`, a `Vec`.

use super::{Dims, Tensor, contiguous_strides};

/// A list of sizes or dimensions: an array `[2, -1]`, a slice such as `x.shape()`, a `Vec`, a
/// reference to an array or `Vec` (`usize`, `isize`, `i32` or `i64` elements), or one integer for a
/// list of one (`x.get(0)`, `x.flip(0)`, `x.reshape(-1)`, as PyTorch's varargs allow).
///
/// Integer literals with no suffix become `i32`, so `x.reshape([3, -1])` needs no annotation. Pass
/// arrays by value (`[3, -1]`); `&[3, -1]` works too but clippy calls the borrow needless. The
/// empty list (the shape of a 0-d tensor) is `()`. A list holds at most
/// [`MAX_DIMS`](super::MAX_DIMS) entries (converting a longer one panics); it is kept inline, so
/// passing a shape allocates nothing.
pub trait IntoDims {
    /// The list as signed integers.
    fn into_dims(self) -> Dims<isize>;
}

macro_rules! into_dims {
    ($($t:ty),*) => {$(
        impl IntoDims for &[$t] {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl<const N: usize> IntoDims for [$t; N] {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl<const N: usize> IntoDims for &[$t; N] {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl IntoDims for Vec<$t> {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl IntoDims for Dims<$t> {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl IntoDims for &Dims<$t> {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl IntoDims for &Vec<$t> {
            fn into_dims(self) -> Dims<isize> { self.iter().map(|&d| d as isize).collect() }
        }
        impl IntoDims for $t {
            fn into_dims(self) -> Dims<isize> { Dims::from([self as isize]) }
        }
    )*};
}
into_dims!(usize, isize, i32, i64);

impl IntoDims for () {
    fn into_dims(self) -> Dims<isize> {
        Dims::new()
    }
}

/// Resolves a requested shape with at most one `-1` against `numel` elements (PyTorch's `infer_size`).
pub(crate) fn infer_size(shape: &[isize], numel: usize) -> Dims<usize> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            assert!(infer.is_none(), "only one dimension can be inferred");
            infer = Some(i);
        } else {
            assert!(d >= 0, "invalid shape dimension {d} at index {i} of shape {shape:?}");
            known *= d as usize;
        }
    }
    let mut out: Dims<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    match infer {
        Some(i) => {
            assert!(
                known != 0,
                "cannot reshape tensor of 0 elements into shape {shape:?} because the unspecified \
                 dimension size -1 can be any value and is ambiguous"
            );
            assert!(numel.is_multiple_of(known), "shape '{shape:?}' is invalid for input of size {numel}");
            out[i] = numel / known;
        }
        None => assert!(known == numel, "shape '{shape:?}' is invalid for input of size {numel}"),
    }
    out
}

/// Strides that let `new_shape` view a tensor of `old_shape`/`old_strides` without a copy, or
/// `None` when some new dimension would span two non-contiguous chunks (PyTorch's `computeStride`).
pub(crate) fn view_strides(old_shape: &[usize], old_strides: &[isize], new_shape: &[usize]) -> Option<Dims<isize>> {
    if old_shape.is_empty() {
        return Some(Dims::filled(1, new_shape.len()));
    }
    let numel: usize = old_shape.iter().product();
    if numel == 0 {
        if old_shape == new_shape {
            return Some(Dims::from_slice(old_strides));
        }
        return Some(contiguous_strides(new_shape));
    }
    let mut new_strides = Dims::filled(0isize, new_shape.len());
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last().unwrap_or(&1);
    let (mut tensor_numel, mut view_numel) = (1usize, 1usize);
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel *= old_shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && old_strides[tensor_d - 1] != tensor_numel as isize * chunk_base_stride);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel as isize * chunk_base_stride;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

impl Tensor {
    /// PyTorch's `view`: the same elements seen with a new shape, always sharing storage.
    /// One size may be `-1` and is inferred.
    ///
    /// Panics, as PyTorch does, when the strides do not allow a view (use [`Tensor::reshape`]).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0);
    /// let y = x.view([2, -1]);
    /// assert_eq!(y.shape(), &[2, 3]);
    /// assert!(y.shares_storage(&x));
    /// ```
    pub fn view(&self, shape: impl IntoDims) -> Tensor {
        let shape = infer_size(&shape.into_dims(), self.numel());
        if self.is_contiguous() {
            return self.view_with(shape, contiguous_strides(&shape), self.offset);
        }
        match view_strides(&self.shape, &self.strides, &shape) {
            Some(strides) => self.view_with(shape, strides, self.offset),
            None => panic!(
                "view size is not compatible with input tensor's size and stride (at least one \
                 dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ),
        }
    }

    /// PyTorch's `reshape`: a view when the strides allow one (see [`Tensor::view`]), otherwise a
    /// contiguous copy. One size may be `-1`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape([2, 3]);
    /// let t = x.transpose(0, 1).reshape([-1]); // not viewable: copies
    /// assert_eq!(t.to_vec::<f32>(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    /// assert!(!t.shares_storage(&x));
    /// ```
    pub fn reshape(&self, shape: impl IntoDims) -> Tensor {
        let shape = infer_size(&shape.into_dims(), self.numel());
        if self.is_contiguous() {
            return self.view_with(shape, contiguous_strides(&shape), self.offset);
        }
        match view_strides(&self.shape, &self.strides, &shape) {
            Some(strides) => self.view_with(shape, strides, self.offset),
            None => {
                let copy = self.clone();
                let strides = contiguous_strides(&shape);
                copy.view_with(shape, strides, 0)
            }
        }
    }

    /// PyTorch's `ravel`: `reshape(&[-1])`.
    pub fn ravel(&self) -> Tensor {
        self.reshape([-1])
    }

    /// PyTorch's `flatten(start_dim, end_dim)`: merges dims `start..=end` into one (a view when
    /// possible). `x.flatten(0, -1)` is `x.flatten()`; a 0-d tensor becomes shape `[1]`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4]);
    /// assert_eq!(x.flatten(1, -1).shape(), &[2, 12]);
    /// ```
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Tensor {
        if self.dim() == 0 {
            return self.reshape([1]);
        }
        let (start, end) = (self.wrap_dim(start_dim), self.wrap_dim(end_dim));
        assert!(start <= end, "flatten() has invalid args: start_dim cannot come after end_dim");
        if start == end {
            return self.shallow_clone();
        }
        let merged: usize = self.shape[start..=end].iter().product();
        let mut shape = Dims::from_slice(&self.shape[..start]);
        shape.push(merged);
        shape.extend_from_slice(&self.shape[end + 1..]);
        self.reshape(shape)
    }

    /// PyTorch's `unflatten(dim, sizes)`: splits one dimension into `sizes` (one may be `-1`).
    /// Always a view.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange(24.0).unflatten(0, [2, 3, 4]).shape(), &[2, 3, 4]);
    /// ```
    pub fn unflatten(&self, dim: isize, sizes: impl IntoDims) -> Tensor {
        let d = self.wrap_dim(dim);
        let req = sizes.into_dims();
        assert!(!req.is_empty(), "unflatten: sizes must be non-empty");
        let size = self.shape.get(d).copied().unwrap_or(1);
        let known: isize = req.iter().filter(|&&s| s != -1).product();
        assert!(
            req.iter().filter(|&&s| s == -1).count() > 0 || known == size as isize,
            "unflatten: Provided sizes {req:?} don't multiply up to the size of dim {dim} ({size}) in the input tensor"
        );
        let sizes = infer_size(&req, size);
        let inner = self.strides.get(d).copied().unwrap_or(1);
        let split: Dims<isize> = contiguous_strides(&sizes).into_iter().map(|s| s * inner).collect();
        if self.dim() == 0 {
            return self.view_with(sizes, split, self.offset);
        }
        let mut shape = Dims::from_slice(&self.shape[..d]);
        let mut strides = Dims::from_slice(&self.strides[..d]);
        shape.extend_from_slice(&sizes);
        strides.extend_from_slice(&split);
        shape.extend_from_slice(&self.shape[d + 1..]);
        strides.extend_from_slice(&self.strides[d + 1..]);
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `squeeze()`: removes every dimension of size 1 (a view).
    pub fn squeeze(&self) -> Tensor {
        let (shape, strides): (Dims<usize>, Dims<isize>) = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|&(&d, _)| d != 1)
            .map(|(&d, &s)| (d, s))
            .unzip();
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `squeeze(dim)`: removes `dim` if its size is 1, else returns the same view.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[1, 3, 1, 4, 1]);
    /// assert_eq!(x.squeeze_dim(0).shape(), &[3, 1, 4, 1]);
    /// assert_eq!(x.squeeze_dim(1).shape(), &[1, 3, 1, 4, 1]);
    /// assert_eq!(x.squeeze().shape(), &[3, 4]);
    /// ```
    pub fn squeeze_dim(&self, dim: isize) -> Tensor {
        let d = self.wrap_dim(dim);
        if self.dim() == 0 || self.shape[d] != 1 {
            return self.shallow_clone();
        }
        let (mut shape, mut strides) = (self.shape, self.strides);
        shape.remove(d);
        strides.remove(d);
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `unsqueeze(dim)`: inserts a dimension of size 1 at `dim` (in `-dim()-1..=dim()`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[3, 4]);
    /// assert_eq!(x.unsqueeze(1).shape(), &[3, 1, 4]);
    /// assert_eq!(x.unsqueeze(-1).shape(), &[3, 4, 1]);
    /// ```
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        let n = self.dim() as isize + 1;
        assert!(
            dim >= -n && dim < n,
            "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
            -n,
            n - 1
        );
        let d = if dim < 0 { dim + n } else { dim } as usize;
        let stride = if d < self.dim() { self.strides[d] * self.shape[d] as isize } else { 1 };
        let (mut shape, mut strides) = (self.shape, self.strides);
        shape.insert(d, 1);
        strides.insert(d, stride);
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `transpose(dim0, dim1)`: swaps two dimensions (a view).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4]);
    /// let y = x.transpose(1, 2);
    /// assert_eq!(y.shape(), &[2, 4, 3]);
    /// assert!(!y.is_contiguous());
    /// ```
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor {
        let (a, b) = (self.wrap_dim(dim0), self.wrap_dim(dim1));
        let (mut shape, mut strides) = (self.shape, self.strides);
        if self.dim() > 0 {
            shape.swap(a, b);
            strides.swap(a, b);
        }
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `t()`: the transpose of a 2-D tensor; 0-D and 1-D tensors are returned as they are.
    pub fn t(&self) -> Tensor {
        assert!(self.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is {}D", self.dim());
        if self.dim() == 2 { self.transpose(0, 1) } else { self.shallow_clone() }
    }

    /// PyTorch's `permute(dims)`: reorders all dimensions (a view).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::zeros(&[2, 3, 4]).permute([2, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    pub fn permute(&self, dims: impl IntoDims) -> Tensor {
        let dims = dims.into_dims();
        assert!(
            dims.len() == self.dim(),
            "permute(): number of dimensions in the tensor input does not match the length of the \
             desired ordering of dimensions i.e. input.dim() = {} is not equal to len(dims) = {}",
            self.dim(),
            dims.len()
        );
        let mut seen = [false; super::MAX_DIMS];
        let (mut shape, mut strides) = (Dims::new(), Dims::new());
        for &d in &dims {
            let d = self.wrap_dim(d);
            assert!(!seen[d], "permute(): duplicate dims are not allowed.");
            seen[d] = true;
            shape.push(self.shape[d]);
            strides.push(self.strides[d]);
        }
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `movedim(source, destination)`: moves one dimension, keeping the others in order.
    pub fn movedim(&self, source: isize, destination: isize) -> Tensor {
        let (s, d) = (self.wrap_dim(source), self.wrap_dim(destination));
        let mut order: Vec<usize> = (0..self.dim()).filter(|&i| i != s).collect();
        if self.dim() > 0 {
            order.insert(d, s);
        }
        self.permute(order)
    }

    /// PyTorch's `expand(sizes)`: broadcasts dimensions of size 1 to `sizes` without copying
    /// (stride 0). `-1` keeps a size; new leading dimensions may be added.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(3.0).reshape([1, 3]);
    /// let y = x.expand([4, -1]);
    /// assert_eq!(y.shape(), &[4, 3]);
    /// assert_eq!(y.strides(), &[0, 1]);
    /// ```
    pub fn expand(&self, sizes: impl IntoDims) -> Tensor {
        let sizes = sizes.into_dims();
        assert!(
            sizes.len() >= self.dim(),
            "expand(torch.{}{{{:?}}}, size={:?}): the number of sizes provided ({}) must be greater or \
             equal to the number of dimensions in the tensor ({})",
            legacy_type_name(self),
            self.shape,
            sizes,
            sizes.len(),
            self.dim()
        );
        let lead = sizes.len() - self.dim();
        let mut shape = Dims::filled(0usize, sizes.len());
        let mut strides = Dims::filled(0isize, sizes.len());
        // From the last dimension, as PyTorch checks (its message names the last mismatch first).
        for (i, &target) in sizes.iter().enumerate().rev() {
            if i < lead {
                assert!(
                    target >= 0,
                    "The expanded size of the tensor ({target}) isn't allowed in a leading, non-existing dimension {i}"
                );
                shape[i] = target as usize;
                continue;
            }
            let (have, stride) = (self.shape[i - lead], self.strides[i - lead]);
            if target == -1 || target == have as isize {
                (shape[i], strides[i]) = (have, stride);
            } else {
                assert!(
                    have == 1 && target >= 0,
                    "The expanded size of the tensor ({target}) must match the existing size ({have}) at \
                     non-singleton dimension {i}.  Target sizes: {sizes:?}.  Tensor sizes: {:?}",
                    self.shape
                );
                shape[i] = target as usize;
            }
        }
        self.view_with(shape, strides, self.offset)
    }

    /// PyTorch's `expand_as(other)`: `self.expand(other.shape())`.
    pub fn expand_as(&self, other: &Tensor) -> Tensor {
        self.expand(other.shape())
    }

    /// PyTorch's `repeat(repeats)`: tiles the tensor, copying (`repeats` may add leading dims).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(3.0);
    /// assert_eq!(x.repeat([2]).to_vec::<f32>(), [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
    /// assert_eq!(x.reshape([1, 3]).repeat([4, 1]).shape(), &[4, 3]);
    /// ```
    pub fn repeat(&self, repeats: impl IntoDims) -> Tensor {
        let reps = repeats.into_dims();
        assert!(
            reps.len() >= self.dim(),
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        );
        assert!(reps.iter().all(|&r| r >= 0), "Trying to create tensor with negative dimension {reps:?}");
        let lead = reps.len() - self.dim();
        // One dim at a time: a contiguous [outer, size·inner] becomes [outer, r, size·inner]
        // through a stride-0 axis, which a row-major copy tiles. Every view has 3 dims, so any
        // rank up to MAX_DIMS works.
        let mut shape = Dims::filled(1usize, lead);
        shape.extend_from_slice(&self.shape);
        let base = self.contiguous();
        let mut out = base.view_with(shape, contiguous_strides(&shape), base.offset);
        let mut copied = false;
        for (i, &r) in reps.iter().enumerate() {
            if r == 1 {
                continue;
            }
            copied = true;
            let outer: usize = shape[..i].iter().product();
            let rest: usize = shape[i..].iter().product();
            let tiled = out.view_with([outer, r as usize, rest], [rest as isize, 0, 1], out.offset).clone();
            shape[i] *= r as usize;
            out = tiled.view_with(shape, contiguous_strides(&shape), 0);
        }
        if copied { out } else { out.clone() }
    }

    /// PyTorch's `flip(dims)`: reverses the order of elements along `dims`, copying.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange(3.0).flip([0]).to_vec::<f32>(), [2.0, 1.0, 0.0]);
    /// ```
    pub fn flip(&self, dims: impl IntoDims) -> Tensor {
        let mut strides = self.strides;
        let mut offset = self.offset as isize;
        let mut seen = [false; super::MAX_DIMS];
        for d in dims.into_dims() {
            let d = self.wrap_dim(d);
            assert!(!seen[d], "dim {d} appears multiple times in the list of dims");
            seen[d] = true;
            if self.dim() == 0 || self.shape[d] == 0 {
                continue;
            }
            offset += strides[d] * (self.shape[d] as isize - 1);
            strides[d] = -strides[d];
        }
        if self.numel() == 0 {
            return self.clone();
        }
        self.view_with(self.shape, strides, offset as usize).clone()
    }
}

/// PyTorch's legacy type name, used in a few of its messages (`FloatTensor`).
pub(crate) fn legacy_type_name(t: &Tensor) -> &'static str {
    match t.dtype() {
        super::DType::F32 => "FloatTensor",
        super::DType::I64 => "LongTensor",
        super::DType::Bool => "BoolTensor",
    }
}

#[cfg(test)]
#[path = "shape_ops_tests.rs"]
mod tests;

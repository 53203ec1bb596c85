//! Map-style datasets: [`Dataset`], [`TensorDataset`], [`Subset`] and [`random_split`].

use super::sampler::randperm;
use crate::rng::Generator;
use crate::tensor::Tensor;
use std::sync::Arc;

/// PyTorch's map-style `torch.utils.data.Dataset`: `len` items, item `i` by `get(i)`.
///
/// `Send + Sync`, so a [`DataLoader`](super::DataLoader) can share one dataset with its worker
/// threads through an `Arc`. `get` panics when `index >= len()`, as indexing out of range is a
/// programmer's mistake.
///
/// ```
/// use fusenet_runtime::data::Dataset;
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = i64;
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, index: usize) -> i64 { (index * index) as i64 }
/// }
/// assert_eq!(Squares(5).get(3), 9);
/// ```
pub trait Dataset: Send + Sync {
    /// What one index yields (a tuple of row tensors, an `(image, label)` pair, ...).
    type Item;

    /// The number of items.
    fn len(&self) -> usize;

    /// Item `index` (`0 <= index < len()`).
    fn get(&self, index: usize) -> Self::Item;

    /// Whether there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> D::Item {
        (**self).get(index)
    }
}

impl<D: Dataset + ?Sized> Dataset for &D {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> D::Item {
        (**self).get(index)
    }
}

/// A vector is a dataset of clones of its elements (Python's list as a dataset).
impl<T: Clone + Send + Sync> Dataset for Vec<T> {
    type Item = T;
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn get(&self, index: usize) -> T {
        self[index].clone()
    }
}

/// Tensors that share their first dimension and yield one row of each per index: a [`Tensor`]
/// (row: a `Tensor`), a tuple of two to four tensors (row: the tuple of rows) or a
/// `Vec<Tensor>` (row: a `Vec` of rows). The rows are views that share storage with the tensors.
pub trait TensorRows: Send + Sync {
    /// One row of each tensor.
    type Row;
    /// The first-dimension sizes of all tensors, and each tensor's shape for messages.
    fn shapes(&self) -> Vec<Vec<usize>>;
    /// Row `i` of each tensor.
    fn row(&self, i: usize) -> Self::Row;
}

fn row_of(t: &Tensor, i: usize) -> Tensor {
    t.select(0, i as isize)
}

impl TensorRows for Tensor {
    type Row = Tensor;
    fn shapes(&self) -> Vec<Vec<usize>> {
        vec![self.shape().to_vec()]
    }
    fn row(&self, i: usize) -> Tensor {
        row_of(self, i)
    }
}

impl TensorRows for Vec<Tensor> {
    type Row = Vec<Tensor>;
    fn shapes(&self) -> Vec<Vec<usize>> {
        self.iter().map(|t| t.shape().to_vec()).collect()
    }
    fn row(&self, i: usize) -> Vec<Tensor> {
        self.iter().map(|t| row_of(t, i)).collect()
    }
}

macro_rules! tuple_rows {
    ($($t:ident $i:tt),+) => {
        impl TensorRows for ($($t,)+) {
            type Row = ($($t,)+);
            fn shapes(&self) -> Vec<Vec<usize>> {
                vec![$(self.$i.shape().to_vec()),+]
            }
            fn row(&self, i: usize) -> Self::Row {
                ($(row_of(&self.$i, i),)+)
            }
        }
    };
}
tuple_rows!(Tensor 0, Tensor 1);
tuple_rows!(Tensor 0, Tensor 1, Tensor 2);
tuple_rows!(Tensor 0, Tensor 1, Tensor 2, Tensor 3);

/// PyTorch's `TensorDataset`: item `i` is row `i` of every tensor (views, no copy).
///
/// ```
/// use fusenet_runtime::Tensor;
/// use fusenet_runtime::data::{Dataset, TensorDataset};
/// let x = Tensor::arange(6.0).reshape([3, 2]);
/// let y = Tensor::arange_i64(3);
/// let ds = TensorDataset::new((x, y));
/// let (row, label) = ds.get(2);
/// assert_eq!((row.to_vec::<f32>(), label.item_i64()), (vec![4.0, 5.0], 2));
/// ```
pub struct TensorDataset<T: TensorRows> {
    tensors: T,
    len: usize,
}

impl<T: TensorRows> TensorDataset<T> {
    /// Panics when a tensor is 0-d or the first dimensions differ ("Size mismatch between
    /// tensors", as PyTorch says), naming every shape.
    pub fn new(tensors: T) -> TensorDataset<T> {
        let shapes = tensors.shapes();
        assert!(!shapes.is_empty(), "TensorDataset needs at least one tensor");
        assert!(
            shapes.iter().all(|s| !s.is_empty()),
            "TensorDataset: a 0-d tensor has no rows (shapes {shapes:?})"
        );
        let len = shapes[0][0];
        assert!(
            shapes.iter().all(|s| s[0] == len),
            "Size mismatch between tensors: first dimensions differ in shapes {shapes:?}"
        );
        TensorDataset { tensors, len }
    }

    /// The tensors, as given.
    pub fn tensors(&self) -> &T {
        &self.tensors
    }

    /// The tensors, giving up the dataset.
    pub fn into_tensors(self) -> T {
        self.tensors
    }
}

impl<T: TensorRows> Dataset for TensorDataset<T> {
    type Item = T::Row;
    fn len(&self) -> usize {
        self.len
    }
    fn get(&self, index: usize) -> T::Row {
        check_index(index, self.len);
        self.tensors.row(index)
    }
}

pub(crate) fn check_index(index: usize, len: usize) {
    assert!(index < len, "index {index} is out of range for a dataset of length {len}");
}

/// PyTorch's `Subset`: the items of `dataset` at `indices`, in that order.
///
/// ```
/// use fusenet_runtime::data::{Dataset, Subset};
/// let s = Subset::new(vec![10, 11, 12, 13], vec![3, 0]);
/// assert_eq!((s.len(), s.get(0), s.get(1)), (2, 13, 10));
/// ```
pub struct Subset<D: Dataset> {
    dataset: Arc<D>,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// Panics when an index is out of range for `dataset`. (To keep a handle on the dataset,
    /// pass an `Arc` of it: an `Arc<D>` is a dataset too.)
    pub fn new(dataset: D, indices: Vec<usize>) -> Subset<D> {
        let dataset = Arc::new(dataset);
        let n = dataset.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            panic!("Subset: index {bad} is out of range for a dataset of length {n}");
        }
        Subset { dataset, indices }
    }

    /// The indices into the underlying dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The underlying dataset.
    pub fn dataset(&self) -> &Arc<D> {
        &self.dataset
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn get(&self, index: usize) -> D::Item {
        check_index(index, self.indices.len());
        self.dataset.get(self.indices[index])
    }
}

/// PyTorch's `random_split(dataset, lengths, generator)`: one `randperm(len)` from `generator`,
/// cut into consecutive pieces of the given lengths. The pieces equal PyTorch's for the same
/// seed (`generator=torch.Generator().manual_seed(s)`).
///
/// Panics when the lengths do not add up to the dataset's length, in PyTorch's words.
///
/// ```
/// use fusenet_runtime::data::{random_split, Dataset};
/// use fusenet_runtime::rng::Generator;
/// // random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(3))
/// let parts = random_split((0..10).collect::<Vec<i64>>(), &[3, 7], &mut Generator::new(3));
/// assert_eq!(parts[0].indices(), [6, 0, 3]);
/// assert_eq!(parts[1].get(0), 7);
/// ```
pub fn random_split<D: Dataset>(dataset: D, lengths: &[usize], generator: &mut Generator) -> Vec<Subset<D>> {
    let dataset = Arc::new(dataset);
    let n = dataset.len();
    assert!(
        lengths.iter().sum::<usize>() == n,
        "Sum of input lengths does not equal the length of the input dataset! (lengths {lengths:?}, length {n})"
    );
    let perm = randperm(n, generator);
    let mut start = 0;
    lengths
        .iter()
        .map(|&len| {
            let indices = perm[start..start + len].to_vec();
            start += len;
            Subset { dataset: Arc::clone(&dataset), indices }
        })
        .collect()
}

/// The lengths `random_split` gets from fractions in PyTorch: `floor(f * n)` each, then one
/// more to each piece in turn until they add up to `n`. Panics unless the fractions sum to 1.
///
/// ```
/// use fusenet_runtime::data::split_lengths;
/// // random_split(range(10), [0.25, 0.25, 0.5]) has pieces of lengths 3, 2, 5 in PyTorch
/// assert_eq!(split_lengths(10, &[0.25, 0.25, 0.5]), [3, 2, 5]);
/// ```
pub fn split_lengths(n: usize, fractions: &[f64]) -> Vec<usize> {
    let total: f64 = fractions.iter().sum();
    assert!(
        (total - 1.0).abs() <= 1e-9 && fractions.iter().all(|&f| (0.0..=1.0).contains(&f)),
        "fractions must each be in [0, 1] and sum to 1, got {fractions:?}"
    );
    let mut lengths: Vec<usize> = fractions.iter().map(|&f| (f * n as f64).floor() as usize).collect();
    let remainder = n - lengths.iter().sum::<usize>().min(n);
    let k = lengths.len();
    for i in 0..remainder {
        lengths[i % k] += 1;
    }
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_dataset_rows_are_views() {
        let x = Tensor::arange(12.0).reshape([4, 3]);
        let ds = TensorDataset::new(x.shallow_clone());
        assert_eq!(ds.len(), 4);
        let r = ds.get(1);
        assert_eq!(r.to_vec::<f32>(), [3.0, 4.0, 5.0]);
        assert!(r.shares_storage(&x));
    }

    #[test]
    fn vec_of_tensors_dataset() {
        let ds = TensorDataset::new(vec![Tensor::zeros(&[2, 5]), Tensor::ones(&[2]), Tensor::arange_i64(2)]);
        let row = ds.get(1);
        assert_eq!(row.len(), 3);
        assert_eq!(row[0].shape(), &[5]);
        assert_eq!(row[1].shape(), &[] as &[usize]);
        assert_eq!(row[2].item_i64(), 1);
    }

    #[test]
    #[should_panic(expected = "Size mismatch between tensors: first dimensions differ in shapes [[3, 2], [4]]")]
    fn tensor_dataset_size_mismatch_panics() {
        TensorDataset::new((Tensor::zeros(&[3, 2]), Tensor::zeros(&[4])));
    }

    #[test]
    #[should_panic(expected = "index 3 is out of range for a dataset of length 3")]
    fn get_out_of_range_panics() {
        TensorDataset::new(Tensor::zeros(&[3])).get(3);
    }

    #[test]
    fn random_split_matches_torch() {
        // random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(3))
        // -> [[6, 0, 3], [7, 8, 5, 1, 9, 2, 4]]
        let parts = random_split((0..10).collect::<Vec<usize>>(), &[3, 7], &mut Generator::new(3));
        let got: Vec<Vec<usize>> = parts.iter().map(|p| (0..p.len()).map(|i| p.get(i)).collect()).collect();
        assert_eq!(got, [vec![6, 0, 3], vec![7, 8, 5, 1, 9, 2, 4]]);
    }

    #[test]
    #[should_panic(expected = "Sum of input lengths does not equal the length of the input dataset!")]
    fn random_split_bad_lengths_panic() {
        random_split(vec![1, 2, 3], &[1, 1], &mut Generator::new(0));
    }

    #[test]
    fn split_lengths_follow_torch() {
        // torch: random_split(range(10), [0.3, 0.3, 0.4]) -> lengths [3, 3, 4]
        assert_eq!(split_lengths(10, &[0.3, 0.3, 0.4]), [3, 3, 4]);
        // 7 * [1/3, 1/3, 1/3] -> floor 2, 2, 2, remainder 1 goes to the first
        assert_eq!(split_lengths(7, &[1.0 / 3.0; 3]), [3, 2, 2]);
        assert_eq!(split_lengths(0, &[0.5, 0.5]), [0, 0]);
    }

    #[test]
    fn subset_and_arc_datasets() {
        let base = Arc::new(vec![5, 6, 7]);
        let s = Subset::new(Arc::clone(&base), vec![2, 2, 0]);
        assert_eq!(Arc::strong_count(&base), 2);
        assert_eq!((0..3).map(|i| s.get(i)).collect::<Vec<_>>(), [7, 7, 5]);
        assert_eq!(Dataset::len(&base), 3);
        assert!(!Dataset::is_empty(&(&s)));
    }
}

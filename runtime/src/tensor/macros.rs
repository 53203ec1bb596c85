//! The `tensor!` literal macro and [`Tensor::from_nested`], PyTorch's `torch.tensor([[...]])`.

use super::{Element, Tensor};

/// A nested list that [`Tensor::from_nested`] turns into a tensor: a scalar (`f32`/`f64` give
/// `f32`; `i32`/`i64`/`isize`/`usize` give `i64`; `bool` gives `bool`) or a `Vec` of nested lists.
pub trait Nested {
    /// The element type of the resulting tensor.
    type Elem: Element;
    /// Pushes the length of this list and, recursively, of its first element.
    fn probe_shape(&self, shape: &mut Vec<usize>);
    /// Appends the leaves in row-major order, checking each list against `shape[depth]`.
    fn push_leaves(self, depth: usize, shape: &[usize], out: &mut Vec<Self::Elem>);
}

macro_rules! nested_scalar {
    ($($t:ty => $e:ty),*) => {$(
        impl Nested for $t {
            type Elem = $e;
            fn probe_shape(&self, _: &mut Vec<usize>) {}
            fn push_leaves(self, _: usize, _: &[usize], out: &mut Vec<$e>) {
                out.push(self as $e);
            }
        }
    )*};
}
nested_scalar!(f32 => f32, f64 => f32, i32 => i64, i64 => i64, isize => i64, usize => i64, bool => bool);

impl<N: Nested> Nested for Vec<N> {
    type Elem = N::Elem;
    fn probe_shape(&self, shape: &mut Vec<usize>) {
        shape.push(self.len());
        if let Some(first) = self.first() {
            first.probe_shape(shape);
        }
    }
    fn push_leaves(self, depth: usize, shape: &[usize], out: &mut Vec<N::Elem>) {
        assert!(
            self.len() == shape[depth],
            "expected sequence of length {} at dim {depth} (got {})",
            shape[depth],
            self.len()
        );
        for item in self {
            item.push_leaves(depth + 1, shape, out);
        }
    }
}

impl Tensor {
    /// PyTorch's `torch.tensor(nested_list)`: a tensor whose shape is the nesting of `Vec`s and
    /// whose dtype follows the leaves (see [`Nested`]). [`tensor!`](crate::tensor!) is the literal
    /// form of this.
    ///
    /// Panics on a ragged list, naming the expected length as PyTorch does.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::from_nested(vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    /// assert_eq!(x.shape(), &[2, 2]);
    /// ```
    pub fn from_nested<N: Nested>(list: N) -> Tensor {
        let mut shape = Vec::new();
        list.probe_shape(&mut shape);
        let mut out = Vec::with_capacity(shape.iter().product());
        list.push_leaves(0, &shape, &mut out);
        Tensor::from_vec(out, &shape)
    }
}

/// A tensor literal, as `torch.tensor([...])`: nested brackets of any depth give the shape, the
/// literals give the dtype (a float gives `f32`, an integer without a dot gives `i64`, `true`/`false`
/// give `bool`). The leaves may be any expressions of one type.
///
/// ```
/// use fusenet_runtime::{tensor, DType};
/// let x = tensor![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!((x.shape(), x.dtype()), (&[2, 2][..], DType::F32));
/// assert_eq!(tensor![1, 2, 3].dtype(), DType::I64);
/// assert_eq!(tensor![true, false].dtype(), DType::Bool);
/// assert_eq!(tensor![[[1.0], [2.0]]].shape(), &[1, 2, 1]);
/// assert_eq!(tensor![].shape(), &[0]);
/// ```
///
/// A ragged literal panics: `tensor![[1.0, 2.0], [3.0]]` says
/// "expected sequence of length 2 at dim 1 (got 1)". A 0-d tensor is `Tensor::scalar(3.5)`.
#[macro_export]
macro_rules! tensor {
    () => { $crate::Tensor::from_vec(::std::vec::Vec::<f32>::new(), &[0]) };
    ($($items:tt)+) => { $crate::Tensor::from_nested($crate::__tensor_list!($($items)+)) };
}

/// Turns the bracketed lists of `tensor!` into nested `Vec`s; one recursion per nesting level.
#[doc(hidden)]
#[macro_export]
macro_rules! __tensor_list {
    ($([$($inner:tt)*]),+ $(,)?) => { ::std::vec![$($crate::__tensor_list!($($inner)*)),+] };
    ($($leaf:expr),* $(,)?) => { ::std::vec![$($leaf),*] };
}

#[cfg(test)]
mod tests {
    use crate::tensor::DType;

    #[test]
    fn shapes_and_dtypes_follow_the_literal() {
        let x = tensor![[1.0, 2.0], [3.0, 4.0]];
        assert_eq!((x.shape(), x.dtype()), (&[2usize, 2][..], DType::F32));
        assert_eq!(x.to_vec::<f32>(), [1.0, 2.0, 3.0, 4.0]);
        let i = tensor![1, 2, 3];
        assert_eq!((i.shape(), i.to_vec::<i64>()), (&[3usize][..], vec![1, 2, 3]));
        assert_eq!(tensor![true, false].to_vec::<bool>(), [true, false]);
        assert_eq!(tensor![3.5].shape(), &[1]);
        assert_eq!(tensor![[[1, 2]], [[3, 4]], [[5, 6]]].shape(), &[3, 1, 2]);
        assert_eq!(tensor![-1.5, 2.0,].to_vec::<f32>(), [-1.5, 2.0]);
        assert_eq!(crate::Tensor::from_nested(vec![Vec::<f32>::new(), vec![]]).shape(), &[2, 0]);
        let (a, b) = (0.5f32, 2.0 * 3.0);
        assert_eq!(tensor![[a, b]].to_vec::<f32>(), [0.5, 6.0]);
    }

    #[test]
    fn a_long_flat_literal_needs_no_deep_recursion() {
        let x = tensor![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4,
            5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4];
        assert_eq!(x.shape(), &[135]);
    }

    #[test]
    #[should_panic(expected = "expected sequence of length 2 at dim 1 (got 1)")]
    fn ragged_literal_panics_like_torch() {
        let _ = tensor![[1.0, 2.0], [3.0]];
    }

    #[test]
    #[should_panic(expected = "expected sequence of length 0 at dim 1 (got 1)")]
    fn ragged_after_empty_row_panics() {
        let _ = tensor![[], [1.0]];
    }
}

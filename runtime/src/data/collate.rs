//! Collation: turning the items of one batch into batch tensors (PyTorch's `default_collate`).

use crate::tensor::Tensor;

/// An item type that [`DataLoader::new`](super::DataLoader::new) knows how to batch, as
/// PyTorch's `default_collate` does:
///
/// | item | batch |
/// |---|---|
/// | `Tensor` of shape `S` | `Tensor` of shape `[B, ..S]` (`torch.stack`) |
/// | `f32`, `i64`, `bool` | a 1-D tensor `[B]` of that dtype |
/// | a tuple `(A, B, ..)` (up to 4) | the tuple of each field's batch |
/// | `Vec<T>` (all of one length) | a `Vec` of each position's batch |
///
/// ```
/// use fusenet_runtime::{tensor, Tensor};
/// use fusenet_runtime::data::Collate;
/// let items = vec![(tensor![1.0, 2.0], 0i64), (tensor![3.0, 4.0], 1i64)];
/// let (x, y) = <(Tensor, i64)>::collate(items);
/// assert_eq!((x.shape(), y.to_vec::<i64>()), (&[2, 2][..], vec![0, 1]));
/// ```
pub trait Collate: Sized {
    /// What a batch of these items becomes.
    type Batch;
    /// Joins `items` (at least one) into a batch.
    fn collate(items: Vec<Self>) -> Self::Batch;
}

impl Collate for Tensor {
    type Batch = Tensor;
    fn collate(items: Vec<Tensor>) -> Tensor {
        Tensor::stack(&items, 0)
    }
}

macro_rules! scalar_collate {
    ($($t:ty),*) => {$(
        impl Collate for $t {
            type Batch = Tensor;
            fn collate(items: Vec<$t>) -> Tensor {
                let n = items.len();
                Tensor::from_vec(items, &[n])
            }
        }
    )*};
}
scalar_collate!(f32, i64, bool);

macro_rules! tuple_collate {
    ($($t:ident $v:ident $i:tt),+) => {
        impl<$($t: Collate),+> Collate for ($($t,)+) {
            type Batch = ($($t::Batch,)+);
            fn collate(items: Vec<Self>) -> Self::Batch {
                $(let mut $v = Vec::with_capacity(items.len());)+
                for item in items {
                    $($v.push(item.$i);)+
                }
                ($($t::collate($v),)+)
            }
        }
    };
}
tuple_collate!(A a 0);
tuple_collate!(A a 0, B b 1);
tuple_collate!(A a 0, B b 1, C c 2);
tuple_collate!(A a 0, B b 1, C c 2, D d 3);

impl<T: Collate> Collate for Vec<T> {
    type Batch = Vec<T::Batch>;
    /// Panics when the items have different lengths, in PyTorch's words.
    fn collate(items: Vec<Vec<T>>) -> Vec<T::Batch> {
        let width = items.first().map_or(0, Vec::len);
        assert!(
            items.iter().all(|v| v.len() == width),
            "each element in list of batch should be of equal size (got lengths {:?})",
            items.iter().map(Vec::len).collect::<Vec<_>>()
        );
        let mut columns: Vec<Vec<T>> = (0..width).map(|_| Vec::with_capacity(items.len())).collect();
        for item in items {
            for (column, x) in columns.iter_mut().zip(item) {
                column.push(x);
            }
        }
        columns.into_iter().map(T::collate).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    #[test]
    fn tensors_stack_on_a_new_first_dim() {
        let items = vec![Tensor::zeros(&[2, 3]), Tensor::ones(&[2, 3])];
        let b = Tensor::collate(items);
        assert_eq!(b.shape(), &[2, 2, 3]);
        assert_eq!(b.sum().item(), 6.0);
    }

    #[test]
    fn scalars_become_1d_tensors() {
        assert_eq!(i64::collate(vec![3, 4]).to_vec::<i64>(), [3, 4]);
        let f = f32::collate(vec![0.5]);
        assert_eq!((f.dtype(), f.shape()), (DType::F32, &[1][..]));
        assert_eq!(bool::collate(vec![true, false]).dtype(), DType::Bool);
    }

    #[test]
    fn nested_tuples_and_vecs() {
        let items = vec![(1i64, vec![Tensor::zeros(&[2]), Tensor::ones(&[])]), (2i64, vec![Tensor::ones(&[2]), Tensor::zeros(&[])])];
        let (a, v) = <(i64, Vec<Tensor>)>::collate(items);
        assert_eq!(a.to_vec::<i64>(), [1, 2]);
        assert_eq!(v[0].shape(), &[2, 2]);
        assert_eq!(v[1].to_vec::<f32>(), [1.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "each element in list of batch should be of equal size (got lengths [2, 1])")]
    fn ragged_vecs_panic() {
        Vec::<i64>::collate(vec![vec![1, 2], vec![3]]);
    }
}

//! Matrix products with PyTorch's `matmul` semantics, all through one strided GEMM
//! (`fusenet_kernels::cpu::gemm`): operands are passed with their own strides, so a transposed or
//! sliced view is never copied, and broadcast batch dims are read with stride 0.
//!
//! `f32` uses `matrixmultiply` (multithreaded); `i64` uses the naive triple loop (PyTorch allows
//! integer matmul). Both operands must have the same dtype, as in PyTorch.

use super::binary::elementwise::{broadcast_dims, expanded_strides, for_each_offsets, read_all};
use super::reduce::non_negative;
use super::{DType, Element, Tensor};
use fusenet_kernels::cpu::gemm;

impl Tensor {
    /// `torch.matmul`: the dot product of two vectors (a 0-d result), the matrix product of two
    /// matrices, a vector promoted to a matrix by prepending (left) or appending (right) a dim of
    /// size 1 that is removed afterwards, and batched products whose batch dims broadcast.
    ///
    /// Shapes: `[…, m, k] @ […, k, n] → [broadcast(…), m, n]`. Panics when the inner sizes differ,
    /// naming both shapes (`mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let v = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
    /// assert_eq!(a.matmul(&v).to_vec::<f32>(), [3.0, 7.0]);
    /// assert_eq!(v.matmul(&a).to_vec::<f32>(), [4.0, 6.0]);
    /// assert_eq!(v.matmul(&v).item(), 2.0);
    /// assert_eq!(Tensor::ones(&[5, 2, 3]).matmul(&Tensor::ones(&[3, 4])).shape(), &[5, 2, 4]);
    /// ```
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        assert!(
            self.dim() >= 1 && other.dim() >= 1,
            "both arguments to matmul need to be at least 1D, but they are {}D and {}D",
            self.dim(),
            other.dim()
        );
        if self.dim() == 1 && other.dim() == 1 {
            return self.dot(other);
        }
        // Promote vectors to matrices by a view with a size-1 dim.
        let a = if self.dim() == 1 {
            self.view_with([1, self.shape[0]], [0, self.strides[0]], self.offset)
        } else {
            self.shallow_clone()
        };
        let b = if other.dim() == 1 {
            other.view_with([other.shape[0], 1], [other.strides[0], 0], other.offset)
        } else {
            other.shallow_clone()
        };
        let out = batched(&a, &b, "mm");
        let mut shape = out.shape;
        let r = shape.len();
        if other.dim() == 1 {
            shape.remove(r - 1);
        }
        if self.dim() == 1 {
            shape.remove(r - 2);
        }
        out.view_with(shape, super::contiguous_strides(&shape), 0)
    }

    /// The product of two matrices (`torch.mm`): `[m, k] @ [k, n] → [m, n]`.
    pub fn mm(&self, mat2: &Tensor) -> Tensor {
        assert!(self.dim() == 2, "mm: self must be a matrix, got {}-D tensor", self.dim());
        assert!(mat2.dim() == 2, "mm: mat2 must be a matrix, got {}-D tensor", mat2.dim());
        batched(self, mat2, "mm")
    }

    /// Batched matrix product without broadcasting (`torch.bmm`): `[b, m, k] @ [b, k, n] → [b, m, n]`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let y = Tensor::ones(&[4, 2, 3]).bmm(&Tensor::ones(&[4, 3, 5]));
    /// assert_eq!((y.shape(), y.sum_all()), (&[4usize, 2, 5][..], 120.0));
    /// ```
    pub fn bmm(&self, mat2: &Tensor) -> Tensor {
        assert!(self.dim() == 3, "batch1 must be a 3D tensor");
        assert!(mat2.dim() == 3, "batch2 must be a 3D tensor");
        let want = [self.shape[0], self.shape[2]];
        assert!(
            mat2.shape[..2] == want,
            "Expected size for first two dimensions of batch2 tensor to be: {:?} but got: {:?}.",
            want,
            &mat2.shape[..2]
        );
        batched(self, mat2, "bmm")
    }

    /// Matrix–vector product (`torch.mv`): `[m, k] @ [k] → [m]`.
    pub fn mv(&self, vec: &Tensor) -> Tensor {
        assert!(
            self.dim() == 2 && vec.dim() == 1,
            "vector + matrix @ vector expected, got shapes {:?} and {:?}",
            self.shape,
            vec.shape
        );
        assert!(
            self.shape[1] == vec.shape[0],
            "size mismatch, got input ({}), mat ({}x{}), vec ({})",
            self.shape[0],
            self.shape[0],
            self.shape[1],
            vec.shape[0]
        );
        self.matmul(vec)
    }

    /// The dot product of two vectors, as a 0-d tensor (`torch.dot`).
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// assert_eq!(Tensor::arange(3.0).dot(&Tensor::arange(3.0)).item(), 5.0);
    /// ```
    pub fn dot(&self, other: &Tensor) -> Tensor {
        assert!(
            self.dim() == 1 && other.dim() == 1,
            "1D tensors expected, but got {}D and {}D tensors",
            self.dim(),
            other.dim()
        );
        assert!(
            self.shape == other.shape,
            "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of \
             elements, but got {} and {} elements respectively",
            self.shape[0],
            other.shape[0],
            self.shape[0],
            other.shape[0]
        );
        let a = self.view_with([1, self.shape[0]], [0, self.strides[0]], self.offset);
        let b = other.view_with([other.shape[0], 1], [other.strides[0], 0], other.offset);
        let out = batched(&a, &b, "dot");
        out.view_with([], [], 0)
    }
}

/// PyTorch's C++ name of a dtype, as in its matmul messages (`float`, `long int`).
fn c_type(d: DType) -> &'static str {
    match d {
        DType::F32 => "float",
        DType::I64 => "long int",
        DType::Bool => "bool",
    }
}

/// `[…, m, k] @ […, k, n]` with broadcast batch dims; both operands have rank ≥ 2.
fn batched(a: &Tensor, b: &Tensor, op: &str) -> Tensor {
    let (ra, rb) = (a.dim(), b.dim());
    let (m, k) = (a.shape[ra - 2], a.shape[ra - 1]);
    let (k2, n) = (b.shape[rb - 2], b.shape[rb - 1]);
    assert!(k == k2, "{op}: mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})");
    assert!(
        a.dtype() == b.dtype(),
        "expected m1 and m2 to have the same dtype, but got: {} != {}",
        c_type(a.dtype()),
        c_type(b.dtype())
    );
    let batch = broadcast_dims(&a.shape[..ra - 2], &b.shape[..rb - 2]);
    match a.dtype() {
        DType::F32 => run::<f32>(a, b, &batch, [m, k, n], |m, k, n, a, rsa, csa, b, rsb, csb, c| {
            gemm::sgemm(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, n as isize, 1)
        }),
        DType::I64 => run::<i64>(a, b, &batch, [m, k, n], |m, k, n, a, rsa, csa, b, rsb, csb, c| {
            gemm::gemm_naive(m, k, n, 1, a, rsa, csa, b, rsb, csb, 0, c, n as isize, 1)
        }),
        DType::Bool => panic!("\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    }
}

/// One GEMM on row-major output `c` (`m×n`) from strided `a` and `b`.
type GemmFn<T> = fn(usize, usize, usize, &[T], isize, isize, &[T], isize, isize, &mut [T]);

fn run<T: Element + Default>(a: &Tensor, b: &Tensor, batch: &[usize], [m, k, n]: [usize; 3], g: GemmFn<T>) -> Tensor {
    let (a, b) = (non_negative(a), non_negative(b));
    let (ra, rb) = (a.dim(), b.dim());
    let (rsa, csa) = (a.strides[ra - 2], a.strides[ra - 1]);
    let (rsb, csb) = (b.strides[rb - 2], b.strides[rb - 1]);
    // The batch part of each operand, viewed at the broadcast batch shape.
    let a_batch = a.view_with(&a.shape[..ra - 2], &a.strides[..ra - 2], a.offset);
    let b_batch = b.view_with(&b.shape[..rb - 2], &b.strides[..rb - 2], b.offset);
    let (sa, sb) = (expanded_strides(&a_batch, batch), expanded_strides(&b_batch, batch));
    let mut out = vec![T::default(); batch.iter().product::<usize>() * m * n];
    if m * n > 0 {
        read_all(&[&a, &b], |d| {
            let (da, db) = (T::slice(d[0]).expect("dtype checked"), T::slice(d[1]).expect("dtype checked"));
            let mut chunks = out.chunks_mut(m * n);
            for_each_offsets(batch, [&sa, &sb], [a.offset, b.offset], |[oa, ob]| {
                let c = chunks.next().expect("one chunk per batch entry");
                // Slices start at element (0, 0); an empty operand (k == 0) gets an empty slice.
                let (sa, sb) = (&da[oa.min(da.len())..], &db[ob.min(db.len())..]);
                g(m, k, n, sa, rsa, csa, sb, rsb, csb, c);
            });
        });
    }
    let mut shape = super::Dims::from_slice(batch);
    shape.extend_from_slice(&[m, n]);
    Tensor::from_vec(out, &shape)
}

#[cfg(test)]
#[path = "matmul_tests.rs"]
mod tests;

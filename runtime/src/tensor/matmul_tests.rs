//! Tests; operands are borrowed on purpose (the `&Tensor` forms are what they test).
#![allow(clippy::needless_borrows_for_generic_args, clippy::excessive_precision)]

use crate::tensor::{DType, Tensor};

/// The reference product of row-major `a` (m×k) and `b` (k×n).
fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

fn transposed(x: &Tensor) -> Tensor {
    let (r, c) = (x.shape()[0], x.shape()[1]);
    x.view_with(vec![c, r], vec![1, c as isize], x.storage_offset())
}

#[test]
fn mm_on_odd_sizes_matches_naive() {
    crate::rng::manual_seed(1);
    for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 1, 9), (33, 65, 31)] {
        let a = Tensor::randn(&[m, k]);
        let b = Tensor::randn(&[k, n]);
        let want = naive(&a.to_vec(), &b.to_vec(), m, k, n);
        close(&a.matmul(&b).to_vec(), &want);
        close(&a.mm(&b).to_vec(), &want);
        // transposed-stride inputs: (aᵀ)ᵀ and (bᵀ)ᵀ as views of transposed copies
        let at = transposed(&transposed(&a).contiguous());
        let bt = transposed(&transposed(&b).contiguous());
        assert!(!at.is_contiguous() || m == 1 || k == 1);
        close(&at.matmul(&bt).to_vec(), &want);
    }
}

#[test]
fn vector_promotions_and_dot() {
    let a = Tensor::arange(6.0).reshape(&[2, 3]);
    let v = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3]);
    let mv = a.matmul(&v);
    assert_eq!((mv.shape(), mv.to_vec::<f32>()), (&[2usize][..], vec![8.0, 26.0]));
    assert_eq!(a.mv(&v).to_vec::<f32>(), [8.0, 26.0]);
    let w = Tensor::from_slice(&[1.0f32, -1.0], &[2]);
    let vm = w.matmul(&a);
    assert_eq!((vm.shape(), vm.to_vec::<f32>()), (&[3usize][..], vec![-3.0, -3.0, -3.0]));
    let d = v.matmul(&v);
    assert_eq!((d.shape(), d.item()), (&[] as &[usize], 14.0));
    assert_eq!(v.dot(&v).item(), 14.0);
    // a strided vector: every other element of arange(6)
    let s = Tensor::arange(6.0).view_with(vec![3], vec![2], 0);
    assert_eq!(s.dot(&v).item(), 0.0 + 4.0 + 12.0);
}

#[test]
fn batched_with_broadcast_batch_dims() {
    crate::rng::manual_seed(2);
    // torch.ones(2,1,2,3) @ torch.ones(4,3,5) has shape [2, 4, 2, 5]
    let a = Tensor::randn(&[2, 1, 2, 3]);
    let b = Tensor::randn(&[4, 3, 5]);
    let c = a.matmul(&b);
    assert_eq!(c.shape(), &[2, 4, 2, 5]);
    let (av, bv, cv) = (a.to_vec::<f32>(), b.to_vec::<f32>(), c.to_vec::<f32>());
    for i in 0..2 {
        for j in 0..4 {
            let want = naive(&av[i * 6..i * 6 + 6], &bv[j * 15..j * 15 + 15], 2, 3, 5);
            let at = (i * 4 + j) * 10;
            close(&cv[at..at + 10], &want);
        }
    }
    // vector @ batch: torch.ones(3) @ torch.ones(5, 3, 4) -> [5, 4]
    assert_eq!(Tensor::ones(&[3]).matmul(&Tensor::ones(&[5, 3, 4])).shape(), &[5, 4]);
    // batch @ vector: [5, 2, 3] @ [3] -> [5, 2]
    let bv = Tensor::ones(&[5, 2, 3]).matmul(&Tensor::ones(&[3]));
    assert_eq!((bv.shape(), bv.sum_all()), (&[5usize, 2][..], 30.0));
    let y = Tensor::ones(&[4, 2, 3]).bmm(&Tensor::ones(&[4, 3, 5]));
    assert_eq!(y.to_vec::<f32>(), vec![3.0; 40]);
}

#[test]
fn self_product_with_its_transpose() {
    let x = Tensor::arange(6.0).reshape(&[2, 3]);
    // x @ x.t() on one storage: [[5, 14], [14, 50]]
    assert_eq!(x.matmul(&transposed(&x)).to_vec::<f32>(), [5.0, 14.0, 14.0, 50.0]);
}

#[test]
fn integer_matmul() {
    // torch.arange(6).reshape(2,3) @ torch.arange(3) -> [5, 14]
    let a = Tensor::arange_i64(6).reshape(&[2, 3]);
    let r = a.matmul(&Tensor::arange_i64(3));
    assert_eq!((r.dtype(), r.to_vec::<i64>()), (DType::I64, vec![5, 14]));
}

#[test]
fn empty_dims() {
    let c = Tensor::ones(&[2, 0]).matmul(&Tensor::ones(&[0, 3]));
    assert_eq!(c.to_vec::<f32>(), [0.0; 6]);
    assert_eq!(Tensor::ones(&[0, 4]).matmul(&Tensor::ones(&[4, 3])).shape(), &[0, 3]);
}

#[test]
#[should_panic(expected = "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")]
fn mismatched_matrices_panic() {
    let _ = Tensor::ones(&[2, 3]).matmul(&Tensor::ones(&[4, 5]));
}

#[test]
#[should_panic(expected = "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)")]
fn mismatched_vector_panics_with_promoted_shape() {
    let _ = Tensor::ones(&[3]).matmul(&Tensor::ones(&[4, 5]));
}

#[test]
#[should_panic(expected = "expected m1 and m2 to have the same dtype, but got: float != long int")]
fn mixed_dtypes_panic() {
    let _ = Tensor::ones(&[2, 3]).matmul(&Tensor::arange_i64(3));
}

#[test]
#[should_panic(expected = "both arguments to matmul need to be at least 1D, but they are 0D and 1D")]
fn scalar_matmul_panics() {
    let _ = Tensor::scalar(1.0).matmul(&Tensor::ones(&[3]));
}

#[test]
#[should_panic(expected = "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].")]
fn bmm_batch_mismatch_panics() {
    let _ = Tensor::ones(&[2, 3, 4]).bmm(&Tensor::ones(&[3, 4, 5]));
}

#[test]
#[should_panic(expected = "inconsistent tensor size, expected tensor [3] and src [4]")]
fn dot_size_mismatch_panics() {
    let _ = Tensor::ones(&[3]).dot(&Tensor::ones(&[4]));
}

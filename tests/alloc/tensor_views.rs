//! Tensor handles and views make no heap allocation: shape and strides live inline in the
//! handle (`Dims`), so `shallow_clone`, every view, `Param::value()`/`grad()` and an in-place op
//! on contiguous tensors of one shape cost an `Arc` increment and some copying, nothing more.
//!
//! Counted on all threads by the binary's allocator (`counting.rs`), each test holding its lock.

use fusenet::tensor::{Dims, MAX_DIMS};
use fusenet::{Param, Tensor, s};

use crate::counting;

/// Heap allocations made by `f` (run once to warm up, then counted; its result is dropped after).
fn allocs<R>(mut f: impl FnMut() -> R) -> usize {
    drop(f());
    let (r, n) = counting::during(&mut f);
    drop(r);
    n
}

#[test]
fn the_counter_sees_allocations() {
    let _lock = counting::exclusive();
    assert_eq!(allocs(|| Tensor::zeros(&[2, 256])), 2, "one Vec for the data, one Arc for the storage");
    assert!(allocs(|| vec![1u8]) == 1);
}

#[test]
fn handles_and_views_do_not_allocate() {
    let _lock = counting::exclusive();
    let x = Tensor::arange(512.0).reshape([2, 256]);
    let cube = Tensor::zeros(&[2, 3, 4]);
    let row = Tensor::arange(3.0).reshape([1, 3]);
    let cases: [(&str, usize); 14] = [
        ("shallow_clone", allocs(|| x.shallow_clone())),
        ("reshape", allocs(|| x.reshape([4, 128]))),
        ("reshape -1", allocs(|| x.reshape([-1]))),
        ("view", allocs(|| x.view([256, 2]))),
        ("t", allocs(|| x.t())),
        ("transpose", allocs(|| cube.transpose(0, 2))),
        ("permute", allocs(|| cube.permute([2, 0, 1]))),
        ("select", allocs(|| cube.select(1, -1))),
        ("narrow", allocs(|| cube.narrow(2, 1, 2))),
        ("slice(s![..])", allocs(|| x.slice(s![..]))),
        ("slice(s![0, 1..;2])", allocs(|| x.slice(s![0, 1..;2]))),
        ("unsqueeze", allocs(|| x.unsqueeze(1))),
        ("expand", allocs(|| row.expand([4, -1]))),
        ("flatten", allocs(|| cube.flatten(1, -1))),
    ];
    for (op, n) in cases {
        assert_eq!(n, 0, "{op} made {n} heap allocations");
    }
    // The views are right, not just cheap.
    assert_eq!(x.t().shape(), &[256, 2]);
    assert_eq!(cube.permute([2, 0, 1]).strides(), &[1, 12, 4]);
    assert_eq!(row.expand([4, -1]).strides(), &[0, 1]);
}

#[test]
fn param_handles_do_not_allocate() {
    let _lock = counting::exclusive();
    let w = Param::new(Tensor::ones(&[2, 256]));
    w.accumulate_grad(&Tensor::ones(&[2, 256]));
    assert_eq!(allocs(|| w.value()), 0, "Param::value()");
    assert_eq!(allocs(|| w.grad()), 0, "Param::grad()");
    assert_eq!(allocs(|| w.data()), 0, "Param::data()");
}

#[test]
fn slice_access_does_not_allocate() {
    let _lock = counting::exclusive();
    let x = Tensor::arange(512.0).reshape([2, 256]);
    assert_eq!(allocs(|| x.with_slice(|s: &[f32]| s[511])), 0, "with_slice");
    assert_eq!(allocs(|| x.with_slice_mut(|s: &mut [f32]| s[0] += 1.0)), 0, "with_slice_mut");
    assert_eq!(x.get([0, 0]), 2.0, "with_slice_mut ran twice (warm-up and counted)");
}

#[test]
fn in_place_ops_on_one_shape_do_not_allocate() {
    let _lock = counting::exclusive();
    let a = Tensor::ones(&[2, 256]);
    let b = Tensor::full(&[2, 256], 0.5);
    let row = Tensor::ones(&[256]);
    assert_eq!(allocs(|| a.add_(&b)), 0, "add_");
    assert_eq!(allocs(|| a.mul_(&b)), 0, "mul_");
    assert_eq!(allocs(|| a.sub_(&b)), 0, "sub_");
    assert_eq!(allocs(|| a.copy_(&b)), 0, "copy_");
    assert_eq!(allocs(|| a.add_(&row)), 0, "add_ broadcasting a row");
    assert_eq!(allocs(|| a.t().add_(b.t())), 0, "add_ through transposed views");
    assert_eq!(allocs(|| a.add_scaled_(&b, -1.0)), 0, "add_scaled_");
    // `allocs` runs each op twice: 0.5 after copy_, + 1 + 1 (row), + 0.5 + 0.5 (transposed b),
    // − 0.5 − 0.5 (add_scaled_ with alpha = −1).
    assert_eq!(a.to_vec::<f32>(), vec![2.5; 512]);
}

#[test]
fn out_of_place_ops_allocate_only_their_result() {
    let _lock = counting::exclusive();
    let a = Tensor::ones(&[2, 256]);
    let b = Tensor::full(&[256], 0.5);
    let m = Tensor::ones(&[256, 4]);
    // Two allocations each: the result's element `Vec` and its `Arc<Storage>`.
    assert_eq!(allocs(|| a.add(&b)), 2, "add with broadcasting");
    assert_eq!(allocs(|| a.exp()), 2, "exp");
    // matmul adds what the GEMM kernel itself allocates (matrixmultiply's packing buffers).
    let (x, y, mut c) = (vec![1.0f32; 512], vec![1.0f32; 1024], vec![0.0f32; 8]);
    let gemm = allocs(|| fusenet::kernels::cpu::gemm::sgemm(2, 256, 4, 1.0, &x, 256, 1, &y, 4, 1, 0.0, &mut c, 4, 1));
    assert_eq!(allocs(|| a.matmul(&m)), 2 + gemm, "matmul ({gemm} inside the GEMM)");
}

#[test]
fn dims_holds_up_to_max_dims_inline() {
    let _lock = counting::exclusive();
    let shape = [1usize; MAX_DIMS];
    let x = Tensor::zeros(&shape);
    assert_eq!(allocs(|| x.shallow_clone()), 0);
    let d: Dims<usize> = x.shape().into();
    assert_eq!(d, shape);
}

#[test]
#[should_panic(expected = "Dims holds at most 8 dimensions, but 9 were requested")]
fn more_dims_than_max_panics() {
    let _lock = counting::exclusive();
    let _ = Tensor::zeros(&[1; MAX_DIMS + 1]);
}


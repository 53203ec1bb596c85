//! After warm-up, a training step (forward_train + backward) of the convolution and pooling
//! layers allocates nothing: outputs, input gradients, im2col columns and argmax indices live in
//! the layer's ctx, and parameter gradients reuse their buffers. Counted on all threads (rayon's
//! workers too, warmed up by the first steps) by the binary's allocator (`counting.rs`).
//!
//! Two sources are counted apart. `matrixmultiply` allocates its GEMM packing buffer on every
//! call (inside `fusenet_kernels::cpu::gemm::sgemm`, which another change is replacing). Those
//! are the only over-aligned (≥ 32-byte) allocations a step makes, so they are told apart by
//! their alignment, printed, and bounded by the number of GEMMs a step runs. Rayon's injector
//! allocates a block per 63 jobs handed to the pool from this thread (see `counting.rs`): at most
//! one per step. Everything else must be 0.

use fusenet::module::Layer;
use fusenet::nn::{AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvOptions, MaxPool2d};
use fusenet::{Tensor, manual_seed};
use std::alloc::Layout;

use crate::counting;

/// Allocations that are neither over-aligned nor blocks of rayon's injector.
fn allocs() -> usize {
    counting::allocations() - counting::over_aligned() - counting::injector_blocks()
}

/// Over-aligned allocations: GEMM packing buffers.
fn packing() -> usize {
    counting::over_aligned()
}

/// `(ordinary, packing, injector blocks)` allocations over 3 steps, after 2 warm-up steps; the
/// returned tensors are dropped each step, as a training loop does.
fn steady_state<L: Layer>(layer: &L, x: &Tensor, need_input_grad: bool) -> (usize, usize, usize) {
    let mut ctx = L::Ctx::default();
    let gy = {
        let y = layer.forward_train(x, &mut ctx);
        let gy = Tensor::ones(y.shape());
        drop(y);
        drop(layer.backward(&mut ctx, &gy, need_input_grad));
        gy
    };
    let step = |ctx: &mut L::Ctx| {
        let y = layer.forward_train(x, ctx);
        drop(y);
        let gx = layer.backward(ctx, &gy, need_input_grad);
        assert_eq!(gx.is_some(), need_input_grad);
        drop(gx);
    };
    step(&mut ctx);
    let (before, packed, blocks) = (allocs(), packing(), counting::injector_blocks());
    for _ in 0..3 {
        step(&mut ctx);
    }
    (allocs() - before, packing() - packed, counting::injector_blocks() - blocks)
}

#[test]
fn warm_conv_and_pool_steps_do_not_allocate() {
    let _lock = counting::exclusive();
    manual_seed(0);
    // LeNet's sizes at batch 64.
    let x1 = Tensor::randn(&[64, 1, 28, 28]);
    let x2 = Tensor::randn(&[64, 6, 12, 12]);
    let p1 = Tensor::randn(&[64, 6, 24, 24]);
    let p2 = Tensor::randn(&[64, 16, 8, 8]);
    let small = Tensor::randn(&[4, 4, 9, 9]);
    let counts = [
        ("Conv2d(1, 6, 5) no dx", steady_state(&Conv2d::<1, 6, 5>::new(), &x1, false)),
        ("Conv2d(1, 6, 5) with dx", steady_state(&Conv2d::<1, 6, 5>::new(), &x1, true)),
        ("Conv2d(6, 16, 5)", steady_state(&Conv2d::<6, 16, 5>::new(), &x2, true)),
        ("Conv2d(6, 16, 5, bias=False)", steady_state(&Conv2d::<6, 16, 5>::with_options(ConvOptions::default().bias(false)), &x2, true)),
        (
            "Conv2d(4, 8, 3, stride=2, padding=1, groups=2)",
            steady_state(&Conv2d::<4, 8, 3>::with_options(ConvOptions::default().stride(2).padding(1).groups(2)), &small, true),
        ),
        ("Conv2d(4, 4, 1) 1x1", steady_state(&Conv2d::<4, 4, 1>::new(), &small, true)),
        ("Conv1d(4, 2, 3, dilation=2)", steady_state(&Conv1d::<4, 2, 3>::new().dilation(2), &Tensor::randn(&[8, 4, 30]), true)),
        ("MaxPool2d(2) 6x24x24", steady_state(&MaxPool2d::new(2), &p1, true)),
        ("MaxPool2d(2) 16x8x8", steady_state(&MaxPool2d::new(2), &p2, true)),
        ("MaxPool2d(3, 2, 1, ceil_mode)", steady_state(&MaxPool2d::new(3).stride(2).padding(1).ceil_mode(true), &small, true)),
        ("AvgPool2d(2)", steady_state(&AvgPool2d::new(2), &p1, true)),
        ("AvgPool2d(3, 2, 1)", steady_state(&AvgPool2d::new(3).stride(2).padding(1), &small, true)),
        ("AdaptiveAvgPool2d(1)", steady_state(&AdaptiveAvgPool2d::new(1), &p2, true)),
        ("AdaptiveAvgPool2d((5, 7))", steady_state(&AdaptiveAvgPool2d::new([5, 7]), &small, true)),
    ];
    let bad: Vec<_> = counts.iter().filter(|(_, (n, _, blocks))| *n != 0 || *blocks > 3).collect();
    assert!(bad.is_empty(), "steady-state steps allocated (ordinary, packing, injector blocks): {bad:?}");
    for (name, (_, packed, _)) in counts {
        // At most one packing buffer per GEMM: 3 steps of at most 3 GEMMs per group (≤ 2 groups)
        // and chunk of images (≤ 64 images).
        assert!(packed <= 3 * 3 * 2 * 64, "{name}: {packed} over-aligned allocations in 3 steps");
        if packed > 0 {
            eprintln!("{name}: {packed} GEMM packing-buffer allocations in 3 steps (matrixmultiply, inside sgemm)");
        }
    }
}

#[test]
fn the_counter_sees_allocations() {
    let _lock = counting::exclusive();
    // The check above could pass vacuously if the allocator did not count: it does.
    let before = allocs();
    let v = std::hint::black_box(vec![1u8; 100]);
    drop(v);
    assert!(allocs() > before);
    let before = packing();
    let layout = Layout::from_size_align(64, 64).unwrap();
    // SAFETY: a non-zero size and a valid layout; freed with the same layout.
    unsafe { std::alloc::dealloc(std::alloc::alloc(layout), layout) };
    assert_eq!(packing(), before + 1, "over-aligned allocations are counted apart");
}

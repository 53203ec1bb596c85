//! A steady-state training step of a built-in layer (`forward_train` then `backward`, the
//! results dropped, gradients zeroed) makes no heap allocation after its first calls at a batch
//! size: outputs, input gradients and scratch live in the call site's context and are reused.
//!
//! Counted on all threads by the binary's allocator (`counting.rs`), each test holding its lock.
//! Sizes stay below the kernels' parallel threshold (2^18 elements), so no rayon worker is involved.
//!
//! A GEMM (`Linear`, the recurrent layers) may allocate inside `matrixmultiply` (its packing
//! buffers); those tests allow exactly what the same GEMMs allocate when called directly, so
//! they go to 0 with the GEMM kernel.

use fusenet::kernels::cpu::gemm::sgemm;
use fusenet::module::Layer;
use fusenet::nn::*;
use fusenet::{Module, Param, Tensor, manual_seed};

use crate::counting;

/// The allocations made while `f` runs.
fn allocs(f: impl FnOnce()) -> usize {
    counting::during(f).1
}

/// Allocations of 3 training steps after 2 warm-up steps, one ctx kept throughout (as generated
/// code keeps it): each step zeroes the gradients, runs `forward_train` and `backward` and drops
/// both results.
fn steady_state_allocs<L: Layer>(layer: &L, x: &Tensor, need_input_grad: bool) -> usize {
    let mut ctx = L::Ctx::default();
    // `Module::zero_grad` walks the module with named paths (allocating); an optimiser keeps its
    // parameter list, as this does.
    let params: Vec<Param> = layer.parameters().into_iter().map(Param::share).collect();
    let g = {
        let y = layer.forward_train(x, &mut ctx);
        let g = Tensor::randn(y.shape());
        layer.backward(&mut ctx, &g, need_input_grad);
        g
    };
    let mut step = || {
        params.iter().for_each(Param::zero_grad);
        let y = layer.forward_train(x, &mut ctx);
        drop(y);
        let gx = layer.backward(&mut ctx, &g, need_input_grad);
        drop(gx);
    };
    step();
    step();
    allocs(|| (0..3).for_each(|_| step()))
}

fn assert_free<L: Layer>(name: &str, layer: &L, x: &Tensor) {
    for need in [true, false] {
        let n = steady_state_allocs(layer, x, need);
        assert_eq!(n, 0, "{name} (need_input_grad = {need}): {n} allocations in 3 steady-state steps");
    }
}

#[test]
fn activations_do_not_allocate() {
    let _lock = counting::exclusive();
    let x = Tensor::randn(&[8, 33]);
    assert_free("ReLU", &ReLU, &x);
    assert_free("Sigmoid", &Sigmoid, &x);
    assert_free("Tanh", &Tanh, &x);
    assert_free("Identity", &Identity, &x);
    assert_free("LeakyReLU", &LeakyReLU::new(0.1), &x);
    assert_free("GELU", &GELU::new(), &x);
    assert_free("GELU(tanh)", &GELU::tanh(), &x);
    assert_free("ELU", &ELU::new(1.0), &x);
    assert_free("SiLU", &SiLU, &x);
    assert_free("Softmax", &Softmax::new(1), &x);
    assert_free("LogSoftmax", &LogSoftmax::new(-1), &x);
    assert_free("Softmax(dim=0)", &Softmax::new(0), &Tensor::randn(&[4, 3, 5]));
}

#[test]
fn strided_inputs_are_copied_into_kept_buffers() {
    let _lock = counting::exclusive();
    // A transposed input (not contiguous) is made contiguous in the ctx, not in a new tensor.
    let xt = Tensor::randn(&[33, 8]).t();
    assert!(!xt.is_contiguous());
    assert_free("GELU on a transposed input", &GELU::new(), &xt);
    assert_free("LogSoftmax on a transposed input", &LogSoftmax::new(1), &xt);
    assert_free("LayerNorm on a transposed input", &LayerNorm::new(&[33]), &xt);
}

#[test]
fn views_do_not_allocate() {
    let _lock = counting::exclusive();
    let x = Tensor::randn(&[4, 3, 5]);
    assert_free("Flatten", &Flatten::default(), &x);
    assert_free("Unflatten", &Unflatten::new(1, &[5, 3]), &Tensor::randn(&[4, 15]));
}

#[test]
fn dropout_does_not_allocate_in_training_or_evaluation_mode() {
    let _lock = counting::exclusive();
    manual_seed(0);
    let mut d = Dropout::new(0.3);
    let x = Tensor::randn(&[16, 20]);
    assert_free("Dropout", &d, &x);
    d.eval();
    assert_free("Dropout (eval)", &d, &x);
}

#[test]
fn normalisation_layers_do_not_allocate() {
    let _lock = counting::exclusive();
    assert_free("BatchNorm1d [N, C]", &BatchNorm1d::<6>::new(), &Tensor::randn(&[8, 6]));
    assert_free("BatchNorm1d [N, C, L]", &BatchNorm1d::<6>::new(), &Tensor::randn(&[4, 6, 5]));
    assert_free("BatchNorm2d", &BatchNorm2d::<3>::new(), &Tensor::randn(&[2, 3, 4, 4]));
    let momentum_none = BatchNormOptions { momentum: None, ..Default::default() };
    assert_free("BatchNorm2d(momentum=None)", &BatchNorm2d::<3>::with_options(momentum_none), &Tensor::randn(&[2, 3, 4, 4]));
    let mut bn = BatchNorm2d::<3>::new();
    bn.eval();
    assert_free("BatchNorm2d (eval)", &bn, &Tensor::randn(&[2, 3, 4, 4]));
    assert_free("LayerNorm", &LayerNorm::new(&[4, 5]), &Tensor::randn(&[3, 4, 5]));
    assert_free("LayerNorm (no affine)", &LayerNorm::with_options(&[5], 1e-5, false, false), &Tensor::randn(&[3, 5]));
}

#[test]
fn batch_norm_updates_running_statistics_in_place() {
    let _lock = counting::exclusive();
    let bn = BatchNorm1d::<4>::new();
    let rm = bn.running_mean.as_ref().unwrap().value();
    let before = rm.to_vec::<f32>();
    let x = Tensor::randn(&[8, 4]).add(3.0);
    let mut ctx = BatchNormCtx::default();
    drop(bn.forward_train(&x, &mut ctx));
    let after = bn.running_mean.as_ref().unwrap().value();
    assert!(after.shares_storage(&rm), "the running mean is updated in its own storage");
    assert_ne!(after.to_vec::<f32>(), before);
    let count = bn.num_batches_tracked.as_ref().unwrap().value().to_vec::<i64>();
    assert_eq!(count, [1]);
}

#[test]
fn embedding_does_not_allocate() {
    let _lock = counting::exclusive();
    let emb = Embedding::<10, 4>::new();
    let idx = Tensor::from_vec(vec![1i64, 3, 9, 0, 3, 3], &[2, 3]);
    assert_free("Embedding", &emb, &idx);
}

#[test]
fn losses_with_a_kept_ctx_do_not_allocate() {
    let _lock = counting::exclusive();
    let logits = Tensor::randn(&[8, 5]);
    let target = Tensor::from_vec(vec![0i64, 4, 2, 1, 3, 3, 0, -100], &[8]);
    let (x, t) = (Tensor::randn(&[8, 5]), Tensor::randn(&[8, 5]));
    let ce = [
        CrossEntropyLoss::new(),
        CrossEntropyLoss::with_options(Some(Tensor::rand(&[5])), -100, Reduction::Sum, 0.1),
        CrossEntropyLoss::with_options(None, -100, Reduction::None, 0.0),
    ];
    for (i, loss) in ce.iter().enumerate() {
        let mut ctx = LossCtx::default();
        let mut step = || drop(loss.forward_backward_with(&logits, &target, &mut ctx).unwrap());
        step();
        step();
        assert_eq!(allocs(|| (0..3).for_each(|_| step())), 0, "CrossEntropyLoss #{i}");
    }
    for red in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let (mse, l1) = (MSELoss::with_reduction(red), L1Loss::with_reduction(red));
        let (mut c1, mut c2) = (LossCtx::default(), LossCtx::default());
        let mut step = || {
            drop(mse.forward_backward_with(&x, &t, &mut c1));
            drop(l1.forward_backward_with(&x, &t, &mut c2));
        };
        step();
        step();
        assert_eq!(allocs(|| (0..3).for_each(|_| step())), 0, "MSELoss/L1Loss {red:?}");
    }
    // The kept-ctx path gives what the one-shot path gives.
    let (l1, g1) = ce[1].forward_backward(&logits, &target).unwrap();
    let (l2, g2) = ce[1].forward_backward_with(&logits, &target, &mut LossCtx::default()).unwrap();
    assert_eq!((l1.to_vec::<f32>(), g1.to_vec::<f32>()), (l2.to_vec::<f32>(), g2.to_vec::<f32>()));
    assert_eq!(l1.to_vec::<f32>(), ce[1].forward(&logits, &target).unwrap().to_vec::<f32>());
}

/// What the GEMMs of a `Linear<IN, OUT>` step on `m` rows allocate when called directly
/// (matrixmultiply's packing buffers): the forward, `dW` and, when asked, `dX`.
fn linear_gemm_allocs(m: usize, k: usize, n: usize, need_input_grad: bool) -> usize {
    let (a, b, mut c) = (vec![1.0f32; m * k.max(n)], vec![1.0f32; k * n], vec![0.0f32; m.max(n) * k.max(n)]);
    let run = |c: &mut Vec<f32>| {
        sgemm(m, k, n, 1.0, &a, k as isize, 1, &b, 1, k as isize, 0.0, c, n as isize, 1);
        sgemm(n, m, k, 1.0, &a, 1, n as isize, &b, k as isize, 1, 1.0, c, k as isize, 1);
        if need_input_grad {
            sgemm(m, n, k, 1.0, &a, n as isize, 1, &b, k as isize, 1, 0.0, c, k as isize, 1);
        }
    };
    run(&mut c);
    allocs(|| (0..3).for_each(|_| run(&mut c)))
}

#[test]
fn linear_allocates_nothing_but_what_the_gemm_kernel_does() {
    let _lock = counting::exclusive();
    let x = Tensor::randn(&[8, 20]);
    for need in [true, false] {
        let lin = Linear::<20, 16>::new();
        let gemm = linear_gemm_allocs(8, 20, 16, need);
        let n = steady_state_allocs(&lin, &x, need);
        assert_eq!(n, gemm, "Linear (need_input_grad = {need}): {n} allocations in 3 steps, the GEMMs alone make {gemm}");
        let nb = Linear::<20, 16>::no_bias();
        let n = steady_state_allocs(&nb, &x, need);
        assert_eq!(n, gemm, "Linear without bias (need_input_grad = {need}): {n} allocations, the GEMMs make {gemm}");
    }
    // A batched input [B, T, IN] is flattened into rows without a copy.
    let lin = Linear::<20, 16>::new();
    let n = steady_state_allocs(&lin, &Tensor::randn(&[2, 4, 20]), true);
    assert_eq!(n, linear_gemm_allocs(8, 20, 16, true));
}

/// Slot semantics: a result the caller still holds is never overwritten by the next step, and a
/// dropped one is reused.
#[test]
fn a_result_still_held_is_not_overwritten_by_the_next_step() {
    let _lock = counting::exclusive();
    fn check<L: Layer>(name: &str, layer: &L, x1: &Tensor, x2: &Tensor) {
        let mut ctx = L::Ctx::default();
        let y1 = layer.forward_train(x1, &mut ctx);
        let g1 = Tensor::ones(y1.shape());
        let gx1 = layer.backward(&mut ctx, &g1, true);
        let (y1_vals, gx1_vals) = (y1.to_vec::<f32>(), gx1.as_ref().map(|g| g.to_vec::<f32>()));
        // Step 2 on another input while y1 and gx1 are still held.
        let y2 = layer.forward_train(x2, &mut ctx);
        let gx2 = layer.backward(&mut ctx, &Tensor::full(y2.shape(), 2.0), true);
        assert_eq!(y1.to_vec::<f32>(), y1_vals, "{name}: the held output was overwritten");
        assert_eq!(gx1.as_ref().map(|g| g.to_vec::<f32>()), gx1_vals, "{name}: the held input gradient was overwritten");
        assert!(!y2.shares_storage(&y1), "{name}: a held output's storage was reused");
        assert_eq!(y2.to_vec::<f32>(), layer.forward(x2).to_vec::<f32>(), "{name}: the second step is right");
        // Dropped results are reused by the step after.
        let p = y2.with_slice(|v: &[f32]| v.as_ptr());
        drop((y1, gx1, y2, gx2));
        let y3 = layer.forward_train(x2, &mut ctx);
        layer.backward(&mut ctx, &Tensor::ones(y3.shape()), true);
        assert!(
            y3.with_slice(|v: &[f32]| v.as_ptr()) == p,
            "{name}: the dropped output's storage was not reused"
        );
    }
    let (x1, x2) = (Tensor::randn(&[4, 6]), Tensor::randn(&[4, 6]));
    check("ReLU", &ReLU, &x1, &x2);
    check("Sigmoid", &Sigmoid, &x1, &x2);
    check("GELU", &GELU::new(), &x1, &x2);
    check("Softmax", &Softmax::new(1), &x1, &x2);
    check("LayerNorm", &LayerNorm::new(&[6]), &x1, &x2);
    let mut bn = BatchNorm1d::<6>::new();
    bn.eval(); // eval, so that `forward` (the reference) does not move the running statistics
    check("BatchNorm1d", &bn, &x1, &x2);
    check("Linear", &Linear::<6, 3>::new(), &x1, &x2);
}

#[test]
fn a_ctx_reused_without_backward_does_not_leak_or_allocate() {
    let _lock = counting::exclusive();
    // Generated code may call forward_train again before a backward (a value that never reaches
    // the loss): the ctx overwrites what it saved and reuses its buffers.
    let x = Tensor::randn(&[4, 6]);
    let ln = LayerNorm::new(&[6]);
    let mut ctx = LayerNormCtx::default();
    for _ in 0..2 {
        drop(ln.forward_train(&x, &mut ctx));
    }
    let n = allocs(|| (0..3).for_each(|_| drop(ln.forward_train(&x, &mut ctx))));
    assert_eq!(n, 0);
    let g = ln.backward(&mut ctx, &Tensor::ones(&[4, 6]), true).unwrap();
    assert_eq!(g.shape(), &[4, 6]);
}

/// What one small GEMM allocates inside the kernel (0 once the GEMM keeps its packing buffers).
fn gemm_allocs_per_call() -> usize {
    let (a, b, mut c) = (vec![1.0f32; 12], vec![1.0f32; 12], vec![0.0f32; 9]);
    let mut run = || sgemm(3, 4, 3, 1.0, &a, 4, 1, &b, 3, 1, 0.0, &mut c, 3, 1);
    run();
    allocs(run)
}

#[test]
fn recurrent_layers_allocate_nothing_but_what_their_gemms_do() {
    let _lock = counting::exclusive();
    const T: usize = 5;
    let per_gemm = gemm_allocs_per_call();
    let x = Tensor::randn(&[T, 3, 4]);
    let xb = Tensor::randn(&[3, T, 4]);
    let deep = RnnOptions::default().num_layers(2).bidirectional(true).dropout(0.2);
    let bf = RnnOptions::default().batch_first(true);
    let cases: [(&str, usize, usize); 6] = [
        ("RNN", steady_state_allocs(&RNN::<4, 6>::new(), &x, true), 1),
        ("LSTM", steady_state_allocs(&LSTM::<4, 6>::new(), &x, true), 1),
        ("GRU", steady_state_allocs(&GRU::<4, 6>::new(), &x, true), 1),
        ("LSTM deep", steady_state_allocs(&LSTM::<4, 6>::with_options(deep), &x, true), 4),
        ("GRU batch_first", steady_state_allocs(&GRU::<4, 6>::with_options(bf), &xb, false), 1),
        ("RNN unbatched", steady_state_allocs(&RNN::<4, 6>::new(), &Tensor::randn(&[T, 4]), true), 1),
    ];
    for (name, n, layer_dirs) in cases {
        // Per layer and direction: forward 1 + T GEMMs; backward T (hidden) + 1 (dX) + 1 (dW_ih)
        // + at most T (dW_hh) + 1 (GRU's hidden side). Three steps.
        let bound = 3 * layer_dirs * (1 + T + 3 + 2 * T) * per_gemm;
        assert!(n <= bound, "{name}: {n} allocations in 3 steps, more than the {bound} its GEMMs could make");
    }
}

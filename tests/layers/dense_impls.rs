//! The `Layer` impls of the dense layers (`BatchNorm1d/2d`, `LayerNorm`, `Dropout`, `Embedding`,
//! `LeakyReLU`, `GELU`, `ELU`, `SiLU`, `Softmax`, `LogSoftmax`): every backward through the
//! finite-difference harness (`fusenet::graph::gradcheck`), against PyTorch's autograd
//! (`tests/fixtures/dense/*`, from `tests/fixtures/gen_dense_fixtures.py`), and each layer's
//! mode-dependent contract (BatchNorm's running statistics, Dropout's mask, Embedding's indices).

use crate::dense_support;

use dense_support::{close, fixture};
use fusenet::graph::gradcheck::{Tolerance, assert_layer, assert_op, sample, sample_range};
use fusenet::module::Layer;
use fusenet::nn::*;
use fusenet::prelude::*;

fn set(t: &Tensor, v: &[f32]) {
    t.with_slice_mut::<f32, _>(|s| s.copy_from_slice(v));
}

/// `sample` pushed at least `gap` away from 0 (the kink of LeakyReLU, ELU's second derivative).
fn away_from_zero(shape: &[usize], seed: u64, gap: f32) -> Tensor {
    let v = sample(shape, seed).to_vec::<f32>().into_iter().map(|v| if v >= 0.0 { v + gap } else { v - gap }).collect();
    Tensor::from_vec(v, shape)
}

/// Affine parameters other than ones/zeros, so that a backward that forgets γ fails.
fn randomize_affine(weight: Option<&Param>, bias: Option<&Param>, seed: u64) {
    if let Some(w) = weight {
        w.value().copy_(&sample_range(w.shape(), seed, 0.5, 1.5));
    }
    if let Some(b) = bias {
        b.value().copy_(&sample(b.shape(), seed + 1));
    }
}

fn nbt(bn_buf: &Option<Buffer>) -> i64 {
    bn_buf.as_ref().unwrap().value().to_vec::<i64>()[0]
}

// ----- BatchNorm -----

#[test]
fn batch_norm_train_mode_matches_finite_differences_through_the_batch_statistics() {
    let bn1 = BatchNorm1d::<3>::new();
    randomize_affine(bn1.weight.as_ref(), bn1.bias.as_ref(), 1);
    let r = assert_layer(&bn1, &sample_range(&[5, 3], 2, -2.0, 3.0), Tolerance::default());
    assert_eq!(r.checked, 15 + 3 + 3);
    assert_layer(&bn1, &sample(&[4, 3, 5], 3), Tolerance::default());
    let bn2 = BatchNorm2d::<2>::new();
    randomize_affine(bn2.weight.as_ref(), bn2.bias.as_ref(), 4);
    assert_layer(&bn2, &sample(&[3, 2, 3, 3], 5), Tolerance::default());
    // affine=False; no running statistics (batch statistics in both modes); a frozen weight.
    let plain = BatchNorm2d::<2>::with_options(BatchNormOptions { affine: false, ..Default::default() });
    assert_eq!(assert_layer(&plain, &sample(&[2, 2, 2, 3], 6), Tolerance::default()).checked, 24);
    let mut untracked = BatchNorm1d::<3>::with_options(BatchNormOptions { track_running_stats: false, ..Default::default() });
    untracked.eval();
    assert_layer(&untracked, &sample(&[4, 3], 7), Tolerance::default());
    let frozen = BatchNorm1d::<3>::new();
    frozen.weight.as_ref().unwrap().set_requires_grad(false);
    assert_layer(&frozen, &sample(&[4, 3], 8), Tolerance::default());
    assert!(frozen.weight.as_ref().unwrap().grad().is_none());
}

#[test]
fn batch_norm_eval_mode_differentiates_through_constant_running_statistics() {
    let mut bn = BatchNorm2d::<2>::new();
    randomize_affine(bn.weight.as_ref(), bn.bias.as_ref(), 9);
    bn.running_mean.as_ref().unwrap().value().copy_(&Tensor::from_vec(vec![0.3f32, -0.2], &[2]));
    bn.running_var.as_ref().unwrap().value().copy_(&Tensor::from_vec(vec![0.5f32, 2.0], &[2]));
    bn.eval();
    let x = sample(&[2, 2, 3, 2], 10);
    assert_layer(&bn, &x, Tolerance::default());
    // ∂L/∂x = γ/√(running_var + eps)·g, and nothing is counted in eval mode.
    let mut ctx = BatchNormCtx::default();
    bn.forward_train(&x, &mut ctx);
    let gx = bn.backward(&mut ctx, &Tensor::ones(&[2, 2, 3, 2]), true).unwrap().to_vec::<f32>();
    let w = bn.weight.as_ref().unwrap().value().to_vec::<f32>();
    for (i, v) in gx.iter().enumerate() {
        let c = (i / 6) % 2;
        let want = w[c] / ([0.5f32, 2.0][c] + 1e-5).sqrt();
        assert!((v - want).abs() < 1e-6, "gx[{i}] = {v}, want {want}");
    }
    assert_eq!(nbt(&bn.num_batches_tracked), 0);
}

#[test]
fn batch_norm_forward_train_updates_the_running_statistics_once() {
    let bn = BatchNorm1d::<2>::new();
    let x = Tensor::from_vec(vec![1.0f32, 10.0, 3.0, 30.0, 5.0, 50.0], &[3, 2]);
    let mut ctx = BatchNormCtx::default();
    bn.forward_train(&x, &mut ctx);
    assert_eq!(nbt(&bn.num_batches_tracked), 1);
    // running ← 0.9·running + 0.1·stat, with the unbiased variance (4 and 400).
    close("running_mean", &bn.running_mean.as_ref().unwrap().value().to_vec::<f32>(), &[0.3, 3.0], 1e-6);
    close("running_var", &bn.running_var.as_ref().unwrap().value().to_vec::<f32>(), &[0.9 + 0.4, 0.9 + 40.0], 1e-6);
    // The backward reads the statistics saved by the forward, not the running ones.
    bn.backward(&mut ctx, &Tensor::ones(&[3, 2]), true);
    assert_eq!(nbt(&bn.num_batches_tracked), 1);
    // Layer::forward in training mode is `bn(x)` under no_grad: it also updates the statistics.
    Layer::forward(&bn, &x);
    assert_eq!(nbt(&bn.num_batches_tracked), 2);
}

/// Loads a `gen_dense_fixtures.py` batch-norm case into `$bn`, then runs `forward_train` +
/// `backward` in training mode and in evaluation mode, against PyTorch's outputs, input and
/// parameter gradients, and (after the training forward) running statistics.
macro_rules! check_bn_case {
    ($fx:expr, $case:expr, $nbt0:expr, $bn:expr) => {{
        let (fx, case, mut bn) = (&$fx, $case, $bn);
        let key = |k: &str| format!("{case}_{k}");
        set(&bn.weight.as_ref().unwrap().value(), &fx.f(&key("w")));
        set(&bn.bias.as_ref().unwrap().value(), &fx.f(&key("b")));
        set(&bn.running_mean.as_ref().unwrap().value(), &fx.f(&key("rm0")));
        set(&bn.running_var.as_ref().unwrap().value(), &fx.f(&key("rv0")));
        bn.num_batches_tracked.as_ref().unwrap().value().with_slice_mut::<i64, _>(|s| s[0] = $nbt0);
        for pre in ["", "e"] {
            if pre == "e" {
                bn.eval();
            }
            bn.zero_grad();
            let mut ctx = BatchNormCtx::default();
            let y = bn.forward_train(&fx.t(&key("x")), &mut ctx);
            let gx = bn.backward(&mut ctx, &fx.t(&key("gy")), true).unwrap();
            let k = |k: &str| key(&format!("{pre}{k}"));
            close(&k("y"), &y.to_vec::<f32>(), &fx.f(&k("y")), 2e-6);
            close(&k("dx"), &gx.to_vec::<f32>(), &fx.f(&k("dx")), 2e-5);
            close(&k("dw"), &bn.weight.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), &fx.f(&k("dw")), 2e-5);
            close(&k("db"), &bn.bias.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), &fx.f(&k("db")), 2e-5);
            if pre.is_empty() {
                close(&key("rm"), &bn.running_mean.as_ref().unwrap().value().to_vec::<f32>(), &fx.f(&key("rm")), 2e-6);
                close(&key("rv"), &bn.running_var.as_ref().unwrap().value().to_vec::<f32>(), &fx.f(&key("rv")), 2e-6);
            }
            assert_eq!(nbt(&bn.num_batches_tracked), $nbt0 + 1, "{case}: exactly the training forward is counted");
        }
    }};
}

#[test]
fn batch_norm_backward_matches_torch_in_train_and_eval() {
    let fx = fixture("batchnorm");
    let cumulative = BatchNormOptions { momentum: None, ..Default::default() };
    check_bn_case!(fx, "bn1d", 0, BatchNorm1d::<3>::new());
    check_bn_case!(fx, "bn1d3", 0, BatchNorm1d::<3>::new());
    check_bn_case!(fx, "bn2d", 0, BatchNorm2d::<2>::new());
    check_bn_case!(fx, "bn2d_cum", 2, BatchNorm2d::<2>::with_options(cumulative));
}

#[test]
#[should_panic(expected = "BatchNorm2d::backward: the output had shape [2, 2, 2, 2], so the gradient must have shape [2, 2, 2, 2], got [2, 2, 4]")]
fn batch_norm_backward_rejects_a_gradient_of_another_shape() {
    let bn = BatchNorm2d::<2>::new();
    let mut ctx = BatchNormCtx::default();
    bn.forward_train(&sample(&[2, 2, 2, 2], 1), &mut ctx);
    bn.backward(&mut ctx, &Tensor::ones(&[2, 2, 4]), true);
}

#[test]
#[should_panic(expected = "BatchNorm1d::backward: nothing saved; call forward_train first")]
fn batch_norm_backward_without_forward_train_panics() {
    BatchNorm1d::<2>::new().backward(&mut BatchNormCtx::default(), &Tensor::ones(&[2, 2]), true);
}

// ----- LayerNorm -----

#[test]
fn layer_norm_matches_finite_differences_and_torch() {
    let ln = LayerNorm::new(&[4]);
    randomize_affine(ln.weight.as_ref(), ln.bias.as_ref(), 11);
    assert_eq!(assert_layer(&ln, &sample(&[3, 4], 12), Tolerance::default()).checked, 12 + 4 + 4);
    let ln2 = LayerNorm::new(&[2, 3]);
    randomize_affine(ln2.weight.as_ref(), ln2.bias.as_ref(), 13);
    assert_layer(&ln2, &sample(&[2, 2, 3], 14), Tolerance::default());
    assert_layer(&LayerNorm::with_options(&[5], 1e-5, false, false), &sample(&[2, 5], 15), Tolerance::default());
    assert_layer(&LayerNorm::with_options(&[5], 1e-3, true, false), &sample(&[5], 16), Tolerance::default());

    let fx = fixture("layernorm");
    let ln = LayerNorm::new(&[2, 5]);
    set(&ln.weight.as_ref().unwrap().value(), &fx.f("w"));
    set(&ln.bias.as_ref().unwrap().value(), &fx.f("b"));
    let mut ctx = LayerNormCtx::default();
    close("layernorm y", &ln.forward_train(&fx.t("x"), &mut ctx).to_vec::<f32>(), &fx.f("y"), 2e-6);
    let gx = ln.backward(&mut ctx, &fx.t("gy"), true).unwrap();
    close("layernorm dx", &gx.to_vec::<f32>(), &fx.f("dx"), 2e-5);
    close("layernorm dw", &ln.weight.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), &fx.f("dw"), 2e-5);
    close("layernorm db", &ln.bias.as_ref().unwrap().grad().unwrap().to_vec::<f32>(), &fx.f("db"), 2e-5);
}

// ----- Dropout -----

/// A dropout that reseeds the default generator before every forward, so that the harness's
/// repeated forwards all draw the same mask: the finite differences see a fixed function.
#[derive(Module)]
struct SeededDropout(Dropout);

impl Layer for SeededDropout {
    type Ctx = DropoutCtx;
    fn forward(&self, x: &Tensor) -> Tensor {
        manual_seed(7);
        Layer::forward(&self.0, x)
    }
    fn forward_train(&self, x: &Tensor, ctx: &mut DropoutCtx) -> Tensor {
        manual_seed(7);
        self.0.forward_train(x, ctx)
    }
    fn backward(&self, ctx: &mut DropoutCtx, g: &Tensor, need: bool) -> Option<Tensor> {
        self.0.backward(ctx, g, need)
    }
}

#[test]
fn dropout_with_a_reproduced_mask_matches_finite_differences() {
    let x = sample(&[4, 6], 17);
    let r = assert_layer(&SeededDropout(Dropout::new(0.3)), &x, Tolerance::default());
    assert_eq!(r.checked, 24);
    // Edge cases need no reseeding: p = 0 keeps everything, p = 1 drops everything.
    assert_layer(&Dropout::new(0.0), &x, Tolerance::default());
    assert_layer(&Dropout::new(1.0), &x, Tolerance::default());
    let mut eval = Dropout::new(0.5);
    eval.eval();
    assert_layer(&eval, &x, Tolerance::default());
}

#[test]
fn dropout_backward_uses_the_forward_mask() {
    let p = 0.4;
    let drop = Dropout::new(p);
    let x = sample_range(&[50, 40], 18, 0.5, 1.5); // no zeros: y = 0 exactly where dropped
    manual_seed(3);
    let mut ctx = DropoutCtx::default();
    let y = drop.forward_train(&x, &mut ctx).to_vec::<f32>();
    // The same seed gives the eager forward the same mask.
    manual_seed(3);
    assert_eq!(drop.forward(&x).to_vec::<f32>(), y);
    let g = sample(&[50, 40], 19);
    let gx = drop.backward(&mut ctx, &g, true).unwrap().to_vec::<f32>();
    let (xs, gs) = (x.to_vec::<f32>(), g.to_vec::<f32>());
    let scale = (1.0 / (1.0 - p)) as f32;
    let mut kept = 0;
    for i in 0..y.len() {
        if y[i] == 0.0 {
            assert_eq!(gx[i], 0.0, "dropped element {i} got a gradient");
        } else {
            kept += 1;
            assert!((y[i] - xs[i] * scale).abs() <= 1e-6 * y[i].abs(), "y[{i}] is not x·1/(1 − p)");
            assert_eq!(gx[i], gs[i] * scale, "kept element {i}: ∂L/∂x = g/(1 − p)");
        }
    }
    let frac = kept as f64 / y.len() as f64;
    assert!((frac - (1.0 - p)).abs() < 0.04, "kept fraction {frac}");
    // No input gradient asked: None, and the mask is consumed.
    let mut ctx = DropoutCtx::default();
    drop.forward_train(&x, &mut ctx);
    assert!(drop.backward(&mut ctx, &g, false).is_none());
}

#[test]
fn dropout_in_eval_mode_is_the_identity_both_ways() {
    let mut drop = Dropout::new(0.9);
    drop.eval();
    let x = sample(&[3, 4], 20);
    let before = fusenet::rng::get_rng_state();
    let mut ctx = DropoutCtx::default();
    let y = drop.forward_train(&x, &mut ctx);
    assert!(y.shares_storage(&x) && y.equal(&x));
    assert_eq!(fusenet::rng::get_rng_state(), before, "eval mode draws nothing");
    let g = sample(&[3, 4], 21);
    let gx = drop.backward(&mut ctx, &g, true).unwrap();
    assert!(gx.shares_storage(&g) && gx.equal(&g));
}

// ----- Embedding -----

#[test]
fn embedding_weight_gradient_matches_finite_differences_and_torch() {
    let idx = Tensor::from_vec(vec![0i64, 4, 4, 9, 2, 0, 4, 7], &[2, 4]);
    // Without padding_idx (with it, the padding row's gradient is 0 by definition, although
    // the forward reads the row: the torch fixture below covers that case).
    {
        let w0 = sample(&[10, 3], 22);
        let emb_of = |w: &Tensor| {
            let mut e = Embedding::<10, 3>::new();
            e.weight = Param::new(w.shallow_clone());
            e
        };
        let r = assert_op(
            "Embedding",
            &[w0],
            |ws| Layer::forward(&emb_of(&ws[0]), &idx),
            |ws, g| {
                let e = emb_of(&ws[0]);
                let mut ctx = SavedTensor::default();
                e.forward_train(&idx, &mut ctx);
                assert!(e.backward(&mut ctx, g, true).is_none(), "indices have no gradient");
                vec![e.weight.grad()]
            },
            Tolerance::default(),
        );
        assert_eq!(r.checked, 30);
    }
    let fx = fixture("embedding");
    let emb = Embedding::<10, 3>::with_padding_idx(0);
    set(&emb.weight.value(), &fx.f("weight"));
    let mut ctx = SavedTensor::default();
    close("embedding out", &emb.forward_train(&fx.t("idx"), &mut ctx).to_vec::<f32>(), &fx.f("out"), 0.0);
    assert!(emb.backward(&mut ctx, &fx.t("gy"), false).is_none());
    close("embedding dw", &emb.weight.grad().unwrap().to_vec::<f32>(), &fx.f("dw"), 1e-6);
    // Frozen: no gradient at all.
    emb.weight.set_grad(None);
    emb.weight.set_requires_grad(false);
    emb.forward_train(&fx.t("idx"), &mut ctx);
    emb.backward(&mut ctx, &fx.t("gy"), false);
    assert!(emb.weight.grad().is_none());
}

#[test]
#[should_panic(expected = "Embedding: ")]
fn embedding_layer_forward_panics_on_an_index_out_of_range() {
    let emb = Embedding::<4, 2>::new();
    emb.forward_train(&Tensor::from_vec(vec![1i64, 4], &[2]), &mut SavedTensor::default());
}

// ----- activations and softmax -----

#[test]
fn activations_match_finite_differences() {
    let x = away_from_zero(&[3, 5], 23, 0.05).mul(2.0);
    for r in [
        assert_layer(&LeakyReLU::new(0.2), &x, Tolerance::default()),
        assert_layer(&LeakyReLU::default(), &x, Tolerance::default()),
        assert_layer(&GELU::new(), &x, Tolerance::default()),
        assert_layer(&GELU::tanh(), &x, Tolerance::default()),
        assert_layer(&ELU::new(0.7), &x, Tolerance::default()),
        assert_layer(&ELU::default(), &x, Tolerance::default()),
        assert_layer(&SiLU, &x, Tolerance::default()),
    ] {
        assert_eq!(r.checked, 15);
    }
    // A non-contiguous input (a transpose) is saved contiguous and differentiated correctly.
    let xt = x.t();
    let mut ctx = SavedTensor::default();
    let y = GELU::new().forward_train(&xt, &mut ctx);
    let gx = GELU::new().backward(&mut ctx, &Tensor::ones(&[5, 3]), true).unwrap();
    assert_eq!(y.shape(), &[5, 3]);
    let mut ctx2 = SavedTensor::default();
    GELU::new().forward_train(&xt.contiguous(), &mut ctx2);
    assert!(gx.equal(&GELU::new().backward(&mut ctx2, &Tensor::ones(&[5, 3]), true).unwrap()));
}

#[test]
fn softmax_layers_match_finite_differences_on_every_dim() {
    let x = sample_range(&[2, 3, 4], 24, -2.0, 2.0);
    for dim in [0, 1, 2, -1, -3] {
        assert_layer(&Softmax::new(dim), &x, Tolerance::default());
        assert_layer(&LogSoftmax::new(dim), &x, Tolerance::default());
    }
}

#[test]
fn activation_and_softmax_backwards_match_torch() {
    let fx = fixture("activations");
    let (x, gy) = (fx.t("x"), fx.t("gy"));
    fn grad<L: Layer>(l: &L, x: &Tensor, gy: &Tensor) -> (Vec<f32>, Vec<f32>) {
        let mut ctx = L::Ctx::default();
        let y = l.forward_train(x, &mut ctx).to_vec::<f32>();
        (y, l.backward(&mut ctx, gy, true).unwrap().to_vec::<f32>())
    }
    let cases = [
        ("leaky_relu", grad(&LeakyReLU::new(0.2), &x, &gy)),
        ("gelu", grad(&GELU::new(), &x, &gy)),
        ("gelu_tanh", grad(&GELU::tanh(), &x, &gy)),
        ("elu", grad(&ELU::new(0.7), &x, &gy)),
        ("silu", grad(&SiLU, &x, &gy)),
    ];
    for (name, (y, dx)) in cases {
        close(&format!("y_{name}"), &y, &fx.f(&format!("y_{name}")), 2e-6);
        close(&format!("dx_{name}"), &dx, &fx.f(&format!("dx_{name}")), 2e-6);
    }
    let fx = fixture("softmax");
    let (x, gy) = (fx.t("x"), fx.t("gy"));
    for dim in 0..3 {
        let (y, dx) = grad(&Softmax::new(dim), &x, &gy);
        close(&format!("softmax_y_{dim}"), &y, &fx.f(&format!("softmax_y_{dim}")), 2e-6);
        close(&format!("softmax_dx_{dim}"), &dx, &fx.f(&format!("softmax_dx_{dim}")), 2e-6);
        let (y, dx) = grad(&LogSoftmax::new(dim), &x, &gy);
        close(&format!("log_softmax_y_{dim}"), &y, &fx.f(&format!("log_softmax_y_{dim}")), 2e-6);
        close(&format!("log_softmax_dx_{dim}"), &dx, &fx.f(&format!("log_softmax_dx_{dim}")), 2e-6);
    }
}

#[test]
fn parameter_free_layers_honour_need_input_grad_and_check_shapes() {
    let x = sample(&[2, 3], 25);
    let mut ctx = SavedTensor::default();
    Softmax::new(1).forward_train(&x, &mut ctx);
    assert!(Softmax::new(1).backward(&mut ctx, &Tensor::ones(&[2, 3]), false).is_none());
    let mut ctx = SavedTensor::default();
    SiLU.forward_train(&x, &mut ctx);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SiLU.backward(&mut ctx, &Tensor::ones(&[3, 2]), true)))
        .expect_err("a gradient of the wrong shape must panic");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("SiLU::backward") && msg.contains("[2, 3]") && msg.contains("[3, 2]"), "{msg}");
    // A gradient that shares the saved tensor's storage is read under one lock.
    let mut ctx = SavedTensor::default();
    let y = LogSoftmax::new(1).forward_train(&x, &mut ctx);
    let gx = LogSoftmax::new(1).backward(&mut ctx, &y, true).unwrap();
    assert_eq!(gx.shape(), &[2, 3]);
}

#[test]
#[should_panic(expected = "ELU::backward: nothing saved; call forward_train first")]
fn backward_twice_for_one_forward_train_panics() {
    let mut ctx = SavedTensor::default();
    ELU::default().forward_train(&sample(&[2], 1), &mut ctx);
    ELU::default().backward(&mut ctx, &Tensor::ones(&[2]), true);
    ELU::default().backward(&mut ctx, &Tensor::ones(&[2]), true);
}

#[test]
fn static_dims_for_network_shape_checks() {
    use fusenet::module::shape::ANY;
    assert_eq!(<BatchNorm2d<6> as Layer>::IN_DIMS, [ANY, 6, ANY, ANY]);
    assert_eq!(<BatchNorm2d<6> as Layer>::OUT_DIMS, [ANY, 6, ANY, ANY]);
    assert!(<BatchNorm1d<6> as Layer>::IN_DIMS.is_empty(), "[N, C] or [N, C, L]: no fixed place from the end");
    assert_eq!(<Embedding<10, 3> as Layer>::OUT_DIMS, [3]);
    assert!(<Embedding<10, 3> as Layer>::IN_DIMS.is_empty());
}

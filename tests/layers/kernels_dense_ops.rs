//! The dense kernels (f32) against PyTorch: linear, activations, softmax, batch/layer norm and
//! embedding, forward values and input/parameter gradients for a fixed grad_out
//! (tests/fixtures/gen_dense_fixtures.py).

use crate::dense_support;

use dense_support::{close, fixture};
use fusenet::kernels::ops::activation::{Activation, Saved, activation_backward, activation_forward};
use fusenet::kernels::ops::embedding::{EmbeddingGeom, embedding_backward, embedding_forward};
use fusenet::kernels::ops::linear::{LinearAct, LinearGeom, linear_backward, linear_forward, linear_scratch_len};
use fusenet::kernels::ops::norm::batch_norm::*;
use fusenet::kernels::ops::norm::layer_norm::{LayerNormGeom, layer_norm_backward, layer_norm_forward};
use fusenet::kernels::ops::softmax::*;

const TOL: f32 = 2e-6;

#[test]
fn linear_matches_torch() {
    let fx = fixture("linear");
    let (x, w, b, gy) = (fx.f("x"), fx.f("w"), fx.f("b"), fx.f("gy"));
    let g = LinearGeom { m: 5, k: 7, n: 4 };
    for (act, sfx) in [(LinearAct::None, ""), (LinearAct::Relu, "_relu")] {
        let mut y = vec![0.0; 20];
        linear_forward(&g, act, &x, &w, Some(&b), &mut y);
        close(&format!("y{sfx}"), &y, &fx.f(&format!("y{sfx}")), TOL);
        let mut scratch = vec![0.0; linear_scratch_len(&g, act)];
        let (mut dx, mut dw, mut db) = (vec![0.0; 35], vec![0.0; 28], vec![0.0; 4]);
        linear_backward(&g, act, &x, &w, &y, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
        close(&format!("dx{sfx}"), &dx, &fx.f(&format!("dx{sfx}")), TOL);
        close(&format!("dw{sfx}"), &dw, &fx.f(&format!("dw{sfx}")), TOL);
        close(&format!("db{sfx}"), &db, &fx.f(&format!("db{sfx}")), TOL);
    }
}

#[test]
fn activations_match_torch() {
    let fx = fixture("activations");
    let (x, gy) = (fx.f("x"), fx.f("gy"));
    let acts = [
        ("relu", Activation::Relu),
        ("leaky_relu", Activation::LeakyRelu(0.2)),
        ("sigmoid", Activation::Sigmoid),
        ("tanh", Activation::Tanh),
        ("gelu", Activation::Gelu),
        ("gelu_tanh", Activation::GeluTanh),
        ("elu", Activation::Elu(0.7)),
        ("silu", Activation::Silu),
    ];
    for (name, act) in acts {
        let mut y = vec![0.0; x.len()];
        activation_forward(act, &x, &mut y);
        close(&format!("y_{name}"), &y, &fx.f(&format!("y_{name}")), TOL);
        let saved = if act.saves() == Saved::Input { &x } else { &y };
        let mut dx = vec![0.0; x.len()];
        activation_backward(act, saved, &gy, &mut dx);
        close(&format!("dx_{name}"), &dx, &fx.f(&format!("dx_{name}")), TOL);
    }
}

#[test]
fn softmax_matches_torch_over_every_dim() {
    let fx = fixture("softmax");
    let (x, gy) = (fx.f("x"), fx.f("gy"));
    for dim in 0..3 {
        let g = SoftmaxGeom::of(&[2, 3, 4], dim);
        let (mut y, mut dx) = (vec![0.0; 24], vec![0.0; 24]);
        softmax_forward(&g, &x, &mut y);
        softmax_backward(&g, &y, &gy, &mut dx);
        close(&format!("softmax y {dim}"), &y, &fx.f(&format!("softmax_y_{dim}")), TOL);
        close(&format!("softmax dx {dim}"), &dx, &fx.f(&format!("softmax_dx_{dim}")), TOL);
        log_softmax_forward(&g, &x, &mut y);
        log_softmax_backward(&g, &y, &gy, &mut dx);
        close(&format!("log_softmax y {dim}"), &y, &fx.f(&format!("log_softmax_y_{dim}")), TOL);
        close(&format!("log_softmax dx {dim}"), &dx, &fx.f(&format!("log_softmax_dx_{dim}")), TOL);
    }
}

#[test]
fn batch_norm_train_and_eval_match_torch() {
    let fx = fixture("batchnorm");
    for (case, momentum, nbt) in [("bn1d", Some(0.1), 0), ("bn1d3", Some(0.1), 0), ("bn2d", Some(0.1), 0), ("bn2d_cum", None, 2)] {
        let k = |s: &str| format!("{case}_{s}");
        let shape = fx.shape(&k("x"));
        let g = BatchNormGeom { n: shape[0], c: shape[1], l: shape[2..].iter().product() };
        let (x, gy, w, b) = (fx.f(&k("x")), fx.f(&k("gy")), fx.f(&k("w")), fx.f(&k("b")));
        let (mut rm, mut rv) = (fx.f(&k("rm0")), fx.f(&k("rv0")));
        // torch increments num_batches_tracked, then uses 1/nbt for momentum=None.
        let factor = momentum.unwrap_or(1.0 / (nbt + 1) as f64);
        let (mut y, mut mean, mut invstd) = (vec![0.0; x.len()], vec![0.0; g.c], vec![0.0; g.c]);
        batch_norm_forward_train(&g, 1e-5, factor, &x, Some(&w), Some(&b), Some((&mut rm, &mut rv)), &mut y, &mut mean, &mut invstd);
        close(&k("y"), &y, &fx.f(&k("y")), TOL);
        close(&k("rm"), &rm, &fx.f(&k("rm")), TOL);
        close(&k("rv"), &rv, &fx.f(&k("rv")), TOL);
        let mut scratch = vec![0.0; batch_norm_backward_scratch_len(&g)];
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; g.c], vec![0.0; g.c]);
        let stats = BatchNormStats::Batch { mean: &mean, invstd: &invstd };
        batch_norm_backward(&g, stats, &x, Some(&w), &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
        close(&k("dx"), &dx, &fx.f(&k("dx")), 1e-5);
        close(&k("dw"), &dw, &fx.f(&k("dw")), 1e-5);
        close(&k("db"), &db, &fx.f(&k("db")), 1e-5);
        // Eval mode, with the running stats after the training step (as torch's module has them).
        batch_norm_forward_eval(&g, 1e-5, &x, Some(&w), Some(&b), &rm, &rv, &mut y);
        close(&k("ey"), &y, &fx.f(&k("ey")), TOL);
        let (mut dw, mut db) = (vec![0.0; g.c], vec![0.0; g.c]);
        let stats = BatchNormStats::Running { mean: &rm, var: &rv, eps: 1e-5 };
        batch_norm_backward(&g, stats, &x, Some(&w), &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
        close(&k("edx"), &dx, &fx.f(&k("edx")), 1e-5);
        close(&k("edw"), &dw, &fx.f(&k("edw")), 1e-5);
        close(&k("edb"), &db, &fx.f(&k("edb")), 1e-5);
    }
}

#[test]
fn layer_norm_matches_torch() {
    let fx = fixture("layernorm");
    let (x, gy, w, b) = (fx.f("x"), fx.f("gy"), fx.f("w"), fx.f("b"));
    let g = LayerNormGeom { rows: 3, cols: 10 };
    let (mut y, mut mean, mut rstd) = (vec![0.0; 30], vec![0.0; 3], vec![0.0; 3]);
    layer_norm_forward(&g, 1e-5, &x, Some(&w), Some(&b), &mut y, &mut mean, &mut rstd);
    close("y", &y, &fx.f("y"), TOL);
    let (mut dx, mut dw, mut db) = (vec![0.0; 30], vec![0.0; 10], vec![0.0; 10]);
    layer_norm_backward(&g, &x, Some(&w), &mean, &rstd, &gy, Some(&mut dx), Some(&mut dw), Some(&mut db));
    close("dx", &dx, &fx.f("dx"), 1e-5);
    close("dw", &dw, &fx.f("dw"), 1e-5);
    close("db", &db, &fx.f("db"), 1e-5);
}

#[test]
fn embedding_with_padding_idx_matches_torch() {
    let fx = fixture("embedding");
    let (w, idx, gy) = (fx.f("weight"), fx.i("idx"), fx.f("gy"));
    let g = EmbeddingGeom { num: 10, dim: 3 };
    let mut out = vec![0.0; 24];
    embedding_forward(&g, &idx, &w, &mut out).unwrap();
    close("out", &out, &fx.f("out"), 0.0);
    let mut dw = vec![0.0; 30];
    embedding_backward(&g, &idx, Some(0), &gy, &mut dw).unwrap();
    close("dw", &dw, &fx.f("dw"), TOL);
    assert_eq!(dw[..3], [0.0; 3], "padding row gets no gradient");
}

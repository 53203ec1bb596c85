// Expected values are PyTorch's printed f64 reprs of f32 numbers.
#![allow(clippy::excessive_precision)]

use super::*;
use crate::graph::gradcheck::{Tolerance, assert_layer, sample};
use crate::module::{Layer, Module};
use crate::rng::manual_seed;
use crate::tensor::Tensor;

// torch.manual_seed(0); l = nn.LSTM(3, 4, num_layers=2, bidirectional=True); sd = l.state_dict()
// sd['weight_ih_l0'].flatten()[:2], sd['bias_hh_l1_reverse'][-2:]
#[test]
fn seeded_init_and_keys_equal_torch() {
    manual_seed(0);
    let l = LSTM::<3, 4>::with_options(RnnOptions::default().num_layers(2).bidirectional(true));
    let keys = l.state_dict_keys();
    assert_eq!(
        keys[..10],
        ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1"]
    );
    assert_eq!(keys.len(), 16);
    assert_eq!(l.layer_params(0, false).weight_ih.value().to_vec::<f32>()[..2], [-0.003743410110473633f32, 0.26822179555892944]);
    let b = l.layer_params(1, true).bias_hh.as_ref().map(|b| b.value().to_vec::<f32>()).unwrap_or_default();
    assert_eq!(b[b.len() - 2..], [-0.34951627254486084f32, 0.425620436668396]);
    assert_eq!(l.layer_params(1, false).weight_ih.shape(), &[16, 8]);
    // torch.manual_seed(0); g = nn.GRU(3, 4); g.weight_hh_l0.flatten()[-1], g.bias_ih_l0[0]
    manual_seed(0);
    let g = GRU::<3, 4>::new();
    assert_eq!(g.layer_params(0, false).weight_hh.value().to_vec::<f32>().last(), Some(&-0.4987639784812927f32));
    assert_eq!(g.layer_params(0, false).bias_ih.as_ref().map(|b| b.value().to_vec::<f32>()[0]), Some(0.0935860276222229f32));
}

#[test]
fn reprs_match_torch() {
    // repr(nn.RNN(10, 20, 2, nonlinearity='relu', bias=False, batch_first=True, dropout=0.5, bidirectional=True))
    let o = RnnOptions::default().num_layers(2).relu(true).bias(false).batch_first(true).dropout(0.5).bidirectional(true);
    assert_eq!(RNN::<10, 20>::with_options(o).to_string(), "RNN(10, 20, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)");
    assert_eq!(LSTM::<10, 20>::new().to_string(), "LSTM(10, 20)");
    assert!(!RNN::<2, 3>::with_options(RnnOptions::default().bias(false)).state_dict_keys().iter().any(|k| k.starts_with("bias")));
}

#[test]
fn layer_gradients_match_finite_differences() {
    let o = RnnOptions::default().num_layers(2).batch_first(true).bidirectional(true);
    assert_layer(&LSTM::<3, 4>::with_options(o), &sample(&[2, 3, 3], 1), Tolerance::default());
    assert_layer(&GRU::<3, 4>::with_options(o), &sample(&[2, 3, 3], 2), Tolerance::default());
    assert_layer(&RNN::<3, 4>::with_options(o.batch_first(false)), &sample(&[3, 2, 3], 3), Tolerance::default());
    assert_layer(&RNN::<3, 2>::with_options(RnnOptions::default().relu(true)), &sample(&[4, 3], 4), Tolerance::with_kinks());
}

#[test]
fn initial_and_final_state_gradients() {
    // L = Σ g_y·y + Σ g_h·h_n + Σ g_c·c_n; check ∂L/∂h0 and ∂L/∂c0 by central differences in f32.
    manual_seed(1);
    let lstm = LSTM::<2, 3>::with_options(RnnOptions::default().num_layers(2));
    let x = sample(&[4, 2, 2], 5);
    let (h0, c0) = (sample(&[2, 2, 3], 6), sample(&[2, 2, 3], 7));
    let (gy, gh, gc) = (sample(&[4, 2, 3], 8), sample(&[2, 2, 3], 9), sample(&[2, 2, 3], 10));
    let loss = |h0: &Tensor, c0: &Tensor| {
        let (y, (h, c)) = lstm.forward_with_state(&x, Some((h0, c0)));
        let dot = |a: &Tensor, b: &Tensor| a.to_vec::<f32>().iter().zip(b.to_vec::<f32>()).map(|(a, b)| (a * b) as f64).sum::<f64>();
        dot(&y, &gy) + dot(&h, &gh) + dot(&c, &gc)
    };
    let mut ctx = RnnCtx::default();
    lstm.forward_train_with_state(&x, Some((&h0, &c0)), &mut ctx);
    let grads = lstm.backward_with_state(&mut ctx, Some(&gy), Some(&gh), Some(&gc), true);
    let (dh0, dc0) = (grads.h0.expect("dh0").to_vec::<f32>(), grads.c0.expect("dc0").to_vec::<f32>());
    for (which, analytic) in [(0, dh0), (1, dc0)] {
        for i in 0..12 {
            let bump = |delta: f32| {
                let (h, c) = (h0.clone(), c0.clone());
                let t = if which == 0 { &h } else { &c };
                t.with_slice_mut::<f32, _>(|s| s[i] += delta);
                loss(&h, &c)
            };
            let numeric = (bump(1e-2) - bump(-1e-2)) / 2e-2;
            assert!((numeric - analytic[i] as f64).abs() < 1e-3 + 1e-2 * numeric.abs(), "state {which} [{i}]: {numeric} vs {}", analytic[i]);
        }
    }
    assert!(grads.input.is_some());
}

#[test]
fn dropout_only_in_training_mode() {
    manual_seed(0);
    let mut gru = GRU::<3, 5>::with_options(RnnOptions::default().num_layers(3).dropout(0.5));
    let x = sample(&[4, 2, 3], 1);
    let a = gru.forward(&x);
    let b = gru.forward(&x);
    assert!(!a.allclose(&b, 0.0, 0.0), "two training forwards draw different masks");
    gru.eval();
    assert!(gru.forward(&x).equal(&gru.forward(&x)));
    let mut ctx = RnnCtx::default();
    gru.train();
    let y = Layer::forward_train(&gru, &x, &mut ctx);
    assert_eq!(y.shape(), &[4, 2, 5]);
    assert!(gru.backward(&mut ctx, &Tensor::ones(&[4, 2, 5]), true).is_some());
}

#[test]
#[should_panic(expected = "LSTM: input.size(-1) must be equal to input_size. Expected 3, got 4")]
fn wrong_feature_size_panics_as_torch() {
    LSTM::<3, 4>::new().forward(&Tensor::zeros(&[2, 1, 4]));
}

#[test]
#[should_panic(expected = "GRU: Expected hidden size [2, 3, 4], got [1, 3, 4]")]
fn wrong_state_shape_panics() {
    GRU::<2, 4>::with_options(RnnOptions::default().num_layers(2)).forward_with_state(&Tensor::zeros(&[5, 3, 2]), Some(&Tensor::zeros(&[1, 3, 4])));
}

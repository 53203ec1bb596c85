//! Recurrent layers against PyTorch (`tests/fixtures/gen_spatial_fixtures.py`): 2-layer
//! batch_first LSTM and GRU (and bidirectional LSTM / relu RNN) with an initial state: outputs,
//! final states, and the gradients of the input, the initial state and every parameter for given
//! gradients of the output and the final state.

use fusenet::nn::{GRU, LSTM, RNN, RnnCtx, RnnGrads, RnnOptions};
use fusenet::prelude::*;

use crate::spatial_support;
use spatial_support::*;

/// Compares what the backward returned and left in the parameters with PyTorch's gradients.
fn check_grads(name: &str, m: &dyn Module, sd: &StateDict, grads: &RnnGrads, lstm: bool) {
    assert_close(&format!("{name}: gx"), grads.input.as_ref().expect("input gradient"), get(sd, "gx"));
    assert_close(&format!("{name}: gh0"), grads.h0.as_ref().expect("h0 gradient"), get(sd, "gh0"));
    if lstm {
        assert_close(&format!("{name}: gc0"), grads.c0.as_ref().expect("c0 gradient"), get(sd, "gc0"));
    }
    for (k, p) in m.named_parameters() {
        let g = p.grad().unwrap_or_else(|| panic!("{name}: no gradient in {k}"));
        assert_close(&format!("{name}: grad of {k}"), &g, get(sd, &format!("g.{k}")));
    }
}

fn check_lstm<const I: usize, const H: usize>(name: &str, mut lstm: LSTM<I, H>) {
    let sd = fixture(name);
    load_params(&sd, &mut lstm);
    let (x, h0, c0) = (get(&sd, "x"), get(&sd, "h0"), get(&sd, "c0"));
    let mut ctx = RnnCtx::default();
    let (y, (h_n, c_n)) = lstm.forward_train_with_state(x, Some((h0, c0)), &mut ctx);
    assert_close(&format!("{name}: y"), &y, get(&sd, "y"));
    assert_close(&format!("{name}: h_n"), &h_n, get(&sd, "h_n"));
    assert_close(&format!("{name}: c_n"), &c_n, get(&sd, "c_n"));
    let grads = lstm.backward_with_state(&mut ctx, Some(get(&sd, "grad_out")), Some(get(&sd, "grad_h_n")), Some(get(&sd, "grad_c_n")), true);
    check_grads(name, &lstm, &sd, &grads, true);
}

#[test]
fn lstm_two_layers_batch_first() {
    // nn.LSTM(5, 4, num_layers=2, batch_first=True), x [3, 4, 5]
    check_lstm("lstm_2layer_batch_first", LSTM::<5, 4>::with_options(RnnOptions::default().num_layers(2).batch_first(true)));
}

#[test]
fn lstm_bidirectional() {
    // nn.LSTM(3, 2, num_layers=2, batch_first=True, bidirectional=True), x [3, 4, 3]
    check_lstm("lstm_bidirectional", LSTM::<3, 2>::with_options(RnnOptions::default().num_layers(2).batch_first(true).bidirectional(true)));
}

#[test]
fn gru_two_layers_batch_first() {
    // nn.GRU(5, 4, num_layers=2, batch_first=True), x [3, 4, 5]
    let name = "gru_2layer_batch_first";
    let sd = fixture(name);
    let mut gru = GRU::<5, 4>::with_options(RnnOptions::default().num_layers(2).batch_first(true));
    load_params(&sd, &mut gru);
    let mut ctx = RnnCtx::default();
    let (y, h_n) = gru.forward_train_with_state(get(&sd, "x"), Some(get(&sd, "h0")), &mut ctx);
    assert_close(&format!("{name}: y"), &y, get(&sd, "y"));
    assert_close(&format!("{name}: h_n"), &h_n, get(&sd, "h_n"));
    let grads = gru.backward_with_state(&mut ctx, Some(get(&sd, "grad_out")), Some(get(&sd, "grad_h_n")), None, true);
    check_grads(name, &gru, &sd, &grads, false);
}

#[test]
fn relu_rnn_bidirectional() {
    // nn.RNN(3, 4, nonlinearity='relu', batch_first=True, bidirectional=True), x [3, 4, 3]
    let name = "rnn_relu_bidirectional";
    let sd = fixture(name);
    let mut rnn = RNN::<3, 4>::with_options(RnnOptions::default().relu(true).batch_first(true).bidirectional(true));
    load_params(&sd, &mut rnn);
    let mut ctx = RnnCtx::default();
    let (y, h_n) = rnn.forward_train_with_state(get(&sd, "x"), Some(get(&sd, "h0")), &mut ctx);
    assert_close(&format!("{name}: y"), &y, get(&sd, "y"));
    assert_close(&format!("{name}: h_n"), &h_n, get(&sd, "h_n"));
    let grads = rnn.backward_with_state(&mut ctx, Some(get(&sd, "grad_out")), Some(get(&sd, "grad_h_n")), None, true);
    check_grads(name, &rnn, &sd, &grads, false);
}

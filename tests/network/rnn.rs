//! Recurrent layers inside `network!`: shape rules, keys and parameter counts known at compile
//! time, and gradients through the generated backward.

use fusenet::graph::gradcheck::{Tolerance, assert_layer};
use fusenet::nn::{GRU, LSTM, Linear, RnnOptions};
use fusenet::prelude::*;

network! {
    /// A 2-layer bidirectional LSTM over `[B, T, 3]`, then a Linear on every step's 2·5 features.
    pub struct Tagger {
        lstm: LSTM<3, 5> = LSTM::with_options(RnnOptions::default().num_layers(2).batch_first(true).bidirectional(true)),
        head: Linear<_, 4>,
    }
    fn forward(x: [B, T, 3]) -> [B, T, 4] {
        head(lstm(x))
    }
}

network! {
    /// A GRU without biases, sequence first.
    pub struct Encoder {
        gru: GRU<2, 3> = GRU::with_options(RnnOptions::default().bias(false)),
    }
    fn forward(x: [T, B, 2]) -> [T, B, 3] {
        gru(x)
    }
}

#[test]
fn keys_and_parameter_counts_are_known_at_compile_time() {
    let net = Tagger::new();
    assert_eq!(Tagger::STATE_DICT_KEYS.iter().map(|k| k.to_string()).collect::<Vec<_>>(), net.state_dict_keys());
    assert!(Tagger::STATE_DICT_KEYS.contains(&"lstm.weight_hh_l1_reverse"));
    let enc = Encoder::new();
    assert_eq!(Encoder::STATE_DICT_KEYS, ["gru.weight_ih_l0", "gru.weight_hh_l0"]);
    assert_eq!(Encoder::STATE_DICT_KEYS.len(), enc.state_dict_keys().len());
}

#[test]
fn summary_total_equals_num_parameters() {
    let net = Tagger::new();
    let total = net.num_parameters();
    let want = format!("Total params: {}", group(total));
    assert!(net.summary().contains(&want), "{}\n(expected {want})", net.summary());
}

fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn forward_shapes_and_gradients() {
    manual_seed(0);
    let net = Tagger::new();
    let x = Tensor::randn(&[2, 4, 3]);
    assert_eq!(net.forward(&x).shape(), &[2, 4, 4]);
    assert_layer(&net, &x, Tolerance::default());
    let enc = Encoder::new();
    assert_layer(&enc, &Tensor::randn(&[3, 2, 2]), Tolerance::default());
}

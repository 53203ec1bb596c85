use fusenet::nn::{RnnOptions, GRU};
use fusenet::prelude::*;

const LAYERS: usize = 2;

network! {
    pub struct Encoder {
        gru: GRU<4, 8> = GRU::with_options(RnnOptions::default().num_layers(LAYERS)),
    }
    fn forward(x: [T, B, 4]) -> [T, B, 8] {
        gru(x)
    }
}

fn main() {}

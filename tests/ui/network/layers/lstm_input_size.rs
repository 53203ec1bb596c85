use fusenet::nn::{LSTM, Linear};
use fusenet::prelude::*;

network! {
    pub struct Tagger {
        embed: Linear<10, 8>,
        lstm: LSTM<6, 5>,
    }
    fn forward(x: [T, B, 10]) -> [T, B, 5] {
        lstm(embed(x))
    }
}

fn main() {}

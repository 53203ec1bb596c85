use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    pub struct Encoder {
        lin: Linear<4, 8>,
    }
    fn forward(x: [B, 4]) -> [B, 8] {
        relu(lin(x))
    }
}

network! {
    pub struct Decoder {
        lin: Linear<16, 2>,
    }
    fn forward(x: [B, 16]) -> [B, 2] {
        lin(x)
    }
}

network! { pub struct Net = Sequential(Encoder, Linear<16, 1>); }

fn main() {}

use fusenet::nn::{Linear, Unflatten};
use fusenet::prelude::*;

network! {
    pub struct Decoder {
        fc: Linear<6, 30>,
        unflat: Unflatten = Unflatten::new(1, &[2, 4, 4]),
    }
    fn forward(x: [B, 6]) -> [B, 2, 4, 4] {
        unflat(fc(x))
    }
}

fn main() {}

use fusenet::prelude::*;
use fusenet::nn::Linear;

network! {
    struct Net { fc: Linear<4, 3> }
    fn forward(x: [B, 4], y: [B] as f32) -> [] {
        cross_entropy(fc(x), y)
    }
}

fn main() {}

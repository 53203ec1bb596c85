use fusenet::prelude::*;
use fusenet::nn::Linear;

network! {
    struct Net { fc: Linear<4, 2> }
    fn forward(x: [B, 4], y: [B, 3] as f32) -> [] {
        mse_loss(fc(x), y)
    }
}

fn main() {}

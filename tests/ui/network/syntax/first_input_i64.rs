use fusenet::prelude::*;

network! {
    struct Net;
    fn forward(x: [B, 3] as i64, y: [B, 3] as f32) -> [] {
        mse_loss(x, y)
    }
}

fn main() {}

use fusenet::prelude::*;

network! {
    struct Net;
    fn forward(x: [B, 4], y: [B, 4] as f32) -> [] {
        l1_loss(x, y, reduction = "avg")
    }
}

fn main() {}

use fusenet::prelude::*;

network! {
    struct Net;
    fn forward(x: [B, 3], target: [B] as i64) -> [] {
        cross_entropy(x, target) + target.sum()
    }
}

fn main() {}

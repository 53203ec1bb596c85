use fusenet::prelude::*;
use fusenet::nn::Linear;

network! {
    struct Net { fc: Linear<784, 10> }
    fn forward(x: [B, 784], target: [B, 10] as i64) -> [] {
        cross_entropy(fc(x), target)
    }
}

fn main() {}

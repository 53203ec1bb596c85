use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Conv2d, MaxPool2d};

network! {
    struct Net {
        c1: Conv2d<1, 6, 5>,
        p1: MaxPool2d = MaxPool2d::new(4),
        c2: Conv2d<6, 16, 7>,
    }
    fn forward(x: [B, 1, 28, 28]) -> [..] {
        c2(p1(c1(x)))
    }
}

fn main() {}

use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Conv2d, MaxPool2d, ReLU};

network! {
    struct Net {
        c1: Conv2d<1, 8, 5> = Conv2d::new().padding(2),
        p1: MaxPool2d = MaxPool2d::new(2),
        c2: Conv2d<6, 16, 5>,
    }
    fn forward(x: [B, 1, 28, 28]) -> [B, 16, 10, 10] {
        c2(p1(relu(c1(x))))
    }
}

fn main() {}

use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Inner;
    fn forward(x: [..]) -> [..] { x * 2.0 }
}

network! {
    struct Net = Sequential(Inner, Linear<_, 4>);
}

fn main() {}

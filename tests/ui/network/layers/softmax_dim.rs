use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Softmax, Linear};

network! {
    struct Net = Sequential(Linear<4, 3>, Softmax = Softmax::new(2)) : [B, 4];
}

fn main() {}

use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{Linear, ReLU};

network! {
    struct Net = Sequential(Linear<4, 8>, ReLU, Linear<16, 1>);
}

fn main() {}

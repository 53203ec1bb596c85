use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{MaxPool2d};

network! {
    struct Net = Sequential(MaxPool2d) : [B, 2, 4, 4];
}

fn main() {}

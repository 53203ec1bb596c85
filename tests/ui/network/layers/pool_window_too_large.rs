use fusenet::prelude::*;
#[allow(unused_imports)]
use fusenet::nn::{MaxPool2d};

network! {
    struct Net = Sequential(MaxPool2d = MaxPool2d::new(3).stride(1).padding(1), MaxPool2d = MaxPool2d::new(5)) : [B, 2, 4, 4];
}

fn main() {}

use fusenet::prelude::*;

network! {
    struct Net;
    fn forward(x: [B, 3, 4]) -> [..] {
        reshape(x.sum(0), [-1, 5])
    }
}

fn main() {}

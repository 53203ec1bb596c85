use fusenet::prelude::*;

network! {
    struct Net;
    fn forward(x: [B, 3, 4]) -> [..] {
        cat([x, x.transpose(1, 2)], 0)
    }
}

fn main() {}

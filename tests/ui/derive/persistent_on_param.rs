use fusenet::prelude::*;

#[derive(Module)]
struct Net {
    #[module(persistent = false)]
    weight: Param,
}

fn main() {}

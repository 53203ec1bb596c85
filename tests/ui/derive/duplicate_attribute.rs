use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct Net {
    #[module(rename = "a", rename = "b")]
    out: Linear<4, 2>,
}

fn main() {}

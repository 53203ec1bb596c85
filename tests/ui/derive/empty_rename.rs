use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct Net {
    #[module(rename = "")]
    out: Linear<4, 2>,
}

fn main() {}

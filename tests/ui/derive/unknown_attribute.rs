use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct Net {
    #[module(renmae = "head")]
    out: Linear<4, 2>,
}

fn main() {}

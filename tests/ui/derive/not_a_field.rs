use fusenet::nn::Linear;
use fusenet::Module;

#[derive(Module)]
struct Net {
    hidden: Linear<4, 8>,
    width: usize,
}

fn main() {}

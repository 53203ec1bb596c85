//! d2l 5.1 "Layers and blocks", in Rust, printing what the seed notebook prints. Run with
//! `cargo run --release --example layers_and_blocks`.
//!
//! Every block is a `network!`: its forward is checked for shapes at compile time and its
//! backward is generated. After `manual_seed(0)` the numbers equal PyTorch's after
//! `torch.manual_seed(0)` and the same constructions (the generator is PyTorch's).

use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;

network! {
    /// `nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))`
    pub struct Net = Sequential(Linear<20, 256>, ReLU, Linear<256, 10>);
}

network! {
    /// A block with a 256-unit hidden layer and a 10-dim output.
    pub struct Mlp {
        hidden: Linear<20, 256>,
        out: Linear<256, 10>,
    }
    fn forward(x: [B, 20]) -> [B, 10] {
        out(relu(hidden(x)))
    }
}

network! {
    /// `MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))`: the blocks run in order.
    #[module(name = "MySequential")]
    pub struct MySequential = Sequential(Linear<20, 256>, ReLU, Linear<256, 10>);
}

network! {
    /// A constant weight (no gradient), a layer used twice, Python-style control flow.
    pub struct FixedHiddenMlp {
        #[constant(rand)] rand_weight: [20, 20],
        linear: Linear<20, 20>,
    }
    fn forward(x: [B, 20]) -> [] {
        let x = linear(x);
        let x = relu(mm(x, rand_weight) + 1.0);
        // reuse the fully connected layer: the two calls share its parameters
        let mut x = linear(x);
        while x.abs().sum() > 1.0 {
            x /= 2.0;
        }
        x.sum()
    }
}

network! { pub struct NestNet = Sequential(Linear<20, 64>, ReLU, Linear<64, 32>, ReLU); }

network! {
    pub struct NestMlp {
        net: NestNet,
        linear: Linear<32, 16>,
    }
    fn forward(x: [B, 20]) -> [B, 16] {
        linear(net(x))
    }
}

network! { pub struct Chimera = Sequential(NestMlp, Linear<16, 20>, FixedHiddenMlp); }

fn main() {
    manual_seed(0);
    let net = Net::new();
    let x = Tensor::rand(&[2, 20]);
    println!("{}", net.forward(&x));

    let net = Mlp::new();
    println!("{}", net.forward(&x));

    let net = MySequential::new();
    println!("{}", net.forward(&x));

    let net = FixedHiddenMlp::new();
    println!("{}", net.forward(&x));

    let chimera = Chimera::new();
    println!("{}", chimera.forward(&x));
    println!("{chimera}");
}

//! d2l 5.4 "Custom layers", in Rust, printing what the seed notebook prints. Run with
//! `cargo run --release --example custom_layers`.
//!
//! A parameter-free layer and a layer with parameters are each a few lines of `network!`; both
//! compose with built-in layers in a one-line `Sequential`. After `manual_seed(0)` the random
//! numbers equal PyTorch's after `torch.manual_seed(0)` (the generator is PyTorch's).

use fusenet::nn::Linear;
use fusenet::prelude::*;

network! {
    /// `X - X.mean()`.
    pub struct CenteredLayer;
    fn forward(x: [..]) -> [..] {
        x - x.mean()
    }
}

network! {
    /// `relu(X @ weight + bias)` with `weight`, `bias` drawn from `torch.randn`.
    pub struct MyLinear<const IN: usize, const UNITS: usize> {
        #[init(randn)] weight: Param<[IN, UNITS]>,
        #[init(randn)] bias: Param<[UNITS]>,
    }
    fn forward(x: [B, IN]) -> [B, UNITS] {
        relu(matmul(x, weight) + bias)
    }
}

network! { pub struct CenteredNet = Sequential(Linear<8, 128>, CenteredLayer); }
network! { pub struct MyNet = Sequential(MyLinear<64, 8>, MyLinear<8, 1>); }

fn main() {
    manual_seed(0);

    // layer = CenteredLayer(); layer(torch.FloatTensor([1, 2, 3, 4, 5]))
    let layer = CenteredLayer::new();
    println!("{}", layer.forward(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0], &[5])));

    // net = nn.Sequential(nn.Linear(8, 128), CenteredLayer()); Y = net(torch.rand(4, 8)); Y.mean()
    let net = CenteredNet::new();
    let y = net.forward(&Tensor::rand(&[4, 8]));
    println!("{}", y.mean());

    // linear = MyLinear(5, 3); linear.weight
    let linear = MyLinear::<5, 3>::new();
    println!("{}", linear.weight);

    // linear(torch.rand(2, 5))
    println!("{}", linear.forward(&Tensor::rand(&[2, 5])));

    // net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)); net(torch.rand(2, 64))
    let net = MyNet::new();
    println!("{}", net.forward(&Tensor::rand(&[2, 64])));
}

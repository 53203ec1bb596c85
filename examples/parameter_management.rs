//! d2l 5.2 "Parameter management", in Rust: the seed notebook's cells, one by one, printing what
//! PyTorch prints. Run with `cargo run --release --example parameter_management`.
//!
//! The generator is PyTorch's, so every number printed here equals what the notebook prints after
//! `torch.manual_seed(0)` (`net(X)` is `tensor([[-0.2531], [-0.3098]])` on both sides).
//!
//! Networks are `#[derive(Module)]` structs; eager forwards are written by hand here (the
//! `network!` compiler, an open issue, will generate them).

use fusenet::init;
use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;
use fusenet::s;

/// `nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))`
#[derive(Module)]
#[module(name = "Sequential")]
struct Net(Linear<4, 8>, ReLU, Linear<8, 1>);

impl Net {
    fn new() -> Net {
        Net(Linear::new(), ReLU, Linear::new())
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.2.forward(&self.1.forward(&self.0.forward(x)))
    }
}

/// `block1()`: `nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())`
#[derive(Module)]
#[module(name = "Sequential")]
struct Block1(Linear<4, 8>, ReLU, Linear<8, 4>, ReLU);

impl Block1 {
    fn new() -> Block1 {
        Block1(Linear::new(), ReLU, Linear::new(), ReLU)
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.2.forward(&self.0.forward(x).relu()).relu()
    }
}

/// `block2()`: an empty `nn.Sequential` filled with `add_module(f'block {i}', block1())`.
#[derive(Module)]
#[module(name = "Sequential")]
struct Block2 {
    #[module(flatten, rename = "block {}")]
    blocks: [Block1; 4],
}

/// `rgnet = nn.Sequential(block2(), nn.Linear(4, 1))`
#[derive(Module)]
#[module(name = "Sequential")]
struct RgNet(Block2, Linear<4, 1>);

impl RgNet {
    fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.0.blocks.iter().fold(x.shallow_clone(), |h, b| b.forward(&h));
        self.1.forward(&h)
    }
}

/// The tied net: the same `shared` Linear at positions 2 and 4.
#[derive(Module)]
#[module(name = "Sequential")]
struct Tied(Linear<4, 8>, ReLU, Linear<8, 8>, ReLU, Linear<8, 8>, ReLU, Linear<8, 1>);

impl Tied {
    fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.0.forward(x).relu();
        let h = self.2.forward(&h).relu();
        let h = self.4.forward(&h).relu();
        self.6.forward(&h)
    }
}

fn shapes(params: Vec<(String, &Param)>) -> String {
    params.iter().map(|(n, p)| format!("('{n}', {:?})", p.shape())).collect::<Vec<_>>().join(" ")
}

fn main() {
    manual_seed(0);
    let mut net = Net::new();
    let x = Tensor::rand(&[2, 4]);
    println!("net(X) =\n{}", net.forward(&x));

    // Parameter access.
    println!("\nnet[2].state_dict() = {}", net.2.state_dict());
    println!("net[2] = {}", net.2);
    let bias = net.2.bias.as_ref().expect("Linear<8, 1> has a bias");
    println!("type(net[2].bias) = {}", std::any::type_name_of_val(bias));
    println!("{bias}");
    println!("{}", bias.data());
    println!("net[2].weight.grad == None: {}", net.2.weight.grad().is_none());

    // All parameters at once.
    println!("\n{}", shapes(net.0.named_parameters()));
    println!("{}", shapes(net.named_parameters()));
    println!("net.state_dict()['2.bias'] = {}", net.state_dict()["2.bias"]);

    // Nested blocks.
    let rgnet = RgNet(Block2 { blocks: std::array::from_fn(|_| Block1::new()) }, Linear::new());
    println!("\nrgnet(X) =\n{}", rgnet.forward(&x));
    println!("{rgnet}");
    let b = rgnet.0.blocks[1].0.bias.as_ref().expect("bias");
    println!("rgnet[0][1][0].bias.data = {}", b.data());

    // Built-in initialisation through apply, with a typed look at each module.
    net.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            init::normal_(l.weight(), 0.0, 0.01);
            l.bias().into_iter().for_each(init::zeros_);
        }
    });
    println!("\ninit_normal: {} {}", net.0.weight.data().select(0, 0), net.0.bias.as_ref().expect("bias").data().select(0, 0));
    net.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            init::constant_(l.weight(), 1.0);
            l.bias().into_iter().for_each(init::zeros_);
        }
    });
    println!("init_constant: {} {}", net.0.weight.data().select(0, 0), net.0.bias.as_ref().expect("bias").data().select(0, 0));
    net.0.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            init::xavier_uniform_(l.weight(), 1.0);
        }
    });
    net.2.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            init::constant_(l.weight(), 42.0);
        }
    });
    println!("init_xavier: {}", net.0.weight.data().select(0, 0));
    println!("init_42: {}", net.2.weight.data());

    // Custom initialisation: U(-10, 10), then keep only |w| >= 5.
    net.apply(&mut |_, m| {
        if let Some(l) = m.as_linear() {
            let (name, shape) = m.named_parameters().first().map(|(n, p)| (n.clone(), p.shape().to_vec())).expect("weight");
            println!("Init ('{name}', {shape:?})");
            init::uniform_(l.weight(), -10.0, 10.0);
            let w = l.weight().data();
            w.mul_(&w.abs().ge(5.0));
        }
    });
    println!("my_init: {}", net.0.weight.data().slice(s![..2]));

    // Direct edits of parameter values.
    let w = net.0.weight.data();
    w.slice(s![..]).add_(1.0);
    w.set([0, 0], 42.0);
    println!("after w[:] += 1; w[0, 0] = 42: {}", w.select(0, 0));

    // Tied parameters: one Linear at positions 2 and 4.
    let shared = Linear::<8, 8>::new();
    let tied = Tied(Linear::new(), ReLU, shared.share(), ReLU, shared, ReLU, Linear::new());
    tied.forward(&x);
    println!("\n{}", tied.2.weight.data().select(0, 0).eq(&tied.4.weight.data().select(0, 0)));
    tied.2.weight.data().set([0, 0], 100.0);
    println!("{}", tied.2.weight.data().select(0, 0).eq(&tied.4.weight.data().select(0, 0)));
    println!("named_parameters lists the shared weight once: {:?}", tied.named_parameters().iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>());
    println!("state_dict lists every position: {:?}", tied.state_dict().keys().collect::<Vec<_>>());
}

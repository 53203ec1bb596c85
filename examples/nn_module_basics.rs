//! "nn.Module basics" (the seed notes on PyTorch's basic building blocks), in Rust: a custom
//! layer without and with parameters, a block, a model with `Flatten`, then parameter access,
//! initialisation, shared layers and buffers. Run with
//! `cargo run --release --example nn_module_basics`.
//!
//! Every module with a forward is a `network!`; the ones only inspected are `#[derive(Module)]`
//! structs. Each printed value is headed by the Python it translates. The generator is
//! PyTorch's, so after `manual_seed(0)` every number equals what the same Python prints after
//! `torch.manual_seed(0)`.

use fusenet::init;
use fusenet::nn::{BatchNorm2d, Flatten, Linear, ReLU};
use fusenet::prelude::*;
use fusenet::s;
use std::fmt::{self, Write};

network! {
    /// `torch.maximum(x, torch.tensor(0))`: a layer with no parameters, any input shape.
    pub struct ReluLayer;
    fn forward(x: [..]) -> [..] {
        relu(x)
    }
}

network! {
    /// `x @ weights + bias`, both drawn from `torch.randn` (PyTorch's `MyFCLayer(in_dim, out_dim)`).
    #[module(name = "MyFCLayer")]
    pub struct MyFcLayer<const IN: usize, const OUT: usize> {
        #[init(randn)] weights: Param<[IN, OUT]>,
        #[init(randn)] bias: Param<[OUT]>,
    }
    fn forward(x: [B, IN]) -> [B, OUT] {
        matmul(x, weights) + bias
    }
}

network! {
    /// `nn.Sequential(nn.Linear(784, 100), ReluLayer(), nn.Linear(100, 100), ReluLayer(), MyFCLayer(100, 10))`
    pub struct Stack = Sequential(Linear<784, 100>, ReluLayer, Linear<100, 100>, ReluLayer, MyFcLayer<100, 10>);
}

network! {
    /// A block: one `Sequential` child named `stack`.
    pub struct LinearReluStack {
        stack: Stack,
    }
    fn forward(x: [B, 784]) -> [B, 10] {
        stack(x)
    }
}

network! {
    /// A model: `Flatten` (`[B, 28, 28] → [B, 784]`), then the block.
    pub struct NeuralNetwork {
        flatten: Flatten,
        stack: LinearReluStack,
    }
    fn forward(x: [B, 28, 28]) -> [B, 10] {
        stack(flatten(x))
    }
}

/// `nn.Sequential(nn.Linear(25, 100), nn.ReLU(), nn.Linear(100, 10))`, only inspected here: a
/// derived tuple struct gives PyTorch's numeric keys.
#[derive(Module)]
#[module(name = "Sequential")]
struct Mlp(Linear<25, 100>, ReLU, Linear<100, 10>);

/// `nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))`
#[derive(Module)]
#[module(name = "Sequential")]
struct Tied(Linear<4, 8>, ReLU, Linear<8, 8>, ReLU, Linear<8, 8>, ReLU, Linear<8, 1>);

/// Custom layers, a block and a model: reprs and forwards.
fn layers_blocks_models(out: &mut String) -> fmt::Result {
    let relu = ReluLayer::new();
    writeln!(out, "# print(relu)\n{relu}")?;
    writeln!(out, "# relu(torch.randn(2, 3))\n{}", relu.forward(&Tensor::randn(&[2, 3])))?;

    let fclayer = MyFcLayer::<25, 10>::new();
    writeln!(out, "# print(fclayer)\n{fclayer}")?;
    writeln!(out, "# fclayer(torch.randn(1, 25))\n{}", fclayer.forward(&Tensor::randn(&[1, 25])))?;

    let linear_relu_stack = LinearReluStack::new();
    writeln!(out, "# print(linear_relu_stack)\n{linear_relu_stack}")?;
    let y = linear_relu_stack.forward(&Tensor::randn(&[1, 28 * 28]));
    writeln!(out, "# linear_relu_stack(torch.randn(1, 28 * 28))\n{y}")?;

    let model = NeuralNetwork::new();
    writeln!(out, "# print(model)\n{model}")?;
    writeln!(out, "# model(torch.randn(1, 28, 28))\n{}", model.forward(&Tensor::randn(&[1, 28, 28])))
}

/// Parameter access, `apply`-based initialisation, shared layers and buffers.
fn parameters(out: &mut String) -> fmt::Result {
    let mut mlp = Mlp(Linear::new(), ReLU, Linear::new());
    let first_layer = &mlp.0; // mlp[0]
    let bias = first_layer.bias.as_ref().expect("Linear has a bias by default");
    writeln!(out, "# mlp[0].bias.data[:4]\n{}", bias.data().slice(s![..4]))?;
    let keys: Vec<String> = first_layer.state_dict_keys().iter().map(|k| format!("'{k}'")).collect();
    writeln!(out, "# list(mlp[0].state_dict().keys())\n[{}]", keys.join(", "))?;
    let named: Vec<String> = mlp.named_parameters().iter().map(|(n, p)| format!("('{n}', {:?})", p.shape())).collect();
    writeln!(out, "# named_parameters\n{}", named.join(" "))?;
    writeln!(out, "# mlp.state_dict()[\"2.weight\"].shape\n{:?}", mlp.state_dict()["2.weight"].shape())?;
    let grad = bias.grad().map_or("None".to_owned(), |g| g.to_string());
    writeln!(out, "# first_layer.bias.shape, first_layer.bias.grad\n{:?} {grad}", bias.shape())?;

    // def norm_init(m): if type(m) == nn.Linear: normal_(m.weight, 0, 0.01); zeros_(m.bias)
    mlp.apply(&mut |_, m| {
        if let Some(linear) = m.as_linear() {
            init::normal_(linear.weight(), 0.0, 0.01);
            linear.bias().into_iter().for_each(init::zeros_);
        }
    });
    let (w, b) = (mlp.0.weight.data(), mlp.0.bias.as_ref().expect("bias").data());
    writeln!(out, "# mlp.apply(norm_init); mlp[0].weight[0, :4], mlp[0].bias[:4]\n{} {}", w.slice(s![0, ..4]), b.slice(s![..4]))?;
    // mlp[2].apply(xavier_init): apply on one child only
    mlp.2.apply(&mut |_, m| {
        if let Some(linear) = m.as_linear() {
            init::xavier_normal_(linear.weight(), 1.0);
        }
    });
    writeln!(out, "# mlp[2].apply(xavier_init); mlp[2].weight[0, :4]\n{}", mlp.2.weight.data().slice(s![0, ..4]))?;

    // The same Linear twice: `share` is a second handle onto its parameters, and the shared
    // module is listed once, as PyTorch de-duplicates it.
    let shared = Linear::<8, 8>::new();
    let net = Tied(Linear::new(), ReLU, shared.share(), ReLU, shared, ReLU, Linear::new());
    writeln!(out, "# for name, mod in net.named_children(): print(mod)")?;
    for (_, m) in net.named_children() {
        writeln!(out, "{m}")?;
    }

    let batch_norm = BatchNorm2d::<128>::new();
    writeln!(out, "Buffers:")?;
    for (name, buffer) in batch_norm.named_buffers() {
        writeln!(out, "\t{name}: {:?}", buffer.shape())?;
    }
    writeln!(out, "Parameters:")?;
    for (name, param) in batch_norm.named_parameters() {
        writeln!(out, "\t{name}: {:?}", param.shape())?;
    }
    Ok(())
}

/// Everything the example prints, after `manual_seed(0)`.
pub fn transcript() -> String {
    manual_seed(0);
    let mut out = String::new();
    layers_blocks_models(&mut out).expect("writing to a String cannot fail");
    parameters(&mut out).expect("writing to a String cannot fail");
    out
}

#[allow(dead_code)] // the integration test includes this file as a module and calls `transcript`
fn main() {
    print!("{}", transcript());
}

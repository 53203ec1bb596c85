//! PyTorch's containers in Rust: `nn.Sequential`, `nn.ModuleList` and `nn.ModuleDict`, as the
//! seed notes use them. Run with `cargo run --release --example containers`.
//!
//! - `Sequential` is a tuple struct: `network! { struct Net = Sequential(A, B, C); }` in one line
//!   (with a generated forward), or `#[derive(Module)]` with `#[module(name = "Sequential")]`.
//!   The fields are the numeric keys `0`, `1`, ... of PyTorch.
//! - `ModuleList` is an array field (`[Linear<100, 100>; 50]`, iterated with `for` inside a
//!   `network!` forward) or a `Vec` field when the length is known only at run time.
//! - `ModuleDict` is [`ModuleDict`]: modules under names, picked by name at run time.
//!
//! Each printed value is headed by the Python it translates. After `manual_seed(0)` the numbers
//! equal what the same Python prints after `torch.manual_seed(0)` (the generator is PyTorch's).

use fusenet::nn::{Conv2d, LeakyReLU, Linear, MaxPool2d, ReLU};
use fusenet::prelude::*;
use fusenet::s;
use std::fmt::{self, Write};

/// `nn.Sequential(nn.Conv2d(1, 32, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Linear(32 * 14 * 14, 10))`
/// (only printed: as in the seed, it lacks the flatten a forward would need).
#[derive(Module)]
#[module(name = "Sequential")]
struct ConvSeq(Conv2d<1, 32, 3>, ReLU, MaxPool2d, Linear<{ 32 * 14 * 14 }, 10>);

network! {
    /// `nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Linear(50, 20), nn.ReLU(), nn.Linear(20, 1))`
    pub struct Regressor = Sequential(Linear<10, 50>, ReLU, Linear<50, 20>, ReLU, Linear<20, 1>);
}

network! {
    /// The seed's `MySequential(nn.Linear(25, 100), nn.ReLU(), nn.Linear(100, 10))`: the blocks
    /// run in order, and it prints under its own name.
    #[module(name = "MySequential")]
    pub struct MySequential = Sequential(Linear<25, 100>, ReLU, Linear<100, 10>);
}

network! {
    /// `self.layers = nn.ModuleList([nn.Linear(100, 100) for _ in range(50)])`, 50 layers deep.
    #[module(name = "MyModel")]
    pub struct Deep {
        layers: [Linear<100, 100>; 50],
    }
    fn forward(x: [B, 100]) -> [B, 100] {
        let mut x = x;
        for layer in layers {
            x = layer(x);
        }
        x
    }
}

/// A `ModuleList` whose length is chosen at run time: a `Vec` field, with a hand-written forward.
#[derive(Module)]
#[module(name = "MyModel")]
struct DeepVec {
    layers: Vec<Linear<100, 100>>,
}

impl DeepVec {
    fn new(depth: usize) -> DeepVec {
        DeepVec { layers: (0..depth).map(|_| Linear::new()).collect() }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.layers.iter().fold(x.shallow_clone(), |x, layer| layer.forward(&x))
    }
}

/// `nn.Sequential(*layers)` with `layers` built at run time: a flattened `Vec` of boxed layers,
/// whose forward calls each through [`DynLayer`].
#[derive(Module)]
#[module(name = "Sequential")]
struct DynSequential {
    #[module(flatten)]
    layers: Vec<Box<dyn DynLayer>>,
}

impl DynSequential {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.layers.iter().fold(x.shallow_clone(), |x, layer| layer.forward_dyn(&x))
    }
}

/// The seed's `nn.ModuleDict({"conv": nn.Conv2d(1, 32, 3, 1), "fc": nn.Linear(32 * 26 * 26, 10)})`.
#[derive(Module)]
#[module(name = "MyModel")]
struct ConvDict {
    layers: ModuleDict<Box<dyn DynLayer>>,
}

impl ConvDict {
    fn new() -> ConvDict {
        let layers = ModuleDict::new()
            .with_layer("conv", Conv2d::<1, 32, 3>::new())
            .with_layer("fc", Linear::<{ 32 * 26 * 26 }, 10>::new());
        ConvDict { layers }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.layers["conv"].forward_dyn(x);
        let x = x.view([x.size()[0] as isize, -1]); // x.view(x.size(0), -1)
        self.layers["fc"].forward_dyn(&x)
    }
}

/// PyTorch's documentation example: the layer and the activation are chosen by name per call.
#[derive(Module)]
struct Choices {
    choices: ModuleDict<Box<dyn DynLayer>>,
    activations: ModuleDict<Box<dyn DynLayer>>,
}

impl Choices {
    fn new() -> Choices {
        Choices {
            choices: ModuleDict::new().with_layer("conv", Conv2d::<10, 10, 3>::new()).with_layer("pool", MaxPool2d::new(3)),
            activations: ModuleDict::new().with_layer("lrelu", LeakyReLU::new(0.01)).with_layer("relu", ReLU),
        }
    }
    fn forward(&self, x: &Tensor, choice: &str, act: &str) -> Tensor {
        self.activations[act].forward_dyn(&self.choices[choice].forward_dyn(x))
    }
}

/// `['a', 'b']`, as Python prints a list of strings.
fn py_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let quoted: Vec<String> = items.into_iter().map(|s| format!("'{}'", s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

fn sequential(out: &mut String) -> fmt::Result {
    writeln!(out, "## nn.Sequential")?;
    let model = ConvSeq(Conv2d::new().stride(1).padding(1), ReLU, MaxPool2d::new(2).stride(2), Linear::new());
    writeln!(out, "# print(model)\n{model}")?;
    writeln!(out, "# [k for k in model.state_dict()]\n{}", py_list(model.state_dict_keys()))?;

    let model = Regressor::new();
    let output = model.forward(&Tensor::randn(&[32, 10]));
    writeln!(out, "# model(torch.randn(32, 10)).shape, output[:3]\n{:?}\n{}", output.shape(), output.slice(s![..3]))?;

    let mlp = MySequential::new();
    writeln!(out, "# print(mlp)\n{mlp}")?;
    writeln!(out, "# mlp(torch.rand(2, 25))\n{}", mlp.forward(&Tensor::rand(&[2, 25])))
}

fn module_list(out: &mut String) -> fmt::Result {
    writeln!(out, "## nn.ModuleList")?;
    let model = Deep::new();
    writeln!(out, "# print(model)\n{model}")?;
    let keys = model.state_dict_keys();
    writeln!(out, "# len(list(model.parameters())), model.state_dict_keys[-2:]\n{} {}", model.parameters().len(), py_list(&keys[keys.len() - 2..]))?;
    let y = model.forward(&Tensor::randn(&[2, 100]));
    writeln!(out, "# model(torch.randn(2, 100))[:, :4]\n{}", y.slice(s![.., ..4]))?;
    writeln!(out, "# y.std()\n{}", y.std(true))?;

    let depth = 3; // known only at run time
    let model = DeepVec::new(depth);
    writeln!(out, "# nn.ModuleList([nn.Linear(100, 100) for _ in range(depth)]), depth = 3\n{model}")?;
    writeln!(out, "# model(torch.randn(2, 100)).shape\n{:?}", model.forward(&Tensor::randn(&[2, 100])).shape())?;

    let layers: Vec<Box<dyn DynLayer>> = vec![Box::new(Linear::<4, 8>::new()), Box::new(ReLU), Box::new(Linear::<8, 2>::new())];
    let model = DynSequential { layers };
    writeln!(out, "# nn.Sequential(*[nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)])\n{model}")?;
    writeln!(out, "# model(torch.rand(1, 4))\n{}", model.forward(&Tensor::rand(&[1, 4])))
}

fn module_dict(out: &mut String) -> fmt::Result {
    writeln!(out, "## nn.ModuleDict")?;
    let model = ConvDict::new();
    writeln!(out, "# print(model)\n{model}")?;
    writeln!(out, "# list(model.layers.keys()), list(model.state_dict().keys())\n{} {}", py_list(model.layers.keys()), py_list(model.state_dict_keys()))?;
    writeln!(out, "# model(torch.randn(2, 1, 28, 28))\n{}", model.forward(&Tensor::randn(&[2, 1, 28, 28])))?;

    let model = Choices::new();
    writeln!(out, "# print(choices_model)\n{model}")?;
    let x = Tensor::randn(&[1, 10, 6, 6]);
    for (choice, act) in [("conv", "lrelu"), ("pool", "relu")] {
        let y = model.forward(&x, choice, act);
        writeln!(out, "# model(x, '{choice}', '{act}').shape, [0, 0]\n{:?}\n{}", y.shape(), y.slice(s![0, 0]))?;
    }
    Ok(())
}

/// Everything the example prints, after `manual_seed(0)`.
pub fn transcript() -> String {
    manual_seed(0);
    let mut out = String::new();
    for section in [sequential, module_list, module_dict] {
        section(&mut out).expect("writing to a String cannot fail");
    }
    out
}

#[allow(dead_code)] // the integration test includes this file as a module and calls `transcript`
fn main() {
    print!("{}", transcript());
}

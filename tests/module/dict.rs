//! `ModuleDict` as a field of `#[derive(Module)]` structs: keys, reprs, module lists and
//! forwards against PyTorch's `nn.ModuleDict` (expected values printed by PyTorch 2.x in the venv;
//! the Python producing each is in the comment above it).

// The expected values are PyTorch's, rounded to 8 significant digits.
#![allow(clippy::excessive_precision)]

use fusenet::module::{DynLayer, ModuleDict};
use fusenet::nn::{Conv2d, Dropout, LeakyReLU, Linear, MaxPool2d, ReLU, Tanh};
use fusenet::prelude::*;
use fusenet::s;

/// The seed's (004) `MyModel`:
/// ```python
/// class MyModel(nn.Module):
///     def __init__(self):
///         super().__init__()
///         self.layers = nn.ModuleDict({"conv": nn.Conv2d(1, 32, 3, 1), "fc": nn.Linear(32 * 26 * 26, 10)})
///     def forward(self, x):
///         x = self.layers["conv"](x)
///         x = x.view(x.size(0), -1)
///         return self.layers["fc"](x)
/// ```
#[derive(Module)]
struct MyModel {
    layers: ModuleDict<Box<dyn DynLayer>>,
}

impl MyModel {
    fn new() -> MyModel {
        let layers = ModuleDict::new()
            .with_layer("conv", Conv2d::<1, 32, 3>::new())
            .with_layer("fc", Linear::<{ 32 * 26 * 26 }, 10>::new());
        MyModel { layers }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.layers["conv"].forward_dyn(x);
        let x = x.view([x.size()[0] as isize, -1]);
        self.layers["fc"].forward_dyn(&x)
    }
}

/// PyTorch's documentation example, with `ReLU` for `PReLU`:
/// ```python
/// self.choices = nn.ModuleDict({'conv': nn.Conv2d(10, 10, 3), 'pool': nn.MaxPool2d(3)})
/// self.activations = nn.ModuleDict([['lrelu', nn.LeakyReLU()], ['relu', nn.ReLU()]])
/// def forward(self, x, choice, act):
///     return self.activations[act](self.choices[choice](x))
/// ```
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

/// The same model with `Box<dyn Module>` values (no forward through the dict).
#[derive(Module)]
struct Plain {
    choices: ModuleDict,
    head: Linear<4, 2>,
}

fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "element {i}: got {g}, want {w} (tolerance {tol})");
    }
}

#[test]
fn seed_model_keys_shapes_modules_and_repr() {
    let m = MyModel::new();
    // list(m.state_dict().keys())
    assert_eq!(m.state_dict_keys(), ["layers.conv.weight", "layers.conv.bias", "layers.fc.weight", "layers.fc.bias"]);
    // [(k, tuple(v.shape)) for k, v in m.named_parameters()]
    let shapes: Vec<(String, Vec<usize>)> = m.named_parameters().into_iter().map(|(k, p)| (k, p.shape().to_vec())).collect();
    let want: Vec<(String, Vec<usize>)> = vec![
        ("layers.conv.weight".into(), vec![32, 1, 3, 3]),
        ("layers.conv.bias".into(), vec![32]),
        ("layers.fc.weight".into(), vec![10, 21632]),
        ("layers.fc.bias".into(), vec![10]),
    ];
    assert_eq!(shapes, want);
    // [k for k, _ in m.named_modules()]
    let names: Vec<String> = m.named_modules().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["", "layers", "layers.conv", "layers.fc"]);
    // str(m)
    assert_eq!(
        m.to_string(),
        "MyModel(\n  (layers): ModuleDict(\n    (conv): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))\n    \
         (fc): Linear(in_features=21632, out_features=10, bias=True)\n  )\n)"
    );
}

#[test]
fn seed_model_forward_equals_torch_after_the_same_seed() {
    // torch.manual_seed(0); m = MyModel(); x = torch.rand(2, 1, 28, 28); m(x).tolist()
    manual_seed(0);
    let m = MyModel::new();
    let x = Tensor::rand(&[2, 1, 28, 28]);
    let y = m.forward(&x);
    assert_eq!(y.shape(), &[2, 10]);
    #[rustfmt::skip]
    let want = [
        0.012769616, 0.033035006, 0.16818634, -0.023849329, 0.075112402, -0.28405321, 0.16283840, 0.076981947, -0.56471968, -0.20044111,
        0.017838001, 0.073787302, 0.12774062, 0.15850557, 0.23734213, -0.36118382, 0.17873921, 0.0069479235, -0.43118781, -0.096202075,
    ];
    assert_close(&y.to_vec::<f32>(), &want, 1e-5);
}

#[test]
fn choices_by_name_at_run_time_equal_torch() {
    let c = Choices::new();
    // list(c.state_dict().keys()); [k for k, _ in c.named_modules()]
    assert_eq!(c.state_dict_keys(), ["choices.conv.weight", "choices.conv.bias"]);
    let names: Vec<String> = c.named_modules().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["", "choices", "choices.conv", "choices.pool", "activations", "activations.lrelu", "activations.relu"]);
    // str(c)
    assert_eq!(
        c.to_string(),
        "Choices(\n  (choices): ModuleDict(\n    (conv): Conv2d(10, 10, kernel_size=(3, 3), stride=(1, 1))\n    \
         (pool): MaxPool2d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)\n  )\n  \
         (activations): ModuleDict(\n    (lrelu): LeakyReLU(negative_slope=0.01)\n    (relu): ReLU()\n  )\n)"
    );

    // torch.manual_seed(0); c = Choices(); x = torch.randn(1, 10, 6, 6)
    manual_seed(0);
    let c = Choices::new();
    let x = Tensor::randn(&[1, 10, 6, 6]);
    // a = c(x, 'conv', 'lrelu'); a.flatten()[:6].tolist(), a.sum().item()
    let a = c.forward(&x, "conv", "lrelu");
    assert_eq!(a.shape(), &[1, 10, 4, 4]);
    let want_a = [-0.0034122281, 0.61017323, -0.00092237856, -0.0034908382, 0.51502687, 0.56456023];
    assert_close(&a.flatten(0, -1).slice(s![..6]).to_vec::<f32>(), &want_a, 1e-5);
    assert!((a.sum_all() - 39.618980).abs() < 1e-3);
    // b = c(x, 'pool', 'relu')
    let b = c.forward(&x, "pool", "relu");
    assert_eq!(b.shape(), &[1, 10, 2, 2]);
    let want_b = [0.56788307, 2.2975423, 2.0820079, 0.89305359, 1.0575953, 1.2602698];
    assert_close(&b.flatten(0, -1).slice(s![..6]).to_vec::<f32>(), &want_b, 1e-5);
    assert!((b.sum_all() - 58.700062).abs() < 1e-3);
}

#[test]
fn boxed_module_values_downcast_and_load() {
    let mut p = Plain {
        choices: ModuleDict::new().with_module("fc", Linear::<4, 4>::new()).with_module("act", Tanh),
        head: Linear::new(),
    };
    assert_eq!(p.state_dict_keys(), ["choices.fc.weight", "choices.fc.bias", "head.weight", "head.bias"]);
    let fc = p.choices.get_as::<Linear<4, 4>>("fc").expect("a Linear<4, 4>");
    assert_eq!(fc.weight.shape(), &[4, 4]);
    assert!(p.choices.get_as::<Linear<4, 2>>("fc").is_none());
    assert!(p.choices["act"].is::<Tanh>());

    // A state dict with new values loads into the dict's entries, in place.
    let sd = p.state_dict();
    let fresh = Plain {
        choices: ModuleDict::new().with_module("fc", Linear::<4, 4>::new()).with_module("act", Tanh),
        head: Linear::new(),
    };
    p.load_state_dict(&fresh.state_dict()).expect("same architecture");
    let w = p.choices.get_as::<Linear<4, 4>>("fc").unwrap().weight.value();
    assert!(w.equal(&fresh.choices.get_as::<Linear<4, 4>>("fc").unwrap().weight.value()));
    assert!(w.equal(sd.get("choices.fc.weight").unwrap()), "state_dict tensors share the module's storage");

    // A key the dict does not have is an error naming it.
    let mut other = Plain { choices: ModuleDict::new().with_module("conv", Linear::<4, 4>::new()), head: Linear::new() };
    let err = other.load_state_dict(&p.state_dict()).unwrap_err().to_string();
    assert!(err.contains("choices.conv.weight") && err.contains("choices.fc.weight"), "{err}");
}

#[test]
fn apply_train_eval_and_share_reach_every_entry() {
    #[derive(Module)]
    struct Net {
        blocks: ModuleDict<Box<dyn DynLayer>>,
    }
    let mut net = Net { blocks: ModuleDict::new().with_layer("fc", Linear::<3, 3>::new()).with_layer("drop", Dropout::new(0.5)) };
    let mut visited = Vec::new();
    net.apply(&mut |path, _| visited.push(path.to_owned()));
    assert_eq!(visited, ["blocks.fc", "blocks.drop", "blocks", ""]);

    net.eval();
    assert!(!net.is_training());
    let x = Tensor::ones(&[2, 3]);
    assert!(net.blocks["drop"].forward_dyn(&x).equal(&x), "Dropout is the identity in eval mode");
    net.train();
    assert!(net.is_training());

    let tied = net.share();
    let a = net.get_parameter("blocks.fc.weight").unwrap();
    let b = tied.get_parameter("blocks.fc.weight").unwrap();
    assert!(a.same_as(b));
}

#[test]
fn concrete_values_and_nested_dicts() {
    #[derive(Module)]
    struct Heads {
        heads: ModuleDict<Linear<2, 1>>,
        nested: ModuleDict<ModuleDict<Linear<1, 1>>>,
    }
    let h = Heads {
        heads: [("a", Linear::new()), ("b", Linear::new())].into(),
        nested: [("inner", [("x", Linear::new())].into())].into(),
    };
    // nn.ModuleDict({'a': Linear(2, 1), 'b': Linear(2, 1)}) and
    // nn.ModuleDict({'inner': nn.ModuleDict({'x': Linear(1, 1)})}) as fields `heads`, `nested`
    assert_eq!(
        h.state_dict_keys(),
        ["heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias", "nested.inner.x.weight", "nested.inner.x.bias"]
    );
    assert_eq!(
        h.nested.to_string(),
        "ModuleDict(\n  (inner): ModuleDict(\n    (x): Linear(in_features=1, out_features=1, bias=True)\n  )\n)"
    );
    let picked: Vec<usize> = ["b", "a"].iter().map(|k| h.heads[*k].forward(&Tensor::ones(&[5, 2])).shape()[0]).collect();
    assert_eq!(picked, [5, 5]);
}

#[test]
fn empty_dict_prints_like_torch() {
    // str(nn.ModuleDict())
    assert_eq!(ModuleDict::<Box<dyn Module>>::new().to_string(), "ModuleDict()");
}

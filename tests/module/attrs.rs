//! Every field form and attribute of `#[derive(Module)]`: generics, arrays, `Vec`, `Option`,
//! `Box`, `skip`, `rename`, `flatten`, `name`, `crate`; and train/eval propagation.

use crate::module_support;

use fusenet::nn::{Flatten, Identity, Linear, ReLU, Sigmoid, Tanh};
use fusenet::prelude::*;
use module_support::*;

/// A generic wrapper: type and const generics.
#[derive(Module)]
struct Residual<M, const N: usize> {
    inner: M,
    #[module(skip)]
    scale: [f32; N],
}

#[test]
fn generic_struct() {
    let r = Residual { inner: Linear::<3, 3>::new(), scale: [0.5; 2] };
    assert_eq!(r.state_dict_keys(), ["inner.weight", "inner.bias"]);
    assert_eq!(r.to_string(), "Residual(\n  (inner): Linear(in_features=3, out_features=3, bias=True)\n)");
    let s = r.share();
    assert!(s.inner.weight.same_as(&r.inner.weight));
    assert_eq!(s.scale, [0.5; 2], "skipped fields are cloned by share");
}

#[derive(Module)]
struct Stack {
    layers: [Linear<2, 2>; 3],
    heads: Vec<Linear<2, 1>>,
    act: ReLU,
}

#[test]
fn arrays_and_vecs_are_module_lists() {
    let s = Stack { layers: std::array::from_fn(|_| Linear::new()), heads: vec![Linear::new(), Linear::new()], act: ReLU };
    assert_eq!(
        s.state_dict_keys(),
        [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias",
            "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"
        ]
    );
    // PyTorch's ModuleList repr groups equal neighbours: `(0-2): 3 x Linear(...)`.
    assert_eq!(
        s.to_string(),
        "Stack(\n  (layers): ModuleList(\n    (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n  )\n  \
         (heads): ModuleList(\n    (0-1): 2 x Linear(in_features=2, out_features=1, bias=True)\n  )\n  (act): ReLU()\n)"
    );
    let modules: Vec<String> = s.named_modules().into_iter().map(|(k, m)| format!("{k}={}", m.type_name())).collect();
    assert_eq!(modules[..3], ["=Stack", "layers=ModuleList", "layers.0=Linear"]);
}

#[derive(Module)]
struct MaybeHead {
    body: Linear<4, 4>,
    head: Option<Linear<4, 2>>,
    extra: Option<Param>,
}

#[test]
fn option_fields_vanish_when_none() {
    let mut m = MaybeHead { body: Linear::new(), head: None, extra: None };
    assert_eq!(m.state_dict_keys(), ["body.weight", "body.bias"]);
    assert_eq!(m.to_string(), "MaybeHead(\n  (body): Linear(in_features=4, out_features=4, bias=True)\n)");
    m.head = Some(Linear::new());
    m.extra = Some(Param::new(Tensor::zeros(&[2])));
    // A module's own parameters come before its children's, as in PyTorch.
    assert_eq!(m.state_dict_keys(), ["extra", "body.weight", "body.bias", "head.weight", "head.bias"]);
}

#[derive(Module)]
struct Renamed {
    #[module(rename = "block 0")]
    first: Linear<2, 2>,
    #[module(rename = "type")]
    r#kind: Identity,
    r#loop: Tanh,
    #[module(skip)]
    width: usize,
}

#[test]
fn rename_and_raw_identifiers() {
    let m = Renamed { first: Linear::new(), r#kind: Identity, r#loop: Tanh, width: 3 };
    assert_eq!(m.state_dict_keys(), ["block 0.weight", "block 0.bias"]);
    let children: Vec<String> = m.named_children().into_iter().map(|(k, _)| k).collect();
    assert_eq!(children, ["block 0", "type", "loop"]);
    assert_eq!(m.width, 3);
}

#[derive(Module)]
#[module(name = "Sequential")]
struct Flat {
    stem: Linear<2, 4>,
    #[module(flatten)]
    body: Vec<Box<dyn Module>>,
    #[module(flatten, rename = "head {}")]
    heads: [Linear<4, 1>; 2],
}

#[test]
fn flatten_with_and_without_a_pattern() {
    let m = Flat { stem: Linear::new(), body: vec![Box::new(Sigmoid), Box::new(Flatten::default())], heads: [Linear::new(), Linear::new()] };
    let children: Vec<String> = m.named_children().into_iter().map(|(k, _)| k).collect();
    assert_eq!(children, ["stem", "0", "1", "head 0", "head 1"]);
    assert_eq!(m.state_dict_keys(), ["stem.weight", "stem.bias", "head 0.weight", "head 0.bias", "head 1.weight", "head 1.bias"]);
    assert!(m.to_string().contains("\n  (1): Flatten(start_dim=1, end_dim=-1)\n"));
}

#[derive(Module)]
struct Unit;

#[derive(Module)]
#[module(crate = "fusenet")]
struct WithCratePath(Linear<1, 1>);

#[test]
fn unit_struct_and_crate_path() {
    assert_eq!(Unit.to_string(), "Unit()");
    assert_eq!(Unit::STATE_DICT_KEYS, [] as [&str; 0]);
    assert!(Unit.state_dict().is_empty());
    assert_eq!(WithCratePath(Linear::new()).state_dict_keys(), ["0.weight", "0.bias"]);
}

#[derive(Module)]
struct Leaf {
    w: Param,
    #[module(rename = "b")]
    bias: Param,
    #[module(skip)]
    note: String,
}

#[test]
fn state_dict_keys_const_for_param_only_structs() {
    assert_eq!(Leaf::STATE_DICT_KEYS, ["w", "b"]);
    let leaf = Leaf { w: Param::new(Tensor::zeros(&[1])), bias: Param::new(Tensor::zeros(&[1])), note: String::new() };
    assert_eq!(leaf.state_dict_keys(), Leaf::STATE_DICT_KEYS);
    assert_eq!(leaf.note, "");
}

#[test]
fn train_and_eval_propagate() {
    let mut net = ModelWithBatchNorm { fc1: Linear::new(), bn1: BatchNorm1d::new(256), fc2: Linear::new() };
    assert!(net.is_training());
    net.eval();
    assert!(!net.bn1.training && !net.is_training());
    net.train();
    assert!(net.bn1.training && net.is_training());
    net.set_training(false);
    assert!(!net.bn1.training);
    // Nothing in an MLP depends on the mode.
    let mut mlp = Seq481(Linear::new(), ReLU, Linear::new());
    mlp.eval();
    assert!(mlp.is_training());
}

#[test]
fn boxed_trait_objects_expose_everything() {
    let net: Box<dyn Module> = Box::new(NestMLP::new());
    assert_eq!(net.named_modules().len(), 7);
    assert_eq!(net.type_name(), "NestMLP");
    assert!(net.downcast_ref::<NestMLP>().is_some());
    assert_eq!(format!("{net}"), torch_repr("nestmlp"));
}

/// `#[module(persistent = ...)]` on buffer fields: PyTorch's `register_buffer(..., persistent=False)`.
#[derive(Module)]
struct WithBuffers {
    weight: Param,
    #[module(persistent = false)]
    scratch: Buffer,
    /// Built non-persistent, forced persistent by the attribute.
    #[module(persistent = true)]
    stats: Buffer,
    plain: Buffer,
    #[module(persistent = false)]
    history: Vec<Buffer>,
}

#[test]
fn persistent_attribute_decides_state_dict_membership() {
    let m = WithBuffers {
        weight: Param::new(Tensor::zeros(&[2])),
        scratch: Buffer::new(Tensor::zeros(&[3])),
        stats: Buffer::non_persistent(Tensor::ones(&[1])),
        plain: Buffer::new(Tensor::zeros(&[1])),
        history: vec![Buffer::new(Tensor::zeros(&[1])), Buffer::new(Tensor::zeros(&[1]))],
    };
    let buffers: Vec<String> = m.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(buffers, ["scratch", "stats", "plain", "history.0", "history.1"]);
    assert_eq!(m.state_dict().keys().collect::<Vec<_>>(), ["weight", "stats", "plain"]);
    assert!(!m.scratch.is_persistent() && m.stats.is_persistent());
}

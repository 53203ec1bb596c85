//! `ConstKeys::STATE_DICT_KEYS`: the state-dict keys that `#[derive(Module)]`, the built-in layers
//! and `network!` know at compile time, against `state_dict_keys()` of the default-built module.

use crate::module_support;

use fusenet::module::{ConstKeys, FieldConstKeys, FieldKeys, KeyList};
use fusenet::nn::{
    BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, CrossEntropyLoss, Dropout, Embedding, Flatten, GRU, Identity, LSTM, LayerNorm,
    Linear, MaxPool2d, ReLU, RNN, Sigmoid, Tanh,
};
use fusenet::prelude::*;

/// The const is `Some` and equals the keys of `m` at run time.
#[track_caller]
fn known<M: Module + ConstKeys>(m: &M) -> &'static [&'static str] {
    let keys = M::STATE_DICT_KEYS.unwrap_or_else(|| panic!("{}: keys not known at compile time", m.type_name()));
    assert_eq!(m.state_dict_keys(), keys, "{}", m.type_name());
    keys
}

/// The const of `M`, forced to compile time.
macro_rules! at_compile_time {
    ($t:ty) => {{
        const K: Option<&[&str]> = <$t as ConstKeys>::STATE_DICT_KEYS;
        K
    }};
}

fn param(shape: &[usize]) -> Param {
    Param::new(Tensor::zeros(shape))
}

#[test]
fn built_in_layers() {
    assert_eq!(known(&Linear::<3, 2>::new()), ["weight", "bias"]);
    assert_eq!(known(&Conv2d::<1, 6, 5>::new()), ["weight", "bias"]);
    assert_eq!(known(&Conv1d::<2, 4, 3>::new()), ["weight", "bias"]);
    assert_eq!(known(&BatchNorm2d::<6>::new()), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    assert_eq!(known(&BatchNorm1d::<6>::new()).len(), 5);
    assert_eq!(known(&LayerNorm::new(&[4])), ["weight", "bias"]);
    assert_eq!(known(&Embedding::<10, 3>::new()), ["weight"]);
    for keys in [known(&LSTM::<3, 4>::new()), known(&GRU::<3, 4>::new()), known(&RNN::<3, 4>::new())] {
        assert_eq!(keys, ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
    }
    for keys in [known(&ReLU), known(&Sigmoid), known(&Tanh), known(&Identity), known(&Flatten::default())] {
        assert!(keys.is_empty());
    }
    assert!(known(&MaxPool2d::new(2)).is_empty());
    assert!(known(&Dropout::new(0.5)).is_empty());
    assert!(known(&CrossEntropyLoss::new()).is_empty());
    // The const describes `new()`: a layer built without a bias has other keys.
    assert_eq!(Linear::<3, 2>::no_bias().state_dict_keys(), ["weight"]);
}

#[derive(Module)]
struct Inner {
    fc: Linear<2, 3>,
    act: ReLU,
}

#[derive(Module)]
struct Outer {
    net: Inner,
    #[module(rename = "head 1")]
    head: Linear<3, 1>,
    #[module(skip)]
    note: String,
}

fn outer() -> Outer {
    Outer { net: Inner { fc: Linear::new(), act: ReLU }, head: Linear::new(), note: String::from("x") }
}

#[test]
fn nested_renamed_and_skipped() {
    const KEYS: &[&str] = match Outer::STATE_DICT_KEYS {
        Some(k) => k,
        None => panic!("Outer's keys are known"),
    };
    const _: () = assert!(KEYS.len() == 4);
    assert_eq!(KEYS, ["net.fc.weight", "net.fc.bias", "head 1.weight", "head 1.bias"]);
    let o = outer();
    assert_eq!(known(&o), KEYS);
    assert_eq!(o.note, "x");
}

#[derive(Module)]
struct Wrap<M> {
    inner: M,
    out: Linear<1, 1>,
}

#[derive(Module)]
struct Stack<const N: usize> {
    layers: [Linear<2, 2>; N],
}

#[test]
fn generic_structs() {
    let w = Wrap { inner: Embedding::<4, 1>::new(), out: Linear::new() };
    assert_eq!(known(&w), ["inner.weight", "out.weight", "out.bias"]);
    let ww = Wrap { inner: Wrap { inner: ReLU, out: Linear::new() }, out: Linear::new() };
    assert_eq!(known(&ww), ["inner.out.weight", "inner.out.bias", "out.weight", "out.bias"]);
    let s = Stack::<3> { layers: std::array::from_fn(|_| Linear::new()) };
    assert_eq!(known(&s)[4..], ["layers.2.weight", "layers.2.bias"]);
    assert_eq!(at_compile_time!(Stack<0>), Some(&[][..]));
    assert_eq!(at_compile_time!(Stack<40>).map(<[_]>::len), Some(80));
    // A generic field whose type has no compile-time keys makes the whole list unknown.
    assert_eq!(at_compile_time!(Wrap<Vec<Linear<1, 1>>>), None);
}

#[derive(Module)]
#[module(name = "Sequential")]
struct Seq(Linear<4, 8>, ReLU, Linear<8, 1>);

#[derive(Module)]
struct Arrays {
    blocks: [Seq; 2],
    #[module(flatten, rename = "head {}")]
    heads: [Linear<1, 1>; 2],
    #[module(flatten)]
    ws: [Param; 2],
}

#[test]
fn tuple_array_and_flatten() {
    assert_eq!(known(&Seq(Linear::new(), ReLU, Linear::new())), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    let a = Arrays {
        blocks: std::array::from_fn(|_| Seq(Linear::new(), ReLU, Linear::new())),
        heads: std::array::from_fn(|_| Linear::new()),
        ws: std::array::from_fn(|_| param(&[1])),
    };
    // Own parameters first (the flattened `ws` are "0" and "1"), then children, as PyTorch.
    assert_eq!(
        known(&a),
        [
            "0", "1", "blocks.0.0.weight", "blocks.0.0.bias", "blocks.0.2.weight", "blocks.0.2.bias", "blocks.1.0.weight",
            "blocks.1.0.bias", "blocks.1.2.weight", "blocks.1.2.bias", "head 0.weight", "head 0.bias", "head 1.weight", "head 1.bias"
        ]
    );
}

#[derive(Module)]
struct Buffers {
    child: Linear<2, 2>,
    #[module(persistent = false)]
    scratch: Buffer,
    stats: Buffer,
    #[module(persistent = true)]
    count: Buffer,
    w: Param,
    #[module(persistent = false)]
    maybe: Option<Buffer>,
}

#[test]
fn buffers_persistent_and_not_in_pytorch_order() {
    let b = Buffers {
        child: Linear::new(),
        scratch: Buffer::new(Tensor::zeros(&[1])),
        stats: Buffer::new(Tensor::zeros(&[1])),
        count: Buffer::non_persistent(Tensor::zeros(&[1])),
        w: param(&[1]),
        maybe: Some(Buffer::new(Tensor::zeros(&[1]))),
    };
    assert_eq!(known(&b), ["w", "stats", "count", "child.weight", "child.bias"]);
}

#[test]
fn tied_layers_are_listed_at_each_position() {
    let t = module_support::Tied::new();
    let keys = known(&t);
    assert_eq!(keys, ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"]);
    assert_eq!(t.named_parameters().len(), 6);
}

#[derive(Module)]
struct Optional {
    body: Linear<2, 2>,
    head: Option<Linear<2, 1>>,
}

#[derive(Module)]
struct OptionalActivation {
    body: Linear<2, 2>,
    act: Option<ReLU>,
}

#[derive(Module)]
struct Dynamic {
    layers: Vec<Linear<2, 2>>,
}

#[derive(Module)]
struct Boxed {
    a: Box<Linear<2, 2>>,
    b: Box<dyn Module>,
}

#[test]
fn run_time_choices_are_not_known() {
    // `Some` or `None` is the constructor's choice: both exist and give different keys.
    assert_eq!(Optional::STATE_DICT_KEYS, None);
    let mut o = Optional { body: Linear::new(), head: None };
    assert_eq!(o.state_dict_keys().len(), 2);
    o.head = Some(Linear::new());
    assert_eq!(o.state_dict_keys().len(), 4);
    // An `Option` of a layer without keys adds none either way.
    assert_eq!(known(&OptionalActivation { body: Linear::new(), act: Some(ReLU) }), ["body.weight", "body.bias"]);
    assert_eq!(OptionalActivation { body: Linear::new(), act: None }.state_dict_keys(), ["body.weight", "body.bias"]);
    assert_eq!(Dynamic::STATE_DICT_KEYS, None);
    assert_eq!(module_support::MySequential::STATE_DICT_KEYS, None);
    assert_eq!(Boxed::STATE_DICT_KEYS, None);
    assert_eq!(at_compile_time!(Box<Linear<2, 2>>), Some(&["weight", "bias"][..]));
    assert_eq!(<Option<Linear<2, 2>> as FieldConstKeys>::FIELD_KEYS, FieldKeys::Unknown);
    assert_eq!(<Option<ReLU> as FieldConstKeys>::FIELD_KEYS, FieldKeys::Module(Some(&[])));
}

#[derive(Module)]
#[module(state_dict_keys = none)]
struct BuiltWithoutBias {
    fc: Linear<2, 2>,
}

#[derive(Module)]
#[module(state_dict_keys = &["fc.weight"])]
struct GivenKeys {
    fc: Linear<2, 2>,
}

#[test]
fn the_attribute_overrides_the_composed_keys() {
    assert_eq!(BuiltWithoutBias::STATE_DICT_KEYS, None);
    assert_eq!(BuiltWithoutBias { fc: Linear::no_bias() }.state_dict_keys(), ["fc.weight"]);
    assert_eq!(known(&GivenKeys { fc: Linear::no_bias() }), ["fc.weight"]);
}

/// A hand-written module that does not implement `ConstKeys`.
struct HandWritten;

impl Module for HandWritten {
    fn visit<'a>(&'a self, _: &mut dyn fusenet::module::Visitor<'a>) {}
    fn visit_mut(&mut self, _: &mut dyn fusenet::module::VisitorMut) {}
    fn type_name(&self) -> &'static str {
        "HandWritten"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
    fn as_module(&self) -> &dyn Module {
        self
    }
    fn as_module_mut(&mut self) -> &mut dyn Module {
        self
    }
    fn share(&self) -> Self {
        HandWritten
    }
    fn share_boxed(&self) -> Box<dyn Module> {
        Box::new(HandWritten)
    }
}

/// Deriving still works with such a field; only `ConstKeys` is not implemented (a use of the
/// const would not compile).
#[derive(Module)]
struct HoldsHandWritten {
    h: HandWritten,
    fc: Linear<1, 1>,
}

#[test]
fn a_field_without_const_keys_does_not_break_the_derive() {
    assert_eq!(HoldsHandWritten { h: HandWritten, fc: Linear::new() }.state_dict_keys(), ["fc.weight", "fc.bias"]);
}

#[test]
fn seed_models() {
    use module_support::*;
    assert_eq!(known(&RgNet::new())[..4], ["0.block 0.0.weight", "0.block 0.0.bias", "0.block 0.2.weight", "0.block 0.2.bias"]);
    assert_eq!(known(&RgNet::new())[4..6], ["0.block 1.0.weight", "0.block 1.0.bias"]);
    assert_eq!(known(&RgNet::new()).len(), 4 * 4 + 2);
    assert_eq!(known(&Mlp { hidden: Linear::new(), out: Linear::new() }), ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]);
    assert_eq!(known(&Seq481(Linear::new(), ReLU, Linear::new()))[2], "2.weight");
    assert_eq!(known(&NestMLP::new())[0], "net.0.weight");
    assert_eq!(known(&Chimera::new()).last(), Some(&"2.linear.bias"));
    assert_eq!(known(&MyLinearSeq(MyLinear::new(2, 2), MyLinear::new(2, 1))), ["0.weight", "0.bias", "1.weight", "1.bias"]);
    // The inherent const of a struct of parameters agrees with the trait's.
    assert_eq!(Some(MyLinear::STATE_DICT_KEYS), <MyLinear as ConstKeys>::STATE_DICT_KEYS);
}

network! {
    struct NoBiasNet {
        fc: Linear<4, 3> = Linear::no_bias(),
        out: Linear<3, 2>,
    }
    fn forward(x: [B, 4]) -> [B, 2] {
        out(relu(fc(x)))
    }
}

network! {
    struct Buffered {
        #[init(zeros)] scale: Param<[3]>,
        #[init(zeros)] #[persistent = false] cache: Buffer<[3]>,
        fc: Linear<3, 3>,
    }
    fn forward(x: [B, 3]) -> [B, 3] {
        fc(x) * scale
    }
}

#[test]
fn network_consts_agree_with_the_trait() {
    // `network!` reads the constructor: `no_bias()` has no `fc.bias`, and the trait says the same.
    let keys = known(&NoBiasNet::new());
    assert_eq!(keys, NoBiasNet::STATE_DICT_KEYS);
    assert_eq!(keys, ["fc.weight", "out.weight", "out.bias"]);
    let keys = known(&Buffered::new());
    assert_eq!(keys, Buffered::STATE_DICT_KEYS);
    assert_eq!(keys, ["scale", "fc.weight", "fc.bias"]);
}

#[test]
fn key_list_builder() {
    const L: KeyList = {
        let mut l = KeyList::new();
        l.push_leaf("w");
        l.push_child("block 1", Some(&["0.weight"]));
        l.push_repeat(12, FieldKeys::Parameter);
        l
    };
    assert_eq!(L.len(), 14);
    assert_eq!(L.get(1), "block 1.0.weight");
    assert_eq!(L.get(13), "11");
    assert!(L.is_known() && !L.is_empty());
    assert!(format!("{L:?}").starts_with(r#"["w", "block 1.0.weight", "0", "1""#));
    assert_eq!(L.iter().len(), 14);
    const _: () = assert!(L.eq_strs(&["w", "block 1.0.weight", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]));
    let mut u = KeyList::new();
    u.push_child("x", None);
    assert!(!u.is_known());
    assert_eq!(format!("{u:?}"), "unknown []");
    assert_ne!(u, KeyList::new());
    assert_eq!(KeyList::new(), [] as [&str; 0]);
}

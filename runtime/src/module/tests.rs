//! Unit tests of the provided methods, on hand-written modules (the derive is tested from the
//! facade crate's integration tests).

use super::*;
use crate::nn::{Linear, ReLU};
use crate::tensor::Tensor;

/// A hand-written container with an extra_repr and children, to test the repr's layout.
struct Block {
    scale: Param,
    stats: Buffer,
    layers: Vec<Box<dyn Module>>,
}

impl Module for Block {
    fn visit<'a>(&'a self, v: &mut dyn Visitor<'a>) {
        self.scale.visit_field("scale", v);
        self.stats.visit_field("stats", v);
        self.layers.visit_field("layers", v);
    }
    fn visit_mut(&mut self, v: &mut dyn VisitorMut) {
        self.scale.visit_field_mut("scale", v);
        self.stats.visit_field_mut("stats", v);
        self.layers.visit_field_mut("layers", v);
    }
    fn type_name(&self) -> &'static str {
        "Block"
    }
    fn extra_repr(&self) -> String {
        "scaled=True".into()
    }
    fn share(&self) -> Block {
        Block { scale: self.scale.share(), stats: self.stats.share(), layers: self.layers.share() }
    }
    crate::__module_boilerplate!();
}

fn block() -> Block {
    Block {
        scale: Param::new(Tensor::ones(&[2])),
        stats: Buffer::new(Tensor::zeros(&[2])),
        layers: vec![Box::new(Linear::<2, 2>::new()), Box::new(Linear::<2, 2>::new()), Box::new(ReLU), Box::new(Linear::<2, 2>::new())],
    }
}

// class Block(nn.Module) with extra_repr 'scaled=True' and self.layers = nn.ModuleList([...]): print(block)
#[test]
fn repr_puts_extra_repr_before_children_and_groups_module_lists() {
    assert_eq!(
        repr(&block()),
        "Block(\n  scaled=True\n  (layers): ModuleList(\n    (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n    \
         (2): ReLU()\n    (3): Linear(in_features=2, out_features=2, bias=True)\n  )\n)"
    );
    let empty: Vec<ReLU> = Vec::new();
    assert_eq!(repr(&empty), "ModuleList()");
}

#[test]
fn own_members_come_before_children() {
    let b = block();
    assert_eq!(
        b.state_dict_keys(),
        ["scale", "stats", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.3.weight", "layers.3.bias"]
    );
    let buffers: Vec<String> = b.named_buffers().into_iter().map(|(k, _)| k).collect();
    assert_eq!(buffers, ["stats"]);
    let modules: Vec<String> = b.named_modules().into_iter().map(|(k, _)| k).collect();
    assert_eq!(modules, ["", "layers", "layers.0", "layers.1", "layers.2", "layers.3"]);
}

#[test]
fn shared_children_are_listed_once_but_kept_in_the_state_dict() {
    let lin = Linear::<2, 2>::new();
    let b = Block { scale: Param::new(Tensor::ones(&[1])), stats: Buffer::new(Tensor::zeros(&[1])), layers: vec![Box::new(lin.share()), Box::new(lin)] };
    let modules: Vec<String> = b.named_modules().into_iter().map(|(k, _)| k).collect();
    assert_eq!(modules, ["", "layers", "layers.0"]);
    assert_eq!(b.named_parameters().len(), 3);
    assert_eq!(b.state_dict().len(), 6);
    assert_eq!(b.num_parameters(), 1 + 4 + 2);
}

#[test]
fn get_submodule_and_get_parameter() {
    let b = block();
    assert_eq!(b.get_submodule("layers.2").map(|m| m.type_name()), Some("ReLU"));
    assert!(b.get_submodule("layers.9").is_none());
    assert!(b.get_submodule("").is_some_and(|m| m.is::<Block>()));
    assert_eq!(b.get_parameter("layers.3.bias").map(|p| p.shape().to_vec()), Some(vec![2]));
    assert!(b.get_parameter("layers.2.weight").is_none());
}

#[test]
fn load_converts_dtypes_and_reads_strided_sources() {
    let mut b = block();
    let mut sd: StateDict = b.state_dict().iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    sd.insert("scale", Tensor::from_vec(vec![3i64, 4], &[2]));
    // A transposed (non-contiguous) source is read in logical order.
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    sd.insert("layers.0.weight", w.t());
    b.load_state_dict(&sd).expect("loads");
    assert_eq!(b.scale.value().to_vec::<f32>(), [3.0, 4.0]);
    assert_eq!(b.get_parameter("layers.0.weight").map(|p| p.value().to_vec::<f32>()), Some(vec![1.0, 3.0, 2.0, 4.0]));
}

#[test]
fn load_from_own_state_dict_is_a_no_op() {
    let mut b = block();
    let before = b.get_parameter("layers.1.weight").map(|p| p.value().to_vec::<f32>());
    let sd = b.state_dict();
    b.load_state_dict(&sd).expect("loads");
    assert_eq!(b.get_parameter("layers.1.weight").map(|p| p.value().to_vec::<f32>()), before);
}

#[test]
fn error_message_lists_the_report() {
    let mut b = block();
    let err = b.load_state_dict(&StateDict::new()).expect_err("everything missing");
    let msg = err.to_string();
    assert!(msg.contains("\"scale\"") && msg.contains("\"layers.3.bias\""), "{msg}");
}

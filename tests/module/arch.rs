//! The seed architectures, built with `#[derive(Module)]`, against PyTorch's own key lists,
//! shapes, module lists and reprs (`tests/fixtures/*.tsv`, `repr_*.txt`).

use crate::module_support;

use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;
use module_support::*;

#[test]
fn mlp_20_256_10() {
    let net = Mlp { hidden: Linear::new(), out: Linear::new() };
    assert_matches_torch("mlp", &net);
    assert_eq!(net.num_parameters(), 20 * 256 + 256 + 256 * 10 + 10);
}

#[test]
fn sequential_4_8_1_as_a_tuple_struct() {
    let net = Seq481(Linear::new(), ReLU, Linear::new());
    assert_matches_torch("seq_4_8_1", &net);
    assert_eq!(
        net.to_string(),
        "Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=8, out_features=1, bias=True)\n)"
    );
}

#[test]
fn rgnet_with_renamed_flattened_blocks() {
    let net = RgNet::new();
    assert_matches_torch("rgnet", &net);
    // rgnet[0][1][0].bias in PyTorch is "0.block 1.0.bias" here.
    let b = net.get_parameter("0.block 1.0.bias").expect("the bias of block 1's first Linear");
    assert!(b.same_as(net.0.blocks[1].0.bias.as_ref().expect("bias")));
    assert_eq!(net.get_submodule("0.block 3").map(|m| m.type_name()), Some("Sequential"));
    assert!(net.get_submodule("0.block 4").is_none());
}

#[test]
fn nest_mlp() {
    assert_matches_torch("nestmlp", &NestMLP::new());
}

#[test]
fn chimera_skips_the_constant_weight() {
    let net = Chimera::new();
    assert_matches_torch("chimera", &net);
    assert!(!net.state_dict_keys().iter().any(|k| k.contains("rand_weight")));
}

#[test]
fn tied_net() {
    assert_matches_torch("tied", &Tied::new());
}

#[test]
fn my_linear_seq_from_torch_randn() {
    manual_seed(0);
    let net = MyLinearSeq(MyLinear::new(64, 8), MyLinear::new(8, 1));
    assert_matches_torch("mylinear_seq", &net);
    assert_eq!(MyLinear::STATE_DICT_KEYS, ["weight", "bias"]);
}

#[test]
fn model_with_batch_norm_buffers() {
    let net = ModelWithBatchNorm { fc1: Linear::new(), bn1: BatchNorm1d::new(256), fc2: Linear::new() };
    assert_matches_torch("bn_mlp", &net);
    // Non-persistent buffers are listed by named_buffers but are not in the state dict.
    let mut bn = BatchNorm1d::new(3);
    bn.running_var = Buffer::non_persistent(Tensor::ones(&[3]));
    assert_eq!(bn.state_dict_keys(), ["weight", "bias", "running_mean", "num_batches_tracked"]);
    assert_eq!(bn.named_buffers().len(), 3);
}

#[test]
fn my_sequential_over_boxed_modules() {
    let net = MySequential(vec![Box::new(Linear::<20, 256>::new()), Box::new(ReLU), Box::new(Linear::<256, 10>::new())]);
    assert_eq!(net.state_dict_keys(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert_eq!(
        net.to_string(),
        "MySequential(\n  (0): Linear(in_features=20, out_features=256, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=256, out_features=10, bias=True)\n)"
    );
    // A boxed child downcasts to what is inside the box.
    let first = net.get_submodule("0").expect("child 0");
    assert!(first.downcast_ref::<Linear<20, 256>>().is_some());
    assert!(first.downcast_ref::<Linear<20, 10>>().is_none());
    assert!(net.get_submodule("1").is_some_and(|m| m.is::<ReLU>()));
    // share() ties every boxed layer.
    let tied = net.share();
    let w0 = |m: &MySequential| m.get_parameter("0.weight").map(|p| p.id());
    assert_eq!(w0(&tied), w0(&net));
}

//! Tied layers: `shared.share()` at two places, as PyTorch's reused `shared` module.

use crate::module_support;

use fusenet::prelude::*;
use module_support::*;

#[test]
fn named_parameters_list_a_tied_parameter_once_state_dict_twice() {
    let net = Tied::new();
    let names: Vec<String> = net.named_parameters().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias", "6.weight", "6.bias"]);
    assert_eq!(
        net.state_dict_keys(),
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "6.weight", "6.bias"]
    );
    assert_eq!(net.num_parameters(), 4 * 8 + 8 + 8 * 8 + 8 + 8 + 1);
    let children: Vec<String> = net.named_children().into_iter().map(|(k, _)| k).collect();
    assert_eq!(children, ["0", "1", "2", "3", "5", "6"]);
}

#[test]
fn writes_go_through_both_handles() {
    let net = Tied::new();
    // net[2].weight.data[0, 0] = 100
    let w2 = net.2.weight.value();
    w2.with_slice_mut::<f32, _>(|s| s[0] = 100.0);
    assert_eq!(net.4.weight.value().to_vec::<f32>()[0], 100.0);
    assert_eq!(net.2.weight.value().to_vec::<f32>(), net.4.weight.value().to_vec::<f32>());
    // The state dict shares storage with the module, under both keys.
    let sd = net.state_dict();
    assert!(sd["2.weight"].shares_storage(&sd["4.weight"]));
    assert!(sd["4.weight"].shares_storage(&net.2.weight.value()));
}

#[test]
fn gradients_are_shared_and_zero_grad_clears_them() {
    let net = Tied::new();
    net.2.weight.accumulate_grad(&Tensor::ones(&[8, 8]));
    net.4.weight.accumulate_grad(&Tensor::ones(&[8, 8]));
    assert_eq!(net.2.weight.grad().map(|g| g.to_vec::<f32>()[0]), Some(2.0));
    net.zero_grad();
    assert!(net.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
fn share_of_a_whole_network_ties_everything() {
    let a = NestMLP::new();
    let b = a.share();
    let ids = |m: &NestMLP| m.parameters().iter().map(|p| p.id()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    // A deep copy is the opposite: new storage.
    let c = NestMLP { net: NestSeq(a.net.0.share(), a.net.1, a.net.2.share(), a.net.3), linear: fusenet::nn::Linear::new() };
    assert_ne!(ids(&a), ids(&c));
}

#[test]
fn requires_grad_freezes_every_parameter() {
    let net = Tied::new();
    net.requires_grad_(false);
    assert!(net.parameters().iter().all(|p| !p.requires_grad()));
    net.requires_grad_(true);
    assert!(net.4.bias.as_ref().is_some_and(|b| b.requires_grad()));
}

//! `load_state_dict`: strict and non-strict, every problem listed at once, values copied into
//! the existing storage.

use crate::module_support;

use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;
use fusenet::state_dict::{LoadReport, ShapeMismatch};
use fusenet::Error;
use module_support::*;

fn seq() -> Seq481 {
    Seq481(Linear::new(), ReLU, Linear::new())
}

#[test]
fn round_trip_copies_into_existing_storage() {
    let src = seq();
    let mut dst = seq();
    let before = dst.0.weight.value();
    let tied_handle = dst.0.weight.share();
    dst.load_state_dict(&src.state_dict()).expect("same architecture");
    assert_eq!(dst.0.weight.value().to_vec::<f32>(), src.0.weight.value().to_vec::<f32>());
    assert!(before.shares_storage(&dst.0.weight.value()), "loaded in place");
    assert_eq!(tied_handle.value().to_vec::<f32>(), src.0.weight.value().to_vec::<f32>());
    // The loaded values are copies, not the source's storage.
    assert!(!dst.0.weight.value().shares_storage(&src.0.weight.value()));
}

#[test]
fn strict_load_lists_every_problem_and_changes_nothing() {
    let mut net = seq();
    let before = net.0.weight.value().to_vec::<f32>();
    let mut sd = StateDict::new();
    sd.insert("0.weight", Tensor::zeros(&[8, 4]));
    sd.insert("0.bias", Tensor::zeros(&[7]));
    sd.insert("2.weight", Tensor::zeros(&[1, 8]));
    sd.insert("extra.weight", Tensor::zeros(&[1]));
    let err = net.load_state_dict(&sd).expect_err("missing, unexpected and mismatched keys");
    let Error::LoadStateDict(report) = err else { panic!("expected Error::LoadStateDict, got {err}") };
    assert_eq!(
        report,
        LoadReport {
            missing_keys: vec!["2.bias".into()],
            unexpected_keys: vec!["extra.weight".into()],
            shape_mismatches: vec![ShapeMismatch { key: "0.bias".into(), expected: vec![8], found: vec![7] }],
        }
    );
    assert_eq!(net.0.weight.value().to_vec::<f32>(), before, "a failed load copies nothing");
}

#[test]
fn non_strict_load_reports_missing_and_unexpected() {
    let mut net = seq();
    let mut sd = StateDict::new();
    sd.insert("0.weight", Tensor::ones(&[8, 4]));
    sd.insert("head.bias", Tensor::zeros(&[3]));
    let report = net.load_state_dict_non_strict(&sd).expect("non-strict");
    assert_eq!(report.missing_keys, ["0.bias", "2.weight", "2.bias"]);
    assert_eq!(report.unexpected_keys, ["head.bias"]);
    assert_eq!(net.0.weight.value().to_vec::<f32>(), [1.0; 32]);
}

#[test]
fn non_strict_load_still_fails_on_a_shape_mismatch() {
    let mut net = seq();
    let mut sd = net.state_dict().iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<StateDict>();
    sd.insert("2.weight", Tensor::zeros(&[8, 1]));
    match net.load_state_dict_non_strict(&sd) {
        Err(Error::LoadStateDict(r)) => assert_eq!(r.shape_mismatches[0].found, [8, 1]),
        other => panic!("expected a shape mismatch, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn buffers_load_and_convert_dtype_like_copy_() {
    let mut bn = BatchNorm1d::new(3);
    let mut sd = bn.state_dict().iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<StateDict>();
    sd.insert("running_mean", Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]));
    sd.insert("num_batches_tracked", Tensor::from_vec(vec![7.0f32], &[]));
    bn.load_state_dict(&sd).expect("loads");
    assert_eq!(bn.running_mean.value().to_vec::<f32>(), [1.0, 2.0, 3.0]);
    assert_eq!(bn.num_batches_tracked.value().to_vec::<i64>(), [7]);
}

#[test]
fn tied_parameters_load_from_either_key() {
    let src = Tied::new();
    let mut dst = Tied::new();
    dst.load_state_dict(&src.state_dict()).expect("same architecture");
    assert!(dst.2.weight.same_as(&dst.4.weight));
    assert_eq!(dst.4.weight.value().to_vec::<f32>(), src.2.weight.value().to_vec::<f32>());
}

#[test]
fn nested_keys_load() {
    let src = RgNet::new();
    let mut dst = RgNet::new();
    dst.load_state_dict(&src.state_dict()).expect("same architecture");
    let key = "0.block 2.2.bias";
    assert_eq!(dst.state_dict()[key].to_vec::<f32>(), src.state_dict()[key].to_vec::<f32>());
}

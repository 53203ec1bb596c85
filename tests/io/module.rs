//! Modules through files: the d2l flow `torch.save(net.state_dict(), 'mlp.params')` /
//! `clone.load_state_dict(torch.load('mlp.params'))`, with safetensors, and a state dict written
//! by PyTorch loaded into a `#[derive(Module)]` network.

use fusenet::io;
use fusenet::nn::{Linear, ReLU};
use fusenet::prelude::*;
use fusenet::Error;
use std::path::{Path, PathBuf};

/// d2l's MLP: `hidden = Linear(20, 256)`, `out = Linear(256, 10)`.
#[derive(Module)]
#[module(name = "MLP")]
struct Mlp {
    hidden: Linear<20, 256>,
    out: Linear<256, 10>,
}

impl Mlp {
    fn new() -> Mlp {
        Mlp { hidden: Linear::new(), out: Linear::new() }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        self.out.forward(&ReLU.forward(&self.hidden.forward(x)))
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fusenet-io-module-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_same_state(a: &StateDict, b: &StateDict) {
    assert_eq!(a.len(), b.len());
    for (k, v) in a.iter() {
        let w = b.get(k).unwrap_or_else(|| panic!("missing {k}"));
        assert_eq!(v.shape(), w.shape(), "{k}");
        assert_eq!(v.to_vec::<f32>(), w.to_vec::<f32>(), "{k}");
    }
}

#[test]
fn seeded_mlp_equals_the_torch_file_and_reproduces_torch_output() {
    manual_seed(0);
    let net = Mlp::new();
    let torch_sd = io::load_state_dict_file(fixture("torch_mlp.safetensors")).unwrap();
    assert_same_state(&net.state_dict(), &torch_sd);

    let mut clone = Mlp::new(); // other random values
    clone.load_state_dict(&torch_sd).unwrap();
    let xy = io::load_dict(fixture("torch_mlp_io.safetensors")).unwrap();
    let y = clone.forward(&xy["X"]);
    assert!(y.allclose(&xy["Y"], 1e-5, 1e-6), "fusenet {:?}\ntorch {:?}", y.to_vec::<f32>(), xy["Y"].to_vec::<f32>());
}

#[test]
fn save_then_load_into_a_clone_gives_the_same_output() {
    let dir = scratch("clone");
    let path = dir.join("mlp.params");
    manual_seed(3);
    let net = Mlp::new();
    let x = Tensor::randn(&[2, 20]);
    let y = net.forward(&x);
    io::save_state_dict(&path, &net.state_dict()).unwrap();

    let mut clone = Mlp::new();
    clone.load_state_dict(&io::load_state_dict_file(&path).unwrap()).unwrap();
    clone.eval();
    assert_eq!(clone.forward(&x).to_vec::<f32>(), y.to_vec::<f32>()); // Y_clone == Y
}

#[test]
fn a_mismatched_file_lists_every_problem() {
    let dir = scratch("mismatch");
    let path = dir.join("bad.safetensors");
    let mut sd = StateDict::new();
    sd.insert("hidden.weight", Tensor::zeros(&[256, 21]));
    sd.insert("hidden.bias", Tensor::zeros(&[256]));
    sd.insert("out.weight", Tensor::zeros(&[10, 256]));
    sd.insert("extra.weight", Tensor::zeros(&[1]));
    io::save_state_dict(&path, &sd).unwrap();

    let mut net = Mlp::new();
    let err = net.load_state_dict(&io::load_state_dict_file(&path).unwrap()).unwrap_err();
    assert!(matches!(err, Error::LoadStateDict(_)), "{err:?}");
    let msg = err.to_string();
    for want in [
        "Error(s) in loading state_dict",
        "Missing key(s) in state_dict: \"out.bias\".",
        "Unexpected key(s) in state_dict: \"extra.weight\".",
        "size mismatch for hidden.weight: copying a param with shape [256, 21] from checkpoint, the shape in current model is [256, 20].",
    ] {
        assert!(msg.contains(want), "missing {want:?} in:\n{msg}");
    }
}

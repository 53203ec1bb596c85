//! The seed models (d2l ch. 5) written with `network!`: their state-dict keys equal the
//! PyTorch fixtures, construction after `manual_seed(0)` gives PyTorch's weights, and the
//! forward output and every gradient match PyTorch (`tests/fixtures/gen_network_fixtures.py`)
//! within 1e-5 relative (1e-5 absolute floor for values near zero).

use crate::module_support;

use fusenet::module::Layer;
use fusenet::prelude::*;
use module_support::{torch_repr, torch_state_dict};

use crate::seed_networks::*;

fn fixture(name: &str) -> StateDict {
    let path = format!("{}/tests/fixtures/network/{name}.safetensors", env!("CARGO_MANIFEST_DIR"));
    fusenet::io::load_dict(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let (g, w) = (got.contiguous().to_vec::<f32>(), want.contiguous().to_vec::<f32>());
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{what}[{i}]: fusenet {a}, torch {b}");
    }
}

/// Keys equal the derive-based fixture, seeded construction equals torch's weights, and the
/// forward and backward of `L = Σ y ⊙ grad_y` match torch's.
fn check<L: Layer>(name: &str, arch: Option<&str>, build: impl Fn() -> L) {
    check_with(name, arch, build, |_, _| {});
}

/// [`check`] with `prepare` run on the freshly built network before the comparison.
fn check_with<L: Layer>(name: &str, arch: Option<&str>, build: impl Fn() -> L, prepare: impl Fn(&L, &StateDict)) {
    let f = fixture(name);
    manual_seed(0);
    let net = build();
    prepare(&net, &f);
    let keys = net.state_dict_keys();
    if let Some(arch) = arch {
        let ours: Vec<(String, Vec<usize>)> = net.state_dict().iter().map(|(k, t)| (k.to_string(), t.shape().to_vec())).collect();
        assert_eq!(ours, torch_state_dict(arch), "{name}: state_dict keys and shapes");
    }
    let sd = net.state_dict();
    for k in &keys {
        assert_close(&format!("{name}: param {k}"), sd.get(k).unwrap(), f.get(&format!("param.{k}")).unwrap());
    }
    let x = Tensor::rand(f.get("x").unwrap().shape());
    assert_close(&format!("{name}: x (generator order)"), &x, f.get("x").unwrap());
    let mut ctx = Default::default();
    let y = net.forward_train(&x, &mut ctx);
    assert_close(&format!("{name}: y"), &y, f.get("y").unwrap());
    assert_close(&format!("{name}: inference y"), &Layer::forward(&net, &x), f.get("y").unwrap());
    let gx = net.backward(&mut ctx, f.get("grad_y").unwrap(), true).unwrap();
    assert_close(&format!("{name}: grad_x"), &gx, f.get("grad_x").unwrap());
    for (k, p) in net.named_parameters() {
        let g = p.grad().unwrap_or_else(|| panic!("{name}: no grad for {k}"));
        assert_close(&format!("{name}: grad {k}"), &g, f.get(&format!("grad.{k}")).unwrap());
    }
}

#[test]
fn mlp() {
    check("mlp", Some("mlp"), Mlp::new);
}

#[test]
fn sequential_4_8_1() {
    check("seq_4_8_1", Some("seq_4_8_1"), Seq481::new);
    assert_eq!(Seq481::new().to_string(), torch_repr("seq_4_8_1"));
}

#[test]
fn my_sequential() {
    check("my_sequential", None, MySequential::new);
    assert!(MySequential::new().to_string().starts_with("MySequential(\n  (0): Linear(in_features=20"));
}

#[test]
fn nestmlp() {
    check("nestmlp", Some("nestmlp"), NestMlp::new);
}

#[test]
fn chimera_with_its_loop() {
    check("chimera", Some("chimera"), Chimera::new);
    // the fixture's constant is the one our construction drew
    manual_seed(0);
    let c = Chimera::new();
    assert_close("rand_weight", &c.2.rand_weight, fixture("chimera").get("const.2.rand_weight").unwrap());
}

#[test]
fn rgnet() {
    check("rgnet", Some("rgnet"), RgNet::new);
    assert_eq!(RgNet::new().to_string(), torch_repr("rgnet"));
}

#[test]
fn tied() {
    // d2l builds `shared` before the first layer, so torch draws its weights first; a struct
    // initialises in field order (= key order 0, 2, 4, 6). Copy torch's weights instead, then
    // draw x from the generator state torch had (after the three layers).
    check_with("tied", Some("tied"), Tied::new, |net, f| {
        for (k, p) in net.named_parameters() {
            p.value().copy_(f.get(&format!("param.{k}")).unwrap());
        }
    });
    let t = Tied::new();
    assert!(t.shared.weight.same_as(&t.shared_again.weight));
}

#[test]
fn mylinear_stack() {
    check("mylinear_seq", Some("mylinear_seq"), MyLinearSeq::new);
}

#[test]
fn centered_after_linear() {
    check("centered_seq", None, CenteredSeq::new);
    let y = CenteredSeq::new().forward(&Tensor::rand(&[4, 8]));
    assert!(y.mean().item().abs() < 1e-6);
}

//! Shared by `kernels_dense_*.rs` and `dense_impls.rs`: the fixtures of tests/fixtures/gen_dense_fixtures.py.
#![allow(dead_code)]

use fusenet::{StateDict, io};
use std::path::Path;

pub struct Fixture {
    name: String,
    sd: StateDict,
}

/// Loads `tests/fixtures/dense/<name>.safetensors`.
pub fn fixture(name: &str) -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dense").join(format!("{name}.safetensors"));
    let sd = io::load_dict(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Fixture { name: name.to_string(), sd }
}

impl Fixture {
    pub fn t(&self, key: &str) -> fusenet::Tensor {
        self.sd.get(key).unwrap_or_else(|| panic!("{}: no key {key}", self.name)).shallow_clone()
    }
    pub fn f(&self, key: &str) -> Vec<f32> {
        self.t(key).to_vec::<f32>()
    }
    pub fn i(&self, key: &str) -> Vec<i64> {
        self.t(key).to_vec::<i64>()
    }
    pub fn shape(&self, key: &str) -> Vec<usize> {
        self.t(key).shape().to_vec()
    }
}

/// Asserts `got ≈ want` elementwise: `|g − w| ≤ tol·max(1, |w|)`.
#[track_caller]
pub fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length {} vs {}", got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what}[{i}]: got {g}, torch {w}\n got {got:?}\nwant {want:?}");
    }
}

//! Interop with PyTorch's `safetensors` package, both ways.
//!
//! - Files that `tests/fixtures/gen_fixtures.py` wrote with `safetensors.torch.save_file` load here
//!   with the same keys, dtypes, shapes and values, and saving them again gives the same bytes.
//! - The `writes_files_for_the_python_check` test writes `target/interop/*.safetensors` plus
//!   `*.expect.json`; `tests/fixtures/check_rust_files.py` then loads them with Python's
//!   `safetensors.numpy.load_file` and checks them (see `.ci/run`).

use fusenet::io::{self, Metadata};
use fusenet::{DType, Error, StateDict, Tensor};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// One line of `rng.tsv`: (shape, values).
fn rng_case(name: &str) -> (Vec<usize>, Vec<f32>) {
    let text = std::fs::read_to_string(fixture("rng.tsv")).unwrap();
    let line = text.lines().find(|l| l.split('\t').next() == Some(name)).unwrap_or_else(|| panic!("no case {name}"));
    let cols: Vec<&str> = line.split('\t').collect();
    let shape = cols[1].split(',').filter(|s| !s.is_empty()).map(|d| d.parse().unwrap()).collect();
    let values = cols[2].split(',').map(|v| v.parse::<f64>().unwrap() as f32).collect();
    (shape, values)
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec::<f32>().iter().map(|x| x.to_bits()).collect()
}

#[test]
fn torch_mlp_state_dict_loads_with_torch_keys_shapes_and_values() {
    let sd = io::load_state_dict_file(fixture("torch_mlp.safetensors")).unwrap();
    let mut keys: Vec<(&str, &[usize])> = sd.iter().map(|(k, v)| (k, v.shape())).collect();
    keys.sort();
    assert_eq!(
        keys,
        [("hidden.bias", &[256][..]), ("hidden.weight", &[256, 20][..]), ("out.bias", &[10][..]), ("out.weight", &[10, 256][..])]
    );
    assert!(sd.iter().all(|(_, v)| v.dtype() == DType::F32));
    // `torch.manual_seed(0); MLP()` builds `hidden` first, so it equals
    // `torch.manual_seed(0); nn.Linear(20, 256)` from rng.tsv: two torch outputs agree through our reader.
    let (shape, w) = rng_case("linear_20_256_s0.weight");
    assert_eq!(sd["hidden.weight"].shape(), &shape[..]);
    assert_eq!(sd["hidden.weight"].to_vec::<f32>(), w);
    let (_, b) = rng_case("linear_20_256_s0.bias");
    assert_eq!(sd["hidden.bias"].to_vec::<f32>(), b);
}

#[test]
fn resaving_torch_files_gives_identical_bytes() {
    // (Not torch_metadata.safetensors: the crate keeps a metadata map of two or more entries in a
    // HashMap, so their order in the header varies from run to run, in Python as here. Nor
    // torch_dtypes.safetensors, whose F64/F16/... tensors load converted to F32/I64.)
    for name in ["torch_mlp.safetensors", "torch_tensors.safetensors", "torch_mlp_io.safetensors"] {
        let original = std::fs::read(fixture(name)).unwrap();
        let (sd, meta) = io::from_bytes(&original).unwrap();
        let ours = io::to_bytes(sd.iter(), &meta).unwrap();
        assert!(ours == original, "{name}: fusenet writes different bytes than safetensors.torch.save_file");
    }
}

#[test]
fn torch_tensors_file_has_torch_values() {
    let sd = io::load_dict(fixture("torch_tensors.safetensors")).unwrap();
    let f32s = &sd["f32"];
    assert_eq!(f32s.shape(), &[2, 4]);
    // torch.tensor([[0.0, -0.0, 1.5, -2.25], [1e-45, 3.4028234663852886e38, inf, -inf]])
    let want = [0.0f32, -0.0, 1.5, -2.25, 1e-45, f32::MAX, f32::INFINITY, f32::NEG_INFINITY];
    assert_eq!(bits(f32s), want.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    assert_eq!(sd["i64"].dtype(), DType::I64);
    assert_eq!(sd["i64"].to_vec::<i64>(), [0, 1, 2, 3]);
    assert_eq!(sd["i64_extremes"].to_vec::<i64>(), [i64::MIN, i64::MAX, -1]);
    assert_eq!(sd["bool"].to_vec::<bool>(), [true, false, true]);
    assert_eq!(sd["transposed"].shape(), &[3, 2]);
    assert_eq!(sd["transposed"].to_vec::<f32>(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(sd["scalar"].shape(), &[] as &[usize]);
    assert_eq!(sd["scalar"].to_vec::<f32>(), [3.5]);
    assert_eq!(sd["empty"].shape(), &[0, 3]);
    // Same order as Python's load_file (offset order): alignment first, then name.
    assert_eq!(sd.keys().collect::<Vec<_>>(), ["i64", "i64_extremes", "empty", "f32", "scalar", "transposed", "bool"]);
}

#[test]
fn other_dtypes_convert_exactly_as_torch_does() {
    // Each "<name>_ref" is torch's own `.float()` / `.long()` of "<name>".
    let sd = io::load_dict(fixture("torch_dtypes.safetensors")).unwrap();
    for name in ["f64", "f16", "bf16"] {
        let (got, want) = (&sd[name], &sd[&format!("{name}_ref")[..]]);
        assert_eq!(got.dtype(), DType::F32, "{name}");
        assert_eq!(bits(got), bits(want), "{name}: {:?} vs torch {:?}", got.to_vec::<f32>(), want.to_vec::<f32>());
    }
    for name in ["i32", "i16", "i8", "u8"] {
        let (got, want) = (&sd[name], &sd[&format!("{name}_ref")[..]]);
        assert_eq!(got.dtype(), DType::I64, "{name}");
        assert_eq!(got.to_vec::<i64>(), want.to_vec::<i64>(), "{name}");
    }
}

#[test]
fn torch_fp8_is_an_unsupported_dtype_error() {
    let path = fixture("torch_fp8.safetensors");
    match io::load_dict(&path).unwrap_err() {
        Error::UnsupportedDtype { path: p, key, dtype } => {
            assert_eq!((p, key.as_str(), dtype.as_str()), (path, "w", "F8_E4M3"));
        }
        other => panic!("expected UnsupportedDtype, got {other:?}"),
    }
}

#[test]
fn torch_metadata_is_read() {
    let (sd, meta) = io::load_dict_with_metadata(fixture("torch_metadata.safetensors")).unwrap();
    assert_eq!(meta, Metadata::from([("epoch".into(), "3".into()), ("format".into(), "pt".into())]));
    assert_eq!(sd["w"].to_vec::<f32>(), [1.0, 1.0]);
    assert_eq!(io::read_metadata(fixture("torch_metadata.safetensors")).unwrap(), meta);
}

#[test]
fn torch_mlp_forward_matches_torch_output() {
    let sd = io::load_state_dict_file(fixture("torch_mlp.safetensors")).unwrap();
    let io_sd = io::load_dict(fixture("torch_mlp_io.safetensors")).unwrap();
    let (x, y) = (&io_sd["X"], &io_sd["Y"]);
    assert_eq!((x.shape(), y.shape()), (&[2, 20][..], &[2, 10][..]));
    // out(relu(hidden(x))), with Linear(x) = x W^T + b.
    let h = x.matmul(&sd["hidden.weight"].t()).add(&sd["hidden.bias"]).clamp_min(0.0);
    let got = h.matmul(&sd["out.weight"].t()).add(&sd["out.bias"]);
    assert!(got.allclose(y, 1e-5, 1e-6), "fusenet {:?}\ntorch {:?}", got.to_vec::<f32>(), y.to_vec::<f32>());
}

// ---- files for tests/fixtures/check_rust_files.py ----

fn json_values(t: &Tensor) -> String {
    let items: Vec<String> = match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()
            .iter()
            .map(|x| match *x {
                x if x.is_nan() => "\"nan\"".into(),
                f32::INFINITY => "\"inf\"".into(),
                f32::NEG_INFINITY => "\"-inf\"".into(),
                x => format!("{x:?}"),
            })
            .collect(),
        DType::I64 => t.to_vec::<i64>().iter().map(i64::to_string).collect(),
        DType::Bool => t.to_vec::<bool>().iter().map(bool::to_string).collect(),
    };
    format!("[{}]", items.join(", "))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `<name>.safetensors` through the public API and `<name>.expect.json` describing it.
fn write_case(dir: &Path, name: &str, sd: &StateDict, meta: &Metadata) {
    io::save_state_dict_with_metadata(dir.join(format!("{name}.safetensors")), sd, meta).unwrap();
    let mut json = String::from("{\"tensors\": {");
    for (i, (k, t)) in sd.iter().enumerate() {
        let dtype = match t.dtype() {
            DType::F32 => "F32",
            DType::I64 => "I64",
            DType::Bool => "BOOL",
        };
        let sep = if i == 0 { "" } else { ", " };
        write!(json, "{sep}{}: {{\"dtype\": \"{dtype}\", \"shape\": {:?}, \"values\": {}}}", json_string(k), t.shape(), json_values(t)).unwrap();
    }
    json.push_str("}, \"metadata\": {");
    let meta_items: Vec<String> = meta.iter().map(|(k, v)| format!("{}: {}", json_string(k), json_string(v))).collect();
    json.push_str(&meta_items.join(", "));
    json.push_str("}}\n");
    std::fs::write(dir.join(format!("{name}.expect.json")), json).unwrap();
}

#[test]
fn writes_files_for_the_python_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop");
    std::fs::create_dir_all(&dir).unwrap();

    let mut tensors = StateDict::new();
    tensors.insert("f32", Tensor::from_vec(vec![0.0f32, -0.0, 0.1, -2.5, 1e-45, f32::MAX, f32::INFINITY, f32::NAN], &[2, 4]));
    tensors.insert("i64", Tensor::from_vec(vec![0i64, 1, 2, 3, i64::MIN, i64::MAX], &[6]));
    tensors.insert("bool", Tensor::from_vec(vec![true, false, true], &[3]));
    tensors.insert("scalar", Tensor::from_vec(vec![3.5f32], &[]));
    tensors.insert("empty", Tensor::from_vec(Vec::<f32>::new(), &[0, 3]));
    // Saved in logical order: [[0, 3], [1, 4], [2, 5]].
    tensors.insert("transposed", Tensor::from_vec((0..6).map(|i| i as f32).collect(), &[2, 3]).t());
    write_case(&dir, "tensors", &tensors, &Metadata::new());

    let mut sd = StateDict::new();
    sd.insert("hidden.weight", Tensor::from_vec((0..5120).map(|i| (i as f32 * 0.37).sin()).collect(), &[256, 20]));
    sd.insert("hidden.bias", Tensor::from_vec((0..256).map(|i| i as f32 / 256.0).collect(), &[256]));
    sd.insert("out.weight", Tensor::from_vec((0..2560).map(|i| (i as f32).cos() * 1e-3).collect(), &[10, 256]));
    sd.insert("out.bias", Tensor::zeros(&[10]));
    sd.insert("bn.num_batches_tracked", Tensor::from_vec(vec![42i64], &[]));
    let meta = Metadata::from([("epoch".into(), "7".into()), ("note".into(), "fusenet \"interop\" \u{e9}".into())]);
    write_case(&dir, "state_dict", &sd, &meta);

    let mut list = StateDict::new();
    for i in 0..12 {
        list.insert(i.to_string(), Tensor::full(&[i % 3 + 1], i as f32));
    }
    write_case(&dir, "list", &list, &Metadata::new());
    // The list file is what save_list writes.
    let from_list: Vec<Tensor> = (0..12).map(|i| Tensor::full(&[i % 3 + 1], i as f32)).collect();
    let a = io::to_bytes(list.iter(), &Metadata::new()).unwrap();
    let b = std::fs::read(dir.join("list.safetensors")).unwrap();
    assert_eq!(a, b);
    io::save_list(dir.join("list_check.tmp"), &from_list).unwrap();
    assert_eq!(std::fs::read(dir.join("list_check.tmp")).unwrap(), b);
    std::fs::remove_file(dir.join("list_check.tmp")).unwrap();
}

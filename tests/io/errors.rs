//! Every way a safetensors file can be wrong is an `Err` naming the file (and the key), never a
//! panic; a failed save leaves the previous file intact and no temporary file behind.

use fusenet::io::{self, Metadata};
use fusenet::{Error, StateDict, Tensor};
use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fusenet-io-errors-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The bytes of a file with an 8-byte length, `header` padded to a multiple of 8, and `data`.
fn file_bytes(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.as_bytes().to_vec();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend_from_slice(data);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Loads `path`, expecting an error whose message names the file.
fn load_err(path: &Path) -> Error {
    let err = io::load_dict(path).expect_err("a broken file must not load");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "message does not name the file: {msg}");
    err
}

/// Names of the files in `dir` (to catch leftover temporary files).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn valid_file_bytes() -> Vec<u8> {
    let mut sd = StateDict::new();
    sd.insert("0.weight", Tensor::from_vec(vec![1.0f32, -2.0, 3.5, 0.25, 5.0, 6.0], &[2, 3]));
    sd.insert("0.bias", Tensor::from_vec(vec![0.5f32, -0.5], &[2]));
    sd.insert("labels", Tensor::from_vec(vec![3i64, 1, 4], &[3]));
    sd.insert("mask", Tensor::from_vec(vec![true, false, true], &[3]));
    let meta = Metadata::from([("epoch".to_string(), "3".to_string())]);
    io::to_bytes(sd.iter(), &meta).unwrap()
}

#[test]
fn missing_file_is_io_not_found_naming_the_path() {
    let dir = scratch("missing");
    let path = dir.join("nope.safetensors");
    for err in [io::load_dict(&path).unwrap_err(), io::load(&path).unwrap_err(), io::read_metadata(&path).unwrap_err()] {
        match &err {
            Error::Io { path: p, source } => {
                assert_eq!(p, &path);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected Error::Io, got {other:?}"),
        }
        assert!(err.to_string().contains("nope.safetensors"), "{err}");
    }
}

#[test]
fn directory_as_path_is_an_error_for_load_and_save() {
    let dir = scratch("dir");
    let target = dir.join("a_dir.safetensors");
    std::fs::create_dir(&target).unwrap();
    let err = io::load_dict(&target).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    let err = io::save(&target, &Tensor::zeros(&[2])).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    assert!(target.is_dir(), "the directory must survive");
    assert!(io::read_metadata(&target).is_err());
    assert_eq!(listing(&dir), ["a_dir.safetensors"]);
}

#[test]
fn every_truncation_is_a_truncated_error() {
    let dir = scratch("truncate");
    let bytes = valid_file_bytes();
    let path = dir.join("t.safetensors");
    for cut in 0..bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = load_err(&path);
        assert!(matches!(err, Error::Truncated { .. }), "cut at {cut} of {}: {err:?}", bytes.len());
        // The in-memory parser agrees.
        assert!(matches!(io::from_bytes(&bytes[..cut]), Err(Error::Truncated { .. })), "cut at {cut}");
    }
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(io::load_dict(&path).unwrap().len(), 4);
}

#[test]
fn truncation_messages_say_how_much_is_missing() {
    let bytes = valid_file_bytes();
    let err = io::from_bytes(&bytes[..5]).unwrap_err().to_string();
    assert!(err.contains("5 bytes long"), "{err}");
    let err = io::from_bytes(&bytes[..20]).unwrap_err().to_string();
    assert!(err.contains("header length field says"), "{err}");
    let err = io::from_bytes(&bytes[..bytes.len() - 3]).unwrap_err().to_string();
    assert!(err.contains("bytes of tensor data, but only"), "{err}");
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut bytes = valid_file_bytes();
    bytes.extend_from_slice(&[0, 0, 0]);
    let err = io::from_bytes(&bytes).unwrap_err();
    assert!(matches!(err, Error::Format { .. }), "{err:?}");
    assert!(err.to_string().contains("3 unexpected bytes"), "{err}");
}

#[test]
fn corrupting_any_byte_never_panics() {
    let bytes = valid_file_bytes();
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for i in 0..bytes.len() {
        for pattern in [0xFFu8, 0x01, 0x80, b'"', b'}', b'9', 0] {
            let mut b = bytes.clone();
            b[i] ^= pattern;
            let result = std::panic::catch_unwind(|| io::from_bytes(&b).map(|(sd, _)| sd.len()));
            let result = result.unwrap_or_else(|_| panic!("panic with byte {i} ^= {pattern:#x}"));
            if i < header_end && pattern != 0 {
                // A changed header byte either breaks the header or names another valid layout.
                if let Ok(n) = result {
                    assert!(n <= 4);
                }
            }
        }
    }
}

#[test]
fn random_corruption_never_panics() {
    // A small LCG, so the test is deterministic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let bytes = valid_file_bytes();
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let i = next() % b.len();
            b[i] = (next() % 256) as u8;
        }
        if next() % 3 == 0 {
            let cut = next() % b.len();
            b.truncate(cut);
        }
        let r = std::panic::catch_unwind(|| io::from_bytes(&b).map(|_| ()));
        assert!(r.is_ok(), "panic on corrupted bytes {b:?}");
    }
}

#[test]
fn corrupt_header_json_is_bad_header() {
    let dir = scratch("json");
    for (name, header) in [
        ("not_json", "this is not json"),
        ("array", "[1, 2, 3]"),
        ("missing_field", r#"{"w":{"dtype":"F32","shape":[1]}}"#),
        ("bad_shape", r#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#),
        ("meta_not_string", r#"{"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#),
    ] {
        let path = write(&dir, name, &file_bytes(header, &[0; 4]));
        let err = load_err(&path);
        assert!(matches!(err, Error::BadHeader { .. }), "{name}: {err:?}");
    }
    // Invalid UTF-8 in the header.
    let mut b = file_bytes(r#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, &[0; 4]);
    b[10] = 0xFF;
    let path = write(&dir, "utf8", &b);
    let err = load_err(&path);
    assert!(err.to_string().contains("UTF-8"), "{err}");
    let err = io::read_metadata(&path).unwrap_err();
    assert!(matches!(err, Error::BadHeader { .. }), "{err:?}");
}

#[test]
fn overlapping_gapped_and_reversed_offsets_name_the_key() {
    let dir = scratch("offsets");
    let cases = [
        ("overlap", r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "b", "overlap"),
        ("gap", r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#, 16, "b", "gap"),
        ("reversed", r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8, "a", "end before they begin"),
        ("late_start", r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "a", "gap"),
    ];
    for (name, header, data_len, key, why) in cases {
        let path = write(&dir, name, &file_bytes(header, &vec![0; data_len]));
        match load_err(&path) {
            Error::BadTensor { key: k, msg, .. } => {
                assert_eq!(k, key, "{name}");
                assert!(msg.contains(why), "{name}: {msg}");
            }
            other => panic!("{name}: expected BadTensor, got {other:?}"),
        }
    }
    // Offsets beyond the end of the data.
    let path = write(&dir, "beyond", &file_bytes(r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, &[0; 8]));
    assert!(matches!(load_err(&path), Error::Truncated { .. }));
}

#[test]
fn shape_not_matching_byte_length_names_key_and_sizes() {
    let dir = scratch("shape");
    let path = write(&dir, "s", &file_bytes(r#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, &[0; 8]));
    match load_err(&path) {
        Error::BadTensor { key, msg, .. } => {
            assert_eq!(key, "w");
            assert!(msg.contains("needs 12 bytes") && msg.contains("span 8 bytes"), "{msg}");
        }
        other => panic!("expected BadTensor, got {other:?}"),
    }
    // A zero dim hides an astronomically large shape from the byte check: still an error, no panic.
    let path = write(
        &dir,
        "huge",
        &file_bytes(r#"{"w":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}}"#, &[]),
    );
    match load_err(&path) {
        Error::BadTensor { key, msg, .. } => assert!(key == "w" && msg.contains("too large"), "{msg}"),
        other => panic!("expected BadTensor, got {other:?}"),
    }
    let path = write(&dir, "overflow", &file_bytes(r#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, &[0; 4]));
    load_err(&path);
}

#[test]
fn unsupported_dtypes_name_file_key_and_dtype() {
    let dir = scratch("dtype");
    for (dtype, bytes) in [("F8_E4M3", 2), ("C64", 16), ("F8_E5M2", 2), ("Q4_K", 2)] {
        let header = format!(r#"{{"ok":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}},"weird":{{"dtype":"{dtype}","shape":[2],"data_offsets":[4,{}]}}}}"#, 4 + bytes);
        let path = write(&dir, dtype, &file_bytes(&header, &vec![0; 4 + bytes]));
        match load_err(&path) {
            Error::UnsupportedDtype { key, dtype: d, path: p } => {
                assert_eq!(key, "weird");
                assert_eq!(d, dtype);
                assert_eq!(p, path);
            }
            other => panic!("{dtype}: expected UnsupportedDtype, got {other:?}"),
        }
    }
}

#[test]
fn invalid_element_values_are_errors() {
    let dir = scratch("values");
    let path = write(&dir, "bool", &file_bytes(r#"{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#, &[1, 2, 0]));
    let err = load_err(&path);
    assert!(matches!(&err, Error::BadTensor { key, .. } if key == "m"), "{err:?}");
    assert!(err.to_string().contains("neither 0 nor 1"), "{err}");
    let mut data = 5u64.to_le_bytes().to_vec();
    data.extend(u64::MAX.to_le_bytes());
    let path = write(&dir, "u64", &file_bytes(r#"{"n":{"dtype":"U64","shape":[2],"data_offsets":[0,16]}}"#, &data));
    let err = load_err(&path);
    assert!(err.to_string().contains("does not fit in I64"), "{err}");
}

#[test]
fn wrong_file_kind_for_load_and_load_list() {
    let dir = scratch("kind");
    let path = dir.join("dict.safetensors");
    io::save_dict(&path, [("x", Tensor::zeros(&[1])), ("y", Tensor::zeros(&[2]))]).unwrap();
    let err = io::load(&path).unwrap_err();
    assert!(matches!(err, Error::Format { .. }) && err.to_string().contains("holds 2 tensors"), "{err}");
    let err = io::load_list(&path).unwrap_err();
    assert!(err.to_string().contains("not a tensor list"), "{err}");
    for keys in [["0", "2"], ["0", "01"], ["1", "2"]] {
        io::save_dict(&path, keys.map(|k| (k, Tensor::zeros(&[1])))).unwrap();
        let err = io::load_list(&path).unwrap_err();
        assert!(err.to_string().contains("not a tensor list"), "{keys:?}: {err}");
    }
}

#[test]
fn invalid_keys_on_save_write_nothing() {
    let dir = scratch("keys");
    let path = dir.join("k.safetensors");
    io::save(&path, &Tensor::ones(&[3])).unwrap();
    let before = std::fs::read(&path).unwrap();
    let t = Tensor::zeros(&[1]);
    let err = io::save_dict(&path, [("a", &t), ("a", &t)]).unwrap_err();
    assert!(err.to_string().contains("two tensors under the key \"a\""), "{err}");
    let err = io::save_dict(&path, [("__metadata__", &t)]).unwrap_err();
    assert!(err.to_string().contains("reserved"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(listing(&dir), ["k.safetensors"]);
}

#[test]
fn failed_write_keeps_old_file_and_leaves_no_temp_file() {
    let dir = scratch("atomic");
    let path = dir.join("ckpt.safetensors");
    io::save(&path, &Tensor::from_vec(vec![1.0f32, 2.0], &[2])).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = io::write_atomic(&path, |f| {
        std::io::Write::write_all(f, b"partial garbage")?;
        Err(std::io::Error::other("simulated disk failure"))
    })
    .unwrap_err();
    assert!(matches!(&err, Error::Io { path: p, .. } if p == &path), "{err:?}");
    assert!(err.to_string().contains("simulated disk failure"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(listing(&dir), ["ckpt.safetensors"]);
    assert_eq!(io::load(&path).unwrap().to_vec::<f32>(), [1.0, 2.0]);

    // A missing parent directory: an Io error, nothing created.
    let err = io::save(dir.join("no/such/dir/x.safetensors"), &Tensor::zeros(&[1])).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(listing(&dir), ["ckpt.safetensors"]);
}

#[test]
fn successful_overwrite_replaces_and_cleans_up() {
    let dir = scratch("overwrite");
    let path = dir.join("w.safetensors");
    for i in 0..5 {
        io::save(&path, &Tensor::full(&[2], i as f32)).unwrap();
        assert_eq!(io::load(&path).unwrap().to_vec::<f32>(), [i as f32; 2]);
    }
    assert_eq!(listing(&dir), ["w.safetensors"]);
}

//! Round trips through safetensors files: one tensor, lists, dicts, state dicts, every dtype,
//! non-contiguous inputs and `__metadata__`.

use fusenet::io::{self, Metadata};
use fusenet::{DType, StateDict, Tensor};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fusenet-io-roundtrip-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Same dtype, shape and element bits (so -0.0 and NaN payloads count).
fn assert_same(a: &Tensor, b: &Tensor) {
    assert_eq!(a.dtype(), b.dtype());
    assert_eq!(a.shape(), b.shape());
    match a.dtype() {
        DType::F32 => {
            let bits = |t: &Tensor| t.to_vec::<f32>().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b));
        }
        DType::I64 => assert_eq!(a.to_vec::<i64>(), b.to_vec::<i64>()),
        DType::Bool => assert_eq!(a.to_vec::<bool>(), b.to_vec::<bool>()),
    }
}

fn f32_special() -> Tensor {
    let v = vec![0.0f32, -0.0, 1.5, -2.25, f32::MIN_POSITIVE / 4.0, f32::MAX, f32::INFINITY, f32::NEG_INFINITY, f32::from_bits(0x7fc0_1234)];
    Tensor::from_vec(v, &[3, 3])
}

#[test]
fn one_tensor_of_each_dtype_round_trips() {
    let dir = scratch("one");
    let cases = [
        f32_special(),
        Tensor::from_vec(vec![0i64, 1, 2, 3], &[4]),
        Tensor::from_vec(vec![i64::MIN, i64::MAX, -1], &[3, 1]),
        Tensor::from_vec(vec![true, false, true, true, false, false], &[2, 1, 3]),
        Tensor::from_vec(vec![3.5f32], &[]),
        Tensor::from_vec(Vec::<f32>::new(), &[0, 3]),
        Tensor::from_vec(Vec::<i64>::new(), &[2, 0]),
        Tensor::from_vec((0..120).map(|i| i as f32 * 0.25).collect(), &[2, 3, 4, 5]),
    ];
    for (i, t) in cases.iter().enumerate() {
        let path = dir.join(format!("t{i}.safetensors"));
        io::save(&path, t).unwrap();
        assert_same(&io::load(&path).unwrap(), t);
        // The single tensor sits under the documented key.
        let dict = io::load_dict(&path).unwrap();
        assert_eq!(dict.keys().collect::<Vec<_>>(), [io::TENSOR_KEY]);
    }
}

#[test]
fn load_accepts_a_single_tensor_under_any_key() {
    let dir = scratch("anykey");
    let path = dir.join("x.safetensors");
    let t = Tensor::from_vec(vec![1i64, 2], &[2]);
    io::save_dict(&path, [("x", &t)]).unwrap();
    assert_same(&io::load(&path).unwrap(), &t);
}

#[test]
fn list_round_trips_in_index_order_past_ten() {
    // Keys "10" and "11" sort before "2" as strings: load_list must order them as numbers.
    let dir = scratch("list");
    let path = dir.join("l.safetensors");
    let list: Vec<Tensor> = (0..12)
        .map(|i| if i % 3 == 0 { Tensor::from_vec(vec![i as i64; i + 1], &[i + 1]) } else { Tensor::full(&[i], i as f32) })
        .collect();
    io::save_list(&path, &list).unwrap();
    let back = io::load_list(&path).unwrap();
    assert_eq!(back.len(), list.len());
    for (a, b) in back.iter().zip(&list) {
        assert_same(a, b);
    }
    // The seed's `torch.save([x, y], 'x-files')` with references works too.
    let x = Tensor::from_vec(vec![0i64, 1, 2, 3], &[4]);
    let y = Tensor::zeros(&[4]);
    io::save_list(&path, &[&x, &y]).unwrap();
    let xy = io::load_list(&path).unwrap();
    assert_same(&xy[0], &x);
    assert_same(&xy[1], &y);
    // An empty list is an empty file.
    io::save_list::<Tensor>(&path, &[]).unwrap();
    assert!(io::load_list(&path).unwrap().is_empty());
}

#[test]
fn dict_round_trips_from_maps_and_arrays() {
    let dir = scratch("dict");
    let path = dir.join("mydict");
    let x = Tensor::from_vec(vec![0i64, 1, 2, 3], &[4]);
    let y = Tensor::zeros(&[4]);
    let mut map = BTreeMap::new();
    map.insert("x".to_string(), x.shallow_clone());
    map.insert("y".to_string(), y.shallow_clone());
    io::save_dict(&path, &map).unwrap();
    let back = io::load_dict(&path).unwrap();
    assert_eq!(back.len(), 2);
    assert_same(&back["x"], &x);
    assert_same(&back["y"], &y);
    io::save_dict(&path, [("only", &y)]).unwrap();
    assert_eq!(io::load_dict(&path).unwrap().keys().collect::<Vec<_>>(), ["only"]);
}

#[test]
fn state_dict_round_trips_every_key() {
    let dir = scratch("sd");
    let path = dir.join("mlp.params");
    let mut sd = StateDict::new();
    sd.insert("hidden.weight", Tensor::from_vec((0..40).map(|i| i as f32 / 7.0).collect(), &[8, 5]));
    sd.insert("hidden.bias", Tensor::from_vec(vec![-1.0f32; 8], &[8]));
    sd.insert("bn.running_mean", Tensor::from_vec(vec![0.25f32; 8], &[8]));
    sd.insert("bn.num_batches_tracked", Tensor::from_vec(vec![7i64], &[]));
    sd.insert("mask", Tensor::from_vec(vec![true, false], &[2]));
    io::save_state_dict(&path, &sd).unwrap();
    let back = io::load_state_dict_file(&path).unwrap();
    assert_eq!(back.len(), sd.len());
    for (k, v) in sd.iter() {
        assert_same(&back[k], v);
    }
    // File order is safetensors' order (alignment, then name), as Python's load_file returns it.
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        ["bn.num_batches_tracked", "bn.running_mean", "hidden.bias", "hidden.weight", "mask"]
    );
}

#[test]
fn non_contiguous_tensors_are_saved_in_logical_order() {
    let dir = scratch("noncontig");
    let base = Tensor::from_vec((0..24).map(|i| i as f32).collect(), &[2, 3, 4]);
    let views = [
        base.transpose(0, 2),
        base.permute([1, 2, 0]),
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3, 1]).expand([3, 4]),
    ];
    for (i, v) in views.iter().enumerate() {
        assert!(!v.is_contiguous(), "view {i} should be non-contiguous");
        let path = dir.join(format!("v{i}.safetensors"));
        io::save(&path, v).unwrap();
        let back = io::load(&path).unwrap();
        assert!(back.is_contiguous());
        assert_eq!(back.shape(), v.shape());
        assert_eq!(back.to_vec::<f32>(), v.to_vec::<f32>());
        assert_eq!(back.to_vec::<f32>(), v.contiguous().to_vec::<f32>());
    }
    // A transposed 2x3 is [[0, 3], [1, 4], [2, 5]] on disk, as `x.t().contiguous()` in torch.
    let t = Tensor::from_vec((0..6).map(|i| i as f32).collect(), &[2, 3]).t();
    let bytes = io::to_bytes([("t", &t)], &Metadata::new()).unwrap();
    let data: Vec<f32> = bytes[bytes.len() - 24..].chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(data, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
}

#[test]
fn views_with_an_offset_save_only_their_elements() {
    let base = Tensor::from_vec((0..12).map(|i| i as i64).collect(), &[3, 4]);
    let rows = base.narrow(0, 1, 2); // contiguous, storage offset 4
    let col = base.select(1, 2); // non-contiguous, storage offset 2
    assert_eq!(rows.storage_offset(), 4);
    let bytes = io::to_bytes([("rows", &rows), ("col", &col)], &Metadata::new()).unwrap();
    let (sd, _) = io::from_bytes(&bytes).unwrap();
    assert_eq!(sd["rows"].shape(), &[2, 4]);
    assert_eq!(sd["rows"].to_vec::<i64>(), (4..12).collect::<Vec<i64>>());
    assert_eq!(sd["col"].to_vec::<i64>(), [2, 6, 10]);
}

#[test]
fn metadata_round_trips_and_is_omitted_when_empty() {
    let dir = scratch("meta");
    let path = dir.join("ckpt.safetensors");
    let mut sd = StateDict::new();
    sd.insert("w", Tensor::ones(&[2, 2]));
    let meta = Metadata::from([
        ("epoch".to_string(), "12".to_string()),
        ("note".to_string(), "lr=0.1, \"quoted\" \u{e9}".to_string()),
    ]);
    io::save_state_dict_with_metadata(&path, &sd, &meta).unwrap();
    let (back, back_meta) = io::load_dict_with_metadata(&path).unwrap();
    assert_eq!(back_meta, meta);
    assert_same(&back["w"], &sd["w"]);
    assert_eq!(io::read_metadata(&path).unwrap(), meta);

    io::save_state_dict(&path, &sd).unwrap();
    let raw = std::fs::read(&path).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("__metadata__"));
    assert!(io::load_dict_with_metadata(&path).unwrap().1.is_empty());
    assert!(io::read_metadata(&path).unwrap().is_empty());
}

#[test]
fn bytes_round_trip_in_memory() {
    let t = f32_special();
    let bytes = io::to_bytes([("a", &t)], &Metadata::from([("k".to_string(), "v".to_string())])).unwrap();
    let (sd, meta) = io::from_bytes(&bytes).unwrap();
    assert_same(&sd["a"], &t);
    assert_eq!(meta["k"], "v");
    // Header length is a multiple of 8, so tensor data is 8-byte aligned from the file start.
    assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()) % 8, 0);
}

#[test]
fn saving_from_another_thread_and_loading_here() {
    let dir = scratch("threads");
    let path = dir.join("t.safetensors");
    let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let t2 = t.shallow_clone();
    let p2 = path.clone();
    std::thread::spawn(move || io::save(&p2, &t2).unwrap()).join().unwrap();
    assert_same(&io::load(&path).unwrap(), &t);
}

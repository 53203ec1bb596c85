//! MNIST: the bundled real subset in `data/mnist/` loads with the expected counts, shapes, labels
//! and pixels; bad files (truncated anywhere, corrupt gzip, wrong magic, wrong dims, count
//! mismatch, labels above 9, missing) are `Error::Data` naming the file, never a panic.

use fusenet::data::mnist::{self, Mnist, idx};
use fusenet::data::{DataLoader, DataProblem, Dataset};
use fusenet::{DType, Error, Tensor};
use std::path::{Path, PathBuf};

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")
}

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fusenet-data-mnist-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The problem of an `Error::Data` about `path`; fails on any other outcome.
fn problem<T>(result: fusenet::Result<T>, path: &Path) -> DataProblem {
    match result {
        Ok(_) => panic!("{} loaded, but it is broken", path.display()),
        Err(Error::Data { path: p, problem }) => {
            assert_eq!(p, path, "the error names the wrong file");
            problem
        }
        Err(other) => panic!("expected Error::Data about {}, got {other}", path.display()),
    }
}

/// `n` tiny images (pixel = image index) and their labels, written raw into `dir` as the train split.
fn write_split(dir: &Path, images: &[u8], dims: &[usize], labels: &[u8]) -> (PathBuf, PathBuf) {
    let (ip, lp) = (dir.join("train-images-idx3-ubyte"), dir.join("train-labels-idx1-ubyte"));
    idx::write_ubyte(&ip, dims, images, false).unwrap();
    idx::write_ubyte(&lp, &[labels.len()], labels, false).unwrap();
    (ip, lp)
}

#[test]
fn bundled_subset_has_the_documented_counts_and_labels() {
    // Numbers printed by scripts/make_mnist_subset.py (and checked with Python's gzip module).
    let cases = [
        (true, 8000, [801, 902, 793, 826, 784, 690, 811, 856, 755, 782], 209_344_942u64, [7, 7, 1, 5, 8, 3, 4, 2, 2, 0]),
        (false, 2000, [200, 225, 198, 206, 196, 173, 203, 214, 189, 196], 52_801_658, [4, 8, 2, 3, 3, 1, 5, 4, 5, 7]),
    ];
    for (train, n, hist, byte_sum, first_labels) in cases {
        let m = Mnist::load(bundled(), train).unwrap();
        assert_eq!(m.len(), n);
        assert_eq!((m.images().shape(), m.images().dtype()), (&[n, 1, 28, 28][..], DType::F32));
        assert_eq!((m.labels().shape(), m.labels().dtype()), (&[n][..], DType::I64));
        assert_eq!(m.label_counts(), hist);
        assert_eq!(m.labels().to_vec::<i64>()[..10], first_labels);
        // Pixels are MNIST bytes / 255: every value is k/255 exactly, 0 and 1 both occur.
        let pixels = m.images().to_vec::<f32>();
        let mut sum = 0u64;
        for &p in &pixels {
            let k = (p * 255.0).round();
            assert!((0.0..=255.0).contains(&k) && k / 255.0 == p, "pixel {p} is not a byte / 255");
            sum += k as u64;
        }
        assert_eq!(sum, byte_sum);
        assert_eq!((m.images().min().item(), m.images().max().item()), (0.0, 1.0));
    }
    // MNIST's mean pixel is 0.1307; this subset's training images average 0.13089 (PyTorch, f32).
    let mean = Mnist::load(bundled(), true).unwrap().images().mean().item();
    assert!((mean - 0.130_892_93).abs() < 1e-5, "mean pixel {mean}");
}

#[test]
fn bundled_digits_look_like_digits() {
    let m = Mnist::load(bundled(), false).unwrap();
    let (image, label) = m.get(0);
    assert_eq!((image.shape(), label.item_i64()), (&[1, 28, 28][..], 4));
    let art = mnist::ascii_art(&image);
    assert_eq!(art.lines().count(), 28);
    // A handwritten digit: mostly background, some ink, centred (MNIST centres the mass).
    let ink = image.to_vec::<f32>().iter().filter(|&&p| p > 0.5).count();
    assert!((40..300).contains(&ink), "{ink} ink pixels:\n{art}");
    let border: f32 = [image.slice(fusenet::s![.., 0..2, ..]), image.slice(fusenet::s![.., 26..28, ..])]
        .iter()
        .map(|t| t.sum().item())
        .sum();
    assert_eq!(border, 0.0, "ink on the top or bottom border:\n{art}");
}

#[test]
fn normalize_matches_torchvision() {
    let dir = scratch("normalize");
    let mut bytes = vec![0u8; 784];
    bytes[..4].copy_from_slice(&[0, 1, 128, 255]);
    write_split(&dir, &bytes, &[1, 28, 28], &[3]);
    let m = Mnist::load(&dir, true).unwrap();
    // ToTensor: torch.tensor([0, 1, 128, 255], dtype=torch.uint8).float().div(255)
    assert_eq!(m.images().to_vec::<f32>()[..4], [0.0, 0.003_921_569, 0.501_960_8, 1.0]);
    // then Normalize((0.1307,), (0.3081,)): x.sub(mean).div(std) in float32
    let m = m.normalize();
    assert_eq!(m.images().to_vec::<f32>()[..4], [-0.424_212_96, -0.411_484_72, 1.205_001_1, 2.821_486_7]);
    assert_eq!(m.labels().to_vec::<i64>(), [3]);
}

#[test]
fn mnist_feeds_a_data_loader() {
    let m = Mnist::load(bundled(), false).unwrap();
    let labels = m.labels().to_vec::<i64>();
    let loader = DataLoader::new(m, 128).seed(0).num_workers(2);
    assert_eq!(loader.len(), 16);
    let mut seen = 0;
    let mut label_sum = 0;
    for (x, y) in &loader {
        assert_eq!(x.shape()[1..], [1, 28, 28]);
        assert_eq!(x.shape()[0], y.shape()[0]);
        seen += y.shape()[0];
        label_sum += y.sum().item() as i64;
    }
    assert_eq!(seen, 2000);
    assert_eq!(label_sum, labels.iter().sum::<i64>());
    // As a TensorDataset the items are the same.
    let ds = Mnist::load(bundled(), false).unwrap().into_dataset();
    let (img, lab) = ds.get(5);
    assert_eq!((img.shape(), lab.item_i64()), (&[1, 28, 28][..], labels[5]));
}

#[test]
fn finds_raw_files_other_spellings_and_the_torchvision_layout() {
    let dir = scratch("layouts");
    let images: Vec<u8> = (0..2 * 784).map(|i| (i % 256) as u8).collect();
    // Raw files under torchvision's MNIST/raw/, with the "t10k-images.idx3-ubyte" spelling.
    let raw = dir.join("MNIST").join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    idx::write_ubyte(raw.join("t10k-images.idx3-ubyte"), &[2, 28, 28], &images, false).unwrap();
    idx::write_ubyte(raw.join("t10k-labels-idx1-ubyte.gz"), &[2], &[9, 0], true).unwrap();
    let m = Mnist::load(&dir, false).unwrap();
    assert_eq!(m.labels().to_vec::<i64>(), [9, 0]);
    assert_eq!(m.images().get([1, 0, 0, 0]), (784 % 256) as f32 / 255.0);
    // A gzipped file without the .gz name is still recognised by its magic bytes.
    let plain = scratch("gz-without-suffix");
    idx::write_ubyte(plain.join("train-images-idx3-ubyte"), &[2, 28, 28], &images, true).unwrap();
    idx::write_ubyte(plain.join("train-labels-idx1-ubyte"), &[2], &[1, 2], false).unwrap();
    assert_eq!(Mnist::load(&plain, true).unwrap().len(), 2);
}

#[test]
fn missing_files_name_what_was_looked_for() {
    let dir = scratch("missing");
    let e = Mnist::load(&dir, true).err().expect("an empty directory loads nothing");
    let p = problem::<()>(Err(e), &dir);
    let DataProblem::MissingFile { tried } = &p else { panic!("{p:?}") };
    assert!(tried.contains(&dir.join("train-images-idx3-ubyte.gz")));
    assert!(tried.contains(&dir.join("MNIST/raw/train-images-idx3-ubyte")));
    // A directory where the file should be does not count as the file.
    std::fs::create_dir_all(dir.join("t10k-images-idx3-ubyte")).unwrap();
    assert!(matches!(Mnist::load(&dir, false), Err(Error::Data { problem: DataProblem::MissingFile { .. }, .. })));
}

#[test]
fn truncation_anywhere_in_a_raw_file_is_reported() {
    let dir = scratch("truncated-raw");
    let images: Vec<u8> = (0..3 * 784).map(|i| (i * 7 % 256) as u8).collect();
    let (ip, _) = write_split(&dir, &images, &[3, 28, 28], &[1, 2, 3]);
    let full = std::fs::read(&ip).unwrap();
    let cuts: Vec<usize> = (0..40).chain((40..full.len()).step_by(97)).chain([full.len() - 1]).collect();
    for cut in cuts {
        std::fs::write(&ip, &full[..cut]).unwrap();
        let expected = if cut < 16 { 16 } else { full.len() };
        assert_eq!(problem(Mnist::load(&dir, true), &ip), DataProblem::Truncated { expected, found: cut }, "cut at {cut}");
    }
    let mut long = full.clone();
    long.extend_from_slice(&[0, 0]);
    std::fs::write(&ip, &long).unwrap();
    assert_eq!(
        problem(Mnist::load(&dir, true), &ip),
        DataProblem::TrailingBytes { expected: full.len(), found: full.len() + 2 }
    );
}

#[test]
fn truncated_or_corrupt_gzip_is_reported() {
    let dir = scratch("truncated-gz");
    let bundled_labels = std::fs::read(bundled().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let bundled_images = std::fs::read(bundled().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let (ip, lp) = (dir.join("t10k-images-idx3-ubyte.gz"), dir.join("t10k-labels-idx1-ubyte.gz"));
    // Every cut of the labels file (the gzip header, the deflate stream and the CRC trailer). The
    // labels fail to parse before their count is compared, so a one-image file keeps this quick.
    idx::write_ubyte(&ip, &[1, 28, 28], &[0; 784], true).unwrap();
    for cut in 0..bundled_labels.len() {
        std::fs::write(&lp, &bundled_labels[..cut]).unwrap();
        let p = problem(Mnist::load(&dir, false), &lp);
        assert!(
            matches!(p, DataProblem::Gzip { .. } | DataProblem::Truncated { .. } | DataProblem::BadMagic { .. }),
            "cut at {cut}: {p:?}"
        );
        if cut >= 2 {
            assert!(matches!(p, DataProblem::Gzip { .. }), "cut at {cut} inside the gzip stream: {p:?}");
        }
    }
    std::fs::write(&lp, &bundled_labels).unwrap();
    std::fs::write(&ip, &bundled_images).unwrap();
    assert_eq!(Mnist::load(&dir, false).unwrap().len(), 2000);
    // Cuts through the images file.
    for cut in (2..bundled_images.len()).step_by(bundled_images.len() / 23) {
        std::fs::write(&ip, &bundled_images[..cut]).unwrap();
        assert!(matches!(problem(Mnist::load(&dir, false), &ip), DataProblem::Gzip { .. }), "cut at {cut}");
    }
    // A flipped byte in the compressed data: the stream or its CRC no longer checks.
    let mut flipped = bundled_images.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    std::fs::write(&ip, &flipped).unwrap();
    let p = problem(Mnist::load(&dir, false), &ip);
    assert!(matches!(p, DataProblem::Gzip { .. }), "{p:?}");
    assert!(
        Mnist::load(&dir, false).err().unwrap().to_string().starts_with(&format!("{}: gzip stream is corrupt or truncated", ip.display()))
    );
}

#[test]
fn corrupt_headers_are_reported() {
    let dir = scratch("headers");
    let images = vec![0u8; 4 * 784];
    let (ip, lp) = write_split(&dir, &images, &[4, 28, 28], &[0, 1, 2, 3]);
    let good_images = std::fs::read(&ip).unwrap();
    let good_labels = std::fs::read(&lp).unwrap();

    // The labels file where the images file should be: wrong magic.
    std::fs::write(&ip, &good_labels).unwrap();
    assert_eq!(problem(Mnist::load(&dir, true), &ip), DataProblem::BadMagic { found: 0x801, expected: 0x803 });
    // Signed bytes instead of unsigned.
    let mut signed = good_images.clone();
    signed[2] = 0x09;
    std::fs::write(&ip, &signed).unwrap();
    assert_eq!(problem(Mnist::load(&dir, true), &ip), DataProblem::BadMagic { found: 0x903, expected: 0x803 });
    // Images that are not 28x28.
    idx::write_ubyte(&ip, &[4, 27, 29], &vec![0u8; 4 * 27 * 29], false).unwrap();
    assert_eq!(
        problem(Mnist::load(&dir, true), &ip),
        DataProblem::BadDims { found: vec![4, 27, 29], expected: "[N, 28, 28]".into() }
    );
    // A count so large that the file cannot hold it: truncated, found without allocating it.
    let mut huge = good_images.clone();
    huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&ip, &huge).unwrap();
    assert_eq!(
        problem(Mnist::load(&dir, true), &ip),
        DataProblem::Truncated { expected: 16 + u32::MAX as usize * 784, found: good_images.len() }
    );
    std::fs::write(&ip, &good_images).unwrap();

    // More labels than images.
    idx::write_ubyte(&lp, &[5], &[0, 1, 2, 3, 4], false).unwrap();
    let p = problem(Mnist::load(&dir, true), &lp);
    assert_eq!(p, DataProblem::CountMismatch { images: 4, labels: 5, images_path: ip.clone() });
    // A label that is not a digit.
    idx::write_ubyte(&lp, &[4], &[0, 1, 10, 3], false).unwrap();
    assert_eq!(problem(Mnist::load(&dir, true), &lp), DataProblem::BadLabel { index: 2, value: 10 });
    let msg = Mnist::load(&dir, true).err().unwrap().to_string();
    assert_eq!(msg, format!("{}: label 10 at index 2 is not a digit (0..=9)", lp.display()));
    // A labels file with two dimensions.
    idx::write_ubyte(&lp, &[2, 2], &[0, 1, 2, 3], false).unwrap();
    assert_eq!(problem(Mnist::load(&dir, true), &lp), DataProblem::BadMagic { found: 0x802, expected: 0x801 });
    std::fs::write(&lp, &good_labels).unwrap();
    assert_eq!(Mnist::load(&dir, true).unwrap().len(), 4);
}

#[test]
fn from_files_takes_explicit_paths() {
    let m = Mnist::from_files(bundled().join("t10k-images-idx3-ubyte.gz"), bundled().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!(m.len(), 2000);
    let (images, labels): (Tensor, Tensor) = m.into_tensors();
    assert_eq!((images.numel(), labels.numel()), (2000 * 784, 2000));
    let missing = bundled().join("no-such-file");
    let e = Mnist::from_files(&missing, &missing).err().unwrap();
    assert!(matches!(&e, Error::Io { path, .. } if path == &missing), "{e}");
}

//! MNIST: the handwritten digits of LeCun, Cortes and Burges, read from the standard IDX files.
//!
//! [`Mnist::load`] finds `train-*` or `t10k-*` files in a directory, raw or gzipped, and returns
//! images as `f32 [N, 1, 28, 28]` in `[0, 1]` (torchvision's `ToTensor`: `byte / 255`) and labels as
//! `i64 [N]`. Every problem with the files is an [`Error::Data`](crate::Error::Data) naming the
//! file; nothing in a file can make it panic.
//!
//! The repository bundles a real 10,000-digit subset in `data/mnist/` (8,000 train, 2,000 test;
//! see its README):
//!
//! ```
//! use fusenet_runtime::data::mnist::Mnist;
//! use fusenet_runtime::data::{DataLoader, Dataset};
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist");
//! let test = Mnist::load(dir, false).unwrap().normalize(); // + Normalize((0.1307,), (0.3081,))
//! assert_eq!(test.images().shape(), &[2000, 1, 28, 28]);
//! let loader = DataLoader::new(test, 256).seed(0);
//! let (x, y) = loader.iter().next().unwrap();
//! assert_eq!((x.shape(), y.shape()), (&[256, 1, 28, 28][..], &[256][..]));
//! ```

pub mod idx;

use super::dataset::{Dataset, TensorDataset, check_index};
use super::problem::DataProblem;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::path::{Path, PathBuf};

/// torchvision's MNIST mean, as in `Normalize((0.1307,), (0.3081,))`.
pub const MEAN: f32 = 0.1307;
/// torchvision's MNIST standard deviation.
pub const STD: f32 = 0.3081;

const ROWS: usize = 28;
const COLS: usize = 28;

/// An MNIST split in memory: `images` f32 `[N, 1, 28, 28]`, `labels` i64 `[N]`.
///
/// As a [`Dataset`], item `i` is `(image [1, 28, 28], label [])`, views into the two tensors, so
/// a [`DataLoader`](super::DataLoader) batches it into `([B, 1, 28, 28], [B])`.
pub struct Mnist {
    images: Tensor,
    labels: Tensor,
}

impl Mnist {
    /// Loads the training split (`train = true`: `train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`) or the test split (`t10k-…`) from `dir`.
    ///
    /// Each file may be raw or gzipped (`.gz`), and may also be spelled `train-images.idx3-ubyte`;
    /// `dir/MNIST/raw/` (torchvision's layout) is searched after `dir`.
    pub fn load(dir: impl AsRef<Path>, train: bool) -> Result<Mnist> {
        let dir = dir.as_ref();
        let prefix = if train { "train" } else { "t10k" };
        let images = find(dir, prefix, "images", 3)?;
        let labels = find(dir, prefix, "labels", 1)?;
        Mnist::from_files(images, labels)
    }

    /// Loads an images file and a labels file given by path.
    pub fn from_files(images_path: impl AsRef<Path>, labels_path: impl AsRef<Path>) -> Result<Mnist> {
        let (images_path, labels_path) = (images_path.as_ref(), labels_path.as_ref());
        let images = idx::read_ubyte(images_path, 3)?;
        if images.dims[1..] != [ROWS, COLS] {
            return Err(Error::Data {
                path: images_path.to_path_buf(),
                problem: DataProblem::BadDims {
                    found: images.dims.iter().map(|&d| d as u64).collect(),
                    expected: format!("[N, {ROWS}, {COLS}]"),
                },
            });
        }
        let labels = idx::read_ubyte(labels_path, 1)?;
        let (n, m) = (images.dims[0], labels.dims[0]);
        let label_error = |problem| Error::Data { path: labels_path.to_path_buf(), problem };
        if n != m {
            return Err(label_error(DataProblem::CountMismatch { images: n, labels: m, images_path: images_path.to_path_buf() }));
        }
        if let Some((index, &value)) = labels.data.iter().enumerate().find(|&(_, &v)| v > 9) {
            return Err(label_error(DataProblem::BadLabel { index, value }));
        }
        let pixels: Vec<f32> = images.data.iter().map(|&b| f32::from(b) / 255.0).collect();
        let labels: Vec<i64> = labels.data.iter().map(|&b| i64::from(b)).collect();
        Ok(Mnist { images: Tensor::from_vec(pixels, &[n, 1, ROWS, COLS]), labels: Tensor::from_vec(labels, &[n]) })
    }

    /// Applies torchvision's `Normalize((0.1307,), (0.3081,))`: `x = (x - 0.1307) / 0.3081`, in
    /// `f32` as torchvision computes it.
    pub fn normalize(self) -> Mnist {
        self.images.with_slice_mut(|xs: &mut [f32]| {
            for x in xs {
                *x = (*x - MEAN) / STD;
            }
        });
        self
    }

    /// The images, f32 `[N, 1, 28, 28]`.
    pub fn images(&self) -> &Tensor {
        &self.images
    }

    /// The labels, i64 `[N]`.
    pub fn labels(&self) -> &Tensor {
        &self.labels
    }

    /// `(images, labels)`, giving up the data set.
    pub fn into_tensors(self) -> (Tensor, Tensor) {
        (self.images, self.labels)
    }

    /// The same data as a [`TensorDataset`].
    pub fn into_dataset(self) -> TensorDataset<(Tensor, Tensor)> {
        TensorDataset::new(self.into_tensors())
    }

    /// How many images of each digit: `counts[d]` for `d` in `0..10`.
    pub fn label_counts(&self) -> [usize; 10] {
        let mut counts = [0; 10];
        self.labels.with_slice(|ls: &[i64]| ls.iter().for_each(|&l| counts[l as usize] += 1));
        counts
    }
}

impl Dataset for Mnist {
    type Item = (Tensor, Tensor);
    fn len(&self) -> usize {
        self.labels.shape()[0]
    }
    fn get(&self, index: usize) -> (Tensor, Tensor) {
        check_index(index, self.len());
        (self.images.select(0, index as isize), self.labels.select(0, index as isize))
    }
}

/// A digit as text, one character per pixel (` .:-=+*#%@` from dark to light): `image` is any
/// tensor of 784 values in `[0, 1]` (`[28, 28]`, `[1, 28, 28]`, ...).
///
/// ```
/// use fusenet_runtime::Tensor;
/// use fusenet_runtime::data::mnist::ascii_art;
/// let art = ascii_art(&Tensor::ones(&[1, 28, 28]));
/// assert_eq!(art.lines().count(), 28);
/// assert!(art.lines().all(|l| l == "@".repeat(28)));
/// ```
pub fn ascii_art(image: &Tensor) -> String {
    const RAMP: &[u8] = b" .:-=+*#%@";
    assert!(image.numel() == ROWS * COLS, "ascii_art: expected 784 pixels, got shape {:?}", image.shape());
    let pixels = image.contiguous().to_vec::<f32>();
    let mut out = String::with_capacity(ROWS * (COLS + 1));
    for row in pixels.chunks(COLS) {
        for &p in row {
            let level = (p.clamp(0.0, 1.0) * (RAMP.len() - 1) as f32).round() as usize;
            out.push(RAMP[level] as char);
        }
        out.push('\n');
    }
    out
}

/// The first existing spelling of `{prefix}-{kind}-idx{ndim}-ubyte[.gz]` in `dir` or
/// `dir/MNIST/raw`.
fn find(dir: &Path, prefix: &str, kind: &str, ndim: usize) -> Result<PathBuf> {
    let names = [
        format!("{prefix}-{kind}-idx{ndim}-ubyte"),
        format!("{prefix}-{kind}-idx{ndim}-ubyte.gz"),
        format!("{prefix}-{kind}.idx{ndim}-ubyte"),
    ];
    let tried: Vec<PathBuf> =
        [dir.to_path_buf(), dir.join("MNIST").join("raw")].iter().flat_map(|d| names.iter().map(move |n| d.join(n))).collect();
    match tried.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(Error::Data { path: dir.to_path_buf(), problem: DataProblem::MissingFile { tried } }),
    }
}

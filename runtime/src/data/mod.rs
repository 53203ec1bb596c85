//! Datasets and data loading: PyTorch's `torch.utils.data`, plus the MNIST files.
//!
//! - [`Dataset`]: a map-style dataset (`len`, `get`). [`TensorDataset`] serves rows of tensors that
//!   share their first dimension; [`Subset`] and [`random_split`] select items.
//! - [`DataLoader`]: batches (`batch_size`, `drop_last`), shuffling that reproduces PyTorch's epoch
//!   order for the same seed, and worker threads that build batches ahead, in order.
//! - [`Collate`]: how items become batches (PyTorch's `default_collate`).
//! - [`mnist`]: the IDX file reader and [`mnist::Mnist`]; the repository bundles a real
//!   10,000-digit subset in `data/mnist/`.
//!
//! The d2l linear-regression loader:
//!
//! ```
//! use fusenet_runtime::{manual_seed, Tensor};
//! use fusenet_runtime::data::{DataLoader, TensorDataset};
//! manual_seed(0);
//! let features = Tensor::randn(&[100, 2]);
//! let labels = Tensor::randn(&[100, 1]);
//! // data.DataLoader(data.TensorDataset(features, labels), batch_size=10, shuffle=True)
//! let loader = DataLoader::new(TensorDataset::new((features, labels)), 10).shuffle(true);
//! for (x, y) in &loader {
//!     assert_eq!((x.shape(), y.shape()), (&[10, 2][..], &[10, 1][..]));
//! }
//! ```

mod collate;
mod dataset;
mod loader;
pub mod mnist;
mod problem;
mod sampler;
mod workers;

pub use collate::Collate;
pub use dataset::{Dataset, Subset, TensorDataset, TensorRows, random_split, split_lengths};
pub use loader::{DataLoader, DataLoaderIter};
pub use problem::DataProblem;
pub use sampler::randperm;

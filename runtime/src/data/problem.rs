//! What can be wrong with a data set file: the `problem` of [`Error::Data`](crate::Error::Data).

use std::fmt;
use std::path::PathBuf;

/// One way a data set file can be missing or malformed. [`Error::Data`](crate::Error::Data) pairs
/// it with the file's path, so the message reads `path: problem`.
///
/// ```
/// use fusenet_runtime::Error;
/// use fusenet_runtime::data::DataProblem;
/// let e = Error::Data { path: "t10k-labels-idx1-ubyte".into(), problem: DataProblem::BadLabel { index: 3, value: 11 } };
/// assert_eq!(e.to_string(), "t10k-labels-idx1-ubyte: label 11 at index 3 is not a digit (0..=9)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataProblem {
    /// None of the file names the loader looks for exists in the directory.
    MissingFile { tried: Vec<PathBuf> },
    /// The file starts as gzip does (`1f 8b`) but does not decompress.
    Gzip { msg: String },
    /// The 4-byte magic number is not the one this kind of IDX file has.
    BadMagic { found: u32, expected: u32 },
    /// The dimensions in the header are not what the data set needs (or overflow).
    BadDims { found: Vec<u64>, expected: String },
    /// The file (after decompression) ends before its header or its data does.
    Truncated { expected: usize, found: usize },
    /// The file (after decompression) has bytes after the data its header describes.
    TrailingBytes { expected: usize, found: usize },
    /// The images file and the labels file hold different numbers of items.
    CountMismatch { images: usize, labels: usize, images_path: PathBuf },
    /// A label is not a digit.
    BadLabel { index: usize, value: u8 },
}

impl fmt::Display for DataProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataProblem::MissingFile { tried } => {
                let names: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
                write!(f, "no data set file found (looked for {})", names.join(", "))
            }
            DataProblem::Gzip { msg } => write!(f, "gzip stream is corrupt or truncated: {msg}"),
            DataProblem::BadMagic { found, expected } => write!(
                f,
                "wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({})",
                describe_magic(*expected)
            ),
            DataProblem::BadDims { found, expected } => {
                write!(f, "header dimensions {found:?} are wrong, expected {expected}")
            }
            DataProblem::Truncated { expected, found } => {
                write!(f, "truncated: expected {expected} bytes, found {found}")
            }
            DataProblem::TrailingBytes { expected, found } => write!(
                f,
                "{} unexpected bytes after the data (expected {expected} bytes, found {found})",
                found - expected
            ),
            DataProblem::CountMismatch { images, labels, images_path } => write!(
                f,
                "{labels} labels but {images} images in {}",
                images_path.display()
            ),
            DataProblem::BadLabel { index, value } => {
                write!(f, "label {value} at index {index} is not a digit (0..=9)")
            }
        }
    }
}

/// Words for an IDX magic number: `00 00 <type> <ndim>`.
fn describe_magic(magic: u32) -> String {
    let ty = match (magic >> 8) & 0xff {
        0x08 => "unsigned bytes",
        0x09 => "signed bytes",
        0x0b => "16-bit integers",
        0x0c => "32-bit integers",
        0x0d => "32-bit floats",
        0x0e => "64-bit floats",
        _ => "an unknown element type",
    };
    format!("an IDX file of {ty} with {} dimensions", magic & 0xff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn messages_name_the_file_and_the_problem() {
        let e = Error::Data { path: "a/train-images-idx3-ubyte".into(), problem: DataProblem::BadMagic { found: 0x801, expected: 0x803 } };
        assert_eq!(
            e.to_string(),
            "a/train-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803 \
             (an IDX file of unsigned bytes with 3 dimensions)"
        );
        assert_eq!(e.path(), Some(std::path::Path::new("a/train-images-idx3-ubyte")));
        let p = DataProblem::Truncated { expected: 16, found: 3 };
        assert_eq!(p.to_string(), "truncated: expected 16 bytes, found 3");
        let p = DataProblem::TrailingBytes { expected: 16, found: 20 };
        assert_eq!(p.to_string(), "4 unexpected bytes after the data (expected 16 bytes, found 20)");
        let p = DataProblem::CountMismatch { images: 10, labels: 9, images_path: "i".into() };
        assert_eq!(p.to_string(), "9 labels but 10 images in i");
        let p = DataProblem::MissingFile { tried: vec!["d/a".into(), "d/b".into()] };
        assert_eq!(p.to_string(), "no data set file found (looked for d/a, d/b)");
        let p = DataProblem::BadDims { found: vec![5, 28, 27], expected: "[N, 28, 28]".into() };
        assert_eq!(p.to_string(), "header dimensions [5, 28, 27] are wrong, expected [N, 28, 28]");
    }
}

//! The IDX file format of MNIST (LeCun et al.), for arrays of unsigned bytes.
//!
//! Layout, all integers big-endian:
//!
//! | bytes | meaning |
//! |---|---|
//! | 0–1 | zero |
//! | 2 | element type: `0x08` = unsigned byte |
//! | 3 | number of dimensions `d` |
//! | 4 .. 4+4d | each dimension's size, as `u32` |
//! | then | the elements, row-major |
//!
//! So the images file's magic number is `0x00000803` (`[N, rows, cols]`) and the labels file's is
//! `0x00000801` (`[N]`). Files may be gzip-compressed: a file that starts with gzip's `1f 8b`
//! is decompressed first, whatever its name.

use crate::data::DataProblem;
use crate::error::{Error, Result};
use flate2::read::MultiGzDecoder;
use std::io::{Read, Write};
use std::path::Path;

/// An n-dimensional array of bytes read from an IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The size of each dimension.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UBYTE: u32 = 0x08;

fn data_error(path: &Path, problem: DataProblem) -> Error {
    Error::Data { path: path.to_path_buf(), problem }
}

/// The bytes of `path`, gunzipped if they start with gzip's magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| data_error(path, DataProblem::Gzip { msg: e.to_string() }))?;
    Ok(out)
}

/// Parses the bytes of an IDX file of unsigned bytes with `ndim` dimensions; `path` names the file
/// in errors.
///
/// ```
/// use fusenet_runtime::data::mnist::idx;
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9];
/// let a = idx::parse_ubyte(std::path::Path::new("labels"), &bytes, 1).unwrap();
/// assert_eq!((a.dims, a.data), (vec![3], vec![7, 8, 9]));
/// ```
pub fn parse_ubyte(path: &Path, bytes: &[u8], ndim: usize) -> Result<IdxArray> {
    let err = |problem| data_error(path, problem);
    let expected_magic = (UBYTE << 8) | ndim as u32;
    if bytes.len() < 4 {
        return Err(err(DataProblem::Truncated { expected: 4 + 4 * ndim, found: bytes.len() }));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if magic != expected_magic {
        return Err(err(DataProblem::BadMagic { found: magic, expected: expected_magic }));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(err(DataProblem::Truncated { expected: header, found: bytes.len() }));
    }
    let dims: Vec<u64> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let total = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .and_then(|numel| numel.checked_add(header as u64))
        .and_then(|t| usize::try_from(t).ok())
        .ok_or_else(|| err(DataProblem::BadDims { found: dims.clone(), expected: "sizes whose product fits in memory".into() }))?;
    if bytes.len() < total {
        return Err(err(DataProblem::Truncated { expected: total, found: bytes.len() }));
    }
    if bytes.len() > total {
        return Err(err(DataProblem::TrailingBytes { expected: total, found: bytes.len() }));
    }
    Ok(IdxArray { dims: dims.iter().map(|&d| d as usize).collect(), data: bytes[header..].to_vec() })
}

/// Reads an IDX file of unsigned bytes with `ndim` dimensions, gzipped or not.
pub fn read_ubyte(path: impl AsRef<Path>, ndim: usize) -> Result<IdxArray> {
    let path = path.as_ref();
    parse_ubyte(path, &read_maybe_gz(path)?, ndim)
}

/// The bytes of an IDX file of unsigned bytes. Panics when `data` does not fill `dims` or a
/// dimension does not fit in a `u32` (a programmer's mistake).
pub fn encode_ubyte(dims: &[usize], data: &[u8]) -> Vec<u8> {
    assert!(dims.len() <= 255, "IDX files have at most 255 dimensions, got {}", dims.len());
    let numel: usize = dims.iter().product();
    assert!(data.len() == numel, "encode_ubyte: {} bytes cannot have shape {dims:?}", data.len());
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, UBYTE as u8, dims.len() as u8]);
    for &d in dims {
        let d = u32::try_from(d).unwrap_or_else(|_| panic!("IDX dimension {d} does not fit in 32 bits"));
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Writes an IDX file of unsigned bytes, gzip-compressed when `gzip` is true (with a zero
/// timestamp, so equal data gives equal files).
///
/// ```
/// use fusenet_runtime::data::mnist::idx;
/// let path = std::env::temp_dir().join(format!("fusenet-idx-doc-{}.gz", std::process::id()));
/// idx::write_ubyte(&path, &[2, 2], &[0, 64, 128, 255], true).unwrap();
/// assert_eq!(idx::read_ubyte(&path, 2).unwrap().data, [0, 64, 128, 255]);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_ubyte(path: impl AsRef<Path>, dims: &[usize], data: &[u8], gzip: bool) -> Result<()> {
    let path = path.as_ref();
    let bytes = encode_ubyte(dims, data);
    let bytes = if gzip {
        let mut enc = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
        enc.write_all(&bytes).and_then(|_| enc.finish()).map_err(|e| Error::io(path, e))?
    } else {
        bytes
    };
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8], ndim: usize) -> std::result::Result<IdxArray, DataProblem> {
        parse_ubyte(Path::new("f"), bytes, ndim).map_err(|e| match e {
            Error::Data { problem, .. } => problem,
            other => panic!("unexpected error {other}"),
        })
    }

    #[test]
    fn round_trip() {
        let data: Vec<u8> = (0..24).collect();
        let bytes = encode_ubyte(&[2, 3, 4], &data);
        assert_eq!(&bytes[..8], &[0, 0, 8, 3, 0, 0, 0, 2]);
        assert_eq!(parse(&bytes, 3), Ok(IdxArray { dims: vec![2, 3, 4], data }));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode_ubyte(&[3, 2], &[1, 2, 3, 4, 5, 6]);
        for cut in 0..bytes.len() {
            let expected = if cut < 12 { 12 } else { 18 };
            assert_eq!(parse(&bytes[..cut], 2), Err(DataProblem::Truncated { expected, found: cut }), "cut at {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(parse(&long, 2), Err(DataProblem::TrailingBytes { expected: 18, found: 19 }));
    }

    #[test]
    fn wrong_magic_and_huge_dims() {
        let bytes = encode_ubyte(&[3], &[1, 2, 3]);
        assert_eq!(parse(&bytes, 3), Err(DataProblem::BadMagic { found: 0x801, expected: 0x803 }));
        let mut float = bytes.clone();
        float[2] = 0x0d;
        assert_eq!(parse(&float, 1), Err(DataProblem::BadMagic { found: 0xd01, expected: 0x801 }));
        // 2^32-1 cubed overflows u64: a clear error, no allocation.
        let mut huge = vec![0, 0, 8, 3];
        huge.extend_from_slice(&[0xff; 12]);
        assert!(matches!(parse(&huge, 3), Err(DataProblem::BadDims { .. })));
        // Large but representable: truncated, again without allocating.
        let mut big = vec![0, 0, 8, 1];
        big.extend_from_slice(&[0xff; 4]);
        assert_eq!(parse(&big, 1), Err(DataProblem::Truncated { expected: 8 + 0xffff_ffff, found: 8 }));
    }

    #[test]
    fn zero_sized_arrays_parse() {
        let bytes = encode_ubyte(&[0, 28, 28], &[]);
        assert_eq!(parse(&bytes, 3).map(|a| a.dims), Ok(vec![0, 28, 28]));
    }
}

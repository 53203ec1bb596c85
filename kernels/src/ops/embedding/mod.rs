//! Embedding lookup: `out[i] = W[idx[i]]` for a table `W` of `[num, dim]` and `i64` indices of
//! any shape (flattened to `len` positions); `out` is `[len, dim]`.
//!
//! Backward scatter-adds: `dW[idx[i]] += dy[i]` (accumulated, as every parameter gradient), except
//! for `padding_idx`, whose row gets no gradient. An index outside `[0, num)` is a
//! [`KernelError::IndexOutOfRange`] (checked before anything is written).
//!
//! ```
//! use fusenet_kernels::ops::embedding::{EmbeddingGeom, embedding_forward, embedding_backward};
//! let g = EmbeddingGeom { num: 3, dim: 2 };
//! let w = [0.0f32, 1.0, 10.0, 11.0, 20.0, 21.0];
//! let mut out = [0.0; 4];
//! embedding_forward(&g, &[2, 0], &w, &mut out).unwrap();
//! assert_eq!(out, [20.0, 21.0, 0.0, 1.0]);
//! let mut dw = [0.0; 6];
//! embedding_backward(&g, &[2, 2], Some(2), &[1.0; 4], &mut dw).unwrap();
//! assert_eq!(dw, [0.0; 6]); // both positions are the padding index
//! assert!(embedding_forward(&g, &[3], &w, &mut out[..2]).is_err());
//! ```

use crate::error::{KernelError, KernelResult};
use crate::ops::rows::for_each_row;
use crate::real::Real;

/// A table of `num` rows of `dim` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbeddingGeom {
    pub num: usize,
    pub dim: usize,
}

fn validate(g: &EmbeddingGeom, indices: &[i64]) -> KernelResult {
    match indices.iter().find(|&&i| i < 0 || i as u64 >= g.num as u64) {
        Some(&index) => Err(KernelError::IndexOutOfRange { index, num_embeddings: g.num }),
        None => Ok(()),
    }
}

/// Gathers the rows of `weight` (`[num, dim]`) selected by `indices` into `out` (`[len, dim]`).
pub fn embedding_forward<T: Real>(g: &EmbeddingGeom, indices: &[i64], weight: &[T], out: &mut [T]) -> KernelResult {
    let EmbeddingGeom { num, dim } = *g;
    assert_eq!(weight.len(), num * dim, "embedding: weight has {} elements, expected [{num}, {dim}]", weight.len());
    assert_eq!(out.len(), indices.len() * dim, "embedding: output has {} elements, expected [{}, {dim}]", out.len(), indices.len());
    validate(g, indices)?;
    for_each_row(out, dim.max(1), 1, |i, row| {
        let r = indices[i] as usize;
        row.copy_from_slice(&weight[r * dim..(r + 1) * dim]);
    });
    Ok(())
}

/// `grad_weight[idx[i]] += grad_out[i]` for every position whose index is not `padding_idx`.
pub fn embedding_backward<T: Real>(
    g: &EmbeddingGeom,
    indices: &[i64],
    padding_idx: Option<usize>,
    grad_out: &[T],
    grad_weight: &mut [T],
) -> KernelResult {
    let EmbeddingGeom { num, dim } = *g;
    assert_eq!(grad_weight.len(), num * dim, "embedding backward: grad_weight has {} elements, expected [{num}, {dim}]", grad_weight.len());
    assert_eq!(grad_out.len(), indices.len() * dim, "embedding backward: grad_out has {} elements, expected [{}, {dim}]", grad_out.len(), indices.len());
    validate(g, indices)?;
    // Serial in position order: two positions may hit one row, and the order of the additions
    // is kept fixed (deterministic).
    for (i, &r) in indices.iter().enumerate() {
        let r = r as usize;
        if Some(r) == padding_idx {
            continue;
        }
        let src = &grad_out[i * dim..(i + 1) * dim];
        grad_weight[r * dim..(r + 1) * dim].iter_mut().zip(src).for_each(|(d, &v)| *d += v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::gradcheck::{check, dot, fill};

    #[test]
    fn backward_matches_finite_differences_with_repeats_and_padding() {
        let g = EmbeddingGeom { num: 4, dim: 3 };
        let idx = [1i64, 3, 1, 0, 2, 1];
        let w = fill(12, 1, -1.0, 1.0);
        let gy = fill(18, 2, -1.0, 1.0);
        let fwd = |w: &[f64]| {
            let mut out = vec![0.0; 18];
            embedding_forward(&g, &idx, w, &mut out).unwrap();
            out
        };
        let mut dw = vec![0.0; 12];
        embedding_backward(&g, &idx, None, &gy, &mut dw).unwrap();
        check("embedding dW", &w, &dw, |w| dot(&gy, &fwd(w)));
        // With padding_idx = 1 the row of index 1 gets nothing; the others are unchanged.
        let mut dp = vec![0.0; 12];
        embedding_backward(&g, &idx, Some(1), &gy, &mut dp).unwrap();
        assert_eq!(dp[3..6], [0.0; 3]);
        assert_eq!([&dp[..3], &dp[6..]], [&dw[..3], &dw[6..]]);
    }

    #[test]
    fn out_of_range_indices_are_errors() {
        let g = EmbeddingGeom { num: 2, dim: 1 };
        let mut out = [7.0f32; 2];
        for bad in [2i64, -1] {
            let err = embedding_forward(&g, &[0, bad], &[1.0, 2.0], &mut out).unwrap_err();
            assert_eq!(err, KernelError::IndexOutOfRange { index: bad, num_embeddings: 2 });
            assert!(err.to_string().contains(&format!("index {bad} is not in [0, 2)")));
        }
        assert_eq!(out, [7.0; 2], "nothing written on error");
        assert!(embedding_backward(&g, &[5], None, &[1.0f32], &mut [0.0; 2]).is_err());
    }

    #[test]
    fn empty_indices() {
        let g = EmbeddingGeom { num: 2, dim: 3 };
        embedding_forward::<f32>(&g, &[], &[0.0; 6], &mut []).unwrap();
    }
}

//! The parallel loop the layer kernels share: an output split into rows (or fixed blocks), each
//! written by one call, on rayon when the work is large enough.

use crate::cpu::parallel::{PAR_MIN_CHUNK, par_threshold};
use rayon::prelude::*;

/// Calls `f(i, row_i)` for every `row`-element row of `out` (the last one may be shorter), in
/// parallel when `out.len() · cost` reaches [`par_threshold`] (`cost` is the relative work per
/// element: 1 for an elementwise op, the reduction length for a row reduction).
pub(crate) fn for_each_row<T: Send>(out: &mut [T], row: usize, cost: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if out.is_empty() || row == 0 {
        return;
    }
    if out.len().saturating_mul(cost.max(1)) < par_threshold() {
        out.chunks_mut(row).enumerate().for_each(|(i, r)| f(i, r));
    } else {
        let min_rows = (PAR_MIN_CHUNK / (row * cost.max(1))).max(1);
        out.par_chunks_mut(row).enumerate().with_min_len(min_rows).for_each(|(i, r)| f(i, r));
    }
}

/// Elementwise: `f(offset, block)` over blocks of [`PAR_MIN_CHUNK`] elements of `out`, where
/// `offset` is the index of the block's first element.
pub(crate) fn for_each_block<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync + Send) {
    for_each_row(out, PAR_MIN_CHUNK, 1, |i, b| f(i * PAR_MIN_CHUNK, b));
}

//! The convolution loops, over chunks of images sized so that a chunk's column matrix stays in
//! cache: one im2col for the chunk, one GEMM per group over all its images, and a pass that lays
//! the `[C_out, B·L]` GEMM result out as `[B, C_out, L]` (adding the bias). The backward lays
//! `dY` out the other way, then runs one GEMM per group for `dW` and one for the column
//! gradient, and col2im.
//!
//! Chunks run concurrently, one per rayon thread ("lanes", each with its own scratch). Every
//! chunk computes the same values on any lane, and the backward keeps one partial `dW`/`db` per
//! chunk, added in chunk order at the end, so results depend on neither the thread count nor
//! the scheduling. Layers the direct loops take (`direct.rs`, `multi.rs`) run in the same chunks
//! and lanes, a lane's scratch holding their packed weights, `dx` planes or transposed `dY`
//! instead of the column matrix. Measured on LeNet at batch 64 (`cargo bench --bench conv_pool`,
//! load 3–4 on the 2-core machine, forward + backward): conv1 805 → 480–620 µs, conv2 1547 →
//! 880–1100 µs with chunked im2col (conv2 now takes `multi.rs`: see BENCHMARKS.md, session 4).

use super::im2col::{Vol, col2im, im2col};
use super::{ConvGeom, direct, multi};
use crate::cpu::parallel::par_threshold;
use crate::real::Real;
use rayon::prelude::*;

/// The scratch a chunk of images may use (column matrix plus GEMM result), in elements: 2^17
/// (512 KiB of f32) keeps a chunk in a core's L2 cache. Measured on LeNet's convolutions at batch
/// 64 (`cargo bench --bench conv_pool`): one whole-batch chunk was 1.4–1.6× slower on one thread
/// than per-image GEMMs, because its 3.7 MB column matrix went through L3.
const CHUNK_ELEMS: usize = 1 << 17;

/// How many images one chunk holds (at least 1, at most `N`). Depends on the geometry only, so
/// results do not depend on the machine.
fn chunk_images<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> usize {
    let per_image = (v.rows() + g.c_out) * v.out_len();
    (CHUNK_ELEMS / per_image.max(1)).clamp(1, g.n.max(1))
}

/// The chunk partition of the batch: `per` images a chunk, `count` chunks (the last may be
/// shorter), `len` scratch elements a chunk (`[C_in·K, B·L]` columns and `[C_out, B·L]` result).
#[derive(Clone, Copy)]
struct Chunks {
    per: usize,
    count: usize,
    len: usize,
}

impl Chunks {
    fn of<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> Chunks {
        let per = chunk_images(g, v);
        let len = ((v.rows() + g.c_out) * per * v.out_len()).max(multi::lane_len(g, per));
        Chunks { per, count: g.n.div_ceil(per), len }
    }

    /// How many chunks may run at once, one per thread of rayon's pool: each needs its own
    /// scratch. Only the speed depends on it: every chunk computes the same thing on any lane.
    fn lanes(&self) -> usize {
        rayon::current_num_threads().clamp(1, self.count.max(1))
    }

    /// The backward's per-chunk partial sums of `dW` and `db` (`count·(|W| + C_out)` elements),
    /// added up in chunk order at the end so that results do not depend on the lanes.
    fn partials_len<const D: usize>(&self, g: &ConvGeom<D>) -> usize {
        self.count * (g.weight_len() + g.c_out)
    }
}

/// The scratch length of [`conv_forward`] and [`conv_backward`]: the per-chunk partial sums of
/// the parameter gradients, then, for each lane (chunks run concurrently up to rayon's thread
/// count), one chunk's column matrix (`C_in·K·B·L`) and its `[C_out, B·L]` GEMM result, `B`
/// images a chunk. A shorter scratch (at least one lane) runs fewer chunks at once.
pub fn conv_scratch_len<const D: usize>(g: &ConvGeom<D>) -> usize {
    let v = g.vol();
    let c = Chunks::of(g, &v);
    c.partials_len(g) + c.lanes() * c.len
}

/// The sizes the GEMMs use.
#[derive(Clone, Copy)]
struct Dims {
    /// `C_in/G·K`, `C_out/G`, `L`, `G`.
    rows: usize,
    cog: usize,
    l: usize,
    groups: usize,
}

impl Dims {
    fn of<const D: usize>(g: &ConvGeom<D>, v: &Vol) -> Dims {
        Dims { rows: g.c_in / g.groups * v.taps(), cog: g.c_out / g.groups, l: v.out_len(), groups: g.groups }
    }
}

/// A slice that concurrent chunks write disjoint parts of.
struct Shared<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: std::marker::PhantomData<&'a mut [T]>,
}

// SAFETY: `Shared` hands out only the disjoint ranges of distinct chunks (see `part`), each to
// one thread, so sending or sharing it is as safe as sending `&mut [T]` pieces.
unsafe impl<T: Send> Send for Shared<'_, T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Shared<'_, T> {}

impl<'a, T> Shared<'a, T> {
    fn new(s: &'a mut [T]) -> Self {
        Shared { ptr: s.as_mut_ptr(), len: s.len(), _borrow: std::marker::PhantomData }
    }

    /// `&mut s[start..end]`.
    ///
    /// # Safety
    /// No other live reference may overlap `start..end`: callers take the range of the chunk
    /// they claimed, and each chunk is claimed once.
    #[allow(clippy::mut_from_ref)]
    unsafe fn part(&self, start: usize, end: usize) -> &mut [T] {
        assert!(start <= end && end <= self.len, "conv: chunk range {start}..{end} outside {}", self.len);
        // SAFETY: in bounds (checked above) of the slice `new` borrowed for the lifetime of
        // `self`; exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), end - start) }
    }
}

/// Runs `f(chunk, first image, image count, lane)` for every chunk of images, on up to
/// [`Chunks::lanes`] threads at once, each lane with its own part of `lanes` (`Chunks::len`
/// elements; [`split`] gives the im2col path its parts). A lane claims the next chunk when it is
/// done with one, so a busy core just runs fewer chunks.
fn for_each_chunk<T: Send, const D: usize>(g: &ConvGeom<D>, c: Chunks, lanes: &mut [T], f: impl Fn(usize, usize, usize, &mut [T]) + Sync) {
    let run = |lane: &mut [T], chunk: usize| {
        let start = chunk * c.per;
        f(chunk, start, c.per.min(g.n - start), lane);
    };
    let lane_count = (lanes.len() / c.len.max(1)).min(c.lanes());
    if lane_count <= 1 || c.count <= 1 {
        (0..c.count).for_each(|chunk| run(&mut lanes[..c.len], chunk));
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    lanes[..lane_count * c.len].par_chunks_mut(c.len).for_each(|lane| {
        loop {
            let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if chunk >= c.count {
                break;
            }
            run(lane, chunk);
        }
    });
}

/// A lane's `[C_in·K, B·L]` column matrix and `[C_out, B·L]` GEMM result, for `b` images.
fn split<'a, T, const D: usize>(lane: &'a mut [T], g: &ConvGeom<D>, v: &Vol, b: usize) -> (&'a mut [T], &'a mut [T]) {
    let bl = b * v.out_len();
    let (cols, rest) = lane.split_at_mut(v.rows() * bl);
    (cols, &mut rest[..g.c_out * bl])
}

/// Panics unless `scratch` holds the partial sums and at least one lane.
fn check_scratch(op: &str, have: usize, partials: usize, c: &Chunks) {
    let least = partials + c.len;
    assert!(have >= least, "{op}: scratch has {have} elements, expected at least {least} (conv_scratch_len)");
}

/// Runs `f(i, chunk)` over the `len`-element chunks of `s`, on rayon when `s` is large.
fn rows_mut<T: Send>(s: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if s.is_empty() || len == 0 {
        return;
    }
    if s.len() < par_threshold() {
        s.chunks_exact_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    } else {
        s.par_chunks_exact_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    }
}

/// `y = conv(x, W) + b`; see the [module docs](super). `scratch` has at least
/// [`conv_scratch_len`] elements (its contents on entry do not matter).
pub fn conv_forward<T: Real, const D: usize>(g: &ConvGeom<D>, x: &[T], w: &[T], b: Option<&[T]>, y: &mut [T], scratch: &mut [T]) {
    g.check("conv_forward", x.len(), w.len(), b.map(<[T]>::len), y.len());
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let c = Chunks::of(g, &v);
    let parts = c.partials_len(g);
    check_scratch("conv_forward", scratch.len(), parts, &c);
    let (img, out_img, l) = (g.c_in * v.in_len(), g.c_out * dm.l, dm.l);
    let ys = Shared::new(y);
    let (direct, multi) = (direct::applies(g), multi::applies::<T, D>(g));
    for_each_chunk(g, c, &mut scratch[parts..], |_, start, n, lane| {
        if direct || multi {
            // SAFETY: this chunk's images, claimed by this lane only.
            let y = unsafe { ys.part(start * out_img, (start + n) * out_img) };
            let x = &x[start * img..(start + n) * img];
            if direct {
                direct::forward(g, n, x, w, b, y)
            } else {
                multi::forward(g, n, x, w, b, y, lane)
            }
            return;
        }
        let (nl, (cols, tmp)) = (n * l, split(lane, g, &v, n));
        im2col(&v, n, &x[start * img..(start + n) * img], cols);
        for grp in 0..dm.groups {
            let wg = &w[grp * dm.cog * dm.rows..];
            let cg = &cols[grp * dm.rows * nl..];
            let tg = &mut tmp[grp * dm.cog * nl..(grp + 1) * dm.cog * nl];
            // tmp_g[cog×BL] = W_g[cog×rows] · cols_g[rows×BL]
            T::gemm(dm.cog, dm.rows, nl, T::one(), wg, dm.rows as isize, 1, cg, nl as isize, 1, T::zero(), tg, nl as isize, 1);
        }
        // SAFETY: this chunk's images, claimed by this lane only.
        let y = unsafe { ys.part(start * out_img, (start + n) * out_img) };
        // y[i, o, :] = tmp[o, i·L..(i+1)·L] + b[o]
        let tmp = &*tmp;
        rows_mut(y, out_img, |i, yi| {
            for (o, row) in yi.chunks_exact_mut(l).enumerate() {
                let src = &tmp[o * nl + i * l..o * nl + (i + 1) * l];
                match b {
                    Some(b) => {
                        let bo = b[o];
                        row.iter_mut().zip(src).for_each(|(d, &s)| *d = s + bo);
                    }
                    None => row.copy_from_slice(src),
                }
            }
        });
    });
}

/// The backward of [`conv_forward`] at input `x`: writes `dx` into `grad_in`, accumulates
/// `dW += Σ dY·colᵀ` into `grad_weight` and `db += Σ dY` into `grad_bias` (each skipped when
/// `None`). `scratch` as for [`conv_forward`].
#[allow(clippy::too_many_arguments)]
pub fn conv_backward<T: Real, const D: usize>(
    g: &ConvGeom<D>,
    x: &[T],
    w: &[T],
    grad_out: &[T],
    scratch: &mut [T],
    grad_in: Option<&mut [T]>,
    grad_weight: Option<&mut [T]>,
    grad_bias: Option<&mut [T]>,
) {
    g.check("conv_backward", x.len(), w.len(), grad_bias.as_deref().map(<[T]>::len), grad_out.len());
    if let Some(dw) = grad_weight.as_deref() {
        assert_eq!(dw.len(), g.weight_len(), "conv_backward: grad_weight has {} elements, expected {}", dw.len(), g.weight_len());
    }
    if let Some(dx) = grad_in.as_deref() {
        assert_eq!(dx.len(), x.len(), "conv_backward: grad_in has {} elements, expected {}", dx.len(), x.len());
    }
    let v = g.vol();
    let dm = Dims::of(g, &v);
    let c = Chunks::of(g, &v);
    let parts = c.partials_len(g);
    check_scratch("conv_backward", scratch.len(), parts, &c);
    let (img, out_img, l) = (g.c_in * v.in_len(), g.c_out * dm.l, dm.l);
    if l == 0 {
        if let Some(dx) = grad_in {
            dx.fill(T::zero());
        }
        return;
    }
    let (wl, co) = (g.weight_len(), g.c_out);
    let (partials, lanes) = scratch.split_at_mut(parts);
    let (pdw, pdb) = partials.split_at_mut(c.count * wl);
    let (pdw, pdb) = (Shared::new(pdw), Shared::new(pdb));
    let (want_dw, want_db) = (grad_weight.is_some(), grad_bias.is_some());
    // The direct loops compute the parameter gradients only; an input gradient takes im2col.
    let direct = direct::applies(g) && grad_in.is_none();
    let multi = multi::applies::<T, D>(g);
    let dxs = grad_in.map(Shared::new);
    for_each_chunk(g, c, lanes, |chunk, start, n, lane| {
        let nl = n * l;
        let gy = &grad_out[start * out_img..(start + n) * out_img];
        if multi {
            if let Some(dxs) = &dxs {
                // SAFETY: this chunk's images, claimed by this lane only.
                multi::input_grad(g, n, gy, w, unsafe { dxs.part(start * img, (start + n) * img) }, lane);
            }
            // SAFETY: this chunk's partial sums, claimed by this lane only.
            let (dw, db) = unsafe {
                (
                    if want_dw { pdw.part(chunk * wl, (chunk + 1) * wl) } else { &mut [][..] },
                    if want_db { pdb.part(chunk * co, (chunk + 1) * co) } else { &mut [][..] },
                )
            };
            dw.fill(T::zero());
            db.fill(T::zero());
            multi::weight_grad(g, n, &x[start * img..(start + n) * img], gy, dw, db, lane);
            return;
        }
        if direct {
            // SAFETY: this chunk's partial sums, claimed by this lane only.
            let (dw, db) = unsafe {
                (
                    if want_dw { pdw.part(chunk * wl, (chunk + 1) * wl) } else { &mut [][..] },
                    if want_db { pdb.part(chunk * co, (chunk + 1) * co) } else { &mut [][..] },
                )
            };
            dw.fill(T::zero());
            db.fill(T::zero());
            direct::weight_grad(g, n, &x[start * img..(start + n) * img], gy, dw, db);
            return;
        }
        let (cols, tmp) = split(lane, g, &v, n);
        // tmp[o, i·L..(i+1)·L] = dY[i, o, :]
        rows_mut(tmp, nl, |o, trow| {
            for (i, dst) in trow.chunks_exact_mut(l).enumerate() {
                dst.copy_from_slice(&gy[i * out_img + o * l..i * out_img + (o + 1) * l]);
            }
        });
        let tmp = &*tmp;
        if want_db {
            // SAFETY: this chunk's partial sums, claimed by this lane only.
            let db = unsafe { pdb.part(chunk * co, (chunk + 1) * co) };
            // Image by image, in order.
            for (d, row) in db.iter_mut().zip(tmp.chunks_exact(nl)) {
                *d = row.chunks_exact(l).map(|p| p.iter().copied().sum::<T>()).sum::<T>();
            }
        }
        if want_dw {
            // SAFETY: as above.
            let dw = unsafe { pdw.part(chunk * wl, (chunk + 1) * wl) };
            im2col(&v, n, &x[start * img..(start + n) * img], cols);
            for grp in 0..dm.groups {
                // dW_g[cog×rows] = dY_g[cog×BL] · cols_g[rows×BL]ᵀ (this chunk's part)
                let gyg = &tmp[grp * dm.cog * nl..];
                let cg = &cols[grp * dm.rows * nl..];
                let dwg = &mut dw[grp * dm.cog * dm.rows..(grp + 1) * dm.cog * dm.rows];
                T::gemm(dm.cog, nl, dm.rows, T::one(), gyg, nl as isize, 1, cg, 1, nl as isize, T::zero(), dwg, dm.rows as isize, 1);
            }
        }
        if let Some(dxs) = &dxs {
            for grp in 0..dm.groups {
                // dcols_g[rows×BL] = W_g[cog×rows]ᵀ · dY_g[cog×BL], over the columns.
                let wg = &w[grp * dm.cog * dm.rows..];
                let gyg = &tmp[grp * dm.cog * nl..];
                let dcg = &mut cols[grp * dm.rows * nl..(grp + 1) * dm.rows * nl];
                T::gemm(dm.rows, dm.cog, nl, T::one(), wg, 1, dm.rows as isize, gyg, nl as isize, 1, T::zero(), dcg, nl as isize, 1);
            }
            // SAFETY: this chunk's images, claimed by this lane only.
            col2im(&v, n, cols, unsafe { dxs.part(start * img, (start + n) * img) });
        }
    });
    // The parameter gradients: the chunks' partial sums added in chunk order.
    if let Some(dw) = grad_weight {
        add_partials(dw, &partials[..c.count * wl]);
    }
    if let Some(db) = grad_bias {
        add_partials(db, &partials[c.count * wl..]);
    }
}

/// `acc[j] += Σ_c parts[c][j]`, the sum taken in chunk order.
fn add_partials<T: Real>(acc: &mut [T], parts: &[T]) {
    if acc.is_empty() {
        return;
    }
    let mut chunks = parts.chunks_exact(acc.len());
    let Some(first) = chunks.next() else { return }; // an empty batch
    for (j, a) in acc.iter_mut().enumerate() {
        let mut s = first[j];
        for p in chunks.clone() {
            s += p[j];
        }
        *a += s;
    }
}

//! [`super::Backend::Packed`]: our cache-blocked, packed SGEMM, which allocates nothing once warm.
//!
//! BLIS's loop order, for `C ← α·A·B + β·C`:
//!
//! ```text
//! for jc in 0..n step NC            B's columns
//!   for pc in 0..k step KC          the inner dimension; β applies at pc = 0 only
//!     pack B[pc.., jc..] (KC×NC) into NR-column micro-panels
//!     for ic in 0..m step MC
//!       pack A[ic.., pc..] (MC×KC) into MR-row micro-panels
//!       for jr in 0..nc step NR     one B micro-panel (KC×NR, stays in L1)
//!         for ir in 0..mc step MR   one A micro-panel (from L2)
//!           micro-kernel: an MR×NR tile of C in registers, KC rank-1 updates, then stored
//! ```
//!
//! Packing reads A and B through their strides (a transpose is a stride swap) and pads the last
//! micro-panels with zeros, so the micro-kernel always computes a whole tile and stores only the
//! `mr×nr` part inside C. The AVX-512 kernels may skip A's packing and read its rows in place
//! (see [`a_in_place`]), and `k` is cut into blocks of equal depth, at most KC. The packing buffers are one thread-local `Vec<f32>` per thread, sized
//! once for the largest blocks (`(MC + NC)·KC` floats, whose pages the OS maps only when first
//! written) and aligned to 64 bytes by an offset: a thread allocates on its first call and never
//! again.
//!
//! Micro-kernels, picked at run time ([`Isa::best`]): AVX-512F 12×32 (`gemm_packed_avx512.rs`,
//! 24 of the 32 zmm registers accumulate), AVX2+FMA 6×16 (`gemm_packed_avx2.rs`), and portable
//! 4×8 loops elsewhere.
//!
//! Before blocking, the product may be turned into `Cᵀ = Bᵀ·Aᵀ` (a swap of sizes and strides)
//! when that wastes fewer padded tile elements, net of the cost of scalar stores into a C whose
//! rows are not contiguous, e.g. `128×256·256×10`, whose 10 columns would fill
//! a 32-wide tile to a third, becomes a `10×128` product whose 10 rows fill 12-row tiles. Above
//! the thread threshold, C is cut into panels of whole tiles (rows when `m ≥ n`, else columns),
//! one per thread of rayon's pool, each running the serial loops with its thread's buffers.

use super::RowEpilogue;
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

#[cfg(target_arch = "x86_64")]
#[path = "gemm_packed_avx2.rs"]
mod avx2;
#[cfg(target_arch = "x86_64")]
#[path = "gemm_packed_avx512.rs"]
mod avx512;

/// Depth of a packed block (rows of a B micro-panel): 12·256 + 32·256 floats of micro-panels
/// are 44 KiB, within a 48 KiB L1 data cache.
pub(super) const KC: usize = 256;
/// Rows of a packed A block (a multiple of every MR): 144·256 floats are 144 KiB of L2.
pub(super) const MC: usize = 144;
/// Columns of a packed B panel (a multiple of every NR): 2048·256 floats are 2 MiB.
pub(super) const NC: usize = 2048;

/// A micro-kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Isa {
    /// AVX-512F, 12×32 tiles.
    Avx512,
    /// AVX2 and FMA, 6×16 tiles.
    Avx2,
    /// Plain loops, 4×8 tiles.
    Portable,
}

impl Isa {
    /// Every implementation, fastest first.
    pub(super) const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2, Isa::Portable];

    /// Whether this CPU runs it.
    pub(super) fn available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2 => false,
            Isa::Portable => true,
        }
    }

    /// The fastest one this CPU runs.
    pub(super) fn best() -> Isa {
        Isa::ALL.into_iter().find(|isa| isa.available()).unwrap_or(Isa::Portable)
    }

    /// The tile `(MR, NR)`.
    pub(super) fn tile(self) -> (usize, usize) {
        match self {
            Isa::Avx512 => (12, 32),
            Isa::Avx2 => (6, 16),
            Isa::Portable => (PORTABLE_MR, PORTABLE_NR),
        }
    }
}

const PORTABLE_MR: usize = 4;
const PORTABLE_NR: usize = 8;

/// A strided matrix by its base pointer.
#[derive(Clone, Copy)]
pub(super) struct Mat {
    pub ptr: *const f32,
    pub rs: isize,
    pub cs: isize,
}

impl Mat {
    /// The transposed view: strides swapped.
    fn t(self) -> Mat {
        Mat { ptr: self.ptr, rs: self.cs, cs: self.rs }
    }
    /// Element `(i, j)`'s address, by wrapping arithmetic (only dereferenced inside the matrix).
    fn at(self, i: usize, j: usize) -> *const f32 {
        self.ptr.wrapping_offset(i as isize * self.rs + j as isize * self.cs)
    }
}

/// A raw pointer that may cross to rayon's threads; see the SAFETY note at its use.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);

impl SendPtr {
    /// The pointer (a method, so that closures capture the whole `Send` wrapper).
    fn get(self) -> *mut f32 {
        self.0
    }
}
// SAFETY: `SendPtr` only carries the operands' base pointers to the tasks of one `gemm` call:
// A and B are only read, and the tasks write disjoint elements of C while the caller's borrows
// keep every other access out.
unsafe impl Send for SendPtr {}
// SAFETY: as above; the tasks only copy the pointer.
unsafe impl Sync for SendPtr {}

/// `C ← α·A·B + β·C` with `isa`'s micro-kernel (which the CPU must support: [`Isa::available`]),
/// on at most `threads` threads of rayon's pool.
///
/// # Safety
/// As matrixmultiply's entry points, which `sgemm`'s prologue establishes: every element
/// `(i, j)` of A (`m×k`), B (`k×n`) and C (`m×n`), at offset `i·rs + j·cs` with non-negative
/// strides, lies inside the allocation behind its pointer; distinct `(i, j)` of C have distinct
/// offsets; nobody else accesses C during the call; `m, n, k > 0`; and `isa.available()`.
///
/// With `epi`, each tile's rows of C are handed to it right after the tile's last store (while
/// they are in L1), and the call returns `true`; it does so only when C's rows are contiguous and
/// the product is not turned into `Cᵀ = Bᵀ·Aᵀ`, and otherwise returns `false` without having
/// called `epi` (the caller then runs it over C's rows).
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm(isa: Isa, threads: usize, m: usize, k: usize, n: usize, alpha: f32, a: Mat, b: Mat, beta: f32, c: *mut f32, rsc: isize, csc: isize, epi: Option<RowEpilogue<'_>>) -> bool {
    // Cᵀ = Bᵀ·Aᵀ when that costs less: each padded tile element costs k multiply-adds plus one
    // store per KC block, worth about 4 multiply-adds by vector (rows of C contiguous) and 48 by
    // the scalar path (any other layout).
    let (mr, nr) = isa.tile();
    let cost = |m: usize, n: usize, csc: isize| {
        let padded = (m.div_ceil(mr) * mr * n.div_ceil(nr) * nr) as f64;
        padded * (k + k.div_ceil(KC) * if csc == 1 { 4 } else { 48 }) as f64
    };
    let swap = cost(n, m, rsc) < cost(m, n, csc);
    let (m, n, a, b, rsc, csc) = if swap { (n, m, b.t(), a.t(), csc, rsc) } else { (m, n, a, b, rsc, csc) };
    let epi = epi.filter(|_| !swap && csc == 1);

    let by_rows = m >= n;
    let (len, unit) = if by_rows { (m, mr) } else { (n, nr) };
    let chunk = len.div_ceil(threads.max(1)).next_multiple_of(unit);
    let panels = len.div_ceil(chunk);
    let (pa, pb, pc) = (SendPtr(a.ptr as *mut f32), SendPtr(b.ptr as *mut f32), SendPtr(c));
    let ([rsa, csa], [rsb, csb]) = ([a.rs, a.cs], [b.rs, b.cs]);
    let run = |p: usize| {
        let start = p * chunk;
        let size = chunk.min(len - start);
        let (a, b) = (Mat { ptr: pa.get(), rs: rsa, cs: csa }, Mat { ptr: pb.get(), rs: rsb, cs: csb });
        // SAFETY: panel `p` is rows (or columns) `start..start + size` of C with the matching
        // rows of A (or columns of B): sub-matrices of the operands the caller vouched for.
        // Panels are disjoint sets of (i, j), whose offsets in C are distinct (caller's
        // guarantee), so concurrent panels write disjoint memory; `isa` is available.
        unsafe {
            if by_rows {
                let c = pc.get().wrapping_offset(start as isize * rsc);
                let epi = epi.map(|f| Epi { f, row: start, col: 0 });
                serial(isa, size, k, n, alpha, Mat { ptr: a.at(start, 0), ..a }, b, beta, c, rsc, csc, epi);
            } else {
                let c = pc.get().wrapping_offset(start as isize * csc);
                let epi = epi.map(|f| Epi { f, row: 0, col: start });
                serial(isa, m, k, size, alpha, a, Mat { ptr: b.at(0, start), ..b }, beta, c, rsc, csc, epi);
            }
        }
    };
    if panels <= 1 {
        run(0);
    } else {
        (0..panels).into_par_iter().for_each(run);
    }
    epi.is_some()
}

/// An epilogue with the place of a panel's C in the whole C, so that it receives whole-C indices.
#[derive(Clone, Copy)]
struct Epi<'a> {
    f: RowEpilogue<'a>,
    row: usize,
    col: usize,
}

thread_local! {
    /// This thread's packing buffer (A block, then B panel), grown once to its full size.
    static PACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Floats of a thread's packing buffer: the largest A block and B panel, plus 64 bytes of slack
/// for the alignment offset of each.
const PACK_LEN: usize = MC * KC + KC * NC + 32;

/// Gives `buf` its full size, once (zeroed by the allocator: fresh pages for a buffer this size,
/// touched only as used).
fn grow(buf: &mut Vec<f32>) {
    if buf.len() < PACK_LEN {
        *buf = vec![0.0; PACK_LEN];
    }
}

/// Whether the first packed product of the process has given every thread of rayon's pool its
/// buffer (see [`with_buffers`]).
static POOL_BUFFERS: AtomicBool = AtomicBool::new(false);

/// Runs `f(packed A, packed B)` on this thread's packing buffers (64-byte aligned, `MC·KC` and
/// `KC·NC` floats).
///
/// The first call in the process also gives every thread of rayon's pool its buffer: which worker
/// runs which panel is up to the scheduler, and a worker that ran no packed product during a
/// training loop's warm-up would otherwise allocate its buffer in a later, warm step. A flag rather
/// than a `Once`: a worker that calls in while another thread broadcasts must not wait for it (the
/// broadcast waits for that worker).
fn with_buffers(f: impl FnOnce(*mut f32, *mut f32)) {
    if !POOL_BUFFERS.swap(true, Ordering::Relaxed) {
        rayon::broadcast(|_| {
            PACK.with(|cell| {
                if let Ok(mut buf) = cell.try_borrow_mut() {
                    grow(&mut buf);
                }
            })
        });
    }
    let run = |buf: &mut Vec<f32>| {
        grow(buf);
        let base = buf.as_mut_ptr();
        let off = base.align_offset(64).min(16);
        // SAFETY: `off ≤ 16` and the A block's `MC·KC` floats, 16 floats of slack and the B
        // panel's `KC·NC` floats (offset again by at most 16 to align) end within `PACK_LEN`.
        let (pa, pb) = unsafe {
            let pa = base.add(off);
            let pb = pa.add(MC * KC + 16);
            let pb = pb.add(pb.align_offset(64).min(16));
            (pa, pb)
        };
        f(pa, pb);
    };
    PACK.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => run(&mut buf),
        // Re-entered on this thread (not done by this module; kept correct all the same).
        Err(_) => run(&mut Vec::new()),
    });
}

/// The serial blocked loops with `isa`'s micro-kernel.
///
/// # Safety
/// As [`gemm`].
#[allow(clippy::too_many_arguments)]
unsafe fn serial(isa: Isa, m: usize, k: usize, n: usize, alpha: f32, a: Mat, b: Mat, beta: f32, c: *mut f32, rsc: isize, csc: isize, epi: Option<Epi<'_>>) {
    // SAFETY: forwarded from the caller; each micro-kernel runs only where `isa` is available.
    unsafe {
        match isa {
            // m = 16 as 8 + 8 rows rather than 12 + 4 (measured 0.87 of matrixmultiply).
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 if m <= 64 && (1..=4).contains(&(m % 12)) => {
                blocked::<8, 32>(avx512::tile8, a_in_place(a, n), m, k, n, alpha, a, b, beta, c, rsc, csc, epi)
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => blocked::<12, 32>(avx512::tile, a_in_place(a, n), m, k, n, alpha, a, b, beta, c, rsc, csc, epi),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => blocked::<6, 16>(avx2::tile, false, m, k, n, alpha, a, b, beta, c, rsc, csc, epi),
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx512 | Isa::Avx2 => unreachable!("not available on this architecture"),
            Isa::Portable => blocked::<PORTABLE_MR, PORTABLE_NR>(portable_tile, false, m, k, n, alpha, a, b, beta, c, rsc, csc, epi),
        }
    }
}

/// Whether the AVX-512 kernels read A in place rather than packed: when A's rows are contiguous
/// along k (`X` of `X·Wᵀ`, `G` of `G·W`), whose packing is a transpose, and C is at most 384
/// columns wide, so that the packing would be amortised over few B micro-panels. Single-thread
/// minimum times against packing (2026-11-25): 128×256·256×256 `G·W` 92 → 86 µs,
/// 64×256·256×120 `X·Wᵀ` 29.6 → 25.9 µs, 128×784·784×256 `X·Wᵀ` 312 → 303 µs; on
/// 512×1024·1024×1024 reading in place was 6% slower (LLVM keeps part of the 12 row pointers
/// on the stack), hence the width limit.
#[cfg(target_arch = "x86_64")]
fn a_in_place(a: Mat, n: usize) -> bool {
    a.cs == 1 && a.rs > 0 && n <= 384
}

/// A micro-kernel: `C[..mr, ..nr] ← α·(Ã·B̃)[..mr, ..nr] + β·C[..mr, ..nr]`, with `Ã` a packed
/// `MR×kc` micro-panel (kc groups of MR; the stride argument after it is 0) or, for kernels that
/// can, A's `mr` rows in place (`kc` contiguous floats each, the stride argument their row
/// stride), `B̃` a packed `kc×NR` one (kc groups of NR), and C at `c` with strides
/// `(rsc, csc)`; with `β = 0`, C is not read.
pub(super) type Tile = unsafe fn(usize, *const f32, isize, *const f32, f32, f32, *mut f32, isize, isize, usize, usize);

/// See [`serial`]: the loops of the module documentation for an `MR×NR` micro-kernel.
///
/// # Safety
/// As [`gemm`], and `tile` runs on this CPU; `a_in_place` only for a `tile` that reads A in
/// place, and an A with `a.cs == 1`.
#[allow(clippy::too_many_arguments)]
unsafe fn blocked<const MR: usize, const NR: usize>(tile: Tile, a_in_place: bool, m: usize, k: usize, n: usize, alpha: f32, a: Mat, b: Mat, beta: f32, c: *mut f32, rsc: isize, csc: isize, epi: Option<Epi<'_>>) {
    // Blocks of equal depth: k = 784 as 4 × 196 rather than 3 × 256 + 16, whose last block
    // would load and store every tile of C for 16 multiply-adds each.
    let kc_step = k.div_ceil(k.div_ceil(KC));
    with_buffers(|pa, pb| {
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(kc_step) {
                let kc = kc_step.min(k - pc);
                let beta = if pc == 0 { beta } else { 1.0 };
                // SAFETY: the B panel is inside B (caller), its packed form (kc × nc rounded up
                // to NR ≤ KC·NC floats) inside the buffer.
                unsafe { pack::<NR>(kc, nc, Mat { ptr: b.at(pc, jc), ..b }.t(), pb) };
                for ic in (0..m).step_by(MC) {
                    let mc = MC.min(m - ic);
                    if !a_in_place {
                        // SAFETY: likewise for the A block (mc rounded up to MR, ≤ MC, times kc).
                        unsafe { pack::<MR>(kc, mc, Mat { ptr: a.at(ic, pc), ..a }, pa) };
                    }
                    for jr in (0..nc).step_by(NR) {
                        for ir in (0..mc).step_by(MR) {
                            let (i, j) = (ic + ir, jc + jr);
                            let cij = c.wrapping_offset(i as isize * rsc + j as isize * csc);
                            let (ap, ars) = if a_in_place { (a.at(i, pc), a.rs) } else { (pa.wrapping_add(ir * kc).cast_const(), 0) };
                            let (mr, nr) = (MR.min(mc - ir), NR.min(nc - jr));
                            // SAFETY: the B micro-panel lies in the packed buffer (kc·NR floats at
                            // jr·kc); the A micro-panel too (kc·MR at ir·kc), or A's rows
                            // i..i + mr, columns pc..pc + kc lie in A (caller); the tile's `mr×nr`
                            // part of C lies in C (caller), distinct from every other tile's.
                            unsafe {
                                tile(kc, ap, ars, pb.add(jr * kc), alpha, beta, cij, rsc, csc, mr, nr);
                            }
                            if let Some(e) = epi.filter(|_| pc + kc == k) {
                                for r in 0..mr {
                                    // SAFETY: `epi` comes only with `csc == 1` (see `gemm`): row
                                    // `i + r` of the tile is `nr` contiguous floats of C, which this
                                    // call owns (caller) and no other tile or thread touches.
                                    let row = unsafe { std::slice::from_raw_parts_mut(cij.wrapping_offset(r as isize * rsc), nr) };
                                    (e.f)(e.row + i + r, e.col + j, row);
                                }
                            }
                        }
                    }
                }
            }
        }
    });
}

/// Packs the `len×kc` matrix `x` (`len` rows: A's rows, or B's columns when given `Bᵀ`) into
/// `W`-row micro-panels at `out`: panel `r` holds, for each `p` in `0..kc`, rows `r·W..r·W + W`
/// of column `p`, zero beyond `len`.
///
/// # Safety
/// Every element of `x` lies inside its allocation, and `out` has room for
/// `len.div_ceil(W)·W·kc` floats.
unsafe fn pack<const W: usize>(kc: usize, len: usize, x: Mat, out: *mut f32) {
    for r in 0..len.div_ceil(W) {
        let rows = W.min(len - r * W);
        // SAFETY: panel `r` is the `rows×kc` sub-matrix at row `r·W` of `x` (inside it), written
        // to floats `r·W·kc..(r + 1)·W·kc` of `out` (inside it).
        unsafe {
            let dst = out.add(r * W * kc);
            let src = x.at(r * W, 0);
            if x.rs == 1 && rows == W {
                // Each column's W values are contiguous: copy them (a constant length, which
                // compiles to a few vector moves instead of a call to memmove).
                for p in 0..kc {
                    std::ptr::copy_nonoverlapping(src.offset(p as isize * x.cs), dst.add(p * W), W);
                }
            } else if x.rs == 1 {
                // The last panel: `rows < W` values, then zeros.
                for p in 0..kc {
                    let s = src.offset(p as isize * x.cs);
                    let d = dst.add(p * W);
                    std::ptr::copy_nonoverlapping(s, d, rows);
                    for i in rows..W {
                        *d.add(i) = 0.0;
                    }
                }
            } else {
                // Rows whose kc values are contiguous: 4×4 blocks transposed in SSE registers.
                #[cfg(target_arch = "x86_64")]
                let done = if x.cs == 1 && W.is_multiple_of(4) {
                    transpose_4x4_blocks::<W>(kc, rows / 4 * 4, src, x.rs, dst);
                    rows / 4 * 4
                } else {
                    0
                };
                #[cfg(not(target_arch = "x86_64"))]
                let done = 0;
                for i in done..rows {
                    let s = src.offset(i as isize * x.rs);
                    for p in 0..kc {
                        *dst.add(p * W + i) = *s.offset(p as isize * x.cs);
                    }
                }
                for i in rows..W {
                    for p in 0..kc {
                        *dst.add(p * W + i) = 0.0;
                    }
                }
            }
        }
    }
}

/// Packs the first `rows` (a multiple of 4, at most `W`) rows of a micro-panel whose rows are
/// contiguous (`x.cs == 1`, `W % 4 == 0`): for each block of 4 rows and 4 columns, 4 loads, the
/// SSE 4×4 transpose and 4 stores; the last `kc % 4` columns element by element.
///
/// # Safety
/// Rows `0..rows` of the matrix at `src` with row stride `rs`, columns `0..kc` (contiguous), lie
/// inside its allocation; `dst` has room for `W·kc` floats.
#[cfg(target_arch = "x86_64")]
unsafe fn transpose_4x4_blocks<const W: usize>(kc: usize, rows: usize, src: *const f32, rs: isize, dst: *mut f32) {
    use std::arch::x86_64::*;
    let full = kc / 4 * 4;
    for i in (0..rows).step_by(4) {
        // SAFETY: rows `i..i + 4 ≤ rows` and columns `p..p + 4 ≤ kc` are inside the source (caller);
        // the stores go to floats `(p + q)·W + i..+4` for `q < 4`, below `W·kc`.
        unsafe {
            let row = |r: usize| src.offset((i + r) as isize * rs);
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
            for p in (0..full).step_by(4) {
                let (a, b) = (_mm_loadu_ps(r0.add(p)), _mm_loadu_ps(r1.add(p)));
                let (c, d) = (_mm_loadu_ps(r2.add(p)), _mm_loadu_ps(r3.add(p)));
                let (ab_lo, ab_hi) = (_mm_unpacklo_ps(a, b), _mm_unpackhi_ps(a, b));
                let (cd_lo, cd_hi) = (_mm_unpacklo_ps(c, d), _mm_unpackhi_ps(c, d));
                let out = dst.add(p * W + i);
                _mm_storeu_ps(out, _mm_movelh_ps(ab_lo, cd_lo));
                _mm_storeu_ps(out.add(W), _mm_movehl_ps(cd_lo, ab_lo));
                _mm_storeu_ps(out.add(2 * W), _mm_movelh_ps(ab_hi, cd_hi));
                _mm_storeu_ps(out.add(3 * W), _mm_movehl_ps(cd_hi, ab_hi));
            }
            for p in full..kc {
                for r in 0..4 {
                    *dst.add(p * W + i + r) = *row(r).add(p);
                }
            }
        }
    }
}

/// Stores `α·t + β·C` for the `mr×nr` top-left part of an `MR×NR` tile `t` (row-major, `nr_t`
/// floats a row) into C at `c`; with `β = 0`, C is not read. Shared by the micro-kernels for
/// edge tiles and strided C.
///
/// # Safety
/// The `mr×nr` elements of C at `c` with strides `(rsc, csc)` lie inside C's allocation and
/// nobody else accesses them.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn store_scalar(t: &[f32], nr_t: usize, alpha: f32, beta: f32, c: *mut f32, rsc: isize, csc: isize, mr: usize, nr: usize) {
    for i in 0..mr {
        for j in 0..nr {
            let v = alpha * t[i * nr_t + j];
            // SAFETY: `(i, j)` is inside the tile's part of C (caller).
            unsafe {
                let dst = c.offset(i as isize * rsc + j as isize * csc);
                *dst = if beta == 0.0 { v } else { v + beta * *dst };
            }
        }
    }
}

/// The portable micro-kernel (any CPU): a 4×8 tile in a local array, which LLVM vectorises.
///
/// # Safety
/// As [`Tile`]: the packed micro-panels hold `kc·MR` and `kc·NR` floats, and the `mr×nr` part of
/// C lies inside its allocation.
#[allow(clippy::too_many_arguments)]
unsafe fn portable_tile(kc: usize, a: *const f32, ars: isize, b: *const f32, alpha: f32, beta: f32, c: *mut f32, rsc: isize, csc: isize, mr: usize, nr: usize) {
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    debug_assert_eq!(ars, 0, "the portable kernel reads packed A only");
    // SAFETY: the micro-panels hold `kc·MR` and `kc·NR` floats (caller).
    let (a, b) = unsafe { (std::slice::from_raw_parts(a, kc * MR), std::slice::from_raw_parts(b, kc * NR)) };
    let mut acc = [[0.0f32; NR]; MR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] += ap[i] * bp[j];
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { store_scalar(acc.as_flattened(), NR, alpha, beta, c, rsc, csc, mr, nr) };
}

//! Every [`Backend`] against the triple loop ([`gemm_naive`] in f64) on random shapes and all
//! stride layouts, with the edge cases of [`sgemm`]'s contract.

use super::*;

/// xorshift in [-1, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn vec(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| (self.next() % 2001) as f32 / 1000.0 - 1.0).collect()
    }
}

fn backends() -> Vec<Backend> {
    // 3 panels exercise the split whatever the size of rayon's pool.
    [&[Backend::Auto, Backend::MatrixMultiply { threads: 3 }, Backend::Packed { threads: 3 }], Backend::COMPILED].concat()
}

/// Strides of a `rows×cols` matrix stored row-major (`t == false`) or column-major, with `pad`
/// unused elements after each row (column), and the slice length it needs.
fn layout(rows: usize, cols: usize, t: bool, pad: usize) -> (isize, isize, usize) {
    let (rs, cs) = if t { (1, rows + pad) } else { (cols + pad, 1) };
    let len = if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 };
    (rs as isize, cs as isize, len)
}

/// Runs one case on every backend and compares C with the f64 triple loop.
#[allow(clippy::too_many_arguments)]
fn check(m: usize, k: usize, n: usize, alpha: f32, beta: f32, (ta, tb, tc): (bool, bool, bool), pad: usize, rng: &mut Rng) {
    let (rsa, csa, la) = layout(m, k, ta, pad);
    let (rsb, csb, lb) = layout(k, n, tb, pad);
    let (rsc, csc, lc) = layout(m, n, tc, pad);
    let a = rng.vec(la);
    let b = rng.vec(lb);
    let c0 = if beta == 0.0 { vec![f32::NAN; lc] } else { rng.vec(lc) };
    let up = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    let mut want = up(&c0);
    if beta == 0.0 {
        want.iter_mut().for_each(|x| *x = 0.0);
    }
    gemm_naive(m, k, n, alpha as f64, &up(&a), rsa, csa, &up(&b), rsb, csb, beta as f64, &mut want, rsc, csc);
    // Every packed micro-kernel this CPU runs, serial and split in 3 panels, besides `best`.
    let isas = packed::Isa::ALL.into_iter().filter(|isa| isa.available());
    let runs = backends().into_iter().map(|b| (format!("{b:?}"), Some(b), None));
    let runs = runs.chain(isas.flat_map(|isa| [1, 3].map(|t| (format!("{isa:?} t{t}"), None, Some((isa, t))))));
    for (backend, chosen, isa) in runs {
        let mut got = c0.clone();
        if let Some(backend) = chosen {
            sgemm_with(backend, m, k, n, alpha, &a, rsa, csa, &b, rsb, csb, beta, &mut got, rsc, csc);
        } else if let Some((isa, threads)) = isa {
            let mat = |x: &[f32], rs, cs| packed::Mat { ptr: x.as_ptr(), rs, cs };
            if m > 0 && n > 0 && k > 0 {
                // SAFETY: `layout` sized each slice for its matrix (non-negative strides, every
                // element inside), C's layout is injective, `got` is borrowed mutably, `isa` is
                // available (filtered above) and the sizes are positive.
                unsafe { packed::gemm(isa, threads, m, k, n, alpha, mat(&a, rsa, csa), mat(&b, rsb, csb), beta, got.as_mut_ptr(), rsc, csc, None) };
            } else {
                sgemm_with(Backend::Packed { threads }, m, k, n, alpha, &a, rsa, csa, &b, rsb, csb, beta, &mut got, rsc, csc);
            }
        }
        for i in 0..m {
            for j in 0..n {
                let at = i * rsc as usize + j * csc as usize;
                let (g, w) = (got[at] as f64, want[at]);
                assert!(
                    (g - w).abs() <= 1e-5 * (k as f64 + 1.0) * (1.0 + w.abs()),
                    "{backend} {m}x{k}x{n} (ta, tb, tc) = {:?} pad {pad} alpha {alpha} beta {beta}: C[{i}, {j}] = {g}, want {w}",
                    (ta, tb, tc)
                );
            }
        }
        // Padding between rows/columns of C is never written.
        for (at, (&g, &c)) in got.iter().zip(&c0).enumerate() {
            let (i, j) = if tc { (at % (m + pad), at / (m + pad)) } else { (at / (n + pad), at % (n + pad)) };
            if i >= m || j >= n {
                assert!(g.to_bits() == c.to_bits(), "{backend}: padding element {at} was written");
            }
        }
    }
}

const LAYOUTS: [(bool, bool, bool); 8] = [
    (false, false, false),
    (true, false, false),
    (false, true, false),
    (true, true, false),
    (false, false, true),
    (true, false, true),
    (false, true, true),
    (true, true, true),
];

#[test]
fn every_backend_matches_naive_on_random_shapes_and_layouts() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..60 {
        // Mostly small (the direct path's register-block edges), some past DIRECT_MAX_MNK.
        let big = case % 10 == 9;
        let dim = |rng: &mut Rng| if big { 40 + rng.below(90) } else { 1 + rng.below(37) };
        let (m, k, n) = (dim(&mut rng), dim(&mut rng), dim(&mut rng));
        let (alpha, beta) = [(1.0, 0.0), (0.5, 2.0), (-1.5, 1.0), (2.0, -0.25)][case % 4];
        check(m, k, n, alpha, beta, LAYOUTS[case % 8], case % 3, &mut rng);
    }
}

#[test]
fn vectors_and_degenerate_shapes_on_every_layout() {
    let mut rng = Rng(7);
    let shapes = [(1, 1, 1), (1, 33, 1), (1, 7, 40), (40, 7, 1), (1, 1, 19), (19, 1, 1), (5, 1, 17), (2, 256, 10)];
    for &(m, k, n) in &shapes {
        for (l, &layout) in LAYOUTS.iter().enumerate() {
            check(m, k, n, 1.0, 0.0, layout, l % 2, &mut rng);
            check(m, k, n, 0.5, 1.5, layout, 0, &mut rng);
        }
    }
}

#[test]
fn fusenet_training_shapes_match_naive() {
    // Linear [B, in] -> [B, out]: X·Wᵀ, Gᵀ·X, G·W (benches/workloads gemms()).
    let mut rng = Rng(11);
    for &(bsz, inp, out) in &[(2, 20, 256), (2, 256, 10), (8, 64, 48)] {
        check(bsz, inp, out, 1.0, 0.0, (false, true, false), 0, &mut rng);
        check(out, bsz, inp, 1.0, 1.0, (true, false, false), 0, &mut rng);
        check(bsz, out, inp, 1.0, 0.0, (false, false, false), 0, &mut rng);
    }
}

#[test]
fn zero_inner_dimension_on_every_backend() {
    for backend in backends() {
        let mut c = vec![f32::NAN; 6];
        sgemm_with(backend, 2, 0, 3, 1.0, &[], 0, 0, &[], 0, 0, 0.0, &mut c, 3, 1);
        assert_eq!(c, [0.0; 6], "{backend:?}");
        let mut c = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        sgemm_with(backend, 2, 0, 3, 1.0, &[], 0, 0, &[], 0, 0, -2.0, &mut c, 1, 2);
        assert_eq!(c, [-2.0, -4.0, -6.0, -8.0, -10.0, -12.0], "{backend:?}");
    }
}

#[test]
fn broadcast_operands_with_zero_strides() {
    // Every row of A is a[0..k] (rsa = 0), every column of B is b[0..k] (csb = 0).
    let mut rng = Rng(3);
    let (m, k, n) = (5, 9, 21);
    let a = rng.vec(k);
    let b = rng.vec(k);
    let dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    for backend in backends() {
        let mut c = vec![f32::NAN; m * n];
        sgemm_with(backend, m, k, n, 2.0, &a, 0, 1, &b, 1, 0, 0.0, &mut c, n as isize, 1);
        for &x in &c {
            assert!((x - 2.0 * dot).abs() < 1e-5, "{backend:?}: {x} vs {}", 2.0 * dot);
        }
    }
}

#[test]
fn nan_in_c_is_not_read_when_beta_is_zero_but_propagates_otherwise() {
    let a = [1.0, 2.0, 3.0, 4.0];
    for backend in backends() {
        let mut c = [f32::NAN; 4];
        sgemm_with(backend, 2, 2, 2, 1.0, &a, 2, 1, &a, 2, 1, 0.0, &mut c, 2, 1);
        assert_eq!(c, [7.0, 10.0, 15.0, 22.0], "{backend:?}");
        let mut c = [f32::NAN, 0.0, 0.0, 0.0];
        sgemm_with(backend, 2, 2, 2, 1.0, &a, 2, 1, &a, 2, 1, 1.0, &mut c, 2, 1);
        assert!(c[0].is_nan() && c[1] == 10.0, "{backend:?}: {c:?}");
    }
}

/// `[rsa, csa, rsb, csb, rsc, csc]` of a row-major C with A and/or B transposed.
fn strides(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> [isize; 6] {
    let (rsa, csa) = if ta { (1, m) } else { (k, 1) };
    let (rsb, csb) = if tb { (1, k) } else { (n, 1) };
    [rsa, csa, rsb, csb, n, 1].map(|s| s as isize)
}

#[test]
fn auto_takes_the_direct_path_where_it_was_measured_to_win() {
    let auto = |m, k, n, ta, tb| auto_backend(m, k, n, strides(m, k, n, ta, tb));
    // seed_mlp_b2: every GEMM of the step.
    for (m, k, n, ta, tb) in [(2, 20, 256, false, true), (256, 2, 20, true, false), (2, 256, 10, false, true), (10, 2, 256, true, false), (2, 10, 256, false, false)] {
        assert_eq!(auto(m, k, n, ta, tb), Backend::Direct, "{m}x{k}x{n}");
    }
    // Few rows of C, B read twice: direct; many rows or a big B: packed.
    assert_eq!(auto(10, 128, 256, true, false), Backend::Direct);
    assert_eq!(auto(2, 784, 256, false, true), Backend::Direct);
    assert_ne!(auto(16, 256, 256, false, true), Backend::Direct, "dot form, 16 rows");
    assert_ne!(auto(16, 512, 1024, true, false), Backend::Direct, "B streamed 3 times");
    assert_ne!(auto(128, 784, 256, false, true), Backend::Direct);
    assert_ne!(auto(usize::MAX, 2, 2, false, false), Backend::Direct, "m·k·n saturates instead of wrapping");
    // No vectorised form (both operands transposed into a row-major C): scalar loops only tiny.
    assert_eq!(auto(4, 4, 4, true, true), Backend::Direct);
    assert_ne!(auto(16, 16, 16, true, true), Backend::Direct);
    // Packed everywhere else (it never allocates), X·Wᵀ with 13–16 rows included.
    assert_eq!(auto(128, 784, 256, false, true), Backend::Packed { threads: 0 }, "25.7M multiply-adds: split");
    assert_eq!(auto(25, 6, 4032, true, false), Backend::Packed { threads: 1 });
    assert_eq!(auto(150, 16, 768, true, false), Backend::Packed { threads: 1 });
    #[cfg(not(feature = "gemm-crate"))]
    assert_eq!(auto(16, 768, 150, false, true), Backend::Packed { threads: 1 });
    // Threads only from PAR_MIN_MNK on.
    let threads = |b| match b {
        Backend::Packed { threads } => threads,
        Backend::MatrixMultiply { threads } => threads,
        #[cfg(feature = "gemm-crate")]
        Backend::GemmCrate { threads } => threads,
        other => panic!("{other:?}"),
    };
    assert_eq!(threads(auto(64, 256, 256, false, false)), 1);
    assert_eq!(threads(auto(512, 1024, 1024, false, true)), 0);
}

#[test]
#[should_panic(expected = "does not fit in")]
fn direct_backend_keeps_the_bounds_checks() {
    let mut c = [0.0; 4];
    sgemm_with(Backend::Direct, 2, 3, 2, 1.0, &[0.0; 6], 3, 1, &[0.0; 5], 2, 1, 0.0, &mut c, 2, 1);
}

#[test]
fn threaded_split_covers_every_panel_by_rows_and_by_columns() {
    // m ≥ n splits rows, m < n columns; 3 and 4 panels of 16-multiples with a short last one.
    let mut rng = Rng(5);
    for &(m, k, n) in &[(70, 9, 20), (20, 9, 70), (33, 5, 33), (1, 3, 100), (100, 3, 1)] {
        for (l, &layout) in LAYOUTS.iter().enumerate() {
            check(m, k, n, 1.0, if l % 2 == 0 { 0.0 } else { 0.5 }, layout, l % 3, &mut rng);
        }
    }
}

#[test]
fn max_threads_is_at_least_one_and_at_most_the_pool() {
    let t = max_threads();
    assert!(t >= 1 && t <= rayon::current_num_threads(), "{t}");
}

#[test]
fn aliasing_rule_on_vectors_and_overlapping_rows() {
    let ok = std::panic::catch_unwind(|| {
        let mut c = [0.0f32; 6];
        // Column-major 2×3 and a column vector with a row stride: both valid.
        sgemm(2, 1, 3, 1.0, &[1.0; 2], 1, 1, &[1.0; 3], 3, 1, 0.0, &mut c, 1, 2);
        sgemm(3, 1, 1, 1.0, &[1.0; 3], 1, 1, &[1.0], 1, 1, 0.0, &mut c, 2, 0);
    });
    assert!(ok.is_ok());
    for (m, n, rsc, csc) in [(3, 1, 0, 1), (2, 3, 2, 1), (1, 2, 1, 0)] {
        let r = std::panic::catch_unwind(move || {
            let mut c = [0.0f32; 8];
            sgemm(m, 1, n, 1.0, &[1.0; 3], 1, 1, &[1.0; 3], 3, 1, 0.0, &mut c, rsc, csc);
        });
        assert!(r.is_err(), "{m}x{n} strides ({rsc}, {csc}) alias");
    }
}

#[test]
fn packed_crosses_every_blocking_boundary() {
    use packed::{KC, MC, NC};
    // m past MC (and past 2·MC with a short last block), k past KC with a short last block (β
    // applied once), n past NC. The driver may turn a product into Cᵀ = Bᵀ·Aᵀ, which swaps m
    // and n: the square-ish shapes cross MC in either orientation.
    let mut rng = Rng(13);
    let shapes = [
        (MC + 7, KC + 3, 45),
        (45, 2 * KC + 1, MC + 7),
        (MC + 7, 20, MC + 9),
        (2 * MC + 5, 9, 2 * MC + 1),
        (13, KC + 1, NC + 37),
        (NC + 5, 3, 7),
    ];
    for (s, &(m, k, n)) in shapes.iter().enumerate() {
        for (l, &layout) in LAYOUTS.iter().enumerate().filter(|(l, _)| (l + s) % 2 == 0) {
            let (alpha, beta) = [(1.0, 0.0), (0.5, -1.5)][l % 2];
            check(m, k, n, alpha, beta, layout, (l + s) % 3, &mut rng);
        }
    }
}

#[test]
fn packed_edge_tiles_of_every_kernel() {
    // Each residue of m modulo 12, 6 and 4 and of n modulo 32, 16 and 8, in both orientations.
    let mut rng = Rng(17);
    for m in [1, 5, 6, 7, 11, 12, 13, 23, 25] {
        for n in [1, 9, 16, 17, 31, 32, 33, 47] {
            let layout = LAYOUTS[(m + n) % 8];
            let beta = if (m * n) % 2 == 0 { 0.0 } else { 0.75 };
            check(m, 1 + (m * n) % 19, n, 1.25, beta, layout, (m + n) % 2, &mut rng);
        }
    }
}

#[test]
fn packed_nan_in_c_with_beta_zero_on_edge_and_whole_tiles() {
    // 24×70 covers whole and edge tiles of every kernel; C is NaN before, must be exact after.
    let (m, k, n) = (24, 3, 70);
    let a: Vec<f32> = (0..m * k).map(|i| (i % 5) as f32).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 7) as f32).collect();
    let mut want = vec![0.0; m * n];
    gemm_naive(m, k, n, 2.0, &a, k as isize, 1, &b, n as isize, 1, 0.0, &mut want, n as isize, 1);
    for threads in [1, 0, 3] {
        for (rsc, csc) in [(n as isize, 1), (1, m as isize)] {
            let mut c = vec![f32::NAN; m * n];
            sgemm_with(Backend::Packed { threads }, m, k, n, 2.0, &a, k as isize, 1, &b, n as isize, 1, 0.0, &mut c, rsc, csc);
            for i in 0..m {
                for j in 0..n {
                    let got = c[i * rsc as usize + j * csc as usize];
                    assert_eq!(got, want[i * n + j], "threads {threads} strides ({rsc}, {csc}) C[{i}, {j}]");
                }
            }
        }
    }
}

/// `sgemm_epilogue`, and the packed kernel's tile epilogue on every micro-kernel (serial and split
/// in 3 panels), against `sgemm` then the same work per element: the same bits, each element of C
/// seen exactly once with its whole-C indices, padding between rows untouched.
#[test]
fn epilogue_equals_the_product_then_a_row_pass() {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let mut rng = Rng(0x5eed_0e91);
    let shapes = [(1, 1, 1), (2, 20, 256), (7, 5, 3), (13, 40, 70), (128, 256, 10), (40, 300, 33), (150, 64, 97), (64, 17, 300), (0, 3, 4), (3, 0, 4)];
    for (m, k, n) in shapes {
        for (ta, tb, pad) in [(false, false, 0), (false, true, 3), (true, false, 1), (true, true, 0)] {
            let ((rsa, csa, la), (rsb, csb, lb)) = (layout(m, k, ta, pad), layout(k, n, tb, pad));
            let rsc = n + pad;
            let lc = if m == 0 || n == 0 { 0 } else { (m - 1) * rsc + n };
            let (a, b, bias) = (rng.vec(la), rng.vec(lb), rng.vec(n));
            let f = |v: f32, j: usize| (v + bias[j]).max(0.0) * 1.5 - 0.25;
            let mut want = vec![f32::NAN; lc];
            sgemm(m, k, n, 1.0, &a, rsa, csa, &b, rsb, csb, 0.0, &mut want, rsc as isize, 1);
            for i in 0..m {
                for j in 0..n {
                    want[i * rsc + j] = f(want[i * rsc + j], j);
                }
            }
            let seen: Vec<AtomicUsize> = (0..m * n).map(|_| AtomicUsize::new(0)).collect();
            let epi = |i: usize, j0: usize, row: &mut [f32]| {
                for (j, v) in row.iter_mut().enumerate() {
                    seen[i * n + j0 + j].fetch_add(1, Relaxed);
                    *v = f(*v, j0 + j);
                }
            };
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
            let case = format!("{m}x{k}x{n} ta={ta} tb={tb} pad={pad}");
            let mut got = vec![f32::NAN; lc];
            sgemm_epilogue(m, k, n, &a, rsa, csa, &b, rsb, csb, &mut got, rsc as isize, &epi);
            assert_eq!(bits(&got), bits(&want), "sgemm_epilogue {case}");
            assert!(seen.iter().all(|s| s.swap(0, Relaxed) == 1), "each element once: sgemm_epilogue {case}");
            if m == 0 || n == 0 || k == 0 {
                continue;
            }
            let mat = |x: &[f32], rs, cs| packed::Mat { ptr: x.as_ptr(), rs, cs };
            for isa in packed::Isa::ALL.into_iter().filter(|isa| isa.available()) {
                for threads in [1, 3] {
                    let run = |epi: Option<RowEpilogue<'_>>, c: &mut [f32]| {
                        // SAFETY: the operands were laid out by `layout` for these sizes and strides.
                        unsafe { packed::gemm(isa, threads, m, k, n, 1.0, mat(&a, rsa, csa), mat(&b, rsb, csb), 0.0, c.as_mut_ptr(), rsc as isize, 1, epi) }
                    };
                    let mut plain = vec![f32::NAN; lc];
                    run(None, &mut plain);
                    let mut tiles = vec![f32::NAN; lc];
                    if !run(Some(&epi), &mut tiles) {
                        // Turned into Cᵀ = Bᵀ·Aᵀ: no tile epilogue, and `epi` was not called.
                        assert!(seen.iter().all(|s| s.load(Relaxed) == 0), "{isa:?} t{threads} {case}");
                        continue;
                    }
                    for i in 0..m {
                        epi(i, 0, &mut plain[i * rsc..i * rsc + n]);
                    }
                    assert_eq!(bits(&tiles), bits(&plain), "{isa:?} t{threads} {case}");
                    assert!(seen.iter().all(|s| s.swap(0, Relaxed) == 2), "each element once per run: {isa:?} t{threads} {case}");
                }
            }
        }
    }
}

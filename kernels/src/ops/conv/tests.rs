use super::*;
use crate::ops::gradcheck::{check, dot, fill};

/// The definition, by direct loops over a 3-d geometry (leading unit axes for 1-d and 2-d).
pub(super) fn naive<const D: usize>(g: &ConvGeom<D>, x: &[f64], w: &[f64], b: Option<&[f64]>) -> Vec<f64> {
    let v = g.vol();
    let (cig, cog) = (g.c_in / g.groups, g.c_out / g.groups);
    let [id, ih, iw] = v.input;
    let [od, oh, ow] = v.output;
    let [kd, kh, kw] = v.kernel;
    let mut y = vec![0.0; g.output_len()];
    let mut at = 0;
    for n in 0..g.n {
        for co in 0..g.c_out {
            let grp = co / cog;
            for zd in 0..od {
                for zh in 0..oh {
                    for zw in 0..ow {
                        let mut acc = b.map_or(0.0, |b| b[co]);
                        for ci in 0..cig {
                            for a in 0..kd {
                                for bb in 0..kh {
                                    for e in 0..kw {
                                        let pos = |z: usize, k: usize, ax: usize| (z * v.stride[ax] + k * v.dilation[ax]) as isize - v.padding[ax] as isize;
                                        let (pd, ph, pw) = (pos(zd, a, 0), pos(zh, bb, 1), pos(zw, e, 2));
                                        if pd < 0 || ph < 0 || pw < 0 || pd >= id as isize || ph >= ih as isize || pw >= iw as isize {
                                            continue;
                                        }
                                        let c = grp * cig + ci;
                                        let xv = x[(((n * g.c_in + c) * id + pd as usize) * ih + ph as usize) * iw + pw as usize];
                                        let wv = w[(((co * cig + ci) * kd + a) * kh + bb) * kw + e];
                                        acc += xv * wv;
                                    }
                                }
                            }
                        }
                        y[at] = acc;
                        at += 1;
                    }
                }
            }
        }
    }
    y
}

fn forward<const D: usize>(g: &ConvGeom<D>, x: &[f64], w: &[f64], b: Option<&[f64]>, slots: usize) -> Vec<f64> {
    let mut y = vec![f64::NAN; g.output_len()];
    // A longer scratch than needed is fine; its contents on entry do not matter.
    let mut scratch = vec![f64::NAN; conv_scratch_len(g) + slots - 1];
    conv_forward(g, x, w, b, &mut y, &mut scratch);
    y
}

#[allow(clippy::too_many_arguments)]
pub(super) fn g2(n: usize, c_in: usize, c_out: usize, groups: usize, input: [usize; 2], kernel: [usize; 2], stride: usize, padding: usize, dilation: usize) -> Conv2dGeom {
    ConvGeom { n, c_in, c_out, groups, input, kernel, stride: [stride; 2], padding: [padding; 2], dilation: [dilation; 2] }
}

fn cases2() -> Vec<Conv2dGeom> {
    vec![
        g2(1, 1, 1, 1, [3, 3], [2, 2], 1, 0, 1),
        g2(2, 3, 4, 1, [5, 6], [3, 3], 2, 0, 1),
        g2(2, 2, 3, 1, [4, 5], [3, 2], 1, 1, 1),
        g2(1, 2, 2, 1, [7, 7], [3, 3], 1, 2, 2),
        g2(2, 4, 6, 2, [5, 5], [3, 3], 2, 1, 1),
        g2(1, 4, 4, 4, [4, 4], [2, 2], 1, 1, 1), // depthwise
        g2(2, 3, 2, 1, [3, 4], [1, 1], 1, 0, 1), // 1×1: no im2col
        g2(1, 2, 4, 2, [3, 3], [1, 1], 1, 0, 1), // 1×1 grouped
        g2(1, 1, 2, 1, [5, 4], [1, 1], 2, 1, 1), // 1×1 strided and padded: im2col
        g2(3, 1, 1, 1, [2, 2], [3, 3], 3, 2, 1), // kernel wider than the input, padding fills it
        g2(2, 3, 4, 1, [6, 21], [3, 4], 1, 0, 1), // stride 1, no padding: row copies (18 = 2·8 + 2 wide)
        g2(2, 1, 3, 1, [9, 10], [5, 2], 1, 0, 1), // one input channel, 9 wide
    ]
}

#[test]
fn forward_matches_the_definition_in_1d_2d_3d() {
    for g in cases2() {
        let (x, w, b) = (fill(g.input_len(), 1, -1.0, 1.0), fill(g.weight_len(), 2, -1.0, 1.0), fill(g.c_out, 3, -1.0, 1.0));
        for bias in [None, Some(&b[..])] {
            let want = naive(&g, &x, &w, bias);
            for slots in [1, 3] {
                let got = forward(&g, &x, &w, bias, slots);
                want.iter().zip(&got).for_each(|(a, b)| assert!((a - b).abs() < 1e-12, "{g:?}: {a} vs {b}"));
            }
        }
    }
    let g1 = Conv1dGeom { n: 2, c_in: 4, c_out: 2, groups: 2, input: [9], kernel: [3], stride: [2], padding: [1], dilation: [2] };
    let g3 = Conv3dGeom { n: 1, c_in: 2, c_out: 3, groups: 1, input: [4, 3, 5], kernel: [2, 3, 2], stride: [1, 2, 1], padding: [1, 1, 0], dilation: [1, 1, 2] };
    let (x, w) = (fill(g1.input_len(), 4, -1.0, 1.0), fill(g1.weight_len(), 5, -1.0, 1.0));
    naive(&g1, &x, &w, None).iter().zip(forward(&g1, &x, &w, None, 1)).for_each(|(a, b)| assert!((a - b).abs() < 1e-12));
    let (x, w) = (fill(g3.input_len(), 6, -1.0, 1.0), fill(g3.weight_len(), 7, -1.0, 1.0));
    naive(&g3, &x, &w, None).iter().zip(forward(&g3, &x, &w, None, 1)).for_each(|(a, b)| assert!((a - b).abs() < 1e-12));
}

fn gradcheck<const D: usize>(g: &ConvGeom<D>) {
    let (x, w, b) = (fill(g.input_len(), 11, -1.0, 1.0), fill(g.weight_len(), 12, -1.0, 1.0), fill(g.c_out, 13, -1.0, 1.0));
    let gy = fill(g.output_len(), 14, -1.0, 1.0);
    let mut scratch = vec![f64::NAN; conv_scratch_len(g)];
    let (mut dx, mut dw, mut db) = (vec![f64::NAN; x.len()], vec![0.5; w.len()], vec![0.5; g.c_out]);
    conv_backward(g, &x, &w, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
    dw.iter_mut().chain(db.iter_mut()).for_each(|v| *v -= 0.5); // accumulated onto 0.5
    check(&format!("{g:?} dx"), &x, &dx, |x| dot(&gy, &forward(g, x, &w, Some(&b), 1)));
    check(&format!("{g:?} dw"), &w, &dw, |w| dot(&gy, &forward(g, &x, w, Some(&b), 1)));
    check(&format!("{g:?} db"), &b, &db, |b| dot(&gy, &forward(g, &x, &w, Some(b), 1)));
}

#[test]
fn backward_matches_finite_differences() {
    for g in cases2() {
        gradcheck(&g);
    }
    gradcheck(&Conv1dGeom { n: 2, c_in: 4, c_out: 2, groups: 2, input: [9], kernel: [3], stride: [2], padding: [1], dilation: [2] });
    gradcheck(&Conv3dGeom { n: 1, c_in: 2, c_out: 2, groups: 1, input: [3, 3, 4], kernel: [2, 2, 2], stride: [1, 2, 1], padding: [1, 0, 1], dilation: [1, 1, 2] });
    gradcheck(&Conv3dGeom { n: 2, c_in: 2, c_out: 3, groups: 1, input: [3, 4, 11], kernel: [2, 2, 2], stride: [1; 3], padding: [0; 3], dilation: [1; 3] });
}

#[test]
fn only_the_requested_gradients_are_touched() {
    let g = g2(2, 2, 2, 1, [4, 4], [3, 3], 1, 1, 1);
    let (x, w) = (fill(g.input_len(), 1, -1.0, 1.0), fill(g.weight_len(), 2, -1.0, 1.0));
    let gy = fill(g.output_len(), 3, -1.0, 1.0);
    let mut scratch = vec![0.0; conv_scratch_len(&g)];
    let mut dw = vec![0.0; w.len()];
    conv_backward(&g, &x, &w, &gy, &mut scratch, None, Some(&mut dw), None);
    let mut dw2 = vec![0.0; w.len()];
    let mut dx = vec![0.0; x.len()];
    conv_backward(&g, &x, &w, &gy, &mut scratch, Some(&mut dx), Some(&mut dw2), None);
    assert_eq!(dw, dw2);
}

#[test]
fn large_batches_run_in_chunks_and_in_parallel_with_the_f64_results() {
    // 40 images of 3×20×20, 5×5 kernel, padding 2: several chunks, and per-chunk loops above
    // PAR_THRESHOLD. Checked against the definition and the f64 path (itself checked against
    // finite differences above), and for determinism.
    let g = g2(40, 3, 8, 1, [20, 20], [5, 5], 1, 2, 1);
    let (x, w, b) = (fill(g.input_len(), 1, -1.0, 1.0), fill(g.weight_len(), 2, -1.0, 1.0), fill(8, 3, -1.0, 1.0));
    let f32s = |v: &[f64]| -> Vec<f32> { v.iter().map(|&v| v as f32).collect() };
    let (xs, ws, bs) = (f32s(&x), f32s(&w), f32s(&b));
    let gy64 = fill(g.output_len(), 4, -1.0, 1.0);
    let gy = f32s(&gy64);
    let run = || {
        let mut scratch = vec![f32::NAN; conv_scratch_len(&g)];
        let mut y = vec![0f32; g.output_len()];
        conv_forward(&g, &xs, &ws, Some(&bs), &mut y, &mut scratch);
        let (mut dx, mut dw, mut db) = (vec![0f32; xs.len()], vec![0f32; ws.len()], vec![0f32; 8]);
        conv_backward(&g, &xs, &ws, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
        (y, dx, dw, db)
    };
    let (y, dx, dw, db) = run();
    assert!(conv_scratch_len(&g) < (g.vol().rows() + 8) * 40 * 400, "more than one chunk");
    assert_eq!((&y, &dx, &dw, &db), (&run().0, &run().1, &run().2, &run().3));
    naive(&g, &x, &w, Some(&b)).iter().zip(&y).for_each(|(a, &b)| assert!((a - b as f64).abs() < 1e-4));
    let mut s64 = vec![0f64; conv_scratch_len(&g)];
    let (mut dx64, mut dw64, mut db64) = (vec![0f64; x.len()], vec![0f64; w.len()], vec![0f64; 8]);
    conv_backward(&g, &x, &w, &gy64, &mut s64, Some(&mut dx64), Some(&mut dw64), Some(&mut db64));
    let close = |a: &[f64], b: &[f32]| a.iter().zip(b).for_each(|(a, &b)| assert!((a - b as f64).abs() < 1e-3 * (1.0 + a.abs()), "{a} vs {b}"));
    close(&dx64, &dx);
    close(&dw64, &dw);
    close(&db64, &db);
    // The chunked f64 gradients equal the sums of one-image backwards (one chunk each).
    let one = ConvGeom { n: 1, ..g };
    let (img, oimg) = (one.input_len(), one.output_len());
    let (mut dw1, mut db1) = (vec![0f64; w.len()], vec![0f64; 8]);
    let mut s1 = vec![0f64; conv_scratch_len(&one)];
    for i in 0..40 {
        let mut dxi = vec![0f64; img];
        conv_backward(&one, &x[i * img..(i + 1) * img], &w, &gy64[i * oimg..(i + 1) * oimg], &mut s1, Some(&mut dxi), Some(&mut dw1), Some(&mut db1));
        dxi.iter().zip(&dx64[i * img..]).for_each(|(a, b)| assert!((a - b).abs() < 1e-12));
    }
    dw1.iter().chain(&db1).zip(dw64.iter().chain(&db64)).for_each(|(a, b)| assert!((a - b).abs() < 1e-9, "{a} vs {b}"));
}

#[test]
#[should_panic(expected = "Kernel size can't be greater than actual input size")]
fn kernel_larger_than_padded_input_panics() {
    let _ = g2(1, 1, 1, 1, [4, 4], [5, 5], 1, 0, 1).output();
}

#[test]
#[should_panic(expected = "conv_forward: input has 15 elements, expected [1, 1, 4, 4] = 16")]
fn wrong_input_length_panics_with_the_shape() {
    let g = g2(1, 1, 1, 1, [4, 4], [3, 3], 1, 0, 1);
    let mut y = [0f32; 4];
    conv_forward(&g, &[0.0; 15], &[0.0; 9], None, &mut y, &mut [0.0; 36]);
}

#[test]
#[should_panic(expected = "groups=2 must divide in_channels=3")]
fn groups_must_divide_channels() {
    let g = g2(1, 3, 2, 2, [4, 4], [3, 3], 1, 0, 1);
    conv_forward(&g, &[0f32; 48], &[0.0; 18], None, &mut [0.0; 8], &mut [0.0; 200]);
}

#[test]
fn results_do_not_depend_on_threads_or_lanes() {
    // LeNet's conv2 at batch 64: several chunks. Chunks run on as many lanes as rayon has
    // threads (or as the scratch holds); every lane count gives the same bits.
    let g = g2(64, 6, 16, 1, [12, 12], [5, 5], 1, 0, 1);
    let f32s = |v: Vec<f64>| -> Vec<f32> { v.iter().map(|&v| v as f32).collect() };
    let (x, w, b) = (f32s(fill(g.input_len(), 1, -1.0, 1.0)), f32s(fill(g.weight_len(), 2, -1.0, 1.0)), f32s(fill(16, 3, -1.0, 1.0)));
    let gy = f32s(fill(g.output_len(), 4, -1.0, 1.0));
    let run = |scratch_len: usize| {
        let mut scratch = vec![f32::NAN; scratch_len];
        let mut y = vec![0f32; g.output_len()];
        conv_forward(&g, &x, &w, Some(&b), &mut y, &mut scratch);
        let (mut dx, mut dw, mut db) = (vec![0f32; x.len()], vec![0.5f32; w.len()], vec![0.5f32; 16]);
        conv_backward(&g, &x, &w, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
        (y, dx, dw, db)
    };
    let pool = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
    let one = pool(1).install(|| run(conv_scratch_len(&g)));
    let three = pool(3).install(|| (conv_scratch_len(&g), run(conv_scratch_len(&g))));
    assert!(three.0 > pool(1).install(|| conv_scratch_len(&g)), "3 threads get 3 lanes of scratch");
    assert_eq!(one, three.1);
    // A scratch with room for one lane only, used from the 3-thread pool.
    let least = pool(1).install(|| conv_scratch_len(&g));
    assert_eq!(one, pool(3).install(|| run(least)));
}

/// One input channel, stride 1: the direct loops (`direct.rs`). Forward against the definition,
/// and the parameter gradients without an input gradient (direct) against those computed with
/// one (im2col), in f64 and in f32, over widths around the 16-column block, every channel block
/// size (1–7 output channels), padding and batches of several chunks.
#[test]
fn direct_loops_of_one_input_channel_match_im2col_and_the_definition() {
    let shapes = [
        g2(1, 1, 1, 1, [5, 5], [3, 3], 1, 0, 1),
        g2(2, 1, 6, 1, [28, 28], [5, 5], 1, 0, 1), // LeNet's first layer: 24 = 16 + 8 wide
        g2(3, 1, 7, 1, [9, 20], [2, 5], 1, 2, 1),  // padding, 20 wide
        g2(2, 1, 5, 1, [6, 16], [3, 1], 1, 1, 1),  // exactly 16 wide
        g2(1, 1, 3, 1, [4, 33], [1, 2], 1, 0, 1),  // 32 + 1 wide
        g2(9, 1, 2, 1, [30, 30], [5, 5], 1, 2, 1), // several chunks
        g2(1, 1, 4, 1, [2, 3], [3, 3], 1, 2, 1),   // kernel wider than the image
    ];
    for g in shapes {
        assert!(super::direct::applies(&g));
        let (x, w, b) = (fill(g.input_len(), 21, -1.0, 1.0), fill(g.weight_len(), 22, -1.0, 1.0), fill(g.c_out, 23, -1.0, 1.0));
        let want = naive(&g, &x, &w, Some(&b));
        let got = forward(&g, &x, &w, Some(&b), 1);
        want.iter().zip(&got).for_each(|(a, b)| assert!((a - b).abs() < 1e-12, "{g:?}: {a} vs {b}"));

        let gy = fill(g.output_len(), 24, -1.0, 1.0);
        let mut scratch = vec![f64::NAN; conv_scratch_len(&g)];
        let (mut dw_direct, mut db_direct) = (vec![0.25; w.len()], vec![0.25; g.c_out]);
        conv_backward(&g, &x, &w, &gy, &mut scratch, None, Some(&mut dw_direct), Some(&mut db_direct));
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.25; w.len()], vec![0.25; g.c_out]);
        conv_backward(&g, &x, &w, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
        for (a, b) in dw.iter().zip(&dw_direct).chain(db.iter().zip(&db_direct)) {
            assert!((a - b).abs() < 1e-10 * (1.0 + a.abs()), "{g:?}: {a} vs {b}");
        }

        // f32, where the AVX-512 loops run.
        let f = |v: &[f64]| v.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        let (x32, w32, b32, gy32) = (f(&x), f(&w), f(&b), f(&gy));
        let mut y32 = vec![f32::NAN; g.output_len()];
        let mut s32 = vec![f32::NAN; conv_scratch_len(&g)];
        conv_forward(&g, &x32, &w32, Some(&b32), &mut y32, &mut s32);
        want.iter().zip(&y32).for_each(|(a, &b)| assert!((a - b as f64).abs() < 1e-4, "{g:?} f32: {a} vs {b}"));
        let (mut dw32, mut db32) = (vec![0.25f32; w.len()], vec![0.25f32; g.c_out]);
        conv_backward(&g, &x32, &w32, &gy32, &mut s32, None, Some(&mut dw32), Some(&mut db32));
        for (a, &b) in dw.iter().zip(&dw32).chain(db.iter().zip(&db32)) {
            assert!((a - b as f64).abs() < 1e-4 * (1.0 + a.abs()), "{g:?} f32 grads: {a} vs {b}");
        }
    }
}

/// `f32` against `f64` on simple geometries (stride 1, no padding) with short output rows:
/// forward, input gradient and weight gradient (LeNet's second layer, a 16-wide row and a 1-wide
/// one). (AVX-512 bodies of im2col/col2im with one masked move a run were tried for such rows and
/// measured no faster on LeNet's second layer: 817–839 against 802–821 µs.)
#[test]
fn f32_im2col_and_col2im_of_short_rows_match_f64() {
    for g in [g2(3, 6, 16, 1, [12, 12], [5, 5], 1, 0, 1), g2(2, 2, 3, 1, [5, 18], [2, 3], 1, 0, 1), g2(2, 3, 2, 1, [4, 3], [2, 3], 1, 0, 1)] {
        let (x, w, b) = (fill(g.input_len(), 31, -1.0, 1.0), fill(g.weight_len(), 32, -1.0, 1.0), fill(g.c_out, 33, -1.0, 1.0));
        let gy = fill(g.output_len(), 34, -1.0, 1.0);
        let mut s64 = vec![0.0; conv_scratch_len(&g)];
        let (mut y, mut dx, mut dw) = (vec![0.0; g.output_len()], vec![0.0; x.len()], vec![0.0; w.len()]);
        conv_forward(&g, &x, &w, Some(&b), &mut y, &mut s64);
        conv_backward(&g, &x, &w, &gy, &mut s64, Some(&mut dx), Some(&mut dw), None);
        let f = |v: &[f64]| v.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        let mut s32 = vec![0.0f32; conv_scratch_len(&g)];
        let (mut y32, mut dx32, mut dw32) = (vec![0.0f32; y.len()], vec![f32::NAN; x.len()], vec![0.0f32; w.len()]);
        conv_forward(&g, &f(&x), &f(&w), Some(&f(&b)), &mut y32, &mut s32);
        conv_backward(&g, &f(&x), &f(&w), &f(&gy), &mut s32, Some(&mut dx32), Some(&mut dw32), None);
        for (name, want, got) in [("y", &y, &y32), ("dx", &dx, &dx32), ("dw", &dw, &dw32)] {
            for (a, &b) in want.iter().zip(got.iter()) {
                assert!((a - b as f64).abs() < 1e-4 * (1.0 + a.abs()), "{g:?} {name}: {a} vs {b}");
            }
        }
    }
}

//! The direct loops of small multi-channel layers (`multi.rs`): the plain loops (`f64`) against
//! the definition and im2col, and the `f32` dispatch (AVX-512F bodies where the CPU has them)
//! against the `f64` im2col results, for the forward, `dx`, `dW` and `db`.

use super::tests::{g2, naive};
use super::*;
use crate::ops::gradcheck::fill;

/// Shapes the direct loops take: LeNet's second layer (two 8-wide rows a vector), padding, output
/// channel counts that are not a multiple of 16 (5, 7, 20 = 10 + 10), odd heights and widths
/// (3, 5, 9, 17 = 16 + 1 wide), kernels of 4, 15, 16, 25 and 49 (two tiles) taps, batch 1 and > 1.
fn shapes() -> Vec<Conv2dGeom> {
    vec![
        g2(3, 6, 16, 1, [12, 12], [5, 5], 1, 0, 1),
        g2(1, 3, 5, 1, [7, 9], [3, 3], 1, 1, 1),
        g2(2, 4, 20, 1, [9, 8], [3, 3], 1, 2, 1),
        g2(2, 2, 3, 1, [6, 6], [4, 4], 1, 0, 1),
        g2(5, 3, 7, 1, [10, 19], [3, 5], 1, 1, 1),
        g2(2, 2, 4, 1, [9, 9], [7, 7], 1, 3, 1),
        g2(2, 8, 9, 1, [2, 5], [2, 2], 1, 1, 1),
        g2(1, 16, 2, 1, [5, 5], [1, 1], 1, 0, 1),
    ]
}

/// `(dx, dW, db)` through `conv_backward` (im2col for `f64`), `dW` and `db` accumulated onto 0.25.
fn backward<T: crate::real::Real>(g: &Conv2dGeom, x: &[T], w: &[T], gy: &[T]) -> (Vec<T>, Vec<T>, Vec<T>) {
    let q = T::from_f64(0.25);
    let (mut dx, mut dw, mut db) = (vec![T::from_f64(f64::NAN); x.len()], vec![q; w.len()], vec![q; g.c_out]);
    let mut scratch = vec![T::from_f64(f64::NAN); conv_scratch_len(g)];
    conv_backward(g, x, w, gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
    (dx, dw, db)
}

fn close(what: &str, g: &Conv2dGeom, want: &[f64], got: impl IntoIterator<Item = f64>, tol: f64) {
    let got: Vec<f64> = got.into_iter().collect();
    assert_eq!(want.len(), got.len(), "{g:?} {what}");
    for (a, b) in want.iter().zip(&got) {
        assert!((a - b).abs() <= tol * (1.0 + a.abs()), "{g:?} {what}: {a} vs {b}");
    }
}

#[test]
fn plain_multi_channel_loops_match_the_definition_and_im2col_in_f64() {
    for g in shapes() {
        assert!(multi::fits(&g), "{g:?}");
        assert!(!multi::applies::<f64, 2>(&g), "f64 keeps im2col");
        let (x, w, b) = (fill(g.input_len(), 41, -1.0, 1.0), fill(g.weight_len(), 42, -1.0, 1.0), fill(g.c_out, 43, -1.0, 1.0));
        let gy = fill(g.output_len(), 44, -1.0, 1.0);
        let mut y = vec![f64::NAN; g.output_len()];
        let mut lane = vec![f64::NAN; multi::lane_len(&g, g.n)];
        multi::forward(&g, g.n, &x, &w, Some(&b), &mut y, &mut lane);
        close("y", &g, &naive(&g, &x, &w, Some(&b)), y, 1e-12);

        let (dx, dw, db) = backward(&g, &x, &w, &gy);
        let mut dx_direct = vec![f64::NAN; x.len()];
        multi::input_grad(&g, g.n, &gy, &w, &mut dx_direct, &mut lane);
        close("dx", &g, &dx, dx_direct, 1e-12);
        let (mut dw_direct, mut db_direct) = (vec![0.25; w.len()], vec![0.25; g.c_out]);
        multi::weight_grad(&g, g.n, &x, &gy, &mut dw_direct, &mut db_direct, &mut lane);
        close("dw", &g, &dw, dw_direct, 1e-12);
        close("db", &g, &db, db_direct, 1e-12);
    }
}

#[test]
fn f32_multi_channel_dispatch_matches_f64() {
    for g in shapes() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(multi::applies::<f32, 2>(&g), std::is_x86_feature_detected!("avx512f"), "{g:?}");
        let (x, w, b) = (fill(g.input_len(), 51, -1.0, 1.0), fill(g.weight_len(), 52, -1.0, 1.0), fill(g.c_out, 53, -1.0, 1.0));
        let gy = fill(g.output_len(), 54, -1.0, 1.0);
        let want = naive(&g, &x, &w, Some(&b));
        let (dx, dw, db) = backward(&g, &x, &w, &gy);
        let f = |v: &[f64]| v.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        let (x32, w32, b32, gy32) = (f(&x), f(&w), f(&b), f(&gy));
        let mut y32 = vec![f32::NAN; g.output_len()];
        let mut s32 = vec![f32::NAN; conv_scratch_len(&g)];
        conv_forward(&g, &x32, &w32, Some(&b32), &mut y32, &mut s32);
        close("f32 y", &g, &want, y32.iter().map(|&v| v as f64), 1e-4);
        let (dx32, dw32, db32) = backward(&g, &x32, &w32, &gy32);
        let up = |v: Vec<f32>| v.into_iter().map(f64::from);
        close("f32 dx", &g, &dx, up(dx32), 1e-4);
        close("f32 dw", &g, &dw, up(dw32), 1e-4);
        close("f32 db", &g, &db, up(db32), 1e-4);
        // Only dW (no dx, no db), as a layer whose input needs no gradient asks.
        let mut dw_only = vec![0.25f32; w.len()];
        conv_backward(&g, &x32, &w32, &gy32, &mut s32, None, Some(&mut dw_only), None);
        close("f32 dw only", &g, &dw, up(dw_only), 1e-4);
    }
}

#[test]
fn large_or_unsupported_layers_keep_im2col() {
    assert!(multi::fits(&g2(1, 16, 32, 1, [32, 32], [3, 3], 1, 1, 1)), "plane 1024");
    assert!(!multi::fits(&g2(1, 16, 32, 1, [40, 40], [3, 3], 1, 1, 1)), "plane 1600");
    assert!(!multi::fits(&g2(1, 64, 128, 1, [8, 8], [3, 3], 1, 1, 1)), "C_out 128");
    assert!(!multi::fits(&g2(1, 64, 32, 1, [8, 8], [3, 3], 1, 1, 1)), "C_in·K 576");
    assert!(!multi::fits(&g2(1, 6, 16, 1, [12, 12], [5, 5], 2, 0, 1)), "stride 2");
    assert!(!multi::fits(&g2(1, 6, 16, 2, [12, 12], [5, 5], 1, 0, 1)), "groups");
    assert!(!multi::fits(&g2(1, 6, 16, 1, [12, 12], [3, 3], 1, 3, 1)), "padding ≥ kernel");
    assert!(!multi::fits(&g2(1, 1, 6, 1, [28, 28], [5, 5], 1, 0, 1)), "one input channel: direct.rs");
    assert!(!multi::fits(&g2(1, 3, 4, 1, [8, 8], [1, 1], 1, 0, 1)), "C_in·K < 16");
    assert!(!multi::fits(&g2(1, 6, 65, 1, [12, 12], [5, 5], 1, 0, 1)), "C_out > 64");
}

/// A sweep of small geometries the direct loops take (every kernel size up to 5×5 with every
/// padding below it, output widths from 1 to 17 around the 8- and 16-lane vectors, 1–17 output
/// channels): `f32` dispatch against `f64` im2col.
#[test]
fn f32_multi_channel_sweep_matches_f64() {
    let mut seen = 0;
    for (kh, kw) in [(1, 3), (2, 2), (3, 3), (3, 1), (4, 5), (5, 5), (5, 2)] {
        for p in 0..kh.min(kw) {
            for (ih, iw, c_in, c_out) in [(3, 4, 8, 3), (6, 9, 3, 17), (5, 12, 2, 16), (4, 15, 6, 1), (7, 20, 4, 9), (9, 16, 5, 6)] {
                let g = g2(2, c_in, c_out, 1, [ih, iw], [kh, kw], 1, p, 1);
                if conv_output_len(ih, kh, 1, p, 1).is_none() || conv_output_len(iw, kw, 1, p, 1).is_none() || !multi::fits(&g) {
                    continue;
                }
                seen += 1;
                let (x, w, b) = (fill(g.input_len(), 61, -1.0, 1.0), fill(g.weight_len(), 62, -1.0, 1.0), fill(g.c_out, 63, -1.0, 1.0));
                let gy = fill(g.output_len(), 64, -1.0, 1.0);
                let (dx, dw, db) = backward(&g, &x, &w, &gy);
                let f = |v: &[f64]| v.iter().map(|&v| v as f32).collect::<Vec<f32>>();
                let (mut y32, mut s32) = (vec![f32::NAN; g.output_len()], vec![f32::NAN; conv_scratch_len(&g)]);
                conv_forward(&g, &f(&x), &f(&w), Some(&f(&b)), &mut y32, &mut s32);
                close("sweep y", &g, &naive(&g, &x, &w, Some(&b)), y32.iter().map(|&v| v as f64), 1e-4);
                let (dx32, dw32, db32) = backward(&g, &f(&x), &f(&w), &f(&gy));
                let up = |v: Vec<f32>| v.into_iter().map(f64::from);
                close("sweep dx", &g, &dx, up(dx32), 1e-4);
                close("sweep dw", &g, &dw, up(dw32), 1e-4);
                close("sweep db", &g, &db, up(db32), 1e-4);
            }
        }
    }
    assert!(seen > 40, "{seen} geometries");
}

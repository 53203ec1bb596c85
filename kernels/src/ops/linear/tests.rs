use super::*;
use crate::ops::gradcheck::{check, dot, fill};

fn forward(g: &LinearGeom, act: LinearAct, x: &[f64], w: &[f64], b: Option<&[f64]>) -> Vec<f64> {
    let mut y = vec![f64::NAN; g.m * g.n];
    linear_forward(g, act, x, w, b, &mut y);
    y
}

fn naive(g: &LinearGeom, x: &[f64], w: &[f64], b: Option<&[f64]>) -> Vec<f64> {
    let mut y = vec![0.0; g.m * g.n];
    for i in 0..g.m {
        for j in 0..g.n {
            y[i * g.n + j] = (0..g.k).map(|p| x[i * g.k + p] * w[j * g.k + p]).sum::<f64>() + b.map_or(0.0, |b| b[j]);
        }
    }
    y
}

#[test]
fn forward_matches_naive_with_and_without_bias_and_relu() {
    for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 9, 33), (2, 20, 256)] {
        let g = LinearGeom { m, k, n };
        let (x, w, b) = (fill(m * k, 1, -1.0, 1.0), fill(n * k, 2, -1.0, 1.0), fill(n, 3, -1.0, 1.0));
        for bias in [None, Some(&b[..])] {
            let want = naive(&g, &x, &w, bias);
            let got = forward(&g, LinearAct::None, &x, &w, bias);
            want.iter().zip(&got).for_each(|(a, b)| assert!((a - b).abs() < 1e-12));
            let got = forward(&g, LinearAct::Relu, &x, &w, bias);
            want.iter().zip(&got).for_each(|(a, b)| assert!((a.max(0.0) - b).abs() < 1e-12));
        }
    }
}

#[test]
fn backward_matches_finite_differences() {
    for &(m, k, n) in &[(1, 1, 1), (3, 4, 5), (4, 7, 3)] {
        let g = LinearGeom { m, k, n };
        let (x, w, b) = (fill(m * k, 4, -1.0, 1.0), fill(n * k, 5, -1.0, 1.0), fill(n, 6, -1.0, 1.0));
        let gy = fill(m * n, 7, -1.0, 1.0);
        for act in [LinearAct::None, LinearAct::Relu] {
            let y = forward(&g, act, &x, &w, Some(&b));
            // Keep pre-activations away from the ReLU kink so that differences are smooth.
            if act == LinearAct::Relu && naive(&g, &x, &w, Some(&b)).iter().any(|v| v.abs() < 1e-4) {
                continue;
            }
            let mut scratch = vec![0.0; linear_scratch_len(&g, act)];
            let (mut dx, mut dw, mut db) = (vec![f64::NAN; m * k], vec![0.5; n * k], vec![0.25; n]);
            linear_backward(&g, act, &x, &w, &y, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
            // Parameter grads accumulate onto what was there.
            dw.iter_mut().for_each(|v| *v -= 0.5);
            db.iter_mut().for_each(|v| *v -= 0.25);
            check("dx", &x, &dx, |x| dot(&gy, &forward(&g, act, x, &w, Some(&b))));
            check("dw", &w, &dw, |w| dot(&gy, &forward(&g, act, &x, w, Some(&b))));
            check("db", &b, &db, |b| dot(&gy, &forward(&g, act, &x, &w, Some(b))));
        }
    }
}

#[test]
fn backward_skips_what_is_not_asked_for() {
    let g = LinearGeom { m: 2, k: 3, n: 2 };
    let (x, w) = (fill(6, 1, -1.0, 1.0), fill(6, 2, -1.0, 1.0));
    let mut dw = vec![0.0f64; 6];
    linear_backward(&g, LinearAct::None, &x, &w, &[], &[1.0; 4], &mut [], None, Some(&mut dw), None);
    // dW = 1ᵀ·X: each row is the column sums of x.
    for j in 0..2 {
        for p in 0..3 {
            assert!((dw[j * 3 + p] - (x[p] + x[3 + p])).abs() < 1e-15);
        }
    }
}

#[test]
fn large_bias_sums_are_deterministic_and_exact() {
    // Above the parallel threshold: column sums of a [600, 700] gradient of ones.
    let g = LinearGeom { m: 600, k: 1, n: 700 };
    let gy = vec![1.0f32; 600 * 700];
    let mut db = vec![0.0f32; 700];
    linear_backward(&g, LinearAct::None, &[0.0; 600], &[0.0; 700], &[], &gy, &mut [], None, None, Some(&mut db));
    assert!(db.iter().all(|&v| v == 600.0));
}

#[test]
#[should_panic(expected = "linear: weight has 5 elements, expected [2, 3] = 6")]
fn wrong_weight_length_panics() {
    let mut y = [0.0f32; 2];
    linear_forward(&LinearGeom { m: 1, k: 3, n: 2 }, LinearAct::None, &[0.0; 3], &[0.0; 5], None, &mut y);
}

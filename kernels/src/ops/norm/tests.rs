use super::batch_norm::*;
use super::layer_norm::*;
use crate::ops::gradcheck::{check, dot, fill};

fn bn_train(g: &BatchNormGeom, x: &[f64], w: Option<&[f64]>, b: Option<&[f64]>) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut y, mut mean, mut invstd) = (vec![f64::NAN; x.len()], vec![0.0; g.c], vec![0.0; g.c]);
    batch_norm_forward_train(g, 1e-5, 0.1, x, w, b, None, &mut y, &mut mean, &mut invstd);
    (y, mean, invstd)
}

fn bn_eval(g: &BatchNormGeom, x: &[f64], w: Option<&[f64]>, b: Option<&[f64]>, rm: &[f64], rv: &[f64]) -> Vec<f64> {
    let mut y = vec![f64::NAN; x.len()];
    batch_norm_forward_eval(g, 1e-5, x, w, b, rm, rv, &mut y);
    y
}

#[test]
fn batch_norm_train_backward_matches_finite_differences() {
    for g in [BatchNormGeom { n: 4, c: 3, l: 1 }, BatchNormGeom { n: 2, c: 2, l: 5 }, BatchNormGeom { n: 1, c: 1, l: 3 }] {
        let x = fill(g.numel(), 1, -2.0, 2.0);
        let (w, b) = (fill(g.c, 2, 0.5, 1.5), fill(g.c, 3, -1.0, 1.0));
        let gy = fill(g.numel(), 4, -1.0, 1.0);
        for affine in [true, false] {
            let (wo, bo) = if affine { (Some(&w[..]), Some(&b[..])) } else { (None, None) };
            let (_, mean, invstd) = bn_train(&g, &x, wo, bo);
            let mut scratch = vec![0.0; batch_norm_backward_scratch_len(&g)];
            let (mut dx, mut dw, mut db) = (vec![f64::NAN; x.len()], vec![0.0; g.c], vec![0.0; g.c]);
            let stats = BatchNormStats::Batch { mean: &mean, invstd: &invstd };
            batch_norm_backward(&g, stats, &x, wo, &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
            check(&format!("{g:?} dx"), &x, &dx, |x| dot(&gy, &bn_train(&g, x, wo, bo).0));
            check(&format!("{g:?} dw"), &w, &dw, |w| dot(&gy, &bn_train(&g, &x, Some(w), Some(&b)).0));
            check(&format!("{g:?} db"), &b, &db, |b| dot(&gy, &bn_train(&g, &x, Some(&w), Some(b)).0));
        }
    }
}

#[test]
fn batch_norm_eval_backward_matches_finite_differences() {
    let g = BatchNormGeom { n: 3, c: 2, l: 2 };
    let x = fill(g.numel(), 5, -2.0, 2.0);
    let (w, b) = (fill(2, 6, 0.5, 1.5), fill(2, 7, -1.0, 1.0));
    let (rm, rv) = ([0.3, -0.2], [0.5, 2.0]);
    let gy = fill(g.numel(), 8, -1.0, 1.0);
    let mut scratch = vec![0.0; 4];
    let (mut dx, mut dw, mut db) = (vec![f64::NAN; x.len()], vec![1.0; 2], vec![1.0; 2]);
    let stats = BatchNormStats::Running { mean: &rm, var: &rv, eps: 1e-5 };
    batch_norm_backward(&g, stats, &x, Some(&w), &gy, &mut scratch, Some(&mut dx), Some(&mut dw), Some(&mut db));
    dw.iter_mut().chain(db.iter_mut()).for_each(|v| *v -= 1.0); // accumulated onto 1
    check("eval dx", &x, &dx, |x| dot(&gy, &bn_eval(&g, x, Some(&w), Some(&b), &rm, &rv)));
    check("eval dw", &w, &dw, |w| dot(&gy, &bn_eval(&g, &x, Some(w), Some(&b), &rm, &rv)));
    check("eval db", &b, &db, |b| dot(&gy, &bn_eval(&g, &x, Some(&w), Some(b), &rm, &rv)));
}

#[test]
fn batch_norm_updates_running_stats_with_the_unbiased_variance() {
    // torch: bn = nn.BatchNorm1d(1); bn(torch.tensor([[1.], [2.], [4.]]))
    // bn.running_mean == 0.9·0 + 0.1·(7/3), bn.running_var == 0.9·1 + 0.1·(14/3 / 2)
    let g = BatchNormGeom { n: 3, c: 1, l: 1 };
    let (mut rm, mut rv) = ([0.0f64], [1.0f64]);
    let (mut y, mut mean, mut invstd) = ([0.0; 3], [0.0], [0.0]);
    batch_norm_forward_train(&g, 1e-5, 0.1, &[1.0, 2.0, 4.0], None, None, Some((&mut rm, &mut rv)), &mut y, &mut mean, &mut invstd);
    assert!((rm[0] - 0.7 / 3.0).abs() < 1e-15);
    assert!((rv[0] - (0.9 + 0.1 * 7.0 / 3.0)).abs() < 1e-15);
    assert!((invstd[0] - 1.0 / (14.0f64 / 9.0 + 1e-5).sqrt()).abs() < 1e-15);
}

#[test]
#[should_panic(expected = "Expected more than 1 value per channel when training")]
fn batch_norm_train_on_one_value_per_channel_panics() {
    let g = BatchNormGeom { n: 1, c: 2, l: 1 };
    let (mut y, mut m, mut s) = ([0.0f32; 2], [0.0; 2], [0.0; 2]);
    batch_norm_forward_train(&g, 1e-5, 0.1, &[1.0, 2.0], None, None, None, &mut y, &mut m, &mut s);
}

fn ln(g: &LayerNormGeom, x: &[f64], w: Option<&[f64]>, b: Option<&[f64]>) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut y, mut mean, mut rstd) = (vec![f64::NAN; x.len()], vec![0.0; g.rows], vec![0.0; g.rows]);
    layer_norm_forward(g, 1e-5, x, w, b, &mut y, &mut mean, &mut rstd);
    (y, mean, rstd)
}

#[test]
fn layer_norm_backward_matches_finite_differences() {
    for g in [LayerNormGeom { rows: 3, cols: 5 }, LayerNormGeom { rows: 1, cols: 2 }, LayerNormGeom { rows: 4, cols: 1 }] {
        let n = g.rows * g.cols;
        let x = fill(n, 9, -2.0, 2.0);
        let (w, b) = (fill(g.cols, 10, 0.5, 1.5), fill(g.cols, 11, -1.0, 1.0));
        let gy = fill(n, 12, -1.0, 1.0);
        for (wo, bo) in [(Some(&w[..]), Some(&b[..])), (Some(&w[..]), None), (None, None)] {
            let (_, mean, rstd) = ln(&g, &x, wo, bo);
            let (mut dx, mut dw, mut db) = (vec![f64::NAN; n], vec![0.0; g.cols], vec![0.0; g.cols]);
            layer_norm_backward(&g, &x, wo, &mean, &rstd, &gy, Some(&mut dx), Some(&mut dw), Some(&mut db));
            check(&format!("{g:?} dx"), &x, &dx, |x| dot(&gy, &ln(&g, x, wo, bo).0));
            check(&format!("{g:?} dw"), &w, &dw, |w| dot(&gy, &ln(&g, &x, Some(w), Some(&b)).0));
            check(&format!("{g:?} db"), &b, &db, |b| dot(&gy, &ln(&g, &x, Some(&w), Some(b)).0));
        }
    }
}

#[test]
fn large_batch_norm_runs_the_parallel_paths_consistently() {
    // [256, 4, 256] = 2^18 elements: per-channel statistics and row loops run on rayon.
    let g = BatchNormGeom { n: 256, c: 4, l: 256 };
    let x: Vec<f32> = (0..g.numel()).map(|i| ((i * 7919) % 1009) as f32 / 100.0 + (i / 256 % 4) as f32).collect();
    let (mut y, mut mean, mut invstd) = (vec![0.0f32; g.numel()], vec![0.0; 4], vec![0.0; 4]);
    batch_norm_forward_train(&g, 1e-5, 0.1, &x, None, None, None, &mut y, &mut mean, &mut invstd);
    let gy = y.clone();
    let mut scratch = vec![0.0; 8];
    let (mut dx, mut db) = (vec![0.0f32; g.numel()], vec![0.0; 4]);
    let stats = BatchNormStats::Batch { mean: &mean, invstd: &invstd };
    batch_norm_backward(&g, stats, &x, None, &gy, &mut scratch, Some(&mut dx), None, Some(&mut db));
    for ch in 0..4 {
        let vals: Vec<f64> = (0..256).flat_map(|ni| y[(ni * 4 + ch) * 256..(ni * 4 + ch + 1) * 256].iter().map(|&v| v as f64)).collect();
        let m = vals.iter().sum::<f64>() / vals.len() as f64;
        let v = vals.iter().map(|a| (a - m).powi(2)).sum::<f64>() / vals.len() as f64;
        assert!(m.abs() < 1e-5 && (v - 1.0).abs() < 1e-4, "channel {ch}: mean {m}, var {v}");
        // With dy = x̂ the gradient through the batch statistics vanishes: dx = r/M·(M·x̂ − 0 − x̂·M) = 0.
        assert!(db[ch].abs() < 0.5, "Σdy = Σx̂ ≈ 0, got {}", db[ch]);
    }
    assert!(dx.iter().all(|v| v.abs() < 1e-4));
}

#[test]
fn large_layer_norm_rows_are_normalised() {
    let g = LayerNormGeom { rows: 1024, cols: 300 };
    let x: Vec<f32> = (0..g.rows * g.cols).map(|i| ((i * 31) % 97) as f32 - (i / 300) as f32).collect();
    let (mut y, mut mean, mut rstd) = (vec![0.0f32; x.len()], vec![0.0; 1024], vec![0.0; 1024]);
    layer_norm_forward(&g, 1e-5, &x, None, None, &mut y, &mut mean, &mut rstd);
    for r in [0, 511, 1023] {
        let row = &y[r * 300..(r + 1) * 300];
        let m = row.iter().map(|&v| v as f64).sum::<f64>() / 300.0;
        assert!(m.abs() < 1e-5, "row {r}: mean {m}");
    }
}

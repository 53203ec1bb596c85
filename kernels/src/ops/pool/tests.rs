// Expected values are PyTorch's printed f64 reprs of f32 numbers.
#![allow(clippy::excessive_precision)]

use super::avg::*;
use super::max::*;
use super::*;
use crate::ops::gradcheck::{check, dot, fill};

/// x = torch.arange(1., 21.).reshape(1, 1, 4, 5); x[0, 0, 1, 1] = 100; x[0, 0, 3, 4] = -7
fn torch_x() -> Vec<f32> {
    let mut x: Vec<f32> = (1..=20).map(|v| v as f32).collect();
    x[6] = 100.0;
    x[19] = -7.0;
    x
}

fn geom2(kernel: usize, stride: usize, padding: usize, dilation: usize, ceil_mode: bool) -> PoolGeom<2> {
    PoolGeom { n: 1, c: 1, input: [4, 5], kernel: [kernel; 2], stride: [stride; 2], padding: [padding; 2], dilation: [dilation; 2], ceil_mode }
}

fn max_pool(g: &PoolGeom<2>, x: &[f32]) -> (Vec<f32>, Vec<i64>) {
    let (mut y, mut i) = (vec![f32::NAN; g.planes() * g.out_plane()], vec![-1; g.planes() * g.out_plane()]);
    max_pool_forward(g, x, &mut y, &mut i);
    (y, i)
}

#[test]
fn max_pool_matches_torch_with_ceil_mode_padding_and_dilation() {
    // F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)
    let (y, i) = max_pool(&geom2(3, 2, 1, 1, true), &torch_x());
    assert_eq!(y, [100.0, 100.0, 10.0, 100.0, 100.0, 19.0, 17.0, 19.0, 19.0]);
    assert_eq!(i, [6, 6, 9, 6, 6, 18, 16, 18, 18]);
    // F.max_pool2d(x, 2, stride=1, padding=1, dilation=2, return_indices=True)
    let (y, i) = max_pool(&geom2(2, 1, 1, 2, false), &torch_x());
    assert_eq!(y, [100.0, 8.0, 100.0, 10.0, 9.0, 12.0, 13.0, 14.0, 15.0, 14.0, 100.0, 18.0, 100.0, 18.0, 19.0, 12.0, 13.0, 14.0, 15.0, 14.0]);
    assert_eq!(i, [6, 7, 6, 9, 8, 11, 12, 13, 14, 13, 6, 17, 6, 17, 18, 11, 12, 13, 14, 13]);
}

#[test]
fn max_pool_nan_and_all_minus_infinity_as_torch() {
    // F.max_pool1d(torch.tensor([[[1., nan, 3., 3., nan, 2.]]]), 3, return_indices=True)
    let g = PoolGeom::<1>::new(1, 1, [6], [3]);
    let (mut y, mut i) = ([0f32; 2], [0i64; 2]);
    max_pool_forward(&g, &[1.0, f32::NAN, 3.0, 3.0, f32::NAN, 2.0], &mut y, &mut i);
    assert!(y[0].is_nan() && y[1].is_nan());
    assert_eq!(i, [1, 4]);
    // F.max_pool2d(torch.full((1, 1, 2, 2), -inf), 2, padding=1, stride=1, return_indices=True)
    let g = PoolGeom { n: 1, c: 1, input: [2, 2], kernel: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [1, 1], ceil_mode: false };
    let (mut y, mut i) = ([0f32; 9], [0i64; 9]);
    max_pool_forward(&g, &[f32::NEG_INFINITY; 4], &mut y, &mut i);
    assert_eq!(y, [f32::NEG_INFINITY; 9]);
    assert_eq!(i, [0, 0, 1, 0, 0, 1, 2, 2, 3]);
}

#[test]
fn avg_pool_matches_torch() {
    let x = torch_x();
    let run = |g: &PoolGeom<2>, o: AvgPoolOptions| {
        let mut y = vec![f32::NAN; g.out_plane()];
        avg_pool_forward(g, o, &x, &mut y);
        y
    };
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).for_each(|(a, b)| assert!((a - b).abs() < 1e-5, "{a} vs {b}"));
    // F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True[, count_include_pad=False])
    let g = geom2(3, 2, 1, 1, true);
    close(&run(&g, AvgPoolOptions::default()), &[12.11111068725586, 14.0, 3.1111111640930176, 18.0, 23.33333396911621, 6.666666507720947, 5.5, 9.0, 2.0]);
    close(&run(&g, AvgPoolOptions { count_include_pad: false, divisor_override: None }), &[27.25, 21.0, 7.0, 27.0, 23.33333396911621, 10.0, 16.5, 18.0, 6.0]);
    // F.avg_pool2d(x, 2, stride=2, ceil_mode=True)
    close(&run(&geom2(2, 2, 0, 1, true), AvgPoolOptions::default()), &[27.25, 6.0, 7.5, 14.0, 16.0, 4.0]);
    // F.avg_pool2d(x, 2, divisor_override=3)[0, 0, 0, 0] == (1 + 2 + 6 + 100) / 3
    let y = run(&geom2(2, 2, 0, 1, false), AvgPoolOptions { count_include_pad: true, divisor_override: Some(3) });
    assert!((y[0] - 109.0 / 3.0).abs() < 1e-5);
    // F.adaptive_avg_pool2d(x, (3, 2))
    let mut y = [0f32; 6];
    adaptive_avg_pool_forward(1, [4, 5], [3, 2], &x, &mut y);
    close(&y, &[20.0, 6.5, 25.0, 11.5, 14.5, 12.0]);
}

fn max_f64(g: &PoolGeom<2>, x: &[f64]) -> Vec<f64> {
    let (mut y, mut i) = (vec![0.0; g.planes() * g.out_plane()], vec![0; g.planes() * g.out_plane()]);
    max_pool_forward(g, x, &mut y, &mut i);
    y
}

fn geoms() -> Vec<PoolGeom<2>> {
    let mut v = Vec::new();
    for (k, s, p, d, c) in [(2, 2, 0, 1, false), (3, 2, 1, 1, true), (3, 1, 1, 1, false), (2, 1, 1, 2, false), (2, 3, 1, 1, true), (1, 1, 0, 1, false)] {
        v.push(PoolGeom { n: 2, c: 2, input: [5, 4], kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [d, d], ceil_mode: c });
    }
    v
}

#[test]
fn max_pool_backward_matches_finite_differences() {
    for g in geoms() {
        let x = fill(g.planes() * g.in_plane(), 1, -1.0, 1.0);
        let gy = fill(g.planes() * g.out_plane(), 2, -1.0, 1.0);
        let (mut y, mut idx) = (vec![0.0; gy.len()], vec![0; gy.len()]);
        max_pool_forward(&g, &x, &mut y, &mut idx);
        let mut dx = vec![f64::NAN; x.len()];
        max_pool_backward(&g, &idx, &gy, &mut dx);
        check(&format!("{g:?}"), &x, &dx, |x| dot(&gy, &max_f64(&g, x)));
    }
}

#[test]
fn avg_pool_backward_matches_finite_differences() {
    for g in geoms().into_iter().filter(|g| g.dilation == [1, 1]) {
        for o in [AvgPoolOptions::default(), AvgPoolOptions { count_include_pad: false, divisor_override: None }, AvgPoolOptions { count_include_pad: true, divisor_override: Some(5) }] {
            let x = fill(g.planes() * g.in_plane(), 3, -1.0, 1.0);
            let gy = fill(g.planes() * g.out_plane(), 4, -1.0, 1.0);
            let mut dx = vec![f64::NAN; x.len()];
            avg_pool_backward(&g, o, &gy, &mut dx);
            let fwd = |x: &[f64]| {
                let mut y = vec![0.0; gy.len()];
                avg_pool_forward(&g, o, x, &mut y);
                dot(&gy, &y)
            };
            check(&format!("{g:?} {o:?}"), &x, &dx, fwd);
        }
    }
}

#[test]
fn pools_in_1d_and_3d_and_adaptive_backward_match_finite_differences() {
    let g1 = PoolGeom { n: 2, c: 3, input: [7], kernel: [3], stride: [2], padding: [1], dilation: [1], ceil_mode: true };
    let g3 = PoolGeom { n: 1, c: 2, input: [3, 4, 3], kernel: [2, 2, 2], stride: [1, 2, 1], padding: [1, 0, 0], dilation: [1, 1, 1], ceil_mode: false };
    fn both<const D: usize>(g: &PoolGeom<D>) {
        let x = fill(g.planes() * g.in_plane(), 5, -1.0, 1.0);
        let gy = fill(g.planes() * g.out_plane(), 6, -1.0, 1.0);
        let (mut y, mut idx, mut dx) = (vec![0.0; gy.len()], vec![0; gy.len()], vec![0.0; x.len()]);
        max_pool_forward(g, &x, &mut y, &mut idx);
        max_pool_backward(g, &idx, &gy, &mut dx);
        check("max", &x, &dx, |x| {
            let mut y = vec![0.0; gy.len()];
            max_pool_forward(g, x, &mut y, &mut vec![0; gy.len()]);
            dot(&gy, &y)
        });
        avg_pool_backward(g, AvgPoolOptions::default(), &gy, &mut dx);
        check("avg", &x, &dx, |x| {
            let mut y = vec![0.0; gy.len()];
            avg_pool_forward(g, AvgPoolOptions::default(), x, &mut y);
            dot(&gy, &y)
        });
    }
    both(&g1);
    both(&g3);
    for (input, output) in [([5, 7], [3, 2]), ([4, 4], [1, 1]), ([3, 2], [5, 4])] {
        let x = fill(2 * input.iter().product::<usize>(), 7, -1.0, 1.0);
        let gy = fill(2 * output.iter().product::<usize>(), 8, -1.0, 1.0);
        let mut dx = vec![f64::NAN; x.len()];
        adaptive_avg_pool_backward(2, input, output, &gy, &mut dx);
        check("adaptive", &x, &dx, |x| {
            let mut y = vec![0.0; gy.len()];
            adaptive_avg_pool_forward(2, input, output, x, &mut y);
            dot(&gy, &y)
        });
    }
}

#[test]
fn large_inputs_run_in_parallel_with_the_same_results() {
    // 64 planes of 64×64: above PAR_THRESHOLD; each plane equals its own serial run.
    let g = PoolGeom { n: 16, c: 4, input: [64, 64], kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceil_mode: false };
    let x: Vec<f32> = fill(g.planes() * g.in_plane(), 9, -1.0, 1.0).iter().map(|&v| v as f32).collect();
    let (y, _) = {
        let (mut y, mut i) = (vec![0f32; g.planes() * g.out_plane()], vec![0; g.planes() * g.out_plane()]);
        max_pool_forward(&g, &x, &mut y, &mut i);
        (y, i)
    };
    let one = PoolGeom { n: 1, c: 1, ..g };
    for p in [0, 37, 63] {
        let (mut yp, mut ip) = (vec![0f32; one.out_plane()], vec![0; one.out_plane()]);
        max_pool_forward(&one, &x[p * 4096..(p + 1) * 4096], &mut yp, &mut ip);
        assert_eq!(yp, y[p * 1024..(p + 1) * 1024]);
    }
}

#[test]
#[should_panic(expected = "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1")]
fn too_much_padding_panics_as_torch() {
    max_pool(&geom2(2, 2, 2, 1, false), &torch_x());
}

#[test]
#[should_panic(expected = "Given input size: (1x4x5). Calculated output size: (1x0x1). Output size is too small")]
fn window_larger_than_input_panics_as_torch() {
    let g = PoolGeom { n: 1, c: 1, input: [4, 5], kernel: [5, 5], stride: [5, 5], padding: [0, 0], dilation: [1, 1], ceil_mode: false };
    let _ = g.output();
}

#[test]
fn max_pool_2x2_stride_2_matches_torch_on_ties_nan_and_minus_infinity() {
    // x = [[1, 1, 2, 5, 0], [1, 0, nan, 5, 9], [-inf, -inf, 3, 3, 1], [-inf, -inf, 3, 4, 1], [7]*5]
    // F.max_pool2d(x.view(1, 1, 5, 5), 2, return_indices=True) -> [1, nan, -inf, 4], [0, 7, 10, 18]
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    #[rustfmt::skip]
    let x = [1.0, 1.0, 2.0, 5.0, 0.0,  1.0, 0.0, nan, 5.0, 9.0,  -inf, -inf, 3.0, 3.0, 1.0,  -inf, -inf, 3.0, 4.0, 1.0,  7.0, 7.0, 7.0, 7.0, 7.0];
    let g = PoolGeom::<2>::new(1, 1, [5, 5], [2, 2]);
    let (y, idx) = max_pool(&g, &x);
    assert_eq!(idx, [0, 7, 10, 18]);
    assert_eq!((y[0], y[2], y[3]), (1.0, -inf, 4.0));
    assert!(y[1].is_nan());
    // F.max_pool2d(torch.tensor([[1., nan], [nan, 0.]]).view(1, 1, 2, 2), 2, return_indices=True): the last NaN wins
    let (y, idx) = max_pool(&PoolGeom::<2>::new(1, 1, [2, 2], [2, 2]), &[1.0, nan, nan, 0.0]);
    assert!(y[0].is_nan() && idx == [2]);
}

#[test]
fn max_pool_2x2_fast_path_equals_the_general_loop() {
    // The same windows through the general loop: a 3-d pool whose depth window is 1 but given
    // with a depth dilation (same output, not the 2×2 special case). Widths 8 and 23 cover the
    // portable path's 4-window blocks, its tail, and an odd last column that no window reads;
    // 48, 66 and 2 the AVX-512 path's 16-window blocks and tails (f32), and f64 always runs the
    // portable path.
    for (w, seed) in [(8, 21), (23, 22), (48, 23), (66, 24), (2, 25)] {
        let mut x: Vec<f32> = fill(3 * 2 * 6 * w, seed, -1.0, 1.0).iter().map(|&v| (v * 4.0).round() as f32).collect(); // many ties
        for (i, v) in x.iter_mut().enumerate() {
            match i % 37 {
                5 | 6 => *v = f32::NAN,
                11 => *v = f32::NEG_INFINITY,
                _ => {}
            }
        }
        let fast = PoolGeom::<2>::new(3, 2, [6, w], [2, 2]);
        let (yf, i_f) = max_pool(&fast, &x);
        let general = PoolGeom { n: 3, c: 2, input: [1, 6, w], kernel: [1, 2, 2], stride: [1, 2, 2], padding: [0; 3], dilation: [2, 1, 1], ceil_mode: false };
        let (mut yg, mut ig) = (vec![0f32; yf.len()], vec![0; yf.len()]);
        max_pool_forward(&general, &x, &mut yg, &mut ig);
        assert_eq!(i_f, ig);
        assert!(yf.iter().zip(&yg).all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let (mut y64, mut i64_) = (vec![0f64; yf.len()], vec![0; yf.len()]);
        max_pool_forward(&fast, &x64, &mut y64, &mut i64_);
        assert_eq!(i64_, ig, "f64 (portable) indices, width {w}");
    }
}

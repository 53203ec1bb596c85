use super::*;
use crate::ops::gradcheck::{check, dot, fill};

fn fwd(g: &SoftmaxGeom, x: &[f64], log: bool) -> Vec<f64> {
    let mut y = vec![f64::NAN; x.len()];
    if log { log_softmax_forward(g, x, &mut y) } else { softmax_forward(g, x, &mut y) }
    y
}

#[test]
fn backward_matches_finite_differences_over_every_axis() {
    for shape in [[2usize, 3, 4], [1, 5, 1], [3, 1, 2]] {
        for dim in 0..3 {
            let g = SoftmaxGeom::of(&shape, dim);
            let x = fill(g.numel(), 1 + dim as u32, -3.0, 3.0);
            let gy = fill(g.numel(), 9, -1.0, 1.0);
            for log in [false, true] {
                let y = fwd(&g, &x, log);
                let mut dx = vec![f64::NAN; x.len()];
                if log { log_softmax_backward(&g, &y, &gy, &mut dx) } else { softmax_backward(&g, &y, &gy, &mut dx) }
                check(&format!("{shape:?} dim {dim} log {log}"), &x, &dx, |x| dot(&gy, &fwd(&g, x, log)));
            }
        }
    }
}

#[test]
fn values_match_torch_along_a_middle_dim() {
    // torch.arange(12.).reshape(2, 3, 2).softmax(1)[0].flatten().tolist()
    let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let g = SoftmaxGeom::of(&[2, 3, 2], 1);
    let mut y = vec![0.0f32; 12];
    softmax_forward(&g, &x, &mut y);
    let want = [0.015_876_24, 0.015_876_24, 0.117_310_43, 0.117_310_43, 0.866_813_4, 0.866_813_4];
    for (a, b) in y[..6].iter().zip(want) {
        assert!((a - b).abs() < 1e-7, "{y:?}");
    }
    assert_eq!(y[..6], y[6..]);
}

#[test]
fn large_logits_do_not_overflow_and_neg_infinity_gives_zero() {
    let g = SoftmaxGeom { outer: 1, dim: 3, inner: 1 };
    let mut y = [0.0f32; 3];
    softmax_forward(&g, &[1e30, 1e30, f32::NEG_INFINITY], &mut y);
    assert_eq!(y, [0.5, 0.5, 0.0]);
    log_softmax_forward(&g, &[0.0, 0.0, f32::NEG_INFINITY], &mut y);
    assert_eq!(y[2], f32::NEG_INFINITY);
}

#[test]
fn large_inputs_run_the_parallel_path_with_rows_summing_to_one() {
    let g = SoftmaxGeom { outer: 512, dim: 300, inner: 2 };
    let x: Vec<f32> = (0..g.numel()).map(|i| ((i * 37) % 101) as f32 / 10.0).collect();
    let mut y = vec![0.0f32; g.numel()];
    softmax_forward(&g, &x, &mut y);
    for (o, i) in [(0, 0), (255, 1), (511, 1)] {
        let s: f32 = (0..300).map(|d| y[(o * 300 + d) * 2 + i]).sum();
        assert!((s - 1.0).abs() < 1e-5, "line ({o}, {i}) sums to {s}");
    }
    let mut dx = vec![0.0f32; g.numel()];
    softmax_backward(&g, &y, &vec![1.0; g.numel()], &mut dx); // a constant grad has no effect
    assert!(dx.iter().all(|v| v.abs() < 1e-6));
}

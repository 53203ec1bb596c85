use super::bce::*;
use super::class::*;
use super::regression::*;
use super::*;
use crate::error::KernelError;
use crate::ops::gradcheck::{check, dot, fill};

const REDS: [Reduction; 3] = [Reduction::None, Reduction::Mean, Reduction::Sum];

fn run(red: Reduction, n: usize, f: impl FnOnce(&mut [f64])) -> Vec<f64> {
    let mut out = vec![f64::NAN; red.out_len(n)];
    f(&mut out);
    out
}

#[test]
fn regression_backward_matches_finite_differences() {
    let x = fill(7, 1, -2.0, 2.0);
    let t = fill(7, 2, -2.0, 2.0);
    for red in REDS {
        let gy = fill(red.out_len(7), 3, 0.5, 1.5);
        for l1 in [false, true] {
            let f = |x: &[f64], t: &[f64]| run(red, 7, |o| if l1 { l1_forward(red, x, t, o) } else { mse_forward(red, x, t, o) });
            let (mut dx, mut dt) = (vec![f64::NAN; 7], vec![f64::NAN; 7]);
            if l1 {
                l1_backward(red, &x, &t, &gy, Some(&mut dx), Some(&mut dt));
            } else {
                mse_backward(red, &x, &t, &gy, Some(&mut dx), Some(&mut dt));
            }
            check(&format!("{red:?} l1={l1} dx"), &x, &dx, |x| dot(&gy, &f(x, &t)));
            check(&format!("{red:?} l1={l1} dt"), &t, &dt, |t| dot(&gy, &f(&x, t)));
        }
    }
}

#[test]
fn bce_backward_matches_finite_differences() {
    let x = fill(6, 4, 0.05, 0.95);
    let t = fill(6, 5, 0.0, 1.0);
    let w = fill(6, 6, 0.5, 2.0);
    for red in REDS {
        let gy = fill(red.out_len(6), 7, 0.5, 1.5);
        for weight in [None, Some(&w[..])] {
            let f = |x: &[f64]| run(red, 6, |o| bce_forward(red, x, &t, weight, o).unwrap());
            let mut dx = vec![f64::NAN; 6];
            bce_backward(red, &x, &t, weight, &gy, &mut dx);
            check(&format!("bce {red:?}"), &x, &dx, |x| dot(&gy, &f(x)));
        }
    }
}

#[test]
fn bce_with_logits_backward_matches_finite_differences() {
    let x = fill(6, 8, -30.0, 30.0);
    let t = fill(6, 9, 0.0, 1.0);
    let w = fill(6, 10, 0.5, 2.0);
    let pw = [0.5, 3.0, 1.5];
    for red in REDS {
        let gy = fill(red.out_len(6), 11, 0.5, 1.5);
        for (weight, pos) in [(None, None), (Some(&w[..]), Some(&pw[..])), (None, Some(&pw[..]))] {
            let f = |x: &[f64]| run(red, 6, |o| bce_with_logits_forward(red, x, &t, weight, pos, o));
            let mut dx = vec![f64::NAN; 6];
            bce_with_logits_backward(red, &x, &t, weight, pos, &gy, &mut dx);
            check(&format!("bce_with_logits {red:?}"), &x, &dx, |x| dot(&gy, &f(x)));
        }
    }
}

#[test]
fn bce_clamps_logs_and_rejects_probabilities_outside_0_1() {
    // torch.nn.functional.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]), reduction='none')
    // == tensor([100., 0.])
    let mut out = [0.0f32; 2];
    bce_forward(Reduction::None, &[0.0, 1.0], &[1.0, 1.0], None, &mut out).unwrap();
    assert_eq!(out, [100.0, 0.0]);
    let err = bce_forward(Reduction::Mean, &[0.5, 1.5], &[1.0, 1.0], None, &mut out[..1]).unwrap_err();
    assert_eq!(err, KernelError::ProbabilityOutOfRange { value: 1.5 });
    assert!(bce_forward(Reduction::Mean, &[f32::NAN], &[1.0], None, &mut out[..1]).is_err());
}

#[test]
fn bce_with_logits_is_stable_for_large_logits() {
    let mut out = [0.0f32; 2];
    bce_with_logits_forward(Reduction::None, &[200.0, -200.0], &[0.0, 1.0], None, None, &mut out);
    assert_eq!(out, [200.0, 200.0]);
}

fn class_cases() -> Vec<(ClassGeom, Vec<i64>)> {
    vec![
        (ClassGeom { n: 4, c: 3, d: 1 }, vec![0, 2, -100, 1]),
        (ClassGeom { n: 2, c: 4, d: 3 }, vec![3, 0, 1, 2, -100, 3]),
        (ClassGeom { n: 1, c: 1, d: 1 }, vec![0]),
    ]
}

#[test]
fn class_losses_backward_match_finite_differences() {
    for (g, target) in class_cases() {
        let x = fill(g.n * g.c * g.d, 12, -2.0, 2.0);
        let w = fill(g.c, 13, 0.2, 2.0);
        for red in REDS {
            let m = g.n * g.d;
            let gy = fill(red.out_len(m), 14, 0.5, 1.5);
            for weight in [None, Some(&w[..])] {
                for eps in [0.0, 0.2] {
                    let opts = ClassLoss { reduction: red, ignore_index: -100, label_smoothing: eps };
                    let what = format!("{g:?} {red:?} weight={} eps={eps}", weight.is_some());
                    let ce = |x: &[f64]| {
                        let mut lp = vec![0.0; x.len()];
                        run(red, m, |o| cross_entropy_forward(&g, &opts, x, &target, weight, &mut lp, o).unwrap())
                    };
                    let mut lp = vec![0.0; x.len()];
                    let mut out = vec![0.0; red.out_len(m)];
                    cross_entropy_forward(&g, &opts, &x, &target, weight, &mut lp, &mut out).unwrap();
                    let mut dx = vec![f64::NAN; x.len()];
                    cross_entropy_backward(&g, &opts, &lp, &target, weight, &gy, &mut dx).unwrap();
                    check(&format!("ce {what}"), &x, &dx, |x| dot(&gy, &ce(x)));
                    if eps == 0.0 {
                        let nll = |x: &[f64]| run(red, m, |o| nll_forward(&g, &opts, x, &target, weight, o).unwrap());
                        nll_backward(&g, &opts, &target, weight, &gy, &mut dx).unwrap();
                        check(&format!("nll {what}"), &x, &dx, |x| dot(&gy, &nll(x)));
                        // Cross-entropy is NLL on the log-softmax.
                        let want = nll(&lp);
                        assert!(want.iter().zip(&out).all(|(a, b)| (a - b).abs() < 1e-12), "{what}");
                    }
                }
            }
        }
    }
}

#[test]
fn ignore_index_inside_the_class_range_skips_that_class() {
    let g = ClassGeom { n: 3, c: 3, d: 1 };
    let opts = ClassLoss { reduction: Reduction::Mean, ignore_index: 1, label_smoothing: 0.0 };
    let lp = [-1.0f64, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0];
    let mut out = [0.0];
    nll_forward(&g, &opts, &lp, &[0, 1, 2], None, &mut out).unwrap();
    assert_eq!(out, [(1.0 + 9.0) / 2.0]);
}

#[test]
fn all_ignored_mean_is_nan_like_torch() {
    let g = ClassGeom { n: 2, c: 2, d: 1 };
    let mut out = [0.0f32];
    let mut lp = [0.0f32; 4];
    cross_entropy_forward(&g, &ClassLoss::default(), &[0.0; 4], &[-100, -100], None, &mut lp, &mut out).unwrap();
    assert!(out[0].is_nan());
}

#[test]
fn target_out_of_range_is_an_error_naming_index_and_classes() {
    let g = ClassGeom { n: 2, c: 3, d: 1 };
    let mut lp = [0.0f32; 6];
    let mut out = [0.0f32];
    for bad in [3i64, -1, -101] {
        let err = cross_entropy_forward(&g, &ClassLoss::default(), &[0.0; 6], &[0, bad], None, &mut lp, &mut out).unwrap_err();
        assert_eq!(err, KernelError::TargetOutOfRange { target: bad, classes: 3 });
        let err = nll_forward(&g, &ClassLoss::default(), &[0.0; 6], &[bad, 0], None, &mut out).unwrap_err();
        assert!(err.to_string().contains(&format!("Target {bad} is out of bounds")) && err.to_string().contains("[0, 3)"));
    }
}

#[test]
#[should_panic(expected = "loss: output has 2 elements, expected 1 for reduction='mean'")]
fn wrong_output_length_panics() {
    mse_forward(Reduction::Mean, &[1.0f32, 2.0], &[0.0, 0.0], &mut [0.0, 0.0]);
}

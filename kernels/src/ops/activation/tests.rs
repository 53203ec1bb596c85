use super::*;
use crate::ops::gradcheck::{check, dot, fill};

const ALL: [Activation; 10] = [
    Activation::Relu,
    Activation::LeakyRelu(0.01),
    Activation::LeakyRelu(-0.3),
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Gelu,
    Activation::GeluTanh,
    Activation::Elu(1.0),
    Activation::Elu(0.5),
    Activation::Silu,
];

fn fwd(act: Activation, x: &[f64]) -> Vec<f64> {
    let mut y = vec![f64::NAN; x.len()];
    activation_forward(act, x, &mut y);
    y
}

#[test]
fn backward_matches_finite_differences() {
    // Values away from 0 (the kinks of relu / leaky_relu / elu), across the branches of erf.
    let x: Vec<f64> = fill(40, 3, -4.0, 4.0).into_iter().map(|v| if v.abs() < 0.01 { v + 0.1 } else { v }).collect();
    let gy = fill(40, 4, -1.0, 1.0);
    for act in ALL {
        let y = fwd(act, &x);
        let saved = if act.saves() == Saved::Input { &x } else { &y };
        let mut dx = vec![f64::NAN; x.len()];
        activation_backward(act, saved, &gy, &mut dx);
        check(&format!("{act:?}"), &x, &dx, |x| dot(&gy, &fwd(act, x)));
    }
}

#[test]
fn forward_values_match_torch() {
    let x = [-3.0f32, -0.5, 0.0, 0.7, 2.5];
    // torch.nn.functional.<op>(torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5], dtype=torch.float64)).tolist():
    // the f64 results, correctly rounded to f32 here. (torch's vectorised float32 gelu gives
    // -0.004050225 at -3, 5e-7 away; its scalar path gives -0.0040496886.)
    let cases: [(Activation, [f64; 5]); 5] = [
        (Activation::Gelu, [-0.00404969409489031, -0.15426876936299344, 0.0, 0.5306254318017016, 2.4844758366855597]),
        (Activation::GeluTanh, [-0.0036373920817729943, -0.15428599017485606, 0.0, 0.5305701230660317, 2.484915733910001]),
        (Activation::Elu(1.0), [-0.9502129554748535, -0.39346933364868164, 0.0, 0.699999988079071, 2.5]),
        (Activation::Silu, [-0.14227761953270035, -0.1887703343990727, 0.0, 0.467731430702181, 2.3103545499468914]),
        (Activation::Sigmoid, [0.04742587357759476, 0.3775406777858734, 0.5, 0.6681877374649048, 0.9241418242454529]),
    ];
    for (act, want) in cases {
        let mut y = [0.0f32; 5];
        activation_forward(act, &x, &mut y);
        for (g, w) in y.iter().zip(want) {
            // The tanh form cancels in 1 + tanh(…) for negative x, in f32 as in torch's float kernel
            // (which gives the same -0.0036374331 at -3).
            let slack = if act == Activation::GeluTanh { 1e-7 } else { 0.0 };
            assert!((*g as f64 - w).abs() <= 1.2e-7 * w.abs().max(0.01) + slack, "{act:?}: {y:?} vs {want:?}");
        }
    }
}

#[test]
fn relu_propagates_nan_and_leaky_relu_at_zero_takes_the_slope() {
    let mut y = [0.0f32; 2];
    activation_forward(Activation::Relu, &[f32::NAN, -1.0], &mut y);
    assert!(y[0].is_nan() && y[1] == 0.0);
    let mut dx = [0.0f32; 1];
    // torch: leaky_relu backward at x = 0 uses the negative slope.
    activation_backward(Activation::LeakyRelu(0.2), &[0.0], &[1.0], &mut dx);
    assert_eq!(dx, [0.2]);
    // relu backward at y = 0 is 0.
    activation_backward(Activation::Relu, &[0.0], &[1.0], &mut dx);
    assert_eq!(dx, [0.0]);
}

#[test]
fn large_inputs_run_in_parallel_blocks_with_the_same_result() {
    let n = (1 << 18) + 17;
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 / 100.0 - 5.0).collect();
    let mut y = vec![0.0f32; n];
    activation_forward(Activation::Silu, &x, &mut y);
    for i in [0, 12345, n - 1] {
        assert_eq!(y[i], x[i] / (1.0 + (-x[i]).exp()));
    }
}

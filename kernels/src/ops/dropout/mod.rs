//! Dropout: keep each element with probability `1 − p` and scale it by `1/(1 − p)`.
//!
//! The kernel draws nothing: the caller fills `mask` with uniform draws in `[0, 1)` (the runtime
//! uses its `Generator`, PyTorch's MT19937, `uniform_f32` per element), and
//! [`dropout_forward`] turns them in place into the saved mask
//! `m = (u < 1 − p) ? 1/(1 − p) : 0`, then writes `y = x ⊙ m`. The backward is `dx = dy ⊙ m`.
//! `p = 1` drops everything (`y = 0`), `p = 0` keeps everything. Evaluation mode is the identity
//! and never reaches this kernel (the layer decides).
//!
//! The mask stream is NOT PyTorch's: `torch.nn.functional.dropout` draws its Bernoulli mask with
//! `bernoulli_(1 − p)`, which on x86 CPU builds goes through MKL's own generator (seeded from
//! torch's), so the same seed gives a different mask here. The statistics are the same.
//!
//! ```
//! use fusenet_kernels::ops::dropout::{dropout_forward, dropout_backward};
//! let mut mask = [0.1f32, 0.9, 0.3, 0.7]; // uniform draws
//! let mut y = [0.0; 4];
//! dropout_forward(0.5, &[1.0, 2.0, 3.0, 4.0], &mut mask, &mut y);
//! assert_eq!(mask, [2.0, 0.0, 2.0, 0.0]);
//! assert_eq!(y, [2.0, 0.0, 6.0, 0.0]);
//! let mut dx = [0.0; 4];
//! dropout_backward(&mask, &[1.0; 4], &mut dx);
//! assert_eq!(dx, [2.0, 0.0, 2.0, 0.0]);
//! ```

use crate::ops::rows::for_each_block;
use crate::real::Real;

/// Turns the uniform draws in `mask` into the scaled keep-mask and writes `y = x ⊙ mask`.
/// Panics unless `0 ≤ p ≤ 1` and the lengths agree.
pub fn dropout_forward<T: Real>(p: f64, x: &[T], mask: &mut [T], y: &mut [T]) {
    assert!((0.0..=1.0).contains(&p), "dropout probability has to be between 0 and 1, but got {p}");
    assert!(
        x.len() == mask.len() && x.len() == y.len(),
        "dropout: input has {} elements, mask {}, output {}",
        x.len(),
        mask.len(),
        y.len()
    );
    let keep = T::from_f64(1.0 - p);
    let scale = if p < 1.0 { T::from_f64(1.0 / (1.0 - p)) } else { T::zero() };
    for_each_block(mask, |_, m| m.iter_mut().for_each(|u| *u = if *u < keep { scale } else { T::zero() }));
    dropout_backward(mask, x, y);
}

/// `grad_in = grad_out ⊙ mask` (the mask [`dropout_forward`] saved).
pub fn dropout_backward<T: Real>(mask: &[T], grad_out: &[T], grad_in: &mut [T]) {
    assert!(
        mask.len() == grad_out.len() && mask.len() == grad_in.len(),
        "dropout backward: mask has {} elements, grad_out {}, grad_in {}",
        mask.len(),
        grad_out.len(),
        grad_in.len()
    );
    for_each_block(grad_in, |off, d| {
        d.iter_mut().enumerate().for_each(|(j, v)| *v = grad_out[off + j] * mask[off + j]);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::gradcheck::{check, dot, fill};

    #[test]
    fn backward_matches_finite_differences_for_a_fixed_mask() {
        let x = fill(20, 1, -1.0, 1.0);
        let u = fill(20, 2, 0.0, 1.0);
        let gy = fill(20, 3, -1.0, 1.0);
        let fwd = |x: &[f64]| {
            let (mut m, mut y) = (u.clone(), vec![0.0; 20]);
            dropout_forward(0.3, x, &mut m, &mut y);
            y
        };
        let mut m = u.clone();
        let mut y = vec![0.0; 20];
        dropout_forward(0.3, &x, &mut m, &mut y);
        let mut dx = vec![0.0; 20];
        dropout_backward(&m, &gy, &mut dx);
        check("dropout", &x, &dx, |x| dot(&gy, &fwd(x)));
    }

    #[test]
    fn edge_probabilities() {
        let x = [1.0f32, -2.0, 3.0];
        for (p, want) in [(0.0, [1.0, -2.0, 3.0]), (1.0, [0.0, 0.0, 0.0])] {
            let (mut m, mut y) = ([0.0, 0.5, 0.999_999_9], [9.0; 3]);
            dropout_forward(p, &x, &mut m, &mut y);
            assert_eq!(y, want, "p = {p}");
        }
    }

    #[test]
    fn keeps_about_one_minus_p_and_preserves_the_mean() {
        let n = 1 << 19;
        let u: Vec<f32> = (0..n).map(|i| ((i as u64 * 2_654_435_761) % 1_000_003) as f32 / 1_000_003.0).collect();
        let x = vec![1.0f32; n];
        let (mut m, mut y) = (u, vec![0.0; n]);
        dropout_forward(0.25, &x, &mut m, &mut y);
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / n as f64;
        assert!((kept - 0.75).abs() < 0.01, "{kept}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
    }

    #[test]
    #[should_panic(expected = "dropout probability has to be between 0 and 1, but got 1.5")]
    fn bad_probability_panics() {
        dropout_forward(1.5, &[0.0f32], &mut [0.0], &mut [0.0]);
    }
}

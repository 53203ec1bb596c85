//! Central finite differences in f64, the reference every kernel's backward is tested against.
//!
//! A backward is checked through a scalar: `L(θ) = Σ grad_out · forward(θ)`, whose gradient with
//! respect to any input or parameter θ is exactly what the backward returns for that `grad_out`.

/// The perturbation of each element.
pub(crate) const STEP: f64 = 1e-6;

/// Compares `analytic` (the backward's gradient of `loss` at `x`) with central differences,
/// perturbing each element of `x` by ±[`STEP`]. Panics naming `what` and the first element whose
/// gradients differ by more than `1e-6 · max(1, |numeric|)`.
pub(crate) fn check(what: &str, x: &[f64], analytic: &[f64], mut loss: impl FnMut(&[f64]) -> f64) {
    assert_eq!(x.len(), analytic.len(), "{what}: gradient length");
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        xp[i] = x[i] + STEP;
        let up = loss(&xp);
        xp[i] = x[i] - STEP;
        let down = loss(&xp);
        xp[i] = x[i];
        let numeric = (up - down) / (2.0 * STEP);
        let tol = 1e-6 * numeric.abs().max(1.0);
        assert!(
            (numeric - analytic[i]).abs() <= tol,
            "{what}[{i}]: backward gives {}, finite differences {numeric}",
            analytic[i]
        );
    }
}

/// `Σ a·b`.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Deterministic values in `[lo, hi)` (xorshift), different for each `seed`.
pub(crate) fn fill(len: usize, seed: u32, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(12345) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            lo + (hi - lo) * (s % 1_000_003) as f64 / 1_000_003.0
        })
        .collect()
}

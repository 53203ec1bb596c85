//! `MSELoss` (`(x − t)²`) and `L1Loss` (`|x − t|`), elementwise over same-shape input and target.
//!
//! Backward: `dx = s·2(x − t)` and `dx = s·sgn(x − t)` (`sgn 0 = 0`), `dt = −dx`, with `s` the
//! incoming gradient (divided by the element count for `Mean`).
//!
//! ```
//! use fusenet_kernels::ops::loss::{Reduction, regression::l1_forward};
//! let mut out = [0.0f64; 2];
//! l1_forward(Reduction::None, &[1.0, -2.0], &[0.5, 0.0], &mut out);
//! assert_eq!(out, [0.5, 2.0]);
//! ```

use super::{Reduction, Scale, check_same, write_reduced};
use crate::ops::rows::for_each_block;
use crate::real::Real;

/// `MSELoss`: `out = reduce((x − t)²)`.
pub fn mse_forward<T: Real>(red: Reduction, input: &[T], target: &[T], out: &mut [T]) {
    check_same("mse_loss", input.len(), target.len());
    write_reduced(red, input.len(), out, |i| {
        let d = input[i] - target[i];
        d * d
    });
}

/// The backward of [`mse_forward`]: writes `grad_input` and/or `grad_target` when asked.
pub fn mse_backward<T: Real>(
    red: Reduction,
    input: &[T],
    target: &[T],
    grad_out: &[T],
    grad_input: Option<&mut [T]>,
    grad_target: Option<&mut [T]>,
) {
    let two = T::from_f64(2.0);
    backward(red, input, target, grad_out, grad_input, grad_target, move |d| two * d, "mse_loss");
}

/// `L1Loss`: `out = reduce(|x − t|)`.
pub fn l1_forward<T: Real>(red: Reduction, input: &[T], target: &[T], out: &mut [T]) {
    check_same("l1_loss", input.len(), target.len());
    write_reduced(red, input.len(), out, |i| (input[i] - target[i]).abs());
}

/// The backward of [`l1_forward`].
pub fn l1_backward<T: Real>(
    red: Reduction,
    input: &[T],
    target: &[T],
    grad_out: &[T],
    grad_input: Option<&mut [T]>,
    grad_target: Option<&mut [T]>,
) {
    let sgn = |d: T| {
        if d > T::zero() {
            T::one()
        } else if d < T::zero() {
            -T::one()
        } else {
            d // 0 stays 0, NaN stays NaN (torch's sgn)
        }
    };
    backward(red, input, target, grad_out, grad_input, grad_target, sgn, "l1_loss");
}

#[allow(clippy::too_many_arguments)]
fn backward<T: Real>(
    red: Reduction,
    input: &[T],
    target: &[T],
    grad_out: &[T],
    grad_input: Option<&mut [T]>,
    grad_target: Option<&mut [T]>,
    df: impl Fn(T) -> T + Sync + Send,
    name: &str,
) {
    let n = input.len();
    check_same(name, n, target.len());
    let s = Scale::new(red, grad_out, n, n as f64);
    if let Some(dx) = grad_input {
        assert_eq!(dx.len(), n, "{name} backward: grad_input has {} elements, expected {n}", dx.len());
        for_each_block(dx, |off, b| b.iter_mut().enumerate().for_each(|(j, v)| *v = s.at(off + j) * df(input[off + j] - target[off + j])));
    }
    if let Some(dt) = grad_target {
        assert_eq!(dt.len(), n, "{name} backward: grad_target has {} elements, expected {n}", dt.len());
        for_each_block(dt, |off, b| b.iter_mut().enumerate().for_each(|(j, v)| *v = -(s.at(off + j) * df(input[off + j] - target[off + j]))));
    }
}

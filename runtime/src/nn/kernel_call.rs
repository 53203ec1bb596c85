//! Glue between the eager layers and the slice kernels of `fusenet_kernels::ops`, and Python's
//! float repr for `extra_repr`.

use crate::tensor::{DType, Tensor};

/// Panics unless `x` is a float32 tensor, naming the layer.
pub(crate) fn expect_f32(layer: &str, what: &str, x: &Tensor) {
    assert!(x.dtype() == DType::F32, "{layer}: expected {what} of dtype torch.float32, but got {}", x.dtype().torch_name());
}

/// A new tensor of `shape` whose elements `f(x, out)` writes from the contiguous elements of `x`
/// (each tensor locked once).
pub(crate) fn map_f32(layer: &str, x: &Tensor, shape: &[usize], f: impl FnOnce(&[f32], &mut [f32])) -> Tensor {
    expect_f32(layer, "input", x);
    let x = x.contiguous();
    let mut out = vec![0f32; shape.iter().product()];
    x.with_slice::<f32, _>(|xs| f(xs, &mut out));
    Tensor::from_vec(out, shape)
}

/// Runs `f` on the `f32` elements of an optional contiguous tensor (a parameter's value, say),
/// under one read lock.
pub(crate) fn with_opt_slice<R>(t: Option<&Tensor>, f: impl FnOnce(Option<&[f32]>) -> R) -> R {
    match t {
        Some(t) => t.with_slice::<f32, _>(|s| f(Some(s))),
        None => f(None),
    }
}

/// The value of an optional parameter as a contiguous tensor (a handle when it already is one,
/// as parameter values are).
pub(crate) fn param_value(p: Option<&crate::param::Param>) -> Option<Tensor> {
    p.map(|p| p.value().contiguous())
}

/// Python's `repr(float)`: `1.0`, `0.01`, `1e-05`, `1e+16`.
pub(crate) fn py_float(v: f64) -> String {
    let s = format!("{v:?}");
    match s.split_once('e') {
        Some((mant, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mant}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn py_float_matches_python_repr() {
        // [repr(v) for v in (1.0, 0.01, 1e-05, 1e-3, 0.0001, 1.5e-7, 1e16, 0.1)]
        let cases = [(1.0, "1.0"), (0.01, "0.01"), (1e-5, "1e-05"), (1e-3, "0.001"), (1e-4, "0.0001"), (1.5e-7, "1.5e-07"), (1e16, "1e+16"), (0.1, "0.1")];
        for (v, want) in cases {
            assert_eq!(super::py_float(v), want);
        }
    }
}

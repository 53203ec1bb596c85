//! Writing a kernel's accumulated parameter gradient straight into `Param::grad`.

use crate::param::Param;

/// Runs `f` with the gradient buffer of `param` as a slice the kernel accumulates into (`+=`):
/// the existing gradient, or a zeroed buffer before the first backward. `f` gets `None` when
/// there is no parameter or it does not require a gradient.
pub(crate) fn with_grad_slice<R>(param: Option<&Param>, f: impl FnOnce(Option<&mut [f32]>) -> R) -> R {
    match param.filter(|p| p.requires_grad()) {
        None => f(None),
        Some(p) => {
            let mut f = Some(f);
            let mut out = None;
            p.accumulate_grad_with(|buf, has_grad| {
                if !has_grad {
                    buf.zero_();
                }
                let f = f.take().expect("accumulate_grad_with calls its closure once");
                out = Some(buf.with_slice_mut::<f32, _>(|s| f(Some(s))));
            });
            out.expect("accumulate_grad_with calls its closure")
        }
    }
}

/// The value of a parameter as a contiguous `f32` tensor (a handle when it already is one).
pub(crate) fn value_f32(layer: &str, p: &Param) -> crate::tensor::Tensor {
    let v = p.value().contiguous();
    super::super::kernel_call::expect_f32(layer, "parameter", &v);
    v
}

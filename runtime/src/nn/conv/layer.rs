//! What a convolution call site keeps for its backward.

use crate::tensor::Tensor;

/// The saved input of a convolution call (a handle onto the caller's tensor, no copy). The input
/// must not be modified in place between `forward_train` and `backward`.
///
/// ```
/// use fusenet_runtime::module::Layer;
/// use fusenet_runtime::nn::Conv1d;
/// use fusenet_runtime::{Param, Tensor};
/// let mut conv = Conv1d::<1, 1, 2>::new();
/// conv.weight = Param::new(Tensor::from_vec(vec![1.0f32, -1.0], &[1, 1, 2]));
/// conv.bias = None;
/// let mut ctx = Default::default();
/// let x = Tensor::from_vec(vec![1.0f32, 4.0, 9.0], &[1, 1, 3]);
/// assert_eq!(conv.forward_train(&x, &mut ctx).to_vec::<f32>(), [-3.0, -5.0]);
/// let gx = conv.backward(&mut ctx, &Tensor::ones(&[1, 1, 2]), true).unwrap();
/// assert_eq!(gx.to_vec::<f32>(), [1.0, 0.0, -1.0]);
/// assert_eq!(conv.weight.grad().unwrap().to_vec::<f32>(), [5.0, 13.0]);
/// ```
#[derive(Debug, Default)]
pub struct ConvCtx {
    input: Option<Tensor>,
}

impl ConvCtx {
    pub(crate) fn save(&mut self, x: &Tensor) {
        self.input = Some(x.shallow_clone());
    }

    pub(crate) fn take(&mut self, layer: &str) -> Tensor {
        self.input.take().unwrap_or_else(|| {
            panic!("{layer}::backward: no saved input; call forward_train first (and backward once per forward_train)")
        })
    }
}

//! PyTorch's `torch.nn.functional` (`F`): the layers and losses as plain functions.
//!
//! Each function is the eager forward of the matching layer (same kernel, same numbers), for code
//! that holds its own parameters or calls an activation once. The methods on [`Tensor`] (`x.relu()`,
//! `x.softmax(dim)`) are the same operations.
//!
//! ```
//! use fusenet_runtime::nn::functional as F;
//! use fusenet_runtime::tensor;
//! let x = tensor![-1.0, 0.0, 2.0];
//! assert_eq!(F::relu(&x).to_vec::<f32>(), [0.0, 0.0, 2.0]);
//! assert_eq!(F::leaky_relu(&x, 0.1).to_vec::<f32>(), [-0.1, 0.0, 2.0]);
//! ```

use crate::error::Result;
use crate::module::Module;
use crate::nn::{
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, ELU, GELU, L1Loss, LeakyReLU, LogSoftmax, MSELoss, NLLLoss,
    Reduction, SiLU, Softmax,
};
use crate::tensor::Tensor;

/// `max(x, 0)`: `F.relu`.
pub fn relu(x: &Tensor) -> Tensor {
    x.relu()
}

/// `1 / (1 + e⁻ˣ)`: `F.sigmoid` (`torch.sigmoid`).
pub fn sigmoid(x: &Tensor) -> Tensor {
    x.sigmoid()
}

/// `tanh(x)`: `F.tanh`.
pub fn tanh(x: &Tensor) -> Tensor {
    x.tanh()
}

/// `x > 0 ? x : slope·x`: `F.leaky_relu(x, negative_slope)`.
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    LeakyReLU::new(negative_slope).forward(x)
}

/// `x·Φ(x)` with the exact erf: `F.gelu(x)`.
pub fn gelu(x: &Tensor) -> Tensor {
    GELU::new().forward(x)
}

/// The tanh approximation of GELU: `F.gelu(x, approximate='tanh')`.
pub fn gelu_tanh(x: &Tensor) -> Tensor {
    GELU::tanh().forward(x)
}

/// `x > 0 ? x : alpha·(eˣ − 1)`: `F.elu(x, alpha)`.
pub fn elu(x: &Tensor, alpha: f64) -> Tensor {
    ELU::new(alpha).forward(x)
}

/// `x·σ(x)`: `F.silu`.
pub fn silu(x: &Tensor) -> Tensor {
    SiLU.forward(x)
}

/// `eˣⁱ / Σⱼ eˣʲ` along `dim`: `F.softmax(x, dim)`.
pub fn softmax(x: &Tensor, dim: isize) -> Tensor {
    Softmax::new(dim).forward(x)
}

/// `xᵢ − log Σⱼ eˣʲ` along `dim`: `F.log_softmax(x, dim)`.
pub fn log_softmax(x: &Tensor, dim: isize) -> Tensor {
    LogSoftmax::new(dim).forward(x)
}

/// `F.dropout(x, p, training)`: zeroes elements with probability `p` and scales the rest by
/// `1/(1 − p)` when `training`, drawing from this thread's default generator; `x` itself otherwise.
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Tensor {
    let mut layer = Dropout::new(p);
    layer.set_training_self(training);
    layer.forward(x)
}

/// `x Wᵀ + b`: `F.linear(x, weight, bias)`, with `weight` `[out, in]` and `bias` `[out]`.
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => y + b,
        None => y,
    }
}

/// Mean (or `reduction`) of `(x − t)²`: `F.mse_loss`.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    MSELoss::with_reduction(reduction).forward(input, target)
}

/// Mean (or `reduction`) of `|x − t|`: `F.l1_loss`.
pub fn l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    L1Loss::with_reduction(reduction).forward(input, target)
}

/// `F.cross_entropy(logits, classes)` with PyTorch's defaults (mean, no weights, no smoothing);
/// a class index out of range is an error naming it.
pub fn cross_entropy(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    CrossEntropyLoss::new().forward(input, target)
}

/// `F.nll_loss(log_probs, classes)` with PyTorch's defaults.
pub fn nll_loss(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    NLLLoss::new().forward(input, target)
}

/// `F.binary_cross_entropy(p, t)`; a probability outside `[0, 1]` is an error.
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    BCELoss::new().forward(input, target)
}

/// `F.binary_cross_entropy_with_logits(x, t)`, in the stable form.
pub fn binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor) -> Tensor {
    BCEWithLogitsLoss::new().forward(input, target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor;

    fn close(got: Tensor, want: &[f32]) {
        let got = got.to_vec::<f32>();
        assert!(got.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{got:?} vs {want:?}");
    }

    // Expected values: torch 2.15, F.<op>(torch.tensor([-1.0, 0.0, 2.0]), ...).
    #[test]
    fn activations_match_torch() {
        let x = tensor![-1.0, 0.0, 2.0];
        close(gelu(&x), &[-0.158_655_26, 0.0, 1.954_499_7]);
        close(gelu_tanh(&x), &[-0.158_807_99, 0.0, 1.954_597_7]);
        close(elu(&x, 1.0), &[-0.632_120_56, 0.0, 2.0]);
        close(silu(&x), &[-0.268_941_43, 0.0, 1.761_594_2]);
        close(softmax(&x, 0), &[0.042_010_065, 0.114_195_19, 0.843_794_7]);
        close(log_softmax(&x, -1), &[-3.169_846, -2.169_846, -0.169_846_04]);
    }

    #[test]
    fn dropout_is_identity_in_eval_and_scales_in_training() {
        let x = Tensor::ones(&[1000]);
        assert_eq!(dropout(&x, 0.5, false).to_vec::<f32>(), x.to_vec::<f32>());
        let y = dropout(&x, 0.5, true).to_vec::<f32>();
        assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
        let kept = y.iter().filter(|&&v| v == 2.0).count();
        assert!((400..600).contains(&kept), "kept {kept} of 1000");
    }

    #[test]
    fn linear_is_x_wt_plus_b() {
        let x = tensor![[1.0, 2.0]];
        let w = tensor![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        close(linear(&x, &w, Some(&tensor![0.5, 0.5, 0.5])), &[1.5, 2.5, 3.5]);
        close(linear(&x, &w, None), &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn losses_delegate_to_the_layers() {
        let (x, t) = (tensor![[2.0, 0.0]], tensor![0]);
        close(cross_entropy(&x, &t).unwrap(), &[0.126_928_05]);
        assert!(cross_entropy(&x, &tensor![5]).is_err());
        close(mse_loss(&tensor![1.0, 3.0], &tensor![0.0, 0.0], Reduction::Mean), &[5.0]);
        close(l1_loss(&tensor![1.0, -3.0], &tensor![0.0, 0.0], Reduction::Sum), &[4.0]);
        assert!(binary_cross_entropy(&tensor![1.5], &tensor![1.0]).is_err());
    }
}

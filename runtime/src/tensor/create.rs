//! Tensor creation. (Owner: tensor-ops helper; these stubs fix the signatures others rely on.)

use super::Tensor;

impl Tensor {
    pub fn zeros(shape: &[usize]) -> Tensor { Tensor::full(shape, 0.0) }
    pub fn ones(shape: &[usize]) -> Tensor { Tensor::full(shape, 1.0) }
    pub fn full(shape: &[usize], value: f32) -> Tensor { Tensor::from_vec(vec![value; shape.iter().product()], shape) }
    pub fn arange(end: f32) -> Tensor { let n = end.ceil().max(0.0) as usize; Tensor::from_vec((0..n).map(|i| i as f32).collect(), &[n]) }
    pub fn rand(shape: &[usize]) -> Tensor { let t = Tensor::zeros(shape); t.uniform_(0.0, 1.0); t }
    pub fn randn(shape: &[usize]) -> Tensor { let t = Tensor::zeros(shape); t.normal_(0.0, 1.0); t }
    /// Fills with `value` in place.
    pub fn fill_(&self, value: f32) { let _ = value; todo!("fill_") }
    /// Fills with U[from, to) from the default generator, as `tensor.uniform_`.
    pub fn uniform_(&self, from: f32, to: f32) { let _ = (from, to); todo!("uniform_") }
    /// Fills with N(mean, std²) from the default generator, as `tensor.normal_`.
    pub fn normal_(&self, mean: f32, std: f32) { let _ = (mean, std); todo!("normal_") }
}

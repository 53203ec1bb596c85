//! Reductions. (Owner: tensor-ops helper; stubs fix the signatures others rely on.)

use super::Tensor;

impl Tensor {
    /// Sum of all elements as `f32`.
    pub fn sum_all(&self) -> f32 { todo!("sum_all") }
}

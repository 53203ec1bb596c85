//! `Dropout` (`Dropout::new(p)`, default `p = 0.5`): the shape is kept. Called through `Layer`, so
//! it follows the module's train/eval mode (identity in eval, `1/(1−p)` scaling in training).

use super::LayerKind;

pub fn classify() -> LayerKind {
    LayerKind::Kept { dim: None }
}

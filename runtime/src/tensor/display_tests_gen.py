import torch, math
nan, inf = float('nan'), float('inf')
def ramp(shape, a, b, d):
    n = math.prod(shape)
    return ((torch.arange(n) * a % b - b // 2).float() / d).reshape(shape)
def f(vals, shape=None):
    t = torch.tensor(vals, dtype=torch.float32)
    return t.reshape(shape) if shape is not None else t

# (name, python tensor, rust expression)
cases = [
 ("zeros_3x2", torch.zeros(3,2), "Tensor::zeros(&[3, 2])"),
 ("ones_3x2", torch.ones(3,2), "Tensor::ones(&[3, 2])"),
 ("arange_i64_3x4", torch.arange(12).reshape(3,4), "Tensor::arange_i64(12).reshape([3, 4])"),
 ("arange_f32_3x4", torch.arange(12.).reshape(3,4), "Tensor::arange(12.0).reshape([3, 4])"),
 ("arange_3d", torch.arange(24.).reshape(2,3,4), "Tensor::arange(24.0).reshape([2, 3, 4])"),
 ("arange_4d_i64", torch.arange(48).reshape(2,2,3,4), "Tensor::arange_i64(48).reshape([2, 2, 3, 4])"),
 ("scalar_f32", torch.tensor(3.5), "Tensor::scalar(3.5)"),
 ("scalar_int_valued", torch.tensor(2.), "Tensor::scalar(2.0)"),
 ("scalar_zero", torch.tensor(0.), "Tensor::scalar(0.0)"),
 ("scalar_neg_zero", torch.tensor(-0.), "Tensor::scalar(-0.0)"),
 ("scalar_sci", torch.tensor(1e-5), "Tensor::scalar(1e-5)"),
 ("scalar_nan", torch.tensor(nan), "Tensor::scalar(f32::NAN)"),
 ("scalar_i64", torch.tensor(-7), "Tensor::from_scalar(-7i64)"),
 ("scalar_bool", torch.tensor(True), "Tensor::from_scalar(true)"),
 ("empty_1d", torch.tensor([]), "Tensor::zeros(&[0])"),
 ("empty_0x3", torch.zeros(0,3), "Tensor::zeros(&[0, 3])"),
 ("empty_2x0x3", torch.zeros(2,0,3), "Tensor::zeros(&[2, 0, 3])"),
 ("empty_i64", torch.zeros(0, dtype=torch.int64), "Tensor::zeros_dtype(&[0], DType::I64)"),
 ("empty_bool_3x0", torch.zeros(3,0, dtype=torch.bool), "Tensor::zeros_dtype(&[3, 0], DType::Bool)"),
 ("bool_mixed", torch.tensor([True, False]), "tensor![true, false]"),
 ("bool_all_true", torch.tensor([True]*8), "tensor![true, true, true, true, true, true, true, true]"),
 ("bool_2d", torch.tensor([[True, False, True],[False, False, True]]), "tensor![[true, false, true], [false, false, true]]"),
 ("i64_widths", torch.tensor([-5, 10, 200]), "tensor![-5, 10, 200]"),
 ("nan_inf_int", f([nan, 1., inf]), "tensor![f32::NAN, 1.0, f32::INFINITY]"),
 ("nan_inf_frac", f([nan, 1.5, -inf]), "tensor![f32::NAN, 1.5, f32::NEG_INFINITY]"),
 ("only_nan", f([nan]), "tensor![f32::NAN]"),
 ("only_inf", f([inf, -inf]), "tensor![f32::INFINITY, f32::NEG_INFINITY]"),
 ("zero_negzero", f([0., -0.]), "tensor![0.0, -0.0]"),
 ("negzero_frac", f([-0., 1.5]), "tensor![-0.0, 1.5]"),
 ("negzero_int", f([-0., 2.]), "tensor![-0.0, 2.0]"),
 ("sci_small", f([1e-5, 1.]), "tensor![1e-5, 1.0]"),
 ("sci_big", f([1e9, 1.]), "tensor![1e9, 1.0]"),
 ("sci_max_only", f([1.5e8]), "tensor![1.5e8]"),
 ("sci_1e10", f([1e10]), "tensor![1e10]"),
 ("sci_boundary_1e_4", f([1e-4]), "tensor![1e-4]"),
 ("fixed_1e_3", f([0.001, 0.5]), "tensor![0.001, 0.5]"),
 ("ratio_1000_int", f([1., 1000.]), "tensor![1.0, 1000.0]"),
 ("ratio_2000", f([0.5, 1000.]), "tensor![0.5, 1000.0]"),
 ("int_mode_widths", f([100., 2000., -3.]), "tensor![100.0, 2000.0, -3.0]"),
 ("sci_neg_nan", f([1e-6, -2e3, nan]), "tensor![1e-6, -2e3, f32::NAN]"),
 ("big_int_mode", f([12345678., 1e5]), "tensor![12345678.0, 1e5]"),
 ("rounding", f([0.12345, 2.71835, -1.00005]), "tensor![0.12345, 2.71835, -1.00005]"),
 ("ramp_30", ramp([30], 37, 200, 7), "ramp(&[30], 37, 200, 7.0)"),
 ("ramp_2x20", ramp([2,20], 53, 1000, 1000), "ramp(&[2, 20], 53, 1000, 1000.0)"),
 ("ramp_4x30_neg", ramp([4,30], 97, 1000, 100), "ramp(&[4, 30], 97, 1000, 100.0)"),
 ("ramp_3d_wrap", ramp([2,2,25], 31, 500, 3), "ramp(&[2, 2, 25], 31, 500, 3.0)"),
 ("ramp_sci_wrap", ramp([2,12], 7919, 100000, 7), "ramp(&[2, 12], 7919, 100000, 7.0)"),
 ("i64_wrap", torch.arange(40) * 1000 - 20000, "Tensor::arange_i64(40).mul(1000).sub(20000)"),
 ("summ_1d_f32", torch.arange(2000.), "Tensor::arange(2000.0)"),
 ("summ_1d_i64", torch.arange(1001), "Tensor::arange_i64(1001)"),
 ("summ_2d", ramp([40,40], 37, 200, 7), "ramp(&[40, 40], 37, 200, 7.0)"),
 ("summ_wide", ramp([3,400], 53, 1000, 1000), "ramp(&[3, 400], 53, 1000, 1000.0)"),
 ("summ_3d", ramp([10,10,20], 31, 500, 3), "ramp(&[10, 10, 20], 31, 500, 3.0)"),
 ("summ_row", torch.arange(1001.).reshape(1,1001), "Tensor::arange(1001.0).reshape([1, 1001])"),
 ("summ_bool", torch.arange(1200).reshape(30,40) % 3 == 0, "Tensor::from_vec((0..1200).map(|i| i % 3 == 0).collect::<Vec<bool>>(), &[30, 40])"),
 ("transposed", torch.arange(12.).reshape(3,4).t(), "Tensor::arange(12.0).reshape([3, 4]).t()"),
 ("expanded", f([0.25, -1.5]).reshape(2,1).expand(2,3), "tensor![[0.25], [-1.5]].expand([2, 3])"),
 ("flipped_slice", torch.arange(10.)[2:9:3], "Tensor::arange(10.0).slice(s![2..9;3])"),
 ("deep_5d", torch.arange(32.).reshape(2,2,2,2,2) / 4, "Tensor::arange(32.0).reshape([2, 2, 2, 2, 2]).div(4.0)"),
 ("seed_rand_2x20", None, "{ crate::manual_seed(0); Tensor::rand(&[2, 20]) }"),
 ("seed_randn_2x2", None, "{ crate::manual_seed(42); Tensor::randn(&[2, 2]) }"),
 ("seed_randn_8x4", None, "{ crate::manual_seed(1); Tensor::randn(&[8, 4]).mul(0.3) }"),
]
torch.manual_seed(0); seed_rand = torch.rand(2, 20)
torch.manual_seed(42); seed_randn = torch.randn(2, 2)
torch.manual_seed(1); seed_randn8 = torch.randn(8, 4) * 0.3
extra = {"seed_rand_2x20": seed_rand, "seed_randn_2x2": seed_randn, "seed_randn_8x4": seed_randn8}

def rs(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'

out = []
out.append("//! Printing checked verbatim against PyTorch 2.15's `str(tensor)`.")
out.append("//! Generated by `display_tests_gen.py` (run it with the PyTorch venv and redirect into this file);")
out.append("//! each case pairs a PyTorch tensor with the Rust expression that builds the same one.")
out.append("")
out.append("use crate::tensor::{DType, Tensor};")
out.append("use crate::{s, tensor};")
out.append("")
out.append("/// `((torch.arange(n) * a % b - b // 2).float() / d).reshape(shape)`: exact on both sides.")
out.append("fn ramp(shape: &[usize], a: i64, b: i64, d: f32) -> Tensor {")
out.append("    let n: usize = shape.iter().product();")
out.append("    let v: Vec<f32> = (0..n as i64).map(|i| ((i * a) % b - b / 2) as f32 / d).collect();")
out.append("    Tensor::from_vec(v, shape)")
out.append("}")
out.append("")
out.append("#[track_caller]")
out.append("fn check(t: Tensor, expected: &str) {")
out.append("    assert_eq!(t.to_string(), expected, \"\\n got:\\n{t}\\n want:\\n{expected}\");")
out.append("    assert_eq!(format!(\"{t:?}\"), expected);")
out.append("}")
out.append("")
for name, t, r in cases:
    if t is None:
        t = extra[name]
    out.append("#[test]")
    out.append(f"fn {name}() {{")
    out.append(f"    check({r}, {rs(str(t))});")
    out.append("}")
    out.append("")
print("\n".join(out))

# Suffix placement (PyTorch's _add_suffixes), as `str(t.requires_grad_())` prints.
sfx = [
 ("suffix_wraps_past_80_columns", torch.tensor([-0.4112, 0.1462, -0.0170, -0.1234, 0.0369, 0.4674, 0.2377, 0.0980]),
  "tensor![-0.4112, 0.1462, -0.0170, -0.1234, 0.0369, 0.4674, 0.2377, 0.0980]"),
 ("suffix_fits_on_the_line", torch.tensor([0.1673]), "tensor![0.1673]"),
 ("suffix_after_a_multi_line_body", torch.arange(6.).reshape(2,3), "Tensor::arange(6.0).reshape([2, 3])"),
 ("suffix_wraps_after_a_long_row", torch.tensor([[-0.0066, -0.2203, 0.0657, 0.1408, -0.1654, -0.3192, 0.0481, 0.2302]]),
  "tensor![[-0.0066, -0.2203, 0.0657, 0.1408, -0.1654, -0.3192, 0.0481, 0.2302]]"),
 ("suffix_after_size", torch.zeros(0,3), "Tensor::zeros(&[0, 3])"),
]
out = []
for name, t, r in sfx:
    out.append("#[test]")
    out.append(f"fn {name}() {{")
    out.append(f"    assert_eq!({r}.repr_with_suffixes(&[\"requires_grad=True\"]), {rs(str(t.requires_grad_()))});")
    out.append("}")
    out.append("")
print("\n".join(out))

//! Printing exactly as PyTorch prints (its `torch/_tensor_str.py` with the default print options:
//! precision 4, threshold 1000, edgeitems 3, linewidth 80, automatic scientific mode).
//!
//! One formatter is chosen for the whole tensor (from the summarised data when it has more than
//! `threshold` elements), so every entry has the same width and the columns line up:
//! - float tensors whose non-zero finite values are all integers print as `1.`, `-3.`;
//! - scientific notation (`1.0000e-05`) is used when max/min of the non-zero finite magnitudes
//!   exceeds 1000, the max exceeds 1e8 or the min is below 1e-4;
//! - otherwise fixed point with 4 decimals; `nan`, `inf`, `-inf` and `-0.` as Python writes them;
//! - `i64` prints as integers and `bool` as `True`/`False`, right-aligned to a common width.

use super::{DType, Tensor};
use crate::device::Device;

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;
const LINEWIDTH: usize = 80;

/// One element read out for printing.
#[derive(Clone, Copy)]
enum Value {
    F(f64),
    I(i64),
    B(bool),
}

/// The elements of `t` in logical order.
fn values(t: &Tensor) -> Vec<Value> {
    match t.dtype() {
        DType::F32 => t.to_vec::<f32>().into_iter().map(|x| Value::F(x as f64)).collect(),
        DType::I64 => t.to_vec::<i64>().into_iter().map(Value::I).collect(),
        DType::Bool => t.to_vec::<bool>().into_iter().map(Value::B).collect(),
    }
}

/// The elements PyTorch's `get_summarized_data` keeps: `EDGEITEMS` from each end of each dim.
fn summarized_values(t: &Tensor) -> Vec<Value> {
    match t.dim() {
        0 => values(t),
        1 if t.shape()[0] > 2 * EDGEITEMS => {
            let n = t.shape()[0];
            let mut out = values(&t.narrow(0, 0, EDGEITEMS));
            out.extend(values(&t.narrow(0, (n - EDGEITEMS) as isize, EDGEITEMS)));
            out
        }
        1 => values(t),
        _ => edge_indices(t.shape()[0]).flat_map(|i| summarized_values(&t.select(0, i as isize))).collect(),
    }
}

/// The indices of the first and last `EDGEITEMS` entries of a dimension of size `n` (all when short).
fn edge_indices(n: usize) -> Box<dyn Iterator<Item = usize>> {
    if n > 2 * EDGEITEMS { Box::new((0..EDGEITEMS).chain(n - EDGEITEMS..n)) } else { Box::new(0..n) }
}

/// Python's `'{:.4e}'.format(x)`: the exponent has a sign and at least two digits.
fn python_sci(x: f64) -> String {
    if !x.is_finite() {
        return python_nonfinite(x);
    }
    let s = format!("{x:.PRECISION$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

fn python_nonfinite(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// PyTorch's `_Formatter`: one style and width for every element of a tensor.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn new(values: &[Value]) -> Formatter {
        let mut f = Formatter { int_mode: true, sci_mode: false, max_width: 1 };
        let mut floats = Vec::new();
        for &v in values {
            match v {
                Value::F(x) if x.is_finite() && x != 0.0 => floats.push(x),
                Value::F(_) => {}
                Value::I(_) | Value::B(_) => f.max_width = f.max_width.max(f.format_raw(v).len()),
            }
        }
        if floats.is_empty() {
            return f;
        }
        let max = floats.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let min = floats.iter().fold(f64::INFINITY, |m, x| m.min(x.abs()));
        f.int_mode = floats.iter().all(|x| *x == x.ceil());
        f.sci_mode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
        for &x in &floats {
            let len = if f.sci_mode {
                python_sci(x).len()
            } else if f.int_mode {
                format!("{x:.0}").len() + 1
            } else {
                format!("{x:.PRECISION$}").len()
            };
            f.max_width = f.max_width.max(len);
        }
        f
    }

    /// The element's text before padding.
    fn format_raw(&self, v: Value) -> String {
        match v {
            Value::F(x) if self.sci_mode => python_sci(x),
            Value::F(x) if !x.is_finite() => python_nonfinite(x),
            Value::F(x) if self.int_mode => format!("{x:.0}."),
            Value::F(x) => format!("{x:.PRECISION$}"),
            Value::I(x) => x.to_string(),
            Value::B(x) => if x { "True" } else { "False" }.into(),
        }
    }

    /// The element's text, right-aligned to the common width.
    fn format(&self, v: Value) -> String {
        format!("{:>w$}", self.format_raw(v), w = self.max_width)
    }
}

/// PyTorch's `_vector_str`: a 1-D row, wrapped to the line width.
fn vector_str(t: &Tensor, indent: usize, summarize: bool, f: &Formatter) -> String {
    let element_length = f.max_width + 2;
    let per_line = ((LINEWIDTH as isize - indent as isize).div_euclid(element_length as isize)).max(1) as usize;
    let n = t.shape()[0];
    let data: Vec<String> = if summarize && n > 2 * EDGEITEMS {
        let head = values(&t.narrow(0, 0, EDGEITEMS)).into_iter().map(|v| f.format(v));
        let tail = values(&t.narrow(0, (n - EDGEITEMS) as isize, EDGEITEMS)).into_iter().map(|v| f.format(v));
        head.chain(std::iter::once(" ...".to_string())).chain(tail).collect()
    } else {
        values(t).into_iter().map(|v| f.format(v)).collect()
    };
    let lines: Vec<String> = data.chunks(per_line).map(|line| line.join(", ")).collect();
    format!("[{}]", lines.join(&format!(",\n{}", " ".repeat(indent + 1))))
}

/// PyTorch's `_tensor_str_with_formatter`: nested brackets, blank lines between blocks of 3-D+.
fn tensor_str(t: &Tensor, indent: usize, summarize: bool, f: &Formatter) -> String {
    match t.dim() {
        0 => f.format(values(t)[0]),
        1 => vector_str(t, indent, summarize, f),
        dim => {
            let n = t.shape()[0];
            let row = |i: usize| tensor_str(&t.select(0, i as isize), indent + 1, summarize, f);
            let slices: Vec<String> = if summarize && n > 2 * EDGEITEMS {
                (0..EDGEITEMS)
                    .map(row)
                    .chain(std::iter::once("...".to_string()))
                    .chain((n - EDGEITEMS..n).map(row))
                    .collect()
            } else {
                (0..n).map(row).collect()
            };
            let sep = format!(",{}{}", "\n".repeat(dim - 1), " ".repeat(indent + 1));
            format!("[{}]", slices.join(&sep))
        }
    }
}

/// PyTorch's `_add_suffixes`: `, suffix` on the last line, or on a new line when it would pass
/// the line width.
fn add_suffixes(body: &str, suffixes: &[String], indent: usize) -> String {
    let mut out = body.to_string();
    // Python's `len(s) - s.rfind("\n") + 1`, where rfind gives -1 when there is no newline.
    let mut last_line_len = body.len() as isize - body.rfind('\n').map_or(-1, |i| i as isize) + 1;
    for suffix in suffixes {
        let len = suffix.len() as isize;
        if last_line_len + len + 2 > LINEWIDTH as isize {
            out.push_str(&format!(",\n{}{suffix}", " ".repeat(indent)));
            last_line_len = (indent as isize) + len;
        } else {
            out.push_str(&format!(", {suffix}"));
            last_line_len += len + 2;
        }
    }
    out.push(')');
    out
}

impl Tensor {
    /// The PyTorch repr with extra `key=value` suffixes, placed as PyTorch places them (on the last
    /// line, or wrapped onto a new line past 80 columns). `Param` uses it for `requires_grad=True`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::ones(&[2]);
    /// assert_eq!(x.repr_with_suffixes(&["requires_grad=True"]), "tensor([1., 1.], requires_grad=True)");
    /// ```
    pub fn repr_with_suffixes(&self, extra: &[&str]) -> String {
        let prefix = "tensor(";
        let indent = prefix.len();
        let mut suffixes = Vec::new();
        if self.device() != Device::Cpu {
            suffixes.push(format!("device='{}'", self.device()));
        }
        let body = if self.numel() == 0 {
            if self.dim() != 1 {
                let dims: Vec<String> = self.shape().iter().map(|d| d.to_string()).collect();
                suffixes.push(format!("size=({})", dims.join(", ")));
            }
            if self.dtype() != DType::F32 {
                suffixes.push(format!("dtype={}", self.dtype().torch_name()));
            }
            "[]".to_string()
        } else {
            let summarize = self.numel() > THRESHOLD;
            let f = Formatter::new(&if summarize { summarized_values(self) } else { values(self) });
            tensor_str(self, indent, summarize, &f)
        };
        suffixes.extend(extra.iter().map(|s| s.to_string()));
        add_suffixes(&format!("{prefix}{body}"), &suffixes, indent)
    }
}

impl std::fmt::Display for Tensor {
    /// Exactly PyTorch's `print(tensor)`.
    ///
    /// ```
    /// use fusenet_runtime::Tensor;
    /// let x = Tensor::arange(6.0).reshape([2, 3]);
    /// assert_eq!(x.to_string(), "tensor([[0., 1., 2.],\n        [3., 4., 5.]])");
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repr_with_suffixes(&[]))
    }
}

impl std::fmt::Debug for Tensor {
    /// The same text as `Display` (PyTorch's `repr` and `str` agree).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
#[path = "display_tests.rs"]
mod tests;

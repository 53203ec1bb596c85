//! Reading hyper-parameters back from the JSON in an optimiser's saved metadata.

use serde_json::{Map, Value};

pub(crate) type Obj = Map<String, Value>;

pub(crate) fn f64_of(m: &Obj, key: &str) -> Result<f64, String> {
    match m.get(key) {
        Some(v) => v.as_f64().ok_or_else(|| format!("hyper-parameter {key:?} is {v}, not a number")),
        None => Err(format!("hyper-parameter {key:?} is missing")),
    }
}

pub(crate) fn bool_of(m: &Obj, key: &str) -> Result<bool, String> {
    match m.get(key) {
        Some(v) => v.as_bool().ok_or_else(|| format!("hyper-parameter {key:?} is {v}, not a boolean")),
        None => Err(format!("hyper-parameter {key:?} is missing")),
    }
}

pub(crate) fn pair_of(m: &Obj, key: &str) -> Result<(f64, f64), String> {
    let bad = || format!("hyper-parameter {key:?} is not a pair of numbers");
    let v = m.get(key).ok_or_else(|| format!("hyper-parameter {key:?} is missing"))?;
    match v.as_array().map(Vec::as_slice) {
        Some([a, b]) => Ok((a.as_f64().ok_or_else(bad)?, b.as_f64().ok_or_else(bad)?)),
        _ => Err(bad()),
    }
}

/// A number for JSON; non-finite values (which JSON cannot hold) become strings that
/// [`f64_of`] rejects, so they never load silently as something else.
pub(crate) fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map(Value::Number).unwrap_or_else(|| Value::String(x.to_string()))
}

/// A float as Python prints it in PyTorch's messages: shortest round-trip digits, scientific
/// below 1e-4 and from 1e16 (`1e-08`, two exponent digits at least). Integral values print
/// without `.0`, as the Python int a user usually passes (`Invalid learning rate: -1`).
pub(crate) fn py(x: f64) -> String {
    let a = x.abs();
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = if let Some(d) = exp.strip_prefix('-') { ("-", d) } else { ("+", exp) };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    format!("{x}")
}

/// [`py`] for a hyper-parameter that is always a Python float (eps, betas, alpha, rho): integral
/// values keep their `.0` (`Invalid beta parameter at index 1: 1.0`).
pub(crate) fn py_float(x: f64) -> String {
    let s = py(x);
    if x.is_finite() && !s.contains(['.', 'e']) { s + ".0" } else { s }
}

#[cfg(test)]
mod tests {
    #[test]
    fn floats_print_as_python() {
        use super::py;
        assert_eq!(py(-1e-8), "1e-08".replace('1', "-1"));
        assert_eq!(py(-1.0), "-1");
        assert_eq!(py(0.5), "0.5");
        assert_eq!(py(2.5e20), "2.5e+20");
        assert_eq!(py(f64::NAN), "nan");
        assert_eq!(super::py_float(1.0), "1.0");
        assert_eq!(super::py_float(-1e-8), "-1e-08");
    }
}

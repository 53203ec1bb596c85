//! State dicts: ordered maps from PyTorch-style keys (`0.weight`, `net.2.bias`) to tensors.

use crate::tensor::Tensor;

/// An ordered name → tensor map, as `module.state_dict()` returns in PyTorch.
///
/// Keys keep their insertion order, which for a module is PyTorch's registration order.
///
/// ```
/// use fusenet_runtime::{StateDict, Tensor};
/// let mut sd = StateDict::new();
/// sd.insert("0.weight", Tensor::zeros(&[8, 4]));
/// assert_eq!(sd["0.weight"].shape(), &[8, 4]);
/// assert_eq!(sd.keys().collect::<Vec<_>>(), ["0.weight"]);
/// ```
#[derive(Default)]
pub struct StateDict {
    entries: Vec<(String, Tensor)>,
}

impl StateDict {
    pub fn new() -> StateDict {
        StateDict::default()
    }

    /// Inserts or replaces `key`; a replaced key keeps its position.
    pub fn insert(&mut self, key: impl Into<String>, value: Tensor) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Tensor> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn remove(&mut self, key: &str) -> Option<Tensor> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl std::ops::Index<&str> for StateDict {
    type Output = Tensor;
    fn index(&self, key: &str) -> &Tensor {
        self.get(key).unwrap_or_else(|| panic!("state dict has no key {key:?}"))
    }
}

impl IntoIterator for StateDict {
    type Item = (String, Tensor);
    type IntoIter = std::vec::IntoIter<(String, Tensor)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl FromIterator<(String, Tensor)> for StateDict {
    fn from_iter<I: IntoIterator<Item = (String, Tensor)>>(iter: I) -> StateDict {
        let mut sd = StateDict::new();
        for (k, v) in iter {
            sd.insert(k, v);
        }
        sd
    }
}

impl std::fmt::Debug for StateDict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v.shape()))).finish()
    }
}

/// A key whose tensor has another shape than the module's.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapeMismatch {
    pub key: String,
    /// The module's shape.
    pub expected: Vec<usize>,
    /// The state dict's shape.
    pub found: Vec<usize>,
}

/// What `load_state_dict` found wrong, as PyTorch's `_IncompatibleKeys` plus shape mismatches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Keys the module has and the state dict lacks.
    pub missing_keys: Vec<String>,
    /// Keys the state dict has and the module lacks.
    pub unexpected_keys: Vec<String>,
    /// Keys present on both sides with different shapes (or dtypes).
    pub shape_mismatches: Vec<ShapeMismatch>,
}

impl LoadReport {
    /// True when nothing is missing, unexpected or mismatched.
    pub fn is_clean(&self) -> bool {
        self.missing_keys.is_empty() && self.unexpected_keys.is_empty() && self.shape_mismatches.is_empty()
    }
}

impl std::fmt::Display for LoadReport {
    /// PyTorch's message, one problem per tab-indented line:
    ///
    /// ```text
    /// Error(s) in loading state_dict:
    ///     Missing key(s) in state_dict: "0.bias".
    ///     Unexpected key(s) in state_dict: "1.weight", "2.x".
    ///     size mismatch for 0.weight: copying a param with shape [8, 5] from checkpoint, the shape in current model is [8, 4].
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn quoted(keys: &[String]) -> String {
            keys.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
        }
        if self.is_clean() {
            return write!(f, "state_dict loaded with no missing, unexpected or mismatched keys");
        }
        write!(f, "Error(s) in loading state_dict:")?;
        if !self.missing_keys.is_empty() {
            write!(f, "\n\tMissing key(s) in state_dict: {}. ", quoted(&self.missing_keys))?;
        }
        if !self.unexpected_keys.is_empty() {
            write!(f, "\n\tUnexpected key(s) in state_dict: {}. ", quoted(&self.unexpected_keys))?;
        }
        for m in &self.shape_mismatches {
            if m.expected == m.found {
                write!(f, "\n\tdtype mismatch for {}: the param of shape {:?} in the checkpoint has another dtype than the one in current model.", m.key, m.found)?;
            } else {
                write!(
                    f,
                    "\n\tsize mismatch for {}: copying a param with shape {:?} from checkpoint, the shape in current model is {:?}.",
                    m.key, m.found, m.expected
                )?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for StateDict {
    /// As Python prints `module.state_dict()`: `OrderedDict([('weight', tensor([...])), ('bias', tensor([...]))])`.
    ///
    /// ```
    /// use fusenet_runtime::{tensor, StateDict};
    /// let mut sd = StateDict::new();
    /// sd.insert("bias", tensor![0.0887]);
    /// assert_eq!(sd.to_string(), "OrderedDict([('bias', tensor([0.0887]))])");
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.entries.is_empty() {
            return f.write_str("OrderedDict()");
        }
        f.write_str("OrderedDict([")?;
        for (i, (key, value)) in self.entries.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}({}, {value})", python_str_repr(key))?;
        }
        f.write_str("])")
    }
}

/// Python's `repr(str)`: single quotes unless the text holds a `'` and no `"`, with escapes.
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
#[path = "state_dict_display_tests.rs"]
mod display_tests;

//! `SizeArg<D>`: an int or a `D`-tuple, PyTorch's `_size_2_t` (`kernel_size=2` or `(2, 3)`).

/// A size argument given as one integer for every axis, or as one per axis. The layers keep
/// which form was given because PyTorch's pooling reprs print it back as given
/// (`MaxPool2d(kernel_size=2, ...)` vs `MaxPool2d(kernel_size=(2, 3), ...)`).
///
/// ```
/// use fusenet_runtime::nn::SizeArg;
/// assert_eq!(SizeArg::<2>::from(3).expand(), [3, 3]);
/// assert_eq!(SizeArg::from([2, 3]).to_string(), "(2, 3)");
/// assert_eq!(SizeArg::<1>::from(4).to_string(), "4");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SizeArg<const D: usize> {
    /// The same value on every axis (`kernel_size=2`).
    Int(usize),
    /// One value per axis (`kernel_size=(2, 3)`).
    Tuple([usize; D]),
}

impl<const D: usize> SizeArg<D> {
    /// The value on each axis.
    pub fn expand(self) -> [usize; D] {
        match self {
            SizeArg::Int(v) => [v; D],
            SizeArg::Tuple(t) => t,
        }
    }
}

impl<const D: usize> From<usize> for SizeArg<D> {
    fn from(v: usize) -> Self {
        SizeArg::Int(v)
    }
}

impl<const D: usize> From<[usize; D]> for SizeArg<D> {
    fn from(t: [usize; D]) -> Self {
        SizeArg::Tuple(t)
    }
}

impl<const D: usize> std::fmt::Display for SizeArg<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SizeArg::Int(v) => write!(f, "{v}"),
            SizeArg::Tuple(t) => f.write_str(&py_tuple(t)),
        }
    }
}

/// Python's tuple repr: `(5,)`, `(5, 5)`.
pub(crate) fn py_tuple(t: &[usize]) -> String {
    match t {
        [one] => format!("({one},)"),
        _ => format!("({})", t.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_tuple_reprs() {
        assert_eq!(py_tuple(&[5]), "(5,)");
        assert_eq!(py_tuple(&[5, 5]), "(5, 5)");
        assert_eq!(py_tuple(&[1, 2, 3]), "(1, 2, 3)");
        assert_eq!(SizeArg::<3>::from(2).expand(), [2, 2, 2]);
    }
}

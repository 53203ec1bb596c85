//! The AVX-512 lane mask shared by the kernels' masked loads and stores.

use std::arch::x86_64::__mmask16;

/// The first `n` lanes of a 16-lane register (all of them for `n ≥ 16`).
/// `lanes(3) == 0b111`.
#[inline(always)]
pub(crate) fn lanes(n: usize) -> __mmask16 {
    if n >= 16 { 0xffff } else { ((1u32 << n) - 1) as __mmask16 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lanes_select_the_first_n() {
        assert_eq!(super::lanes(0), 0);
        assert_eq!(super::lanes(3), 0b111);
        assert_eq!(super::lanes(16), 0xffff);
        assert_eq!(super::lanes(40), 0xffff);
    }
}

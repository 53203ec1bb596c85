//! The `Module` trait. (Owner: module helper.)

pub trait Module {}

#[doc(hidden)]
pub mod __private {}

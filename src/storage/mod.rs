//! Writing to disk safely: files that appear whole or not at all.

pub mod atomic;
pub mod bundle;

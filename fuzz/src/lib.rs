//! The fuzz targets' logic. It lives in `harness/` as plain Rust so that the main crate's
//! `tests/fuzz_corpus.rs` can include the same files and replay the corpus on stable.

#[path = "../harness/mod.rs"]
pub mod harness;

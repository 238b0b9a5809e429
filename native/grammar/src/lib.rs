//! Re-exports llguidance so its `#[no_mangle] extern "C"` API (llguidance.h)
//! ends up in this crate's static library.
pub use llguidance;

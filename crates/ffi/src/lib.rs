//! C ABI for muxlink (filled in by the C ABI issue).
#![deny(missing_docs)]

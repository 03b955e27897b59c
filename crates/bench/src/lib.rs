//! muxlink's benchmark suite: muxlink and its peers fed the same bytes in one process.
//!
//! Groups live in [`groups`] (one module each), committed workloads in [`workloads`] (made by
//! [`gen`] or recorded by `workloads/record.sh`), timing in [`measure`], output in [`report`].
//! Peers (termwiz, alacritty_terminal, vt100) are dependencies of this crate only, so they never
//! ship inside `muxlink`.
#![deny(unsafe_code)]
// exceptions: the thread CPU clock in `measure::clock`, the counting
// allocator in `meter`, the C ABI loaded with dlopen in `groups::ffi`
#![deny(missing_docs)]

pub mod gen;
pub mod groups;
pub mod measure;
pub mod meter;
pub mod report;
pub mod workloads;

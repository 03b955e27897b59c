//! The synchronisation types the cross-thread inbox uses: std's here; `tests/loom_inbox.rs`
//! compiles the same inbox against loom's to check every interleaving.
pub(crate) use std::sync::atomic::{AtomicBool, Ordering};
pub(crate) use std::sync::Mutex;
/// The guard type `Mutex::lock` returns.
pub(crate) type MutexGuardAlias<'a, T> = std::sync::MutexGuard<'a, T>;

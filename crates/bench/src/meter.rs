//! A counting allocator: live heap bytes of the thread that asked ([`Meter::start`]), for the
//! `memory` group. Other threads, and this one while not counting, pay one thread-local read
//! per allocation.
#![allow(unsafe_code)] // `GlobalAlloc` is an unsafe trait; every call is passed on unchanged

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The global allocator of every binary that links this crate: the system's, counted.
pub struct Meter;

#[global_allocator]
static METER: Meter = Meter;

thread_local! {
    // Const-initialised and without a destructor, so the allocator may touch it.
    static LIVE: Cell<Option<i64>> = const { Cell::new(None) };
}

#[inline]
fn note(delta: i64) {
    let _ = LIVE.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + delta));
        }
    });
}

impl Meter {
    /// Starts counting this thread's allocations from zero.
    pub fn start() {
        LIVE.with(|c| c.set(Some(0)));
    }

    /// Bytes this thread allocated and has not freed since [`Meter::start`] (requested
    /// sizes: the allocator's own overhead is not counted).
    pub fn live() -> i64 {
        LIVE.with(|c| c.get().unwrap_or(0))
    }

    /// Stops counting.
    pub fn stop() {
        LIVE.with(|c| c.set(None));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts
// (in a thread-local that never allocates).
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as i64);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as i64);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as i64));
        // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as i64 - layout.size() as i64);
        // SAFETY: as for `alloc` and `dealloc`: the caller's contract, passed on to `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_this_thread_keeps() {
        Meter::start();
        let v: Vec<u8> = Vec::with_capacity(1000);
        let kept = Meter::live();
        drop(v);
        let after = Meter::live();
        Meter::stop();
        assert_eq!(kept, 1000);
        assert_eq!(after, 0);
    }
}

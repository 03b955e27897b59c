//! The host's userdata pointers and their destructors.

use std::ffi::c_void;

/// A destructor for a userdata pointer: called once with the pointer when the last holder
/// (the client, a pending callback, an operation queued from another thread) lets go. May
/// be NULL. It may run on any thread that frees the last holder (the client's thread, or a
/// thread that frees a `muxlink_remote`), must not unwind and must not call into muxlink.
pub type muxlink_destroy_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A userdata pointer and its destructor, which runs when this is dropped (exactly once:
/// the value cannot be copied, and shared holders share it through an `Arc`).
pub(crate) struct Userdata {
    ptr: *mut c_void,
    destroy: muxlink_destroy_fn,
}

// SAFETY: muxlink never dereferences the pointer; it hands it back to the host's functions,
// on the threads the header names for each (the host promises those may use it there).
unsafe impl Send for Userdata {}
// SAFETY: as above; shared holders only read the pointer value.
unsafe impl Sync for Userdata {}

impl Userdata {
    /// Takes ownership of the host's pointer and destructor.
    pub(crate) fn new(ptr: *mut c_void, destroy: muxlink_destroy_fn) -> Self {
        Userdata { ptr, destroy }
    }

    /// The pointer, for the host's callbacks.
    #[inline]
    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for Userdata {
    fn drop(&mut self) {
        if let Some(destroy) = self.destroy.take() {
            // SAFETY: the host's destructor for its own pointer, called once (taken above).
            unsafe { destroy(self.ptr) }
        }
    }
}

impl std::fmt::Debug for Userdata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Userdata({:p})", self.ptr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    static DESTROYED: AtomicUsize = AtomicUsize::new(0);
    static EXPECTED: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn count(p: *mut c_void) {
        assert_eq!(p as usize, EXPECTED.load(Ordering::SeqCst));
        DESTROYED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn the_destructor_runs_once_when_the_last_holder_lets_go() {
        // A real address (Miri checks provenance), never dereferenced.
        static TARGET: u8 = 0;
        let ptr = std::ptr::addr_of!(TARGET).cast_mut().cast::<c_void>();
        EXPECTED.store(ptr as usize, Ordering::SeqCst);
        let u = Arc::new(Userdata::new(ptr, Some(count)));
        let other = u.clone();
        drop(u);
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 0);
        std::thread::spawn(move || drop(other)).join().unwrap();
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 1);
        drop(Userdata::new(std::ptr::null_mut(), None));
    }
}

//! Benchmark probes: exports that run one inner path of the library in a loop, so that
//! `muxlink-bench` can time that path alone in the real `libmuxlink.so`. Not part of the C API:
//! cbindgen leaves them out of the header (cbindgen.toml), and they may change with any
//! release.

use std::hint::black_box;

use muxlink_runtime::{ClientEvent, Host, PaneId};

use crate::boundary::{buffer, guard, required};
use crate::host::{muxlink_callbacks, Callbacks, FfiHost};
use crate::result::muxlink_result;

/// Pushes `n` bytes-mode events (`pane`, the `len` bytes at `bytes`) to
/// `callbacks->on_event` by the path a client's events take: through the runtime's
/// `&mut dyn Host` into the C ABI's host, which fills a `muxlink_event` and calls the host's
/// function with its userdata. What one muxlink-to-host callback costs is this call's time
/// over `n`. `callbacks->destroy` is not called (the userdata stays the caller's).
///
/// # Safety
/// `callbacks` is NULL or a whole `muxlink_callbacks`; `bytes` is NULL with `len` 0 or
/// `len` readable bytes; `on_event` behaves as `muxlink_event_fn` says.
#[no_mangle]
#[doc(hidden)]
pub unsafe extern "C" fn muxlink_probe_push_events(
    callbacks: *const muxlink_callbacks,
    pane: u32,
    bytes: *const u8,
    len: usize,
    n: u64,
) -> muxlink_result {
    guard(|| {
        required(callbacks)?;
        buffer(bytes, len)?;
        // SAFETY: checked; a whole struct (the caller's promise); `sized::read` checks its
        // size and version.
        let mut c = unsafe { crate::sized::read(callbacks)? };
        if c.on_event.is_none() {
            return Err(muxlink_result::MUXLINK_ERR_NULL);
        }
        c.destroy = None;
        let bytes: &[u8] = if len == 0 {
            &[]
        } else {
            // SAFETY: checked non-NULL; `len` readable bytes (the caller's promise).
            unsafe { std::slice::from_raw_parts(bytes, len) }
        };
        let mut host = FfiHost::default();
        host.set_callbacks(Some(Callbacks::new(&c)));
        let event = ClientEvent::PaneBytes {
            pane: PaneId(pane),
            bytes,
        };
        for _ in 0..n {
            // As the runtime calls it: through the trait object, on an event it made.
            let h: &mut dyn Host = black_box(&mut host);
            h.on_event(black_box(&event));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{muxlink_event, MUXLINK_EVENT_PANE_BYTES};
    use std::ffi::c_void;

    unsafe extern "C" fn count(ud: *mut c_void, ev: *const muxlink_event) {
        // SAFETY: the test's counter and a borrowed event.
        let (n, ev) = unsafe { (&mut *ud.cast::<(u64, usize)>(), &*ev) };
        assert_eq!(ev.kind, MUXLINK_EVENT_PANE_BYTES);
        n.0 += 1;
        n.1 += ev.data_len;
    }

    #[test]
    fn pushes_n_events_and_refuses_bad_calls() {
        let mut seen = (0u64, 0usize);
        let mut cb = <muxlink_callbacks as crate::sized::Sized>::defaults();
        cb.userdata = (&mut seen as *mut (u64, usize)).cast();
        let b = b"abc";
        // SAFETY: a whole struct, a live counter, 3 readable bytes.
        let r = unsafe { muxlink_probe_push_events(&cb, 1, b.as_ptr(), 3, 5) };
        assert_eq!(r, muxlink_result::MUXLINK_ERR_NULL, "no on_event");
        cb.on_event = Some(count);
        // SAFETY: as above.
        let r = unsafe { muxlink_probe_push_events(&cb, 1, b.as_ptr(), 3, 5) };
        assert_eq!(r, muxlink_result::MUXLINK_OK);
        assert_eq!(seen, (5, 15));
        // SAFETY: NULLs are refused before anything is read.
        unsafe {
            assert_eq!(
                muxlink_probe_push_events(std::ptr::null(), 1, b.as_ptr(), 3, 1),
                muxlink_result::MUXLINK_ERR_NULL
            );
            assert_eq!(
                muxlink_probe_push_events(&cb, 1, std::ptr::null(), 3, 1),
                muxlink_result::MUXLINK_ERR_NULL
            );
        }
    }
}

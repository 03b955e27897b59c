//! `muxlink_remote`: how other threads reach a client. Every function here may be called
//! from any thread, at any time, concurrently; the work runs on the client's thread when its
//! loop calls `muxlink_client_on_wake` (or in `muxlink_client_turn` / `_run`).

use std::ffi::c_void;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::boundary::{buffer, guard, required};
use crate::client::muxlink_client;
use crate::driver::{muxlink_call_fn, RemoteOp, Shared};
use crate::ops::MUXLINK_OP_BYTES_MAX;
use crate::result::muxlink_result;
use crate::userdata::{muxlink_destroy_fn, Userdata};

/// A handle other threads use to queue work for a client and wake its loop (opaque). Made by
/// `muxlink_client_remote`, freed by `muxlink_remote_free`, independently of the client: once
/// the client is freed its functions return `MUXLINK_ERR_CLOSED`. Thread-safe.
pub struct muxlink_remote {
    shared: Arc<Shared>,
}

/// Makes a remote handle for `client` in `*out` (NULL on error). Call it on the client's
/// thread; use the handle from any thread.
///
/// # Safety
/// `client` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_remote(
    client: *mut muxlink_client,
    out: *mut *mut muxlink_remote,
) -> muxlink_result {
    if let Err(e) = required(out) {
        return e;
    }
    // SAFETY: checked; writable.
    unsafe { out.write(std::ptr::null_mut()) };
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            let r = Box::new(muxlink_remote {
                shared: c.shared.clone(),
            });
            out.write(Box::into_raw(r));
            Ok(())
        })
    }
}

/// Frees a remote handle; NULL does nothing. The client is not affected.
///
/// # Safety
/// `remote` is NULL or a handle `muxlink_client_remote` made, not freed, not in use by
/// another thread's call.
#[no_mangle]
pub unsafe extern "C" fn muxlink_remote_free(remote: *mut muxlink_remote) {
    if remote.is_null() || !remote.is_aligned() {
        return;
    }
    let _ = guard(|| {
        // SAFETY: made by Box::into_raw, freed once (the caller's promise).
        drop(unsafe { Box::from_raw(remote) });
        Ok(())
    });
}

/// # Safety
/// `remote` passed `required` and is a live handle.
unsafe fn push(remote: *const muxlink_remote, op: RemoteOp) -> Result<(), muxlink_result> {
    // SAFETY: live (the caller's promise); only shared access.
    let shared = unsafe { &(*remote).shared };
    match shared.inbox.push(op) {
        Ok(true) => {
            shared.wake.wake();
            Ok(())
        }
        Ok(false) => Ok(()),
        // The op (and its userdata) is dropped here: its destructor runs now.
        Err(_) => Err(muxlink_result::MUXLINK_ERR_CLOSED),
    }
}

/// Queues `len` bytes of input for pane `%pane` (as `muxlink_client_send_input`) and wakes
/// the client's loop. The bytes are copied. Input for a pane that is gone when it runs is
/// dropped. Errors: `MUXLINK_ERR_CLOSED` (the client was freed), `MUXLINK_ERR_NULL`,
/// `MUXLINK_ERR_INVALID_ARGUMENT` (len above `MUXLINK_OP_BYTES_MAX`). Allocates the copy.
///
/// # Safety
/// `remote` is NULL or a live handle; `bytes` points to `len` readable bytes (NULL with 0).
#[no_mangle]
pub unsafe extern "C" fn muxlink_remote_send_input(
    remote: *const muxlink_remote,
    pane: u32,
    bytes: *const u8,
    len: usize,
) -> muxlink_result {
    guard(|| {
        required(remote)?;
        buffer(bytes, len)?;
        if len > MUXLINK_OP_BYTES_MAX {
            return Err(muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT);
        }
        let bytes = if len == 0 {
            Vec::new()
        } else {
            // SAFETY: non-NULL, `len` readable bytes (the caller's promise).
            unsafe { std::slice::from_raw_parts(bytes, len) }.to_vec()
        };
        // SAFETY: checked; live (the caller's promise).
        unsafe { push(remote, RemoteOp::Input { pane, bytes }) }
    })
}

/// Queues `f(userdata, client)` to run on the client's thread (see `muxlink_call_fn`) and
/// wakes the client's loop. `destroy` runs exactly once: after `f` ran, when the client is
/// freed before it could, or, when this call fails (`MUXLINK_ERR_CLOSED`), before it returns.
/// Errors: `MUXLINK_ERR_NULL` (remote or f; `destroy` not called then), `MUXLINK_ERR_CLOSED`.
///
/// # Safety
/// `remote` is NULL or a live handle; `f` and `destroy` may be called on the client's thread
/// (and `destroy` on this one).
#[no_mangle]
pub unsafe extern "C" fn muxlink_remote_call(
    remote: *const muxlink_remote,
    f: muxlink_call_fn,
    userdata: *mut c_void,
    destroy: muxlink_destroy_fn,
) -> muxlink_result {
    guard(|| {
        required(remote)?;
        let f = f.ok_or(muxlink_result::MUXLINK_ERR_NULL)?;
        let userdata = Userdata::new(userdata, destroy);
        // SAFETY: checked; live (the caller's promise).
        unsafe { push(remote, RemoteOp::Call { f, userdata }) }
    })
}

/// Wakes the client's loop (it calls `muxlink_client_on_wake`, or the built-in loop's turn
/// returns). Errors: `MUXLINK_ERR_CLOSED` (the client was freed), `MUXLINK_ERR_NULL`.
/// Costs a lock and the host's wake function.
///
/// # Safety
/// `remote` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_remote_wake(remote: *const muxlink_remote) -> muxlink_result {
    guard(|| {
        required(remote)?;
        // SAFETY: checked; live (the caller's promise).
        let shared = unsafe { &(*remote).shared };
        if shared.inbox.is_closed() {
            return Err(muxlink_result::MUXLINK_ERR_CLOSED);
        }
        shared.wake.wake();
        Ok(())
    })
}

/// Makes `muxlink_client_run` return at its next turn (and wakes it).
///
/// # Safety
/// `remote` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_remote_stop(remote: *const muxlink_remote) -> muxlink_result {
    guard(|| {
        required(remote)?;
        // SAFETY: checked; live (the caller's promise).
        let shared = unsafe { &(*remote).shared };
        if shared.inbox.is_closed() {
            return Err(muxlink_result::MUXLINK_ERR_CLOSED);
        }
        shared.stop.store(true, Ordering::SeqCst);
        shared.wake.wake();
        Ok(())
    })
}

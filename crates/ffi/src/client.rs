//! `muxlink_client`: one control-mode connection, its lifecycle, its input and its output.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::Arc;
use std::time::{Duration, Instant};

use muxlink_runtime::drive::Readiness;
use muxlink_runtime::{Client, Pane, PaneId};

use crate::backend::{
    muxlink_backend, HostWake, VtableBackend, MUXLINK_FD_ERROR, MUXLINK_FD_READABLE,
    MUXLINK_FD_WRITABLE,
};
use crate::boundary::{buffer, guard, required, FfiResult};
use crate::config::muxlink_client_config;
use crate::driver::{muxlink_write_fn, Driver, RemoteOp, Shared, WakeTarget, Writer};
use crate::event::muxlink_event;
use crate::frame::muxlink_render_state;
use crate::host::{muxlink_callbacks, Callbacks, FfiHost};
use crate::result::muxlink_result;
use crate::sized;
use crate::transport::muxlink_transport;
use crate::userdata::{muxlink_destroy_fn, Userdata};

/// One control-mode client (opaque). Made by `muxlink_client_new`, freed by
/// `muxlink_client_free`. Used by one thread at a time; it may move between threads between
/// calls. Other threads reach it only through a `muxlink_remote`.
pub struct muxlink_client {
    pub(crate) driver: Driver,
    pub(crate) shared: Arc<Shared>,
    /// Set when a call on this handle panicked: every later call but `_free` is refused.
    poisoned: Cell<bool>,
    /// Operations taken from the inbox (reused).
    remote_ops: Vec<RemoteOp>,
}

impl muxlink_client {
    /// Runs `body` on the handle behind `p` inside the panic boundary; a panic poisons it.
    ///
    /// # Safety
    /// `p` is NULL or a pointer `muxlink_client_new` returned and that has not been freed,
    /// not borrowed by an outer call on this thread.
    #[inline(always)]
    pub(crate) unsafe fn with_mut(
        p: *mut muxlink_client,
        body: impl FnOnce(&mut muxlink_client) -> FfiResult,
    ) -> muxlink_result {
        if let Err(e) = required(p) {
            return e;
        }
        // SAFETY: a live handle (the caller's promise), used by this thread only.
        if unsafe { (*p).poisoned.get() } {
            return muxlink_result::MUXLINK_ERR_POISONED;
        }
        // SAFETY: as above; the reference ends when `body` returns or unwinds.
        let r = guard(|| body(unsafe { &mut *p }));
        if r == muxlink_result::MUXLINK_ERR_PANIC {
            // SAFETY: the handle is still allocated; the panicking borrow has ended.
            unsafe { (*p).poisoned.set(true) };
        }
        r
    }

    /// [`muxlink_client::with_mut`] for calls that only read.
    ///
    /// # Safety
    /// As for `with_mut`.
    #[inline(always)]
    pub(crate) unsafe fn with_ref(
        p: *const muxlink_client,
        body: impl FnOnce(&muxlink_client) -> FfiResult,
    ) -> muxlink_result {
        if let Err(e) = required(p) {
            return e;
        }
        // SAFETY: a live handle (the caller's promise).
        let c = unsafe { &*p };
        if c.poisoned.get() {
            return muxlink_result::MUXLINK_ERR_POISONED;
        }
        let r = guard(|| body(c));
        if r == muxlink_result::MUXLINK_ERR_PANIC {
            c.poisoned.set(true);
        }
        r
    }

    /// The sans-I/O client, for reading.
    pub(crate) fn client(&self) -> &Client {
        self.driver.client()
    }

    /// Runs the operations other threads queued, outside any borrow of the handle (a queued
    /// call may use the client).
    ///
    /// # Safety
    /// As for `with_mut`.
    unsafe fn run_remote_ops(p: *mut muxlink_client) -> muxlink_result {
        let mut ops = Vec::new();
        // SAFETY: forwarded.
        let r = unsafe {
            Self::with_mut(p, |c| {
                if c.shared.inbox.has_pending() {
                    ops = std::mem::take(&mut c.remote_ops);
                    c.shared.inbox.drain_into(&mut ops);
                }
                Ok(())
            })
        };
        if r != muxlink_result::MUXLINK_OK || ops.is_empty() {
            return r;
        }
        let mut result = muxlink_result::MUXLINK_OK;
        for op in ops.drain(..) {
            match op {
                RemoteOp::Input { pane, bytes } => {
                    // SAFETY: forwarded.
                    let r = unsafe {
                        Self::with_mut(p, |c| {
                            // Input for a pane that closed meanwhile is dropped.
                            let _ = c
                                .driver
                                .apply(|client, _| client.send_input(PaneId(pane), &bytes));
                            c.driver.check_callbacks()
                        })
                    };
                    if r != muxlink_result::MUXLINK_OK {
                        result = r;
                    }
                }
                RemoteOp::Call { f, userdata } => {
                    // SAFETY: the host's function with its userdata and the live client,
                    // borrowed by nobody now (documented: it must not free the client).
                    unsafe { f(userdata.ptr(), p) };
                    // The userdata's destructor runs here, once.
                    drop(userdata);
                }
            }
        }
        // SAFETY: forwarded; the reused vector goes back (empty).
        let _ = unsafe {
            Self::with_mut(p, |c| {
                if c.remote_ops.capacity() < ops.capacity() {
                    c.remote_ops = ops;
                }
                Ok(())
            })
        };
        result
    }
}

impl Drop for muxlink_client {
    fn drop(&mut self) {
        // Nothing stays watched by the host's loop, and nothing queued from another thread
        // outlives the client: queued calls are dropped (their destructors run) and later
        // pushes are refused.
        self.driver.detach_backend();
        drop(self.shared.inbox.close());
        drop(self.shared.wake.set(None));
    }
}

/// Makes a client from `*config` (see `muxlink_client_config_init`) and stores it in `*out`.
/// The client is sans-I/O: the host feeds it (`muxlink_client_feed`) and writes what it
/// returns (`muxlink_client_outgoing`), or gives it a write callback
/// (`muxlink_client_set_writer`, host-fed), or lets muxlink run tmux
/// (`muxlink_client_spawn`). A client made for a plain `tmux -C` stream starts in control
/// mode; with `handshake` on it queues the attach commands at once.
///
/// Errors: `MUXLINK_ERR_NULL` (config or out is NULL), `MUXLINK_ERR_MISALIGNED`,
/// `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`, `MUXLINK_ERR_INVALID_ARGUMENT` (a
/// field out of range). On any error `*out` is set to NULL (when `out` itself is usable).
/// Costs a few small allocations; panes are allocated as tmux reports them.
///
/// # Safety
/// `config` is NULL or points to `config->size` readable bytes; `out` is NULL or points to a
/// writable `muxlink_client *`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_new(
    config: *const muxlink_client_config,
    out: *mut *mut muxlink_client,
) -> muxlink_result {
    guard(|| {
        required(out)?;
        // SAFETY: non-NULL, aligned and writable (the caller's promise); cleared first so
        // that every error leaves NULL behind.
        unsafe { out.write(std::ptr::null_mut()) };
        required(config)?;
        // SAFETY: checked non-NULL and aligned; readable as `muxlink_client_config::read`
        // needs (the caller's promise).
        let checked = unsafe { muxlink_client_config::read(config)? };
        let handle = Box::new(muxlink_client {
            driver: Driver::Direct {
                client: Client::new(checked.config),
                host: FfiHost::default(),
            },
            shared: Shared::new(),
            poisoned: Cell::new(false),
            remote_ops: Vec::new(),
        });
        // SAFETY: as above.
        unsafe { out.write(Box::into_raw(handle)) };
        Ok(())
    })
}

/// Frees a client and everything it holds: a child tmux (or ssh) is ended and reaped (in
/// the background if it lingers), the host's loop is told to unwatch every descriptor,
/// operations queued from other threads are dropped, and every userdata destructor still
/// owed runs (those shared with a `muxlink_remote` run when that lets go too). NULL does
/// nothing. A poisoned client is freed too. The pointer is invalid afterwards.
///
/// # Safety
/// `client` is NULL or a pointer `muxlink_client_new` returned that has not been freed, not
/// in use by any other call.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_free(client: *mut muxlink_client) {
    if client.is_null() || !client.is_aligned() {
        return;
    }
    // A panic while dropping leaks what is left rather than unwinding into C.
    let _ = guard(|| {
        // SAFETY: a live handle made by Box::into_raw in muxlink_client_new (the caller's
        // promise), freed once.
        drop(unsafe { Box::from_raw(client) });
        Ok(())
    });
}

/// Feeds `len` bytes read from tmux's stdout (sans-I/O) or from the host's PTY (host-fed),
/// cut anywhere (a notification, an escape sequence or a UTF-8 character may span calls).
/// The bytes are borrowed for the call only. `bytes` may be NULL when `len` is 0. Events go
/// to the queue or the `on_event` callback during the call; frames are flushed at its end; a
/// host-fed client writes its replies through the writer before returning.
///
/// Errors: `MUXLINK_ERR_NULL`, `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_INVALID_ARGUMENT` (len
/// above `PTRDIFF_MAX`), `MUXLINK_ERR_CLOSED` (the client closed before this call: tmux's
/// `%exit` came earlier; bytes after `%exit` within the same call are ignored and the call
/// succeeds), `MUXLINK_ERR_WRONG_MODE` (a spawned client reads tmux itself),
/// `MUXLINK_ERR_CALLBACK` (the writer failed; the client closed), `MUXLINK_ERR_POISONED`,
/// `MUXLINK_ERR_PANIC`. Malformed input is not an error: a line muxlink cannot take is
/// reported (`MUXLINK_EVENT_PROTOCOL_ERROR`) and parsing resumes at the next one.
/// Costs no allocation per notification once buffers are warm, except for what tmux creates
/// (panes, windows) and events queued for pulling that the host has not taken yet.
///
/// # Safety
/// `client` is NULL or a live handle; `bytes` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_feed(
    client: *mut muxlink_client,
    bytes: *const u8,
    len: usize,
) -> muxlink_result {
    if let Err(e) = buffer(bytes, len) {
        return e;
    }
    let body = |c: &mut muxlink_client| {
        if c.client().is_closed() {
            return Err(muxlink_result::MUXLINK_ERR_CLOSED);
        }
        let bytes = if len == 0 {
            &[][..]
        } else {
            // SAFETY: non-NULL (`buffer` checked it), `len` readable bytes (the caller's
            // promise), len at most isize::MAX; borrowed for this call only.
            unsafe { std::slice::from_raw_parts(bytes, len) }
        };
        c.driver.feed(bytes)
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, body) }
}

/// Sans-I/O: the bytes waiting to be written to tmux's stdin, in `*bytes` / `*len` (NULL and
/// 0 when none). Borrowed: valid until the next call on this client other than the read-only
/// ones. After writing some, report it with `muxlink_client_consume_outgoing`.
///
/// Errors: `MUXLINK_ERR_NULL`, `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_WRONG_MODE` (host-fed
/// and spawned clients write themselves), `MUXLINK_ERR_POISONED`.
///
/// # Safety
/// `client` is NULL or a live handle; `bytes` and `len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_outgoing(
    client: *const muxlink_client,
    bytes: *mut *const u8,
    len: *mut usize,
) -> muxlink_result {
    if let Err(e) = required(bytes).and(required(len)) {
        return e;
    }
    // SAFETY: checked; writable (the caller's promise).
    unsafe {
        bytes.write(std::ptr::null());
        len.write(0);
    }
    let body = |c: &muxlink_client| {
        let out = c.driver.outgoing()?;
        if !out.is_empty() {
            // SAFETY: as above.
            unsafe {
                bytes.write(out.as_ptr());
                len.write(out.len());
            }
        }
        Ok(())
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_ref(client, body) }
}

/// Sans-I/O: marks the first `n` bytes of `muxlink_client_outgoing` as written.
/// Errors: `MUXLINK_ERR_OUT_OF_RANGE` (n above what is waiting; nothing changes),
/// `MUXLINK_ERR_WRONG_MODE`, `MUXLINK_ERR_NULL`, `MUXLINK_ERR_POISONED`.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_consume_outgoing(
    client: *mut muxlink_client,
    n: usize,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, |c| c.driver.consume(n)) }
}

/// Sans-I/O and host-fed: how many milliseconds from now `muxlink_client_on_timeout` is due
/// (rounded up), or -1 when no timer is needed, in `*timeout_ms`. (Spawned clients set their
/// timers through their loop.)
///
/// # Safety
/// `client` is NULL or a live handle; `timeout_ms` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_timeout(
    client: *const muxlink_client,
    timeout_ms: *mut i64,
) -> muxlink_result {
    if let Err(e) = required(timeout_ms) {
        return e;
    }
    // SAFETY: checked; writable.
    unsafe { timeout_ms.write(-1) };
    let body = |c: &muxlink_client| {
        if let Some(t) = c.driver.timeout()? {
            let d = t.saturating_duration_since(Instant::now());
            let ms = i64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(i64::MAX);
            // SAFETY: as above.
            unsafe { timeout_ms.write(ms) };
        }
        Ok(())
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_ref(client, body) }
}

/// Sans-I/O and host-fed: the host's timer for `muxlink_client_timeout` fired (early calls
/// do nothing).
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_on_timeout(client: *mut muxlink_client) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, |c| c.driver.on_timeout()) }
}

/// Sans-I/O and host-fed: the stream ended (pipe or PTY closed). The client reports
/// `MUXLINK_EVENT_EXITED` (`MUXLINK_EXIT_EOF`) unless it closed already.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_eof(client: *mut muxlink_client) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, |c| c.driver.eof()) }
}

/// Any mode: the host ends the client now. A spawned tmux or ssh is told (its input
/// closes), ended and reaped without blocking; the client reports `MUXLINK_EVENT_EXITED`
/// (`MUXLINK_EXIT_CLOSED_BY_HOST`) unless it closed already. The client stays readable until
/// freed.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_close(client: *mut muxlink_client) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            c.driver.close();
            Ok(())
        })
    }
}

/// Host-fed: offers the bytes waiting for tmux to the writer again (after it took fewer than
/// offered). Other modes: writes what can be written now.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_flush(client: *mut muxlink_client) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, |c| c.driver.flush()) }
}

/// Whether the client has closed (`%exit`, end of stream, the process ended, or
/// `muxlink_client_close`), in `*closed`. A closed client takes no more input; its state
/// stays readable when `keep_state_on_exit` was set.
///
/// # Safety
/// `client` is NULL or a live handle; `closed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_is_closed(
    client: *const muxlink_client,
    closed: *mut crate::muxlink_bool_t,
) -> muxlink_result {
    if let Err(e) = required(closed) {
        return e;
    }
    // SAFETY: forwarded promise about `client`; `closed` writable.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            closed.write(c.driver.finished() as u8);
            Ok(())
        })
    }
}

/// Host stream: enter control mode after `MUXLINK_EVENT_CONTROL_MODE_REQUESTED`; the bytes
/// held back since the DCS are processed now and the handshake is written. Does nothing when
/// no DCS waits for an answer.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_accept_control_mode(
    client: *mut muxlink_client,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            let now = Instant::now();
            c.driver.apply(|cl, h| {
                cl.accept_control_mode(now, h);
                cl.flush_frames(now, h);
            });
            c.driver.check_callbacks()
        })
    }
}

/// Host stream: refuse control mode; the DCS and what follows come back as
/// `MUXLINK_EVENT_PASSTHROUGH`.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_decline_control_mode(
    client: *mut muxlink_client,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            let now = Instant::now();
            c.driver.apply(|cl, h| cl.decline_control_mode(now, h));
            c.driver.check_callbacks()
        })
    }
}

// ---- events and frames ----

/// Takes the next event into `*event` (filled once with `muxlink_event_init`): its kind is
/// `MUXLINK_EVENT_NONE` when none is waiting. The event's pointers are valid until the next
/// call on this client other than the read-only ones. Events wait here unless an `on_event`
/// callback takes them. Allocates nothing.
///
/// Errors: `MUXLINK_ERR_NULL`, `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_STRUCT_SIZE`,
/// `MUXLINK_ERR_ABI_VERSION` (the event was not initialised), `MUXLINK_ERR_POISONED`.
///
/// # Safety
/// `client` is NULL or a live handle; `event` is NULL or points to `event->size` writable
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_next_event(
    client: *mut muxlink_client,
    event: *mut muxlink_event,
) -> muxlink_result {
    if let Err(e) = required(event) {
        return e;
    }
    // SAFETY: forwarded promise about `client`; `event` checked, its size checked below.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            sized::check_out(event)?;
            c.driver.host_mut().next_event(&mut *event);
            Ok(())
        })
    }
}

/// Pulled frames: fills `*state` (initialised with `muxlink_render_state_init`) with pane
/// `%pane`'s render state: every row dirtied since its last pull (all of them when it is new,
/// resized or rebuilt), however many batches arrived meanwhile, the cursor, modes and title
/// now, and `frame` to read rows with `muxlink_frame_row`. The dirty set restarts empty.
/// Every pointer in `*state` is valid until the next call on this client other than the
/// read-only ones. Allocates nothing once warm. On an error after the struct's size and
/// version were checked, `*state` is left empty (no rows, `frame` NULL).
///
/// Errors: `MUXLINK_ERR_NO_SUCH_PANE`, `MUXLINK_ERR_NO_GRID` (bytes mode), `MUXLINK_ERR_NULL`,
/// `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`, `MUXLINK_ERR_POISONED`.
///
/// # Safety
/// `client` is NULL or a live handle; `state` is NULL or points to `state->size` writable
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_pull_frame(
    client: *mut muxlink_client,
    pane: u32,
    state: *mut muxlink_render_state,
) -> muxlink_result {
    if let Err(e) = required(state) {
        return e;
    }
    // SAFETY: forwarded promise about `client`; `state` checked, its size checked below.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            sized::check_out(state)?;
            // Whatever happens next, the state holds no pointer from an earlier pull (a host
            // that misses an error reads an empty state, never a dangling row).
            state.write(<muxlink_render_state as sized::Sized>::defaults());
            // Filled in place (no copy of the struct in and out).
            let s = &mut *state;
            let found = c
                .driver
                .apply(|cl, _| cl.pull_frame(PaneId(pane)).map(|f| s.fill(&f)).is_some());
            if !found {
                // The pane is looked up only on this path (a frame for a known pane with a
                // grid is the common case): unknown, or known without an emulator.
                let known = c.client().state().pane(PaneId(pane)).is_some();
                return Err(if known {
                    muxlink_result::MUXLINK_ERR_NO_GRID
                } else {
                    muxlink_result::MUXLINK_ERR_NO_SUCH_PANE
                });
            }
            Ok(())
        })
    }
}

/// Sets (or, with NULL, removes) the callbacks: events go to `on_event` instead of the queue,
/// pushed frames to `on_frame`. The client owns `callbacks->userdata` from a successful call
/// on; the previous callbacks' destructor runs now. Events already queued stay queued.
///
/// Errors: `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`,
/// `MUXLINK_ERR_POISONED` (on error the client does not take the userdata).
///
/// # Safety
/// `client` is NULL or a live handle; `callbacks` is NULL or points to `callbacks->size`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_set_callbacks(
    client: *mut muxlink_client,
    callbacks: *const muxlink_callbacks,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`; `callbacks` checked before it is read.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            let cb = if callbacks.is_null() {
                None
            } else {
                required(callbacks)?;
                Some(Callbacks::new(&sized::read(callbacks)?))
            };
            c.driver.host_mut().set_callbacks(cb);
            Ok(())
        })
    }
}

// ---- drive modes ----

/// Host-fed mode: muxlink writes the bytes for tmux through `write` (see
/// `muxlink_write_fn`) during the calls the host makes (feed, operations, timeouts), never
/// before the first bytes were fed. Replaces an earlier writer (whose destructor runs then);
/// NULL `write` pauses writing (bytes stay queued). The client owns `userdata` from a
/// successful call on (its destructor runs once, when the writer is replaced or the client
/// freed).
///
/// Errors: `MUXLINK_ERR_WRONG_MODE` (a spawned client), `MUXLINK_ERR_NULL`,
/// `MUXLINK_ERR_POISONED` (on error `destroy` is not called: the host keeps its userdata).
///
/// # Safety
/// `client` is NULL or a live handle; `write` and `destroy` behave as documented.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_set_writer(
    client: *mut muxlink_client,
    write: muxlink_write_fn,
    userdata: *mut c_void,
    destroy: muxlink_destroy_fn,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            if matches!(
                c.driver,
                Driver::Idle { .. } | Driver::Builtin { .. } | Driver::Hosted { .. }
            ) {
                return Err(muxlink_result::MUXLINK_ERR_WRONG_MODE);
            }
            let w = write.map(|f| Writer::new(f, Userdata::new(userdata, destroy)));
            c.driver.set_writer(w)
        })
    }
}

/// Sans-I/O and host-fed: the function that wakes the host's loop when another thread queues
/// work (`muxlink_remote_*`); the loop then calls `muxlink_client_on_wake`. Callable from any
/// thread (see `muxlink_wake_fn`). NULL removes it. The client owns `userdata` from a
/// successful call (destructor once, when replaced or at free, after any wake in progress).
/// (Spawned clients wake through their loop: the backend's `wake` or the built-in loop.)
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_set_waker(
    client: *mut muxlink_client,
    wake: crate::backend::muxlink_wake_fn,
    userdata: *mut c_void,
    destroy: muxlink_destroy_fn,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            if !matches!(c.driver, Driver::Direct { .. } | Driver::Fed { .. }) {
                return Err(muxlink_result::MUXLINK_ERR_WRONG_MODE);
            }
            let target =
                wake.map(|f| WakeTarget::Host(HostWake::new(f, Userdata::new(userdata, destroy))));
            drop(c.shared.wake.set(target));
            Ok(())
        })
    }
}

/// Lets muxlink run tmux itself: starts the program `*transport` describes (a local
/// `tmux -C`, or ssh) and drives the client over its pipes on the built-in loop (call
/// `muxlink_client_turn` or `muxlink_client_run`), or on the host's loop after
/// `muxlink_client_set_backend`. Only a sans-I/O client that has not been fed can be
/// spawned. The handshake is written once tmux has answered its startup command.
///
/// Errors: `MUXLINK_ERR_WRONG_MODE` (already host-fed or spawned), `MUXLINK_ERR_NULL`,
/// `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`, `MUXLINK_ERR_INVALID_ARGUMENT` (a
/// string too long, holding NUL, not UTF-8 where it must be, a missing host or name),
/// `MUXLINK_ERR_SPAWN` (the program could not start), `MUXLINK_ERR_IO`.
///
/// # Safety
/// `client` is NULL or a live handle; `transport` is NULL or points to `transport->size`
/// readable bytes whose strings are readable as their lengths say.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_spawn(
    client: *mut muxlink_client,
    transport: *const muxlink_transport,
) -> muxlink_result {
    if let Err(e) = required(transport) {
        return e;
    }
    // SAFETY: forwarded promises.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            if !matches!(c.driver, Driver::Direct { .. }) {
                return Err(muxlink_result::MUXLINK_ERR_WRONG_MODE);
            }
            let child = muxlink_transport::spawn(transport)?;
            let shared = c.shared.clone();
            c.driver.connect(child, &shared)
        })
    }
}

/// Spawned clients: drive the client from the host's loop (`Some`), or from none (NULL: the
/// client waits, nothing watched, until a backend or the built-in loop is set again). The
/// previous backend is left with nothing registered: every descriptor it watched is
/// unwatched and its timer cancelled (`set_timer(-1)`) before this returns; its userdata's
/// destructor runs once nothing holds it. During a successful call the new backend's
/// `watch_fd` is called for each descriptor the client reads or writes, and `set_timer`
/// exactly once: with the client's first deadline, or -1 when it has none yet (later
/// deadlines come through `set_timer` from the calls the host makes on the client). The
/// client owns `backend->userdata` from a successful call on.
///
/// Errors: `MUXLINK_ERR_WRONG_MODE` (not spawned), `MUXLINK_ERR_NULL` (a function missing),
/// `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_STRUCT_SIZE`, `MUXLINK_ERR_ABI_VERSION`,
/// `MUXLINK_ERR_CALLBACK` (`watch_fd` failed: the client is left with no backend),
/// `MUXLINK_ERR_POISONED`. On an error found before any callback, nothing changes and the
/// userdata stays the host's.
///
/// # Safety
/// `client` is NULL or a live handle; `backend` is NULL or points to `backend->size`
/// readable bytes; its functions behave as `muxlink_backend` says.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_set_backend(
    client: *mut muxlink_client,
    backend: *const muxlink_backend,
) -> muxlink_result {
    // SAFETY: forwarded promises.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            if !matches!(
                c.driver,
                Driver::Idle { .. } | Driver::Builtin { .. } | Driver::Hosted { .. }
            ) {
                return Err(muxlink_result::MUXLINK_ERR_WRONG_MODE);
            }
            let b = if backend.is_null() {
                None
            } else {
                required(backend)?;
                Some(VtableBackend::read(backend)?)
            };
            let shared = c.shared.clone();
            c.driver.set_backend(b, &shared)
        })
    }
}

/// Spawned clients: drive the client from muxlink's own loop again (after
/// `muxlink_client_set_backend`); the host's backend is left with nothing registered.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_use_builtin_loop(
    client: *mut muxlink_client,
) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe {
        muxlink_client::with_mut(client, |c| {
            let shared = c.shared.clone();
            c.driver.use_builtin(&shared)
        })
    }
}

/// Built-in loop: waits up to `timeout_ms` (-1: until something happens) for tmux's output,
/// a timer, or a wake from another thread, then handles what came (events, frames, writes,
/// work queued by other threads). Returns at once when the connection has finished.
///
/// Errors: `MUXLINK_ERR_WRONG_MODE` (not on the built-in loop), `MUXLINK_ERR_IO` (polling
/// failed), `MUXLINK_ERR_POISONED`.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_turn(
    client: *mut muxlink_client,
    timeout_ms: i32,
) -> muxlink_result {
    let wait = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
    // SAFETY: forwarded promise about `client`.
    let r = unsafe { muxlink_client::with_mut(client, |c| c.driver.turn(wait)) };
    if r != muxlink_result::MUXLINK_OK {
        return r;
    }
    // SAFETY: as above.
    unsafe { muxlink_client::run_remote_ops(client) }
}

/// Built-in loop: turns until the connection has finished (tmux exited, detached, or the
/// host closed it) or another thread called `muxlink_remote_stop`.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_run(client: *mut muxlink_client) -> muxlink_result {
    loop {
        let mut done = false;
        // SAFETY: forwarded promise about `client`.
        let r = unsafe {
            muxlink_client::with_mut(client, |c| {
                if !matches!(c.driver, Driver::Builtin { .. }) {
                    return Err(muxlink_result::MUXLINK_ERR_WRONG_MODE);
                }
                done = c.driver.finished()
                    || c.shared
                        .stop
                        .swap(false, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
        };
        if r != muxlink_result::MUXLINK_OK || done {
            return r;
        }
        // SAFETY: as above.
        let r = unsafe { muxlink_client_turn(client, -1) };
        if r != muxlink_result::MUXLINK_OK {
            return r;
        }
    }
}

/// Host loop: a descriptor the backend watches for `token` is ready (`MUXLINK_FD_*` bits in
/// `events`). The client reads, writes or drains it, and updates its watches and timer
/// through the backend before returning. A token it no longer uses is ignored.
///
/// Errors: `MUXLINK_ERR_WRONG_MODE` (not on a host loop), `MUXLINK_ERR_CALLBACK` (a
/// `watch_fd` failed: the client closed), `MUXLINK_ERR_POISONED`.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_on_ready(
    client: *mut muxlink_client,
    token: u64,
    events: u32,
) -> muxlink_result {
    let ready = Readiness {
        readable: events & MUXLINK_FD_READABLE != 0,
        writable: events & MUXLINK_FD_WRITABLE != 0,
        error: events & MUXLINK_FD_ERROR != 0,
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, |c| c.driver.on_ready(token, ready)) }
}

/// Host loop: the timer the backend's `set_timer` armed fired.
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_on_timer(client: *mut muxlink_client) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_mut(client, |c| c.driver.on_timer()) }
}

/// Any mode: runs the work other threads queued (`muxlink_remote_send_input`,
/// `muxlink_remote_call`), in the order it was queued. Call it on the client's thread after
/// the wake function asked for it (a call with nothing queued costs an atomic load).
///
/// # Safety
/// `client` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_on_wake(client: *mut muxlink_client) -> muxlink_result {
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::run_remote_ops(client) }
}

/// Host loop: how many descriptors the host's backend watches for this client now (0 off
/// the host loop), in `*count`. For checks that a swap or removal left nothing registered.
///
/// # Safety
/// `client` is NULL or a live handle; `count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_watched(
    client: *const muxlink_client,
    count: *mut usize,
) -> muxlink_result {
    if let Err(e) = required(count) {
        return e;
    }
    // SAFETY: forwarded promise about `client`; `count` writable.
    unsafe {
        muxlink_client::with_ref(client, |c| {
            count.write(c.driver.watched());
            Ok(())
        })
    }
}

// ---- reading the model ----

/// Writes screen row `row` (0 is the top) of pane `%pane` to `buf` as UTF-8, as tmux's
/// `capture-pane -p` prints it (trailing spaces trimmed, no newline, no NUL), and its length
/// to `*out_len`. When `cap` is too small (or `buf` is NULL with `cap` 0, to ask the size),
/// nothing is written to `buf`, `*out_len` is the length needed and the result is
/// `MUXLINK_ERR_BUFFER_TOO_SMALL`. A row's length is at most 4 bytes per combining character
/// and cell, and usually the number of printed cells.
///
/// Errors: `MUXLINK_ERR_NULL` (client or out_len NULL, or buf NULL with cap > 0),
/// `MUXLINK_ERR_MISALIGNED`, `MUXLINK_ERR_INVALID_ARGUMENT` (cap above `PTRDIFF_MAX`),
/// `MUXLINK_ERR_NO_SUCH_PANE`, `MUXLINK_ERR_NO_GRID` (bytes mode), `MUXLINK_ERR_OUT_OF_RANGE`
/// (row >= the pane's height), `MUXLINK_ERR_BUFFER_TOO_SMALL`, `MUXLINK_ERR_POISONED`,
/// `MUXLINK_ERR_PANIC`. `*out_len` is 0 after any error but `MUXLINK_ERR_BUFFER_TOO_SMALL`.
/// Costs one allocation of the row's length.
///
/// # Safety
/// `client` is NULL or a live handle; `buf` is NULL or points to `cap` writable bytes;
/// `out_len` is NULL or points to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn muxlink_client_pane_row_text(
    client: *const muxlink_client,
    pane: u32,
    row: u32,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> muxlink_result {
    if let Err(e) = required(out_len) {
        return e;
    }
    // SAFETY: non-NULL, aligned, writable (the caller's promise).
    unsafe { out_len.write(0) };
    if let Err(e) = buffer(buf, cap) {
        return e;
    }
    let body = |c: &muxlink_client| {
        let pane = c
            .client()
            .state()
            .pane(PaneId(pane))
            .ok_or(muxlink_result::MUXLINK_ERR_NO_SUCH_PANE)?;
        let text = row_text(pane, row)?;
        // SAFETY: writable (the caller's promise, written above already).
        unsafe { out_len.write(text.len()) };
        if text.len() > cap {
            return Err(muxlink_result::MUXLINK_ERR_BUFFER_TOO_SMALL);
        }
        if !text.is_empty() {
            // SAFETY: `buf` is non-NULL here (cap >= len > 0 and `buffer` checked it) and
            // holds `cap` writable bytes; the source is our own string, not overlapping.
            unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len()) };
        }
        Ok(())
    };
    // SAFETY: forwarded promise about `client`.
    unsafe { muxlink_client::with_ref(client, body) }
}

/// A visible row of a pane as `capture-pane -p` prints it: every cell's text (nothing for the
/// right half of a wide character), trailing spaces trimmed.
fn row_text(pane: &Pane, row: u32) -> Result<String, muxlink_result> {
    let term = pane.terminal().ok_or(muxlink_result::MUXLINK_ERR_NO_GRID)?;
    let y = u16::try_from(row)
        .ok()
        .filter(|&y| y < term.rows())
        .ok_or(muxlink_result::MUXLINK_ERR_OUT_OF_RANGE)?;
    let mut text = String::new();
    for cell in term.screen_row(y) {
        term.push_cell_text(cell, &mut text);
    }
    text.truncate(text.trim_end_matches(' ').len());
    Ok(text)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::quietly;
    use crate::config::{muxlink_client_config_init, MUXLINK_OUTPUT_BYTES};
    use crate::frame::{
        muxlink_frame, muxlink_frame_row, muxlink_frame_rows, muxlink_render_state_init,
        muxlink_row,
    };
    use muxlink_result::*;

    const VIM: &[u8] = include_bytes!("../../proto/tests/fixtures/tmux-3.3a-vim.stream");
    const WINDOWS: &[u8] = include_bytes!("../../proto/tests/fixtures/tmux-3.3a-windows.stream");

    fn replay_config() -> muxlink_client_config {
        let mut c = std::mem::MaybeUninit::uninit();
        // SAFETY: a writable, aligned struct that init fills.
        let mut c: muxlink_client_config = unsafe {
            muxlink_client_config_init(c.as_mut_ptr());
            c.assume_init()
        };
        c.handshake = 0;
        c.keep_state_on_exit = 1;
        c
    }

    fn new_client(config: &muxlink_client_config) -> *mut muxlink_client {
        let mut out = std::ptr::null_mut();
        // SAFETY: valid pointers to a whole config and a writable out.
        assert_eq!(unsafe { muxlink_client_new(config, &mut out) }, MUXLINK_OK);
        assert!(!out.is_null());
        out
    }

    fn feed(c: *mut muxlink_client, bytes: &[u8]) -> muxlink_result {
        // SAFETY: a live handle and a borrowed slice.
        unsafe { muxlink_client_feed(c, bytes.as_ptr(), bytes.len()) }
    }

    fn row(c: *const muxlink_client, pane: u32, row: u32) -> Result<String, muxlink_result> {
        let mut len = 0usize;
        // SAFETY: size query with NULL and 0, as documented.
        let r = unsafe {
            muxlink_client_pane_row_text(c, pane, row, std::ptr::null_mut(), 0, &mut len)
        };
        match r {
            MUXLINK_OK => return Ok(String::new()),
            MUXLINK_ERR_BUFFER_TOO_SMALL => {}
            e => return Err(e),
        }
        let mut buf = vec![0u8; len];
        let mut got = 0usize;
        // SAFETY: `buf` holds `len` writable bytes.
        let r = unsafe {
            muxlink_client_pane_row_text(c, pane, row, buf.as_mut_ptr(), buf.len(), &mut got)
        };
        assert_eq!(r, MUXLINK_OK);
        assert_eq!(got, len);
        Ok(String::from_utf8(buf).expect("row text is UTF-8"))
    }

    /// Every row through the C ABI equals the session model's own screen lines (what
    /// `muxlink replay --json` prints), for any chunking of the stream.
    #[test]
    fn rows_equal_the_model_in_any_chunking() {
        for stream in [VIM, WINDOWS] {
            for chunk in [1usize, 7, 4096, stream.len()] {
                let c = new_client(&replay_config());
                for piece in stream.chunks(chunk) {
                    assert_eq!(feed(c, piece), MUXLINK_OK);
                }
                // SAFETY: a live handle, read only.
                let model = unsafe { (*c).client().state() };
                assert!(!model.panes.is_empty());
                for (id, pane) in &model.panes {
                    let lines = pane.screen_lines();
                    assert_eq!(lines.len(), usize::from(pane.rows));
                    for (y, line) in lines.iter().enumerate() {
                        assert_eq!(&row(c, id.0, y as u32).unwrap(), line, "%{} row {y}", id.0);
                    }
                    assert_eq!(
                        row(c, id.0, pane.rows.into()),
                        Err(MUXLINK_ERR_OUT_OF_RANGE)
                    );
                }
                // SAFETY: a live handle, freed once.
                unsafe { muxlink_client_free(c) };
            }
        }
    }

    #[test]
    fn a_known_row_reads_back() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(row(c, 0, 0).unwrap(), "$ echo hello from pane zero");
        assert_eq!(row(c, 0, 1).unwrap(), "hello from pane zero");
        assert_eq!(row(c, 0, 29).unwrap(), "");
        assert_eq!(row(c, 99, 0), Err(MUXLINK_ERR_NO_SUCH_PANE));
        assert_eq!(row(c, 0, u32::MAX), Err(MUXLINK_ERR_OUT_OF_RANGE));
        // The stream ended with %exit: the client is closed but its state stays readable.
        assert_eq!(feed(c, b"%output %0 more\n"), MUXLINK_ERR_CLOSED);
        assert_eq!(row(c, 0, 1).unwrap(), "hello from pane zero");
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    /// Pane `pane`'s render state, pulled.
    fn pull(c: *mut muxlink_client, pane: u32) -> Result<muxlink_render_state, muxlink_result> {
        let mut s = std::mem::MaybeUninit::uninit();
        // SAFETY: a live handle and a writable state that init fills before the pull.
        unsafe {
            muxlink_render_state_init(s.as_mut_ptr());
            let mut s = s.assume_init();
            match muxlink_client_pull_frame(c, pane, &mut s) {
                MUXLINK_OK => Ok(s),
                e => Err(e),
            }
        }
    }

    #[test]
    fn batched_rows_are_the_single_rows() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        let state = pull(c, 0).expect("pane 0 pulls");
        assert!(state.rows > 2 && !state.frame.is_null());
        // Every row, the last twice, and one past the end.
        let mut ys: Vec<u16> = (0..state.rows).collect();
        ys.push(state.rows - 1);
        ys.push(state.rows);
        let mut out = vec![
            muxlink_row {
                cells: std::ptr::NonNull::dangling().as_ptr(),
                len: 7,
            };
            ys.len()
        ];
        // SAFETY: the frame of a pull with no call on the client since; `ys.len()` rows in,
        // as many entries out, separate arrays.
        let r = unsafe { muxlink_frame_rows(state.frame, ys.as_ptr(), ys.len(), out.as_mut_ptr()) };
        assert_eq!(r, MUXLINK_ERR_OUT_OF_RANGE);
        for (&y, got) in ys.iter().zip(&out) {
            let (mut cells, mut len) = (std::ptr::null(), 0usize);
            // SAFETY: as above, writable outs.
            let r = unsafe { muxlink_frame_row(state.frame, y, &mut cells, &mut len) };
            if y < state.rows {
                assert_eq!(r, MUXLINK_OK);
                assert_eq!(len, usize::from(state.cols));
            } else {
                assert_eq!(r, MUXLINK_ERR_OUT_OF_RANGE);
            }
            assert_eq!(*got, muxlink_row { cells, len }, "row {y}");
        }
        // SAFETY: row 0's cells, read while the frame is valid.
        let first = unsafe { std::slice::from_raw_parts(out[0].cells, out[0].len) };
        let text: String = first.iter().filter_map(|c| char::from_u32(c.ch)).collect();
        assert_eq!(text.trim_end(), "$ echo hello from pane zero");
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn batched_rows_refuse_bad_calls() {
        let ys = [0u16, 1];
        let empty = muxlink_row {
            cells: std::ptr::null(),
            len: 0,
        };
        let junk = muxlink_row {
            cells: std::ptr::NonNull::dangling().as_ptr(),
            len: 7,
        };
        let mut out = [junk; 2];
        let some_frame = ys.as_ptr().cast::<muxlink_frame>();
        // SAFETY: each call passes NULL (or a misaligned pointer) where the function refuses
        // it before reading anything else; `out` is writable.
        unsafe {
            let null = std::ptr::null_mut::<muxlink_row>();
            assert_eq!(
                muxlink_frame_rows(std::ptr::null(), std::ptr::null(), 0, null),
                MUXLINK_OK
            );
            assert_eq!(
                muxlink_frame_rows(some_frame, ys.as_ptr(), 2, null),
                MUXLINK_ERR_NULL
            );
            assert_eq!(
                muxlink_frame_rows(std::ptr::null(), ys.as_ptr(), 2, out.as_mut_ptr()),
                MUXLINK_ERR_NULL
            );
            assert_eq!(out, [empty; 2], "a refused call leaves its output empty");
            out = [junk; 2];
            assert_eq!(
                muxlink_frame_rows(some_frame, std::ptr::null(), 2, out.as_mut_ptr()),
                MUXLINK_ERR_NULL
            );
            assert_eq!(out, [empty; 2]);
            let odd = ys.as_ptr().cast::<u8>().wrapping_add(1).cast::<u16>();
            assert_eq!(
                muxlink_frame_rows(some_frame, odd, 1, out.as_mut_ptr()),
                MUXLINK_ERR_MISALIGNED
            );
            assert_eq!(
                muxlink_frame_rows(some_frame, ys.as_ptr(), usize::MAX, out.as_mut_ptr()),
                MUXLINK_ERR_INVALID_ARGUMENT
            );
        }
    }

    #[test]
    fn a_pull_tells_an_unknown_pane_from_one_without_a_grid() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert!(pull(c, 0).is_ok());
        assert_eq!(pull(c, 99).err(), Some(MUXLINK_ERR_NO_SUCH_PANE));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
        let mut config = replay_config();
        config.output_mode = MUXLINK_OUTPUT_BYTES;
        let c = new_client(&config);
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(pull(c, 0).err(), Some(MUXLINK_ERR_NO_GRID));
        assert_eq!(pull(c, 99).err(), Some(MUXLINK_ERR_NO_SUCH_PANE));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn a_short_buffer_gets_the_length_and_no_bytes() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        let mut buf = [0xAAu8; 4];
        let mut len = 0usize;
        // SAFETY: `buf` holds 4 writable bytes.
        let r = unsafe { muxlink_client_pane_row_text(c, 0, 1, buf.as_mut_ptr(), 4, &mut len) };
        assert_eq!(r, MUXLINK_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, "hello from pane zero".len());
        assert_eq!(buf, [0xAA; 4], "nothing written on error");
        // SAFETY: NULL buf with a non-zero cap is refused before anything is read.
        let r = unsafe { muxlink_client_pane_row_text(c, 0, 1, std::ptr::null_mut(), 4, &mut len) };
        assert_eq!((r, len), (MUXLINK_ERR_NULL, 0));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn without_keep_state_a_closed_client_forgets_its_panes() {
        let mut config = replay_config();
        config.keep_state_on_exit = 0;
        let c = new_client(&config);
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(row(c, 0, 0), Err(MUXLINK_ERR_NO_SUCH_PANE));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn bytes_mode_has_no_grid() {
        let mut config = replay_config();
        config.output_mode = MUXLINK_OUTPUT_BYTES;
        let c = new_client(&config);
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        assert_eq!(row(c, 0, 0), Err(MUXLINK_ERR_NO_GRID));
        // SAFETY: a live handle, freed once.
        unsafe { muxlink_client_free(c) };
    }

    #[test]
    fn bad_calls_are_refused() {
        let config = replay_config();
        let mut out = std::ptr::NonNull::<muxlink_client>::dangling().as_ptr(); // garbage the call must clear
                                                                                // SAFETY: each call below passes NULL where the function documents it is refused.
        unsafe {
            assert_eq!(
                muxlink_client_new(std::ptr::null(), &mut out),
                MUXLINK_ERR_NULL
            );
            assert!(out.is_null());
            assert_eq!(
                muxlink_client_new(&config, std::ptr::null_mut()),
                MUXLINK_ERR_NULL
            );
            let mut bad = config;
            bad.abi_version = 2;
            out = std::ptr::NonNull::<muxlink_client>::dangling().as_ptr();
            assert_eq!(muxlink_client_new(&bad, &mut out), MUXLINK_ERR_ABI_VERSION);
            assert!(out.is_null());
            assert_eq!(
                muxlink_client_feed(std::ptr::null_mut(), b"x".as_ptr(), 1),
                MUXLINK_ERR_NULL
            );
            let mut len = 7usize;
            assert_eq!(
                muxlink_client_pane_row_text(
                    std::ptr::null(),
                    0,
                    0,
                    std::ptr::null_mut(),
                    0,
                    &mut len
                ),
                MUXLINK_ERR_NULL
            );
            assert_eq!(len, 0);
            muxlink_client_free(std::ptr::null_mut());
        }
        let c = new_client(&config);
        // SAFETY: NULL bytes with len 0 is allowed; with len 1 refused; huge len refused.
        unsafe {
            assert_eq!(muxlink_client_feed(c, std::ptr::null(), 0), MUXLINK_OK);
            assert_eq!(
                muxlink_client_feed(c, std::ptr::null(), 1),
                MUXLINK_ERR_NULL
            );
            assert_eq!(
                muxlink_client_feed(c, b"x".as_ptr(), usize::MAX),
                MUXLINK_ERR_INVALID_ARGUMENT
            );
            muxlink_client_free(c);
        }
    }

    #[test]
    fn a_panic_poisons_the_handle() {
        let c = new_client(&replay_config());
        assert_eq!(feed(c, WINDOWS), MUXLINK_OK);
        // SAFETY: a live handle.
        let r = quietly(|| unsafe { muxlink_client::with_mut(c, |_| panic!("injected")) });
        assert_eq!(r, MUXLINK_ERR_PANIC);
        assert_eq!(feed(c, b""), MUXLINK_ERR_POISONED);
        assert_eq!(row(c, 0, 0), Err(MUXLINK_ERR_POISONED));
        // SAFETY: a poisoned handle can still be freed, once.
        unsafe { muxlink_client_free(c) };
    }
}

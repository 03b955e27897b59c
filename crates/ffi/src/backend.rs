//! `muxlink_backend`: the host's own event loop (libxev, GLib, CFRunLoop, a poll() loop) as
//! the runtime's `Backend`, in the manner of libcurl's multi-socket API.

use std::ffi::{c_int, c_void};
use std::io;
use std::mem::size_of;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use muxlink_runtime::backend::{Backend, Interest, RemoteWaker, Token};

use crate::result::muxlink_result;
use crate::sized;
use crate::userdata::{muxlink_destroy_fn, Userdata};
use crate::MUXLINK_ABI_VERSION;

/// Watch for readability (in `watch_fd`), or it is readable / at end of file (in
/// `muxlink_client_on_ready`).
pub const MUXLINK_FD_READABLE: u32 = 1;
/// Watch for writability, or it is writable.
pub const MUXLINK_FD_WRITABLE: u32 = 2;
/// `muxlink_client_on_ready` only: an error or hang-up condition.
pub const MUXLINK_FD_ERROR: u32 = 4;

/// `watch_fd`: watch `fd` for `events` (`MUXLINK_FD_*` bits) and report readiness with
/// `muxlink_client_on_ready(client, token, events)`. A token already watched changes to the
/// new descriptor and events. Return 0, or non-zero on failure (the client then closes).
pub type muxlink_watch_fd_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, fd: c_int, events: u32, token: u64) -> c_int,
>;
/// `unwatch_fd`: stop watching `token` (its descriptor may be closed already). Return 0, or
/// non-zero on failure (ignored: the token is forgotten either way).
pub type muxlink_unwatch_fd_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, token: u64) -> c_int>;
/// `set_timer`: call `muxlink_client_on_timer` once, `timeout_ms` from now, replacing any
/// earlier timer; -1 cancels it.
pub type muxlink_set_timer_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, timeout_ms: i64)>;
/// `wake`: make the loop call `muxlink_client_on_wake` soon. Called from ANY thread, possibly
/// at once from several; must not call into muxlink. Several wakes may collapse into one call.
pub type muxlink_wake_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// The host's loop, for `muxlink_client_set_backend`. Fill it with `muxlink_backend_init`,
/// then set every function (all four are required) and the userdata. muxlink calls
/// `watch_fd`, `unwatch_fd` and `set_timer` only from inside calls the host makes on the
/// client (never re-entering them), and `wake` from any thread.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_backend {
    /// `sizeof(muxlink_backend)`, set by `muxlink_backend_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_backend_init`.
    pub abi_version: u32,
    /// Passed to every function; muxlink never reads it. Owned by the client from a
    /// successful `muxlink_client_set_backend` until `destroy` runs.
    pub userdata: *mut c_void,
    /// Called once with `userdata` when the last holder lets go: the client (backend removed,
    /// swapped or client freed) and any `muxlink_remote` wake in progress. May be NULL.
    pub destroy: muxlink_destroy_fn,
    /// Required.
    pub watch_fd: muxlink_watch_fd_fn,
    /// Required.
    pub unwatch_fd: muxlink_unwatch_fd_fn,
    /// Required.
    pub set_timer: muxlink_set_timer_fn,
    /// Required.
    pub wake: muxlink_wake_fn,
}

// SAFETY: repr(C), starts with size and abi_version; raw and optional function pointers only.
unsafe impl sized::Sized for muxlink_backend {
    fn defaults() -> Self {
        muxlink_backend {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            userdata: std::ptr::null_mut(),
            destroy: None,
            watch_fd: None,
            unwatch_fd: None,
            set_timer: None,
            wake: None,
        }
    }
}

/// The host's wake function with its userdata; shared by the backend and the wake slot.
#[derive(Clone)]
pub(crate) struct HostWake {
    f: unsafe extern "C" fn(*mut c_void),
    userdata: Arc<Userdata>,
}

impl HostWake {
    /// Calls the host's wake function.
    pub(crate) fn wake(&self) {
        // SAFETY: the host's thread-safe wake function with its own userdata.
        unsafe { (self.f)(self.userdata.ptr()) }
    }

    /// A wake function with its own userdata (`muxlink_client_set_waker`).
    pub(crate) fn new(f: unsafe extern "C" fn(*mut c_void), userdata: Userdata) -> Self {
        HostWake {
            f,
            userdata: Arc::new(userdata),
        }
    }
}

/// The host's loop as a runtime `Backend`.
pub(crate) struct VtableBackend {
    watch: unsafe extern "C" fn(*mut c_void, c_int, u32, u64) -> c_int,
    unwatch: unsafe extern "C" fn(*mut c_void, u64) -> c_int,
    timer: unsafe extern "C" fn(*mut c_void, i64),
    wake: HostWake,
    /// Tokens watched now (for the "nothing left registered" checks).
    pub(crate) watched: usize,
    /// A `watch_fd` failed since the last look.
    pub(crate) failed: bool,
}

impl VtableBackend {
    /// Checks the host's struct: size, version, and every function present.
    ///
    /// # Safety
    /// `p` passed `required` and points to `(*p).size` readable bytes.
    pub(crate) unsafe fn read(p: *const muxlink_backend) -> Result<Self, muxlink_result> {
        // SAFETY: forwarded.
        let b = unsafe { sized::read(p)? };
        let (Some(watch), Some(unwatch), Some(timer), Some(wake)) =
            (b.watch_fd, b.unwatch_fd, b.set_timer, b.wake)
        else {
            return Err(muxlink_result::MUXLINK_ERR_NULL);
        };
        Ok(VtableBackend {
            watch,
            unwatch,
            timer,
            wake: HostWake::new(wake, Userdata::new(b.userdata, b.destroy)),
            watched: 0,
            failed: false,
        })
    }

    /// The host's wake, for the client's wake slot.
    pub(crate) fn host_wake(&self) -> HostWake {
        self.wake.clone()
    }

    fn ud(&self) -> *mut c_void {
        self.wake.userdata.ptr()
    }
}

impl Backend for VtableBackend {
    fn watch_fd(&mut self, fd: RawFd, interest: Interest, token: Token) -> io::Result<()> {
        let mut events = 0;
        if interest.readable {
            events |= MUXLINK_FD_READABLE;
        }
        if interest.writable {
            events |= MUXLINK_FD_WRITABLE;
        }
        // SAFETY: the host's function (checked present at registration) with its userdata.
        let r = unsafe { (self.watch)(self.ud(), fd, events, token.0 as u64) };
        if r != 0 {
            self.failed = true;
            return Err(io::Error::other("the host's watch_fd failed"));
        }
        self.watched += 1;
        Ok(())
    }

    fn unwatch_fd(&mut self, token: Token) -> io::Result<()> {
        // SAFETY: as above.
        let _ = unsafe { (self.unwatch)(self.ud(), token.0 as u64) };
        self.watched = self.watched.saturating_sub(1);
        Ok(())
    }

    fn set_timer(&mut self, timeout: Option<Duration>) {
        // Rounded up: a timer that fires early would find nothing due.
        let ms = timeout.map_or(-1, |d| {
            i64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(i64::MAX)
        });
        // SAFETY: as above.
        unsafe { (self.timer)(self.ud(), ms) }
    }

    fn waker(&self) -> RemoteWaker {
        let w = self.wake.clone();
        RemoteWaker::new(move || w.wake())
    }
}

/// Fills `*backend` with this library's size, `MUXLINK_ABI_VERSION` and NULL everything.
/// From C this name is a macro for `muxlink_backend_init_sized(backend, sizeof *backend)`.
/// NULL is ignored.
///
/// # Safety
/// `backend` is NULL or points to a writable `muxlink_backend` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_backend_init(backend: *mut muxlink_backend) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_backend_init_sized(backend, size_of::<muxlink_backend>()) };
}

/// `muxlink_backend_init` with the caller's `sizeof`.
///
/// # Safety
/// `backend` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_backend_init_sized(
    backend: *mut muxlink_backend,
    size: usize,
) -> muxlink_result {
    crate::boundary::guard(|| {
        crate::boundary::required(backend)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(backend, size) }
    })
}

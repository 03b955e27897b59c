//! How a client of the C ABI is driven: the sans-I/O client itself, host-fed bytes with a
//! write callback, or a connection (a child tmux or ssh) on the built-in loop, on the host's
//! loop, or on none (between backends). Every operation goes through [`Driver::apply`], which
//! writes what the operation queued however the client is driven.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use muxlink_runtime::backend::{Backend, RemoteWaker};
use muxlink_runtime::drive::{Connection, Readiness};
use muxlink_runtime::hostfed::HostFed;
use muxlink_runtime::mio_loop::BuiltinLoop;
use muxlink_runtime::router::{ClientKey, Router};
use muxlink_runtime::{Client, ExitReason, IoOp};

use crate::backend::{HostWake, VtableBackend};
use crate::host::FfiHost;
use crate::inbox::{Inbox, Wake, WakeSlot};
use crate::result::muxlink_result;
use crate::userdata::Userdata;

/// The host's write callback for host-fed mode: returns how many of `len` bytes it took (0:
/// none now, offered again at the next call on the client or `muxlink_client_flush`), or a
/// negative value on failure (the client then closes with `MUXLINK_EXIT_TRANSPORT`).
/// `bytes` is borrowed for the call only. Runs inside calls the host makes on the client;
/// must not call into the same client.
pub type muxlink_write_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, bytes: *const u8, len: usize) -> isize>;

/// A function queued from another thread (`muxlink_remote_call`); runs on the client's
/// thread, inside `muxlink_client_on_wake`, `muxlink_client_turn` or `muxlink_client_run`,
/// with the client, which it may use (every call but `muxlink_client_free`).
pub type muxlink_call_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, client: *mut crate::muxlink_client)>;

/// Work other threads queued for the client.
pub(crate) enum RemoteOp {
    /// Keys for a pane (`muxlink_remote_send_input`).
    Input { pane: u32, bytes: Vec<u8> },
    /// A host function to run with the client.
    Call {
        f: unsafe extern "C" fn(*mut c_void, *mut crate::muxlink_client),
        userdata: Userdata,
    },
}

/// Where wakes from other threads go.
pub(crate) enum WakeTarget {
    /// The host's wake function (its loop, or `muxlink_client_set_waker`).
    Host(HostWake),
    /// The built-in loop's waker.
    Builtin(RemoteWaker),
}

impl Wake for WakeTarget {
    fn wake(&self) {
        match self {
            WakeTarget::Host(w) => w.wake(),
            WakeTarget::Builtin(w) => w.wake(),
        }
    }
}

/// What the client shares with `muxlink_remote` handles on other threads.
pub(crate) struct Shared {
    pub(crate) inbox: Inbox<RemoteOp>,
    pub(crate) wake: WakeSlot<WakeTarget>,
    /// `muxlink_remote_stop`: `muxlink_client_run` returns at its next turn.
    pub(crate) stop: AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Shared {
            inbox: Inbox::new(),
            wake: WakeSlot::new(),
            stop: AtomicBool::new(false),
        })
    }
}

/// The host's writer in host-fed mode.
pub(crate) struct Writer {
    pub(crate) f: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> isize,
    pub(crate) userdata: Userdata,
    pub(crate) failed: Arc<AtomicBool>,
}

impl Writer {
    /// The host's function and userdata (owned from here on).
    pub(crate) fn new(
        f: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> isize,
        userdata: Userdata,
    ) -> Self {
        Writer {
            f,
            userdata,
            failed: Arc::new(AtomicBool::new(false)),
        }
    }

    fn write(&self, bytes: &[u8]) -> usize {
        if self.failed.load(Ordering::Relaxed) {
            return 0;
        }
        // SAFETY: the host's callback with its own userdata; `bytes` lives through the call.
        let n = unsafe { (self.f)(self.userdata.ptr(), bytes.as_ptr(), bytes.len()) };
        if n < 0 {
            self.failed.store(true, Ordering::Relaxed);
            return 0;
        }
        (n as usize).min(bytes.len())
    }
}

/// The writer a host-fed client writes through (replaceable).
pub(crate) type WriterSlot = Arc<std::sync::Mutex<Option<Writer>>>;

fn lock(slot: &WriterSlot) -> std::sync::MutexGuard<'_, Option<Writer>> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

/// How the client is driven now.
pub(crate) enum Driver {
    /// Sans-I/O: the host feeds bytes and writes `outgoing` itself.
    Direct { client: Client, host: FfiHost },
    /// Host-fed: the host feeds bytes; muxlink writes through the host's callback.
    Fed {
        fed: HostFed,
        host: FfiHost,
        failed: Arc<AtomicBool>,
        slot: WriterSlot,
    },
    /// A connection with no backend: nothing watched, nothing happens until one is set.
    Idle { conn: Connection, host: FfiHost },
    /// A connection on the built-in loop (`muxlink_client_turn`, `muxlink_client_run`).
    Builtin {
        router: Box<BuiltinLoop<FfiHost>>,
        key: ClientKey,
    },
    /// A connection on the host's loop.
    Hosted {
        router: Box<Router<VtableBackend, FfiHost>>,
        key: ClientKey,
    },
    /// Only while changing from one driver to another.
    Moving,
}

fn wrong_mode<T>() -> Result<T, muxlink_result> {
    Err(muxlink_result::MUXLINK_ERR_WRONG_MODE)
}

impl Driver {
    /// The client, for reading.
    #[inline]
    pub(crate) fn client(&self) -> &Client {
        match self {
            Driver::Direct { client, .. } => client,
            Driver::Fed { fed, .. } => fed.client(),
            Driver::Idle { conn, .. } => conn.client(),
            Driver::Builtin { router, key } => router.connection(*key).expect("own key").client(),
            Driver::Hosted { router, key } => router.connection(*key).expect("own key").client(),
            Driver::Moving => unreachable!("a driver change never leaves Moving behind"),
        }
    }

    /// The host, for events and callbacks.
    #[inline]
    pub(crate) fn host_mut(&mut self) -> &mut FfiHost {
        match self {
            Driver::Direct { host, .. } | Driver::Fed { host, .. } | Driver::Idle { host, .. } => {
                host
            }
            Driver::Builtin { router, key } => router.host_mut(*key).expect("own key"),
            Driver::Hosted { router, key } => router.host_mut(*key).expect("own key"),
            Driver::Moving => unreachable!("a driver change never leaves Moving behind"),
        }
    }

    /// Runs `f` with the client and host, then writes what it queued and brings the
    /// backend's watches and timer up to date.
    #[inline]
    pub(crate) fn apply<R>(&mut self, f: impl FnOnce(&mut Client, &mut FfiHost) -> R) -> R {
        match self {
            Driver::Direct { client, host } => f(client, host),
            Driver::Fed { fed, host, .. } => fed.apply(|c| f(c, host)),
            Driver::Idle { conn, host } => {
                let r = f(conn.client_mut(), host);
                conn.flush_writes();
                r
            }
            Driver::Builtin { router, key } => router.with_client(*key, f).expect("own key"),
            Driver::Hosted { router, key } => router.with_client(*key, f).expect("own key"),
            Driver::Moving => unreachable!("a driver change never leaves Moving behind"),
        }
    }

    /// After any call: a host callback that failed closes the client.
    #[inline]
    pub(crate) fn check_callbacks(&mut self) -> Result<(), muxlink_result> {
        match self {
            Driver::Fed {
                fed, host, failed, ..
            } if failed.swap(false, Ordering::Relaxed) => {
                let e = std::io::Error::other("the host's write callback failed");
                fed.on_eof(ExitReason::transport(IoOp::Write, &e), Instant::now(), host);
                Err(muxlink_result::MUXLINK_ERR_CALLBACK)
            }
            Driver::Hosted { router, key } if router.backend().failed => {
                router.backend_mut().failed = false;
                router.close(*key);
                Err(muxlink_result::MUXLINK_ERR_CALLBACK)
            }
            _ => Ok(()),
        }
    }

    /// Sans-I/O and host-fed: bytes from tmux (or the host's PTY).
    #[inline]
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), muxlink_result> {
        let now = Instant::now();
        match self {
            Driver::Direct { client, host } => {
                client.receive(bytes, now, host);
                client.flush_frames(now, host);
            }
            Driver::Fed { fed, host, .. } => fed.feed(bytes, now, host),
            _ => return wrong_mode(),
        }
        self.check_callbacks()
    }

    /// Sans-I/O: the bytes waiting for tmux.
    pub(crate) fn outgoing(&self) -> Result<&[u8], muxlink_result> {
        match self {
            Driver::Direct { client, .. } => Ok(client.outgoing()),
            _ => wrong_mode(),
        }
    }

    /// Sans-I/O: `n` bytes of `outgoing` were written.
    pub(crate) fn consume(&mut self, n: usize) -> Result<(), muxlink_result> {
        match self {
            Driver::Direct { client, .. } => {
                if n > client.outgoing().len() {
                    return Err(muxlink_result::MUXLINK_ERR_OUT_OF_RANGE);
                }
                client.consume_outgoing(n);
                Ok(())
            }
            _ => wrong_mode(),
        }
    }

    /// Sans-I/O and host-fed: when `on_timeout` is due.
    pub(crate) fn timeout(&self) -> Result<Option<Instant>, muxlink_result> {
        match self {
            Driver::Direct { client, .. } => Ok(client.poll_timeout()),
            Driver::Fed { fed, .. } => Ok(fed.poll_timeout()),
            _ => wrong_mode(),
        }
    }

    /// Sans-I/O and host-fed: the host's timer fired.
    pub(crate) fn on_timeout(&mut self) -> Result<(), muxlink_result> {
        let now = Instant::now();
        match self {
            Driver::Direct { client, host } => {
                if client.poll_timeout().is_some_and(|t| t <= now) {
                    client.on_timeout(now, host);
                }
            }
            Driver::Fed { fed, host, .. } => fed.on_timeout(now, host),
            _ => return wrong_mode(),
        }
        self.check_callbacks()
    }

    /// Sans-I/O and host-fed: the stream ended.
    pub(crate) fn eof(&mut self) -> Result<(), muxlink_result> {
        let now = Instant::now();
        match self {
            Driver::Direct { client, host } => {
                if !client.is_closed() {
                    client.flush_frames(now, host);
                    client.on_eof(ExitReason::Eof, host);
                }
            }
            Driver::Fed { fed, host, .. } => fed.on_eof(ExitReason::Eof, now, host),
            _ => return wrong_mode(),
        }
        Ok(())
    }

    /// Any mode: the host ends the client (a child is ended and reaped).
    pub(crate) fn close(&mut self) {
        let now = Instant::now();
        match self {
            Driver::Direct { client, host } => {
                if !client.is_closed() {
                    client.flush_frames(now, host);
                    client.on_eof(ExitReason::ClosedByHost, host);
                }
            }
            Driver::Fed { fed, host, .. } => fed.on_eof(ExitReason::ClosedByHost, now, host),
            Driver::Idle { conn, host } => conn.close(now, host),
            Driver::Builtin { router, key } => router.close(*key),
            Driver::Hosted { router, key } => router.close(*key),
            Driver::Moving => {}
        }
    }

    /// Host-fed: offer queued bytes to the writer again.
    pub(crate) fn flush(&mut self) -> Result<(), muxlink_result> {
        self.apply(|_, _| ());
        self.check_callbacks()
    }

    /// Host-fed: installs (or replaces) the writer. A sans-I/O client becomes host-fed;
    /// `None` on a host-fed client pauses writing (bytes stay queued until a writer is set).
    pub(crate) fn set_writer(&mut self, writer: Option<Writer>) -> Result<(), muxlink_result> {
        match self {
            Driver::Fed { slot, failed, .. } => {
                let writer = writer.map(|mut w| {
                    w.failed = failed.clone();
                    w
                });
                // The old writer (and its userdata) is released here, outside the lock.
                let old = std::mem::replace(&mut *lock(slot), writer);
                drop(old);
                Ok(())
            }
            Driver::Direct { .. } => {
                let Some(writer) = writer else {
                    return Ok(());
                };
                let Driver::Direct { client, host } = std::mem::replace(self, Driver::Moving)
                else {
                    unreachable!("matched above")
                };
                let failed = writer.failed.clone();
                let slot = Arc::new(std::sync::Mutex::new(Some(writer)));
                let w = slot.clone();
                let fed = HostFed::new(client, move |b: &[u8]| {
                    lock(&w).as_ref().map_or(0, |w| w.write(b))
                });
                *self = Driver::Fed {
                    fed,
                    host,
                    failed,
                    slot,
                };
                Ok(())
            }
            _ => wrong_mode(),
        }
    }

    /// Makes a sans-I/O client a connection over `transport`, on the built-in loop.
    pub(crate) fn connect(
        &mut self,
        transport: muxlink_runtime::transport::ChildTransport,
        shared: &Shared,
    ) -> Result<(), muxlink_result> {
        let (client, host) = match std::mem::replace(self, Driver::Moving) {
            Driver::Direct { client, host } => (client, host),
            other => {
                *self = other;
                return wrong_mode();
            }
        };
        *self = Driver::Idle {
            conn: Connection::new(client, transport),
            host,
        };
        self.use_builtin(shared)
    }

    /// Takes the connection out of whatever loop drives it (unwatching everything there and
    /// cancelling its timer).
    fn take_connection(&mut self) -> Result<(Connection, FfiHost), muxlink_result> {
        match std::mem::replace(self, Driver::Moving) {
            Driver::Idle { conn, host } => Ok((conn, host)),
            Driver::Builtin { mut router, key } => Ok(router.remove(key).expect("own key")),
            Driver::Hosted { mut router, key } => Ok(router.remove(key).expect("own key")),
            other => {
                *self = other;
                wrong_mode()
            }
        }
    }

    /// The connection moves to the built-in loop.
    pub(crate) fn use_builtin(&mut self, shared: &Shared) -> Result<(), muxlink_result> {
        if matches!(self, Driver::Builtin { .. }) {
            return Ok(());
        }
        let (conn, host) = self.take_connection()?;
        let mut router = match BuiltinLoop::<FfiHost>::builtin() {
            Ok(r) => Box::new(r),
            Err(_) => {
                *self = Driver::Idle { conn, host };
                return Err(muxlink_result::MUXLINK_ERR_IO);
            }
        };
        drop(
            shared
                .wake
                .set(Some(WakeTarget::Builtin(router.backend().waker()))),
        );
        match router.add(conn, host) {
            Ok(key) => {
                *self = Driver::Builtin { router, key };
                Ok(())
            }
            Err(_) => {
                let (conn, host) = router.remove(ClientKey(0)).expect("just added");
                drop(shared.wake.set(None));
                *self = Driver::Idle { conn, host };
                Err(muxlink_result::MUXLINK_ERR_IO)
            }
        }
    }

    /// The connection moves to the host's loop (`Some`) or to no loop (`None`): everything
    /// the previous backend watched is unwatched and its timer cancelled first.
    pub(crate) fn set_backend(
        &mut self,
        backend: Option<VtableBackend>,
        shared: &Shared,
    ) -> Result<(), muxlink_result> {
        let (conn, host) = self.take_connection()?;
        // The old target (and, last holder gone, its userdata) is released here.
        drop(shared.wake.set(None));
        let Some(backend) = backend else {
            *self = Driver::Idle { conn, host };
            return Ok(());
        };
        let wake = backend.host_wake();
        let mut router = Box::new(Router::new(backend));
        match router.add(conn, host) {
            Ok(key) => {
                // The header promises one `set_timer` during this call, so that the host's
                // loop starts from a known timer: `add` called it when the client already
                // has a deadline; with none, say so (-1).
                if router.timer_deadline().is_none() {
                    router.backend_mut().set_timer(None);
                }
                drop(shared.wake.set(Some(WakeTarget::Host(wake))));
                *self = Driver::Hosted { router, key };
                Ok(())
            }
            Err(_) => {
                let (conn, host) = router.remove(ClientKey(0)).expect("just added");
                *self = Driver::Idle { conn, host };
                Err(muxlink_result::MUXLINK_ERR_CALLBACK)
            }
        }
    }

    /// Built-in loop: one turn.
    pub(crate) fn turn(&mut self, max_wait: Option<Duration>) -> Result<(), muxlink_result> {
        match self {
            Driver::Builtin { router, .. } => {
                if router.live() == 0 {
                    return Ok(());
                }
                router
                    .turn(max_wait)
                    .map_err(|_| muxlink_result::MUXLINK_ERR_IO)
            }
            _ => wrong_mode(),
        }
    }

    /// Built-in loop: whether the connection finished (every resource released).
    #[inline]
    pub(crate) fn finished(&self) -> bool {
        match self {
            // The common case answered here, without `client()`'s dispatch.
            Driver::Direct { client, .. } => client.is_closed(),
            Driver::Builtin { router, .. } => router.live() == 0,
            Driver::Hosted { router, .. } => router.live() == 0,
            Driver::Idle { conn, .. } => conn.is_finished(),
            _ => self.client().is_closed(),
        }
    }

    /// Host loop: readiness for a token.
    pub(crate) fn on_ready(&mut self, token: u64, ready: Readiness) -> Result<(), muxlink_result> {
        match self {
            Driver::Hosted { router, .. } => {
                let token = usize::try_from(token)
                    .map_err(|_| muxlink_result::MUXLINK_ERR_INVALID_ARGUMENT)?;
                router.on_ready(muxlink_runtime::backend::Token(token), ready);
            }
            _ => return wrong_mode(),
        }
        self.check_callbacks()
    }

    /// Host loop: the timer fired.
    pub(crate) fn on_timer(&mut self) -> Result<(), muxlink_result> {
        match self {
            Driver::Hosted { router, .. } => router.on_timer(),
            _ => return wrong_mode(),
        }
        self.check_callbacks()
    }

    /// Host loop: watches in place now (for tests of "nothing left registered").
    pub(crate) fn watched(&self) -> usize {
        match self {
            Driver::Hosted { router, .. } => router.backend().watched,
            _ => 0,
        }
    }

    /// Ends the connection's registration with its loop before the client goes (nothing
    /// stays watched by the host's loop).
    pub(crate) fn detach_backend(&mut self) {
        if let Ok((conn, host)) = self.take_connection() {
            *self = Driver::Idle { conn, host };
        }
    }
}

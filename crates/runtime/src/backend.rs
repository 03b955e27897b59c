//! The host loop's contract, in the manner of libcurl's multi-socket API.
//!
//! The host owns the event loop (libxev, GLib, CFRunLoop, ...). muxlink tells it which
//! descriptors to watch and when to call back ([`Backend`]); the host reports readiness and
//! timer expiry to a [`crate::router::Router`] (`on_ready(token, readiness)`, `on_timer()`,
//! and `on_wake()` after a [`RemoteWaker`] fired).
//!
//! The contract every backend keeps:
//! - `watch_fd` with a token already watched replaces its descriptor and interest.
//! - Readiness may be level- or edge-triggered: the router reads until `WouldBlock` (or a
//!   budget, after which it arms a zero timer) and writes until `WouldBlock`.
//! - `set_timer(Some(d))` replaces any earlier timer: call `on_timer` once, `d` from now;
//!   `set_timer(None)` cancels it.
//! - The waker may be called from any thread, any number of times; the host then calls
//!   `on_wake` on its loop's thread (several wakes may collapse into one call).
//! - No callback is re-entered: the router never calls the backend from inside a host call
//!   back into the backend.
//!
//! [`MioBackend`] is a complete implementation on mio, used by the tests and the router
//! benchmark; the C vtable (another issue) implements the same trait.

use std::collections::HashMap;
use std::io;
#[cfg(unix)]
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::drive::{Interest, Readiness};

/// A number the router gives each watched descriptor; the host hands it back in
/// `on_ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub usize);

/// A thread-safe "call `on_wake` soon" for the host's loop.
#[derive(Clone)]
pub struct RemoteWaker(Arc<dyn Fn() + Send + Sync>);

impl RemoteWaker {
    /// Wraps a function the host provides (it must be callable from any thread).
    pub fn new(f: impl Fn() + Send + Sync + 'static) -> Self {
        RemoteWaker(Arc::new(f))
    }

    /// Asks the host's loop to call the router's `on_wake`.
    pub fn wake(&self) {
        (self.0)()
    }
}

impl std::fmt::Debug for RemoteWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteWaker")
    }
}

/// What a host loop provides to the router.
#[cfg(unix)]
pub trait Backend {
    /// Watch `fd` for `interest` and report it with `token`. A token already watched is
    /// changed to the new descriptor and interest.
    fn watch_fd(&mut self, fd: RawFd, interest: Interest, token: Token) -> io::Result<()>;
    /// Stop watching `token`. The descriptor may already be closed.
    fn unwatch_fd(&mut self, token: Token) -> io::Result<()>;
    /// Call the router's `on_timer` once after `timeout` (replacing any earlier timer), or
    /// never (`None`).
    fn set_timer(&mut self, timeout: Option<Duration>);
    /// A waker other threads use to make the host call the router's `on_wake`.
    fn waker(&self) -> RemoteWaker;
    /// Asks the host to call the router's `on_wake` soon (same as `waker().wake()`).
    fn wake(&self) {
        self.waker().wake()
    }
}

/// What one [`MioBackend::poll`] found.
#[derive(Debug, Default)]
pub struct Fired {
    /// Ready tokens, in the order the poller reported them.
    pub ready: Vec<(Token, Readiness)>,
    /// The timer expired.
    pub timer: bool,
    /// The waker fired.
    pub woken: bool,
}

/// A [`Backend`] on mio. Hosts without a loop of their own can use it; the tests and the
/// router benchmark do.
///
/// ```no_run
/// # use muxlink_runtime::{backend::MioBackend, router::Router};
/// let mut router = Router::new(MioBackend::new().unwrap());
/// // router.add(connection, Box::new(host))?;
/// while router.live() > 0 {
///     MioBackend::turn(&mut router, None).unwrap();
/// }
/// ```
#[cfg(unix)]
pub struct MioBackend {
    poll: mio::Poll,
    events: mio::Events,
    watched: HashMap<Token, (RawFd, Interest)>,
    timer: Option<Instant>,
    waker: Arc<mio::Waker>,
    woken: Arc<AtomicBool>,
    calls: BackendCalls,
    scratch: Fired,
}

/// How often the router called each backend function (for tests and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackendCalls {
    /// `watch_fd` calls.
    pub watch: u64,
    /// `unwatch_fd` calls.
    pub unwatch: u64,
    /// `set_timer` calls.
    pub set_timer: u64,
}

#[cfg(unix)]
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);

#[cfg(unix)]
impl MioBackend {
    /// Creates the poller and its waker.
    pub fn new() -> io::Result<Self> {
        let poll = mio::Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE_TOKEN)?);
        Ok(MioBackend {
            poll,
            events: mio::Events::with_capacity(256),
            watched: HashMap::new(),
            timer: None,
            waker,
            woken: Arc::new(AtomicBool::new(false)),
            calls: BackendCalls::default(),
            scratch: Fired::default(),
        })
    }

    /// Descriptors currently watched.
    pub fn watched(&self) -> usize {
        self.watched.len()
    }

    /// Whether a timer is armed.
    pub fn timer_armed(&self) -> bool {
        self.timer.is_some()
    }

    /// How often each backend function was called.
    pub fn calls(&self) -> BackendCalls {
        self.calls
    }

    /// Waits for readiness, the timer, a wake or `max_wait`, whichever is first, and returns
    /// what fired (into `out`, cleared first; reuse it to avoid allocating).
    pub fn poll(&mut self, out: &mut Fired, max_wait: Option<Duration>) -> io::Result<()> {
        out.ready.clear();
        out.timer = false;
        out.woken = false;
        let now = Instant::now();
        let timer_wait = self.timer.map(|t| t.saturating_duration_since(now));
        let wait = match (timer_wait, max_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.poll.poll(&mut self.events, wait) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        for ev in self.events.iter() {
            if ev.token() == WAKE_TOKEN {
                continue;
            }
            let r = Readiness {
                readable: ev.is_readable() || ev.is_read_closed(),
                writable: ev.is_writable() || ev.is_write_closed(),
                error: ev.is_error(),
            };
            out.ready.push((Token(ev.token().0), r));
        }
        if self.woken.swap(false, Ordering::SeqCst) {
            out.woken = true;
        }
        if self.timer.is_some_and(|t| t <= Instant::now()) {
            self.timer = None;
            out.timer = true;
        }
        Ok(())
    }

    /// One turn of a host loop over this backend: poll, then hand everything that fired to
    /// the router. Allocates nothing once warm.
    pub fn turn(
        router: &mut crate::router::Router<MioBackend>,
        max_wait: Option<Duration>,
    ) -> io::Result<()> {
        let mut fired = std::mem::take(&mut router.backend_mut().scratch);
        let res = router.backend_mut().poll(&mut fired, max_wait);
        if res.is_ok() {
            for &(token, r) in &fired.ready {
                router.on_ready(token, r);
            }
            if fired.timer {
                router.on_timer();
            }
            if fired.woken {
                router.on_wake();
            }
        }
        router.backend_mut().scratch = fired;
        res
    }
}

#[cfg(unix)]
impl Backend for MioBackend {
    fn watch_fd(&mut self, fd: RawFd, interest: Interest, token: Token) -> io::Result<()> {
        self.calls.watch += 1;
        let mi = match (interest.readable, interest.writable) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE,
        };
        let reg = self.poll.registry();
        match self.watched.get(&token) {
            Some(&(old_fd, _)) if old_fd == fd => {
                reg.reregister(&mut mio::unix::SourceFd(&fd), mio::Token(token.0), mi)?
            }
            Some(&(old_fd, _)) => {
                let _ = reg.deregister(&mut mio::unix::SourceFd(&old_fd));
                reg.register(&mut mio::unix::SourceFd(&fd), mio::Token(token.0), mi)?
            }
            None => reg.register(&mut mio::unix::SourceFd(&fd), mio::Token(token.0), mi)?,
        }
        self.watched.insert(token, (fd, interest));
        Ok(())
    }

    fn unwatch_fd(&mut self, token: Token) -> io::Result<()> {
        self.calls.unwatch += 1;
        if let Some((fd, _)) = self.watched.remove(&token) {
            // Already closed descriptors left the poller by themselves.
            let _ = self
                .poll
                .registry()
                .deregister(&mut mio::unix::SourceFd(&fd));
        }
        Ok(())
    }

    fn set_timer(&mut self, timeout: Option<Duration>) {
        self.calls.set_timer += 1;
        self.timer = timeout.map(|d| Instant::now() + d);
    }

    fn waker(&self) -> RemoteWaker {
        let waker = self.waker.clone();
        let woken = self.woken.clone();
        RemoteWaker::new(move || {
            woken.store(true, Ordering::SeqCst);
            let _ = waker.wake();
        })
    }
}

/// A backend that watches nothing and never fires: for in-memory transports driven by
/// calling the router directly (the router benchmark) and for tests of the router itself.
/// Counts the calls it receives.
#[derive(Debug, Default)]
pub struct NullBackend {
    calls: BackendCalls,
    timer: Option<Duration>,
}

impl NullBackend {
    /// A new null backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// How often each backend function was called.
    pub fn calls(&self) -> BackendCalls {
        self.calls
    }

    /// The last timer the router asked for.
    pub fn timer(&self) -> Option<Duration> {
        self.timer
    }
}

#[cfg(unix)]
impl Backend for NullBackend {
    fn watch_fd(&mut self, _fd: RawFd, _interest: Interest, _token: Token) -> io::Result<()> {
        self.calls.watch += 1;
        Ok(())
    }
    fn unwatch_fd(&mut self, _token: Token) -> io::Result<()> {
        self.calls.unwatch += 1;
        Ok(())
    }
    fn set_timer(&mut self, timeout: Option<Duration>) {
        self.calls.set_timer += 1;
        self.timer = timeout;
    }
    fn waker(&self) -> RemoteWaker {
        RemoteWaker::new(|| {})
    }
}

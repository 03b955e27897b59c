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
//! [`MioBackend`] is a complete implementation on mio: the built-in loop
//! ([`crate::mio_loop`]) is the router over it. The C vtable implements the same trait.

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

/// What one [`MioBackend::poll`] found (reused across polls).
#[derive(Debug, Default)]
pub(crate) struct Fired {
    /// Ready tokens, in the order the poller reported them.
    pub(crate) ready: Vec<(Token, Readiness)>,
    /// The timer expired.
    pub(crate) timer: bool,
    /// The waker fired.
    pub(crate) woken: bool,
}

/// A [`Backend`] on mio (epoll on Linux, kqueue on macOS): the built-in loop
/// ([`crate::mio_loop::BuiltinLoop`]) is a router over it.
#[cfg(unix)]
pub struct MioBackend {
    poll: mio::Poll,
    events: mio::Events,
    watched: HashMap<Token, (RawFd, Interest)>,
    timer: Option<Instant>,
    waker: Arc<mio::Waker>,
    woken: Arc<AtomicBool>,
    /// Reused by the built-in loop's turns.
    pub(crate) scratch: Fired,
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

    /// Waits for readiness, the timer, a wake or `max_wait`, whichever is first, and returns
    /// what fired (into `out`, cleared first; reused to avoid allocating).
    pub(crate) fn poll(&mut self, out: &mut Fired, max_wait: Option<Duration>) -> io::Result<()> {
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
}

#[cfg(unix)]
impl Backend for MioBackend {
    fn watch_fd(&mut self, fd: RawFd, interest: Interest, token: Token) -> io::Result<()> {
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

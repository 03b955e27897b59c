//! The built-in loop: one [`Connection`] driven by mio (epoll on Linux, kqueue on macOS).
//!
//! [`BuiltinLoop::run`] returns when the connection finished (tmux exited, was killed, the
//! pipe broke, or the client detached) or when [`LoopHandle::stop`] was called. Other threads
//! reach the client through a [`LoopHandle`]: operations go over a channel and a
//! [`mio::Waker`] interrupts the poll.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Poll, Token};

use crate::client::{Client, Host};
use crate::drive::{Connection, Interest, Readiness};
use crate::transport::Pipe;

/// An operation sent from another thread; it runs on the loop's thread with the client and
/// the host, and the loop writes whatever it queued.
pub type Op = Box<dyn FnOnce(&mut Client, &mut dyn Host) + Send>;

/// The loop has ended; the operation was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the loop has ended")]
pub struct LoopClosed;

const WAKER: Token = Token(usize::MAX);

fn pipe_token(pipe: Pipe) -> Token {
    Token(match pipe {
        Pipe::Output => 0,
        Pipe::Input => 1,
        Pipe::Error => 2,
    })
}

fn token_pipe(t: Token) -> Option<Pipe> {
    match t.0 {
        0 => Some(Pipe::Output),
        1 => Some(Pipe::Input),
        2 => Some(Pipe::Error),
        _ => None,
    }
}

/// A cloneable, `Send` handle to a running [`BuiltinLoop`].
#[derive(Clone)]
pub struct LoopHandle {
    tx: mpsc::Sender<Op>,
    waker: Arc<mio::Waker>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopHandle").finish_non_exhaustive()
    }
}

impl LoopHandle {
    /// Queues `op` to run on the loop's thread and wakes the loop.
    pub fn submit(
        &self,
        op: impl FnOnce(&mut Client, &mut dyn Host) + Send + 'static,
    ) -> Result<(), LoopClosed> {
        self.tx.send(Box::new(op)).map_err(|_| LoopClosed)?;
        self.waker.wake().map_err(|_| LoopClosed)
    }

    /// Runs `f` on the loop's thread and waits for its result. Must not be called from the
    /// loop's own thread (it would wait forever): use [`LoopHandle::submit`] there.
    pub fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &mut dyn Host) -> R + Send + 'static,
    ) -> Result<R, LoopClosed> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(move |c, h| {
            let _ = tx.send(f(c, h));
        })?;
        rx.recv().map_err(|_| LoopClosed)
    }

    /// Asks the loop to return from [`BuiltinLoop::run`] at its next turn (the connection is
    /// left as it is; drop or [`Connection::close`] it to end tmux).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }
}

/// The built-in event loop.
pub struct BuiltinLoop {
    poll: Poll,
    events: Events,
    waker: Arc<mio::Waker>,
    tx: mpsc::Sender<Op>,
    rx: mpsc::Receiver<Op>,
    stop: Arc<AtomicBool>,
    registered: [Option<(i32, Interest)>; 3],
}

impl std::fmt::Debug for BuiltinLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinLoop").finish_non_exhaustive()
    }
}

impl BuiltinLoop {
    /// Creates the poller and its waker.
    pub fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = mpsc::channel();
        Ok(BuiltinLoop {
            poll,
            events: Events::with_capacity(64),
            waker,
            tx,
            rx,
            stop: Arc::new(AtomicBool::new(false)),
            registered: [None; 3],
        })
    }

    /// A handle for other threads.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle {
            tx: self.tx.clone(),
            waker: self.waker.clone(),
            stop: self.stop.clone(),
        }
    }

    /// Runs until the connection finished or [`LoopHandle::stop`] was called. Registrations
    /// are removed before returning, so the connection may be driven elsewhere afterwards.
    pub fn run(&mut self, conn: &mut Connection, host: &mut dyn Host) -> io::Result<()> {
        self.stop.store(false, Ordering::SeqCst);
        let result = loop {
            if conn.is_finished() || self.stop.load(Ordering::SeqCst) {
                break Ok(());
            }
            if let Err(e) = self.turn(conn, host, None) {
                break Err(e);
            }
        };
        self.deregister_all();
        result
    }

    /// One turn: waits for readiness, a wake-up, the client's deadline or `max_wait`
    /// (whichever comes first), then dispatches. For hosts that interleave other work.
    pub fn turn(
        &mut self,
        conn: &mut Connection,
        host: &mut dyn Host,
        max_wait: Option<Duration>,
    ) -> io::Result<()> {
        self.run_ops(conn, host);
        self.sync_registrations(conn)?;
        if conn.is_finished() {
            return Ok(());
        }
        let now = Instant::now();
        let mut timeout = conn.deadline().map(|d| d.saturating_duration_since(now));
        if conn.has_pending_read() {
            timeout = Some(Duration::ZERO);
        }
        timeout = match (timeout, max_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        let mut ready: [Readiness; 3] = [Readiness::default(); 3];
        for ev in self.events.iter() {
            if let Some(pipe) = token_pipe(ev.token()) {
                let r = &mut ready[pipe_token(pipe).0];
                r.readable |= ev.is_readable() || ev.is_read_closed();
                r.writable |= ev.is_writable() || ev.is_write_closed();
                r.error |= ev.is_error();
            }
        }
        if conn.has_pending_read() {
            ready[0].readable = true;
        }
        // stderr first, so that an exit found on stdout can quote it.
        for pipe in [Pipe::Error, Pipe::Input, Pipe::Output] {
            let r = ready[pipe_token(pipe).0];
            if r != Readiness::default() {
                conn.on_ready(pipe, r, now, host);
            }
        }
        if conn.deadline().is_some_and(|d| d <= now) {
            conn.on_timer(now, host);
        }
        self.run_ops(conn, host);
        Ok(())
    }

    fn run_ops(&mut self, conn: &mut Connection, host: &mut dyn Host) {
        let mut ran = false;
        while let Ok(op) = self.rx.try_recv() {
            op(conn.client_mut(), host);
            ran = true;
        }
        if ran {
            conn.flush_writes();
        }
    }

    fn sync_registrations(&mut self, conn: &Connection) -> io::Result<()> {
        for pipe in [Pipe::Output, Pipe::Input, Pipe::Error] {
            let i = pipe_token(pipe).0;
            let want = conn.watch(pipe);
            if want == self.registered[i] {
                continue;
            }
            if let Some((fd, _)) = self.registered[i].take() {
                // The descriptor may already be closed; the kernel dropped it then.
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
            if let Some((fd, interest)) = want {
                let mi = match (interest.readable, interest.writable) {
                    (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
                    (false, true) => mio::Interest::WRITABLE,
                    _ => mio::Interest::READABLE,
                };
                self.poll
                    .registry()
                    .register(&mut SourceFd(&fd), pipe_token(pipe), mi)?;
                self.registered[i] = Some((fd, interest));
            }
        }
        Ok(())
    }

    fn deregister_all(&mut self) {
        for slot in self.registered.iter_mut() {
            if let Some((fd, _)) = slot.take() {
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
        }
    }
}

impl Drop for BuiltinLoop {
    fn drop(&mut self) {
        self.deregister_all();
    }
}

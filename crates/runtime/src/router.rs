//! The router: several [`Connection`]s on one host loop ([`Backend`]). The built-in loop
//! ([`crate::mio_loop::BuiltinLoop`]) is this router over the mio backend.
//!
//! The host calls [`Router::on_ready`], [`Router::on_timer`] and [`Router::on_wake`]; the
//! router finds the connection a token belongs to, pumps it, then brings the backend's
//! watches and its single timer up to date. It counts what it dispatched and records how long
//! sampled dispatches took ([`Router::latency`]).
//!
//! Each client comes with its host `H` (any [`Host`]: the host's own type, a boxed one, or
//! an [`crate::EventQueue`] to pull from). Other threads reach a client through a
//! [`RouterHandle`]: operations go over a channel and the backend's waker makes the host loop
//! call [`Router::on_wake`].
//!
//! Cost per dispatch beyond the connection's own work: a slab lookup, a few flag checks
//! (watches and the timer are re-synced with the backend only when they changed), and for one
//! dispatch in [`DEFAULT_SAMPLE_EVERY`] a second clock read and a histogram increment.

#[cfg(unix)]
use std::io;
#[cfg(unix)]
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::backend::{Backend, RemoteWaker, Token};
use crate::client::Client;
use crate::drive::{Connection, Interest, Readiness};
use crate::events::Host;
use crate::transport::Pipe;

/// By default the router times one dispatch in this many for its latency histogram.
pub const DEFAULT_SAMPLE_EVERY: u32 = 16;

/// Which client of a router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(pub usize);

/// An operation sent from another thread to one client of a router; it runs on the loop's
/// thread with the client and its host, and the router writes whatever it queued.
pub type RouterOp = Box<dyn FnOnce(&mut Client, &mut dyn Host) + Send>;

/// The client is gone or the router was dropped; the operation was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the router or the client is gone")]
pub struct RouterClosed;

/// Dispatch counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterStats {
    /// `on_ready` calls.
    pub ready: u64,
    /// `on_timer` calls.
    pub timers: u64,
    /// `on_wake` calls.
    pub wakes: u64,
    /// Operations run for other threads.
    pub ops: u64,
    /// `on_ready` calls whose token matched no live connection (stale, ignored).
    pub stale: u64,
    /// Connections that finished.
    pub finished: u64,
}

/// The router's dispatch latency: how long sampled `on_ready`, `on_timer` and `on_wake`
/// calls took, from entry to return, including the connection's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatencySummary {
    /// Dispatches timed.
    pub samples: u64,
    /// The shortest.
    pub min: Duration,
    /// The median.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The 99.9th percentile.
    pub p999: Duration,
    /// The longest.
    pub max: Duration,
    /// The mean.
    pub mean: Duration,
}

/// A cloneable `Send` handle for other threads: queue operations for a client of the router,
/// wake its loop, or ask [`crate::mio_loop::BuiltinLoop::run`] to return.
#[derive(Clone, Debug)]
pub struct RouterHandle {
    tx: mpsc::Sender<(ClientKey, RouterOp)>,
    waker: RemoteWaker,
    stop: Arc<AtomicBool>,
}

impl RouterHandle {
    /// Queues `op` for `key` and wakes the host loop.
    pub fn submit(
        &self,
        key: ClientKey,
        op: impl FnOnce(&mut Client, &mut dyn Host) + Send + 'static,
    ) -> Result<(), RouterClosed> {
        self.tx
            .send((key, Box::new(op)))
            .map_err(|_| RouterClosed)?;
        self.waker.wake();
        Ok(())
    }

    /// Runs `f` for `key` on the loop's thread and waits for the result. Must not be called
    /// from the loop's own thread (it would wait forever): use [`RouterHandle::submit`] there.
    pub fn call<R: Send + 'static>(
        &self,
        key: ClientKey,
        f: impl FnOnce(&mut Client, &mut dyn Host) -> R + Send + 'static,
    ) -> Result<R, RouterClosed> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(key, move |c, h| {
            let _ = tx.send(f(c, h));
        })?;
        rx.recv().map_err(|_| RouterClosed)
    }

    /// Wakes the host loop (it calls [`Router::on_wake`]), e.g. after handing it news through
    /// a channel of the host's own.
    pub fn wake(&self) {
        self.waker.wake();
    }

    /// Asks [`crate::mio_loop::BuiltinLoop::run`] to return at its next turn (the clients
    /// stay as they are).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

struct Entry<H> {
    conn: Connection,
    host: H,
    watched: [Option<(RawFd, Interest)>; 3],
    counted: bool,
    /// [`Connection::watch_signature`] when the watches were last synced.
    sig: u8,
    /// The connection's deadline and pending-read flag when last looked at.
    deadline: Option<Instant>,
    pending: bool,
}

const PIPES: [Pipe; 3] = [Pipe::Output, Pipe::Input, Pipe::Error];

fn pipe_index(p: Pipe) -> usize {
    match p {
        Pipe::Output => 0,
        Pipe::Input => 1,
        Pipe::Error => 2,
    }
}

fn token_for(key: ClientKey, pipe: Pipe) -> Token {
    Token(key.0 * 4 + pipe_index(pipe))
}

/// The pipe a token stands for, if it is one of the router's.
pub(crate) fn token_pipe(token: Token) -> Option<Pipe> {
    match token.0 % 4 {
        0 => Some(Pipe::Output),
        1 => Some(Pipe::Input),
        2 => Some(Pipe::Error),
        _ => None,
    }
}

/// Several connections driven by one host loop, each with its host `H`.
#[cfg(unix)]
pub struct Router<B: Backend, H: Host = Box<dyn Host>> {
    backend: B,
    entries: Vec<Option<Entry<H>>>,
    live: usize,
    timer: Option<Instant>,
    tx: mpsc::Sender<(ClientKey, RouterOp)>,
    rx: mpsc::Receiver<(ClientKey, RouterOp)>,
    /// Set by [`RouterHandle::stop`].
    pub(crate) stop: Arc<AtomicBool>,
    stats: RouterStats,
    latency: Histogram<u64>,
    /// Time one dispatch in this many (0 = none).
    sample_every: u32,
    /// Dispatches until the next timed one.
    sample_countdown: u32,
}

#[cfg(unix)]
impl<B: Backend, H: Host> std::fmt::Debug for Router<B, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("live", &self.live)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl<B: Backend, H: Host> Router<B, H> {
    /// A router over `backend`, with no clients.
    pub fn new(backend: B) -> Self {
        let (tx, rx) = mpsc::channel();
        Router {
            backend,
            entries: Vec::new(),
            live: 0,
            timer: None,
            tx,
            rx,
            stop: Arc::new(AtomicBool::new(false)),
            stats: RouterStats::default(),
            // 1 ns .. 100 s, 3 significant digits: fixed size, never reallocates.
            latency: Histogram::new_with_bounds(1, 100_000_000_000, 3)
                .expect("static histogram bounds are valid"),
            sample_every: DEFAULT_SAMPLE_EVERY,
            sample_countdown: 0,
        }
    }

    /// The token the router uses for one pipe of a client (what `watch_fd` received). Lets
    /// a benchmark or a host without descriptors (in-memory transports) dispatch directly.
    pub fn token(key: ClientKey, pipe: Pipe) -> Token {
        token_for(key, pipe)
    }

    /// Times one dispatch in `every` for the latency histogram (0 turns timing off; 1 times
    /// every dispatch). Default [`DEFAULT_SAMPLE_EVERY`]. A timed dispatch costs one more
    /// clock read (20..80 ns depending on the machine's clock source), which alone would be
    /// a visible share of a small dispatch; counts in [`Router::stats`] are always exact.
    pub fn set_latency_sample_every(&mut self, every: u32) {
        self.sample_every = every;
        self.sample_countdown = 0;
    }

    /// Turns latency recording fully on (every dispatch) or off.
    pub fn set_record_latency(&mut self, on: bool) {
        self.set_latency_sample_every(on as u32);
    }

    /// Adds a connection and its host; watches its descriptors and writes what its client
    /// queued (the handshake).
    pub fn add(&mut self, conn: Connection, host: H) -> io::Result<ClientKey> {
        let slot = match self.entries.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        self.entries[slot] = Some(Entry {
            conn,
            host,
            watched: [None; 3],
            counted: false,
            sig: u8::MAX,
            deadline: None,
            pending: false,
        });
        self.live += 1;
        let key = ClientKey(slot);
        if let Some(e) = self.entries[slot].as_mut() {
            e.conn.flush_writes();
        }
        self.sync_entry(key)?;
        self.after_entry(key);
        self.sync_timer(Instant::now());
        Ok(key)
    }

    /// Removes a client (finished or not), unwatching its descriptors. The connection and its
    /// host are handed back; dropping the connection ends tmux if it still runs.
    pub fn remove(&mut self, key: ClientKey) -> Option<(Connection, H)> {
        let mut e = self.entries.get_mut(key.0)?.take()?;
        for p in PIPES {
            if e.watched[pipe_index(p)].take().is_some() {
                let _ = self.backend.unwatch_fd(token_for(key, p));
            }
        }
        if !e.counted {
            self.live -= 1;
        }
        self.sync_timer(Instant::now());
        Some((e.conn, e.host))
    }

    /// Connections not yet finished.
    pub fn live(&self) -> usize {
        self.live
    }

    /// A client's connection, for reading its state.
    pub fn connection(&self, key: ClientKey) -> Option<&Connection> {
        self.entries.get(key.0)?.as_ref().map(|e| &e.conn)
    }

    /// A client's host (e.g. an [`crate::EventQueue`] to take events from).
    pub fn host(&self, key: ClientKey) -> Option<&H> {
        self.entries.get(key.0)?.as_ref().map(|e| &e.host)
    }

    /// A client's host, mutably.
    pub fn host_mut(&mut self, key: ClientKey) -> Option<&mut H> {
        self.entries.get_mut(key.0)?.as_mut().map(|e| &mut e.host)
    }

    /// Runs `f` with a client and its host on this thread, then writes what it queued and
    /// brings the watches and the timer up to date. Operations, pulled frames and reads
    /// that need the host beside the client go through here.
    pub fn with_client<R>(
        &mut self,
        key: ClientKey,
        f: impl FnOnce(&mut Client, &mut H) -> R,
    ) -> Option<R> {
        let e = self.entries.get_mut(key.0)?.as_mut()?;
        let r = f(e.conn.client_mut(), &mut e.host);
        e.conn.flush_writes();
        if self.after_entry(key) {
            self.sync_timer(Instant::now());
        }
        Some(r)
    }

    /// Ends a client's connection from the host's side without removing it (see
    /// [`Connection::close`]): its host hears [`crate::ClientEvent::Exited`] unless the
    /// client already closed.
    pub fn close(&mut self, key: ClientKey) {
        if let Some(e) = self.entries.get_mut(key.0).and_then(Option::as_mut) {
            e.conn.close(Instant::now(), &mut e.host);
            self.after_dispatch(key, Instant::now());
        }
    }

    /// A handle for other threads.
    pub fn handle(&self) -> RouterHandle {
        RouterHandle {
            tx: self.tx.clone(),
            waker: self.backend.waker(),
            stop: self.stop.clone(),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend, mutably (a host loop that owns its poller inside the backend polls
    /// through this).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// When the router expects its backend timer to fire (`None` when none is armed; a
    /// timer that fired is no longer armed).
    pub fn timer_deadline(&self) -> Option<Instant> {
        self.timer
    }

    /// Dispatch counters.
    pub fn stats(&self) -> RouterStats {
        self.stats
    }

    /// Dispatch latency (`on_ready`, `on_timer` and `on_wake`, one in
    /// [`Router::set_latency_sample_every`]), from entry to return, including the
    /// connection's work. Computed from the router's histogram on each call.
    pub fn latency(&self) -> LatencySummary {
        let h = &self.latency;
        if h.is_empty() {
            return LatencySummary::default();
        }
        let ns = Duration::from_nanos;
        LatencySummary {
            samples: h.len(),
            min: ns(h.min()),
            p50: ns(h.value_at_quantile(0.5)),
            p99: ns(h.value_at_quantile(0.99)),
            p999: ns(h.value_at_quantile(0.999)),
            max: ns(h.max()),
            mean: Duration::from_secs_f64(h.mean() / 1e9),
        }
    }

    /// The host reports readiness for a token it was given in `watch_fd`.
    pub fn on_ready(&mut self, token: Token, ready: Readiness) {
        let start = Instant::now();
        self.stats.ready += 1;
        let key = ClientKey(token.0 / 4);
        let Some(pipe) = token_pipe(token) else {
            self.stats.stale += 1;
            return;
        };
        let dispatched = match self.entries.get_mut(key.0).and_then(Option::as_mut) {
            Some(e) if !e.conn.is_finished() => {
                e.conn.on_ready(pipe, ready, start, &mut e.host);
                true
            }
            _ => false,
        };
        if dispatched {
            self.after_dispatch(key, start);
        } else {
            self.stats.stale += 1;
        }
        self.record(start);
    }

    /// The host's timer (armed through `set_timer`) expired.
    pub fn on_timer(&mut self) {
        let start = Instant::now();
        self.stats.timers += 1;
        self.timer = None;
        for i in 0..self.entries.len() {
            let Some(e) = self.entries[i].as_mut() else {
                continue;
            };
            if e.conn.is_finished() {
                continue;
            }
            let mut touched = false;
            if e.conn.has_pending_read() {
                e.conn
                    .on_ready(Pipe::Output, Readiness::READABLE, start, &mut e.host);
                touched = true;
            }
            if e.conn.deadline().is_some_and(|d| d <= start) {
                e.conn.on_timer(start, &mut e.host);
                touched = true;
            }
            if touched {
                self.after_entry(ClientKey(i));
            }
        }
        self.sync_timer(start);
        self.record(start);
    }

    /// The waker fired: run the operations other threads queued.
    pub fn on_wake(&mut self) {
        let start = Instant::now();
        self.stats.wakes += 1;
        while let Ok((key, op)) = self.rx.try_recv() {
            if let Some(e) = self.entries.get_mut(key.0).and_then(Option::as_mut) {
                self.stats.ops += 1;
                op(e.conn.client_mut(), &mut e.host);
                e.conn.flush_writes();
                self.after_entry(key);
            }
            // An op for a removed client is dropped unrun; its `call` sees RouterClosed.
        }
        self.sync_timer(start);
        self.record(start);
    }

    fn after_dispatch(&mut self, key: ClientKey, now: Instant) {
        if self.after_entry(key) {
            self.sync_timer(now);
        }
    }

    /// Brings one client's watches up to date (only when its signature changed) and its
    /// cached deadline; returns whether the deadline or pending-read flag changed.
    fn after_entry(&mut self, key: ClientKey) -> bool {
        let Some(e) = self.entries.get_mut(key.0).and_then(Option::as_mut) else {
            return false;
        };
        let sig = e.conn.watch_signature();
        if sig != e.sig {
            e.sig = sig;
            let _ = self.sync_entry(key);
        }
        let Some(e) = self.entries.get_mut(key.0).and_then(Option::as_mut) else {
            return false;
        };
        if e.conn.is_finished() && !e.counted {
            e.counted = true;
            self.live -= 1;
            self.stats.finished += 1;
        }
        let deadline = e.conn.deadline();
        let pending = e.conn.has_pending_read();
        let changed = deadline != e.deadline || pending != e.pending;
        e.deadline = deadline;
        e.pending = pending;
        changed
    }

    fn sync_entry(&mut self, key: ClientKey) -> io::Result<()> {
        let Some(e) = self.entries.get_mut(key.0).and_then(Option::as_mut) else {
            return Ok(());
        };
        let mut result = Ok(());
        for p in PIPES {
            let i = pipe_index(p);
            let want = e.conn.watch(p);
            if want == e.watched[i] {
                continue;
            }
            let token = token_for(key, p);
            match want {
                Some((fd, interest)) => {
                    if let Err(err) = self.backend.watch_fd(fd, interest, token) {
                        result = Err(err);
                        e.watched[i] = None;
                        continue;
                    }
                }
                None => {
                    let _ = self.backend.unwatch_fd(token);
                }
            }
            e.watched[i] = want;
        }
        result
    }

    /// Arms the backend's timer for the earliest cached deadline (now, when a read is
    /// pending); calls the backend only when that changed.
    fn sync_timer(&mut self, now: Instant) {
        let mut next: Option<Instant> = None;
        for e in self.entries.iter().flatten() {
            if e.pending {
                next = Some(now);
                break;
            }
            if let Some(d) = e.deadline {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        if next != self.timer {
            self.timer = next;
            self.backend
                .set_timer(next.map(|d| d.saturating_duration_since(now)));
        }
    }

    fn record(&mut self, start: Instant) {
        if self.sample_every == 0 {
            return;
        }
        if self.sample_countdown == 0 {
            self.sample_countdown = self.sample_every - 1;
            let ns = start.elapsed().as_nanos().min(u64::MAX as u128) as u64;
            self.latency.saturating_record(ns.max(1));
        } else {
            self.sample_countdown -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MemoryTransport, NullBackend};
    use crate::{ClientConfig, ClientEvent, EventQueue, ExitReason, Frame};

    #[derive(Default)]
    struct Count {
        events: EventQueue,
        frames: u64,
    }

    struct CountHost(std::rc::Rc<std::cell::RefCell<Count>>);

    impl Host for CountHost {
        fn on_frame(&mut self, _frame: &Frame<'_>) {
            self.0.borrow_mut().frames += 1;
        }
        fn on_event(&mut self, event: &ClientEvent<'_>) {
            self.0.borrow_mut().events.push(event);
        }
    }

    fn stream() -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(b"%begin 1 1 0\n%end 1 1 0\n");
        for i in 0..200 {
            s.extend_from_slice(format!("%output %0 line {i}\\015\\012\n").as_bytes());
        }
        s.extend_from_slice(b"%exit\n");
        s
    }

    fn client() -> Client {
        Client::new(ClientConfig::default().with_handshake(false))
    }

    #[test]
    fn router_dispatch_equals_direct_calls() {
        // Direct: the connection pumped by hand.
        let direct = std::rc::Rc::new(std::cell::RefCell::new(Count::default()));
        let mut conn = Connection::new(client(), MemoryTransport::chunk_per_ready(stream(), 64));
        let mut host = CountHost(direct.clone());
        let mut direct_calls = 0;
        while !conn.is_finished() {
            conn.on_ready(Pipe::Output, Readiness::READABLE, Instant::now(), &mut host);
            direct_calls += 1;
        }

        // Routed: the same stream through router.on_ready.
        let routed = std::rc::Rc::new(std::cell::RefCell::new(Count::default()));
        let mut router: Router<NullBackend> = Router::new(NullBackend::new());
        router.set_latency_sample_every(1);
        let conn = Connection::new(client(), MemoryTransport::chunk_per_ready(stream(), 64));
        let key = router
            .add(conn, Box::new(CountHost(routed.clone())))
            .unwrap();
        let token = Router::<NullBackend>::token(key, Pipe::Output);
        let mut routed_calls = 0;
        while router.live() > 0 {
            router.on_ready(token, Readiness::READABLE);
            routed_calls += 1;
        }
        assert_eq!(direct_calls, routed_calls);
        assert!(routed_calls > 10, "one chunk per dispatch: {routed_calls}");
        assert!(direct
            .borrow()
            .events
            .iter()
            .eq(routed.borrow().events.iter()));
        assert_eq!(direct.borrow().frames, routed.borrow().frames);
        assert_eq!(
            routed.borrow().events.iter().last(),
            Some(ClientEvent::Exited {
                reason: &ExitReason::Exit(None)
            })
        );

        let stats = router.stats();
        assert_eq!(stats.ready, routed_calls);
        assert_eq!(stats.finished, 1);
        assert_eq!(router.latency().samples, routed_calls);
        // A token for a finished client is stale, counted, harmless.
        router.on_ready(token, Readiness::READABLE);
        assert_eq!(router.stats().stale, 1);
        let (conn, _) = router.remove(key).unwrap();
        assert_eq!(conn.exit_reason(), Some(&ExitReason::Eof));
        assert!(router.remove(key).is_none());
    }

    #[test]
    fn ops_from_other_threads_run_on_wake() {
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Count::default()));
        let mut router: Router<NullBackend> = Router::new(NullBackend::new());
        let conn = Connection::new(client(), MemoryTransport::new(Vec::new(), 64));
        let key = router.add(conn, Box::new(CountHost(seen))).unwrap();
        let handle = router.handle();
        let t = std::thread::spawn(move || {
            handle
                .submit(key, |c, _h| {
                    let _ = c.config();
                })
                .unwrap();
        });
        t.join().unwrap();
        router.on_wake();
        assert_eq!(router.stats().ops, 1);
        assert_eq!(router.stats().wakes, 1);
    }

    #[test]
    fn held_frames_arm_the_backend_timer() {
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Count::default()));
        let mut router: Router<NullBackend> = Router::new(NullBackend::new());
        let data = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n\
                     %output %0 one\\015\\012\n%output %0 two\\015\\012\n"
            .to_vec();
        let config = ClientConfig::default()
            .with_handshake(false)
            .with_frame_interval(Some(std::time::Duration::from_millis(30)));
        // One line per dispatch: the first frame goes out, the second is held.
        let n = data.len();
        let conn = Connection::new(
            Client::new(config),
            MemoryTransport::chunk_per_ready(data, 1),
        );
        let key = router.add(conn, Box::new(CountHost(seen.clone()))).unwrap();
        let token = Router::<NullBackend>::token(key, Pipe::Output);
        // Every byte, but not the end of file.
        for _ in 0..n {
            router.on_ready(token, Readiness::READABLE);
        }
        assert_eq!(seen.borrow().frames, 1, "second frame held");
        assert!(
            router.backend().timer().is_some(),
            "timer armed for the held frame"
        );
        std::thread::sleep(std::time::Duration::from_millis(40));
        router.on_timer();
        assert_eq!(seen.borrow().frames, 2, "timer delivered the held frame");
        assert_eq!(
            router.timer_deadline(),
            None,
            "no timer re-armed: nothing held"
        );
        let calls = router.backend().calls().set_timer;
        router.on_timer();
        assert_eq!(
            router.backend().calls().set_timer,
            calls,
            "no backend call needed"
        );
        assert_eq!(router.stats().timers, 2);
    }
}

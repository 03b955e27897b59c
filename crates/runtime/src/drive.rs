//! The pump between a sans-I/O [`Client`] and a byte transport, shared by the fd-based drive
//! modes (the built-in loop in [`crate::mio_loop`] and the host loop in [`crate::router`]).
//!
//! A [`Connection`] owns a client, a [`Transport`] and an optional [`Recorder`]. A drive mode
//! tells it which pipe is ready ([`Connection::on_ready`]) or that its deadline passed
//! ([`Connection::on_timer`]); the connection reads, feeds the client, flushes frames, writes
//! what the client queued, and when the stream ends reaps the child and reports the exit to
//! the host. It never blocks: a child that closed its output but has not exited yet is
//! checked on through the connection's deadline and killed after [`REAP_GRACE`], and
//! [`Connection::close`] returns at once, leaving a child that has not exited yet to a
//! background reaper (which kills it after [`REAP_GRACE`] and reaps it).

use std::io;
#[cfg(unix)]
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::events::Host;
use crate::exit::{ExitReason, IoOp};
use crate::record::Recorder;
use crate::transport::{ChildTransport, Pipe};

/// Bytes read per `read` call.
pub const READ_CHUNK: usize = 64 * 1024;
/// Bytes read in one dispatch before yielding to other clients (the rest is read at the
/// next turn; [`Connection::has_pending_read`] says so).
pub const READ_BUDGET: usize = 1024 * 1024;
/// How long a child that closed its output (or whose connection was closed) may take to
/// exit before it is killed.
pub const REAP_GRACE: Duration = Duration::from_millis(500);
/// How often a connection checks on such a child (through its deadline; nothing blocks).
pub const REAP_POLL: Duration = Duration::from_millis(5);

/// Which readiness a drive mode should watch a pipe for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Interest {
    /// Wake when there is something to read.
    pub readable: bool,
    /// Wake when there is room to write.
    pub writable: bool,
}

impl Interest {
    /// Readable only.
    pub const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };
    /// Writable only.
    pub const WRITABLE: Interest = Interest {
        readable: false,
        writable: true,
    };
}

/// What a drive mode saw on a pipe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Readiness {
    /// Readable (or end of file).
    pub readable: bool,
    /// Writable.
    pub writable: bool,
    /// An error or hang-up condition; the connection then reads or writes to learn which.
    pub error: bool,
}

impl Readiness {
    /// Readable only.
    pub const READABLE: Readiness = Readiness {
        readable: true,
        writable: false,
        error: false,
    };
    /// Writable only.
    pub const WRITABLE: Readiness = Readiness {
        readable: false,
        writable: true,
        error: false,
    };
}

/// A byte pipe to tmux for the fd-based drive modes. `Send`, so that a [`Connection`] can
/// move between threads.
///
/// Implemented by [`ChildTransport`] (local tmux and ssh); the `testing` feature adds an
/// in-memory one for benchmarks and tests.
pub trait Transport: Send {
    /// Reads control-stream bytes: `Ok(0)` is end of file, `WouldBlock` is "nothing now".
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes bytes for tmux; `WouldBlock` when full.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// The descriptor a drive mode watches for `pipe`, while open (`None` for in-memory
    /// transports, which are driven by calling [`Connection::on_ready`] directly).
    #[cfg(unix)]
    fn raw_fd(&self, pipe: Pipe) -> Option<RawFd>;
    /// Reads the auxiliary error pipe (a child's stderr); `true` once it is closed.
    fn drain_error(&mut self) -> bool {
        true
    }
    /// Stops writing (closes the input pipe).
    fn close_input(&mut self) {}
    /// Without blocking: whether the transport has fully ended (a child reaped), and why.
    /// Called after the output reached end of file, until it answers.
    fn poll_exit(&mut self) -> Option<ExitReason>;
    /// Ends a child that will not exit by itself (`SIGKILL`), without waiting;
    /// [`Transport::poll_exit`] then reports it once it is gone.
    fn kill(&mut self) {}
    /// Ends the transport for good without blocking and says why the stream ended (as far
    /// as known now). A child still running may take `grace` to exit on its own; then it
    /// is killed. Either way it is reaped, in the background if need be.
    fn finish(&mut self, grace: Duration) -> ExitReason;
}

impl Transport for ChildTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        ChildTransport::read(self, buf)
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        ChildTransport::write(self, buf)
    }
    #[cfg(unix)]
    fn raw_fd(&self, pipe: Pipe) -> Option<RawFd> {
        ChildTransport::raw_fd(self, pipe)
    }
    fn drain_error(&mut self) -> bool {
        self.drain_stderr()
    }
    fn close_input(&mut self) {
        ChildTransport::close_input(self)
    }
    fn poll_exit(&mut self) -> Option<ExitReason> {
        self.close_input();
        self.drain_stderr();
        self.try_reap()?;
        Some(self.finish(Duration::ZERO))
    }
    fn kill(&mut self) {
        ChildTransport::kill(self)
    }
    fn finish(&mut self, grace: Duration) -> ExitReason {
        self.end(grace);
        self.exit_reason()
    }
}

/// Counters kept by a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Bytes read from tmux.
    pub bytes_in: u64,
    /// Bytes written to tmux.
    pub bytes_out: u64,
    /// Successful `read` calls.
    pub reads: u64,
    /// Successful `write` calls.
    pub writes: u64,
}

/// One client over one transport: the unit every fd-based drive mode pumps.
///
/// `Send`: a connection may be built on one thread and driven on another.
pub struct Connection {
    client: Client,
    transport: Box<dyn Transport>,
    recorder: Option<Recorder>,
    buf: Box<[u8]>,
    input_open: bool,
    output_open: bool,
    error_open: bool,
    pending_read: bool,
    /// Whether tmux has spoken yet. Nothing is written before: tmux runs its startup
    /// command (`attach-session`, `new-session`) and may read stdin commands before that
    /// command has attached the client ("no current client"), so the client's handshake
    /// waits for the startup command's reply, the first bytes tmux writes.
    heard: bool,
    /// Output ended, child not reaped yet: when to give up waiting and kill it (or, once
    /// killed, to stop waiting and leave it to the background reaper).
    reap_by: Option<Instant>,
    /// The lingering child has been killed.
    killed: bool,
    /// Output ended: when to check on the child next.
    reap_poll: Option<Instant>,
    finished: Option<ExitReason>,
    /// A read failed: the stream ended for this reason, whatever the child says.
    read_error: Option<ExitReason>,
    stats: ConnectionStats,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("client", &self.client)
            .field("finished", &self.finished)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Pairs a client with a transport. Allocates the 64 KiB read buffer once.
    pub fn new(client: Client, transport: impl Transport + 'static) -> Self {
        Connection {
            client,
            transport: Box::new(transport),
            recorder: None,
            buf: vec![0u8; READ_CHUNK].into_boxed_slice(),
            input_open: true,
            output_open: true,
            error_open: true,
            pending_read: false,
            heard: false,
            reap_by: None,
            killed: false,
            reap_poll: None,
            finished: None,
            read_error: None,
            stats: ConnectionStats::default(),
        }
    }

    /// Writes every byte read from tmux to `recorder` as well (`--record FILE`).
    pub fn with_recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// The client, for reading state.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client, for operations. Call [`Connection::flush_writes`] afterwards (the drive
    /// modes do this after every operation they run).
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The recorder, if any.
    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// Counters.
    pub fn stats(&self) -> ConnectionStats {
        self.stats
    }

    /// Whether the stream has ended and every resource (pipes, child process) is released.
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// Why the transport ended, once finished: the child's exit status and standard error,
    /// a failed read, or [`ExitReason::ClosedByHost`]. When tmux said `%exit` first, the
    /// client's [`crate::ClientEvent::Exited`] carried that reason; this is the transport's
    /// side.
    pub fn exit_reason(&self) -> Option<&ExitReason> {
        self.finished.as_ref()
    }

    /// Whether a read stopped at [`READ_BUDGET`] with more possibly waiting: the drive mode
    /// should call [`Connection::on_ready`] for [`Pipe::Output`] again soon (edge-triggered
    /// backends would not report it again).
    pub fn has_pending_read(&self) -> bool {
        self.pending_read && !self.is_finished()
    }

    /// The descriptor to watch for `pipe` and with which interest, or `None` when it should
    /// not be watched now. The input pipe is watched only while a write is blocked.
    #[cfg(unix)]
    pub fn watch(&self, pipe: Pipe) -> Option<(RawFd, Interest)> {
        if self.is_finished() {
            return None;
        }
        let fd = self.transport.raw_fd(pipe)?;
        match pipe {
            Pipe::Output if self.output_open => Some((fd, Interest::READABLE)),
            Pipe::Error if self.error_open => Some((fd, Interest::READABLE)),
            Pipe::Input if self.input_open && self.heard && self.client.wants_write() => {
                Some((fd, Interest::WRITABLE))
            }
            _ => None,
        }
    }

    /// A small value that changes whenever [`Connection::watch`] would answer differently
    /// for some pipe: the router compares it to skip re-syncing watches after a dispatch.
    pub(crate) fn watch_signature(&self) -> u8 {
        (self.is_finished() as u8)
            | (self.output_open as u8) << 1
            | (self.error_open as u8) << 2
            | ((self.input_open && self.heard && self.client.wants_write()) as u8) << 3
            | (self.reap_poll.is_some() as u8) << 4
    }

    /// When [`Connection::on_timer`] should run next.
    pub fn deadline(&self) -> Option<Instant> {
        if self.is_finished() {
            None
        } else if self.reap_poll.is_some() {
            self.reap_poll
        } else {
            self.client.poll_timeout()
        }
    }

    /// Whether the output ended and the connection waits (without blocking) for the child to
    /// exit; [`Connection::deadline`] then says when to look again.
    pub fn is_reaping(&self) -> bool {
        self.reap_poll.is_some() && !self.is_finished()
    }

    /// Handles readiness on one pipe: reads (feeding the client and flushing frames),
    /// writes, or drains stderr; finishes the connection when the stream ended.
    pub fn on_ready(&mut self, pipe: Pipe, ready: Readiness, now: Instant, host: &mut dyn Host) {
        if self.is_finished() {
            return;
        }
        match pipe {
            Pipe::Output => {
                if ready.readable || ready.error {
                    self.read_available(now, host);
                }
            }
            Pipe::Input => {
                if ready.writable || ready.error {
                    self.flush_writes();
                }
            }
            Pipe::Error => {
                if ready.readable || ready.error {
                    self.drain_error();
                }
            }
        }
        if !self.output_open && self.reap_poll.is_none() {
            self.begin_reap(now, host);
        }
    }

    /// Runs the client's timers when due, then writes what they queued. While reaping, checks
    /// on the child (and kills it once [`REAP_GRACE`] has passed).
    pub fn on_timer(&mut self, now: Instant, host: &mut dyn Host) {
        if self.is_finished() {
            return;
        }
        if self.reap_poll.is_some() {
            if self.reap_poll.is_some_and(|t| t <= now) {
                self.poll_reap(now, host);
            }
            return;
        }
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.on_timeout(now, host);
        }
        self.flush_writes();
    }

    /// Writes as much of the client's outgoing bytes as the transport takes now. Returns
    /// whether everything was written. A broken input pipe drops what is queued (the exit is
    /// reported when the output ends).
    ///
    /// Nothing is written before tmux's first bytes arrived (the reply to its startup
    /// command): until then this returns `false` and the bytes stay queued.
    pub fn flush_writes(&mut self) -> bool {
        if !self.heard && self.input_open {
            return !self.client.wants_write();
        }
        while self.client.wants_write() {
            if !self.input_open {
                let n = self.client.outgoing().len();
                self.client.consume_outgoing(n);
                return true;
            }
            match self.transport.write(self.client.outgoing()) {
                Ok(0) => return false,
                Ok(n) => {
                    self.stats.bytes_out += n as u64;
                    self.stats.writes += 1;
                    self.client.consume_outgoing(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.input_open = false;
                    self.transport.close_input();
                }
            }
        }
        true
    }

    /// Ends the connection from the host's side, without blocking: closes the pipes (tmux
    /// then ends control mode), reaps the child if it has exited, else leaves it to a
    /// background reaper that kills it after [`REAP_GRACE`] and reaps it; reports
    /// [`ExitReason::ClosedByHost`] unless the client already closed.
    /// When this returns the connection holds nothing: pipes closed, buffers freed, and a
    /// child still running belongs to the reaper.
    pub fn close(&mut self, now: Instant, host: &mut dyn Host) {
        if self.is_finished() {
            return;
        }
        self.input_open = false;
        self.transport.close_input();
        let _ = self.transport.finish(REAP_GRACE);
        self.output_open = false;
        self.release(ExitReason::ClosedByHost, now, host);
    }

    fn read_available(&mut self, now: Instant, host: &mut dyn Host) {
        let mut total = 0usize;
        self.pending_read = false;
        loop {
            match self.transport.read(&mut self.buf) {
                Ok(0) => {
                    self.output_open = false;
                    break;
                }
                Ok(n) => {
                    total += n;
                    self.heard = true;
                    self.stats.bytes_in += n as u64;
                    self.stats.reads += 1;
                    let chunk = &self.buf[..n];
                    if let Some(r) = self.recorder.as_mut() {
                        r.record(chunk);
                    }
                    self.client.receive(chunk, now, host);
                    if total >= READ_BUDGET {
                        self.pending_read = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.read_error = Some(ExitReason::transport(IoOp::Read, &e));
                    self.output_open = false;
                    break;
                }
            }
        }
        if total > 0 {
            self.client.flush_frames(now, host);
            // A record is for bug reports: keep it current in case the process dies.
            if let Some(r) = self.recorder.as_mut() {
                r.flush();
            }
        }
        // Replies may have queued commands (handshake steps, re-captures).
        self.flush_writes();
    }

    fn drain_error(&mut self) {
        if self.transport.drain_error() {
            self.error_open = false;
        }
    }

    /// The output ended: stop writing, and finish now if the child is already gone, else
    /// look again shortly (never blocking the loop).
    fn begin_reap(&mut self, now: Instant, host: &mut dyn Host) {
        self.input_open = false;
        self.pending_read = false;
        self.transport.close_input();
        match self.transport.poll_exit() {
            Some(reason) => self.release(reason, now, host),
            None => {
                self.reap_by = Some(now + REAP_GRACE);
                self.reap_poll = Some(now + REAP_POLL);
            }
        }
    }

    fn poll_reap(&mut self, now: Instant, host: &mut dyn Host) {
        if let Some(reason) = self.transport.poll_exit() {
            return self.release(reason, now, host);
        }
        if self.reap_by.is_some_and(|t| t <= now) {
            if !self.killed {
                // It closed its output but will not exit: kill it, and look again soon
                // (a killed process is gone within moments).
                self.transport.kill();
                self.killed = true;
                self.reap_by = Some(now + REAP_GRACE);
            } else {
                // Not even killing ended it yet: finish now; the reaper takes over.
                let reason = self.transport.finish(Duration::ZERO);
                return self.release(reason, now, host);
            }
        }
        self.reap_poll = Some(now + REAP_POLL);
    }

    fn release(&mut self, reason: ExitReason, now: Instant, host: &mut dyn Host) {
        let reason = self.read_error.take().unwrap_or(reason);
        self.error_open = false;
        self.pending_read = false;
        self.reap_poll = None;
        self.reap_by = None;
        if let Some(r) = self.recorder.as_mut() {
            r.flush();
        }
        if !self.client.is_closed() {
            self.client.flush_frames(now, host);
            self.client.on_eof(reason.clone(), host);
        }
        // The buffer is no longer needed; keep the allocation small after the end.
        self.buf = Box::new([]);
        self.finished = Some(reason);
    }
}

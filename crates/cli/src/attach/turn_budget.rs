//! A bound on how much tmux output one turn of the loop reads.
//!
//! The connection reads until its pipe is empty or a megabyte has been read. Under a flood
//! the pipe is never empty, so a turn would parse and emulate a megabyte (milliseconds)
//! before the loop looks at the terminal again or draws: a key typed meanwhile would wait
//! for it, and so would the echo that arrived in the turn's first read. This transport ends
//! a turn's reading after [`TURN_BYTES`] by answering "would block", and says so (a flag the
//! loop reads), so that the loop comes back at once for the rest: mio is edge-triggered and
//! would not report the bytes already waiting again. (Atomics only so that the transport
//! stays `Send`; one thread uses them.)

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use muxlink_runtime::drive::Transport;
use muxlink_runtime::transport::{ChildTransport, Pipe};
use muxlink_runtime::ExitReason;

/// tmux output read per turn at most: four reads of a full pipe, a fraction of a
/// millisecond of work.
pub(super) const TURN_BYTES: usize = 64 * 1024;

/// Shared between the loop and the transport: bytes read this turn, and whether the budget
/// stopped a read.
#[derive(Debug, Default)]
pub(super) struct TurnBudget {
    read: AtomicUsize,
    stopped: AtomicBool,
}

impl TurnBudget {
    /// A new turn: the budget is whole again. Returns whether the last turn stopped early
    /// (the pipe holds more: read it without waiting).
    pub(super) fn next_turn(&self) -> bool {
        self.read.store(0, Ordering::Relaxed);
        self.stopped.swap(false, Ordering::Relaxed)
    }

    /// Whether reading stopped early this turn.
    pub(super) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

/// A [`ChildTransport`] whose reads stop at the turn's budget.
pub(super) struct Budgeted {
    inner: ChildTransport,
    budget: Arc<TurnBudget>,
}

impl Budgeted {
    pub(super) fn new(inner: ChildTransport, budget: Arc<TurnBudget>) -> Budgeted {
        shrink_output_pipe(&inner);
        Budgeted { inner, budget }
    }
}

impl Transport for Budgeted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let used = self.budget.read.load(Ordering::Relaxed);
        if used >= TURN_BYTES {
            self.budget.stopped.store(true, Ordering::Relaxed);
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = self.inner.read(buf)?;
        self.budget.read.store(used + n, Ordering::Relaxed);
        Ok(n)
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn raw_fd(&self, pipe: Pipe) -> Option<RawFd> {
        self.inner.raw_fd(pipe)
    }
    fn drain_error(&mut self) -> bool {
        Transport::drain_error(&mut self.inner)
    }
    fn close_input(&mut self) {
        Transport::close_input(&mut self.inner)
    }
    fn poll_exit(&mut self) -> Option<ExitReason> {
        Transport::poll_exit(&mut self.inner)
    }
    fn kill(&mut self) {
        Transport::kill(&mut self.inner)
    }
    fn finish(&mut self, grace: Duration) -> ExitReason {
        Transport::finish(&mut self.inner, grace)
    }
}

/// The least output pipe Linux gives (a page).
#[cfg(target_os = "linux")]
const PIPE_BYTES: usize = 4096;

/// Makes the pipe tmux writes its output to as small as the system allows. tmux shares
/// its output among panes fairly before it writes (`control.c`), but the pipe is first in,
/// first out: a full 64 KiB pipe of another pane's flood holds back an echo by as much.
/// With a page, the flood waits inside tmux and the echo takes its turn there. Best
/// effort: elsewhere, or when refused, the pipe stays as it is.
fn shrink_output_pipe(t: &ChildTransport) {
    #[cfg(target_os = "linux")]
    if let Some(fd) = t.fd(Pipe::Output) {
        let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_BYTES);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = t;
}

//! Helpers for tests and benchmarks (the `testing` cargo feature): a transport that replays
//! bytes from memory and a backend that watches nothing, both counting what they are asked.
//! Not part of the API a host builds on.

use std::io;
#[cfg(unix)]
use std::os::fd::RawFd;
use std::time::Duration;

use crate::backend::{Backend, Interest, RemoteWaker, Token};
use crate::drive::Transport;
use crate::exit::ExitReason;
use crate::transport::Pipe;

/// A transport that replays bytes from memory in fixed chunks and discards what is written.
///
/// Used to measure the drive path without a process or a kernel pipe (the router benchmark)
/// and in unit tests. It has no descriptors: drive it by calling [`crate::drive::Connection::on_ready`].
#[derive(Debug, Clone)]
pub struct MemoryTransport {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
    written: u64,
    one_chunk_per_ready: bool,
    blocked: bool,
}

impl MemoryTransport {
    /// Serves `data`, at most `chunk` bytes per read (at least 1), then end of file. One
    /// readiness dispatch reads everything (up to [`crate::drive::READ_BUDGET`]).
    pub fn new(data: Vec<u8>, chunk: usize) -> Self {
        MemoryTransport {
            data,
            pos: 0,
            chunk: chunk.max(1),
            written: 0,
            one_chunk_per_ready: false,
            blocked: false,
        }
    }

    /// Like [`MemoryTransport::new`], but like a pipe that a writer fills one `chunk` at a
    /// time: each chunk is followed by one `WouldBlock`, so every readiness dispatch reads
    /// exactly one chunk (what the router benchmark counts as a dispatch).
    pub fn chunk_per_ready(data: Vec<u8>, chunk: usize) -> Self {
        MemoryTransport {
            one_chunk_per_ready: true,
            ..Self::new(data, chunk)
        }
    }

    /// Bytes the client wrote.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
}

impl Transport for MemoryTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.blocked {
            self.blocked = false;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.blocked = self.one_chunk_per_ready;
        let n = buf.len().min(self.chunk).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len() as u64;
        Ok(buf.len())
    }
    #[cfg(unix)]
    fn raw_fd(&self, _pipe: Pipe) -> Option<RawFd> {
        None
    }
    fn poll_exit(&mut self) -> Option<ExitReason> {
        Some(ExitReason::Eof)
    }
    fn finish(&mut self, _grace: Duration) -> ExitReason {
        ExitReason::Eof
    }
}

/// How often the router called each backend function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackendCalls {
    /// `watch_fd` calls.
    pub watch: u64,
    /// `unwatch_fd` calls.
    pub unwatch: u64,
    /// `set_timer` calls.
    pub set_timer: u64,
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

//! Host-fed bytes: no process, no descriptors. The host reads the control stream itself
//! (typically from the PTY where the user typed `tmux -CC`) and calls [`HostFed::feed`];
//! muxlink hands back the bytes for tmux through the host's write callback.
//!
//! For a host PTY stream, make the client with `ClientConfig::default().with_host_stream(true)`:
//! bytes outside control mode come back as [`crate::ClientEvent::Passthrough`], and a DCS
//! `1000p` is reported as [`crate::ClientEvent::ControlModeRequested`]. Any program can print
//! that sequence, so the host decides: [`HostFed::accept_control_mode`] or
//! [`HostFed::decline_control_mode`], after the `feed` call that reported it returns.

use std::time::Instant;

use crate::client::Client;
use crate::events::Host;
use crate::exit::ExitReason;
use crate::record::Recorder;

/// The host's write callback: it gets bytes for tmux and returns how many it took (the rest
/// is offered again at the next flush). Borrowed for the call only. The host does the
/// writing, so `SIGPIPE` is its concern: a PTY whose other side is gone gives `EIO`, but a
/// pipe or socket raises `SIGPIPE` unless the host ignores it or sends with `MSG_NOSIGNAL`.
pub type WriteFn = Box<dyn FnMut(&[u8]) -> usize + Send>;

/// A client driven by bytes the host feeds. `Send`, like the client.
pub struct HostFed {
    client: Client,
    write: WriteFn,
    recorder: Option<Recorder>,
    /// Whether the host fed anything yet: nothing is written before (see
    /// [`HostFed::new`]).
    heard: bool,
}

impl std::fmt::Debug for HostFed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFed")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl HostFed {
    /// Wraps `client`; `write` receives every byte the client sends to tmux.
    ///
    /// Nothing is written before the first bytes are fed: tmux may read commands before its
    /// startup command (`attach-session`) has attached the client, so the handshake a plain
    /// `tmux -C` client queued waits for tmux to speak first.
    pub fn new(client: Client, write: impl FnMut(&[u8]) -> usize + Send + 'static) -> Self {
        HostFed {
            client,
            write: Box::new(write),
            recorder: None,
            heard: false,
        }
    }

    /// Writes every fed byte to `recorder` as well (`--record FILE`).
    pub fn with_recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// The client, for reading state.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client, for operations; call [`HostFed::flush`] afterwards, or use
    /// [`HostFed::apply`], which does.
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Runs an operation on the client and writes what it queued.
    pub fn apply<R>(&mut self, f: impl FnOnce(&mut Client) -> R) -> R {
        let r = f(&mut self.client);
        self.flush();
        r
    }

    /// Bytes the host read: decoded, frames flushed to `host`, replies written back.
    pub fn feed(&mut self, bytes: &[u8], now: Instant, host: &mut dyn Host) {
        if let Some(r) = self.recorder.as_mut() {
            r.record(bytes);
        }
        self.heard |= !bytes.is_empty();
        self.client.receive(bytes, now, host);
        self.client.flush_frames(now, host);
        self.flush();
    }

    /// Offers the client's outgoing bytes to the write callback until it takes none or all
    /// are written (once tmux has spoken). Returns whether nothing is left.
    pub fn flush(&mut self) -> bool {
        if !self.heard {
            return !self.client.wants_write();
        }
        while self.client.wants_write() {
            let n = (self.write)(self.client.outgoing());
            if n == 0 {
                return false;
            }
            self.client.consume_outgoing(n);
        }
        true
    }

    /// Host stream: enter control mode after [`crate::ClientEvent::ControlModeRequested`].
    /// The bytes held back since the DCS are processed now (events and frames to `host`)
    /// and the handshake is written.
    pub fn accept_control_mode(&mut self, now: Instant, host: &mut dyn Host) {
        self.client.accept_control_mode(now, host);
        self.client.flush_frames(now, host);
        self.flush();
    }

    /// Host stream: refuse control mode; the DCS and what follows come back to `host` as
    /// [`crate::ClientEvent::Passthrough`].
    pub fn decline_control_mode(&mut self, now: Instant, host: &mut dyn Host) {
        self.client.decline_control_mode(now, host);
        self.flush();
    }

    /// When [`HostFed::on_timeout`] should be called (frame interval, flow control), if at
    /// all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }

    /// The host's timer for [`HostFed::poll_timeout`] fired.
    pub fn on_timeout(&mut self, now: Instant, host: &mut dyn Host) {
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.on_timeout(now, host);
        }
        self.flush();
    }

    /// The host's stream ended (PTY closed, program exited): the client reports
    /// [`crate::ClientEvent::Exited`] with `reason` unless it already closed, and frees
    /// everything.
    pub fn on_eof(&mut self, reason: ExitReason, now: Instant, host: &mut dyn Host) {
        if let Some(r) = self.recorder.as_mut() {
            r.flush();
        }
        if !self.client.is_closed() {
            self.client.flush_frames(now, host);
            self.client.on_eof(reason, host);
        }
    }

    /// Whether the client has closed.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

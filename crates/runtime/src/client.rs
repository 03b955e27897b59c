//! The sans-I/O client: bytes in, bytes out, events and frames to the host.

use std::time::Instant;

use muxlink_proto::{EnterPolicy, PaneId, Parser, ParserConfig};

use crate::config::ClientConfig;
use crate::core::Core;
use crate::events::{ClientEvent, Host};
use crate::exit::ExitReason;
use crate::frame::Frame;
use crate::model::Model;

/// The client: one control-mode connection to one tmux server. `Send`: it may move between
/// threads, but is used from one at a time.
pub struct Client {
    parser: Parser,
    pub(crate) core: Core,
    /// Host stream: bytes left over after a DCS that waits for the host's decision.
    held: Vec<u8>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("closed", &self.core.closed)
            .field("pending", &self.core.outbox.pending())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client in its initial state. For plain `tmux -C` input (`host_stream` off) control
    /// mode is taken as started: the handshake commands are queued at once (tmux reads them
    /// after its startup command), so [`Client::outgoing`] is not empty.
    pub fn new(config: ClientConfig) -> Self {
        let parser = Parser::with_config(ParserConfig {
            host_stream: config.host_stream,
            enter_policy: EnterPolicy::Ask,
            ..ParserConfig::default()
        });
        let mut core = Core::new(config);
        if !core.config.host_stream {
            core.control_mode_started();
        }
        Client {
            parser,
            core,
            held: Vec::new(),
        }
    }

    /// The configuration this client was made with (the size follows
    /// [`Client::set_client_size`]).
    pub fn config(&self) -> &ClientConfig {
        &self.core.config
    }

    /// Feeds bytes read from tmux's stdout (or from the host's PTY stream). Events are
    /// delivered to `host` during the call; frames wait for [`Client::flush_frames`]. Costs
    /// no allocation per line once buffers are warm.
    pub fn receive(&mut self, bytes: &[u8], now: Instant, host: &mut dyn Host) {
        if self.core.closed {
            return;
        }
        if self.parser.enter_pending() {
            self.held.extend_from_slice(bytes);
            return;
        }
        self.feed(bytes, now, host);
    }

    fn feed(&mut self, mut bytes: &[u8], _now: Instant, host: &mut dyn Host) {
        loop {
            let core = &mut self.core;
            let used = self.parser.feed(bytes, |ev| core.on_event(ev, host));
            bytes = &bytes[used.min(bytes.len())..];
            if !self.parser.enter_pending() {
                return;
            }
            host.on_event(&ClientEvent::ControlModeRequested);
            if self.core.config.auto_accept_control_mode {
                let core = &mut self.core;
                self.parser.accept_enter(|ev| core.on_event(ev, host));
                self.core.control_mode_started();
                continue;
            }
            self.held.extend_from_slice(bytes);
            return;
        }
    }

    /// Ends a batch: one frame per pane that changed since its last frame (pushed frames,
    /// subject to `frame_interval`), or a [`ClientEvent::FrameReady`] per pane with something
    /// new to pull (pulled frames). Call after each read (or group of reads); the drive modes
    /// do.
    pub fn flush_frames(&mut self, now: Instant, host: &mut dyn Host) {
        self.core.flush_frames(now, host);
    }

    /// Pulled frames: the pane's render state, with every row dirtied since its last pull
    /// (all of them when it is new, resized or rebuilt), however many batches arrived
    /// meanwhile; the cursor, modes and title as they are now. Valid until the next call that
    /// borrows the client mutably. `None` for an unknown pane or one without an emulator
    /// (bytes mode). Allocates nothing once warm. (With pushed frames it returns what changed
    /// since the last frame.)
    pub fn pull_frame(&mut self, pane: PaneId) -> Option<Frame<'_>> {
        self.core.pull_frame(pane)
    }

    /// Bytes waiting to be written to tmux's stdin (or the host's PTY).
    pub fn outgoing(&self) -> &[u8] {
        self.core.outbox.bytes()
    }

    /// Marks the first `n` bytes of [`Client::outgoing`] as written.
    pub fn consume_outgoing(&mut self, n: usize) {
        self.core.outbox.consume(n);
    }

    /// Whether there is anything to write.
    pub fn wants_write(&self) -> bool {
        !self.core.outbox.bytes().is_empty()
    }

    /// When [`Client::on_timeout`] should be called next, if at all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.poll_timeout()
    }

    /// Called by the drive mode when [`Client::poll_timeout`] has passed: sends held frames.
    pub fn on_timeout(&mut self, now: Instant, host: &mut dyn Host) {
        self.core.flush_frames(now, host);
    }

    /// The transport ended (pipe closed, process died, ssh died, read error). Frees every pane
    /// and pending command and reports [`ClientEvent::Exited`] once.
    pub fn on_eof(&mut self, reason: ExitReason, host: &mut dyn Host) {
        self.core.close(reason, host);
        self.held = Vec::new();
    }

    /// Whether the client has closed (after `%exit` of a plain `tmux -C` stream, or
    /// [`Client::on_eof`]). Once closed it ignores input and queues nothing.
    pub fn is_closed(&self) -> bool {
        self.core.closed
    }

    /// Host stream: start control mode after [`ClientEvent::ControlModeRequested`], then
    /// process the bytes that were held back.
    pub fn accept_control_mode(&mut self, now: Instant, host: &mut dyn Host) {
        if !self.parser.enter_pending() {
            return;
        }
        let core = &mut self.core;
        self.parser.accept_enter(|ev| core.on_event(ev, host));
        self.core.control_mode_started();
        let held = std::mem::take(&mut self.held);
        self.feed(&held, now, host);
    }

    /// Host stream: refuse control mode; the DCS and what follows are passed through.
    pub fn decline_control_mode(&mut self, now: Instant, host: &mut dyn Host) {
        if !self.parser.enter_pending() {
            return;
        }
        let core = &mut self.core;
        self.parser.refuse_enter(|ev| core.on_event(ev, host));
        let held = std::mem::take(&mut self.held);
        self.feed(&held, now, host);
    }

    /// The session model.
    pub fn state(&self) -> &Model {
        &self.core.model
    }
}

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
            // A reply body (a capture, a listing) is bounded by the budget as well.
            max_block_len: (config.memory_budget / 4).clamp(1 << 20, 64 << 20),
            // Grid mode: the emulators read `%output` data as tmux escaped it, in one pass
            // (`PaneEmu::feed_escaped`); bytes mode hands the host unescaped bytes.
            output_escaped: config.output_mode == crate::OutputMode::Grid,
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
    #[inline]
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

    /// Hands the parser the fences of every fenced line queued since the last feed: their
    /// replies can only be in bytes read after they were written, which is after the call
    /// that queued them returned.
    fn expect_fences(&mut self) {
        for plan in self.core.outbox.take_plans() {
            self.parser.expect_fences(plan);
        }
    }

    fn feed(&mut self, mut bytes: &[u8], _now: Instant, host: &mut dyn Host) {
        loop {
            self.expect_fences();
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
    /// do. The end of a batch also starts the quiet spell after which a tmux that was behind
    /// is nudged (see [`Client::on_timeout`]).
    #[inline]
    pub fn flush_frames(&mut self, now: Instant, host: &mut dyn Host) {
        self.core.batch_ended(now);
        self.core.flush_frames(now, host);
    }

    /// Pulled frames: the pane's render state, with every row dirtied since its last pull
    /// (all of them when it is new, resized or rebuilt), however many batches arrived
    /// meanwhile; the cursor, modes and title as they are now. Valid until the next call that
    /// borrows the client mutably. `None` for an unknown pane or one without an emulator
    /// (bytes mode). Allocates nothing once warm. (With pushed frames it returns what changed
    /// since the last frame.)
    #[inline]
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

    /// The width the server's tmux gives code point `cp`: its release's table, the widths of
    /// the server's platform where they differ from it ([`Model::platform_widths`]) and the
    /// server's `codepoint-widths` on top; 0, 1, 2, or
    /// [`muxlink_term::width_tables::DROPPED`] (tmux discards the character). What grid mode
    /// gives its emulators, for a bytes-mode host to give its own (after
    /// [`ClientEvent::PlatformWidths`] and whenever the width options change). `None` until
    /// the release is known (the attach handshake; never in a replay). A table lookup.
    pub fn char_width(&self, cp: u32) -> Option<u8> {
        self.core.char_width(cp)
    }

    /// When [`Client::on_timeout`] should be called next, if at all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.core.poll_timeout(), self.core.nudge_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Called by the drive mode when [`Client::poll_timeout`] has passed: sends held frames,
    /// and nudges a tmux that went quiet while behind (a command whose reply makes it flush
    /// notifications it held back; see `core/stall.rs`).
    pub fn on_timeout(&mut self, now: Instant, host: &mut dyn Host) {
        self.core.nudge_if_due(now);
        self.core.flush_frames(now, host);
    }

    /// The transport ended (pipe closed, process died, ssh died, read error). Frees every pane
    /// and pending command and reports [`ClientEvent::Exited`] once.
    ///
    /// A line cut off by the end is reported ([`ClientEvent::ProtocolError`]), and so is a
    /// reply block left open. The lines of an open fenced capture are dropped unread, except
    /// a `%exit` after the capture's last terminator (a server that died during a pane
    /// sync): its reason is kept (see `crates/proto/FRAMING.md`).
    pub fn on_eof(&mut self, reason: ExitReason, host: &mut dyn Host) {
        if !self.core.closed {
            let core = &mut self.core;
            self.parser.finish(|ev| core.on_event(ev, host));
        }
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
    #[inline]
    pub fn state(&self) -> &Model {
        &self.core.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::NoopHost;

    /// Records the model touches to open `n` windows of two panes, change each one's
    /// layout, and close them all.
    fn visits_for(n: u32) -> u64 {
        let mut c = Client::new(ClientConfig::replay().with_output_mode(crate::OutputMode::Bytes));
        let now = Instant::now();
        let mut s = Vec::new();
        for w in 0..n {
            let (a, b) = (2 * w, 2 * w + 1);
            for l in [
                format!("0000,80x24,0,0{{40x24,0,0,{a},39x24,41,0,{b}}}"),
                format!("0000,80x24,0,0[80x12,0,0,{a},80x11,0,13,{b}]"),
            ] {
                use muxlink_proto::layout::Layout;
                let p = Layout::parse_unchecked(l.as_bytes()).unwrap();
                let l = Layout::new(p.root, p.floating).to_string();
                s.extend_from_slice(format!("%layout-change @{w} {l} {l} *\n").as_bytes());
            }
        }
        for w in 0..n {
            s.extend_from_slice(format!("%window-close @{w}\n").as_bytes());
        }
        c.receive(&s, now, &mut NoopHost);
        assert!(c.state().windows.is_empty() && c.state().panes.is_empty());
        c.core.model.visits
    }

    #[test]
    fn layout_changes_and_closes_cost_their_window_not_the_model() {
        let small = visits_for(1000);
        let large = visits_for(4000);
        // Linear: four times the windows, four times the work (a scan of every pane per
        // change would make it sixteen).
        assert!(large <= 4 * small + 100, "{small} -> {large}");
        assert!(small >= 1000, "{small}: the count counts");
    }
}

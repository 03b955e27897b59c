//! The sans-I/O client core: bytes in, bytes out, frames and events to the host.

use std::time::{Duration, Instant};

use muxlink_proto::{EnterPolicy, PaneId, Parser, ParserConfig, SessionId, WindowId};

use crate::core::Core;
use crate::frame::Frame;
use crate::model::Model;

/// How pane output reaches the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputMode {
    /// muxlink emulates every pane and hands the host frames of dirty rows.
    #[default]
    Grid,
    /// The host has its own emulator: it gets each pane's unescaped bytes
    /// ([`Host::on_pane_bytes`]) and rebuild sequences ([`Host::on_pane_reset`]).
    Bytes,
}

/// Settings for one client. `Default` gives an 80x24 grid-mode client with tmux's history
/// limit, no flow control, read-write, plain `tmux -C` input and the attach handshake on.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The client size sent with `refresh-client -C` after attach (unless read-only).
    pub cols: u16,
    /// See `cols`.
    pub rows: u16,
    /// Grid or bytes mode.
    pub output_mode: OutputMode,
    /// `refresh-client -f pause-after=N` (seconds, tmux 3.2+); `None` leaves flow control off.
    pub pause_after: Option<u32>,
    /// Observer: attaches with `ignore-size,read-only`, never sets a size, types nothing.
    pub read_only: bool,
    /// Scrollback lines captured per pane on attach, and kept by panes whose own
    /// `history-limit` is unknown (replay). Synced panes keep what tmux keeps for them.
    /// tmux's default is 2000.
    pub history_limit: usize,
    /// Input is a host PTY stream in which control mode starts at DCS `1000p`
    /// (`tmux -CC`); bytes outside it are handed back as [`ClientEvent::Passthrough`].
    pub host_stream: bool,
    /// Run the attach handshake (version, flags, list-*, capture of every pane) as soon as
    /// control mode starts. Off for `replay`, which only decodes a recorded stream.
    pub handshake: bool,
    /// In a host stream, start control mode without asking the host first
    /// ([`ClientEvent::ControlModeRequested`] is still reported).
    pub auto_accept_control_mode: bool,
    /// Keep the session model (and emulators) after the client closes, so the final state
    /// can still be read (`muxlink replay`). Off: closing frees every pane.
    pub keep_state_on_exit: bool,
    /// On `%pause`, resume the pane at once (`refresh-client -A '%P:continue'` and a
    /// re-capture) instead of waiting for [`Client::resume_pane`].
    pub auto_resume: bool,
    /// Minimum time between two frames of the same pane; `None` sends frames at every
    /// [`Client::flush_frames`]. When set, [`Client::poll_timeout`] reports when the held
    /// frames are due; frames still held when the client closes are sent before
    /// [`ClientEvent::Exited`].
    pub frame_interval: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            cols: 80,
            rows: 24,
            output_mode: OutputMode::Grid,
            pause_after: None,
            read_only: false,
            history_limit: 2000,
            host_stream: false,
            handshake: true,
            auto_accept_control_mode: false,
            auto_resume: false,
            keep_state_on_exit: false,
            frame_interval: None,
        }
    }
}

/// Why the client closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// tmux sent `%exit`, with its reason when it gave one (`detached`, `server exited`, ...).
    Exit(Option<String>),
    /// tmux refused the command it was started with (`attach-session`, `new-session`) and
    /// exited: tmux's own message (`no sessions`, `can't find session: x`, ...).
    Refused(String),
    /// The transport reached end of file without `%exit` (pipe closed).
    Eof,
    /// The child process (tmux or ssh) ended; its exit code when it had one.
    ProcessExited(Option<i32>),
    /// Reading or writing failed.
    Transport(String),
}

impl std::fmt::Display for ExitReason {
    /// One line for a person: tmux's own words when it gave some.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::Exit(Some(s)) | ExitReason::Refused(s) | ExitReason::Transport(s) => {
                f.write_str(s)
            }
            ExitReason::Exit(None) => f.write_str("tmux exited"),
            ExitReason::Eof => f.write_str("the control stream ended"),
            ExitReason::ProcessExited(Some(c)) => write!(f, "tmux exited with status {c}"),
            ExitReason::ProcessExited(None) => f.write_str("tmux was killed"),
        }
    }
}

/// A number the client gives each command it queues, in send order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandId(pub u64);

/// A reply as a raw-command callback sees it. Borrowed for the callback only.
#[derive(Debug, Clone, Copy)]
pub struct ReplyOutcome<'a> {
    /// `%end` (true) or `%error` (false).
    pub ok: bool,
    /// The body lines joined with `\n`.
    pub body: &'a [u8],
}

impl<'a> ReplyOutcome<'a> {
    /// The body lines (none for an empty body).
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let body = self.body;
        let empty = body.is_empty();
        let mut it = body.split(|&b| b == b'\n');
        std::iter::from_fn(move || if empty { None } else { it.next() })
    }
}

/// Called once with the reply to a [`Client::raw_command`] (or not at all if the client closes
/// first).
pub type ReplyCallback = Box<dyn FnOnce(&ReplyOutcome<'_>)>;

/// Something the host may want to know. Borrowed data is valid during the call only.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent<'a> {
    /// Host stream: a DCS `1000p` was seen. Any program can print it, so the host decides:
    /// [`Client::accept_control_mode`] or [`Client::decline_control_mode`].
    ControlModeRequested,
    /// Host stream: control mode ended (`ESC \` after `%exit`).
    ControlModeLeft,
    /// Host stream: bytes outside control mode, untouched.
    Passthrough(&'a [u8]),
    /// The attach handshake finished: the model and every pane equal tmux's.
    Ready,
    /// tmux is older than 3.2: flow control, client flags and per-window sizes are off, and
    /// renumbering that sends no notification (`swap-window`, `move-window -r`) reaches
    /// [`crate::Window::index`] only with the next notification that makes the client list
    /// the windows.
    Degraded {
        /// The version tmux reported.
        version: &'a str,
        /// What is missing.
        message: &'a str,
    },
    /// This client is now attached to this session.
    SessionChanged {
        /// The session.
        session: SessionId,
    },
    /// Sessions were created or destroyed.
    SessionsChanged,
    /// A session was renamed.
    SessionRenamed {
        /// The session.
        session: SessionId,
    },
    /// A window appeared in the attached session.
    WindowAdded {
        /// The window.
        window: WindowId,
    },
    /// A window closed; its panes are gone.
    WindowClosed {
        /// The window.
        window: WindowId,
    },
    /// A window was renamed.
    WindowRenamed {
        /// The window.
        window: WindowId,
    },
    /// tmux's index of one or more windows ([`crate::Window::index`]) changed or became
    /// known: tmux listed the windows after one was added, closed, moved, swapped or
    /// renumbered. Sent at most once per listing; the host reads the indexes from
    /// [`Client::state`] (e.g. to order tabs as tmux numbers them).
    WindowIndexesChanged,
    /// A window's layout (or zoom) changed; panes may have been added, removed or resized.
    LayoutChanged {
        /// The window.
        window: WindowId,
    },
    /// A pane appeared.
    PaneAdded {
        /// The pane.
        pane: PaneId,
        /// Its window, when known (a replay may see output before any layout).
        window: Option<WindowId>,
    },
    /// A pane is gone.
    PaneClosed {
        /// The pane.
        pane: PaneId,
    },
    /// The session's current window changed.
    ActiveWindowChanged {
        /// The session.
        session: SessionId,
        /// The window.
        window: WindowId,
    },
    /// A window's active pane changed.
    ActivePaneChanged {
        /// The window.
        window: WindowId,
        /// The pane.
        pane: PaneId,
    },
    /// A pane entered or left a mode such as copy-mode.
    PaneModeChanged {
        /// The pane.
        pane: PaneId,
    },
    /// tmux paused the pane's output (flow control). Resume with [`Client::resume_pane`].
    Paused {
        /// The pane.
        pane: PaneId,
    },
    /// The pane runs again and has been re-captured.
    Resumed {
        /// The pane.
        pane: PaneId,
    },
    /// Output reached the client this many milliseconds late (`%extended-output`).
    OutputAge {
        /// The pane.
        pane: PaneId,
        /// Milliseconds.
        age_ms: u64,
    },
    /// A pane's title changed (OSC 0/2).
    Title {
        /// The pane.
        pane: PaneId,
        /// The title, raw bytes.
        title: &'a [u8],
    },
    /// A pane rang the bell.
    Bell {
        /// The pane.
        pane: PaneId,
    },
    /// A pane set the clipboard (OSC 52). The host decides whether to honour it.
    Clipboard {
        /// The pane.
        pane: PaneId,
        /// Selection letters (`c`, `p`, ...).
        selection: &'a str,
        /// The base64 payload as sent (`?` is a query, never answered).
        data: &'a [u8],
    },
    /// A message from tmux (`%message`, `%config-error`, `%client-detached`, paste buffers,
    /// subscriptions, other clients): the notification's name and its raw text.
    Notice {
        /// The notification name without `%`.
        kind: &'a str,
        /// Its text.
        text: &'a [u8],
    },
    /// A typed operation's command failed (`%error`); the command id and tmux's message.
    CommandFailed {
        /// The command.
        id: crate::CommandId,
        /// tmux's error text.
        message: &'a [u8],
    },
    /// A reply arrived that matches no command this client sent.
    UnmatchedReply {
        /// tmux's command number.
        number: u64,
    },
    /// A line the protocol layer could not take (parsing resumes at the next line), or
    /// a reply the model could not read.
    ProtocolError {
        /// What was wrong.
        message: &'a str,
        /// The offending line.
        line: &'a [u8],
    },
    /// A notification this muxlink does not know (newer tmux).
    Unknown {
        /// The line.
        line: &'a [u8],
    },
    /// The client closed; every pane and pending command has been dropped. Frames still
    /// pending (held by `frame_interval`, or not yet flushed) were delivered just before.
    Exited {
        /// Why.
        reason: &'a ExitReason,
    },
}

/// Where the client's output goes. Implemented by the host (or a drive mode for it).
pub trait Host {
    /// One pane's changes after a batch. Borrowed data is valid during the call only.
    fn on_frame(&mut self, frame: &Frame<'_>);
    /// Something happened.
    fn on_event(&mut self, event: &ClientEvent<'_>);
    /// Bytes mode: a pane's unescaped output, in order. Valid during the call only.
    fn on_pane_bytes(&mut self, pane: PaneId, bytes: &[u8]) {
        let _ = (pane, bytes);
    }
    /// Bytes mode: a byte sequence that, fed to a fresh emulator of the pane's size, rebuilds
    /// what tmux holds (history, screen, alternate screen, cursor, modes). Sent on attach and
    /// after a pause; the host resets its emulator for the pane before feeding it.
    fn on_pane_reset(&mut self, pane: PaneId, cols: u16, rows: u16, rebuild: &[u8]) {
        let _ = (pane, cols, rows, rebuild);
    }
}

/// A host that ignores everything (tests, benchmarks, snapshot).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopHost;

impl Host for NoopHost {
    fn on_frame(&mut self, _frame: &Frame<'_>) {}
    fn on_event(&mut self, _event: &ClientEvent<'_>) {}
}

/// The client: one control-mode connection to one tmux server.
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
            .field("pending", &self.core.pending.len())
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

    /// The configuration this client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.core.config
    }

    /// Feeds bytes read from tmux's stdout (or from the host's PTY stream). Events and bytes-mode
    /// output are delivered to `host` during the call; frames wait for
    /// [`Client::flush_frames`]. Costs no allocation per line once buffers are warm.
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

    fn feed(&mut self, mut bytes: &[u8], now: Instant, host: &mut dyn Host) {
        loop {
            let core = &mut self.core;
            let used = self.parser.feed(bytes, |ev| core.on_event(ev, now, host));
            bytes = &bytes[used.min(bytes.len())..];
            if !self.parser.enter_pending() {
                return;
            }
            host.on_event(&ClientEvent::ControlModeRequested);
            if self.core.config.auto_accept_control_mode {
                let core = &mut self.core;
                self.parser.accept_enter(|ev| core.on_event(ev, now, host));
                self.core.control_mode_started();
                continue;
            }
            self.held.extend_from_slice(bytes);
            return;
        }
    }

    /// Ends a batch: one frame per pane that changed since its last frame (subject to
    /// `frame_interval`). Call after each read (or group of reads).
    pub fn flush_frames(&mut self, now: Instant, host: &mut dyn Host) {
        self.core.flush_frames(now, host);
    }

    /// Bytes waiting to be written to tmux's stdin (or the host's PTY).
    pub fn outgoing(&self) -> &[u8] {
        self.core.outgoing()
    }

    /// Marks the first `n` bytes of [`Client::outgoing`] as written.
    pub fn consume_outgoing(&mut self, n: usize) {
        self.core.consume_outgoing(n);
    }

    /// Whether there is anything to write.
    pub fn wants_write(&self) -> bool {
        !self.core.outgoing().is_empty()
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
        self.parser.accept_enter(|ev| core.on_event(ev, now, host));
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
        self.parser.refuse_enter(|ev| core.on_event(ev, now, host));
        let held = std::mem::take(&mut self.held);
        self.feed(&held, now, host);
    }

    /// The session model.
    pub fn state(&self) -> &Model {
        &self.core.model
    }
}

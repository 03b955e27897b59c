//! A client's settings.

use std::time::Duration;

/// How pane output reaches the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputMode {
    /// muxlink emulates every pane and hands the host frames of dirty rows.
    #[default]
    Grid,
    /// The host has its own emulator: it gets each pane's unescaped bytes
    /// ([`crate::ClientEvent::PaneBytes`]) and rebuild sequences
    /// ([`crate::ClientEvent::PaneReset`]).
    Bytes,
}

/// How grid-mode frames reach the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameDelivery {
    /// At the end of each batch, the client calls [`crate::Host::on_frame`] once per pane
    /// that changed (subject to [`ClientConfig::frame_interval`]).
    #[default]
    Push,
    /// The host pulls a pane's render state when it draws ([`crate::Client::pull_frame`]):
    /// every row dirtied since its last pull, however many batches arrived meanwhile. The
    /// client reports [`crate::ClientEvent::FrameReady`] once when a pane has something new,
    /// and again only after the host pulled it.
    Pull,
}

/// Settings for one client. `Default` gives an 80x24 grid-mode client with tmux's history
/// limit, no flow control, read-write, plain `tmux -C` input, frames pushed and the attach
/// handshake on. Fields may be added: start from `ClientConfig::default()` and set fields or
/// chain the `with_*` setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The client size sent with `refresh-client -C` after attach (unless read-only).
    pub cols: u16,
    /// See `cols`.
    pub rows: u16,
    /// Grid or bytes mode.
    pub output_mode: OutputMode,
    /// Frames pushed to the host or pulled by it (grid mode).
    pub frames: FrameDelivery,
    /// `refresh-client -f pause-after=N` (seconds, tmux 3.2+); `None` leaves flow control off.
    pub pause_after: Option<u32>,
    /// Observer: attaches with `ignore-size,read-only`, never sets a size, types nothing.
    pub read_only: bool,
    /// Scrollback lines captured per pane on attach, and kept by panes whose own
    /// `history-limit` is unknown (replay). Synced panes keep what tmux keeps for them.
    /// tmux's default is 2000.
    pub history_limit: usize,
    /// Input is a host PTY stream in which control mode starts at DCS `1000p`
    /// (`tmux -CC`); bytes outside it are handed back as [`crate::ClientEvent::Passthrough`].
    pub host_stream: bool,
    /// Run the attach handshake (version, flags, list-*, capture of every pane) as soon as
    /// control mode starts. Off for `replay`, which only decodes a recorded stream.
    pub handshake: bool,
    /// In a host stream, start control mode without asking the host first
    /// ([`crate::ClientEvent::ControlModeRequested`] is still reported).
    pub auto_accept_control_mode: bool,
    /// Keep the session model (and emulators) after the client closes, so the final state
    /// can still be read (`muxlink replay`). Off: closing frees every pane.
    pub keep_state_on_exit: bool,
    /// On `%pause`, resume the pane at once (`refresh-client -A '%P:continue'` and a
    /// re-capture) instead of waiting for [`crate::Client::resume_pane`].
    pub auto_resume: bool,
    /// Minimum time between two frames of the same pane (pushed frames); `None` sends frames
    /// at every [`crate::Client::flush_frames`]. When set,
    /// [`crate::Client::poll_timeout`] reports when the held frames are due; frames still
    /// held when the client closes are sent before [`crate::ClientEvent::Exited`].
    pub frame_interval: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            cols: 80,
            rows: 24,
            output_mode: OutputMode::Grid,
            frames: FrameDelivery::Push,
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

impl ClientConfig {
    /// A client that only decodes a recorded stream (no handshake, nothing written) and
    /// keeps its state after the end, as `muxlink replay` does.
    pub fn replay() -> Self {
        ClientConfig {
            handshake: false,
            keep_state_on_exit: true,
            ..ClientConfig::default()
        }
    }

    /// Sets [`ClientConfig::cols`] and [`ClientConfig::rows`].
    pub fn with_size(mut self, cols: u16, rows: u16) -> Self {
        self.cols = cols;
        self.rows = rows;
        self
    }

    /// Sets [`ClientConfig::output_mode`].
    pub fn with_output_mode(mut self, mode: OutputMode) -> Self {
        self.output_mode = mode;
        self
    }

    /// Sets [`ClientConfig::frames`].
    pub fn with_frames(mut self, frames: FrameDelivery) -> Self {
        self.frames = frames;
        self
    }

    /// Sets [`ClientConfig::pause_after`].
    pub fn with_pause_after(mut self, seconds: Option<u32>) -> Self {
        self.pause_after = seconds;
        self
    }

    /// Sets [`ClientConfig::read_only`].
    pub fn with_read_only(mut self, on: bool) -> Self {
        self.read_only = on;
        self
    }

    /// Sets [`ClientConfig::history_limit`].
    pub fn with_history_limit(mut self, lines: usize) -> Self {
        self.history_limit = lines;
        self
    }

    /// Sets [`ClientConfig::host_stream`].
    pub fn with_host_stream(mut self, on: bool) -> Self {
        self.host_stream = on;
        self
    }

    /// Sets [`ClientConfig::handshake`].
    pub fn with_handshake(mut self, on: bool) -> Self {
        self.handshake = on;
        self
    }

    /// Sets [`ClientConfig::auto_accept_control_mode`].
    pub fn with_auto_accept_control_mode(mut self, on: bool) -> Self {
        self.auto_accept_control_mode = on;
        self
    }

    /// Sets [`ClientConfig::keep_state_on_exit`].
    pub fn with_keep_state_on_exit(mut self, on: bool) -> Self {
        self.keep_state_on_exit = on;
        self
    }

    /// Sets [`ClientConfig::auto_resume`].
    pub fn with_auto_resume(mut self, on: bool) -> Self {
        self.auto_resume = on;
        self
    }

    /// Sets [`ClientConfig::frame_interval`].
    pub fn with_frame_interval(mut self, interval: Option<Duration>) -> Self {
        self.frame_interval = interval;
        self
    }
}

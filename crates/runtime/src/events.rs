//! What the client tells its host: [`ClientEvent`]s, frames, and the [`Host`] trait that
//! receives them when the host lets the client push (see [`crate::EventQueue`] for pulling).

use muxlink_proto::{PaneId, SessionId, WindowId};
use muxlink_term::release::TmuxRelease;

use crate::error::ProtocolError;
use crate::exit::ExitReason;
use crate::frame::Frame;
use crate::ids::CommandId;

/// Which kind of message a [`ClientEvent::Notice`] carries: notifications the session model
/// keeps nothing of. New kinds come with new tmux releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoticeKind {
    /// `%message` (tmux 3.4+): a `display-message` for this client.
    Message,
    /// `%config-error` (tmux 3.4+): an error in a configuration file.
    ConfigError,
    /// `%client-detached`: another client detached (the text is its name).
    ClientDetached,
    /// `%client-session-changed`: another client moved to another session (its name).
    ClientSessionChanged,
    /// `%paste-buffer-changed` (tmux 3.4+): the buffer's name.
    PasteBufferChanged,
    /// `%paste-buffer-deleted` (tmux 3.4+): the buffer's name.
    PasteBufferDeleted,
    /// `%subscription-changed` of a subscription this client did not make (its name).
    SubscriptionChanged,
}

impl NoticeKind {
    /// The notification's name without `%` (`message`, `config-error`, ...).
    pub fn name(self) -> &'static str {
        match self {
            NoticeKind::Message => "message",
            NoticeKind::ConfigError => "config-error",
            NoticeKind::ClientDetached => "client-detached",
            NoticeKind::ClientSessionChanged => "client-session-changed",
            NoticeKind::PasteBufferChanged => "paste-buffer-changed",
            NoticeKind::PasteBufferDeleted => "paste-buffer-deleted",
            NoticeKind::SubscriptionChanged => "subscription-changed",
        }
    }
}

impl std::fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a pane has no emulator ([`ClientEvent::PaneRefused`]). New reasons may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalReason {
    /// Its grid would take the client past [`crate::ClientConfig::memory_budget`], even with
    /// no history.
    MemoryBudget {
        /// Bytes the pane's grid needs (estimated).
        needed: usize,
        /// Bytes of the budget left for it.
        available: usize,
    },
    /// The operating system gave no random numbers for the fences that keep pane text from
    /// forging replies, so the pane is not read.
    NoRandomSource,
}

/// A bound of the session model ([`ClientEvent::LimitReached`]). New kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModelLimit {
    /// [`crate::Model::MAX_SESSIONS`] sessions.
    Sessions,
    /// [`crate::Model::MAX_WINDOWS`] windows.
    Windows,
    /// [`crate::Model::MAX_PANES`] panes.
    Panes,
    /// [`crate::Model::MAX_ORPHAN_PANES`] panes that no layout or listing placed (a replay
    /// that sees output for panes it was never told of).
    OrphanPanes,
    /// The model's own records (names, layouts, titles) would take the client past
    /// [`crate::ClientConfig::memory_budget`].
    MemoryBudget,
}

/// Something the host may want to know. Borrowed data is valid during the
/// [`Host::on_event`] call (pushed) or until the next [`crate::EventQueue`] call (pulled).
/// Every tmux release adds notifications, so new variants will come: match with a wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent<'a> {
    /// Host stream: a DCS `1000p` was seen. Any program can print it, so the host decides:
    /// [`crate::Client::accept_control_mode`] or [`crate::Client::decline_control_mode`].
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
        /// The version tmux reported (raw text from tmux).
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
    /// [`crate::Client::state`] (e.g. [`crate::Model::windows_by_index`] to order tabs).
    WindowIndexesChanged,
    /// A window's layout (or zoom) changed; panes may have been added, removed or resized.
    LayoutChanged {
        /// The window.
        window: WindowId,
    },
    /// A window was linked into another session (`%unlinked-window-add`); it is in the
    /// model with [`crate::Window::attached`] off.
    UnlinkedWindowAdded {
        /// The window.
        window: WindowId,
    },
    /// A window outside the attached session was renamed (`%unlinked-window-renamed`).
    UnlinkedWindowRenamed {
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
    /// tmux paused the pane's output (flow control). Resume with
    /// [`crate::Client::resume_pane`].
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
        /// The title, raw bytes from the pane's program.
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
    /// Grid mode with pulled frames: the pane has changed since the host last pulled it
    /// ([`crate::Client::pull_frame`]). Sent once per pull: a pane that keeps changing is
    /// reported again only after the host pulled it.
    FrameReady {
        /// The pane.
        pane: PaneId,
    },
    /// Bytes mode: a pane's unescaped output, in order.
    PaneBytes {
        /// The pane.
        pane: PaneId,
        /// The bytes the pane's program wrote.
        bytes: &'a [u8],
    },
    /// Bytes mode: a byte sequence that, fed to a fresh emulator of the pane's size, rebuilds
    /// what tmux holds (history, screen, alternate screen, cursor, modes). Sent on attach,
    /// after a pause, and after a pane on the alternate screen changed height; the host
    /// resets its emulator for the pane before feeding it. While the alternate screen is on
    /// and tmux's saved normal screen has another height than the pane, the normal screen
    /// under it and the history are those tmux will show once the alternate screen goes off
    /// (tmux resizes the saved screen only then; no emulator of one size can hold it).
    PaneReset {
        /// The pane.
        pane: PaneId,
        /// Its width.
        cols: u16,
        /// Its height.
        rows: u16,
        /// The sequence.
        rebuild: &'a [u8],
    },
    /// The pane's grid does not fit in [`crate::ClientConfig::memory_budget`] (or the pane
    /// could not be read safely): the pane stays in the model (size, window, title) without
    /// an emulator, and its output is dropped. It is tried again when its size changes.
    PaneRefused {
        /// The pane.
        pane: PaneId,
        /// Why.
        reason: RefusalReason,
    },
    /// The pane's history was cut to `limit` lines (and will not grow past it) to keep the
    /// client within [`crate::ClientConfig::memory_budget`].
    HistoryTrimmed {
        /// The pane.
        pane: PaneId,
        /// The history limit the pane keeps from now on.
        limit: usize,
    },
    /// A bound of the session model was reached: what the stream named beyond it is not
    /// kept (reported once, and again only after the model went back under the bound).
    LimitReached {
        /// Which bound.
        limit: ModelLimit,
    },
    /// The server's tmux is not a release muxlink knows: `emulated` is the nearest older
    /// known release (or the oldest), whose behaviour the panes follow; some characters may
    /// land in other cells than tmux puts them.
    ReleaseApproximated {
        /// What tmux reported (`#{version}`, raw text from tmux, bounded).
        reported: &'a str,
        /// The release emulated.
        emulated: TmuxRelease,
        /// A sentence for a person.
        notice: &'a str,
    },
    /// The server options that change character widths (`variation-selector-always-wide`,
    /// `codepoint-widths`, tmux 3.6+) were read or changed: see
    /// [`crate::Model::server_options`].
    ServerOptionsChanged,
    /// The width probe found that the server's platform gives `differing` of the code points
    /// it asked about other widths than muxlink's tables (another glibc, utf8proc on macOS):
    /// see [`crate::Model::platform_widths`]. When some differ, the emulators take the
    /// server's widths from then on and every pane is read again (frames follow). In bytes
    /// mode the host's own emulator should take them now ([`crate::Client::char_width`]
    /// answers with them); every pane is read again there too, a new
    /// [`ClientEvent::PaneReset`] each.
    PlatformWidths {
        /// How many code points differ.
        differing: usize,
    },
    /// A message from tmux the model keeps nothing of, with its raw text.
    Notice {
        /// Which notification.
        kind: NoticeKind,
        /// Its text, raw bytes from tmux.
        text: &'a [u8],
    },
    /// A typed operation's command succeeded (`%end`).
    CommandSucceeded {
        /// The command, as the operation returned it.
        id: CommandId,
    },
    /// A typed operation's command failed (`%error`); the command id and tmux's message.
    CommandFailed {
        /// The command.
        id: CommandId,
        /// tmux's error text.
        message: &'a [u8],
    },
    /// The answer to a [`crate::Client::raw_command`] sent without a callback.
    CommandReply {
        /// The command.
        id: CommandId,
        /// `%end` (true) or `%error` (false).
        ok: bool,
        /// The body lines joined with `\n`.
        body: &'a [u8],
    },
    /// A reply arrived that matches no command this client sent.
    UnmatchedReply {
        /// tmux's command number.
        number: u64,
    },
    /// Input the client could not take (parsing resumes at the next line).
    ProtocolError {
        /// What was wrong.
        error: ProtocolError,
        /// The offending line or value.
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

/// A reply as a raw-command callback sees it. Borrowed for the callback only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Called once with the reply to a [`crate::Client::raw_command`] (or not at all if the
/// client closes first). `Send`, so that a client holding one can move between threads.
pub type ReplyCallback = Box<dyn FnOnce(&ReplyOutcome<'_>) + Send>;

/// Where the client's output goes when the host lets it push. Implemented by the host (or
/// by [`crate::EventQueue`], which keeps events for the host to pull).
pub trait Host {
    /// One pane's changes after a batch (grid mode, pushed frames). Borrowed data is valid
    /// during the call only. Does nothing by default.
    fn on_frame(&mut self, frame: &Frame<'_>) {
        let _ = frame;
    }
    /// Something happened. Borrowed data is valid during the call only.
    fn on_event(&mut self, event: &ClientEvent<'_>);
}

impl<H: Host + ?Sized> Host for Box<H> {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        (**self).on_frame(frame)
    }
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        (**self).on_event(event)
    }
}

impl<H: Host + ?Sized> Host for &mut H {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        (**self).on_frame(frame)
    }
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        (**self).on_event(event)
    }
}

/// A host that ignores everything (benchmarks, tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopHost;

impl Host for NoopHost {
    fn on_event(&mut self, _event: &ClientEvent<'_>) {}
}

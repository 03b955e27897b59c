//! Typed events produced by [`crate::Parser`].
//!
//! Every borrowed slice in an event is valid only for the duration of the sink call that
//! receives it: it points either into the caller's input chunk or into a buffer the parser
//! reuses for the next line.

use crate::ids::{PaneId, SessionId, WindowId};

/// One thing the control-mode stream said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// Bytes outside control mode (host-stream mode only), passed through untouched.
    Passthrough(&'a [u8]),
    /// `ESC P 1000 p` seen in a host stream: control mode starts here.
    Enter,
    /// `ESC \` after `%exit` seen in a host stream: control mode ended.
    Leave,
    /// `%output %P DATA`, data already unescaped (unless the parser keeps it escaped:
    /// [`crate::ParserConfig::output_escaped`]).
    Output {
        /// The pane.
        pane: PaneId,
        /// Unescaped bytes (or as tmux wrote them, see above).
        data: &'a [u8],
    },
    /// `%extended-output %P AGE ... : DATA` (3.2+), data already unescaped (unless the
    /// parser keeps it escaped: [`crate::ParserConfig::output_escaped`]).
    ExtendedOutput {
        /// The pane.
        pane: PaneId,
        /// Milliseconds the output was held back by flow control.
        age: u64,
        /// Unescaped bytes (or as tmux wrote them, see above).
        data: &'a [u8],
    },
    /// A whole `%begin` .. `%end`/`%error` block.
    Reply(Reply<'a>),
    /// `%layout-change @W LAYOUT [VISIBLE_LAYOUT [FLAGS]]`.
    LayoutChange {
        /// The window.
        window: WindowId,
        /// The full layout string (checksum included).
        layout: &'a [u8],
        /// The visible layout (differs from `layout` when zoomed); absent before tmux 2.2.
        visible_layout: Option<&'a [u8]>,
        /// Window flags such as `*Z`; absent before tmux 2.2.
        flags: Option<&'a [u8]>,
    },
    /// `%window-add @W`.
    WindowAdd {
        /// The window.
        window: WindowId,
    },
    /// `%window-close @W`.
    WindowClose {
        /// The window.
        window: WindowId,
    },
    /// `%window-renamed @W NAME`.
    WindowRenamed {
        /// The window.
        window: WindowId,
        /// The new name, raw bytes.
        name: &'a [u8],
    },
    /// `%unlinked-window-add @W`.
    UnlinkedWindowAdd {
        /// The window.
        window: WindowId,
    },
    /// `%unlinked-window-close @W`.
    UnlinkedWindowClose {
        /// The window.
        window: WindowId,
    },
    /// `%unlinked-window-renamed @W NAME`.
    UnlinkedWindowRenamed {
        /// The window.
        window: WindowId,
        /// The new name, raw bytes.
        name: &'a [u8],
    },
    /// `%session-changed $S NAME`: this client is now attached to session `$S`.
    SessionChanged {
        /// The session.
        session: SessionId,
        /// Its name, raw bytes.
        name: &'a [u8],
    },
    /// `%session-renamed $S NAME` (older tmux: `%session-renamed NAME`, then `session` is `None`).
    SessionRenamed {
        /// The session, when tmux named it.
        session: Option<SessionId>,
        /// The new name, raw bytes.
        name: &'a [u8],
    },
    /// `%sessions-changed`.
    SessionsChanged,
    /// `%session-window-changed $S @W`.
    SessionWindowChanged {
        /// The session.
        session: SessionId,
        /// Its new current window.
        window: WindowId,
    },
    /// `%window-pane-changed @W %P`.
    WindowPaneChanged {
        /// The window.
        window: WindowId,
        /// Its new active pane.
        pane: PaneId,
    },
    /// `%client-session-changed CLIENT $S NAME`.
    ClientSessionChanged {
        /// The other client's name, raw bytes.
        client: &'a [u8],
        /// The session it switched to.
        session: SessionId,
        /// That session's name.
        name: &'a [u8],
    },
    /// `%client-detached CLIENT`.
    ClientDetached {
        /// The client's name, raw bytes.
        client: &'a [u8],
    },
    /// `%pane-mode-changed %P`.
    PaneModeChanged {
        /// The pane.
        pane: PaneId,
    },
    /// `%pause %P` (3.2+).
    Pause {
        /// The pane.
        pane: PaneId,
    },
    /// `%continue %P` (3.2+).
    Continue {
        /// The pane.
        pane: PaneId,
    },
    /// `%subscription-changed NAME $S @W INDEX %P ... : VALUE` (3.2+). Fields tmux leaves
    /// empty (`-`) are `None`.
    SubscriptionChanged {
        /// The subscription name.
        name: &'a [u8],
        /// The session.
        session: Option<SessionId>,
        /// The window.
        window: Option<WindowId>,
        /// The window index.
        window_index: Option<u32>,
        /// The pane.
        pane: Option<PaneId>,
        /// The formatted value.
        value: &'a [u8],
    },
    /// `%exit [REASON]`.
    Exit {
        /// Why tmux ended control mode, when it said.
        reason: Option<&'a [u8]>,
    },
    /// `%config-error MESSAGE` (3.4+).
    ConfigError {
        /// The message.
        message: &'a [u8],
    },
    /// `%message MESSAGE` (3.4+).
    Message {
        /// The message.
        message: &'a [u8],
    },
    /// `%paste-buffer-changed NAME` (3.4+).
    PasteBufferChanged {
        /// The buffer name.
        name: &'a [u8],
    },
    /// `%paste-buffer-deleted NAME` (3.4+).
    PasteBufferDeleted {
        /// The buffer name.
        name: &'a [u8],
    },
    /// A well-formed line this parser does not know (a newer tmux), kept whole.
    Unknown {
        /// The line without its terminator.
        line: &'a [u8],
    },
    /// A line that could not be taken; parsing resumes at the next line.
    Error {
        /// 1-based line number within control mode.
        line_number: u64,
        /// What was wrong.
        error: crate::ProtoError,
        /// The line (possibly truncated to the parser's line limit).
        line: &'a [u8],
    },
}

impl Event<'_> {
    /// The event's name as `muxlink parse` prints it: the notification's name without `%`
    /// (`output`, `layout-change`, ...), or `reply`, `enter`, `leave`, `passthrough`,
    /// `unknown`, `error`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Passthrough(_) => "passthrough",
            Event::Enter => "enter",
            Event::Leave => "leave",
            Event::Output { .. } => "output",
            Event::ExtendedOutput { .. } => "extended-output",
            Event::Reply(_) => "reply",
            Event::LayoutChange { .. } => "layout-change",
            Event::WindowAdd { .. } => "window-add",
            Event::WindowClose { .. } => "window-close",
            Event::WindowRenamed { .. } => "window-renamed",
            Event::UnlinkedWindowAdd { .. } => "unlinked-window-add",
            Event::UnlinkedWindowClose { .. } => "unlinked-window-close",
            Event::UnlinkedWindowRenamed { .. } => "unlinked-window-renamed",
            Event::SessionChanged { .. } => "session-changed",
            Event::SessionRenamed { .. } => "session-renamed",
            Event::SessionsChanged => "sessions-changed",
            Event::SessionWindowChanged { .. } => "session-window-changed",
            Event::WindowPaneChanged { .. } => "window-pane-changed",
            Event::ClientSessionChanged { .. } => "client-session-changed",
            Event::ClientDetached { .. } => "client-detached",
            Event::PaneModeChanged { .. } => "pane-mode-changed",
            Event::Pause { .. } => "pause",
            Event::Continue { .. } => "continue",
            Event::SubscriptionChanged { .. } => "subscription-changed",
            Event::Exit { .. } => "exit",
            Event::ConfigError { .. } => "config-error",
            Event::Message { .. } => "message",
            Event::PasteBufferChanged { .. } => "paste-buffer-changed",
            Event::PasteBufferDeleted { .. } => "paste-buffer-deleted",
            Event::Unknown { .. } => "unknown",
            Event::Error { .. } => "error",
        }
    }
}

/// A whole reply block: `%begin TIME NUMBER FLAGS`, body, `%end`/`%error` with the same fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply<'a> {
    /// Server time (seconds) from the `%begin` line.
    pub time: u64,
    /// The command number tmux assigned.
    pub number: u64,
    /// Flags; bit 0 set means a command this client sent.
    pub flags: u32,
    /// `true` for `%end`, `false` for `%error`.
    pub ok: bool,
    /// The body lines joined with `\n` (no trailing newline; empty when there were none).
    pub body: &'a [u8],
}

impl<'a> Reply<'a> {
    /// Iterates the body lines (none for an empty body). Allocates nothing.
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let body = self.body;
        let mut it = body.split(|&b| b == b'\n');
        let empty = body.is_empty();
        std::iter::from_fn(move || if empty { None } else { it.next() })
    }

    /// Whether this block answers a command sent by this client (flags bit 0).
    pub fn is_from_this_client(&self) -> bool {
        self.flags & 1 == 1
    }
}

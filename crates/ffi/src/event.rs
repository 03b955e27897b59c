//! `muxlink_event`: what the client tells the host, as one tagged C struct.
//!
//! One flat struct rather than a union: every kind uses a documented subset of the fields,
//! the others hold `MUXLINK_NONE` (ids), zero or NULL. A kind this header does not know
//! (a newer library) is a valid value the host skips.

use std::fmt::Write as _;
use std::mem::size_of;

use muxlink_runtime::{ClientEvent, ExitReason, ModelLimit, NoticeKind, RefusalReason};

use crate::boundary::{guard, required};
use crate::result::muxlink_result;
use crate::sized;
use crate::{muxlink_bool_t, MUXLINK_ABI_VERSION};

/// An id field that does not apply, or an unknown id: `UINT32_MAX`.
pub const MUXLINK_NONE: u32 = u32::MAX;

/// Which event a `muxlink_event` holds: a `uint32_t` with one of the `MUXLINK_EVENT_*`
/// values. New values may come with new library versions: skip what you do not know.
pub type muxlink_event_kind_t = u32;

/// No event: `muxlink_client_next_event` found none waiting.
pub const MUXLINK_EVENT_NONE: muxlink_event_kind_t = 0;

/// Host stream: a DCS `1000p` was seen. Any program can print it, so the host decides:
/// `muxlink_client_accept_control_mode` or `muxlink_client_decline_control_mode`.
pub const MUXLINK_EVENT_CONTROL_MODE_REQUESTED: muxlink_event_kind_t = 1;

/// Host stream: control mode ended (`ESC \` after `%exit`).
pub const MUXLINK_EVENT_CONTROL_MODE_LEFT: muxlink_event_kind_t = 2;

/// Host stream: bytes outside control mode, untouched: `data`.
pub const MUXLINK_EVENT_PASSTHROUGH: muxlink_event_kind_t = 3;

/// The attach handshake finished: the model and every pane equal tmux's.
pub const MUXLINK_EVENT_READY: muxlink_event_kind_t = 4;

/// tmux is older than 3.2: `data` is tmux's version, `extra` says what is missing.
pub const MUXLINK_EVENT_DEGRADED: muxlink_event_kind_t = 5;

/// This client is now attached to `session`.
pub const MUXLINK_EVENT_SESSION_CHANGED: muxlink_event_kind_t = 6;

/// Sessions were created or destroyed.
pub const MUXLINK_EVENT_SESSIONS_CHANGED: muxlink_event_kind_t = 7;

/// `session` was renamed.
pub const MUXLINK_EVENT_SESSION_RENAMED: muxlink_event_kind_t = 8;

/// `window` appeared in the attached session.
pub const MUXLINK_EVENT_WINDOW_ADDED: muxlink_event_kind_t = 9;

/// `window` closed; its panes are gone.
pub const MUXLINK_EVENT_WINDOW_CLOSED: muxlink_event_kind_t = 10;

/// `window` was renamed.
pub const MUXLINK_EVENT_WINDOW_RENAMED: muxlink_event_kind_t = 11;

/// tmux's index of one or more windows changed (`muxlink_client_windows` lists them in
/// tmux's order).
pub const MUXLINK_EVENT_WINDOW_INDEXES_CHANGED: muxlink_event_kind_t = 12;

/// `window`'s layout (or zoom) changed; panes may have been added, removed or resized.
pub const MUXLINK_EVENT_LAYOUT_CHANGED: muxlink_event_kind_t = 13;

/// `window` was linked into another session.
pub const MUXLINK_EVENT_UNLINKED_WINDOW_ADDED: muxlink_event_kind_t = 14;

/// `window`, outside the attached session, was renamed.
pub const MUXLINK_EVENT_UNLINKED_WINDOW_RENAMED: muxlink_event_kind_t = 15;

/// `pane` appeared, in `window` (`MUXLINK_NONE` when not known yet).
pub const MUXLINK_EVENT_PANE_ADDED: muxlink_event_kind_t = 16;

/// `pane` is gone.
pub const MUXLINK_EVENT_PANE_CLOSED: muxlink_event_kind_t = 17;

/// `session`'s current window is now `window`.
pub const MUXLINK_EVENT_ACTIVE_WINDOW_CHANGED: muxlink_event_kind_t = 18;

/// `window`'s active pane is now `pane`.
pub const MUXLINK_EVENT_ACTIVE_PANE_CHANGED: muxlink_event_kind_t = 19;

/// `pane` entered or left a mode such as copy-mode.
pub const MUXLINK_EVENT_PANE_MODE_CHANGED: muxlink_event_kind_t = 20;

/// tmux paused `pane`'s output (flow control); `muxlink_client_resume_pane` resumes it.
pub const MUXLINK_EVENT_PAUSED: muxlink_event_kind_t = 21;

/// `pane` runs again and has been re-captured.
pub const MUXLINK_EVENT_RESUMED: muxlink_event_kind_t = 22;

/// `pane`'s output reached the client `number` milliseconds late.
pub const MUXLINK_EVENT_OUTPUT_AGE: muxlink_event_kind_t = 23;

/// `pane`'s title changed: `data` (raw bytes from the pane's program).
pub const MUXLINK_EVENT_TITLE: muxlink_event_kind_t = 24;

/// `pane` rang the bell.
pub const MUXLINK_EVENT_BELL: muxlink_event_kind_t = 25;

/// `pane` set the clipboard (OSC 52): `extra` the selection letters, `data` the base64
/// payload as sent. The host decides whether to honour it.
pub const MUXLINK_EVENT_CLIPBOARD: muxlink_event_kind_t = 26;

/// Pulled frames: `pane` changed since the host last pulled it
/// (`muxlink_client_pull_frame`); sent once per pull.
pub const MUXLINK_EVENT_FRAME_READY: muxlink_event_kind_t = 27;

/// Bytes mode: `pane`'s output, `data`, in order.
pub const MUXLINK_EVENT_PANE_BYTES: muxlink_event_kind_t = 28;

/// Bytes mode: reset the pane's emulator to `cols` x `rows` and feed it `data`, which
/// rebuilds what tmux holds (history, screen, cursor, modes). On attach, after a pause, and
/// after a pane on the alternate screen changed height. While the alternate screen is on and
/// tmux's saved normal screen has another height than the pane, the normal screen under it
/// and the history in `data` are those tmux will show once the alternate screen goes off
/// (tmux resizes the saved screen only then; an emulator of one size cannot hold it).
pub const MUXLINK_EVENT_PANE_RESET: muxlink_event_kind_t = 29;

/// A message tmux sent that the model keeps nothing of: `detail` is a
/// `MUXLINK_NOTICE_*`, `data` its raw text.
pub const MUXLINK_EVENT_NOTICE: muxlink_event_kind_t = 30;

/// Operation `command` succeeded.
pub const MUXLINK_EVENT_COMMAND_SUCCEEDED: muxlink_event_kind_t = 31;

/// Operation `command` failed; `data` is tmux's message.
pub const MUXLINK_EVENT_COMMAND_FAILED: muxlink_event_kind_t = 32;

/// The answer to `muxlink_client_command` number `command`: `ok`, and the body lines
/// joined with `\n` in `data`.
pub const MUXLINK_EVENT_COMMAND_REPLY: muxlink_event_kind_t = 33;

/// A reply matched no command of this client; tmux's number in `number`.
pub const MUXLINK_EVENT_UNMATCHED_REPLY: muxlink_event_kind_t = 34;

/// Input the client could not take: `data` the line, `extra` what was wrong. Parsing
/// goes on at the next line.
pub const MUXLINK_EVENT_PROTOCOL_ERROR: muxlink_event_kind_t = 35;

/// A notification this muxlink does not know (a newer tmux): `data` the line.
pub const MUXLINK_EVENT_UNKNOWN: muxlink_event_kind_t = 36;

/// The client closed; every pane and pending command is gone. `detail` is a
/// `MUXLINK_EXIT_*`, `data` tmux's own words when it gave some (the `%exit` reason, the
/// refusal, the child's standard error), `extra` one line for a person; `exit_code`,
/// `exit_signal`, `os_error` as they apply (-1 otherwise).
pub const MUXLINK_EVENT_EXITED: muxlink_event_kind_t = 37;

/// Something this version of the C ABI has no kind for (a newer runtime); skip it.
pub const MUXLINK_EVENT_OTHER: muxlink_event_kind_t = 38;

/// The pane's grid does not fit in the client's memory budget (or it could not be read
/// safely): it stays in the model without an emulator and its output is dropped. `pane`;
/// `detail` a `MUXLINK_REFUSED_*`; for the budget, `number` the bytes its grid needs;
/// `extra` the reason in words.
pub const MUXLINK_EVENT_PANE_REFUSED: muxlink_event_kind_t = 39;

/// The pane's history was cut to `number` lines (and will not grow past it) to keep the
/// client within its memory budget. `pane`.
pub const MUXLINK_EVENT_HISTORY_TRIMMED: muxlink_event_kind_t = 40;

/// A bound of the session model was reached; what the stream named beyond it is not kept.
/// `detail` a `MUXLINK_LIMIT_*`; `extra` one line for a person.
pub const MUXLINK_EVENT_LIMIT_REACHED: muxlink_event_kind_t = 41;

/// The server's tmux is a release muxlink does not know: panes follow the nearest older
/// known release. `data` what tmux reported, `extra` a sentence for a person.
pub const MUXLINK_EVENT_RELEASE_APPROXIMATED: muxlink_event_kind_t = 42;

/// The server options that change character widths (`variation-selector-always-wide`,
/// `codepoint-widths`, tmux 3.6+) were read or changed.
pub const MUXLINK_EVENT_SERVER_OPTIONS_CHANGED: muxlink_event_kind_t = 43;

/// The width probe found `number` code points to which the server's platform gives other
/// widths than muxlink's tables.
pub const MUXLINK_EVENT_PLATFORM_WIDTHS: muxlink_event_kind_t = 44;

/// `MUXLINK_EVENT_PANE_REFUSED`'s `detail`: the grid would pass the memory budget.
pub const MUXLINK_REFUSED_MEMORY_BUDGET: u32 = 1;
/// No random numbers for the fences that keep pane text from forging replies.
pub const MUXLINK_REFUSED_NO_RANDOM_SOURCE: u32 = 2;
/// A reason this version of the C ABI does not name.
pub const MUXLINK_REFUSED_OTHER: u32 = 0;

/// `MUXLINK_EVENT_LIMIT_REACHED`'s `detail`: sessions.
pub const MUXLINK_LIMIT_SESSIONS: u32 = 1;
/// Windows.
pub const MUXLINK_LIMIT_WINDOWS: u32 = 2;
/// Panes.
pub const MUXLINK_LIMIT_PANES: u32 = 3;
/// Panes no layout or listing placed.
pub const MUXLINK_LIMIT_ORPHAN_PANES: u32 = 4;
/// The model's own records (names, layouts, titles) and the memory budget.
pub const MUXLINK_LIMIT_MEMORY_BUDGET: u32 = 5;
/// A bound this version of the C ABI does not name.
pub const MUXLINK_LIMIT_OTHER: u32 = 0;

/// Every kind's name, for tests.
#[cfg(test)]
pub(crate) const KIND_NAMES: &[(&str, muxlink_event_kind_t)] = &[
    ("MUXLINK_EVENT_NONE", MUXLINK_EVENT_NONE),
    (
        "MUXLINK_EVENT_CONTROL_MODE_REQUESTED",
        MUXLINK_EVENT_CONTROL_MODE_REQUESTED,
    ),
    (
        "MUXLINK_EVENT_CONTROL_MODE_LEFT",
        MUXLINK_EVENT_CONTROL_MODE_LEFT,
    ),
    ("MUXLINK_EVENT_PASSTHROUGH", MUXLINK_EVENT_PASSTHROUGH),
    ("MUXLINK_EVENT_READY", MUXLINK_EVENT_READY),
    ("MUXLINK_EVENT_DEGRADED", MUXLINK_EVENT_DEGRADED),
    (
        "MUXLINK_EVENT_SESSION_CHANGED",
        MUXLINK_EVENT_SESSION_CHANGED,
    ),
    (
        "MUXLINK_EVENT_SESSIONS_CHANGED",
        MUXLINK_EVENT_SESSIONS_CHANGED,
    ),
    (
        "MUXLINK_EVENT_SESSION_RENAMED",
        MUXLINK_EVENT_SESSION_RENAMED,
    ),
    ("MUXLINK_EVENT_WINDOW_ADDED", MUXLINK_EVENT_WINDOW_ADDED),
    ("MUXLINK_EVENT_WINDOW_CLOSED", MUXLINK_EVENT_WINDOW_CLOSED),
    ("MUXLINK_EVENT_WINDOW_RENAMED", MUXLINK_EVENT_WINDOW_RENAMED),
    (
        "MUXLINK_EVENT_WINDOW_INDEXES_CHANGED",
        MUXLINK_EVENT_WINDOW_INDEXES_CHANGED,
    ),
    ("MUXLINK_EVENT_LAYOUT_CHANGED", MUXLINK_EVENT_LAYOUT_CHANGED),
    (
        "MUXLINK_EVENT_UNLINKED_WINDOW_ADDED",
        MUXLINK_EVENT_UNLINKED_WINDOW_ADDED,
    ),
    (
        "MUXLINK_EVENT_UNLINKED_WINDOW_RENAMED",
        MUXLINK_EVENT_UNLINKED_WINDOW_RENAMED,
    ),
    ("MUXLINK_EVENT_PANE_ADDED", MUXLINK_EVENT_PANE_ADDED),
    ("MUXLINK_EVENT_PANE_CLOSED", MUXLINK_EVENT_PANE_CLOSED),
    (
        "MUXLINK_EVENT_ACTIVE_WINDOW_CHANGED",
        MUXLINK_EVENT_ACTIVE_WINDOW_CHANGED,
    ),
    (
        "MUXLINK_EVENT_ACTIVE_PANE_CHANGED",
        MUXLINK_EVENT_ACTIVE_PANE_CHANGED,
    ),
    (
        "MUXLINK_EVENT_PANE_MODE_CHANGED",
        MUXLINK_EVENT_PANE_MODE_CHANGED,
    ),
    ("MUXLINK_EVENT_PAUSED", MUXLINK_EVENT_PAUSED),
    ("MUXLINK_EVENT_RESUMED", MUXLINK_EVENT_RESUMED),
    ("MUXLINK_EVENT_OUTPUT_AGE", MUXLINK_EVENT_OUTPUT_AGE),
    ("MUXLINK_EVENT_TITLE", MUXLINK_EVENT_TITLE),
    ("MUXLINK_EVENT_BELL", MUXLINK_EVENT_BELL),
    ("MUXLINK_EVENT_CLIPBOARD", MUXLINK_EVENT_CLIPBOARD),
    ("MUXLINK_EVENT_FRAME_READY", MUXLINK_EVENT_FRAME_READY),
    ("MUXLINK_EVENT_PANE_BYTES", MUXLINK_EVENT_PANE_BYTES),
    ("MUXLINK_EVENT_PANE_RESET", MUXLINK_EVENT_PANE_RESET),
    ("MUXLINK_EVENT_NOTICE", MUXLINK_EVENT_NOTICE),
    (
        "MUXLINK_EVENT_COMMAND_SUCCEEDED",
        MUXLINK_EVENT_COMMAND_SUCCEEDED,
    ),
    ("MUXLINK_EVENT_COMMAND_FAILED", MUXLINK_EVENT_COMMAND_FAILED),
    ("MUXLINK_EVENT_COMMAND_REPLY", MUXLINK_EVENT_COMMAND_REPLY),
    (
        "MUXLINK_EVENT_UNMATCHED_REPLY",
        MUXLINK_EVENT_UNMATCHED_REPLY,
    ),
    ("MUXLINK_EVENT_PROTOCOL_ERROR", MUXLINK_EVENT_PROTOCOL_ERROR),
    ("MUXLINK_EVENT_UNKNOWN", MUXLINK_EVENT_UNKNOWN),
    ("MUXLINK_EVENT_EXITED", MUXLINK_EVENT_EXITED),
    ("MUXLINK_EVENT_OTHER", MUXLINK_EVENT_OTHER),
    ("MUXLINK_EVENT_PANE_REFUSED", MUXLINK_EVENT_PANE_REFUSED),
    (
        "MUXLINK_EVENT_HISTORY_TRIMMED",
        MUXLINK_EVENT_HISTORY_TRIMMED,
    ),
    ("MUXLINK_EVENT_LIMIT_REACHED", MUXLINK_EVENT_LIMIT_REACHED),
    (
        "MUXLINK_EVENT_RELEASE_APPROXIMATED",
        MUXLINK_EVENT_RELEASE_APPROXIMATED,
    ),
    (
        "MUXLINK_EVENT_SERVER_OPTIONS_CHANGED",
        MUXLINK_EVENT_SERVER_OPTIONS_CHANGED,
    ),
    (
        "MUXLINK_EVENT_PLATFORM_WIDTHS",
        MUXLINK_EVENT_PLATFORM_WIDTHS,
    ),
];

/// `MUXLINK_EVENT_NOTICE`'s `detail`: `%message`.
pub const MUXLINK_NOTICE_MESSAGE: u32 = 1;
/// `%config-error`.
pub const MUXLINK_NOTICE_CONFIG_ERROR: u32 = 2;
/// `%client-detached` (another client; its name).
pub const MUXLINK_NOTICE_CLIENT_DETACHED: u32 = 3;
/// `%client-session-changed` (another client).
pub const MUXLINK_NOTICE_CLIENT_SESSION_CHANGED: u32 = 4;
/// `%paste-buffer-changed`.
pub const MUXLINK_NOTICE_PASTE_BUFFER_CHANGED: u32 = 5;
/// `%paste-buffer-deleted`.
pub const MUXLINK_NOTICE_PASTE_BUFFER_DELETED: u32 = 6;
/// `%subscription-changed` of a subscription this client did not make.
pub const MUXLINK_NOTICE_SUBSCRIPTION_CHANGED: u32 = 7;
/// A notice this version does not name.
pub const MUXLINK_NOTICE_OTHER: u32 = 0;

/// `MUXLINK_EVENT_EXITED`'s `detail`: tmux sent `%exit` (`data`: its reason, if any).
pub const MUXLINK_EXIT_TMUX: u32 = 1;
/// tmux refused the command it was started with (`data`: tmux's message).
pub const MUXLINK_EXIT_REFUSED: u32 = 2;
/// The stream ended without `%exit`.
pub const MUXLINK_EXIT_EOF: u32 = 3;
/// The child process (tmux, ssh) ended: `exit_code` or `exit_signal`, `data` its standard
/// error.
pub const MUXLINK_EXIT_PROCESS: u32 = 4;
/// Reading or writing failed (`os_error`; `number` is 0 for a read, 1 for a write).
pub const MUXLINK_EXIT_TRANSPORT: u32 = 5;
/// The host closed the client (`muxlink_client_close`, or a failed host callback).
pub const MUXLINK_EXIT_CLOSED_BY_HOST: u32 = 6;
/// A reason this version does not name (`extra` says it).
pub const MUXLINK_EXIT_OTHER: u32 = 0;

/// One event. The host fills `size` and `abi_version` with `muxlink_event_init` once; muxlink
/// writes every other field. Every pointer in it is borrowed: from a pulled event
/// (`muxlink_client_next_event`) until the next call on the same client other than the
/// read-only ones (those taking `const muxlink_client *`); in the `on_event` callback, for
/// that call only. Byte fields are not NUL-terminated and may hold any byte (they come from
/// tmux or a pane's program: escape them before showing them).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct muxlink_event {
    /// `sizeof(muxlink_event)`, set by `muxlink_event_init`.
    pub size: usize,
    /// `MUXLINK_ABI_VERSION`, set by `muxlink_event_init`.
    pub abi_version: u32,
    /// A `MUXLINK_EVENT_*` value.
    pub kind: muxlink_event_kind_t,
    /// The pane (`%N`), or `MUXLINK_NONE`.
    pub pane: u32,
    /// The window (`@N`), or `MUXLINK_NONE`.
    pub window: u32,
    /// The session (`$N`), or `MUXLINK_NONE`.
    pub session: u32,
    /// Kind-specific: a `MUXLINK_NOTICE_*` or `MUXLINK_EXIT_*`, else 0.
    pub detail: u32,
    /// `MUXLINK_EVENT_PANE_RESET`: the pane's width, else 0.
    pub cols: u16,
    /// `MUXLINK_EVENT_PANE_RESET`: the pane's height, else 0.
    pub rows: u16,
    /// `MUXLINK_EVENT_COMMAND_REPLY`: `%end` (true) or `%error` (false).
    pub ok: muxlink_bool_t,
    /// The operation's command id (`MUXLINK_EVENT_COMMAND_*`: the id the operation returned,
    /// never 0), else 0.
    pub command: u64,
    /// Kind-specific number (reply number, output age, exit: 0 read / 1 write), else 0.
    pub number: u64,
    /// `MUXLINK_EVENT_EXITED`: the child's exit status, else -1.
    pub exit_code: i32,
    /// `MUXLINK_EVENT_EXITED`: the signal that ended the child, else -1.
    pub exit_signal: i32,
    /// `MUXLINK_EVENT_EXITED`: the OS error number of a failed read or write, else -1.
    pub os_error: i32,
    /// The event's main bytes (see each kind), or NULL with `data_len` 0.
    pub data: *const u8,
    /// Length of `data`.
    pub data_len: usize,
    /// Second bytes (see each kind), or NULL with `extra_len` 0.
    pub extra: *const u8,
    /// Length of `extra`.
    pub extra_len: usize,
}

// SAFETY: repr(C), starts with size and abi_version; integers and raw pointers only.
unsafe impl sized::Sized for muxlink_event {
    fn defaults() -> Self {
        muxlink_event {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            ..muxlink_event::EMPTY
        }
    }
}

impl muxlink_event {
    /// An empty event (kind NONE), without size or version.
    const EMPTY: muxlink_event = muxlink_event {
        size: 0,
        abi_version: 0,
        kind: MUXLINK_EVENT_NONE,
        pane: MUXLINK_NONE,
        window: MUXLINK_NONE,
        session: MUXLINK_NONE,
        detail: 0,
        cols: 0,
        rows: 0,
        ok: 0,
        command: 0,
        number: 0,
        exit_code: -1,
        exit_signal: -1,
        os_error: -1,
        data: std::ptr::null(),
        data_len: 0,
        extra: std::ptr::null(),
        extra_len: 0,
    };

    /// An empty event carrying this library's size and version.
    pub(crate) fn empty() -> Self {
        <Self as sized::Sized>::defaults()
    }

    /// A `MUXLINK_EVENT_PANE_BYTES` event carrying this library's size and version, built in
    /// one struct write (the hot path of bytes mode's callbacks).
    #[inline(always)]
    pub(crate) fn pane_bytes(pane: muxlink_runtime::PaneId, bytes: &[u8]) -> Self {
        muxlink_event {
            size: size_of::<Self>(),
            abi_version: MUXLINK_ABI_VERSION,
            kind: MUXLINK_EVENT_PANE_BYTES,
            pane: pane.0,
            data: bytes.as_ptr(),
            data_len: bytes.len(),
            ..muxlink_event::EMPTY
        }
    }

    fn data(&mut self, b: &[u8]) {
        self.data = b.as_ptr();
        self.data_len = b.len();
    }

    fn extra(&mut self, b: &[u8]) {
        self.extra = b.as_ptr();
        self.extra_len = b.len();
    }

    /// Fills `self` (already sized) from `ev`. Pointers borrow `ev` and `scratch` (text muxlink
    /// formats: error messages, exit descriptions; reused, so no allocation once warm).
    pub(crate) fn fill(&mut self, ev: &ClientEvent<'_>, scratch: &mut String) {
        let (size, abi_version) = (self.size, self.abi_version);
        *self = muxlink_event {
            size,
            abi_version,
            ..muxlink_event::EMPTY
        };
        scratch.clear();
        let e = self;
        e.kind = match *ev {
            ClientEvent::ControlModeRequested => MUXLINK_EVENT_CONTROL_MODE_REQUESTED,
            ClientEvent::ControlModeLeft => MUXLINK_EVENT_CONTROL_MODE_LEFT,
            ClientEvent::Passthrough(b) => {
                e.data(b);
                MUXLINK_EVENT_PASSTHROUGH
            }
            ClientEvent::Ready => MUXLINK_EVENT_READY,
            ClientEvent::Degraded { version, message } => {
                e.data(version.as_bytes());
                e.extra(message.as_bytes());
                MUXLINK_EVENT_DEGRADED
            }
            ClientEvent::SessionChanged { session } => {
                e.session = session.0;
                MUXLINK_EVENT_SESSION_CHANGED
            }
            ClientEvent::SessionsChanged => MUXLINK_EVENT_SESSIONS_CHANGED,
            ClientEvent::SessionRenamed { session } => {
                e.session = session.0;
                MUXLINK_EVENT_SESSION_RENAMED
            }
            ClientEvent::WindowAdded { window } => {
                e.window = window.0;
                MUXLINK_EVENT_WINDOW_ADDED
            }
            ClientEvent::WindowClosed { window } => {
                e.window = window.0;
                MUXLINK_EVENT_WINDOW_CLOSED
            }
            ClientEvent::WindowRenamed { window } => {
                e.window = window.0;
                MUXLINK_EVENT_WINDOW_RENAMED
            }
            ClientEvent::WindowIndexesChanged => MUXLINK_EVENT_WINDOW_INDEXES_CHANGED,
            ClientEvent::LayoutChanged { window } => {
                e.window = window.0;
                MUXLINK_EVENT_LAYOUT_CHANGED
            }
            ClientEvent::UnlinkedWindowAdded { window } => {
                e.window = window.0;
                MUXLINK_EVENT_UNLINKED_WINDOW_ADDED
            }
            ClientEvent::UnlinkedWindowRenamed { window } => {
                e.window = window.0;
                MUXLINK_EVENT_UNLINKED_WINDOW_RENAMED
            }
            ClientEvent::PaneAdded { pane, window } => {
                e.pane = pane.0;
                e.window = window.map_or(MUXLINK_NONE, |w| w.0);
                MUXLINK_EVENT_PANE_ADDED
            }
            ClientEvent::PaneClosed { pane } => {
                e.pane = pane.0;
                MUXLINK_EVENT_PANE_CLOSED
            }
            ClientEvent::ActiveWindowChanged { session, window } => {
                e.session = session.0;
                e.window = window.0;
                MUXLINK_EVENT_ACTIVE_WINDOW_CHANGED
            }
            ClientEvent::ActivePaneChanged { window, pane } => {
                e.window = window.0;
                e.pane = pane.0;
                MUXLINK_EVENT_ACTIVE_PANE_CHANGED
            }
            ClientEvent::PaneModeChanged { pane } => {
                e.pane = pane.0;
                MUXLINK_EVENT_PANE_MODE_CHANGED
            }
            ClientEvent::Paused { pane } => {
                e.pane = pane.0;
                MUXLINK_EVENT_PAUSED
            }
            ClientEvent::Resumed { pane } => {
                e.pane = pane.0;
                MUXLINK_EVENT_RESUMED
            }
            ClientEvent::OutputAge { pane, age_ms } => {
                e.pane = pane.0;
                e.number = age_ms;
                MUXLINK_EVENT_OUTPUT_AGE
            }
            ClientEvent::Title { pane, title } => {
                e.pane = pane.0;
                e.data(title);
                MUXLINK_EVENT_TITLE
            }
            ClientEvent::Bell { pane } => {
                e.pane = pane.0;
                MUXLINK_EVENT_BELL
            }
            ClientEvent::Clipboard {
                pane,
                selection,
                data,
            } => {
                e.pane = pane.0;
                e.data(data);
                e.extra(selection.as_bytes());
                MUXLINK_EVENT_CLIPBOARD
            }
            ClientEvent::FrameReady { pane } => {
                e.pane = pane.0;
                MUXLINK_EVENT_FRAME_READY
            }
            ClientEvent::PaneBytes { pane, bytes } => {
                e.pane = pane.0;
                e.data(bytes);
                MUXLINK_EVENT_PANE_BYTES
            }
            ClientEvent::PaneReset {
                pane,
                cols,
                rows,
                rebuild,
            } => {
                e.pane = pane.0;
                e.cols = cols;
                e.rows = rows;
                e.data(rebuild);
                MUXLINK_EVENT_PANE_RESET
            }
            ClientEvent::Notice { kind, text } => {
                e.detail = notice(kind);
                e.data(text);
                MUXLINK_EVENT_NOTICE
            }
            ClientEvent::CommandSucceeded { id } => {
                e.command = command_id(id);
                MUXLINK_EVENT_COMMAND_SUCCEEDED
            }
            ClientEvent::CommandFailed { id, message } => {
                e.command = command_id(id);
                e.data(message);
                MUXLINK_EVENT_COMMAND_FAILED
            }
            ClientEvent::CommandReply { id, ok, body } => {
                e.command = command_id(id);
                e.ok = ok as u8;
                e.data(body);
                MUXLINK_EVENT_COMMAND_REPLY
            }
            ClientEvent::UnmatchedReply { number } => {
                e.number = number;
                MUXLINK_EVENT_UNMATCHED_REPLY
            }
            ClientEvent::ProtocolError { ref error, line } => {
                e.data(line);
                let _ = write!(scratch, "{error}");
                MUXLINK_EVENT_PROTOCOL_ERROR
            }
            ClientEvent::Unknown { line } => {
                e.data(line);
                MUXLINK_EVENT_UNKNOWN
            }
            ClientEvent::Exited { reason } => {
                exit(e, reason);
                let _ = write!(scratch, "{reason}");
                MUXLINK_EVENT_EXITED
            }
            ClientEvent::PaneRefused { pane, reason } => {
                e.pane = pane.0;
                e.detail = match reason {
                    RefusalReason::MemoryBudget { needed, .. } => {
                        e.number = needed as u64;
                        MUXLINK_REFUSED_MEMORY_BUDGET
                    }
                    RefusalReason::NoRandomSource => MUXLINK_REFUSED_NO_RANDOM_SOURCE,
                    _ => MUXLINK_REFUSED_OTHER,
                };
                let _ = write!(scratch, "{reason:?}");
                MUXLINK_EVENT_PANE_REFUSED
            }
            ClientEvent::HistoryTrimmed { pane, limit } => {
                e.pane = pane.0;
                e.number = limit as u64;
                MUXLINK_EVENT_HISTORY_TRIMMED
            }
            ClientEvent::LimitReached { limit } => {
                e.detail = match limit {
                    ModelLimit::Sessions => MUXLINK_LIMIT_SESSIONS,
                    ModelLimit::Windows => MUXLINK_LIMIT_WINDOWS,
                    ModelLimit::Panes => MUXLINK_LIMIT_PANES,
                    ModelLimit::OrphanPanes => MUXLINK_LIMIT_ORPHAN_PANES,
                    ModelLimit::MemoryBudget => MUXLINK_LIMIT_MEMORY_BUDGET,
                    _ => MUXLINK_LIMIT_OTHER,
                };
                let _ = write!(scratch, "{limit:?}");
                MUXLINK_EVENT_LIMIT_REACHED
            }
            ClientEvent::ReleaseApproximated {
                reported, notice, ..
            } => {
                e.data(reported.as_bytes());
                scratch.push_str(notice);
                MUXLINK_EVENT_RELEASE_APPROXIMATED
            }
            ClientEvent::ServerOptionsChanged => MUXLINK_EVENT_SERVER_OPTIONS_CHANGED,
            ClientEvent::PlatformWidths { differing } => {
                e.number = differing as u64;
                MUXLINK_EVENT_PLATFORM_WIDTHS
            }
            _ => MUXLINK_EVENT_OTHER,
        };
        if !scratch.is_empty() {
            e.extra(scratch.as_bytes());
        }
    }
}

/// A command id as the C ABI reports it: the runtime's number plus one, so that 0 means "no
/// command" in every out-parameter and event.
pub(crate) fn command_id(id: muxlink_runtime::CommandId) -> u64 {
    id.0.saturating_add(1)
}

fn notice(kind: NoticeKind) -> u32 {
    match kind {
        NoticeKind::Message => MUXLINK_NOTICE_MESSAGE,
        NoticeKind::ConfigError => MUXLINK_NOTICE_CONFIG_ERROR,
        NoticeKind::ClientDetached => MUXLINK_NOTICE_CLIENT_DETACHED,
        NoticeKind::ClientSessionChanged => MUXLINK_NOTICE_CLIENT_SESSION_CHANGED,
        NoticeKind::PasteBufferChanged => MUXLINK_NOTICE_PASTE_BUFFER_CHANGED,
        NoticeKind::PasteBufferDeleted => MUXLINK_NOTICE_PASTE_BUFFER_DELETED,
        NoticeKind::SubscriptionChanged => MUXLINK_NOTICE_SUBSCRIPTION_CHANGED,
        _ => MUXLINK_NOTICE_OTHER,
    }
}

fn exit(e: &mut muxlink_event, reason: &ExitReason) {
    e.detail = match reason {
        ExitReason::Exit(text) => {
            if let Some(t) = text {
                e.data(t.as_bytes());
            }
            MUXLINK_EXIT_TMUX
        }
        ExitReason::Refused(text) => {
            e.data(text.as_bytes());
            MUXLINK_EXIT_REFUSED
        }
        ExitReason::Eof => MUXLINK_EXIT_EOF,
        ExitReason::ProcessExited {
            code,
            signal,
            stderr,
            ..
        } => {
            e.exit_code = code.unwrap_or(-1);
            e.exit_signal = signal.unwrap_or(-1);
            e.data(stderr.as_bytes());
            MUXLINK_EXIT_PROCESS
        }
        ExitReason::Transport { op, os_error, .. } => {
            e.number = matches!(op, muxlink_runtime::IoOp::Write) as u64;
            e.os_error = os_error.unwrap_or(-1);
            MUXLINK_EXIT_TRANSPORT
        }
        ExitReason::ClosedByHost => MUXLINK_EXIT_CLOSED_BY_HOST,
        _ => MUXLINK_EXIT_OTHER,
    };
}

/// Fills `*event` with this library's size, `MUXLINK_ABI_VERSION` and an empty event
/// (`MUXLINK_EVENT_NONE`). From C this name is a macro for
/// `muxlink_event_init_sized(event, sizeof *event)` (see `muxlink_client_config_init`).
/// A NULL or misaligned pointer is ignored.
///
/// # Safety
/// `event` is NULL or points to a writable `muxlink_event` of this library's size.
#[no_mangle]
pub unsafe extern "C" fn muxlink_event_init(event: *mut muxlink_event) {
    // SAFETY: forwarded, with this library's size.
    let _ = unsafe { muxlink_event_init_sized(event, size_of::<muxlink_event>()) };
}

/// `muxlink_event_init` with the caller's `sizeof`: writes nothing and returns
/// `MUXLINK_ERR_STRUCT_SIZE` for a size this library does not know.
///
/// # Safety
/// `event` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn muxlink_event_init_sized(
    event: *mut muxlink_event,
    size: usize,
) -> muxlink_result {
    guard(|| {
        required(event)?;
        // SAFETY: checked; `size` writable bytes (the caller's promise).
        unsafe { sized::init(event, size) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use muxlink_runtime::{CommandId, PaneId};

    #[test]
    fn kinds_are_distinct_and_dense() {
        for (i, (name, v)) in KIND_NAMES.iter().enumerate() {
            assert_eq!(*v as usize, i, "{name}");
        }
    }

    #[test]
    fn pane_bytes_equals_the_general_fill() {
        let bytes = b"hello".to_vec();
        let ev = ClientEvent::PaneBytes {
            pane: PaneId(7),
            bytes: &bytes,
        };
        let mut general = muxlink_event::empty();
        // Something left over from an earlier event must not survive either way.
        general.number = 99;
        general.fill(&ev, &mut String::new());
        let fast = muxlink_event::pane_bytes(PaneId(7), &bytes);
        let fields = |e: &muxlink_event| {
            (
                (
                    e.size,
                    e.abi_version,
                    e.kind,
                    e.pane,
                    e.window,
                    e.session,
                    e.detail,
                ),
                (e.cols, e.rows, e.ok, e.command, e.number),
                (e.exit_code, e.exit_signal, e.os_error),
                (e.data, e.data_len, e.extra, e.extra_len),
            )
        };
        assert_eq!(fields(&fast), fields(&general));
        assert_eq!((fast.kind, fast.data_len), (MUXLINK_EVENT_PANE_BYTES, 5));
    }

    #[test]
    fn fields_borrow_the_event() {
        let mut e = muxlink_event::empty();
        let mut s = String::new();
        let body = b"a\nb".to_vec();
        e.fill(
            &ClientEvent::CommandReply {
                id: CommandId(9),
                ok: true,
                body: &body,
            },
            &mut s,
        );
        assert_eq!(
            (e.kind, e.command, e.ok),
            (MUXLINK_EVENT_COMMAND_REPLY, 10, 1),
            "the C id is the runtime's plus one, so that 0 means none"
        );
        assert_eq!((e.data, e.data_len), (body.as_ptr(), 3));
        assert_eq!((e.pane, e.extra_len), (MUXLINK_NONE, 0));
        let reason = ExitReason::Exit(Some("detached".into()));
        e.fill(&ClientEvent::Exited { reason: &reason }, &mut s);
        assert_eq!(
            (e.kind, e.detail),
            (MUXLINK_EVENT_EXITED, MUXLINK_EXIT_TMUX)
        );
        // SAFETY: points into `reason`, alive.
        let data = unsafe { std::slice::from_raw_parts(e.data, e.data_len) };
        assert_eq!(data, b"detached");
        assert_eq!(e.extra, s.as_ptr());
        e.fill(&ClientEvent::Bell { pane: PaneId(3) }, &mut s);
        assert_eq!(
            (e.kind, e.pane, e.data_len, e.extra_len),
            (MUXLINK_EVENT_BELL, 3, 0, 0)
        );
        assert_eq!(e.size, size_of::<muxlink_event>());
    }
}

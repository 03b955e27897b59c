//! The session model: sessions, windows (with their layout trees) and panes (with their
//! emulators), kept equal to tmux's by notifications and the attach handshake.
//!
//! The host reads it through [`crate::Client::state`]; only the client changes it.

use std::collections::BTreeMap;

use muxlink_proto::{PaneId, SessionId, WindowId};

/// Everything the client knows about the server it is attached to.
#[derive(Debug, Default)]
pub struct Model {
    /// Sessions by id.
    pub sessions: BTreeMap<SessionId, Session>,
    /// Windows by id (linked into the attached session or seen through `list-windows`).
    pub windows: BTreeMap<WindowId, Window>,
    /// Panes by id.
    pub panes: BTreeMap<PaneId, Pane>,
    /// The session this client is attached to.
    pub attached_session: Option<SessionId>,
    /// The tmux version string (`#{version}`), once known.
    pub version: Option<String>,
}

/// A tmux session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `$N`.
    pub id: SessionId,
    /// The name, raw bytes as tmux gave them; `None` until tmux named it (a session first
    /// seen in `%session-window-changed`).
    pub name: Option<Vec<u8>>,
    /// The session's current window, when known.
    pub active_window: Option<WindowId>,
}

/// A tmux window.
#[derive(Debug)]
pub struct Window {
    /// `@N`.
    pub id: WindowId,
    /// The name, raw bytes as tmux gave them (empty until known, see [`Window::name_known`]).
    pub name: Vec<u8>,
    /// Whether `name` has been heard from tmux.
    pub name_known: bool,
    /// tmux's index of the window in the attached session (`#{window_index}`: the number
    /// the status line shows; `base-index`, gaps, `move-window`), `None` until a listing
    /// told it (a window only heard of in a notification so far, or any window in a replay,
    /// which sends no commands).
    ///
    /// No notification carries the index, so the client lists the windows again (one
    /// `list-windows` in flight at a time) after every notification that can renumber them,
    /// and on tmux 3.2+ subscribes to the session's index list, which reports silent
    /// renumbering (`swap-window`, `move-window -r`) within a second.
    /// [`crate::ClientEvent::WindowIndexesChanged`] tells when indexes changed. A window
    /// linked at several indexes of the session keeps the lowest.
    pub index: Option<u32>,
    /// The full layout string (with checksum), when known.
    pub layout: Option<String>,
    /// The visible layout (differs from `layout` while zoomed), when known.
    pub visible_layout: Option<String>,
    /// Whether a pane is zoomed (known with `layout`; `false` while that is `None`).
    pub zoomed: bool,
    /// The active pane, when known.
    pub active_pane: Option<PaneId>,
    /// The window's size from its layout.
    pub cols: u16,
    /// The window's size from its layout.
    pub rows: u16,
    /// The panes in layout order.
    pub panes: Vec<PaneId>,
}

/// A tmux pane and its emulator.
#[derive(Debug)]
pub struct Pane {
    /// `%N`.
    pub id: PaneId,
    /// The window it lives in (`None` while no layout or listing has placed it, e.g. in a
    /// replay whose stream starts after the window's last layout change).
    pub window: Option<WindowId>,
    /// Width in cells.
    pub cols: u16,
    /// Height in cells.
    pub rows: u16,
    /// Left edge within the window.
    pub x: u16,
    /// Top edge within the window.
    pub y: u16,
    /// The mode tmux reports (`copy-mode`, ...), `None` when the pane shows its program.
    pub mode: Option<String>,
    /// Whether tmux paused the pane's output (flow control).
    pub paused: bool,
    /// Whether the pane's content has been captured from tmux (false while a capture is
    /// pending, e.g. right after attach or after a pause).
    pub synced: bool,
    /// The title (OSC 0/2 seen by the emulator, or `#{pane_title}` at the last sync), raw
    /// bytes; `None` while neither has told it (e.g. a replay before any OSC 0/2).
    pub title: Option<Vec<u8>>,
    /// The emulator (grid mode only).
    pub(crate) emu: Option<crate::pane_emu::PaneEmu>,
    /// Sync lines sent and not yet fully answered; output is dropped while > 0, because the
    /// capture that answers them already holds it.
    pub(crate) syncs_in_flight: u32,
    /// What the sync in progress has read so far.
    pub(crate) capture: Option<crate::bytes_mode::PaneCapture>,
    /// Changed since the last frame.
    pub(crate) changed: bool,
    /// The next frame must list every row (new, resized or rebuilt).
    pub(crate) full: bool,
}

impl Pane {
    /// The visible rows as `tmux capture-pane -p` prints them (trailing blanks trimmed).
    /// Empty in bytes mode (no emulator). Allocates.
    pub fn screen_lines(&self) -> Vec<String> {
        self.emu
            .as_ref()
            .map(|e| e.screen_lines())
            .unwrap_or_default()
    }

    /// The pane's emulator (grid mode): cells, history, modes. Borrowed from the model.
    pub fn terminal(&self) -> Option<&muxlink_term::Terminal> {
        self.emu.as_ref().map(|e| e.terminal())
    }

    /// Visible row `y`'s cells (grid mode), no copy.
    pub fn row(&self, y: u16) -> Option<&[muxlink_term::Cell]> {
        self.emu.as_ref().and_then(|e| e.row(y))
    }

    /// The cursor (grid mode).
    pub fn cursor(&self) -> Option<crate::FrameCursor> {
        self.emu.as_ref().map(|e| e.cursor())
    }

    /// Whether the alternate screen is on (grid mode).
    pub fn alternate(&self) -> Option<bool> {
        self.emu.as_ref().map(|e| e.alternate())
    }

    /// Lines of scrollback (grid mode).
    pub fn history_len(&self) -> Option<usize> {
        self.emu.as_ref().map(|e| e.history_len())
    }

    pub(crate) fn new(id: PaneId, window: Option<WindowId>, cols: u16, rows: u16) -> Pane {
        Pane {
            id,
            window,
            cols,
            rows,
            x: 0,
            y: 0,
            mode: None,
            paused: false,
            synced: false,
            title: None,
            emu: None,
            syncs_in_flight: 0,
            capture: None,
            changed: false,
            full: true,
        }
    }
}

impl Window {
    pub(crate) fn new(id: WindowId) -> Window {
        Window {
            id,
            name: Vec::new(),
            name_known: false,
            index: None,
            layout: None,
            visible_layout: None,
            zoomed: false,
            active_pane: None,
            cols: 0,
            rows: 0,
            panes: Vec::new(),
        }
    }
}

impl Model {
    /// The attached session, when known.
    pub fn session(&self) -> Option<&Session> {
        self.attached_session.and_then(|s| self.sessions.get(&s))
    }

    /// A pane by id.
    pub fn pane(&self, id: PaneId) -> Option<&Pane> {
        self.panes.get(&id)
    }

    /// A window by id.
    pub fn window(&self, id: WindowId) -> Option<&Window> {
        self.windows.get(&id)
    }
}

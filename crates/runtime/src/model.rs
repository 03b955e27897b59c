//! The session model: sessions, windows (with their layout trees) and panes (with their
//! emulators), kept equal to tmux's by notifications and the attach handshake.
//!
//! The host reads it through [`crate::Client::state`]; only the client changes it. The
//! queries every host needs (the attached session's active window and pane, the pane at a
//! cell, windows in tmux's order) are methods of [`Model`].
//!
//! Every session's windows are in the model: those of the attached session
//! ([`Window::attached`]) with their panes, those of other sessions with their names, layouts
//! and indexes (tmux sends no output for their panes, so the model keeps no pane of theirs
//! it did not already hold: a pane whose window leaves the attached session stays, marked
//! not synced, and is read again when it comes back).
//!
//! Bounded: at most [`Model::MAX_SESSIONS`], [`Model::MAX_WINDOWS`] and [`Model::MAX_PANES`]
//! records, and everything within the client's memory budget
//! ([`crate::ClientConfig::memory_budget`]).

use std::collections::BTreeMap;

use muxlink_proto::{PaneId, SessionId, WindowId};
use muxlink_term::release::{ServerOptions, TmuxRelease};

use crate::frame::FrameCursor;
use crate::pane_emu::PaneEmu;

/// Everything the client knows about the server it is attached to.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Model {
    /// Sessions by id.
    pub sessions: BTreeMap<SessionId, Session>,
    /// Windows by id (linked into the attached session or seen through `list-windows`).
    pub windows: BTreeMap<WindowId, Window>,
    /// Panes by id.
    pub panes: BTreeMap<PaneId, Pane>,
    /// The session this client is attached to.
    pub attached_session: Option<SessionId>,
    /// The tmux version string (`#{version}`, at most 64 bytes), once known.
    pub version: Option<String>,
    /// The tmux release whose grid behaviour the panes follow, from `#{version}` (the
    /// nearest known one below an unknown version,
    /// [`crate::ClientEvent::ReleaseApproximated`]); `None` until the version is known (a
    /// replay).
    pub release: Option<TmuxRelease>,
    /// The server options that change widths, as read from the server (tmux 3.6+) and kept
    /// in step by a subscription; tmux's defaults until read.
    pub server_options: ServerOptions,
    /// Code points whose width on the server's platform differs from muxlink's tables for
    /// [`Model::release`], as the width probe found them: `(code point, width)`, sorted.
    /// Empty when the probe found nothing, or could not be sent (tmux 3.3, whose width
    /// function can hang on such a question; see `muxlink_term::width_tables::probe`).
    /// The emulators use them (under `codepoint-widths`) once the probe is over, and every
    /// pane is read again then.
    pub platform_widths: Vec<(u32, u8)>,
    /// The server's host name (`#{host}`), which tmux gives a pane as its title until a
    /// program sets one.
    pub(crate) host: Option<Vec<u8>>,
    /// Panes no layout or listing placed (replay).
    pub(crate) orphans: usize,
    /// Records and strings visited by model updates (not by pane output): what the
    /// complexity tests count.
    pub(crate) visits: u64,
}

impl Model {
    /// Most sessions the model keeps.
    pub const MAX_SESSIONS: usize = 10_000;
    /// Most windows the model keeps (of every session).
    pub const MAX_WINDOWS: usize = 100_000;
    /// Most panes the model keeps.
    pub const MAX_PANES: usize = 100_000;
    /// Most panes a replay keeps that no layout placed (output for panes it was never told
    /// of; a live client ignores such output, its listings tell it every pane).
    pub const MAX_ORPHAN_PANES: usize = 1024;
    /// Most bytes kept of one name or title (tmux's own names are far shorter; a longer
    /// one is cut, at a character boundary when it is UTF-8).
    pub const MAX_NAME: usize = 4096;
}

/// A tmux session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// `$N`.
    pub id: SessionId,
    /// The name, raw bytes as tmux gave them; `None` until tmux named it (a session first
    /// seen in `%session-window-changed`).
    pub name: Option<Vec<u8>>,
    /// The session's current window, when known.
    pub active_window: Option<WindowId>,
    /// Bytes charged to the budget for this record.
    pub(crate) cost: usize,
}

/// A tmux window.
#[derive(Debug)]
#[non_exhaustive]
pub struct Window {
    /// `@N`.
    pub id: WindowId,
    /// The session the window belongs to: the attached one when the window is linked into
    /// it, else a session tmux listed it in (the one with the lowest id); `None` while
    /// unknown (a replay's `%unlinked-window-add`, or before tmux named the attached
    /// session).
    pub session: Option<SessionId>,
    /// Whether the window is linked into the attached session (tmux sends output and
    /// layout changes for its panes, and the model holds them). Windows of other sessions
    /// have their name, layout and index only.
    pub attached: bool,
    /// The name, raw bytes as tmux gave them (empty until known, see [`Window::name_known`]).
    pub name: Vec<u8>,
    /// Whether `name` has been heard from tmux.
    pub name_known: bool,
    /// tmux's index of the window in its session ([`Window::session`];
    /// `#{window_index}`: the number the status line shows; `base-index`, gaps,
    /// `move-window`), `None` until a listing told it (a window only heard of in a
    /// notification so far, or any window in a replay, which sends no commands).
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
    /// The panes in layout order (for a window of another session: the ids its layout
    /// names; the model holds only the panes it had already).
    pub panes: Vec<PaneId>,
    /// Sessions whose current window this is (kept so that closing it touches only them).
    pub(crate) active_in: Vec<SessionId>,
    /// Bytes charged to the budget for this record.
    pub(crate) cost: usize,
}

/// A tmux pane and its emulator.
#[derive(Debug)]
#[non_exhaustive]
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
    /// Left edge within the window, 0 for a floating pane that starts left of it (see
    /// [`Pane::left`]).
    pub x: u16,
    /// Top edge within the window, 0 for a floating pane that starts above it (see
    /// [`Pane::top`]).
    pub y: u16,
    /// Left edge within the window, signed: tmux 3.7's floating panes may start left of
    /// the window (`new-pane -X -5`).
    pub left: i32,
    /// Top edge within the window, signed (negative for a floating pane above it).
    pub top: i32,
    /// The mode tmux reports (`copy-mode`, ...), `None` when the pane shows its program.
    pub mode: Option<String>,
    /// Whether tmux paused the pane's output (flow control).
    pub paused: bool,
    /// Whether the pane's content has been captured from tmux (false while a capture is
    /// pending, e.g. right after attach or after a pause).
    pub synced: bool,
    /// The title (OSC 0/2 seen by the emulator, or `#{pane_title}` at the last sync), raw
    /// bytes; `None` while no program set one (tmux then shows its host name; e.g. a replay
    /// before any OSC 0/2).
    pub title: Option<Vec<u8>>,
    /// The pane has no emulator because its grid does not fit in the client's memory
    /// budget ([`crate::ClientEvent::PaneRefused`]); its output is dropped until its size
    /// changes and it fits.
    pub refused: bool,
    /// The emulator (grid mode only).
    pub(crate) emu: Option<PaneEmu>,
    /// Bytes charged to the budget for this record (its strings and its emulator).
    pub(crate) cost: usize,
    /// Output bytes fed since the emulator's cost was last charged to the budget.
    pub(crate) fed: usize,
    /// Changed since its last frame (pushed) or pull.
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
    pub fn cursor(&self) -> Option<FrameCursor> {
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

    /// Whether the cell (`x`, `y`) of its window lies inside this pane.
    pub fn contains(&self, x: u16, y: u16) -> bool {
        let (x, y) = (i64::from(x), i64::from(y));
        let (l, t) = (i64::from(self.left), i64::from(self.top));
        (l..l + i64::from(self.cols)).contains(&x) && (t..t + i64::from(self.rows)).contains(&y)
    }

    pub(crate) fn new(id: PaneId, window: Option<WindowId>, cols: u16, rows: u16) -> Pane {
        Pane {
            id,
            window,
            cols,
            rows,
            x: 0,
            y: 0,
            left: 0,
            top: 0,
            mode: None,
            paused: false,
            synced: false,
            title: None,
            refused: false,
            emu: None,
            cost: 0,
            fed: 0,
            changed: false,
            full: true,
        }
    }

    /// Sets the position (signed offsets, and `x`/`y` clamped to the window).
    pub(crate) fn set_position(&mut self, left: i32, top: i32) {
        self.left = left;
        self.top = top;
        self.x = u16::try_from(left.max(0)).unwrap_or(u16::MAX);
        self.y = u16::try_from(top.max(0)).unwrap_or(u16::MAX);
    }
}

impl Window {
    pub(crate) fn new(id: WindowId) -> Window {
        Window {
            id,
            session: None,
            attached: true,
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
            active_in: Vec::new(),
            cost: 0,
        }
    }
}

impl Session {
    pub(crate) fn new(id: SessionId) -> Session {
        Session {
            id,
            name: None,
            active_window: None,
            cost: 0,
        }
    }
}

impl Model {
    /// The attached session, when known.
    pub fn session(&self) -> Option<&Session> {
        self.attached_session.and_then(|s| self.sessions.get(&s))
    }

    /// A pane by id.
    #[inline]
    pub fn pane(&self, id: PaneId) -> Option<&Pane> {
        self.panes.get(&id)
    }

    /// A window by id.
    pub fn window(&self, id: WindowId) -> Option<&Window> {
        self.windows.get(&id)
    }

    /// The attached session's current window, when known.
    pub fn active_window(&self) -> Option<WindowId> {
        self.session()?.active_window
    }

    /// The active pane of `window`; right after a window appears (before tmux said which
    /// pane is active) its first pane in layout order.
    pub fn active_pane_of(&self, window: WindowId) -> Option<PaneId> {
        let w = self.windows.get(&window)?;
        w.active_pane.or_else(|| w.panes.first().copied())
    }

    /// The active pane of the attached session's current window (see
    /// [`Model::active_pane_of`]): where typed keys go.
    pub fn active_pane(&self) -> Option<PaneId> {
        self.active_pane_of(self.active_window()?)
    }

    /// The panes `window` shows, in layout order: all of them, or the active one alone while
    /// a pane is zoomed. Empty for an unknown window.
    pub fn visible_panes(&self, window: WindowId) -> &[PaneId] {
        let Some(w) = self.windows.get(&window) else {
            return &[];
        };
        if w.zoomed {
            if let Some(i) = self
                .active_pane_of(window)
                .and_then(|a| w.panes.iter().position(|&p| p == a))
            {
                return std::slice::from_ref(&w.panes[i]);
            }
        }
        &w.panes
    }

    /// The pane of `window` shown at its cell (`x`, `y`) (0-based within the window): the
    /// active pane alone while zoomed. `None` on a border, outside the window, or for an
    /// unknown window. Costs a scan of the window's panes.
    pub fn pane_at(&self, window: WindowId, x: u16, y: u16) -> Option<PaneId> {
        self.visible_panes(window)
            .iter()
            .copied()
            .find(|&id| self.panes.get(&id).is_some_and(|p| p.contains(x, y)))
    }

    /// The attached session's windows in tmux's order (what its status line shows): by
    /// [`Window::index`], then those whose index is not known yet, by id. Windows of other
    /// sessions are not listed (see [`Model::windows_of`]). Allocates the list.
    pub fn windows_by_index(&self) -> Vec<&Window> {
        let mut v: Vec<&Window> = self.windows.values().filter(|w| w.attached).collect();
        v.sort_by_key(|w| (w.index.unwrap_or(u32::MAX), w.id));
        v
    }

    /// The windows of `session` ([`Window::session`]) in tmux's order, as
    /// [`Model::windows_by_index`] orders them. Costs a scan of every window; allocates.
    pub fn windows_of(&self, session: SessionId) -> Vec<&Window> {
        let mut v: Vec<&Window> = self
            .windows
            .values()
            .filter(|w| w.session == Some(session))
            .collect();
        v.sort_by_key(|w| (w.index.unwrap_or(u32::MAX), w.id));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let mut m = Model {
            attached_session: Some(SessionId(1)),
            ..Model::default()
        };
        let mut s = Session::new(SessionId(1));
        s.active_window = Some(WindowId(2));
        m.sessions.insert(s.id, s);
        for (id, index) in [(9, None), (4, Some(7)), (2, Some(1)), (3, None)] {
            let mut w = Window::new(WindowId(id));
            w.index = index;
            m.windows.insert(w.id, w);
        }
        let w = m.windows.get_mut(&WindowId(2)).unwrap();
        w.panes = vec![PaneId(5), PaneId(6)];
        for (id, x) in [(5, 0), (6, 41)] {
            let mut p = Pane::new(PaneId(id), Some(WindowId(2)), 40, 24);
            p.set_position(x, 0);
            m.panes.insert(p.id, p);
        }
        m
    }

    #[test]
    fn active_window_and_pane_of_the_attached_session() {
        let mut m = model();
        assert_eq!(m.active_window(), Some(WindowId(2)));
        assert_eq!(
            m.active_pane(),
            Some(PaneId(5)),
            "first pane until tmux says"
        );
        m.windows.get_mut(&WindowId(2)).unwrap().active_pane = Some(PaneId(6));
        assert_eq!(m.active_pane(), Some(PaneId(6)));
        m.attached_session = None;
        assert_eq!(m.active_pane(), None);
    }

    #[test]
    fn pane_at_a_cell_skips_borders_and_follows_zoom() {
        let mut m = model();
        let w = WindowId(2);
        assert_eq!(m.pane_at(w, 0, 0), Some(PaneId(5)));
        assert_eq!(m.pane_at(w, 39, 23), Some(PaneId(5)));
        assert_eq!(m.pane_at(w, 40, 3), None, "the border");
        assert_eq!(m.pane_at(w, 41, 3), Some(PaneId(6)));
        assert_eq!(m.pane_at(w, 81, 3), None, "outside");
        assert_eq!(m.pane_at(WindowId(77), 0, 0), None);
        // Zoomed on %6 (resized to the whole window): %5's cells are %6's.
        let win = m.windows.get_mut(&w).unwrap();
        win.zoomed = true;
        win.active_pane = Some(PaneId(6));
        let p = m.panes.get_mut(&PaneId(6)).unwrap();
        p.set_position(0, 0);
        p.cols = 81;
        assert_eq!(m.visible_panes(w), [PaneId(6)]);
        assert_eq!(m.pane_at(w, 0, 0), Some(PaneId(6)));
    }

    #[test]
    fn windows_go_by_index_then_unknown_by_id() {
        let mut m = model();
        let order: Vec<WindowId> = m.windows_by_index().iter().map(|w| w.id).collect();
        assert_eq!(order, [WindowId(2), WindowId(4), WindowId(3), WindowId(9)]);
        // Another session's window is not the attached session's tab.
        let w = m.windows.get_mut(&WindowId(4)).unwrap();
        w.attached = false;
        w.session = Some(SessionId(7));
        let order: Vec<WindowId> = m.windows_by_index().iter().map(|w| w.id).collect();
        assert_eq!(order, [WindowId(2), WindowId(3), WindowId(9)]);
        let other: Vec<WindowId> = m.windows_of(SessionId(7)).iter().map(|w| w.id).collect();
        assert_eq!(other, [WindowId(4)]);
    }

    #[test]
    fn a_floating_pane_may_start_left_of_its_window() {
        let mut p = Pane::new(PaneId(1), None, 20, 5);
        p.set_position(-5, -3);
        assert_eq!((p.x, p.y), (0, 0));
        assert!(p.contains(0, 0) && p.contains(14, 1));
        assert!(!p.contains(15, 0) && !p.contains(0, 2));
    }
}

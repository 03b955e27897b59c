//! Frames: what changed in one pane since its last frame, with borrowed access to the cells.
//! The same type serves pushed frames ([`crate::Host::on_frame`]) and pulled render state
//! ([`crate::Client::pull_frame`]).

use muxlink_proto::{PaneId, WindowId};
use muxlink_term::{Cell, Modes, Terminal};

/// The cursor as a frame reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameCursor {
    /// Column, 0-based.
    pub x: u16,
    /// Row, 0-based.
    pub y: u16,
    /// Whether the program shows it (DECTCEM).
    pub visible: bool,
}

/// One pane's changes: the rows dirtied since its last frame (pushed) or its last pull, and
/// borrowed access to the pane's emulator. A pushed frame is valid during the
/// [`crate::Host::on_frame`] call that receives it; a pulled one until the next call that
/// borrows the client mutably. Building one allocates nothing once warm.
pub struct Frame<'a> {
    pub(crate) pane: PaneId,
    pub(crate) window: Option<WindowId>,
    pub(crate) dirty: &'a [u16],
    pub(crate) cursor: FrameCursor,
    pub(crate) title: Option<&'a [u8]>,
    pub(crate) full: bool,
    pub(crate) scrolled: u32,
    pub(crate) term: &'a Terminal,
}

impl std::fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("pane", &self.pane)
            .field("dirty", &self.dirty)
            .field("cursor", &self.cursor)
            .field("full", &self.full)
            .field("scrolled", &self.scrolled)
            .finish_non_exhaustive()
    }
}

impl<'a> Frame<'a> {
    /// The pane.
    pub fn pane(&self) -> PaneId {
        self.pane
    }
    /// The pane's window, when known.
    pub fn window(&self) -> Option<WindowId> {
        self.window
    }
    /// The pane's width.
    pub fn cols(&self) -> u16 {
        self.term.cols()
    }
    /// The pane's height.
    pub fn rows(&self) -> u16 {
        self.term.rows()
    }
    /// Lines the pane pushed into its history since its last frame (a scroll of the
    /// screen or of a region, or a clear that keeps the screen). A host showing the pane's
    /// history moves its view up this many lines to stay on the same text (clamped to the
    /// history, whose oldest lines tmux drops past its limit).
    pub fn scrolled(&self) -> u32 {
        self.scrolled
    }
    /// The rows that changed, ascending, 0-based from the top of the visible screen.
    pub fn dirty_rows(&self) -> &'a [u16] {
        self.dirty
    }
    /// The cursor.
    pub fn cursor(&self) -> FrameCursor {
        self.cursor
    }
    /// The pane's title (OSC 0/2, or tmux's `#{pane_title}` when the pane was synced), raw
    /// bytes; `None` while the client has not learnt it.
    pub fn title(&self) -> Option<&'a [u8]> {
        self.title
    }
    /// Visible row `y`'s cells (exactly `cols()` of them), borrowed from the emulator: no
    /// copy. `None` when `y >= rows()`. Text of a cell flagged `EXTENDED` is
    /// [`Frame::terminal`]`.combined(cell.ch)`.
    #[inline]
    pub fn row(&self, y: u16) -> Option<&'a [Cell]> {
        (y < self.term.rows()).then(|| self.term.screen_row(y))
    }
    /// The modes the program set (cursor keys, keypad, mouse, bracketed paste, ...).
    pub fn modes(&self) -> Modes {
        self.term.modes()
    }
    /// Whether the alternate screen is on.
    pub fn alternate(&self) -> bool {
        self.term.is_alternate_screen()
    }
    /// The pane's emulator, for anything else (combined characters, underline colours,
    /// history rows).
    pub fn terminal(&self) -> &'a Terminal {
        self.term
    }
    /// Whether every row is in `dirty_rows` because the pane was resized, rebuilt or is new.
    pub fn is_full(&self) -> bool {
        self.full
    }
}

//! Pane emulator: one VT emulator per tmux pane, grid identical to tmux's, for every tmux
//! release from 3.2a to next-3.8 ([`release`]; the newest by default).
//!
//! [`Terminal`] takes the bytes a pane printed ([`Terminal::feed`]; escape sequences and
//! UTF-8 may be split anywhere across calls) and keeps the grid tmux keeps: screen rows,
//! history with tmux's limit and collection, wrapped-line flags, the cursor (including
//! tmux's pending-wrap column `x == cols`), modes and title. [`capture`] renders it exactly
//! as `tmux capture-pane -p [-e] [-S - -E -]` does.
//!
//! Parsing uses `vte`'s state machine for escape sequences; runs of ground-state text
//! (printable ASCII above all) are handled here in bulk, which is where the time goes.
//! Nothing is ever written back: queries (DA, DSR, ...) are ignored, and effects that leave
//! the pane (bell, title, clipboard) are queued as [`TermEvent`]s.
//!
//! Layout, after tmux's own files: `input/` reads the bytes and dispatches escape
//! sequences (`input.c`); `screen/` is the screen state (`screen.c`) and writing to it:
//! printing (`print.rs`) and editing (`edit.rs`, both `screen-write.c`); `grid/` keeps the
//! lines, history and reflow (`grid.c`, `grid-view.c`, `grid_reflow`) behind its own API.
//!
//! No I/O, no clock. The only `unsafe` is the measured hot paths in `fill.rs` (one 16-byte
//! store per cell, SSE2 on x86_64; the printable-ASCII scan), each block with its safety
//! argument; Miri checks their tests.
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod cell;
mod combined;
mod damage;
mod fill;
mod grid;
mod input;
mod line;
mod modes;
mod params;
mod screen;
mod tabs;
mod vte_state;
mod width;
mod width_table;

pub mod capture;
pub mod release;
pub mod width_tables;

pub use cell::{acs_to_unicode, Attrs, Cell, CellFlags, Color, ColorKind, UnderlineStyle};
pub use damage::Damage;
pub use line::{LineCells, LineView};
pub use modes::Modes;
pub use width::{char_width, UNPRINTABLE};

use input::Input;
use release::{GridPolicy, ReleaseProfile};
use screen::Screen;

/// The cursor as tmux reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Column, `0..=cols`: `cols` means "after the last column, wrap pending" (tmux's
    /// `cursor_x` reports the same). A resize can leave it further right, as tmux does: on
    /// the alternate screen, where a narrowing resize does not reflow, the column stays
    /// where it was; and reflow can put the cursor after a line that ends past the edge
    /// (characters written with autowrap off). `x` then exceeds `cols` until the cursor
    /// moves (a motion clamps it, the next character wraps). Reported as tmux reports it.
    pub x: u16,
    /// Row, `0..rows`.
    pub y: u16,
    /// DECTCEM state.
    pub visible: bool,
}

/// Effects that reach outside the pane; the host decides what to do with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermEvent {
    /// BEL in the ground state.
    Bell,
    /// OSC 0 / OSC 2 / APC set a new title (the new title). Also sent for the first title
    /// a program sets, even when it equals the empty placeholder.
    TitleChanged(String),
    /// OSC 52: `selection` is the selection parameter (e.g. `c`), `data` the base64 text
    /// as sent (`?` is a query, which the emulator does not answer).
    Clipboard {
        /// Selection letters.
        selection: String,
        /// Base64 payload, undecoded.
        data: String,
    },
}

/// One pane's emulator. See the crate docs.
pub struct Terminal {
    input: Input,
    s: Screen,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("cols", &self.cols())
            .field("rows", &self.rows())
            .field("cursor", &self.cursor())
            .field("history", &self.history_len())
            .finish_non_exhaustive()
    }
}

/// tmux's default `history-limit`.
pub const DEFAULT_HISTORY_LIMIT: usize = 2000;

/// The largest width or height tmux allows a pane (`WINDOW_MAXIMUM`); larger sizes asked
/// of the emulator are cut to it.
pub const MAX_SIZE: u16 = 10_000;

/// The largest history limit tmux takes (`history-limit` is at most `INT_MAX`).
pub const MAX_HISTORY_LIMIT: usize = i32::MAX as usize;

impl Terminal {
    /// A blank pane of `cols` x `rows` (each cut to `1..=`[`MAX_SIZE`], as tmux sizes
    /// panes) with tmux's default history limit. Costs a few words per row: rows get their
    /// cells when something is written to them.
    pub fn new(cols: u16, rows: u16) -> Self {
        Self::with_history_limit(cols, rows, DEFAULT_HISTORY_LIMIT)
    }

    /// A blank pane with a given history limit (lines, cut to [`MAX_HISTORY_LIMIT`]). History
    /// is allocated as it fills, not reserved.
    pub fn with_history_limit(cols: u16, rows: u16, limit: usize) -> Self {
        Terminal {
            input: Input::new(),
            s: Screen::new(cols, rows, limit),
        }
    }

    /// A blank pane that renders as the tmux release and server options of `profile` say
    /// (from [`TmuxRelease::profile`](release::TmuxRelease::profile)). [`Terminal::new`]
    /// and [`Terminal::with_history_limit`] use [`TmuxRelease::NEWEST`](release::TmuxRelease::NEWEST)
    /// with default options. Copies the profile (one small allocation when the server has
    /// `codepoint-widths`).
    pub fn with_profile(cols: u16, rows: u16, limit: usize, profile: &ReleaseProfile) -> Self {
        let mut t = Self::with_history_limit(cols, rows, limit);
        t.set_profile(profile);
        t
    }

    /// Renders as `profile` says from now on: call it when the release is known (the
    /// attach handshake) and whenever the server's `variation-selector-always-wide` or
    /// `codepoint-widths` change. As in tmux, characters already in the grid keep the
    /// widths they were given; only characters that arrive later use the new ones. Cheap
    /// (copies the profile); never touches the grid.
    pub fn set_profile(&mut self, profile: &ReleaseProfile) {
        self.s.set_profile(profile);
    }

    /// The rules of the release this pane renders as.
    pub fn policy(&self) -> &GridPolicy {
        self.s.policy()
    }

    /// Feeds bytes the pane printed. Allocates nothing in the steady state (printing,
    /// scrolling with full history); see `tests/alloc.rs`.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.feed(&mut self.s, bytes);
    }

    /// Feeds one `%output` line's data as tmux control mode writes it (every byte below
    /// 0x20 and every `\` as `\ooo`): the same as [`Terminal::feed`] of the unescaped
    /// bytes (a malformed escape stands for its `\`), without unescaping them first. Pass
    /// each line's data whole (tmux never splits an escape across lines); sequences and
    /// characters cut between lines are carried as [`Terminal::feed`] carries them. Reads
    /// the bytes once, at about the cost of [`Terminal::feed`] on the unescaped bytes.
    #[inline]
    pub fn feed_escaped(&mut self, escaped: &[u8]) {
        self.input.feed_escaped(&mut self.s, escaped);
    }

    /// Resizes the pane as tmux does when its layout changes: height first (lines move
    /// between screen and history), then width with tmux's reflow of wrapped lines (not on
    /// the alternate screen, where tmux does not reflow). Sizes are cut to
    /// `1..=`[`MAX_SIZE`]. Allocates (reflow rebuilds the line list).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.s.resize(cols, rows);
    }

    /// Changes the history limit. Existing history over the new limit is trimmed at the
    /// next scroll, not immediately. For a change of the server's `history-limit` option
    /// use [`Terminal::history_limit_option_changed`], which does what the release does.
    pub fn set_history_limit(&mut self, limit: usize) {
        self.s.set_history_limit(limit);
    }

    /// The `history-limit` option that applies to this pane changed on the server (the
    /// limit in lines). From 3.7 tmux applies it to existing panes at once, dropping the
    /// oldest history over it; before 3.7 only panes made afterwards take it, so this does
    /// nothing ([`GridPolicy::history_limit_live`]). O(1).
    pub fn history_limit_option_changed(&mut self, limit: usize) {
        self.s.history_limit_option_changed(limit);
    }

    /// Heap bytes this emulator holds, roughly (what a host's memory budget counts): rows
    /// written so far, history, tables, the string being read, queued events. O(rows +
    /// history lines).
    pub fn heap_bytes(&self) -> usize {
        self.s.heap_bytes() + self.input.heap_bytes()
    }

    /// Width in cells.
    #[inline]
    pub fn cols(&self) -> u16 {
        self.s.cols()
    }

    /// Height in cells.
    #[inline]
    pub fn rows(&self) -> u16 {
        self.s.rows()
    }

    /// History lines currently held.
    pub fn history_len(&self) -> usize {
        self.s.grid().hsize()
    }

    /// The history limit.
    pub fn history_limit(&self) -> usize {
        self.s.grid().limit()
    }

    /// The cursor.
    #[inline]
    pub fn cursor(&self) -> Cursor {
        Cursor {
            x: self.s.cx(),
            y: self.s.cy().min(self.rows() - 1),
            visible: self.s.modes().contains(Modes::CURSOR_VISIBLE),
        }
    }

    /// Whether the alternate screen is shown.
    pub fn is_alternate_screen(&self) -> bool {
        self.s.is_alternate()
    }

    /// The pane title (OSC 0/2, APC). Empty until set (tmux starts with the host name).
    pub fn title(&self) -> &str {
        self.s.title()
    }

    /// Whether a program has set the title ([`Terminal::title`] is then the pane's title,
    /// even when empty); `false` while it is the empty placeholder.
    pub fn title_set(&self) -> bool {
        self.s.title_set()
    }

    /// Current modes.
    #[inline]
    pub fn modes(&self) -> Modes {
        self.s.modes()
    }

    /// The scroll region as `(top, bottom)`, inclusive screen rows.
    pub fn scroll_region(&self) -> (u16, u16) {
        self.s.scroll_region()
    }

    /// Visible row `y` (`0..rows`), exactly `cols` cells, in place. Panics if `y >= rows`.
    #[inline]
    pub fn screen_row(&self, y: u16) -> &[Cell] {
        self.s.grid().screen(y).view(self.cols())
    }

    /// Whether visible row `y` wraps onto the next row (tmux `GRID_LINE_WRAPPED`).
    pub fn screen_row_wrapped(&self, y: u16) -> bool {
        self.s.grid().screen(y).wrapped()
    }

    /// History row `i` (0 = oldest, `history_len() - 1` = just above the screen), `cols`
    /// cells (history is stored packed at the width each line uses; the view unpacks it and
    /// pads it as it is read). Panics if `i >= history_len()`.
    pub fn history_row(&self, i: usize) -> LineView<'_> {
        assert!(
            i < self.history_len(),
            "history row {i} of {}",
            self.history_len()
        );
        self.line(i)
    }

    /// Whether history row `i` wraps onto the next line.
    pub fn history_row_wrapped(&self, i: usize) -> bool {
        self.s.grid().line(i).wrapped()
    }

    /// Any line by absolute index: `0..history_len()` are history, then the screen rows;
    /// `cols` cells either way. Panics if `i >= history_len() + rows`.
    pub fn line(&self, i: usize) -> LineView<'_> {
        assert!(
            i < self.history_len() + self.rows() as usize,
            "line {i} of {}",
            self.history_len() + self.rows() as usize
        );
        LineView::new(self.s.grid().line(i), self.cols())
    }

    /// Whether absolute line `i` wraps.
    pub fn line_wrapped(&self, i: usize) -> bool {
        self.s.grid().line(i).wrapped()
    }

    /// tmux's `cellused` for absolute line `i`: cells `capture-pane` considers in 3.3a.
    pub fn line_used(&self, i: usize) -> u16 {
        self.s.grid().line(i).used().min(self.cols())
    }

    /// The cells of absolute line `i` that `capture-pane` prints for this release: up to
    /// tmux's `cellused` in 3.3a, up to the line's allocated size (`cellsize`, which takes
    /// in cells erased with a colour after the text) in every other release
    /// ([`GridPolicy::capture_trailing_cleared_cells`]).
    pub fn line_captured(&self, i: usize) -> u16 {
        let line = self.s.grid().line(i);
        let end = if self.policy().capture_trailing_cleared_cells {
            line.size()
        } else {
            line.used()
        };
        end.min(self.cols())
    }

    /// The text of an [`CellFlags::EXTENDED`] cell (base character plus combining marks).
    pub fn combined(&self, index: u32) -> &str {
        self.s.combined().get(index)
    }

    /// Appends a cell's text to `out` (nothing for a wide-character spacer). Takes a cell or
    /// a reference to one.
    pub fn push_cell_text(&self, cell: impl std::borrow::Borrow<Cell>, out: &mut String) {
        let cell = cell.borrow();
        if cell.flags.contains(CellFlags::WIDE_SPACER) {
            return;
        }
        if cell.flags.contains(CellFlags::EXTENDED) {
            out.push_str(self.combined(cell.ch));
        } else {
            out.push(char::from_u32(cell.ch).unwrap_or(' '));
        }
    }

    /// The underline colour of a cell (or a reference to one).
    pub fn underline_color(&self, cell: impl std::borrow::Borrow<Cell>) -> Color {
        let cell = cell.borrow();
        self.s.ul_color(cell.ul_color)
    }

    /// Changes since the last reset. O(1).
    pub fn damage(&self) -> &Damage {
        self.s.damage()
    }

    /// Clears the damage. O(rows / 64), no allocation.
    #[inline]
    pub fn reset_damage(&mut self) {
        self.s.reset_damage();
    }

    /// Returns the damage and clears it (allocates a copy of the row bit set; use
    /// [`Terminal::damage`] + [`Terminal::reset_damage`] to avoid that).
    pub fn take_damage(&mut self) -> Damage {
        let d = self.s.damage().clone();
        self.s.reset_damage();
        d
    }

    /// Drains queued events (bell, title, clipboard), oldest first.
    #[inline]
    pub fn take_events(&mut self) -> impl Iterator<Item = TermEvent> + '_ {
        self.s.take_events()
    }
}

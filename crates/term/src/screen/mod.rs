//! The screen: grid, cursor, pen, modes, scroll region, tab stops, title and the alternate
//! screen, following tmux 3.3a's `screen.c` (behaviour re-derived, not code copied).
//!
//! Writing to it follows tmux's `screen-write.c` and lives beside this file: printing
//! characters in `print.rs`, editing (line feeds, scrolling, cursor motion, inserting,
//! deleting and clearing) in `edit.rs`. What the escape sequences mean is decided in
//! `input/` (tmux's `input.c`), which calls the methods here.
//!
//! Cursor convention (tmux's): `cx` may equal `cols` after printing in the last column with
//! autowrap on; that is the pending-wrap state, and the next printable character wraps.

mod edit;
mod print;

use crate::cell::{Cell, Color};
use crate::combined::Combined;
use crate::damage::Damage;
use crate::grid::{Grid, Row};
use crate::modes::Modes;
use crate::release::{GridPolicy, ReleaseProfile, TmuxRelease};
use crate::tabs::TabStops;
use crate::width_tables::CharWidths;
use crate::TermEvent;

/// Titles `CSI 22 t` keeps at most (tmux's limit).
const TITLE_STACK_MAX: usize = 64;

/// Bytes of clipboard data queued at most: two of the longest strings tmux takes.
const CLIPBOARD_QUEUE_MAX: usize = 2 << 20;

/// The pen and charset state saved by DECSC / CSI s.
#[derive(Clone, Copy, Debug)]
struct Saved {
    pen: Cell,
    charsets: Charsets,
    cx: u16,
    cy: u16,
    origin: bool,
}

/// G0/G1 designations and which one is shifted in (tmux's `cell.set`, `g0set`, `g1set`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Charsets {
    /// G0 is DEC special graphics.
    pub g0_acs: bool,
    /// G1 is DEC special graphics.
    pub g1_acs: bool,
    /// SO: G1 is in use.
    pub shift_out: bool,
}

impl Charsets {
    /// Whether the charset in use is DEC special graphics.
    #[inline]
    pub fn acs(self) -> bool {
        if self.shift_out {
            self.g1_acs
        } else {
            self.g0_acs
        }
    }
}

/// The primary screen kept aside while the alternate screen is shown (tmux `saved_grid`).
#[derive(Clone, Debug)]
struct AltSaved {
    lines: Vec<Row>,
    cols: u16,
    rows: u16,
    history: bool,
}

/// One pane's screen state. See the module docs.
pub(crate) struct Screen {
    grid: Grid,
    cx: u16,
    cy: u16,
    pen: Cell,
    charsets: Charsets,
    saved: Saved,
    modes: Modes,
    rupper: u16,
    rlower: u16,
    tabs: TabStops,
    title: String,
    /// Whether the program has set a title (even an empty one): until then `title` is
    /// a placeholder, not the pane's title.
    title_set: bool,
    /// Titles pushed by `CSI 22 ; 0|2 t`.
    title_stack: Vec<String>,
    damage: Damage,
    events: Vec<TermEvent>,
    /// A zero-width joiner was printed: the next character combines with the cell before.
    zwj: bool,
    alt: Option<AltSaved>,
    /// tmux `saved_cx`/`saved_cy`/`saved_cell` (1049); kept after leaving the alternate screen.
    saved_alt_cursor: (u16, u16),
    saved_alt_pen: Cell,
    combined: Combined,
    ul_colors: Vec<Color>,
    scratch: String,
    /// `print_utf8_run`'s characters between decoding and writing (kept: zeroing a fresh
    /// buffer each run costs more than short runs do).
    print_units: Vec<u32>,
    /// tmux's collect item in progress: the cursor row's `cellsize` before the current run
    /// of collected ASCII began. tmux expands a line's storage once per item (when it is
    /// flushed), and an item ends only at a byte that is not printable ASCII, a wrap or a
    /// non-collected cell, never at a `feed` boundary; so a run continued by the next
    /// `feed` recomputes the expansion from this size (feeds split anywhere agree).
    item_size: Option<u16>,
    /// How wide characters are (the release's table and `codepoint-widths`).
    widths: CharWidths,
    /// How characters combine, and everything else that differs between tmux releases.
    policy: GridPolicy,
}

impl Screen {
    /// A blank screen of `cols` x `rows` (each cut to `1..=MAX_SIZE`) keeping `limit`
    /// history lines.
    pub fn new(cols: u16, rows: u16, limit: usize) -> Screen {
        let cols = cols.clamp(1, crate::MAX_SIZE);
        let rows = rows.clamp(1, crate::MAX_SIZE);
        let limit = limit.min(crate::MAX_HISTORY_LIMIT);
        let pen = Cell::BLANK;
        Screen {
            grid: Grid::new(cols, rows, limit),
            cx: 0,
            cy: 0,
            pen,
            charsets: Charsets::default(),
            saved: Saved {
                pen,
                charsets: Charsets::default(),
                cx: 0,
                cy: 0,
                origin: false,
            },
            modes: Modes::INITIAL,
            rupper: 0,
            rlower: rows - 1,
            tabs: TabStops::new(cols),
            title: String::new(),
            title_set: false,
            title_stack: Vec::new(),
            damage: Damage::new(rows),
            events: Vec::new(),
            zwj: false,
            alt: None,
            saved_alt_cursor: (u16::MAX, u16::MAX),
            saved_alt_pen: pen,
            combined: Combined::default(),
            ul_colors: Vec::new(),
            scratch: String::new(),
            print_units: Vec::new(),
            item_size: None,
            widths: CharWidths::new(TmuxRelease::NEWEST, Default::default()),
            policy: TmuxRelease::NEWEST.grid_policy(&Default::default()),
        }
    }

    // ---------------------------------------------------------------- reading

    /// Width.
    #[inline(always)]
    pub fn cols(&self) -> u16 {
        self.grid.cols()
    }

    /// Height.
    #[inline(always)]
    pub fn rows(&self) -> u16 {
        self.grid.rows()
    }

    /// The grid.
    #[inline(always)]
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Sets the history limit (cut to tmux's largest).
    pub fn set_history_limit(&mut self, limit: usize) {
        self.grid.set_limit(limit.min(crate::MAX_HISTORY_LIMIT));
    }

    /// The server's `history-limit` changed: 3.7+ applies it to this pane at once
    /// (session.c, `session_update_history`), dropping history over it; before 3.7 only
    /// panes made afterwards take it.
    pub fn history_limit_option_changed(&mut self, limit: usize) {
        if self.policy.history_limit_live {
            self.set_history_limit(limit);
            self.grid.collect_all_history();
        }
    }

    /// The cursor column (`cols` when a wrap is pending; more after some resizes).
    #[inline(always)]
    pub fn cx(&self) -> u16 {
        self.cx
    }

    /// The cursor row.
    #[inline(always)]
    pub fn cy(&self) -> u16 {
        self.cy
    }

    /// Current modes.
    #[inline(always)]
    pub fn modes(&self) -> Modes {
        self.modes
    }

    /// The scroll region (inclusive rows).
    pub fn scroll_region(&self) -> (u16, u16) {
        (self.rupper, self.rlower)
    }

    /// Whether the alternate screen is shown.
    pub fn is_alternate(&self) -> bool {
        self.alt.is_some()
    }

    /// The title (empty until set).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Whether a program set the title.
    pub fn title_set(&self) -> bool {
        self.title_set
    }

    /// The combined-character table.
    pub fn combined(&self) -> &Combined {
        &self.combined
    }

    /// The underline colour at table index `i` (1-based; 0 is the default).
    pub fn ul_color(&self, i: u8) -> Color {
        match i {
            0 => Color::DEFAULT,
            i => self
                .ul_colors
                .get(i as usize - 1)
                .copied()
                .unwrap_or(Color::DEFAULT),
        }
    }

    /// Changes since the last reset.
    pub fn damage(&self) -> &Damage {
        &self.damage
    }

    /// Clears the damage.
    #[inline]
    pub fn reset_damage(&mut self) {
        self.damage.reset();
    }

    /// Drains the queued events.
    #[inline]
    pub fn take_events(&mut self) -> std::vec::Drain<'_, TermEvent> {
        self.events.drain(..)
    }

    /// The width tmux gives code point `cp`: 0, 1, 2 or `DROPPED`.
    #[inline(always)]
    pub fn width_of(&self, cp: u32) -> u8 {
        self.widths.width(cp)
    }

    /// The release rules in use.
    #[inline(always)]
    pub fn policy(&self) -> &GridPolicy {
        &self.policy
    }

    /// Renders from now on as `profile` says. Cells already written keep their widths
    /// (tmux computes a width once, when the character arrives).
    pub fn set_profile(&mut self, profile: &ReleaseProfile) {
        self.widths = profile.widths.clone();
        self.policy = profile.policy;
        if self.policy.zwj != crate::release::ZwjRule::JoinNext {
            self.zwj = false;
        }
    }

    // ---------------------------------------------------------------- cursor and modes

    #[inline]
    fn set_cursor(&mut self, x: u16, y: u16) {
        if x != self.cx || y != self.cy {
            self.cx = x;
            self.cy = y;
            self.damage.cursor_changed = true;
        }
    }

    /// tmux `screen_write_set_cursor` given both coordinates: a column past the right edge
    /// (the cursor can be there after a resize) becomes the last column, though the
    /// pending-wrap column `cols` is allowed; a row past the bottom becomes the last row.
    /// Setting the position the cursor already has changes nothing.
    fn set_cursor_clamped(&mut self, x: u16, y: u16) {
        if x == self.cx && y == self.cy {
            return;
        }
        let x = if x > self.cols() { self.cols() - 1 } else { x };
        self.set_cursor(x, y.min(self.rows() - 1));
    }

    fn clamp_cursor(&mut self) {
        if self.cx > self.cols() - 1 {
            self.cx = self.cols() - 1;
        }
        if self.cy > self.rows() - 1 {
            self.cy = self.rows() - 1;
        }
    }

    /// Turns a mode on or off, noting the change in the damage.
    pub fn set_mode(&mut self, m: Modes, on: bool) {
        if self.modes.contains(m) != on {
            self.modes.set(m, on);
            self.damage.modes_changed = true;
            if m == Modes::CURSOR_VISIBLE {
                self.damage.cursor_changed = true;
            }
        }
    }

    /// tmux's mouse modes are exclusive: setting one clears the others, resetting any of
    /// them clears all.
    pub fn set_mouse_mode(&mut self, m: Modes, on: bool) {
        if self.modes.intersects(Modes::MOUSE_ANY_REPORTING) {
            self.modes.remove(Modes::MOUSE_ANY_REPORTING);
            self.damage.modes_changed = true;
        }
        if on {
            self.set_mode(m, true);
        }
    }

    // ---------------------------------------------------------------- pen and charsets

    /// The pen (colours and attributes of what is printed next).
    #[inline(always)]
    pub fn pen(&self) -> Cell {
        self.pen
    }

    /// The pen, to change (SGR).
    #[inline(always)]
    pub fn pen_mut(&mut self) -> &mut Cell {
        &mut self.pen
    }

    /// The index of underline colour `c` in the table (0 for the default), added if new.
    pub fn ul_color_index(&mut self, c: Color) -> u8 {
        if c.is_default() {
            return 0;
        }
        if let Some(i) = self.ul_colors.iter().position(|&x| x == c) {
            return (i + 1) as u8;
        }
        if self.ul_colors.len() < 255 {
            self.ul_colors.push(c);
            return self.ul_colors.len() as u8;
        }
        // Table full: reuse the last slot (documented limitation).
        255
    }

    /// Changes the charset designations (SO, SI, `ESC ( 0`, ...).
    pub fn charsets_mut(&mut self) -> &mut Charsets {
        &mut self.charsets
    }

    // ---------------------------------------------------------------- tab stops

    /// The tab stops, to change (HTS, TBC).
    pub fn tabs_mut(&mut self) -> &mut TabStops {
        &mut self.tabs
    }

    /// CBT: back `n` tab stops.
    pub fn back_tab(&mut self, n: i32) {
        let cx = self.cx.min(self.cols() - 1);
        let x = self.tabs.back(cx, n);
        self.set_cursor(x, self.cy);
    }

    // ---------------------------------------------------------------- title and events

    /// BEL. Bells not yet taken count as one: a program printing BEL in a loop queues one.
    pub fn bell(&mut self) {
        if !self.events.iter().any(|e| matches!(e, TermEvent::Bell)) {
            self.events.push(TermEvent::Bell);
        }
    }

    /// OSC 52. A newer clipboard for the same selection replaces one not yet taken, and the
    /// data queued stays within [`CLIPBOARD_QUEUE_MAX`] bytes (the oldest go first): the
    /// queue stays bounded however much a program sends between two drains.
    pub fn clipboard(&mut self, selection: String, data: String) {
        self.events
            .retain(|e| !matches!(e, TermEvent::Clipboard { selection: s, .. } if *s == selection));
        let queued = |events: &[TermEvent]| -> usize {
            events
                .iter()
                .map(|e| match e {
                    TermEvent::Clipboard { selection, data } => selection.len() + data.len(),
                    _ => 0,
                })
                .sum()
        };
        while queued(&self.events) + selection.len() + data.len() > CLIPBOARD_QUEUE_MAX {
            let Some(i) = self
                .events
                .iter()
                .position(|e| matches!(e, TermEvent::Clipboard { .. }))
            else {
                break;
            };
            self.events.remove(i);
        }
        self.events.push(TermEvent::Clipboard { selection, data });
    }

    /// tmux `screen_set_title`: only valid UTF-8 without controls is accepted.
    pub fn set_title_bytes(&mut self, t: &[u8]) {
        let Ok(s) = std::str::from_utf8(t) else {
            return;
        };
        if s.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
            return;
        }
        // 3.7+ (tmux.c, `clean_name` for untrusted names): `#(` becomes `_(` so the title
        // never runs a command in a format, and vis(3) doubles backslashes (controls never
        // get here).
        let cleaned;
        let s = if self.policy.title_escaped && (s.contains("#(") || s.contains('\\')) {
            cleaned = s.replace("#(", "_(").replace('\\', "\\\\");
            cleaned.as_str()
        } else {
            s
        };
        // The first title is news even when empty: the pane's title was unknown before.
        if self.title != s || !self.title_set {
            self.title_set = true;
            self.title.clear();
            self.title.push_str(s);
            self.damage.title_changed = true;
            // Only the latest title not yet taken matters.
            self.events
                .retain(|e| !matches!(e, TermEvent::TitleChanged(_)));
            self.events
                .push(TermEvent::TitleChanged(self.title.clone()));
        }
    }

    /// `CSI 22 ; 0 t`: saves the title (at most 64 are kept, as tmux does).
    pub fn push_title(&mut self) {
        if self.title_stack.len() < TITLE_STACK_MAX {
            self.title_stack.push(self.title.clone());
        }
    }

    /// `CSI 23 ; 0 t`: restores the last saved title.
    pub fn pop_title(&mut self) {
        if let Some(t) = self.title_stack.pop() {
            self.set_title_bytes(t.as_bytes());
        }
    }

    // ---------------------------------------------------------------- saved state, reset

    /// DECSC / `CSI s`.
    pub fn save_state(&mut self) {
        self.saved = Saved {
            pen: self.pen,
            charsets: self.charsets,
            cx: self.cx,
            cy: self.cy,
            origin: self.modes.contains(Modes::ORIGIN),
        };
    }

    /// DECRC / `CSI u`.
    pub fn restore_state(&mut self) {
        let s = self.saved;
        self.pen = s.pen;
        self.charsets = s.charsets;
        self.set_mode(Modes::ORIGIN, s.origin);
        self.cursor_move(Some(s.cx as u32), Some(s.cy as u32), false);
    }

    /// RIS (`ESC c`).
    pub fn full_reset(&mut self) {
        self.pen = Cell::BLANK;
        self.charsets = Charsets::default();
        // tmux resets the saved cell and position but not the saved mode (origin).
        self.saved = Saved {
            pen: Cell::BLANK,
            charsets: Charsets::default(),
            cx: 0,
            cy: 0,
            origin: self.saved.origin,
        };
        self.tabs = TabStops::new(self.cols());
        self.set_scroll_region(0, self.rows() as u32 - 1);
        let old = self.modes;
        self.modes = Modes::INITIAL;
        if old != self.modes {
            self.damage.modes_changed = true;
        }
        self.clear_screen(Color::DEFAULT);
        self.set_cursor(0, 0);
    }

    // ---------------------------------------------------------------- alternate screen

    /// `?47h`, `?1047h`, `?1049h` (`cursor`: also save the cursor and pen).
    pub fn alternate_on(&mut self, cursor: bool) {
        if self.alt.is_some() {
            return;
        }
        let (sx, sy) = (self.cols(), self.rows());
        if cursor {
            self.saved_alt_cursor = (self.cx, self.cy);
        }
        self.saved_alt_pen = self.pen;
        self.alt = Some(AltSaved {
            lines: self.grid.save_screen(),
            cols: sx,
            rows: sy,
            history: self.grid.history_enabled(),
        });
        self.grid.clear(0, 0, sx, sy, Color::DEFAULT);
        self.grid.set_history_enabled(false);
        self.damage.mark_all();
        self.damage.modes_changed = true;
    }

    /// `?47l`, `?1047l`, `?1049l` (`cursor`: also restore the cursor and pen).
    pub fn alternate_off(&mut self, cursor: bool) {
        let (sx, sy) = (self.cols(), self.rows());
        if let Some(alt) = &self.alt {
            if alt.cols != sx || alt.rows != sy {
                // tmux resizes back to the saved size with reflow (the alternate screen's
                // own lines get rewrapped, and any pushed above the screen stay in history).
                let (c, r) = (alt.cols, alt.rows);
                self.resize_grid(c, r, true);
            }
        }
        let (scx, scy) = self.saved_alt_cursor;
        if cursor && scx != u16::MAX && scy != u16::MAX {
            self.cx = scx;
            self.cy = scy;
            self.pen = self.saved_alt_pen;
            self.damage.cursor_changed = true;
        }
        let Some(alt) = self.alt.take() else {
            self.clamp_cursor();
            return;
        };
        self.grid.restore_screen(alt.lines);
        self.grid.set_history_enabled(alt.history);
        if self.cols() != sx || self.rows() != sy {
            self.resize_grid(sx, sy, true);
        }
        self.clamp_cursor();
        self.damage.mark_all();
        self.damage.modes_changed = true;
        self.damage.cursor_changed = true;
    }

    /// Heap bytes held (grid, saved primary screen, tables, titles, queued events).
    pub fn heap_bytes(&self) -> usize {
        let events: usize = self
            .events
            .iter()
            .map(|e| match e {
                TermEvent::Bell => 0,
                TermEvent::TitleChanged(t) => t.capacity(),
                TermEvent::Clipboard { selection, data } => selection.capacity() + data.capacity(),
            })
            .sum();
        self.grid.heap_bytes()
            + self.alt.as_ref().map_or(0, |a| {
                a.lines.capacity() * std::mem::size_of::<Row>()
                    + a.lines.iter().map(Row::heap_bytes).sum::<usize>()
            })
            + self.combined.heap_bytes()
            + self.title.capacity()
            + self.title_stack.iter().map(String::capacity).sum::<usize>()
            + self.events.capacity() * std::mem::size_of::<TermEvent>()
            + events
            + self.tabs.heap_bytes()
            + self.damage.heap_bytes()
    }

    // ---------------------------------------------------------------- combined characters

    /// Drops the combined-character texts no cell references any more (history that was
    /// collected, cells overwritten) and renumbers the rest, so the table follows the grid.
    /// Every row is damaged: cells' indices change, their text does not.
    #[cold]
    #[inline(never)]
    fn compact_combined(&mut self) {
        let mut live = vec![false; self.combined.len()];
        let mut mark = |i: &mut u32| {
            if let Some(l) = live.get_mut(*i as usize) {
                *l = true;
            }
        };
        self.grid.extended_indices(&mut mark);
        if let Some(alt) = &mut self.alt {
            for row in &mut alt.lines {
                row.extended_indices(&mut mark);
            }
        }
        let remap = self.combined.compact(&live);
        let mut rewrite = |i: &mut u32| *i = remap.get(*i as usize).copied().unwrap_or(u32::MAX);
        self.grid.extended_indices(&mut rewrite);
        if let Some(alt) = &mut self.alt {
            for row in &mut alt.lines {
                row.extended_indices(&mut rewrite);
            }
        }
        self.damage.mark_all();
    }

    // ---------------------------------------------------------------- resize

    /// Resizes the pane as tmux does when its layout changes: height first (lines move
    /// between screen and history), then width with tmux's reflow of wrapped lines (not on
    /// the alternate screen, where tmux does not reflow).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let cols = cols.clamp(1, crate::MAX_SIZE);
        let rows = rows.clamp(1, crate::MAX_SIZE);
        if cols == self.cols() && rows == self.rows() {
            return;
        }
        self.item_size = None;
        let reflow = self.alt.is_none();
        self.resize_grid(cols, rows, reflow);
    }

    /// tmux's `screen_resize_cursor`: the grid's resize, then the cursor, tab stops,
    /// scroll region and damage follow.
    fn resize_grid(&mut self, sx: u16, sy: u16, reflow: bool) {
        let sx = sx.max(1);
        let sy = sy.max(1);
        // tmux keeps a pending zero-width joiner only within one parse of pane output; a
        // resize always falls between two.
        self.zwj = false;
        if sx != self.cols() {
            self.tabs = TabStops::new(sx);
        }
        if sy != self.rows() {
            self.rupper = 0;
            self.rlower = sy - 1;
        }
        let cursor = (self.cx as usize, self.grid.hsize() + self.cy as usize);
        let (cx, cy) = self.grid.resize(sx, sy, reflow, cursor);
        let h = self.grid.hsize();
        if cy >= h {
            // Not clamped: like tmux, the cursor may sit past the right edge after a shrink
            // without reflow (the next character wraps); `Terminal::cursor` reports it
            // clamped.
            self.cx = cx.min(u16::MAX as usize) as u16;
            self.cy = ((cy - h) as u16).min(sy - 1);
        } else {
            self.cx = 0;
            self.cy = 0;
        }
        if self.rlower > sy - 1 || self.rupper >= self.rlower {
            self.rupper = 0;
            self.rlower = sy - 1;
        }
        self.damage.resize(sy);
        self.damage.cursor_changed = true;
    }
}

//! The grid: history and screen lines, the way tmux keeps `hsize + sy` lines (`grid.c`,
//! `grid-view.c`).
//!
//! The screen's rows live in `slots`, in any order; `order` is a ring of slot numbers
//! (`top` is where row 0 is), so that scrolling the screen or a region moves slot numbers,
//! not rows or cells, and once rows hold cells allocates nothing. History is packed
//! (`history.rs`): a line that scrolls off is stored at the width it uses, and read back
//! padded to the grid's width. Logical line `i < hsize` is history line `i` (0 is the
//! oldest); line `hsize + y` is screen row `y`.
//!
//! Everything outside this module works in screen coordinates (row `y` of the screen) and
//! reads history through [`Grid::line`]; the storage and its invariants stay in here.

mod history;
mod packed;
mod reflow;
mod row;

pub(crate) use history::Packed;
pub(crate) use packed::Unpack;
pub(crate) use row::{Row, EMPTY, SPACER, UNIT_ASCII, UNIT_EXT, UNIT_WIDE};

use crate::cell::{Cell, CellFlags, Color};
use history::History;

/// Screen rows and packed history.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    /// The screen rows, in no particular order.
    slots: Vec<Row>,
    /// Screen row `y` is `slots[order[(top + y) % rows]]`.
    order: Vec<u32>,
    top: usize,
    history: History,
    /// tmux's `hscrolled`: history lines that scrolled off (not cleared), which a taller
    /// resize pulls back onto the screen.
    hscrolled: usize,
    cols: u16,
    rows: u16,
    limit: usize,
    /// tmux's `GRID_HISTORY`: off on the alternate screen.
    history_on: bool,
}

/// A line of the grid, to read: a screen row or a packed history line.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Line<'a> {
    /// A screen row.
    Screen(&'a Row),
    /// A history line.
    History(Packed<'a>),
}

impl Line<'_> {
    /// tmux's `cellused`.
    pub fn used(&self) -> u16 {
        match self {
            Line::Screen(r) => r.used(),
            Line::History(p) => p.used(),
        }
    }

    /// Whether the line continues on the next one.
    pub fn wrapped(&self) -> bool {
        match self {
            Line::Screen(r) => r.wrapped(),
            Line::History(p) => p.wrapped(),
        }
    }

    /// tmux's `cellsize`: cells the line has storage for.
    pub fn size(&self) -> u16 {
        match self {
            Line::Screen(r) => r.size(),
            Line::History(p) => p.size(),
        }
    }
}

impl Grid {
    /// A blank grid of `cols` x `rows` keeping up to `limit` lines of history.
    pub fn new(cols: u16, rows: u16, limit: usize) -> Grid {
        Grid {
            slots: (0..rows).map(|_| Row::new(cols, Color::DEFAULT)).collect(),
            order: (0..rows as u32).collect(),
            top: 0,
            history: History::default(),
            hscrolled: 0,
            cols,
            rows,
            limit,
            // tmux `grid_create`: a grid made with a zero limit never keeps history.
            history_on: limit != 0,
        }
    }

    /// Width.
    #[inline(always)]
    pub fn cols(&self) -> u16 {
        self.cols
    }

    /// Height of the screen.
    #[inline(always)]
    pub fn rows(&self) -> u16 {
        self.rows
    }

    /// History lines held.
    #[inline(always)]
    pub fn hsize(&self) -> usize {
        self.history.len()
    }

    /// The history limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the history limit (takes effect at the next collection, as in tmux).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Whether lines scrolled off the top go into history (tmux's `GRID_HISTORY`).
    #[inline(always)]
    pub fn history_enabled(&self) -> bool {
        self.history_on
    }

    /// Turns history on or off (the alternate screen keeps none).
    pub fn set_history_enabled(&mut self, on: bool) {
        self.history_on = on;
    }

    /// Forgets which history lines scrolled off (tmux resets `hscrolled` when a clear
    /// pushes the screen into history).
    pub fn reset_hscrolled(&mut self) {
        self.hscrolled = 0;
    }

    /// The slot of screen row `y`.
    #[inline(always)]
    fn slot(&self, y: usize) -> usize {
        self.order[self.order_index(y)] as usize
    }

    /// Any line by absolute index: `0..hsize` are history, then the screen rows.
    #[inline]
    pub fn line(&self, i: usize) -> Line<'_> {
        let h = self.history.len();
        if i < h {
            Line::History(self.history.get(i))
        } else {
            Line::Screen(self.screen(u16::try_from(i - h).unwrap_or(u16::MAX)))
        }
    }

    /// Screen row `y`.
    #[inline(always)]
    pub fn screen(&self, y: u16) -> &Row {
        &self.slots[self.slot(y as usize)]
    }

    /// Screen row `y`, to write.
    #[inline(always)]
    pub fn screen_mut(&mut self, y: u16) -> &mut Row {
        let p = self.slot(y as usize);
        &mut self.slots[p]
    }

    /// Screen row `y - 1` no longer wraps into row `y`; for `y == 0` that is the newest
    /// history line (tmux works on absolute lines, so its "line above" crosses over).
    #[inline]
    fn unwrap_above(&mut self, y: usize) {
        if y > 0 {
            self.screen_mut(y as u16 - 1).set_wrapped(false);
        } else {
            self.history.unwrap_newest();
        }
    }

    /// Where in `order` screen row `y` is.
    #[inline(always)]
    fn order_index(&self, y: usize) -> usize {
        let p = self.top + y;
        let n = self.order.len();
        if p >= n {
            p - n
        } else {
            p
        }
    }

    /// Swaps two screen rows (moves two slot numbers).
    #[inline]
    fn swap(&mut self, a: usize, b: usize) {
        let (pa, pb) = (self.order_index(a), self.order_index(b));
        self.order.swap(pa, pb);
    }

    /// Moves screen row `a` to `b` (`a < b`), rows `a+1..=b` up one.
    #[inline]
    fn rotate_up(&mut self, a: usize, b: usize) {
        let (pa, pb) = (self.order_index(a), self.order_index(b));
        if pa <= pb {
            self.order[pa..=pb].rotate_left(1);
        } else {
            for y in a..b {
                self.swap(y, y + 1);
            }
        }
    }

    /// tmux's `grid_collect_history`: once history reaches the limit, drop a tenth of it.
    pub fn collect_history(&mut self) {
        let h = self.history.len();
        if h == 0 || h < self.limit {
            return;
        }
        let ny = (self.limit / 10).max(1).min(h);
        self.history.drop_oldest(ny);
        self.hscrolled = self.hscrolled.min(self.history.len());
    }

    /// tmux's `grid_collect_history` with `all` (3.7+ applying a changed limit): history
    /// over the limit is dropped at once.
    pub fn collect_all_history(&mut self) {
        let h = self.history.len();
        if h == 0 || h < self.limit {
            return;
        }
        let ny = (h - self.limit).max(1).min(h);
        self.history.drop_oldest(ny);
        self.hscrolled = self.hscrolled.min(self.history.len());
    }

    /// tmux's `grid_scroll_history`: the top screen line becomes history, and a blank
    /// line is added at the bottom. `keep`: the caller writes the new bottom line's cells
    /// `0..keep` at once ([`Row::clear_keeping`]).
    #[inline]
    pub fn scroll_history(&mut self, bg: Color, keep: u16) {
        let slot = self.slot(0);
        self.history.push(&self.slots[slot]);
        let cols = self.cols;
        self.slots[slot].clear_keeping(bg, cols, keep);
        self.top = if self.top + 1 == self.order.len() {
            0
        } else {
            self.top + 1
        };
        self.hscrolled += 1;
    }

    /// tmux's `grid_scroll_history_region`: screen row `upper` goes into history, rows
    /// `upper+1..=lower` move up one, row `lower` becomes blank with `bg`; rows outside the
    /// region stay where they are on screen. `keep` as for [`Grid::scroll_history`].
    pub fn scroll_history_region(&mut self, upper: u16, lower: u16, bg: Color, keep: u16) {
        let p = self.slot(upper as usize);
        self.history.push(&self.slots[p]);
        if upper < lower {
            self.rotate_up(upper as usize, lower as usize);
        }
        let cols = self.cols;
        self.screen_mut(lower).clear_keeping(bg, cols, keep);
        self.hscrolled += 1;
    }
    /// tmux's `grid_move_lines` on screen rows: moves `ny` rows from `py` to `dy`; rows
    /// vacated (in the source but not the destination) become blank with `bg`.
    pub fn move_lines(&mut self, dy: u16, py: u16, ny: u16, bg: Color) {
        let (dy, py, ny) = (dy as usize, py as usize, ny as usize);
        if ny == 0 || py == dy {
            return;
        }
        // tmux clears this flag before moving, so it lands on whichever line was there.
        self.unwrap_above(dy);
        if dy < py {
            for i in 0..ny {
                self.swap(dy + i, py + i);
            }
        } else {
            for i in (0..ny).rev() {
                self.swap(dy + i, py + i);
            }
        }
        let cols = self.cols;
        for yy in py..py + ny {
            if yy < dy || yy >= dy + ny {
                self.screen_mut(yy as u16).clear(bg, cols);
            }
        }
        if py < dy || py >= dy + ny {
            self.unwrap_above(py);
        }
    }

    /// tmux's `grid_view_scroll_region_down` `n` times (CSI T scrolls one line at a time in
    /// tmux), at once: rows `upper..=lower` move down `n`, the top `n` become blank with
    /// `bg`. What the single steps do to wrap flags is done once: the region's top line
    /// no longer wraps (the first step's move clears it, later ones move blanks), nor does
    /// the line above the region.
    pub fn scroll_region_down(&mut self, upper: u16, lower: u16, n: u16, bg: Color) {
        if lower <= upper || n == 0 {
            // A one-line region: tmux's move of zero lines does nothing at all.
            return;
        }
        let height = lower - upper + 1;
        let n = n.min(height);
        self.screen_mut(upper).set_wrapped(false);
        if n < height {
            // Rotate the region right by `n` (three reversals: no allocation).
            let (a, b) = (upper as usize, lower as usize + 1);
            self.reverse(a, b);
            self.reverse(a, a + n as usize);
            self.reverse(a + n as usize, b);
        }
        let cols = self.cols;
        for y in upper..upper + n {
            self.screen_mut(y).clear(bg, cols);
        }
        self.unwrap_above(upper as usize);
    }

    /// Reverses the order of screen rows `a..b`.
    fn reverse(&mut self, a: usize, b: usize) {
        let (mut i, mut j) = (a, b);
        while i + 1 < j {
            j -= 1;
            self.swap(i, j);
            i += 1;
        }
    }

    /// tmux's `grid_clear_lines` on screen rows: whole rows blank with `bg`, and the line
    /// above no longer wraps into them.
    pub fn clear_lines(&mut self, py: u16, ny: u16, bg: Color) {
        if ny == 0 {
            return;
        }
        let cols = self.cols;
        for y in py..py + ny {
            self.screen_mut(y).clear(bg, cols);
        }
        self.unwrap_above(py as usize);
    }

    /// tmux's `grid_clear` on screen rows: cells `px..px+nx` of rows `py..py+ny` blank with
    /// `bg`.
    pub fn clear(&mut self, px: u16, py: u16, nx: u16, ny: u16, bg: Color) {
        if nx == 0 || ny == 0 {
            return;
        }
        if px == 0 && nx >= self.cols {
            self.clear_lines(py, ny, bg);
            return;
        }
        let end = (px as usize + nx as usize).min(self.cols as usize);
        let px = (px as usize).min(end);
        let cols = self.cols;
        let blank = Cell::blank_with_bg(bg);
        for y in py..py + ny {
            let row = self.screen_mut(y);
            // tmux clears default-coloured cells only where it has storage (the rest are
            // default already); a colour extends the storage.
            let end = if bg.is_default() {
                end.min(row.size() as usize).max(px)
            } else {
                row.expand(end, cols);
                end
            };
            row.clear_range(px, end, blank, cols);
            if blank.flags.contains(CellFlags::TMUX_EXTENDED) {
                row.mark_ext(end);
            }
            if !bg.is_default() {
                row.cover(end);
            }
        }
    }

    /// tmux's `grid_clear_history`.
    pub fn clear_history(&mut self) {
        self.history.clear();
        self.hscrolled = 0;
    }

    /// Heap bytes held by the lines.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Row>()
            + self.order.capacity() * 4
            + self.slots.iter().map(Row::heap_bytes).sum::<usize>()
            + self.history.heap_bytes()
    }

    /// Calls `f` with the combined-table index of every `EXTENDED` cell of every line, to
    /// read or rewrite (history lines only to an index no larger).
    pub fn extended_indices(&mut self, mut f: impl FnMut(&mut u32)) {
        for row in &mut self.slots {
            row.extended_indices(&mut f);
        }
        self.history.extended_indices(&mut f);
    }

    /// The screen rows, copied (the alternate screen keeps the primary screen aside).
    pub fn save_screen(&self) -> Vec<Row> {
        (0..self.rows).map(|y| self.screen(y).clone()).collect()
    }

    /// Puts back rows saved by [`Grid::save_screen`] at the same height (row `y` of
    /// `lines` becomes screen row `y`).
    pub fn restore_screen(&mut self, lines: Vec<Row>) {
        for (y, line) in lines.into_iter().enumerate().take(self.rows as usize) {
            *self.screen_mut(y as u16) = line;
        }
    }

    /// The screen rows in order, taken out (install them again with `put_screen`).
    fn take_screen(&mut self) -> Vec<Row> {
        let rows = (0..self.order.len())
            .map(|y| {
                let slot = self.slot(y);
                std::mem::replace(&mut self.slots[slot], Row::new(0, Color::DEFAULT))
            })
            .collect();
        self.slots.clear();
        self.order.clear();
        self.top = 0;
        rows
    }

    /// Installs screen rows in order.
    fn put_screen(&mut self, rows: Vec<Row>) {
        self.order = (0..rows.len() as u32).collect();
        self.slots = rows;
        self.top = 0;
    }

    /// Resizes to `sx` x `sy` as tmux's `screen_resize_cursor` does on the grid: the height
    /// first (tmux's `screen_resize_y`: lines move between screen and history), then the
    /// width, rewrapping wrapped lines (history included) with tmux's `grid_reflow` when
    /// `reflow` is set, or else keeping every line's cells (those past the new edge come
    /// back if the pane widens again). `cursor` is (column, absolute line) and follows its
    /// character; the new position is returned the same way.
    pub fn resize(
        &mut self,
        sx: u16,
        sy: u16,
        reflow: bool,
        cursor: (usize, usize),
    ) -> (usize, usize) {
        let (mut cx, mut cy) = cursor;
        let old_sx = self.cols;
        let width_changed = sx != old_sx;
        self.cols = sx;
        if sy != self.rows {
            self.resize_height(sy, &mut cy);
        }
        if reflow && width_changed {
            // Every line unpacked, rewrapped, and history packed again.
            let mut lines = self.history.take_rows(0);
            lines.extend(self.take_screen());
            let (wx, wy) = reflow::wrap_position(&lines, cx, cy);
            lines = reflow::reflow_lines(lines, sx, old_sx, &mut self.hscrolled);
            let rows = self.rows as usize;
            if lines.len() < rows {
                let add = rows - lines.len();
                lines.extend((0..add).map(|_| Row::new(sx, Color::DEFAULT)));
            }
            (cx, cy) = reflow::unwrap_position(&lines, wx, wy);
            let screen = lines.split_off(lines.len() - rows);
            for line in &lines {
                self.history.push(line);
            }
            self.put_screen(screen);
            self.hscrolled = self.hscrolled.min(self.history.len());
        } else if width_changed {
            for row in &mut self.slots {
                row.set_width(sx);
            }
        }
        (cx, cy)
    }

    /// tmux's `screen_resize_y` with `eat_empty` (as for a pane), on the grid: `cy` is the
    /// cursor's absolute line, moved with the lines. tmux reads the screen's own cursor row
    /// here, which leaving the alternate screen may have set past the bottom.
    fn resize_height(&mut self, sy: u16, cy: &mut usize) {
        let oldy = self.rows as usize;
        let sy_u = sy as usize;
        let cols = self.cols;
        let scr_cy = (*cy).saturating_sub(self.history.len());
        let mut screen = self.take_screen();
        if sy_u < oldy {
            let mut needed = oldy - sy_u;
            // Eat lines below the cursor first (tmux deletes them whatever they hold). tmux
            // computes `oldy - 1 - cy` unsigned: with the cursor below the screen it wraps,
            // and every line needed comes off the bottom.
            let available = match (oldy - 1).checked_sub(scr_cy) {
                Some(below) => below.min(needed),
                None => needed,
            };
            if available > 0 {
                let start = oldy - available;
                screen.truncate(start);
                match start.checked_sub(1) {
                    Some(above) => screen[above].set_wrapped(false),
                    None => self.history.unwrap_newest(),
                }
            }
            needed -= available;
            if self.history_on {
                // The top lines become history.
                let needed = needed.min(screen.len());
                for row in &screen[..needed] {
                    self.history.push(row);
                }
                screen.drain(..needed);
                self.hscrolled += needed;
            } else if needed > 0 && scr_cy > 0 {
                let avail = scr_cy.min(needed).min(screen.len());
                screen.drain(..avail);
                *cy -= avail;
            }
            screen.truncate(sy_u);
        } else {
            let needed = sy_u - oldy;
            if self.history_on && self.hscrolled > 0 {
                // Lines that scrolled off come back from history.
                let available = self.hscrolled.min(needed);
                self.hscrolled -= available;
                let mut back = Vec::with_capacity(available + screen.len());
                for _ in 0..available {
                    if let Some(row) = self.history.pop_newest(cols) {
                        back.push(row);
                    }
                }
                back.reverse();
                back.append(&mut screen);
                screen = back;
            }
        }
        while screen.len() < sy_u {
            screen.push(Row::new(cols, Color::DEFAULT));
        }
        self.put_screen(screen);
        self.rows = sy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A grid with `hist` history lines and marked rows (distinct text, random wrap flags).
    fn grid(cols: u16, rows: u16, hist: usize, wraps: &[bool]) -> Grid {
        let mut g = Grid::new(cols, rows, 100);
        for i in 0..hist + rows as usize {
            let y = rows - 1;
            let row = g.screen_mut(y);
            row.cells_mut(cols)[0].ch = 'a' as u32 + (i % 26) as u32;
            row.touch(1);
            row.expand(1, cols);
            row.set_wrapped(wraps.get(i).copied().unwrap_or(false));
            if i + 1 < hist + rows as usize {
                g.scroll_history(Color::DEFAULT, 0);
            }
        }
        g
    }

    fn lines(g: &Grid) -> Vec<(Vec<Cell>, u16, u16, bool)> {
        let h = g.hsize();
        (0..h + g.rows() as usize)
            .map(|i| {
                let l = if i < h {
                    g.history.row(i, g.cols())
                } else {
                    g.screen((i - h) as u16).clone()
                };
                (l.view(g.cols()).to_vec(), l.used(), l.size(), l.wrapped())
            })
            .collect()
    }

    proptest! {
        /// CSI T at once equals tmux's line-at-a-time scrolling, wrap flags and the line above
        /// the region (history's newest, for a region at the top) included.
        #[test]
        fn scroll_down_at_once_equals_one_line_at_a_time(
            rows in 1u16..12, hist in 0usize..3, top in 0u16..12, bottom in 0u16..12,
            n in 1u16..15, wraps in proptest::collection::vec(any::<bool>(), 20),
            bg in prop_oneof![Just(Color::DEFAULT), Just(Color::ansi(1))],
        ) {
            let (top, bottom) = (top.min(rows - 1), bottom.min(rows - 1));
            prop_assume!(top <= bottom);
            let mut once = grid(6, rows, hist, &wraps);
            let mut steps = once.clone();
            let height = bottom - top + 1;
            once.scroll_region_down(top, bottom, n, bg);
            for _ in 0..n.min(height) {
                steps.move_lines(top + 1, top, bottom - top, bg);
            }
            prop_assert_eq!(lines(&once), lines(&steps));
        }
    }
}

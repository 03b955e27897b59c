//! The grid: history and screen lines, the way tmux keeps `hsize + sy` lines (`grid.c`,
//! `grid-view.c`).
//!
//! Logical line 0 is the oldest history line; line `hsize + y` is screen row `y`. Rows are
//! stored in a ring (`head` is the physical slot of line 0) so that dropping old history and
//! adding a new bottom line move no cells and, once the ring is full, allocate nothing: the
//! dropped rows are the ones reused.
//!
//! Everything outside this module works in screen coordinates (row `y` of the screen) and
//! reads history through [`Grid::line`]; the storage and its invariants stay in here.

mod reflow;
mod row;

pub(crate) use row::Row;

use crate::cell::{Cell, CellFlags, Color};

/// History plus screen lines in a ring.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    slots: Vec<Row>,
    head: usize,
    len: usize,
    hsize: usize,
    /// tmux's `hscrolled`: history lines that scrolled off (not cleared), which a taller
    /// resize pulls back onto the screen.
    hscrolled: usize,
    cols: u16,
    rows: u16,
    limit: usize,
    /// tmux's `GRID_HISTORY`: off on the alternate screen.
    history: bool,
}

impl Grid {
    /// A blank grid of `cols` x `rows` keeping up to `limit` lines of history.
    pub fn new(cols: u16, rows: u16, limit: usize) -> Grid {
        let slots = (0..rows).map(|_| Row::new(cols, Color::DEFAULT)).collect();
        Grid {
            slots,
            head: 0,
            len: rows as usize,
            hsize: 0,
            hscrolled: 0,
            cols,
            rows,
            limit,
            // tmux `grid_create`: a grid made with a zero limit never keeps history.
            history: limit != 0,
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
        self.hsize
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
        self.history
    }

    /// Turns history on or off (the alternate screen keeps none).
    pub fn set_history_enabled(&mut self, on: bool) {
        self.history = on;
    }

    /// Forgets which history lines scrolled off (tmux resets `hscrolled` when a clear
    /// pushes the screen into history).
    pub fn reset_hscrolled(&mut self) {
        self.hscrolled = 0;
    }

    #[inline(always)]
    fn phys(&self, i: usize) -> usize {
        let p = self.head + i;
        let cap = self.slots.len();
        if p >= cap {
            p - cap
        } else {
            p
        }
    }

    /// Any line by absolute index: `0..hsize` are history, then the screen rows.
    #[inline(always)]
    pub fn line(&self, i: usize) -> &Row {
        &self.slots[self.phys(i)]
    }

    #[inline(always)]
    fn line_mut(&mut self, i: usize) -> &mut Row {
        let p = self.phys(i);
        &mut self.slots[p]
    }

    /// Screen row `y`.
    #[inline(always)]
    pub fn screen(&self, y: u16) -> &Row {
        self.line(self.hsize + y as usize)
    }

    /// Screen row `y`, to write.
    #[inline(always)]
    pub fn screen_mut(&mut self, y: u16) -> &mut Row {
        self.line_mut(self.hsize + y as usize)
    }

    /// Screen row `y - 1` no longer wraps into row `y`; for `y == 0` that is the newest
    /// history line (tmux works on absolute lines, so its "line above" crosses over).
    #[inline]
    fn unwrap_above(&mut self, y: usize) {
        let abs = self.hsize + y;
        if abs != 0 {
            self.line_mut(abs - 1).set_wrapped(false);
        }
    }

    /// Swaps two logical lines (moves no cells).
    #[inline]
    fn swap(&mut self, a: usize, b: usize) {
        let (pa, pb) = (self.phys(a), self.phys(b));
        self.slots.swap(pa, pb);
    }

    /// Appends a blank line at the bottom, reusing a free slot when there is one; `keep`
    /// as for [`Row::clear_keeping`].
    #[inline]
    fn push_line(&mut self, bg: Color, keep: u16) {
        if self.len == self.slots.len() {
            self.grow_ring(bg);
        } else {
            let p = self.phys(self.len);
            let cols = self.cols;
            self.slots[p].clear_keeping(bg, cols, keep);
        }
        self.len += 1;
    }

    /// Ring full: make it contiguous and add a row (only while history is filling).
    #[cold]
    #[inline(never)]
    fn grow_ring(&mut self, bg: Color) {
        self.slots.rotate_left(self.head);
        self.head = 0;
        if self.slots.len() == self.slots.capacity() && self.history {
            // Room for the whole history at once rather than by doubling (each doubling
            // moves every row).
            let want = self
                .limit
                .saturating_add(self.rows as usize + 1)
                .min(1 << 16);
            self.slots.reserve(want.saturating_sub(self.slots.len()));
        }
        self.slots.push(Row::new(self.cols, bg));
    }

    /// Drops the `n` oldest lines (they stay allocated as free slots).
    fn drop_oldest(&mut self, n: usize) {
        let n = n.min(self.len);
        self.head = self.phys(n);
        self.len -= n;
    }

    /// tmux's `grid_collect_history`: once history reaches the limit, drop a tenth of it.
    pub fn collect_history(&mut self) {
        if self.hsize == 0 || self.hsize < self.limit {
            return;
        }
        let ny = (self.limit / 10).max(1).min(self.hsize);
        self.drop_oldest(ny);
        self.hsize -= ny;
        if self.hscrolled > self.hsize {
            self.hscrolled = self.hsize;
        }
    }

    /// tmux's `grid_scroll_history`: the top screen line becomes history. `keep`: the
    /// caller writes the new bottom line's cells `0..keep` at once ([`Row::clear_keeping`]).
    pub fn scroll_history(&mut self, bg: Color, keep: u16) {
        self.push_line(bg, keep);
        self.hscrolled += 1;
        self.hsize += 1;
    }

    /// tmux's `grid_scroll_history_region`: screen row `upper` goes into history, rows
    /// `upper+1..=lower` move up one, row `lower` becomes blank with `bg`; rows outside the
    /// region stay where they are on screen. `keep` as for [`Grid::scroll_history`].
    pub fn scroll_history_region(&mut self, upper: u16, lower: u16, bg: Color, keep: u16) {
        let h = self.hsize;
        let sy = self.rows as usize;
        self.push_line(bg, keep);
        // Rotate [h ..= h+upper] right by one: the region's top line lands at h.
        for i in (h..h + upper as usize).rev() {
            self.swap(i, i + 1);
        }
        // Rotate [h+lower+1 ..= h+sy] right by one: the blank line lands below the region.
        for i in (h + lower as usize + 1..h + sy).rev() {
            self.swap(i, i + 1);
        }
        self.hscrolled += 1;
        self.hsize += 1;
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
        let h = self.hsize;
        if dy < py {
            for i in 0..ny {
                self.swap(h + dy + i, h + py + i);
            }
        } else {
            for i in (0..ny).rev() {
                self.swap(h + dy + i, h + py + i);
            }
        }
        let cols = self.cols;
        for yy in py..py + ny {
            if yy < dy || yy >= dy + ny {
                self.line_mut(h + yy).clear(bg, cols);
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
            let h = self.hsize;
            let (a, b) = (h + upper as usize, h + lower as usize + 1);
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

    /// Reverses the order of logical lines `a..b`.
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
            if end > px {
                crate::fill::fill_cells(&mut row.cells_mut(cols)[px..end], blank);
            }
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
        let n = self.hsize;
        self.drop_oldest(n);
        self.hsize = 0;
        self.hscrolled = 0;
    }

    /// Heap bytes held by the lines (free slots included).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Row>()
            + self.slots.iter().map(Row::heap_bytes).sum::<usize>()
    }

    /// Calls `f` with the combined-table index of every `EXTENDED` cell of every line.
    pub fn extended_indices(&mut self, mut f: impl FnMut(&mut u32)) {
        for i in 0..self.len {
            self.line_mut(i).extended_indices(&mut f);
        }
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

    /// Reorganises storage as a plain list of logical lines (used by resize).
    fn take_lines(&mut self) -> Vec<Row> {
        self.slots.rotate_left(self.head);
        self.head = 0;
        self.slots.truncate(self.len);
        std::mem::take(&mut self.slots)
    }

    /// Installs a list of logical lines built by resize.
    fn put_lines(&mut self, lines: Vec<Row>) {
        self.len = lines.len();
        self.slots = lines;
        self.head = 0;
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
        let reflow = reflow && width_changed;
        self.cols = sx;
        if sy != self.rows {
            self.resize_height(sy, &mut cy);
        }
        let mut lines = self.take_lines();
        if reflow {
            let rows = self.rows as usize;
            let (wx, wy) = reflow::wrap_position(&lines, cx, cy);
            lines = reflow::reflow_lines(lines, sx, old_sx, &mut self.hscrolled);
            if lines.len() < rows {
                let add = rows - lines.len();
                lines.extend((0..add).map(|_| Row::new(sx, Color::DEFAULT)));
            }
            self.hsize = lines.len() - rows;
            if self.hscrolled > self.hsize {
                self.hscrolled = self.hsize;
            }
            (cx, cy) = reflow::unwrap_position(&lines, wx, wy);
        } else if width_changed {
            for l in &mut lines {
                l.set_width(sx);
            }
        }
        self.put_lines(lines);
        (cx, cy)
    }

    /// tmux's `screen_resize_y` with `eat_empty` (as for a pane), on the grid: `cy` is the
    /// cursor's absolute line, moved with the lines. tmux reads the screen's own cursor row
    /// here, which leaving the alternate screen may have set past the bottom.
    fn resize_height(&mut self, sy: u16, cy: &mut usize) {
        let oldy = self.rows as usize;
        let sy_u = sy as usize;
        let cols = self.cols;
        let scr_cy = (*cy).saturating_sub(self.hsize);
        let mut lines = self.take_lines();
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
                let start = self.hsize + oldy - available;
                lines.truncate(start);
                if start > 0 {
                    lines[start - 1].set_wrapped(false);
                }
            }
            needed -= available;
            if self.history {
                self.hscrolled += needed;
                self.hsize += needed;
            } else if needed > 0 && scr_cy > 0 {
                let avail = scr_cy.min(needed);
                let h = self.hsize;
                lines.drain(h..h + avail);
                *cy -= avail;
            }
            lines.truncate(self.hsize + sy_u);
            while lines.len() < self.hsize + sy_u {
                lines.push(Row::new(cols, Color::DEFAULT));
            }
        } else {
            let needed = sy_u - oldy;
            if self.history && self.hscrolled > 0 {
                let available = self.hscrolled.min(needed);
                self.hscrolled -= available;
                self.hsize -= available;
            }
            while lines.len() < self.hsize + sy_u {
                lines.push(Row::new(cols, Color::DEFAULT));
            }
        }
        self.rows = sy;
        self.put_lines(lines);
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
        (0..g.hsize() + g.rows() as usize)
            .map(|i| {
                let l = g.line(i);
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

//! Editing the screen, following tmux 3.3a's `screen-write.c`: line feeds and scrolling,
//! cursor motion, inserting, deleting and clearing cells and lines.

use super::Screen;
use crate::cell::{Cell, CellFlags, Color};
use crate::grid::Row;
use crate::modes::Modes;

impl Screen {
    // ---------------------------------------------------------------- C0 motion

    /// BS (tmux `screen_write_backspace`): back one column, or to the end of the line
    /// above when this one continues it.
    pub fn backspace(&mut self) {
        let (mut cx, mut cy) = (self.cx, self.cy);
        if cx == 0 {
            if cy == 0 {
                return;
            }
            if self.grid.screen(cy - 1).wrapped() {
                cy -= 1;
                cx = self.cols() - 1;
            }
        } else {
            cx -= 1;
        }
        self.set_cursor_clamped(cx, cy);
    }

    /// HT: to the next tab stop, or the last column.
    pub fn tab(&mut self) {
        if let Some(x) = self.tabs.next(self.cx, self.cols()) {
            self.set_cursor(x, self.cy);
        }
    }

    /// CR.
    #[inline]
    pub fn carriage_return(&mut self) {
        self.set_cursor(0, self.cy);
    }

    /// CR then LF.
    #[inline]
    pub fn carriage_return_linefeed(&mut self) {
        self.crlf_keeping(0);
    }

    /// `carriage_return_linefeed` with the line feed's `n` as for `linefeed_keeping`.
    #[inline]
    pub(super) fn crlf_keeping(&mut self, n: usize) -> bool {
        self.set_cursor(0, self.cy);
        let bg = self.pen.bg;
        self.linefeed_keeping(false, bg, n)
    }

    /// tmux `screen_write_linefeed`.
    pub fn linefeed(&mut self, wrapped: bool, bg: Color) {
        self.linefeed_keeping(wrapped, bg, 0);
    }

    /// [`Screen::linefeed`] before `n` cells of a printed run are written from column 0 of
    /// the cursor's new line: a line scrolled into history for it keeps cells `1..n` for the
    /// run to write ([`Row::clear_keeping`]). Returns whether the cursor's line is such a
    /// freshly emptied one (it holds no wide character to fix up).
    #[inline]
    pub(super) fn linefeed_keeping(&mut self, wrapped: bool, bg: Color, n: usize) -> bool {
        let cy = self.cy;
        if wrapped {
            self.grid.screen_mut(cy).set_wrapped(true);
        }
        if cy == self.rlower {
            return self.scroll_region_up(bg, n.min(u16::MAX as usize) as u16);
        }
        if cy < self.rows() - 1 {
            self.set_cursor(self.cx, cy + 1);
        }
        false
    }

    /// tmux `grid_view_scroll_region_up`; `keep` as for [`crate::grid::Grid::scroll_history`].
    /// Returns whether a line went into history (the region's new bottom line is then one
    /// emptied by `clear_keeping`).
    fn scroll_region_up(&mut self, bg: Color, keep: u16) -> bool {
        let (ru, rl) = (self.rupper, self.rlower);
        if self.grid.history_enabled() {
            self.grid.collect_history();
            if ru == 0 && rl == self.rows() - 1 {
                self.grid.scroll_history(bg, keep);
            } else {
                // tmux 3.3a also moves the top line of a scroll region into history.
                self.grid.scroll_history_region(ru, rl, bg, keep);
            }
            self.damage.scrolled = self.damage.scrolled.saturating_add(1);
            self.damage.mark_all();
            return true;
        }
        self.grid.move_lines(ru, ru + 1, rl - ru, bg);
        self.damage.mark_range(ru, rl);
        false
    }

    /// tmux `grid_view_scroll_region_down`, `n` times.
    fn scroll_region_down(&mut self, n: u16, bg: Color) {
        let (ru, rl) = (self.rupper, self.rlower);
        self.grid.scroll_region_down(ru, rl, n, bg);
        self.damage.mark_range(ru, rl);
    }

    /// RI (`ESC M`).
    pub fn reverse_index(&mut self) {
        if self.cy == self.rupper {
            let bg = self.pen.bg;
            self.scroll_region_down(1, bg);
        } else if self.cy > 0 {
            self.set_cursor(self.cx, self.cy - 1);
        }
    }

    // ---------------------------------------------------------------- cursor motion

    /// CUU.
    pub fn cursor_up(&mut self, n: u16) {
        let n = n.max(1);
        let (mut cx, cy) = (self.cx, self.cy);
        let n = if cy < self.rupper {
            n.min(cy)
        } else {
            n.min(cy - self.rupper)
        };
        if cx == self.cols() {
            cx -= 1;
        }
        self.set_cursor_clamped(cx, cy - n);
    }

    /// CUD.
    pub fn cursor_down(&mut self, n: u16) {
        let n = n.max(1);
        let (mut cx, cy) = (self.cx, self.cy);
        let n = if cy > self.rlower {
            n.min(self.rows() - 1 - cy)
        } else {
            n.min(self.rlower - cy)
        };
        if cx == self.cols() {
            cx -= 1;
        } else if n == 0 {
            return;
        }
        self.set_cursor_clamped(cx, cy + n);
    }

    /// CUF.
    pub fn cursor_right(&mut self, n: u16) {
        let n = n.max(1);
        let sx = self.cols();
        let mut cx = self.cx;
        if cx >= sx {
            // tmux's unsigned arithmetic lets the cursor leave the screen here; keep it
            // at the edge instead.
            cx = sx - 1;
        }
        let n = n.min(sx - 1 - cx);
        if n == 0 && cx == self.cx {
            return;
        }
        self.set_cursor(cx + n, self.cy);
    }

    /// CUB.
    pub fn cursor_left(&mut self, n: u16) {
        let n = n.max(1).min(self.cx);
        if n == 0 {
            return;
        }
        self.set_cursor_clamped(self.cx - n, self.cy);
    }

    /// CNL / CPL: to column 0, then down (`down`) or up `n` lines.
    pub fn cursor_next_line(&mut self, n: u16, down: bool) {
        self.set_cursor(0, self.cy);
        if down {
            self.cursor_down(n);
        } else {
            self.cursor_up(n);
        }
    }

    /// tmux `screen_write_cursormove`; `None` keeps that coordinate. `origin`: the row is
    /// relative to the scroll region when origin mode is on.
    pub fn cursor_move(&mut self, px: Option<u32>, py: Option<u32>, origin: bool) {
        let mut py = py;
        if origin && self.modes.contains(Modes::ORIGIN) {
            if let Some(y) = py {
                py = Some(if y > (self.rlower - self.rupper) as u32 {
                    self.rlower as u32
                } else {
                    y + self.rupper as u32
                });
            }
        }
        let x = px.map_or(self.cx, |x| x.min(self.cols() as u32 - 1) as u16);
        let y = py.map_or(self.cy, |y| y.min(self.rows() as u32 - 1) as u16);
        self.set_cursor(x, y);
    }

    // ---------------------------------------------------------------- characters

    pub(super) fn insert_cells_at(&mut self, px: u16, py: u16, nx: u16, bg: Color) {
        let sx = self.cols();
        if px >= sx - 1 {
            self.grid.clear(px, py, 1, 1, bg);
        } else {
            let count = sx.saturating_sub(px).saturating_sub(nx);
            move_cells(self.grid.screen_mut(py), px + nx, px, count, bg, sx);
        }
        self.damage.mark(py);
    }

    /// ICH.
    pub fn insert_characters(&mut self, n: u16, bg: Color) {
        let sx = self.cols();
        let n = n.max(1).min(sx.saturating_sub(self.cx));
        if n == 0 || self.cx > sx - 1 {
            return;
        }
        self.insert_cells_at(self.cx, self.cy, n, bg);
    }

    /// DCH.
    pub fn delete_characters(&mut self, n: u16, bg: Color) {
        let sx = self.cols();
        let n = n.max(1).min(sx.saturating_sub(self.cx));
        if n == 0 || self.cx > sx - 1 {
            return;
        }
        let (px, y) = (self.cx, self.cy);
        move_cells(self.grid.screen_mut(y), px, px + n, sx - px - n, bg, sx);
        self.grid.clear(sx - n, y, n, 1, bg);
        self.damage.mark(y);
    }

    /// ECH.
    pub fn erase_characters(&mut self, n: u16, bg: Color) {
        let sx = self.cols();
        let n = n.max(1).min(sx.saturating_sub(self.cx));
        if n == 0 || self.cx > sx - 1 {
            return;
        }
        self.grid.clear(self.cx, self.cy, n, 1, bg);
        self.damage.mark(self.cy);
    }

    // ---------------------------------------------------------------- lines

    /// IL.
    pub fn insert_lines(&mut self, n: u16, bg: Color) {
        let sy = self.rows();
        let n = n.max(1);
        let cy = self.cy;
        if cy < self.rupper || cy > self.rlower {
            let n = n.min(sy - cy);
            if n == 0 {
                return;
            }
            // grid_view_insert_lines: moves sy - cy - n lines (none: nothing happens).
            self.grid.move_lines(cy + n, cy, sy - cy - n, bg);
            self.damage.mark_range(cy, sy - 1);
            return;
        }
        let n = n.min(self.rlower + 1 - cy);
        if n == 0 {
            return;
        }
        let ny2 = self.rlower + 1 - cy - n;
        self.grid.move_lines(cy + n, cy, ny2, bg);
        // tmux 3.3a's grid_view_insert_lines_region then clears `n - ny2` lines from
        // `cy + ny2` in unsigned arithmetic (the moved-from lines are already blank). With
        // fewer lines inserted than moved, the count wraps: grid_clear_lines passes its
        // range checks, clears no line, and still unwraps the line above `cy + ny2`.
        match n.cmp(&ny2) {
            std::cmp::Ordering::Greater => {
                self.grid.clear(0, cy + ny2, self.cols(), n - ny2, bg);
            }
            std::cmp::Ordering::Equal => {}
            std::cmp::Ordering::Less => self.grid.screen_mut(cy + ny2 - 1).set_wrapped(false),
        }
        self.damage.mark_range(cy, self.rlower);
    }

    /// DL.
    pub fn delete_lines(&mut self, n: u16, bg: Color) {
        let sy = self.rows();
        let n = n.max(1);
        let cy = self.cy;
        let cols = self.cols();
        if cy < self.rupper || cy > self.rlower {
            let n = n.min(sy - cy);
            if n == 0 {
                return;
            }
            self.grid.move_lines(cy, cy + n, sy - cy - n, bg);
            self.grid.clear(0, sy - n, cols, n, bg);
            self.damage.mark_range(cy, sy - 1);
            return;
        }
        let n = n.min(self.rlower + 1 - cy);
        if n == 0 {
            return;
        }
        let ny2 = self.rlower + 1 - cy - n;
        self.grid.move_lines(cy, cy + n, ny2, bg);
        self.grid.clear(0, cy + ny2, cols, n, bg);
        self.damage.mark_range(cy, self.rlower);
    }

    /// SU (`CSI S`).
    pub fn scroll_up(&mut self, n: u16, bg: Color) {
        let height = self.rlower - self.rupper + 1;
        let n = if n == 0 { 1 } else { n.min(height) };
        for _ in 0..n {
            self.scroll_region_up(bg, 0);
        }
    }

    /// SD (`CSI T`): as `n` single scrolls (tmux's loop), done at once.
    pub fn scroll_down(&mut self, n: u16, bg: Color) {
        let height = self.rlower - self.rupper + 1;
        let n = if n == 0 { 1 } else { n.min(height) };
        self.scroll_region_down(n, bg);
    }

    /// DECSTBM: the scroll region (inclusive rows; ignored unless `top < bottom`), and the
    /// cursor home.
    pub fn set_scroll_region(&mut self, top: u32, bottom: u32) {
        let sy = self.rows() as u32;
        let top = top.min(sy - 1);
        let bottom = bottom.min(sy - 1);
        if top >= bottom {
            return;
        }
        self.cursor_move(Some(0), Some(0), false);
        self.rupper = top as u16;
        self.rlower = bottom as u16;
    }

    // ---------------------------------------------------------------- clearing

    /// EL 0.
    pub fn clear_end_of_line(&mut self, bg: Color) {
        let sx = self.cols();
        if self.cx > sx - 1 || (self.cx >= self.grid.screen(self.cy).size() && bg.is_default()) {
            return;
        }
        self.grid.clear(self.cx, self.cy, sx - self.cx, 1, bg);
        self.damage.mark(self.cy);
    }

    /// EL 1.
    pub fn clear_start_of_line(&mut self, bg: Color) {
        let sx = self.cols();
        let n = if self.cx > sx - 1 { sx } else { self.cx + 1 };
        self.grid.clear(0, self.cy, n, 1, bg);
        self.damage.mark(self.cy);
    }

    /// EL 2.
    pub fn clear_line(&mut self, bg: Color) {
        if bg.is_default() && self.grid.screen(self.cy).size() == 0 {
            return;
        }
        self.grid.clear(0, self.cy, self.cols(), 1, bg);
        self.damage.mark(self.cy);
    }

    /// tmux `grid_view_clear_history`: with scroll-on-clear (default on), clearing the
    /// whole screen pushes its used lines into history.
    fn clear_screen_into_history(&mut self, bg: Color) {
        let sy = self.rows();
        let last = (0..sy)
            .rev()
            .find(|&y| self.grid.screen(y).used() != 0)
            .map_or(0, |y| y + 1);
        if last == 0 {
            self.grid.clear(0, 0, self.cols(), sy, bg);
        } else {
            for _ in 0..last {
                self.grid.collect_history();
                self.grid.scroll_history(bg, 0);
            }
            self.damage.scrolled = self.damage.scrolled.saturating_add(last as u32);
            if last < sy {
                self.grid.clear(0, 0, self.cols(), sy - last, bg);
            }
            self.grid.reset_hscrolled();
        }
        self.damage.mark_all();
    }

    /// ED 0.
    pub fn clear_end_of_screen(&mut self, bg: Color) {
        let (sx, sy) = (self.cols(), self.rows());
        if self.cx == 0 && self.cy == 0 && self.grid.history_enabled() {
            self.clear_screen_into_history(bg);
            return;
        }
        if self.cx < sx {
            self.grid.clear(self.cx, self.cy, sx - self.cx, 1, bg);
        }
        let from = self.cy + 1;
        self.grid.clear(0, from, sx, sy - from, bg);
        self.damage.mark_range(self.cy, sy - 1);
    }

    /// ED 1.
    pub fn clear_start_of_screen(&mut self, bg: Color) {
        let sx = self.cols();
        if self.cy > 0 {
            self.grid.clear(0, 0, sx, self.cy, bg);
        }
        let n = if self.cx > sx - 1 { sx } else { self.cx + 1 };
        self.grid.clear(0, self.cy, n, 1, bg);
        self.damage.mark_range(0, self.cy);
    }

    /// ED 2.
    pub fn clear_screen(&mut self, bg: Color) {
        if self.grid.history_enabled() {
            self.clear_screen_into_history(bg);
        } else {
            self.grid.clear(0, 0, self.cols(), self.rows(), bg);
            self.damage.mark_all();
        }
    }

    /// ED 3: history is dropped.
    pub fn clear_history(&mut self) {
        self.grid.clear_history();
    }

    /// DECALN (`ESC # 8`): the screen full of `E`, the region reset, the cursor home.
    pub fn alignment_test(&mut self) {
        let e = Cell {
            ch: b'E' as u32,
            ..Cell::BLANK
        };
        let cols = self.cols();
        for y in 0..self.rows() {
            let row = self.grid.screen_mut(y);
            row.expand(cols as usize, cols);
            // tmux sets each cell: one stored out of line stays so.
            for c in &mut row.cells_mut(cols)[..cols as usize] {
                *c = Cell {
                    flags: c.flags & CellFlags::TMUX_EXTENDED,
                    ..e
                };
            }
            row.touch(cols as usize);
        }
        self.set_cursor(0, 0);
        self.rupper = 0;
        self.rlower = self.rows() - 1;
        self.damage.mark_all();
    }
}

/// tmux `grid_move_cells`: moves `nx` cells from `px` to `dx`; source cells outside the
/// destination become blank with `bg`; cells in neither range are left alone.
fn move_cells(row: &mut Row, dx: u16, px: u16, nx: u16, bg: Color, cols: u16) {
    if nx == 0 || px == dx {
        return;
    }
    let (dx, px, nx) = (dx as usize, px as usize, nx as usize);
    let len = row.cells().len().max(cols as usize);
    if px + nx > len || dx + nx > len {
        return;
    }
    row.expand(px + nx, cols);
    row.expand(dx + nx, cols);
    let blank = Cell::blank_with_bg(bg);
    let cells = row.cells_mut(cols);
    cells.copy_within(px..px + nx, dx);
    for (xx, c) in cells.iter_mut().enumerate().take(px + nx).skip(px) {
        if xx < dx || xx >= dx + nx {
            *c = blank;
        }
    }
    row.touch(dx + nx);
    // Cells moved right take the flag with them; blanks with an RGB background have it.
    if row.ext_end() as usize > px || blank.flags.contains(CellFlags::TMUX_EXTENDED) {
        row.mark_ext(px.max(dx) + nx);
    }
    if !bg.is_default() {
        row.cover(px + nx);
    }
}

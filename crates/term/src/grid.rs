//! Lines of cells: history and screen in one ring, the way tmux keeps `hsize + sy` lines.
//!
//! Logical line 0 is the oldest history line; line `hsize + y` is screen row `y`. Rows are
//! stored in a ring (`head` is the physical slot of line 0) so that dropping old history and
//! adding a new bottom line move no cells and, once the ring is full, allocate nothing: the
//! dropped rows are the ones reused.

use crate::cell::{Cell, CellFlags, Color};

/// One line of the grid.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// At least `cols` cells; more when tmux keeps cells past the right edge (a wide
    /// character in a 1-column pane, a line moved whole by a narrowing reflow).
    pub cells: Vec<Cell>,
    /// tmux's `cellused`: one past the last cell ever written (not erased) on this line.
    /// `capture-pane` prints only these cells.
    pub used: u16,
    /// tmux's `GRID_LINE_WRAPPED`: the line continues on the next one.
    pub wrapped: bool,
    /// Cells at or past `max(extent, used)` are default blanks, so clearing the row for
    /// reuse only touches the cells before it (most lines are shorter than the screen).
    pub extent: u16,
    /// tmux's `cellsize`: cells tmux has storage for (grown in steps by `expand`). Cells past
    /// it count as "default" rather than "cleared" in tmux's no-change check.
    pub size: u16,
    /// No cell at or past this column carries [`CellFlags::TMUX_EXTENDED`] (a bound kept
    /// as such cells are written, reset when the line is emptied; tmux's
    /// `GRID_LINE_EXTENDED`, narrowed to a prefix). Plain text written at or past it needs
    /// no per-cell keep of that flag, which is the common case: text after the non-ASCII
    /// characters of its line.
    ///
    /// [`CellFlags::TMUX_EXTENDED`]: crate::cell::CellFlags::TMUX_EXTENDED
    pub ext_end: u16,
}

impl Row {
    pub fn new(cols: u16, bg: Color) -> Row {
        let cells = match BLANKS.get(..cols as usize) {
            // Copied from a ready blank line (`vec![cell; n]` writes field by field).
            Some(blanks) if bg.is_default() => blanks.to_vec(),
            _ => vec![blank_for(bg); cols as usize],
        };
        Row {
            cells,
            used: 0,
            wrapped: false,
            extent: if bg.is_default() { 0 } else { cols },
            size: if bg.is_default() { 0 } else { cols },
            ext_end: blank_ext_end(bg, cols),
        }
    }

    /// tmux's `grid_expand_line`: storage for at least `needed` cells, grown to a quarter,
    /// half or all of the screen width. The new cells read as cleared (tmux's
    /// `grid_clear_cell`: blank with `CellFlags::CLEARED`, which its no-change check sees):
    /// every cell past `size` is [`EMPTY`].
    #[inline]
    pub fn expand(&mut self, needed: usize, cols: u16) {
        if needed <= self.size as usize {
            return;
        }
        self.grow_size(expanded_size(needed, cols));
    }

    /// The size `expand(needed)` would give a line whose size is `from`, applied to this
    /// line (whose size may already be larger; it never shrinks). A collect item that
    /// continues across `feed` calls uses this to expand once, as tmux does.
    #[inline]
    pub fn expand_from(&mut self, from: u16, needed: usize, cols: u16) {
        if needed <= from as usize {
            return;
        }
        let n = expanded_size(needed, cols);
        if n > self.size as usize {
            self.grow_size(n);
        }
    }

    /// Cells past `size` are kept as [`EMPTY`] (cleared, default colours), so the cells
    /// the new storage covers are already what tmux's `grid_clear_cell` makes of them.
    #[inline]
    fn grow_size(&mut self, n: usize) {
        self.size = n.min(u16::MAX as usize) as u16;
    }

    /// tmux's `grid_empty_line`: `cols` blanks with `bg`, nothing used, not wrapped.
    #[inline]
    pub fn clear(&mut self, bg: Color, cols: u16) {
        self.clear_keeping(bg, cols, 0);
    }

    /// [`Row::clear`], except that with the default background cells `1..keep` may keep
    /// what they held: the caller overwrites cells `0..keep` before anything reads the
    /// line (cell 0 is cleared all the same, since writing at column 0 looks at it first).
    /// A printed line that scrolls in then writes its cells once rather than twice.
    #[inline]
    pub fn clear_keeping(&mut self, bg: Color, cols: u16, keep: u16) {
        if self.cells.len() != cols as usize {
            self.cells.resize(cols as usize, EMPTY);
            crate::fill::fill_cells(&mut self.cells, blank_for(bg));
        } else if bg.is_default() {
            let e = (self.extent.max(self.used) as usize).min(self.cells.len());
            let s = if keep > 1 && e > 0 {
                self.cells[0] = EMPTY;
                (keep as usize).min(e)
            } else {
                0
            };
            let stale = &mut self.cells[s..e];
            if stale.len() > 16 && stale.len() <= BLANKS.len() {
                // A copy from a ready blank line: `memcpy` uses the widest stores the CPU
                // has, which beats one store per cell on the scrolling path.
                stale.copy_from_slice(&BLANKS[..stale.len()]);
            } else {
                crate::fill::fill_cells(stale, EMPTY);
            }
        } else {
            crate::fill::fill_cells(&mut self.cells, Cell::blank_with_bg(bg));
        }
        self.extent = if bg.is_default() { 0 } else { cols };
        self.size = self.extent;
        self.used = 0;
        self.wrapped = false;
        self.ext_end = blank_ext_end(bg, cols);
    }

    /// Records that cells before `end` may carry `CellFlags::TMUX_EXTENDED`.
    #[inline]
    pub fn mark_ext(&mut self, end: usize) {
        let end = end.min(u16::MAX as usize) as u16;
        if self.ext_end < end {
            self.ext_end = end;
        }
    }

    /// Makes the row at least `cols` wide. Cells past the edge are kept, as tmux keeps
    /// them when a pane narrows without reflow (they come back if it widens again).
    pub fn grow_to(&mut self, cols: u16) {
        if self.cells.len() < cols as usize {
            self.cells.resize(cols as usize, EMPTY);
        }
        self.extent = self.cells.len() as u16;
    }

    /// Changes the width, keeping contents: padded with blanks, or kept past the new right
    /// edge (tmux's reflow moves a line whole; what lies past the edge comes back if the
    /// pane widens again).
    pub fn set_width(&mut self, cols: u16) {
        if self.cells.len() < cols as usize {
            self.cells.resize(cols as usize, EMPTY);
        }
        self.extent = self.cells.len().min(u16::MAX as usize) as u16;
    }
}

/// tmux's `grid_expand_line` size step for `needed` cells on a `cols`-wide grid.
#[inline]
fn expanded_size(needed: usize, cols: u16) -> usize {
    let c = cols as usize;
    if needed < c / 4 {
        c / 4
    } else if needed < c / 2 {
        c / 2
    } else if c > needed {
        c
    } else {
        needed
    }
}

/// What every cell past a line's storage (`Row::size`) holds: a cleared blank with default
/// colours. tmux has no cells there (they read as the default cell, which `Screen` accounts
/// for); keeping them cleared means growing the storage writes nothing.
pub(crate) const EMPTY: Cell = Cell::blank_with_bg(Color::DEFAULT);

/// A line of [`EMPTY`] cells to copy from (4 KiB).
static BLANKS: [Cell; 256] = [EMPTY; 256];

/// `Row::ext_end` of a line emptied with `bg`: an RGB background is stored out of line.
#[inline]
fn blank_ext_end(bg: Color, cols: u16) -> u16 {
    if blank_for(bg).flags.contains(CellFlags::TMUX_EXTENDED) {
        cols
    } else {
        0
    }
}

/// What an emptied line holds: cleared cells, with the background colour if any.
#[inline]
fn blank_for(bg: Color) -> Cell {
    Cell::blank_with_bg(bg)
}

/// History plus screen lines in a ring.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    slots: Vec<Row>,
    head: usize,
    len: usize,
    pub hsize: usize,
    /// tmux's `hscrolled`: history lines that scrolled off (not cleared), which a taller
    /// resize pulls back onto the screen.
    pub hscrolled: usize,
    pub cols: u16,
    pub rows: u16,
    pub limit: usize,
    /// tmux's `GRID_HISTORY`: off on the alternate screen.
    pub history: bool,
}

impl Grid {
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

    #[inline(always)]
    pub fn line(&self, i: usize) -> &Row {
        &self.slots[self.phys(i)]
    }

    #[inline(always)]
    pub fn line_mut(&mut self, i: usize) -> &mut Row {
        let p = self.phys(i);
        &mut self.slots[p]
    }

    #[inline(always)]
    pub fn screen(&self, y: u16) -> &Row {
        self.line(self.hsize + y as usize)
    }

    #[inline(always)]
    pub fn screen_mut(&mut self, y: u16) -> &mut Row {
        self.line_mut(self.hsize + y as usize)
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

    /// tmux's `grid_move_lines` on logical line numbers: moves `ny` lines from `py` to `dy`;
    /// lines vacated (in the source but not the destination) become blank with `bg`.
    pub fn move_lines(&mut self, dy: usize, py: usize, ny: usize, bg: Color) {
        if ny == 0 || py == dy {
            return;
        }
        // tmux clears this flag before moving, so it lands on whichever line was there.
        if dy != 0 {
            self.line_mut(dy - 1).wrapped = false;
        }
        if dy < py {
            for i in 0..ny {
                self.swap(dy + i, py + i);
            }
        } else {
            for i in (0..ny).rev() {
                self.swap(dy + i, py + i);
            }
        }
        for yy in py..py + ny {
            if yy < dy || yy >= dy + ny {
                let cols = self.cols;
                self.line_mut(yy).clear(bg, cols);
            }
        }
        if py != 0 && (py < dy || py >= dy + ny) {
            self.line_mut(py - 1).wrapped = false;
        }
    }

    /// tmux's `grid_clear_lines`: whole lines blank with `bg`, and the line above no longer
    /// wraps into them.
    pub fn clear_lines(&mut self, py: usize, ny: usize, bg: Color) {
        if ny == 0 {
            return;
        }
        for yy in py..py + ny {
            let cols = self.cols;
            self.line_mut(yy).clear(bg, cols);
        }
        if py != 0 {
            self.line_mut(py - 1).wrapped = false;
        }
    }

    /// tmux's `grid_clear`: cells `px..px+nx` of lines `py..py+ny` blank with `bg`.
    pub fn clear(&mut self, px: u16, py: usize, nx: u16, ny: usize, bg: Color) {
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
        for yy in py..py + ny {
            let row = self.line_mut(yy);
            // tmux clears default-coloured cells only where it has storage (the rest are
            // default already); a colour extends the storage.
            let end = if bg.is_default() {
                end.min(row.size as usize).max(px)
            } else {
                row.expand(end, cols);
                end
            };
            let blank = Cell::blank_with_bg(bg);
            crate::fill::fill_cells(&mut row.cells[px..end], blank);
            if blank.flags.contains(CellFlags::TMUX_EXTENDED) {
                row.mark_ext(end);
            }
            if !bg.is_default() && row.extent < end as u16 {
                row.extent = end as u16;
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

    /// Sets the history limit (takes effect at the next collection, as in tmux).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Reorganises storage as a plain list of logical lines (used by resize).
    pub fn take_lines(&mut self) -> Vec<Row> {
        self.slots.rotate_left(self.head);
        self.head = 0;
        self.slots.truncate(self.len);
        std::mem::take(&mut self.slots)
    }

    /// Installs a list of logical lines built by resize.
    pub fn put_lines(&mut self, lines: Vec<Row>) {
        self.len = lines.len();
        self.slots = lines;
        self.head = 0;
    }
}

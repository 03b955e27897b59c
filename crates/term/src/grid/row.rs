//! One line of cells, with the bookkeeping tmux keeps per line (`struct grid_line`).
//!
//! The fields are private: a row keeps its own invariants (cells at or past
//! `max(extent, used)` are [`EMPTY`]; cells past `size` are [`EMPTY`]; no cell at or past
//! `ext_end` carries [`CellFlags::TMUX_EXTENDED`]) and the writers go through its methods.
//!
//! A row that was never written holds no cells at all (every cell reads as [`EMPTY`]): a
//! grid costs memory for the rows that hold something, not for its area (a 10000x10000
//! pane with a prompt in it costs a few rows). The first write gives it the grid's width.

use crate::cell::{Cell, CellFlags, Color};

/// A row's cells as runs of one style, kept while the row is written only left to right by
/// printed text (the commonest line: text, in one or more colours, in any script): cells
/// `0..end` are the runs' styles with these characters, every cell after them is [`EMPTY`].
/// Packing such a row for history is then a copy of the characters; any other write to the
/// row drops the shadow. A character is a `u32`: the code point (or combined-table index),
/// bit 31 for a wide character (its spacer follows), bit 30 for a combined one (bit 29 is
/// the packing's, for cleared cells, which a shadow never holds).
#[derive(Clone, Debug, Default)]
pub(crate) struct Shadow {
    valid: bool,
    /// The cell after the last character.
    end: u16,
    /// The characters.
    units: Vec<u32>,
    /// Where each run starts (in `units`), and its style (the cell with `ch` 0, without
    /// `WIDE` or `EXTENDED`).
    runs: Vec<(u32, Cell)>,
}

/// A valid shadow: the cells it describes (`0..end`), its characters, its runs.
pub(crate) type ShadowParts<'a> = (u16, &'a [u32], &'a [(u32, Cell)]);

/// A shadow character: a wide one.
pub(crate) const UNIT_WIDE: u32 = 1 << 31;
/// A shadow character: a combined-table index.
pub(crate) const UNIT_EXT: u32 = 1 << 30;
/// Shadow characters are below this (the bits above are flags).
const UNIT_LIMIT: u32 = 1 << 29;
/// Not a shadow character's flag: in the units [`Row::append_units`] takes, a printable
/// ASCII character (written as tmux's collect path writes it).
pub(crate) const UNIT_ASCII: u32 = UNIT_LIMIT;

impl Shadow {
    /// Empty and valid: the row holds only `EMPTY` cells.
    #[inline]
    fn reset(&mut self) {
        self.valid = true;
        self.end = 0;
        self.units.clear();
        self.runs.clear();
    }

    /// The cells it describes (`0..end`), its characters and its runs, when it describes
    /// the row.
    #[inline]
    pub fn get(&self) -> Option<ShadowParts<'_>> {
        self.valid.then_some((self.end, &self.units, &self.runs))
    }

    /// Starts a run with `style` unless the last one has it.
    #[inline(always)]
    fn style(&mut self, style: Cell) {
        if self.runs.last().is_none_or(|r| r.1 != style) {
            self.runs.push((self.units.len() as u32, style));
        }
    }

    /// Cells `x..x + chars.len()` were written with `style` (`ch` 0) and these ASCII
    /// characters. Only an append keeps the shadow.
    #[inline]
    pub fn append(&mut self, x: usize, chars: &[u8], style: Cell) {
        if !self.valid {
            return;
        }
        if x != self.end as usize {
            self.valid = false;
            return;
        }
        self.style(style);
        self.units.extend(chars.iter().map(|&b| b as u32));
        self.end += chars.len() as u16;
    }

    /// Cell `x` (and `x + 1` for a wide character, its spacer) was written with `style`
    /// (`ch` 0, flags without `WIDE`) and code point `cp`. Only an append keeps the shadow.
    #[inline(always)]
    pub fn append_char(&mut self, x: usize, cp: u32, wide: bool, style: Cell) {
        if !self.valid {
            return;
        }
        if x != self.end as usize || cp >= UNIT_LIMIT {
            self.valid = false;
            return;
        }
        self.style(style);
        self.units.push(cp | (wide as u32) << 31);
        self.end += 1 + wide as u16;
    }

    /// Cell `x` (and `x + 1` for a wide one) was written with `cell` of `width` by the
    /// general print path, its spacer (for a wide one) being `spacer`. The shadow holds
    /// if that is an append it can describe: width 1 or 2, a plain [`SPACER`] after a wide
    /// character, no `CLEARED` flag.
    #[inline]
    pub fn append_cell(&mut self, x: usize, cell: Cell, width: usize, spacer: Cell) {
        if !self.valid {
            return;
        }
        let wide = width == 2;
        if x != self.end as usize
            || cell.ch >= UNIT_LIMIT
            || !(width == 1 || wide && spacer == SPACER)
            || cell.flags.contains(CellFlags::WIDE) != wide
            || cell
                .flags
                .intersects(CellFlags::CLEARED | CellFlags::WIDE_SPACER)
        {
            self.valid = false;
            return;
        }
        let ext = cell.flags.contains(CellFlags::EXTENDED);
        self.style(Cell {
            ch: 0,
            flags: cell.flags - CellFlags::WIDE - CellFlags::EXTENDED,
            ..cell
        });
        self.units
            .push(cell.ch | (wide as u32) << 31 | (ext as u32) << 30);
        self.end += width as u16;
    }

    /// The character at cell `x` became `cell` (a combined character, `EXTENDED`): the
    /// shadow holds if that is its last character, else it is dropped.
    pub fn combined(&mut self, x: usize, cell: Cell) {
        if !self.valid {
            return;
        }
        let Some(&last) = self.units.last() else {
            self.valid = false;
            return;
        };
        let wide = last & UNIT_WIDE != 0;
        let at = self.end as usize - 1 - wide as usize;
        let fits = cell.ch < UNIT_LIMIT
            && cell.flags.contains(CellFlags::EXTENDED)
            && cell.flags.contains(CellFlags::WIDE) == wide;
        if x != at || !fits {
            self.valid = false;
            return;
        }
        self.units.pop();
        let style = Cell {
            ch: 0,
            flags: cell.flags - CellFlags::WIDE - CellFlags::EXTENDED,
            ..cell
        };
        self.style(style);
        self.units.push(cell.ch | last & UNIT_WIDE | UNIT_EXT);
        // A run left with no character (the one this one replaced was its only) goes; so
        // does the new run when that leaves it after one of its style (a letter printed
        // as ASCII, then made a combined character, in a line of other combined or
        // non-ASCII characters): its characters continue that run. (No `Vec::remove`: the
        // last two runs are all that move.)
        let n = self.runs.len();
        if n >= 2 && self.runs[n - 2].0 == self.runs[n - 1].0 {
            self.runs[n - 2] = self.runs[n - 1];
            self.runs.pop();
            let n = n - 1;
            if n >= 2 && self.runs[n - 2].1 == self.runs[n - 1].1 {
                self.runs.pop();
            }
        }
    }

    /// Cells `from..to` became `EMPTY`: the shadow still holds if that cuts it short at a
    /// character's first cell.
    #[inline]
    fn cleared(&mut self, from: usize, to: usize) {
        if !self.valid || from >= self.end as usize || from >= to {
            return;
        }
        if to < self.end as usize {
            self.valid = false;
            return;
        }
        while self.end as usize > from {
            let Some(u) = self.units.pop() else {
                break;
            };
            self.end -= 1 + (u & UNIT_WIDE != 0) as u16;
        }
        if self.end as usize != from {
            // Half a wide character cleared.
            self.valid = false;
            return;
        }
        let n = self.units.len() as u32;
        while self.runs.last().is_some_and(|r| r.0 >= n) {
            self.runs.pop();
        }
    }

    /// Drops the shadow (the row was written some other way).
    #[inline]
    pub fn drop_it(&mut self) {
        self.valid = false;
    }
}

/// One line of the grid.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// None (never written: all [`EMPTY`]), or at least `cols` cells; more when tmux keeps
    /// cells past the right edge (a wide character in a 1-column pane, a line moved whole
    /// by a narrowing reflow).
    cells: Vec<Cell>,
    /// tmux's `cellused`: one past the last cell ever written (not erased) on this line.
    /// `capture-pane` prints only these cells.
    used: u16,
    /// tmux's `GRID_LINE_WRAPPED`: the line continues on the next one.
    wrapped: bool,
    /// Cells at or past `max(extent, used)` are default blanks, so clearing the row for
    /// reuse only touches the cells before it (most lines are shorter than the screen).
    extent: u16,
    /// tmux's `cellsize`: cells tmux has storage for (grown in steps by `expand`). Cells past
    /// it count as "default" rather than "cleared" in tmux's no-change check.
    size: u16,
    /// No cell at or past this column carries [`CellFlags::TMUX_EXTENDED`] (a bound kept
    /// as such cells are written, reset when the line is emptied; tmux's
    /// `GRID_LINE_EXTENDED`, narrowed to a prefix). Plain text written at or past it needs
    /// no per-cell keep of that flag, which is the common case: text after the non-ASCII
    /// characters of its line.
    ext_end: u16,
    /// The cells as runs, while that is cheap to keep (see [`Shadow`]).
    shadow: Shadow,
}

impl Row {
    /// A line of `cols` blanks with background `bg`, nothing used (tmux's
    /// `grid_empty_line`).
    pub fn new(cols: u16, bg: Color) -> Row {
        let cells = if bg.is_default() {
            Vec::new()
        } else {
            vec![Cell::blank_with_bg(bg); cols as usize]
        };
        Row {
            cells,
            used: 0,
            wrapped: false,
            extent: if bg.is_default() { 0 } else { cols },
            size: if bg.is_default() { 0 } else { cols },
            ext_end: blank_ext_end(bg, cols),
            shadow: Shadow {
                valid: bg.is_default(),
                ..Shadow::default()
            },
        }
    }

    /// A row from stored parts (a history line unpacked): `cells` (padded to `cols` when
    /// there are some but fewer) and tmux's bookkeeping.
    pub fn from_parts(
        mut cells: Vec<Cell>,
        cols: u16,
        used: u16,
        size: u16,
        ext_end: u16,
        wrapped: bool,
    ) -> Row {
        let extent = cells.len().min(u16::MAX as usize) as u16;
        if !cells.is_empty() && cells.len() < cols as usize {
            cells.resize(cols as usize, EMPTY);
        }
        Row {
            cells,
            used,
            wrapped,
            extent,
            size,
            ext_end,
            shadow: Shadow::default(),
        }
    }

    /// The cells that may differ from [`EMPTY`] (those past them are `EMPTY`).
    #[inline]
    pub fn stored(&self) -> &[Cell] {
        let end = (self.extent.max(self.used) as usize).min(self.cells.len());
        &self.cells[..end]
    }

    /// The cells held: none for a row never written, else at least the grid's width.
    #[inline(always)]
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Cell `x` ([`EMPTY`] where the row holds none).
    #[inline(always)]
    pub fn cell(&self, x: usize) -> Cell {
        self.cells.get(x).copied().unwrap_or(EMPTY)
    }

    /// The first `cols` cells, blanks for a row never written.
    #[inline]
    pub fn view(&self, cols: u16) -> &[Cell] {
        let cols = cols as usize;
        match self.cells.get(..cols) {
            Some(cells) => cells,
            // Never written (a row holds none or at least `cols` cells).
            None => &BLANK_ROW[..cols.min(BLANK_ROW.len())],
        }
    }

    /// The cells, to write (at least `cols` of them: a row never written gets them now).
    /// Writers keep the row's invariants: they call [`Row::touch`] for what they write,
    /// [`Row::mark_ext`] for cells tmux stores out of line and [`Row::cover`] for blanks
    /// with a colour.
    #[inline(always)]
    pub fn cells_mut(&mut self, cols: u16) -> &mut [Cell] {
        let (cells, shadow) = self.cells_and_shadow(cols);
        shadow.drop_it();
        cells
    }

    /// [`Row::cells_mut`] for a writer that keeps the shadow itself (printed ASCII runs):
    /// the cells and the shadow, which stays as it is unless the writer changes it.
    #[inline(always)]
    pub fn cells_and_shadow(&mut self, cols: u16) -> (&mut [Cell], &mut Shadow) {
        if self.cells.len() < cols as usize {
            self.materialize(cols);
        }
        (&mut self.cells, &mut self.shadow)
    }

    /// The shadow (see [`Shadow`]).
    #[inline(always)]
    pub fn shadow(&self) -> &Shadow {
        &self.shadow
    }

    #[cold]
    #[inline(never)]
    fn materialize(&mut self, cols: u16) {
        // Copied from a ready blank line (`vec![cell; n]` writes field by field).
        let have = self.cells.len();
        self.cells
            .extend_from_slice(&BLANK_ROW[have..(cols as usize).min(BLANK_ROW.len())]);
        self.cells.resize(cols as usize, EMPTY);
    }

    /// Printed characters appended where the row's shadow ends, the common case of text
    /// in any script: the cells from there on are [`EMPTY`], so no wide character needs
    /// fixing up, and the shadow takes the characters as they are. `units` (not empty) are
    /// the characters in the shadow's form (code point or combined index, [`UNIT_WIDE`]
    /// for a wide one, [`UNIT_EXT`] for a combined one) plus [`UNIT_ASCII`] for printable
    /// ASCII, all fitting before `cols`; `mixed` is their flags or-ed. Each cell is
    /// `head` (flags `TMUX_EXTENDED` only) with its character, a wide one followed by a
    /// plain [`SPACER`]; an ASCII one (not combined) has no flags unless `pen_ext` (tmux's
    /// collect path). Storage grows as tmux's does: for each cell ([`Row::expand`]), or
    /// once per run of ASCII (a collect item, which a combined character ends). Returns
    /// the column after the last character and, when the units end in an item, the size
    /// before it (see `Screen::item_size`); or `None` (nothing written) when the shadow
    /// does not end at `x`.
    #[inline]
    pub fn append_units(
        &mut self,
        x: usize,
        cols: u16,
        head: Cell,
        units: &[u32],
        mixed: u32,
        pen_ext: bool,
    ) -> Option<(usize, Option<u16>)> {
        debug_assert_eq!(head.flags, CellFlags::TMUX_EXTENDED);
        if !self.shadow.valid || self.shadow.end as usize != x || units.is_empty() {
            return None;
        }
        if self.cells.len() < cols as usize {
            self.materialize(cols);
        }
        if mixed & (UNIT_ASCII | UNIT_EXT) != 0 {
            return Some(self.append_mixed(x, cols, head, units, pen_ext));
        }
        let cells = &mut self.cells[..cols as usize];
        // What follows a character: the spacer of a wide one, else the empty cell that
        // is there already (written all the same: no branch on the width).
        const AFTER: [Cell; 2] = [EMPTY, SPACER];
        let mut size = self.size as usize;
        let mut x = x;
        for &u in units {
            let wide = (u >> 31) as usize;
            debug_assert!(u & !UNIT_WIDE < UNIT_LIMIT && cells[x] == EMPTY);
            let end = x + 1 + wide;
            if end > size {
                size = expanded_size(end, cols);
            }
            let mut cell = head;
            cell.ch = u & !UNIT_WIDE;
            cell.flags = CellFlags::from_bits_retain(
                head.flags.bits() | (CellFlags::WIDE.bits() * wide as u8),
            );
            cells[x] = cell;
            if let Some(c) = cells.get_mut(x + 1) {
                *c = AFTER[wide];
            }
            x = end;
        }
        self.shadow.style(Cell { ch: 0, ..head });
        self.shadow.units.extend_from_slice(units);
        self.size = size.min(u16::MAX as usize) as u16;
        self.shadow.end = x as u16;
        self.touch(x);
        self.mark_ext(x);
        Some((x, None))
    }

    /// [`Row::append_units`] with ASCII or combined characters among the units. Three
    /// passes, each with little state: the shadow, the cells, the storage size.
    fn append_mixed(
        &mut self,
        x: usize,
        cols: u16,
        head: Cell,
        units: &[u32],
        pen_ext: bool,
    ) -> (usize, Option<u16>) {
        // Whether a unit's cell has the collect path's style (not stored out of line).
        let collected = |u: u32| u & (UNIT_ASCII | UNIT_EXT) == UNIT_ASCII && !pen_ext;
        // The cells by (collected, wide, combined): `head` with the flags each needs.
        let mut templates = [head; 8];
        for (i, t) in templates.iter_mut().enumerate() {
            let mut flags = CellFlags::empty();
            if i & 4 == 0 {
                flags |= CellFlags::TMUX_EXTENDED;
            }
            if i & 2 != 0 {
                flags |= CellFlags::WIDE;
            }
            if i & 1 != 0 {
                flags |= CellFlags::EXTENDED;
            }
            t.flags = flags;
        }
        // The shadow's style runs, then its characters.
        let style_of = |c: bool| Cell {
            ch: 0,
            flags: templates[4 * c as usize].flags,
            ..head
        };
        let mut style = collected(units[0]);
        self.shadow.style(style_of(style));
        let base = self.shadow.units.len() as u32;
        for (k, &u) in units.iter().enumerate() {
            let c = collected(u);
            if c != style {
                self.shadow.runs.push((base + k as u32, style_of(c)));
                style = c;
            }
        }
        self.shadow
            .units
            .extend(units.iter().map(|&u| u & !UNIT_ASCII));
        // The cells.
        const AFTER: [Cell; 2] = [EMPTY, SPACER];
        let cells = &mut self.cells[..cols as usize];
        let start = x;
        let mut x = x;
        let mut ext_x = 0;
        for &u in units {
            let wide = (u >> 31) as usize;
            let c = collected(u);
            let t = (4 * c as usize) | (2 * wide) | ((u >> 30) as usize & 1);
            debug_assert!(cells[x] == EMPTY);
            let end = x + 1 + wide;
            ext_x = if c { ext_x } else { end };
            cells[x] = Cell {
                ch: u & (UNIT_LIMIT - 1),
                ..templates[t]
            };
            if let Some(c) = cells.get_mut(x + 1) {
                *c = AFTER[wide];
            }
            x = end;
        }
        // The storage, grown as tmux's is: for each cell, or once per collect item of
        // ASCII (which a character combined with it ends); `item` is the size before
        // the open item. It never grows past `cols` here.
        let mut size = self.size as usize;
        let mut item = usize::MAX;
        let grow = |before: usize, end: usize, size: usize| {
            if end <= before {
                size
            } else {
                size.max(expanded_size(end, cols))
            }
        };
        let mut xx = start;
        for &u in units {
            if size >= cols as usize && item == usize::MAX {
                // Full: only whether the units end in an item is left to know.
                let last = units[units.len() - 1];
                if last & (UNIT_ASCII | UNIT_EXT) == UNIT_ASCII {
                    item = size;
                }
                break;
            }
            let end = xx + 1 + (u >> 31) as usize;
            if u & UNIT_ASCII != 0 {
                // (`size` is at least `item` while the item is open.)
                item = item.min(size);
                if u & UNIT_EXT != 0 {
                    size = grow(item, end, size);
                    item = usize::MAX;
                }
            } else {
                if item != usize::MAX {
                    size = grow(item, xx, size);
                    item = usize::MAX;
                }
                if end > size {
                    size = expanded_size(end, cols);
                }
            }
            xx = end;
        }
        if item != usize::MAX {
            size = grow(item, x, size);
        }
        self.size = size.min(u16::MAX as usize) as u16;
        self.shadow.end = x as u16;
        self.touch(x);
        self.mark_ext(ext_x);
        let open = (item != usize::MAX).then(|| item.min(u16::MAX as usize) as u16);
        (x, open)
    }

    /// tmux's `cellused`.
    #[inline(always)]
    pub fn used(&self) -> u16 {
        self.used
    }

    /// Records that cells before `end` were written (`cellused` grows to `end`).
    #[inline(always)]
    pub fn touch(&mut self, end: usize) {
        if (self.used as usize) < end {
            self.used = end.min(u16::MAX as usize) as u16;
        }
    }

    /// Whether the line continues on the next one.
    #[inline(always)]
    pub fn wrapped(&self) -> bool {
        self.wrapped
    }

    /// Sets the wrapped flag.
    #[inline(always)]
    pub fn set_wrapped(&mut self, wrapped: bool) {
        self.wrapped = wrapped;
    }

    /// tmux's `cellsize`.
    #[inline(always)]
    pub fn size(&self) -> u16 {
        self.size
    }

    /// See the field: cells at or past it never carry `TMUX_EXTENDED`.
    #[inline(always)]
    pub fn ext_end(&self) -> u16 {
        self.ext_end
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
        if bg.is_default() {
            self.shadow.reset();
        } else {
            self.shadow.drop_it();
        }
        if self.cells.is_empty() && bg.is_default() {
            // Never written: stays so.
        } else if self.cells.len() != cols as usize {
            self.cells.resize(cols as usize, EMPTY);
            crate::fill::fill_cells(&mut self.cells, Cell::blank_with_bg(bg));
        } else if bg.is_default() {
            let e = (self.extent.max(self.used) as usize).min(self.cells.len());
            let s = if keep > 1 && e > 0 {
                self.cells[0] = EMPTY;
                (keep as usize).min(e)
            } else {
                0
            };
            let stale = &mut self.cells[s..e];
            if stale.len() > 16 && stale.len() <= BLANK_ROW.len() {
                // A copy from a ready blank line: `memcpy` uses the widest stores the CPU
                // has, which beats one store per cell on the scrolling path.
                stale.copy_from_slice(&BLANK_ROW[..stale.len()]);
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

    /// Cells `from..to` (`from <= to <= cols` or the row's length) become `blank` (tmux's
    /// `grid_clear_cell` for each); a row's shadow survives being cut short by `EMPTY`.
    pub fn clear_range(&mut self, from: usize, to: usize, blank: Cell, cols: u16) {
        if from >= to {
            return;
        }
        if blank == EMPTY {
            self.shadow.cleared(from, to);
            if self.cells.is_empty() {
                // Never written: already blank.
                return;
            }
        } else {
            self.shadow.drop_it();
        }
        let cells = self.cells_and_shadow(cols).0;
        crate::fill::fill_cells(&mut cells[from..to], blank);
    }

    /// Records that cells before `end` may carry `CellFlags::TMUX_EXTENDED`.
    #[inline]
    pub fn mark_ext(&mut self, end: usize) {
        let end = end.min(u16::MAX as usize) as u16;
        if self.ext_end < end {
            self.ext_end = end;
        }
    }

    /// Records that cells before `end` may hold blanks with a colour (they are cleared when
    /// the row is reused).
    #[inline]
    pub fn cover(&mut self, end: usize) {
        let end = end.min(u16::MAX as usize) as u16;
        if self.extent < end {
            self.extent = end;
        }
    }

    /// Makes room for cells up to `end`, past the right edge `cols` if need be (a wide
    /// character that does not fit, a reflowed cell): the row grows, as tmux's storage does.
    pub fn grow_past_edge(&mut self, end: usize, cols: u16) {
        if self.cells.len() < cols as usize {
            self.materialize(cols);
        }
        if self.cells.len() < end {
            self.cells.resize(end, EMPTY);
            self.extent = self.cells.len().min(u16::MAX as usize) as u16;
        }
    }

    /// Changes the width, keeping contents: padded with blanks, or kept past the new right
    /// edge (tmux keeps what lies past the edge when a pane narrows, with or without
    /// reflow; it comes back if the pane widens again).
    pub fn set_width(&mut self, cols: u16) {
        self.shadow.drop_it();
        if self.cells.is_empty() {
            return;
        }
        if self.cells.len() < cols as usize {
            self.cells.resize(cols as usize, EMPTY);
        }
        self.extent = self.cells.len().min(u16::MAX as usize) as u16;
    }

    /// Keeps only cells `0..at` (tmux's reflow splitting a line: `cellsize` and `cellused`
    /// become `at`); returns the cells from `at` to `used`.
    pub fn split_off(&mut self, at: usize) -> Vec<Cell> {
        self.shadow.drop_it();
        let used = self.used as usize;
        let tail = (at.min(used)..used).map(|x| self.cell(x)).collect();
        self.cells.truncate(at);
        self.used = at as u16;
        self.size = at as u16;
        tail
    }

    /// Moves cells `from..used` to the start and cuts the line to them (tmux's reflow after
    /// taking the first `from` cells of a line onto the one above).
    pub fn keep_from(&mut self, from: usize) {
        self.shadow.drop_it();
        let used = self.used as usize;
        let left = used.saturating_sub(from);
        let len = self.cells.len();
        // Cells past those held are blank; what moves comes from `from..from + left`.
        for x in 0..len {
            self.cells[x] = if x < left && from + x < len {
                self.cells[from + x]
            } else {
                EMPTY
            };
        }
        self.used = left as u16;
        self.size = left as u16;
    }

    /// Heap bytes the row holds.
    pub fn heap_bytes(&self) -> usize {
        self.cells.capacity() * std::mem::size_of::<Cell>()
            + self.shadow.units.capacity() * 4
            + self.shadow.runs.capacity() * std::mem::size_of::<(u32, Cell)>()
    }

    /// Calls `f` with the combined-table index of every [`CellFlags::EXTENDED`] cell (to
    /// read or rewrite it).
    pub fn extended_indices(&mut self, f: &mut impl FnMut(&mut u32)) {
        // The shadow would keep the old indices.
        if self.ext_end > 0 {
            self.shadow.drop_it();
        }
        let end = (self.ext_end as usize).min(self.cells.len());
        for c in &mut self.cells[..end] {
            if c.flags.contains(CellFlags::EXTENDED) {
                f(&mut c.ch);
            }
        }
    }

    /// tmux's `grid_set_cell` writing over cell `x`: the new cell is stored out of line
    /// when it needs to be or when the cell it replaces was (tmux never packs that slot
    /// again). Returns `cell` with [`CellFlags::TMUX_EXTENDED`] as tmux would have it.
    #[inline]
    pub fn tmux_extended(&mut self, x: usize, mut cell: Cell, width: usize) -> Cell {
        if cell.needs_tmux_extended()
            || (x < self.ext_end as usize && self.cells[x].flags.contains(CellFlags::TMUX_EXTENDED))
        {
            cell.flags |= CellFlags::TMUX_EXTENDED;
            self.mark_ext(x + width);
        }
        cell
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

/// The second cell of a wide character: stored out of line, as the character is.
pub(crate) const SPACER: Cell = Cell {
    flags: CellFlags::WIDE_SPACER.union(CellFlags::TMUX_EXTENDED),
    ..Cell::BLANK
};

/// A line of [`EMPTY`] cells as wide as tmux allows a pane (`WINDOW_MAXIMUM`): what a row
/// never written reads as, and what rows are cleared and filled from (160 KB of read-only
/// data, touched only as far as panes are wide).
static BLANK_ROW: [Cell; crate::MAX_SIZE as usize] = [EMPTY; crate::MAX_SIZE as usize];

/// `Row::ext_end` of a line emptied with `bg`: an RGB background is stored out of line.
#[inline]
fn blank_ext_end(bg: Color, cols: u16) -> u16 {
    if Cell::blank_with_bg(bg)
        .flags
        .contains(CellFlags::TMUX_EXTENDED)
    {
        cols
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_combined_after_non_ascii_continues_its_run() {
        // "é", then "e" printed as ASCII (a style without TMUX_EXTENDED), then a combining
        // mark making the "e" a combined character (the style of the "é" again).
        let plain = Cell {
            ch: 0,
            ..Cell::BLANK
        };
        let ext = Cell {
            flags: CellFlags::TMUX_EXTENDED,
            ..plain
        };
        let mut s = Shadow::default();
        s.reset();
        s.append_char(0, 0xe9, false, ext);
        s.append(1, b"e", plain);
        assert_eq!(s.get().unwrap().2.len(), 2);
        s.combined(
            1,
            Cell {
                ch: 7,
                flags: CellFlags::TMUX_EXTENDED | CellFlags::EXTENDED,
                ..plain
            },
        );
        let (end, units, runs) = s.get().unwrap();
        assert_eq!(end, 2);
        assert_eq!(units, &[0xe9, 7 | UNIT_EXT]);
        assert_eq!(runs, &[(0, ext)]);
    }
}

//! Printing characters, following tmux 3.3a's `screen-write.c` (`screen_write_collect_add`,
//! `screen_write_cell`, `screen_write_combine`, `screen_write_overwrite`).
//!
//! Plain ASCII takes tmux's collect path (in bulk here: a whole run of printable bytes at
//! a time); anything else takes `screen_write_cell`. How wide a character is and whether it
//! joins the one before come from [`Widths`](crate::width::Widths) alone.

use super::Screen;
use crate::cell::{Attrs, Cell, CellFlags, Color, ColorKind};
use crate::combined::COMBINED_MAX_BYTES;
use crate::grid::{Row, SPACER};
use crate::modes::Modes;
use crate::width::UNPRINTABLE;

impl Screen {
    /// A run of printable ASCII (0x20..=0x7e): in bulk, as tmux's collect path does, or
    /// a character at a time where a mode (insert, no autowrap, DEC graphics) needs that.
    #[inline]
    pub fn print_ascii_run(&mut self, run: &[u8]) {
        if self.ascii_run_fast() {
            self.print_ascii_run_at(run, false);
        } else {
            for &c in run {
                self.print_ascii(c);
            }
        }
    }

    /// CR LF, then `run` (printable ASCII, not empty) printed: the end of one line of
    /// text and the start of the next. When the line feed scrolls a line in and `run` takes
    /// the fast path, the new line's cells are written once (the run's) instead of cleared
    /// first.
    pub fn crlf_print_ascii_run(&mut self, run: &[u8]) {
        if self.ascii_run_fast() {
            let fresh = self.crlf_keeping(run.len().min(self.cols() as usize));
            self.print_ascii_run_at(run, fresh);
        } else {
            self.carriage_return_linefeed();
            self.print_ascii_run(run);
        }
    }

    /// Whether `print_ascii_run` prints in bulk (rather than a character at a time).
    #[inline]
    fn ascii_run_fast(&self) -> bool {
        !(self.modes.contains(Modes::INSERT)
            || !self.modes.contains(Modes::AUTOWRAP)
            || self.charsets.acs())
    }

    /// `print_ascii_run` in bulk (`ascii_run_fast` holds). `fresh`: the cursor's line
    /// was just scrolled in for this run (see [`Screen::linefeed_keeping`]), so it holds
    /// no wide character to fix up.
    #[inline(always)]
    fn print_ascii_run_at(&mut self, run: &[u8], mut fresh: bool) {
        let cols = self.cols() as usize;
        let mut pen = self.pen;
        pen.flags = CellFlags::empty();
        let pen_ext = pen.style_needs_tmux_extended();
        let style = Cell { ch: 0, ..pen };
        let mut rest = run;
        while !rest.is_empty() {
            if self.cx as usize >= cols {
                self.item_size = None;
                // The line this feed may scroll in is written from column 0 just below.
                fresh = self.linefeed_keeping(true, Color::DEFAULT, rest.len().min(cols));
                self.cx = 0;
            }
            let x = self.cx as usize;
            let n = rest.len().min(cols - x);
            let item_size = self.item_size;
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let y = self.cy;
            let row = self.grid.screen_mut(y);
            self.item_size = Some(expand_item(row, item_size, x + n, cols as u16));
            // Overwriting half of a wide character blanks the other half (tmux). A line
            // just scrolled in has none (and its cells past the run may not be in cache).
            let ext_end = row.ext_end() as usize;
            let (cells, shadow) = row.cells_and_shadow(cols as u16);
            let cells = &mut cells[..cols];
            if !fresh {
                // (A row with wide characters has no shadow: they were not printed here.)
                if cells[x].flags.contains(CellFlags::WIDE_SPACER) {
                    fix_spacer_left_collect(cells, x);
                }
                if x + n < cols && cells[x + n].flags.contains(CellFlags::WIDE_SPACER) {
                    fix_spacer_right(cells, x + n);
                }
            }
            fresh = false;
            // Cells tmux stores out of line stay so (there are none from `ext_end` on).
            if pen_ext || ext_end > x {
                fill_ascii_tmux_extended(row, x, chunk, pen, pen_ext);
                // Appended at the shadow's end, the cells were EMPTY: none kept a flag.
                let style = Cell {
                    flags: if pen_ext {
                        CellFlags::TMUX_EXTENDED
                    } else {
                        CellFlags::empty()
                    },
                    ..style
                };
                row.cells_and_shadow(0).1.append(x, chunk, style);
            } else {
                crate::fill::fill_ascii(&mut cells[x..x + n], chunk, pen);
                shadow.append(x, chunk, style);
            }
            row.touch(x + n);
            self.cx = (x + n) as u16;
            self.damage.mark(y);
        }
        self.damage.cursor_changed = true;
    }

    /// One printable ASCII character with the pen and the charset in use (tmux
    /// `input_print`).
    pub fn print_ascii(&mut self, b: u8) {
        let mut cell = self.pen;
        cell.ch = b as u32;
        cell.flags = CellFlags::empty();
        if self.charsets.acs() {
            cell.attrs |= Attrs::CHARSET;
        }
        self.add_cell(cell, 1, true);
    }

    /// REP: `n` more of the character last printed, `(code point, width)` (tmux repeats only
    /// characters that came through its ASCII path). The repeated character takes the
    /// current charset, as printing it again would.
    pub fn repeat(&mut self, last: (u32, u8), n: i32) {
        let (cp, w) = last;
        let m = self.cols().saturating_sub(self.cx) as i32;
        for _ in 0..n.min(m) {
            let mut cell = self.pen;
            cell.ch = cp;
            cell.flags = CellFlags::empty();
            if self.charsets.acs() {
                cell.attrs |= Attrs::CHARSET;
            }
            self.add_cell(cell, w, cp < 0x80);
        }
    }

    /// A decoded non-ASCII character with its width (tmux `input_top_bit_set`). The input
    /// prints runs of the common ones with `print_utf8_run`; this is the general path.
    pub fn print_char(&mut self, cp: u32, width: u8) {
        if width == UNPRINTABLE {
            // tmux's utf8_width fails for these: the character is dropped.
            return;
        }
        let mut cell = self.pen;
        cell.ch = cp;
        cell.flags = CellFlags::empty();
        self.add_cell(cell, width, false);
    }

    /// Ends tmux's collect item: any byte but printable ASCII does.
    #[inline(always)]
    pub fn end_item(&mut self) {
        self.item_size = None;
    }

    /// tmux `screen_write_collect_add`: ASCII width-1 cells take the collect path, the
    /// rest `screen_write_cell`.
    fn add_cell(&mut self, cell: Cell, width: u8, ascii: bool) {
        let collect = ascii
            && width == 1
            && cell.ch < 0x7f
            && !cell.attrs.contains(Attrs::CHARSET)
            && self.modes.contains(Modes::AUTOWRAP)
            && !self.modes.contains(Modes::INSERT);
        if collect {
            let cols = self.cols();
            if self.cx > cols - 1 {
                self.item_size = None;
                self.linefeed(true, Color::DEFAULT);
                self.cx = 0;
            }
            let x = self.cx as usize;
            let y = self.cy;
            let cols = cols as usize;
            let item_size = self.item_size;
            let row = self.grid.screen_mut(y);
            self.item_size = Some(expand_item(row, item_size, x + 1, cols as u16));
            let cells = &mut row.cells_mut(cols as u16)[..cols];
            if cells[x].flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_left_collect(cells, x);
            }
            if x + 1 < cols && cells[x + 1].flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_right(cells, x + 1);
            }
            let cell = row.tmux_extended(x, cell, 1);
            row.cells_mut(cols as u16)[x] = cell;
            row.touch(x + 1);
            self.damage.mark(y);
            self.set_cursor(self.cx + 1, self.cy);
        } else {
            self.item_size = None;
            self.write_cell(cell, width);
        }
    }

    /// tmux `screen_write_cell`.
    fn write_cell(&mut self, cell: Cell, width: u8) {
        let sx = self.cols() as u32;
        let sy = self.rows() as u32;
        let w = width as u32;
        if self.widths.joins(cell.ch) && !cell.flags.contains(CellFlags::EXTENDED) {
            self.zwj = true;
            return;
        }
        if self.zwj {
            self.combine(0x200d);
        }
        if width == 0 || self.zwj {
            self.zwj = false;
            self.combine(cell.ch);
            return;
        }
        let wrap = self.modes.contains(Modes::AUTOWRAP);
        let cx = self.cx as u32;
        if !wrap && w > 1 && (w > sx || (cx != sx && cx + w > sx)) {
            return;
        }
        let inserted = self.modes.contains(Modes::INSERT);
        if inserted {
            self.insert_cells_at(self.cx, self.cy, width as u16, Color::DEFAULT);
        }
        if w > sx {
            // A wide character in a 1-column pane. tmux 3.3a's unsigned `sx - width` wraps,
            // so neither its wrap nor its sanity check stops it: the character is stored at
            // the cursor (column 0, or 1 with a wrap pending) with its spacer past the right
            // edge, where the line keeps them (a widening resize shows them again). The
            // cursor, moved to `cx + width`, is clamped to the last column.
            self.put_wide_past_edge(cx as usize, cell, width as usize);
            self.set_cursor(sx as u16 - 1, self.cy);
            return;
        }
        if wrap && self.cx as u32 + w > sx && w <= sx {
            self.linefeed(true, Color::DEFAULT);
            self.set_cursor(0, self.cy);
        }
        let cx = self.cx as u32;
        if cx + w > sx || self.cy as u32 > sy - 1 {
            // Too wide for this pane (tmux writes past the edge here; we cannot).
            return;
        }
        let x = cx as usize;
        let mut head = cell;
        if width > 1 {
            head.flags |= CellFlags::WIDE;
        }
        if width == 1 && !inserted && self.unchanged(x, &head) {
            // tmux's "if no change, do not draw": the cell keeps what it had.
        } else {
            self.put_cell(x, head, width as usize);
        }
        let last = if wrap { 0 } else { 1 };
        // tmux compares unsigned `cx <= sx - last - width`; when that subtraction wraps
        // (a 1-column pane without autowrap) the cursor still advances.
        if sx < last + w || cx + last + w <= sx {
            self.set_cursor((cx + w) as u16, self.cy);
        } else {
            self.set_cursor((sx - last) as u16, self.cy);
        }
    }

    /// tmux 3.3a's no-change check in `screen_write_cell` (before a width-1 write): past the
    /// line's storage a cell that looks like the default cell is not stored; inside it, a
    /// plain ASCII cell equal to the stored one (colours, attributes, character; the
    /// underline colour is not compared) is not stored again, unless tmux keeps the stored
    /// one out of line ([`CellFlags::TMUX_EXTENDED`], which outlives what put it there).
    /// Either way `cellused` stays.
    fn unchanged(&self, x: usize, new: &Cell) -> bool {
        let row = self.grid.screen(self.cy);
        let basic = |c: Color| matches!(c.kind(), ColorKind::Default | ColorKind::Ansi(_));
        if x >= row.size() as usize {
            return new.ch == b' ' as u32
                && new.fg.is_default()
                && new.bg.is_default()
                && new.attrs.is_empty()
                && !new.flags.contains(CellFlags::EXTENDED);
        }
        let old = &row.cell(x);
        // Stored out of line (now or since it was last erased), or packed with a 256-colour
        // flag that a new cell's flags never equal.
        let old_extended = old.needs_tmux_extended() || !basic(old.fg) || !basic(old.bg);
        !old.flags.contains(CellFlags::CLEARED)
            && !old_extended
            && new.ch < 0x80
            && !new.flags.contains(CellFlags::EXTENDED)
            && old.attrs == new.attrs
            && old.fg == new.fg
            && old.bg == new.bg
            && old.ch == new.ch
    }

    /// Writes a cell (and its spacers) at `x` on the cursor row, fixing any wide character
    /// it overwrites half of (tmux `screen_write_overwrite`).
    #[inline]
    fn put_cell(&mut self, x: usize, cell: Cell, width: usize) {
        let y = self.cy;
        let cols = self.cols() as usize;
        let row = self.grid.screen_mut(y);
        row.expand(x + width, cols as u16);
        let cell = row.tmux_extended(x, cell, width);
        overwrite(&mut row.cells_mut(cols as u16)[..cols], x, cell, width);
        row.touch(x + width);
        self.damage.mark(y);
    }

    /// Prints the run of complete non-ASCII characters of width 1 or 2 at the start of
    /// `bytes`: `print_char`'s common case (and `put_cell`'s writes) with the mode checks
    /// made once per run and the row looked up once per screen line. Returns the bytes
    /// consumed, 0 when the first character needs the general path.
    pub fn print_utf8_run(&mut self, bytes: &[u8]) -> usize {
        let cols = self.cols();
        if cols < 2
            || self.zwj
            || !self.modes.contains(Modes::AUTOWRAP)
            || self.modes.contains(Modes::INSERT)
        {
            return 0;
        }
        let widths = self.widths;
        // The next character if it can take this path: (code point, bytes, width).
        let next = |b: &[u8]| -> Option<(u32, usize, usize)> {
            if b.first().is_none_or(|&c| c < 0x80) {
                return None;
            }
            let (cp, n) = crate::input::decode_utf8(b)?;
            let w = widths.of(cp);
            ((w == 1 || w == 2) && !widths.joins(cp)).then_some((cp, n, w as usize))
        };
        let mut pen = self.pen;
        // The cells' style for the row's shadow (`WIDE` goes with each character).
        let style = Cell {
            ch: 0,
            flags: CellFlags::TMUX_EXTENDED,
            ..pen
        };
        let mut i = 0;
        while let Some(mut c) = next(&bytes[i..]) {
            if self.cx as usize + c.2 > cols as usize {
                self.linefeed(true, Color::DEFAULT);
                self.cx = 0;
            }
            let y = self.cy;
            let row = self.grid.screen_mut(y);
            let mut x = self.cx as usize;
            // Characters on this screen line.
            loop {
                let (cp, n, w) = c;
                row.expand(x + w, cols);
                pen.ch = cp;
                // Non-ASCII cells are ones tmux stores out of line (`row.mark_ext` below).
                pen.flags = if w == 2 {
                    CellFlags::WIDE | CellFlags::TMUX_EXTENDED
                } else {
                    CellFlags::TMUX_EXTENDED
                };
                let (cells, shadow) = row.cells_and_shadow(cols);
                overwrite(&mut cells[..cols as usize], x, pen, w);
                shadow.append_char(x, cp, w == 2, style);
                x += w;
                i += n;
                match next(&bytes[i..]) {
                    Some(d) if x + d.2 <= cols as usize => c = d,
                    _ => break,
                }
            }
            row.touch(x);
            row.mark_ext(x);
            self.cx = x as u16;
            self.damage.mark(y);
        }
        if i > 0 {
            self.damage.cursor_changed = true;
        }
        i
    }

    /// A wide character stored where it does not fit (see `write_cell`): the row grows
    /// past the right edge. tmux's `screen_write_overwrite` first blanks the wide
    /// character whose spacer is under the cursor.
    fn put_wide_past_edge(&mut self, x: usize, cell: Cell, width: usize) {
        let y = self.cy;
        let cols = self.cols();
        let end = x + width;
        let row = self.grid.screen_mut(y);
        row.grow_past_edge(end, cols);
        row.expand(end, cols);
        let cells = row.cells_mut(cols);
        if cells[x].flags.contains(CellFlags::WIDE_SPACER) {
            fix_spacer_left(cells, x);
        }
        cells[x] = Cell {
            flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
            ..cell
        };
        for c in &mut cells[x + 1..end] {
            *c = SPACER;
        }
        row.mark_ext(end);
        row.touch(end);
        self.damage.mark(y);
    }

    /// tmux `screen_write_combine`: appends a zero-width character to the cell left of
    /// the cursor.
    fn combine(&mut self, cp: u32) {
        if self.cx == 0 {
            return;
        }
        let y = self.cy;
        let cx = (self.cx as usize).min(self.cols() as usize);
        let row = self.grid.screen(y);
        let Some(x) = (1..=cx)
            .map(|n| cx - n)
            .find(|&x| !row.cell(x).flags.contains(CellFlags::WIDE_SPACER))
        else {
            return;
        };
        let Some(add) = char::from_u32(cp) else {
            return;
        };
        // Past the line's storage tmux reads the default cell.
        let old = if x >= row.size() as usize {
            Cell::BLANK
        } else {
            row.cell(x)
        };
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        if old.flags.contains(CellFlags::EXTENDED) {
            s.push_str(self.combined.get(old.ch));
        } else {
            s.push(char::from_u32(old.ch).unwrap_or(' '));
        }
        if s.len() + add.len_utf8() <= COMBINED_MAX_BYTES {
            s.push(add);
            let idx = self.combined.intern(&s);
            let cols = self.cols();
            let row = self.grid.screen_mut(y);
            row.expand(x + 1, cols);
            // tmux's grid_store_cell drops the cleared flag of a cell it stores.
            let cell = Cell {
                ch: idx,
                flags: (old.flags | CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED)
                    - CellFlags::CLEARED,
                ..old
            };
            let (cells, shadow) = row.cells_and_shadow(cols);
            cells[x] = cell;
            shadow.combined(x, cell);
            row.mark_ext(x + 1);
            row.touch(x + 1);
            self.damage.mark(y);
            if self.combined.wants_compaction() {
                self.compact_combined();
            }
        }
        self.scratch = s;
    }
}

#[inline(never)]
pub(super) fn fix_spacer_left(cells: &mut [Cell], x: usize) {
    // x is a spacer: blank it and the spacers and head to its left.
    let mut xx = x;
    while xx > 0 {
        xx -= 1;
        if !cells[xx].flags.contains(CellFlags::WIDE_SPACER) {
            blank_keeping_ext(&mut cells[xx]);
            break;
        }
        blank_keeping_ext(&mut cells[xx]);
    }
    blank_keeping_ext(&mut cells[x]);
}

/// tmux 3.3a's collect path (`screen_write_collect_end`): blanks the spacers left of `x`
/// and the wide character they belong to, except that a wide character in column 0 keeps
/// its head (the walk stops before reading column 0).
#[inline(never)]
fn fix_spacer_left_collect(cells: &mut [Cell], x: usize) {
    let mut xx = x;
    let mut stopped_on = None;
    while xx > 0 {
        if !cells[xx].flags.contains(CellFlags::WIDE_SPACER) {
            stopped_on = Some(xx);
            break;
        }
        blank_keeping_ext(&mut cells[xx]);
        xx -= 1;
    }
    if let Some(h) = stopped_on {
        if cells[h].flags.contains(CellFlags::WIDE) {
            blank_keeping_ext(&mut cells[h]);
        }
    }
}

#[inline(never)]
fn fix_spacer_right(cells: &mut [Cell], from: usize) {
    for c in cells[from..].iter_mut() {
        if !c.flags.contains(CellFlags::WIDE_SPACER) {
            break;
        }
        blank_keeping_ext(c);
    }
}

/// Grows `row`'s storage for a collect item ending at `end`: from the size the row had
/// before the item (`before`, or the current size for a new item), as tmux's single
/// `grid_expand_line` at the item's flush. Returns the size before the item.
#[inline]
fn expand_item(row: &mut Row, before: Option<u16>, end: usize, cols: u16) -> u16 {
    let before = before.unwrap_or(row.size());
    row.expand_from(before, end, cols);
    before
}

/// Writes `cell` and, for a wide one, its spacers at `x` of a screen line's `cells`, first
/// blanking any wide character it overwrites half of (tmux `screen_write_overwrite`).
#[inline(always)]
fn overwrite(cells: &mut [Cell], x: usize, cell: Cell, width: usize) {
    let old = cells[x].flags;
    if old.contains(CellFlags::WIDE_SPACER) {
        fix_spacer_left(cells, x);
    }
    let end = x + width;
    if (width != 1 || old.intersects(CellFlags::WIDE | CellFlags::WIDE_SPACER))
        && end < cells.len()
        && cells[end].flags.contains(CellFlags::WIDE_SPACER)
    {
        fix_spacer_right(cells, end);
    }
    cells[x] = cell;
    for c in &mut cells[x + 1..end] {
        *c = SPACER;
    }
}

/// A default cell written over `c` (tmux `grid_view_set_cell` with the default cell).
#[inline]
fn blank_keeping_ext(c: &mut Cell) {
    *c = Cell {
        flags: c.flags & CellFlags::TMUX_EXTENDED,
        ..Cell::BLANK
    };
}

/// `fill_ascii` at `x` on a line that may hold cells tmux stores out of line (those stay
/// so), or with a pen that tmux stores out of line. The row already holds its cells.
#[cold]
#[inline(never)]
fn fill_ascii_tmux_extended(row: &mut Row, x: usize, src: &[u8], mut pen: Cell, pen_ext: bool) {
    let end = x + src.len();
    if pen_ext {
        pen.flags |= CellFlags::TMUX_EXTENDED;
        // The caller keeps the row's shadow.
        crate::fill::fill_ascii(&mut row.cells_and_shadow(0).0[x..end], src, pen);
        row.mark_ext(end);
        return;
    }
    let keep = (row.ext_end() as usize).min(end);
    for (c, &b) in row.cells_and_shadow(0).0[x..keep].iter_mut().zip(src) {
        *c = Cell {
            ch: b as u32,
            flags: pen.flags | (c.flags & CellFlags::TMUX_EXTENDED),
            ..pen
        };
    }
    crate::fill::fill_ascii(
        &mut row.cells_and_shadow(0).0[keep..end],
        &src[keep - x..],
        pen,
    );
}

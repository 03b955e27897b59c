//! Printing characters, following tmux 3.3a's `screen-write.c` (`screen_write_collect_add`,
//! `screen_write_cell`, `screen_write_combine`, `screen_write_overwrite`).
//!
//! Plain ASCII takes tmux's collect path (in bulk here: a whole run of printable bytes at
//! a time); anything else takes `screen_write_cell`. How wide a character is and whether it
//! joins the one before come from [`Widths`](crate::width::Widths) alone.

use super::Screen;
use crate::cell::{Attrs, Cell, CellFlags, Color, ColorKind};
use crate::grid::{Row, SPACER, UNIT_WIDE};
use crate::modes::Modes;
use crate::release::{
    is_emoji_modifier, is_regional_indicator, CombineTarget, EmojiModifierRule, OverflowRule,
    RegionalIndicatorRule, RepRule, Vs16Rule, WidenAtLastColumn, ZwjRule, EMOJI_MODIFIER_BASES,
};
use crate::width::UNPRINTABLE;
use crate::width_tables::CharWidths;

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
        let clears_0 = self.policy.clears_wide_at_column_0;
        let how = self.leftovers();
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
                    fix_spacer_left_collect(cells, x, clears_0, how);
                }
                if x + n < cols && cells[x + n].flags.contains(CellFlags::WIDE_SPACER) {
                    fix_spacer_right(cells, x + n, how);
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

    /// REP: `n` more of the character last printed, `(code point, width)`, each printed
    /// again through the normal path (so a repeated combining character combines). Up to
    /// 3.4 tmux keeps only ASCII characters for it; from 3.5 any character. The current
    /// charset applies, except in 3.5a, which repeats without the line-drawing set.
    pub fn repeat(&mut self, last: (u32, u8), n: i32) {
        let (cp, w) = last;
        let m = self.cols().saturating_sub(self.cx) as i32;
        let charset = self.charsets.acs() && self.policy.rep != RepRule::AnyCharacterNoCharset;
        for _ in 0..n.min(m) {
            if w == UNPRINTABLE {
                continue;
            }
            let mut cell = self.pen;
            cell.ch = cp;
            cell.flags = CellFlags::empty();
            if charset {
                cell.attrs |= Attrs::CHARSET;
            }
            self.add_cell(cell, w, cp < 0x80);
        }
    }

    /// HT from 3.6 (tmux `input_c0_dispatch`, `grid_set_tab`): when every cell from the
    /// cursor to the next tab stop (or the last column) is a blank that looks like the
    /// first, the tab is stored as one cell as wide as the distance (`'\t'` with the
    /// first cell's style, padding after it; `capture-pane` prints it as `\t`). Otherwise,
    /// or when the distance is more than a cell holds, the cursor only moves.
    pub fn print_tab(&mut self) {
        let sx = self.cols();
        let start = self.cx;
        if start >= sx.saturating_sub(1) {
            return;
        }
        let row = self.grid.screen(self.cy);
        let first = row.cell(start as usize);
        let looks_blank = |c: Cell| {
            c.ch == b' ' as u32
                && !c
                    .flags
                    .intersects(CellFlags::EXTENDED | CellFlags::WIDE | CellFlags::WIDE_SPACER)
                && c.fg == first.fg
                && c.bg == first.bg
                && c.attrs == first.attrs
                && c.ul_color == first.ul_color
                && c.flags.contains(CellFlags::CLEARED) == first.flags.contains(CellFlags::CLEARED)
        };
        let mut has_content = false;
        let mut cx = start;
        loop {
            if !has_content && !looks_blank(row.cell(cx as usize)) {
                has_content = true;
            }
            cx += 1;
            if self.tabs.is_set(cx) || cx >= sx - 1 {
                break;
            }
        }
        let width = cx - start;
        if has_content || width > self.policy.max_cell_bytes as u16 {
            self.set_cursor(cx, self.cy);
            return;
        }
        self.item_size = None;
        if width >= 2 && self.tab_joins_zwj(width as usize) {
            return;
        }
        let cell = Cell {
            ch: b'\t' as u32,
            flags: CellFlags::empty(),
            ..first
        };
        self.write_cell(cell, width as u8);
    }

    /// A tab cell is `width` spaces to tmux's combining check (`screen_write_combine`; one
    /// of width 1 is a single byte and never joins): after a cell that ends in a ZWJ, the
    /// spaces are appended to that cell and the cursor stays. Whether that happened.
    fn tab_joins_zwj(&mut self, width: usize) -> bool {
        let cx = self.cx as usize;
        if cx == 0 {
            return false;
        }
        let row = self.grid.screen(self.cy);
        let mut x = cx - 1;
        let mut last = row.cell(x);
        let mut n = 1;
        if cx != 1 && last.flags.contains(CellFlags::WIDE_SPACER) {
            n = 2;
            x = cx - 2;
            last = row.cell(x);
        }
        let last_width = if last.flags.contains(CellFlags::WIDE) {
            2
        } else if last.flags.contains(CellFlags::ZERO_WIDTH) {
            0
        } else {
            1
        };
        if n != last_width
            || last.flags.contains(CellFlags::WIDE_SPACER)
            || !last.flags.contains(CellFlags::EXTENDED)
        {
            return false;
        }
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        self.push_text(&last, &mut text);
        let joins =
            text.ends_with('\u{200d}') && text.len() + width <= self.policy.max_cell_bytes as usize;
        if joins {
            text.extend(std::iter::repeat_n(' ', width));
            if text.len() > UTF8_STORED_MAX {
                text.clear();
            }
            let idx = self.combined.intern(&text);
            let cols = self.cols();
            let y = self.cy;
            let row = self.grid.screen_mut(y);
            row.expand(x + 1, cols);
            row.cells_mut(cols)[x] = Cell { ch: idx, ..last };
            row.touch(x + 1);
            self.damage.mark(y);
            if self.combined.wants_compaction() {
                self.compact_combined();
            }
        }
        self.scratch = text;
        joins
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
            let clears_0 = self.policy.clears_wide_at_column_0;
            let how = self.leftovers();
            let row = self.grid.screen_mut(y);
            self.item_size = Some(expand_item(row, item_size, x + 1, cols as u16));
            let cells = &mut row.cells_mut(cols as u16)[..cols];
            if cells[x].flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_left_collect(cells, x, clears_0, how);
            }
            if x + 1 < cols && cells[x + 1].flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_right(cells, x + 1, how);
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
        match self.policy.zwj {
            ZwjRule::JoinIfCellEndsInZwj => {
                // 3.4+: every character not collected first asks whether it combines.
                if self.combine_from_3_4(cell.ch, width) {
                    return;
                }
                if width == 0 {
                    self.write_zero_width(cell);
                    return;
                }
            }
            rule => {
                if rule == ZwjRule::JoinNext
                    && cell.ch == 0x200d
                    && !cell.flags.contains(CellFlags::EXTENDED)
                {
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
            }
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
        let how = self.leftovers();
        let row = self.grid.screen_mut(y);
        row.expand(x + width, cols as u16);
        let cell = row.tmux_extended(x, cell, width);
        let (cells, shadow) = row.cells_and_shadow(cols as u16);
        overwrite(&mut cells[..cols], x, cell, width, how);
        // A character appended to printed text keeps the row's shadow (the cells after
        // the shadow's end are `EMPTY`, so `overwrite` changed no other cell).
        shadow.append_cell(x, cell, width, how.spacer(&cell));
        row.touch(x + width);
        self.damage.mark(y);
    }

    /// Prints the run of complete non-ASCII characters of width 1 or 2 at the start of
    /// `bytes`: `print_char`'s common case (and `put_cell`'s writes) with the mode checks
    /// made once per run and the row looked up once per screen line. Returns the bytes
    /// consumed, 0 when the first character needs the general path, and the last
    /// character printed with its width (for REP).
    pub fn print_utf8_run(&mut self, bytes: &[u8]) -> (usize, (u32, u8)) {
        let cols = self.cols();
        if cols < 2
            || self.zwj
            || !self.modes.contains(Modes::AUTOWRAP)
            || self.modes.contains(Modes::INSERT)
        {
            return (0, (0, 0));
        }
        // 3.4+: a cell that ends in a ZWJ takes the next character into it.
        if self.policy.zwj == ZwjRule::JoinIfCellEndsInZwj && self.cx > 0 {
            let row = self.grid.screen(self.cy);
            let x = self.cx as usize - 1;
            let mut before = row.cell(x);
            if x > 0 && before.flags.contains(CellFlags::WIDE_SPACER) {
                before = row.cell(x - 1);
            }
            if self.ends_with_zwj(&before) {
                return (0, (0, 0));
            }
        }
        let how = self.leftovers();
        // Every cell this path writes: the pen, stored out of line by tmux.
        let head = Cell {
            ch: 0,
            flags: CellFlags::TMUX_EXTENDED,
            ..self.pen
        };
        // next-3.8 gives a wide character's spacer its background: a shadow (whose wide
        // characters are followed by plain spacers) cannot describe that.
        let spacer_plain = how.spacer(&head) == SPACER;
        let cols_n = cols as usize;
        let mut i = 0;
        let mut last = (0, 0);
        // Characters in the shadow's form (`UNIT_WIDE` for a wide one), a screen line's
        // worth at most at a time: decoded first, then written.
        if self.print_units.len() < PRINT_UNITS {
            self.print_units.resize(PRINT_UNITS, 0);
        }
        let mut first = true;
        loop {
            let x0 = self.cx as usize;
            let buf = &mut self.print_units;
            let (k, used, x) = scan(&self.widths, &bytes[i..], first, x0, cols_n, buf);
            if k == 0 {
                // The next character needs the general path, or a new line first.
                match scan(&self.widths, &bytes[i..], first, 0, cols_n, buf) {
                    (0, _, _) => break,
                    _ => {
                        self.linefeed(true, Color::DEFAULT);
                        self.cx = 0;
                        continue;
                    }
                }
            }
            first = false;
            let units = &self.print_units[..k];
            let u = units[k - 1];
            last = (u & !UNIT_WIDE, 1 + (u >> 31) as u8);
            i += used;
            let y = self.cy;
            let row = self.grid.screen_mut(y);
            let appended = if spacer_plain {
                row.append_units(x0, cols, head, units)
            } else {
                None
            };
            if appended.is_none() {
                let mut x = x0;
                for &u in units {
                    let wide = u & UNIT_WIDE != 0;
                    let cp = u & !UNIT_WIDE;
                    let w = 1 + wide as usize;
                    row.expand(x + w, cols);
                    let mut cell = head;
                    cell.ch = cp;
                    if wide {
                        cell.flags |= CellFlags::WIDE;
                    }
                    let (cells, shadow) = row.cells_and_shadow(cols);
                    overwrite(&mut cells[..cols_n], x, cell, w, how);
                    if wide && !spacer_plain {
                        shadow.drop_it();
                    }
                    shadow.append_char(x, cp, wide, head);
                    x += w;
                }
                row.touch(x);
                row.mark_ext(x);
            }
            self.cx = x as u16;
            self.damage.mark(y);
        }
        if i > 0 {
            self.damage.cursor_changed = true;
        }
        (i, last)
    }

    /// A wide character stored where it does not fit (see `write_cell`): the row grows
    /// past the right edge. tmux's `screen_write_overwrite` first blanks the wide
    /// character whose spacer is under the cursor.
    fn put_wide_past_edge(&mut self, x: usize, cell: Cell, width: usize) {
        let y = self.cy;
        let cols = self.cols();
        let end = x + width;
        let how = self.leftovers();
        let row = self.grid.screen_mut(y);
        row.grow_past_edge(end, cols);
        row.expand(end, cols);
        let cells = row.cells_mut(cols);
        if cells[x].flags.contains(CellFlags::WIDE_SPACER) {
            fix_spacer_left(cells, x, how);
        }
        cells[x] = Cell {
            flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
            ..cell
        };
        let spacer = how.spacer(&cells[x]);
        for c in &mut cells[x + 1..end] {
            *c = spacer;
        }
        row.mark_ext(end);
        row.touch(end);
        self.damage.mark(y);
    }

    /// How the release clears what is left of a wide character or tab.
    #[inline(always)]
    fn leftovers(&self) -> Leftovers {
        Leftovers {
            keep_bg: self.policy.leftovers_keep_background,
            tabs: self.policy.overwritten_tab_leaves_tabs,
        }
    }

    /// Whether `cell`'s text ends in a ZWJ (only a combined cell's can).
    #[inline]
    fn ends_with_zwj(&self, cell: &Cell) -> bool {
        cell.flags.contains(CellFlags::EXTENDED) && self.combined.ends_with(cell.ch, ZWJ_UTF8)
    }

    /// The text of `cell` appended to `out`.
    fn push_text(&self, cell: &Cell, out: &mut String) {
        if cell.flags.contains(CellFlags::EXTENDED) {
            out.push_str(self.combined.get(cell.ch));
        } else {
            out.push(char::from_u32(cell.ch).unwrap_or(' '));
        }
    }

    /// tmux 3.4+ `screen_write_combine`: whether `cp` (of `width`) joins the cell before
    /// the cursor (then it is done, or dropped) rather than being written on its own.
    /// What joins and how the cell then changes follows the release's [`GridPolicy`]
    /// (`zwj`, `vs16`, `regional_indicators`, `emoji_modifiers`, `hangul_jamo`,
    /// `max_cell_bytes`, `overflow`, `widen_at_last_column`).
    ///
    /// [`GridPolicy`]: crate::release::GridPolicy
    fn combine_from_3_4(&mut self, cp: u32, width: u8) -> bool {
        let p = self.policy;
        if p.hangul_jamo && cp == 0x3164 {
            return true;
        }
        let is_vs16 = cp == 0xfe0f;
        let zero_width = cp == 0x200d || is_vs16 || width == 0;
        let mut force_wide = is_vs16 && p.vs16 != Vs16Rule::ZeroWidth;
        let Some(add) = char::from_u32(cp) else {
            return zero_width;
        };
        let cx = self.cx as usize;
        if cp < 0x80 || cx == 0 {
            return zero_width;
        }
        debug_assert_eq!(p.combine_target, CombineTarget::AdjacentOfMatchingWidth);
        let y = self.cy;
        let row = self.grid.screen(y);
        let mut n = 1;
        let mut last = row.cell(cx - 1);
        if cx != 1 && last.flags.contains(CellFlags::WIDE_SPACER) {
            n = 2;
            last = row.cell(cx - 2);
        }
        let last_width = if last.flags.contains(CellFlags::WIDE) {
            2
        } else if last.flags.contains(CellFlags::ZERO_WIDTH) {
            0
        } else {
            1
        };
        if n != last_width || last.flags.contains(CellFlags::WIDE_SPACER) {
            return zero_width;
        }
        if !zero_width && !may_join(cp) && !self.ends_with_zwj(&last) {
            // Only a cell ending in a ZWJ could take it.
            return false;
        }
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        self.push_text(&last, &mut text);
        let join = zero_width || {
            let first = text.chars().next().map_or(0, |c| c as u32);
            let ends_zwj = text.ends_with('\u{200d}');
            if p.hangul_jamo {
                match jamo_state(&text, cp) {
                    Jamo::NotComposable => {
                        self.scratch = text;
                        return true;
                    }
                    Jamo::Initial => false,
                    Jamo::Composable => true,
                    Jamo::Other => {
                        if should_combine(p.regional_indicators, first, &text, cp) {
                            force_wide = true;
                            true
                        } else {
                            ends_zwj
                        }
                    }
                }
            } else if is_regional_indicator(cp) || is_emoji_modifier(cp) {
                // 3.4, 3.5a: `utf8_is_modifier`: joins any cell that is not one byte.
                debug_assert_eq!(p.emoji_modifiers, EmojiModifierRule::JoinAnyNonAscii);
                force_wide = text.len() >= 2;
                force_wide
            } else {
                ends_zwj
            }
        };
        if !join {
            self.scratch = text;
            return false;
        }
        if text.len() + add.len_utf8() > p.max_cell_bytes as usize {
            self.scratch = text;
            return match p.overflow {
                OverflowRule::OwnCell => false,
                OverflowRule::Dropped => zero_width,
            };
        }
        text.push(add);
        if text.len() > UTF8_STORED_MAX {
            // tmux stores a cell's size in five bits (utf8.c, `UTF8_SET_SIZE`): a cell of
            // exactly 32 bytes (3.6+) reads back with no text, keeping its width.
            text.clear();
        }
        let mut cx = cx;
        if last_width == 1 && force_wide {
            n = 2;
            cx += 1;
        } else {
            force_wide = false;
        }
        let x = cx - n;
        // A tab cell keeps only its width (grid.c, `grid_extended_cell`): what joins it is
        // lost.
        let tab = last.ch == b'\t' as u32 && !last.flags.contains(CellFlags::EXTENDED);
        let (ch, ext) = if tab {
            (last.ch, CellFlags::empty())
        } else {
            (self.combined.intern(&text), CellFlags::EXTENDED)
        };
        self.scratch = text;
        let cols = self.cols();
        let head_flags = if force_wide {
            last.flags | CellFlags::WIDE
        } else {
            last.flags
        };
        let pad_x = match p.vs16 {
            Vs16Rule::WidenPaddingOffByOne if force_wide => cx,
            _ => cx - 1,
        };
        let how = self.leftovers();
        let row = self.grid.screen_mut(y);
        let end = if force_wide { pad_x + 1 } else { x + 1 };
        if end > cols as usize {
            row.grow_past_edge(end, cols);
        }
        row.expand(end, cols);
        // tmux's grid_store_cell drops the cleared flag of a cell it stores.
        let cell = Cell {
            ch,
            flags: (head_flags | ext | CellFlags::TMUX_EXTENDED) - CellFlags::CLEARED,
            ..last
        };
        let (cells, shadow) = row.cells_and_shadow(cols);
        cells[x] = cell;
        // The row's shadow holds if this is its last character, combined in place.
        shadow.combined(x, cell);
        if force_wide {
            row.cells_mut(cols)[pad_x] = how.spacer(&last);
        }
        row.mark_ext(end);
        row.touch(end);
        self.damage.mark(y);
        if self.combined.wants_compaction() {
            self.compact_combined();
        }
        let sx = cols as usize;
        if p.widen_at_last_column == WidenAtLastColumn::CursorStays && cx > sx {
            // 3.7+: a combined character not wholly visible is not redrawn and the cursor
            // stays where it was.
            return true;
        }
        // tmux's screen_write_set_cursor: past the pending-wrap column is the last column.
        let cx = if cx > sx { sx - 1 } else { cx };
        self.set_cursor(cx as u16, y);
        true
    }

    /// A zero-width character that did not fit the cell before the cursor (3.4 .. 3.7c):
    /// `screen_write_cell` with width 0. It is written as a cell of its own at the cursor
    /// (past the right edge, where nothing shows it, with a wrap pending); the cursor
    /// stays, except that without autowrap it is pulled back to the last column.
    fn write_zero_width(&mut self, cell: Cell) {
        let sx = self.cols();
        let x = self.cx;
        if x > sx {
            return;
        }
        if x == sx {
            // Nothing shows it, but writing it clears a wide character whose padding lies
            // past the edge (a character widened in the last column).
            let y = self.cy;
            let how = self.leftovers();
            let row = self.grid.screen_mut(y);
            if row.cell(x as usize).flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_left(row.cells_mut(sx), x as usize, how);
                self.damage.mark(y);
            }
        } else {
            let mut cell = cell;
            cell.flags |= CellFlags::TMUX_EXTENDED | CellFlags::ZERO_WIDTH;
            self.put_cell(x as usize, cell, 1);
        }
        if !self.modes.contains(Modes::AUTOWRAP) && x > sx - 1 {
            self.set_cursor(sx - 1, self.cy);
        }
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
        if s.len() + add.len_utf8() <= self.policy.max_cell_bytes as usize {
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

/// What overwriting half of a wide character (or a tab) leaves in its other cells: how
/// the release clears them.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Leftovers {
    /// next-3.8 (`screen_write_clear_cell`, `grid_set_padding`): cleared cells keep their
    /// background colour, and padding cells carry their character's.
    pub keep_bg: bool,
    /// 3.6a, 3.7c: the rest of a tab whose first cell is overwritten by a character that
    /// is not ASCII becomes one-column tabs with its style.
    pub tabs: bool,
}

impl Leftovers {
    /// The padding cell after `head`.
    #[inline(always)]
    fn spacer(self, head: &Cell) -> Cell {
        if self.keep_bg {
            Cell {
                bg: head.bg,
                ..SPACER
            }
        } else {
            SPACER
        }
    }

    /// A default cell written over `c` (tmux `grid_view_set_cell` with the default cell,
    /// or next-3.8's `screen_write_clear_cell`).
    #[inline]
    fn clear(self, c: &mut Cell) {
        let bg = if self.keep_bg { c.bg } else { Cell::BLANK.bg };
        *c = Cell {
            flags: c.flags & CellFlags::TMUX_EXTENDED,
            bg,
            ..Cell::BLANK
        };
    }
}

#[inline(never)]
pub(super) fn fix_spacer_left(cells: &mut [Cell], x: usize, how: Leftovers) {
    // x is a spacer: blank it and the spacers and head to its left.
    let mut xx = x;
    while xx > 0 {
        xx -= 1;
        if !cells[xx].flags.contains(CellFlags::WIDE_SPACER) {
            how.clear(&mut cells[xx]);
            break;
        }
        how.clear(&mut cells[xx]);
    }
    how.clear(&mut cells[x]);
}

/// tmux's collect path (`screen_write_collect_end`): blanks the spacers left of `x` and
/// the wide character they belong to, except that before 3.6 a wide character in column 0
/// keeps its head (the walk stops before reading column 0); `clears_0` (3.6+) blanks it.
#[inline(never)]
fn fix_spacer_left_collect(cells: &mut [Cell], x: usize, clears_0: bool, how: Leftovers) {
    let mut xx = x;
    let mut stopped_on = None;
    while xx > 0 {
        if !cells[xx].flags.contains(CellFlags::WIDE_SPACER) {
            stopped_on = Some(xx);
            break;
        }
        how.clear(&mut cells[xx]);
        xx -= 1;
    }
    if stopped_on.is_none() && clears_0 && xx != x {
        stopped_on = Some(0);
    }
    if let Some(h) = stopped_on {
        if cells[h].flags.contains(CellFlags::WIDE) {
            how.clear(&mut cells[h]);
        }
    }
}

#[inline(never)]
fn fix_spacer_right(cells: &mut [Cell], from: usize, how: Leftovers) {
    for c in cells[from..].iter_mut() {
        if !c.flags.contains(CellFlags::WIDE_SPACER) {
            break;
        }
        how.clear(c);
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
fn overwrite(cells: &mut [Cell], x: usize, cell: Cell, width: usize, how: Leftovers) {
    let old = cells[x].flags;
    if old.contains(CellFlags::WIDE_SPACER) {
        fix_spacer_left(cells, x, how);
    }
    let end = x + width;
    if (width != 1 || old.intersects(CellFlags::WIDE | CellFlags::WIDE_SPACER))
        && end < cells.len()
        && cells[end].flags.contains(CellFlags::WIDE_SPACER)
    {
        if how.tabs
            && cells[x].ch == b'\t' as u32
            && old.contains(CellFlags::WIDE)
            && !old.contains(CellFlags::EXTENDED)
        {
            // tmux 3.6a, 3.7c (`screen_write_overwrite`): the rest of an overwritten tab
            // becomes one-column tabs with its style.
            let tab = Cell {
                flags: CellFlags::TMUX_EXTENDED,
                ..cells[x]
            };
            for c in cells[end..].iter_mut() {
                if !c.flags.contains(CellFlags::WIDE_SPACER) {
                    break;
                }
                *c = tab;
            }
        } else {
            fix_spacer_right(cells, end, how);
        }
    }
    cells[x] = cell;
    let spacer = how.spacer(&cell);
    for c in &mut cells[x + 1..end] {
        *c = spacer;
    }
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

/// Characters `print_utf8_run` decodes before writing them.
const PRINT_UNITS: usize = 128;

/// U+200D ZERO WIDTH JOINER.
const ZWJ_UTF8: &[u8] = "\u{200d}".as_bytes();

/// The longest cell text tmux reads back from its grid (`UTF8_GET_SIZE` keeps five bits).
const UTF8_STORED_MAX: usize = 31;

/// tmux 3.6+ `hanguljamo_check_state`.
enum Jamo {
    Other,
    Initial,
    Composable,
    NotComposable,
}

#[derive(PartialEq, Eq)]
enum JamoClass {
    None,
    Initial,
    Medial,
    Final,
}

/// The Hangul jamo class tmux gives `cp` (utf8-combined.c, `hanguljamo_get_class`).
fn jamo_class(cp: u32) -> JamoClass {
    match cp {
        0x1100..=0x115f | 0xa960..=0xa97c => JamoClass::Initial,
        0x1160..=0x11a7 | 0xd7b0..=0xd7c6 => JamoClass::Medial,
        0x11a8..=0x11ff | 0xd7cb..=0xd7fb => JamoClass::Final,
        _ => JamoClass::None,
    }
}

/// How `cp` composes with the cell text `with` (tmux reads the cell's last three bytes:
/// its last character when that is a three-byte one).
fn jamo_state(with: &str, cp: u32) -> Jamo {
    if !(0x800..=0xffff).contains(&cp) {
        return Jamo::Other;
    }
    let last = with
        .chars()
        .next_back()
        .filter(|c| c.len_utf8() == 3)
        .map_or(JamoClass::None, |c| jamo_class(c as u32));
    let composable = |want: JamoClass| {
        if with.len() >= 3 && last == want {
            Jamo::Composable
        } else {
            Jamo::NotComposable
        }
    };
    match jamo_class(cp) {
        JamoClass::None => Jamo::Other,
        JamoClass::Initial => Jamo::Initial,
        JamoClass::Medial => composable(JamoClass::Initial),
        JamoClass::Final => composable(JamoClass::Medial),
    }
}

/// tmux 3.6+ `utf8_should_combine`, asked both ways round: regional indicators (3.6a:
/// after a cell starting with one; 3.7+: pairs only) and a skin tone with one of tmux's
/// emoji bases, in either order. `first` is the cell's first code point, `text` its text.
fn should_combine(rule: RegionalIndicatorRule, first: u32, text: &str, cp: u32) -> bool {
    if is_regional_indicator(cp) && is_regional_indicator(first) {
        return match rule {
            RegionalIndicatorRule::Pairs => {
                text.chars()
                    .filter(|&c| is_regional_indicator(c as u32))
                    .count()
                    == 1
            }
            _ => true,
        };
    }
    let base = |c: u32| EMOJI_MODIFIER_BASES.binary_search(&c).is_ok();
    (base(cp) && is_emoji_modifier(first)) || (is_emoji_modifier(cp) && base(first))
}

/// The run of characters at the start of `b` that `print_utf8_run` prints and that fit
/// from column `x` before `cols`: each complete, not ASCII, of width 1 or 2, and one that
/// cannot join the cell before it (`first`: the first follows a cell the run did not
/// print). Stores them in `out` (as many as it holds) as shadow characters; returns how
/// many, the bytes they take and the column after them. Branches only to stop: text that
/// mixes scripts would mispredict branches on a character's length or width.
#[inline(always)]
fn scan(
    widths: &CharWidths,
    b: &[u8],
    first: bool,
    mut x: usize,
    cols: usize,
    out: &mut [u32],
) -> (usize, usize, usize) {
    let mut i = 0;
    let mut k = 0;
    let mut first = first;
    while k < out.len() {
        let Some(&lead) = b.get(i) else {
            break;
        };
        if lead < 0x80 {
            break;
        }
        let decoded = match b.get(i..i + 4) {
            Some(&[b0, b1, b2, b3]) => crate::input::decode_utf8_4([b0, b1, b2, b3]),
            _ => crate::input::decode_utf8(&b[i..]),
        };
        let Some((cp, n)) = decoded else {
            break;
        };
        let w = widths.width(cp) as usize;
        let joins = may_join_printed(cp) | (first & is_emoji_modifier_base(cp));
        let end = x + w;
        if (w.wrapping_sub(1) > 1) | (cp == 0x200d) | joins | (end > cols) {
            break;
        }
        out[k] = cp | ((w == 2) as u32) << 31;
        k += 1;
        i += n;
        x = end;
        first = false;
    }
    (k, i, x)
}

/// Whether `cp` may join the cell before it in some release even though it has a width
/// (so the bulk path leaves it to `print_char`).
#[inline]
pub(crate) fn may_join(cp: u32) -> bool {
    may_join_printed(cp) || is_emoji_modifier_base(cp)
}

/// [`may_join`] after a character the bulk path printed (one that is not a skin tone): an
/// emoji modifier base only joins a cell that starts with a skin tone (3.6+
/// `utf8_should_combine`), so it need not be asked about.
/// Range checks without branches: scripts mixed in no order would mispredict them.
#[inline(always)]
fn may_join_printed(cp: u32) -> bool {
    let within = |lo: u32, hi: u32| cp.wrapping_sub(lo) <= hi - lo;
    // Hangul jamo and filler, regional indicators, skin tones.
    within(0x1100, 0x11ff)
        | (cp == 0x3164)
        | within(0xa960, 0xa97c)
        | within(0xd7b0, 0xd7fb)
        | within(0x1f1e6, 0x1f1ff)
        | within(0x1f3fb, 0x1f3ff)
}

/// First and last of [`EMOJI_MODIFIER_BASES`].
const BASES_FIRST: u32 = 0x1f44b;
const BASES_LAST: u32 = 0x1f9df;

/// [`EMOJI_MODIFIER_BASES`] as a bitmap from [`BASES_FIRST`]: one lookup instead of a
/// binary search.
static BASES_BITMAP: [u64; ((BASES_LAST - BASES_FIRST) / 64 + 1) as usize] = {
    let mut map = [0u64; ((BASES_LAST - BASES_FIRST) / 64 + 1) as usize];
    let mut k = 0;
    while k < EMOJI_MODIFIER_BASES.len() {
        let d = EMOJI_MODIFIER_BASES[k] - BASES_FIRST;
        map[(d / 64) as usize] |= 1 << (d % 64);
        k += 1;
    }
    map
};

/// Whether `cp` is one of tmux's emoji modifier bases ([`EMOJI_MODIFIER_BASES`]).
#[inline]
fn is_emoji_modifier_base(cp: u32) -> bool {
    let d = cp.wrapping_sub(BASES_FIRST);
    match BASES_BITMAP.get((d / 64) as usize) {
        Some(word) => word & 1 << (d % 64) != 0,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bases_bitmap_is_the_list() {
        assert_eq!(EMOJI_MODIFIER_BASES.first(), Some(&BASES_FIRST));
        assert_eq!(EMOJI_MODIFIER_BASES.last(), Some(&BASES_LAST));
        for cp in 0..0x110000 {
            assert_eq!(
                is_emoji_modifier_base(cp),
                EMOJI_MODIFIER_BASES.binary_search(&cp).is_ok(),
                "U+{cp:04X}"
            );
        }
    }
}

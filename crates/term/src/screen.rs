//! The emulator state and its operations, following tmux 3.3a's `screen-write.c`,
//! `input.c`, `grid.c` and `grid-view.c` (behaviour re-derived, not code copied).
//!
//! Cursor convention (tmux's): `cx` may equal `cols` after printing in the last column with
//! autowrap on; that is the pending-wrap state, and the next printable character wraps.

use crate::cell::{Attrs, Cell, CellFlags, Color, UnderlineStyle};
use crate::damage::Damage;
use crate::grid::{Grid, Row};
use crate::modes::Modes;
use crate::params::CsiParams;
use crate::width::char_width;
use crate::TermEvent;

/// Longest combining sequence tmux keeps in one cell (`UTF8_SIZE`), in UTF-8 bytes.
const COMBINED_MAX_BYTES: usize = 21;

/// The pen and charset state saved by DECSC / CSI s.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Saved {
    pub pen: Cell,
    pub g0_acs: bool,
    pub g1_acs: bool,
    pub shift_out: bool,
    pub cx: u16,
    pub cy: u16,
    pub origin: bool,
}

/// The primary screen kept aside while the alternate screen is shown (tmux `saved_grid`).
#[derive(Clone, Debug)]
pub(crate) struct AltSaved {
    pub lines: Vec<Row>,
    pub cols: u16,
    pub rows: u16,
    pub history: bool,
}

/// FNV-1a: the combined-character keys are a few bytes long, where SipHash costs more
/// than the rest of printing the character.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Combined characters (base + combining marks) stored outside the cell.
#[derive(Clone, Debug, Default)]
pub(crate) struct Combined {
    pub strings: Vec<String>,
    index: std::collections::HashMap<String, u32, std::hash::BuildHasherDefault<Fnv>>,
}

impl Combined {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
    pub fn get(&self, i: u32) -> &str {
        self.strings
            .get(i as usize)
            .map(|s| s.as_str())
            .unwrap_or("")
    }
}

/// tmux's partial UTF-8 state (`utf8_open` / `utf8_append`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Utf8 {
    buf: [u8; 4],
    have: u8,
    size: u8,
    bad: bool,
}

/// Escape-level state handled before bytes reach vte (strings vte does not deliver).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pre {
    /// Nothing special.
    None,
    /// The previous feed ended with ESC in the ground state.
    EscPending,
    /// Inside `ESC k ... ST` (window rename; content ignored).
    Rename,
    /// Inside `ESC _ ... ST` (APC; tmux sets the pane title from it).
    Apc,
}

pub(crate) struct Screen {
    pub grid: Grid,
    pub cx: u16,
    pub cy: u16,
    pub pen: Cell,
    pub g0_acs: bool,
    pub g1_acs: bool,
    pub shift_out: bool,
    pub saved: Saved,
    pub modes: Modes,
    pub rupper: u16,
    pub rlower: u16,
    pub tabs: Vec<bool>,
    pub title: String,
    /// Whether the program has set a title (even an empty one): until then `title` is
    /// a placeholder, not the pane's title.
    pub title_set: bool,
    /// Titles pushed by `CSI 22 ; 0|2 t`.
    pub title_stack: Vec<String>,
    /// The CSI vte is about to dispatch had too much parameter text (tmux drops it).
    pub csi_discard: bool,
    /// Empty parameters of that CSI (bit per parameter).
    pub csi_missing: u32,
    pub damage: Damage,
    pub events: Vec<TermEvent>,
    /// Last printed character for REP: (code point, width).
    pub last: Option<(u32, u8)>,
    pub utf8: Utf8,
    pub zwj: bool,
    pub pre: Pre,
    pub string: Vec<u8>,
    pub string_discard: bool,
    pub alt: Option<AltSaved>,
    /// tmux `saved_cx`/`saved_cy`/`saved_cell` (1049); kept after leaving the alternate screen.
    pub saved_alt_cursor: (u16, u16),
    pub saved_alt_pen: Cell,
    pub combined: Combined,
    pub ul_colors: Vec<Color>,
    pub scratch: String,
    /// tmux's collect item in progress: the cursor row's `cellsize` before the current run
    /// of collected ASCII began. tmux expands a line's storage once per item (when it is
    /// flushed), and an item ends only at a byte that is not printable ASCII, a wrap or a
    /// non-collected cell, never at a `feed` boundary; so a run continued by the next
    /// `feed` recomputes the expansion from this size (feeds split anywhere agree).
    pub item_size: Option<u16>,
}

fn default_tabs(cols: u16) -> Vec<bool> {
    (0..cols).map(|x| x % 8 == 0 && x != 0).collect()
}

impl Screen {
    pub fn new(cols: u16, rows: u16, limit: usize) -> Screen {
        let cols = cols.max(1);
        let rows = rows.max(1);
        let pen = Cell::BLANK;
        Screen {
            grid: Grid::new(cols, rows, limit),
            cx: 0,
            cy: 0,
            pen,
            g0_acs: false,
            g1_acs: false,
            shift_out: false,
            saved: Saved {
                pen,
                g0_acs: false,
                g1_acs: false,
                shift_out: false,
                cx: 0,
                cy: 0,
                origin: false,
            },
            modes: Modes::INITIAL,
            rupper: 0,
            rlower: rows - 1,
            tabs: default_tabs(cols),
            title: String::new(),
            title_set: false,
            title_stack: Vec::new(),
            csi_discard: false,
            csi_missing: 0,
            damage: Damage::new(rows),
            events: Vec::new(),
            last: None,
            utf8: Utf8::default(),
            zwj: false,
            pre: Pre::None,
            string: Vec::new(),
            string_discard: false,
            alt: None,
            saved_alt_cursor: (u16::MAX, u16::MAX),
            saved_alt_pen: pen,
            combined: Combined::default(),
            ul_colors: Vec::new(),
            scratch: String::new(),
            item_size: None,
        }
    }

    #[inline(always)]
    pub fn cols(&self) -> u16 {
        self.grid.cols
    }
    #[inline(always)]
    pub fn rows(&self) -> u16 {
        self.grid.rows
    }

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

    fn set_mode(&mut self, m: Modes, on: bool) {
        if self.modes.contains(m) != on {
            self.modes.set(m, on);
            self.damage.modes_changed = true;
            if m == Modes::CURSOR_VISIBLE {
                self.damage.cursor_changed = true;
            }
        }
    }

    // ---------------------------------------------------------------- printing

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

    /// `print_ascii_run` in bulk (`ascii_run_fast` holds). `fresh`: the cursor's line
    /// was just scrolled in for this run (see [`Screen::linefeed_keeping`]), so it holds
    /// no wide character to fix up.
    #[inline(always)]
    fn print_ascii_run_at(&mut self, run: &[u8], mut fresh: bool) {
        let cols = self.cols() as usize;
        let mut pen = self.pen;
        pen.flags = CellFlags::empty();
        let pen_ext = pen.style_needs_tmux_extended();
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
            let cells = &mut row.cells[..cols];
            // Overwriting half of a wide character blanks the other half (tmux). A line
            // just scrolled in has none (and its cells past the run may not be in cache).
            if !fresh {
                if cells[x].flags.contains(CellFlags::WIDE_SPACER) {
                    fix_spacer_left_collect(cells, x);
                }
                if x + n < cols && cells[x + n].flags.contains(CellFlags::WIDE_SPACER) {
                    fix_spacer_right(cells, x + n);
                }
            }
            fresh = false;
            // Cells tmux stores out of line stay so (there are none from `ext_end` on).
            if pen_ext || row.ext_end as usize > x {
                fill_ascii_tmux_extended(row, x, chunk, pen, pen_ext);
            } else {
                crate::fill::fill_ascii(&mut row.cells[x..x + n], chunk, pen);
            }
            if (row.used as usize) < x + n {
                row.used = (x + n) as u16;
            }
            self.cx = (x + n) as u16;
            self.damage.mark(y);
        }
        self.damage.cursor_changed = true;
        if let Some(&b) = run.last() {
            self.last = Some((b as u32, 1));
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
            || (if self.shift_out {
                self.g1_acs
            } else {
                self.g0_acs
            }))
    }

    /// One printable ASCII character (tmux `input_print`).
    pub fn print_ascii(&mut self, b: u8) {
        self.utf8.have = 0;
        let acs = if self.shift_out {
            self.g1_acs
        } else {
            self.g0_acs
        };
        let mut cell = self.pen;
        cell.ch = b as u32;
        cell.flags = CellFlags::empty();
        if acs {
            cell.attrs |= Attrs::CHARSET;
        }
        self.last = Some((b as u32, 1));
        self.add_cell(cell, 1, true);
    }

    /// A decoded non-ASCII character with its width (tmux `input_top_bit_set`). The feed
    /// prints runs of the common ones with `print_utf8_run`; this is the general path.
    pub fn print_char(&mut self, cp: u32, width: u8) {
        if width == crate::width::UNPRINTABLE {
            // tmux's utf8_width fails for these: the character is dropped.
            return;
        }
        let mut cell = self.pen;
        cell.ch = cp;
        cell.flags = CellFlags::empty();
        // tmux repeats (REP) only characters that came through its ASCII path.
        self.last = None;
        self.add_cell(cell, width, false);
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
            if row.cells[x].flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_left_collect(&mut row.cells[..cols], x);
            }
            if x + 1 < cols && row.cells[x + 1].flags.contains(CellFlags::WIDE_SPACER) {
                fix_spacer_right(&mut row.cells[..cols], x + 1);
            }
            row.cells[x] = with_tmux_extended(row, x, cell, 1);
            if (row.used as usize) < x + 1 {
                row.used = (x + 1) as u16;
            }
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
        if cell.ch == 0x200d && !cell.flags.contains(CellFlags::EXTENDED) {
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
        let basic = |c: Color| {
            matches!(
                c.kind(),
                crate::cell::ColorKind::Default | crate::cell::ColorKind::Ansi(_)
            )
        };
        if x >= row.size as usize {
            return new.ch == b' ' as u32
                && new.fg.is_default()
                && new.bg.is_default()
                && new.attrs.is_empty()
                && !new.flags.contains(CellFlags::EXTENDED);
        }
        let old = &row.cells[x];
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
        let cell = with_tmux_extended(row, x, cell, width);
        overwrite(&mut row.cells[..cols], x, cell, width);
        let end = x + width;
        if (row.used as usize) < end {
            row.used = end as u16;
        }
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
        // The next character if it can take this path: (code point, bytes, width).
        let next = |b: &[u8]| -> Option<(u32, usize, usize)> {
            if b.first().is_none_or(|&c| c < 0x80) {
                return None;
            }
            let (cp, n) = crate::decode_utf8(b)?;
            let w = char_width(cp);
            ((w == 1 || w == 2) && cp != 0x200d).then_some((cp, n, w as usize))
        };
        let mut pen = self.pen;
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
                overwrite(&mut row.cells[..cols as usize], x, pen, w);
                x += w;
                i += n;
                match next(&bytes[i..]) {
                    Some(d) if x + d.2 <= cols as usize => c = d,
                    _ => break,
                }
            }
            if (row.used as usize) < x {
                row.used = x as u16;
            }
            row.mark_ext(x);
            self.cx = x as u16;
            self.damage.mark(y);
        }
        if i > 0 {
            self.last = None;
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
        if row.cells.len() < end {
            row.cells.resize(end, crate::grid::EMPTY);
            row.extent = row.cells.len() as u16;
        }
        row.expand(end, cols);
        if row.cells[x].flags.contains(CellFlags::WIDE_SPACER) {
            fix_spacer_left(&mut row.cells, x);
        }
        row.cells[x] = Cell {
            flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
            ..cell
        };
        for c in &mut row.cells[x + 1..end] {
            *c = SPACER;
        }
        row.mark_ext(end);
        if (row.used as usize) < end {
            row.used = end as u16;
        }
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
        let mut x = None;
        {
            let row = self.grid.screen(y);
            for n in 1..=cx {
                if !row.cells[cx - n].flags.contains(CellFlags::WIDE_SPACER) {
                    x = Some(cx - n);
                    break;
                }
            }
        }
        let Some(x) = x else { return };
        let Some(add) = char::from_u32(cp) else {
            return;
        };
        let old = {
            let row = self.grid.screen(y);
            // Past the line's storage tmux reads the default cell.
            if x >= row.size as usize {
                Cell::BLANK
            } else {
                row.cells[x]
            }
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
            let cols = self.grid.cols;
            let row = self.grid.screen_mut(y);
            row.expand(x + 1, cols);
            // tmux's grid_store_cell drops the cleared flag of a cell it stores.
            row.cells[x] = Cell {
                ch: idx,
                flags: (old.flags | CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED)
                    - CellFlags::CLEARED,
                ..old
            };
            row.mark_ext(x + 1);
            if (row.used as usize) < x + 1 {
                row.used = (x + 1) as u16;
            }
            self.damage.mark(y);
        }
        self.scratch = s;
    }

    /// Feeds one byte >= 0x80 in the ground state (tmux `input_top_bit_set`).
    pub fn top_bit(&mut self, b: u8) {
        let u = &mut self.utf8;
        if u.have == 0 {
            let size = match b {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => return,
            };
            u.buf[0] = b;
            u.have = 1;
            u.size = size;
            u.bad = false;
            return;
        }
        if b & 0xc0 != 0x80 {
            u.bad = true;
        }
        u.buf[u.have as usize] = b;
        u.have += 1;
        if u.have < u.size {
            return;
        }
        u.have = 0;
        if u.bad {
            return;
        }
        let Ok(s) = std::str::from_utf8(&u.buf[..u.size as usize]) else {
            return;
        };
        let Some(c) = s.chars().next() else { return };
        let cp = c as u32;
        self.print_char(cp, char_width(cp));
    }

    // ---------------------------------------------------------------- C0

    pub fn execute(&mut self, b: u8) {
        self.utf8.have = 0;
        match b {
            0x07 => self.events.push(TermEvent::Bell),
            0x08 => self.backspace(),
            0x09 => self.tab(),
            0x0a..=0x0c => {
                let bg = self.pen.bg;
                self.linefeed(false, bg);
            }
            0x0d => self.set_cursor(0, self.cy),
            0x0e => self.shift_out = true,
            0x0f => self.shift_out = false,
            _ => {}
        }
        self.last = None;
    }

    /// `execute(b'\r')` then `execute(b'\n')`.
    #[inline]
    pub fn carriage_return_linefeed(&mut self) {
        self.crlf_keeping(0);
    }

    /// `carriage_return_linefeed` with the line feed's `n` as for `linefeed_keeping`.
    #[inline]
    fn crlf_keeping(&mut self, n: usize) -> bool {
        self.utf8.have = 0;
        self.last = None;
        self.set_cursor(0, self.cy);
        let bg = self.pen.bg;
        self.linefeed_keeping(false, bg, n)
    }

    fn backspace(&mut self) {
        let (mut cx, mut cy) = (self.cx, self.cy);
        if cx == 0 {
            if cy == 0 {
                return;
            }
            if self.grid.screen(cy - 1).wrapped {
                cy -= 1;
                cx = self.cols() - 1;
            }
        } else {
            cx -= 1;
        }
        self.set_cursor_clamped(cx, cy);
    }

    fn tab(&mut self) {
        let sx = self.cols();
        if self.cx >= sx - 1 {
            return;
        }
        let mut x = self.cx;
        loop {
            x += 1;
            if self.tabs.get(x as usize).copied().unwrap_or(false) || x >= sx - 1 {
                break;
            }
        }
        self.set_cursor(x, self.cy);
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
    fn linefeed_keeping(&mut self, wrapped: bool, bg: Color, n: usize) -> bool {
        let cy = self.cy;
        if wrapped {
            self.grid.screen_mut(cy).wrapped = true;
        }
        if cy == self.rlower {
            return self.scroll_region_up(bg, n.min(u16::MAX as usize) as u16);
        }
        if cy < self.rows() - 1 {
            self.set_cursor(self.cx, cy + 1);
        }
        false
    }

    /// tmux `grid_view_scroll_region_up`; `keep` as for [`Grid::scroll_history`]. Returns
    /// whether a line went into history (the region's new bottom line is then one emptied
    /// by `clear_keeping`).
    fn scroll_region_up(&mut self, bg: Color, keep: u16) -> bool {
        let (ru, rl) = (self.rupper, self.rlower);
        if self.grid.history {
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
        let h = self.grid.hsize;
        self.grid
            .move_lines(h + ru as usize, h + ru as usize + 1, (rl - ru) as usize, bg);
        self.damage.mark_range(ru, rl);
        false
    }

    /// tmux `grid_view_scroll_region_down`.
    fn scroll_region_down(&mut self, bg: Color) {
        let (ru, rl) = (self.rupper, self.rlower);
        let h = self.grid.hsize;
        self.grid
            .move_lines(h + ru as usize + 1, h + ru as usize, (rl - ru) as usize, bg);
        self.damage.mark_range(ru, rl);
    }

    fn reverse_index(&mut self) {
        if self.cy == self.rupper {
            let bg = self.pen.bg;
            self.scroll_region_down(bg);
        } else if self.cy > 0 {
            self.set_cursor(self.cx, self.cy - 1);
        }
    }

    // ---------------------------------------------------------------- cursor motion

    fn cursor_up(&mut self, n: u16) {
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

    fn cursor_down(&mut self, n: u16) {
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

    fn cursor_right(&mut self, n: u16) {
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

    fn cursor_left(&mut self, n: u16) {
        let n = n.max(1).min(self.cx);
        if n == 0 {
            return;
        }
        self.set_cursor_clamped(self.cx - n, self.cy);
    }

    /// tmux `screen_write_cursormove`; `None` keeps that coordinate.
    fn cursor_move(&mut self, px: Option<u32>, py: Option<u32>, origin: bool) {
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

    // ---------------------------------------------------------------- editing

    fn insert_cells_at(&mut self, px: u16, py: u16, nx: u16, bg: Color) {
        let sx = self.cols();
        let line = self.grid.hsize + py as usize;
        if px >= sx - 1 {
            self.grid.clear(px, line, 1, 1, bg);
        } else {
            let count = sx.saturating_sub(px).saturating_sub(nx);
            move_cells(self.grid.line_mut(line), px + nx, px, count, bg, sx);
        }
        self.damage.mark(py);
    }

    fn insert_characters(&mut self, n: u16, bg: Color) {
        let sx = self.cols();
        let n = n.max(1).min(sx.saturating_sub(self.cx));
        if n == 0 || self.cx > sx - 1 {
            return;
        }
        self.insert_cells_at(self.cx, self.cy, n, bg);
    }

    fn delete_characters(&mut self, n: u16, bg: Color) {
        let sx = self.cols();
        let n = n.max(1).min(sx.saturating_sub(self.cx));
        if n == 0 || self.cx > sx - 1 {
            return;
        }
        let px = self.cx;
        let line = self.grid.hsize + self.cy as usize;
        move_cells(self.grid.line_mut(line), px, px + n, sx - px - n, bg, sx);
        self.grid.clear(sx - n, line, n, 1, bg);
        self.damage.mark(self.cy);
    }

    fn erase_characters(&mut self, n: u16, bg: Color) {
        let sx = self.cols();
        let n = n.max(1).min(sx.saturating_sub(self.cx));
        if n == 0 || self.cx > sx - 1 {
            return;
        }
        let line = self.grid.hsize + self.cy as usize;
        self.grid.clear(self.cx, line, n, 1, bg);
        self.damage.mark(self.cy);
    }

    fn insert_lines(&mut self, n: u16, bg: Color) {
        let sy = self.rows();
        let n = n.max(1);
        let h = self.grid.hsize;
        let cy = self.cy;
        if cy < self.rupper || cy > self.rlower {
            let n = n.min(sy - cy);
            if n == 0 {
                return;
            }
            // grid_view_insert_lines: moves sy - cy - n lines (none: nothing happens).
            let py = h + cy as usize;
            self.grid
                .move_lines(py + n as usize, py, (sy - cy - n) as usize, bg);
            self.damage.mark_range(cy, sy - 1);
            return;
        }
        let n = n.min(self.rlower + 1 - cy);
        if n == 0 {
            return;
        }
        let rl = h + self.rlower as usize;
        let py = h + cy as usize;
        let n = n as usize;
        let ny2 = rl + 1 - py - n;
        self.grid.move_lines(py + n, py, ny2, bg);
        // tmux 3.3a's grid_view_insert_lines_region then clears `n - ny2` lines from
        // `py + ny2` in unsigned arithmetic (the moved-from lines are already blank). With
        // fewer lines inserted than moved, the count wraps: grid_clear_lines passes its
        // range checks, clears no line, and still unwraps the line above `py + ny2`.
        match n.cmp(&ny2) {
            std::cmp::Ordering::Greater => {
                self.grid.clear(0, py + ny2, self.cols(), n - ny2, bg);
            }
            std::cmp::Ordering::Equal => {}
            std::cmp::Ordering::Less => self.grid.line_mut(py + ny2 - 1).wrapped = false,
        }
        self.damage.mark_range(cy, self.rlower);
    }

    fn delete_lines(&mut self, n: u16, bg: Color) {
        let sy = self.rows();
        let n = n.max(1);
        let h = self.grid.hsize;
        let cy = self.cy;
        let cols = self.cols();
        if cy < self.rupper || cy > self.rlower {
            let n = n.min(sy - cy);
            if n == 0 {
                return;
            }
            let py = h + cy as usize;
            self.grid
                .move_lines(py, py + n as usize, (sy - cy - n) as usize, bg);
            self.grid
                .clear(0, h + (sy - n) as usize, cols, n as usize, bg);
            self.damage.mark_range(cy, sy - 1);
            return;
        }
        let n = n.min(self.rlower + 1 - cy);
        if n == 0 {
            return;
        }
        let rl = h + self.rlower as usize;
        let py = h + cy as usize;
        let ny2 = rl + 1 - py - n as usize;
        self.grid.move_lines(py, py + n as usize, ny2, bg);
        self.grid.clear(0, py + ny2, cols, n as usize, bg);
        self.damage.mark_range(cy, self.rlower);
    }

    fn scroll_up(&mut self, n: u16, bg: Color) {
        let height = self.rlower - self.rupper + 1;
        let n = if n == 0 { 1 } else { n.min(height) };
        for _ in 0..n {
            self.scroll_region_up(bg, 0);
        }
    }

    fn scroll_down(&mut self, n: u16, bg: Color) {
        let height = self.rlower - self.rupper + 1;
        let n = if n == 0 { 1 } else { n.min(height) };
        for _ in 0..n {
            self.scroll_region_down(bg);
        }
    }

    fn line_cellsize_zero(&self, y: u16) -> bool {
        let row = self.grid.screen(y);
        row.size == 0
    }

    fn clear_end_of_line(&mut self, bg: Color) {
        let sx = self.cols();
        if self.cx > sx - 1 || (self.cx >= self.grid.screen(self.cy).size && bg.is_default()) {
            return;
        }
        let line = self.grid.hsize + self.cy as usize;
        self.grid.clear(self.cx, line, sx - self.cx, 1, bg);
        self.damage.mark(self.cy);
    }

    fn clear_start_of_line(&mut self, bg: Color) {
        let sx = self.cols();
        let line = self.grid.hsize + self.cy as usize;
        let n = if self.cx > sx - 1 { sx } else { self.cx + 1 };
        self.grid.clear(0, line, n, 1, bg);
        self.damage.mark(self.cy);
    }

    fn clear_line(&mut self, bg: Color) {
        if bg.is_default() && self.line_cellsize_zero(self.cy) {
            return;
        }
        let line = self.grid.hsize + self.cy as usize;
        self.grid.clear(0, line, self.cols(), 1, bg);
        self.damage.mark(self.cy);
    }

    /// tmux `grid_view_clear_history`: with scroll-on-clear (default on), clearing the
    /// whole screen pushes its used lines into history.
    fn clear_screen_into_history(&mut self, bg: Color) {
        let sy = self.rows();
        let mut last = 0;
        for y in 0..sy {
            if self.grid.screen(y).used != 0 {
                last = y + 1;
            }
        }
        if last == 0 {
            let h = self.grid.hsize;
            self.grid.clear(0, h, self.cols(), sy as usize, bg);
        } else {
            for _ in 0..last {
                self.grid.collect_history();
                self.grid.scroll_history(bg, 0);
            }
            self.damage.scrolled = self.damage.scrolled.saturating_add(last as u32);
            if last < sy {
                let h = self.grid.hsize;
                self.grid.clear(0, h, self.cols(), (sy - last) as usize, bg);
            }
            self.grid.hscrolled = 0;
        }
        self.damage.mark_all();
    }

    fn clear_end_of_screen(&mut self, bg: Color) {
        let (sx, sy) = (self.cols(), self.rows());
        if self.cx == 0 && self.cy == 0 && self.grid.history {
            self.clear_screen_into_history(bg);
            return;
        }
        let h = self.grid.hsize;
        if self.cx < sx {
            self.grid
                .clear(self.cx, h + self.cy as usize, sx - self.cx, 1, bg);
        }
        let from = self.cy as usize + 1;
        self.grid.clear(0, h + from, sx, sy as usize - from, bg);
        self.damage.mark_range(self.cy, sy - 1);
    }

    fn clear_start_of_screen(&mut self, bg: Color) {
        let sx = self.cols();
        let h = self.grid.hsize;
        if self.cy > 0 {
            self.grid.clear(0, h, sx, self.cy as usize, bg);
        }
        let n = if self.cx > sx - 1 { sx } else { self.cx + 1 };
        self.grid.clear(0, h + self.cy as usize, n, 1, bg);
        self.damage.mark_range(0, self.cy);
    }

    fn clear_screen(&mut self, bg: Color) {
        if self.grid.history {
            self.clear_screen_into_history(bg);
        } else {
            let h = self.grid.hsize;
            self.grid.clear(0, h, self.cols(), self.rows() as usize, bg);
            self.damage.mark_all();
        }
    }

    fn set_scroll_region(&mut self, top: u32, bottom: u32) {
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

    fn alignment_test(&mut self) {
        let mut e = Cell::BLANK;
        e.ch = b'E' as u32;
        for y in 0..self.rows() {
            let cols = self.grid.cols;
            let row = self.grid.screen_mut(y);
            row.expand(cols as usize, cols);
            // tmux sets each cell: one stored out of line stays so.
            for c in &mut row.cells[..cols as usize] {
                *c = Cell {
                    flags: c.flags & CellFlags::TMUX_EXTENDED,
                    ..e
                };
            }
            row.used = row.used.max(cols);
        }
        self.set_cursor(0, 0);
        self.rupper = 0;
        self.rlower = self.rows() - 1;
        self.damage.mark_all();
    }

    fn save_state(&mut self) {
        self.saved = Saved {
            pen: self.pen,
            g0_acs: self.g0_acs,
            g1_acs: self.g1_acs,
            shift_out: self.shift_out,
            cx: self.cx,
            cy: self.cy,
            origin: self.modes.contains(Modes::ORIGIN),
        };
    }

    fn restore_state(&mut self) {
        let s = self.saved;
        self.pen = s.pen;
        self.g0_acs = s.g0_acs;
        self.g1_acs = s.g1_acs;
        self.shift_out = s.shift_out;
        self.set_mode(Modes::ORIGIN, s.origin);
        self.cursor_move(Some(s.cx as u32), Some(s.cy as u32), false);
    }

    fn reset_tabs(&mut self) {
        self.tabs = default_tabs(self.cols());
    }

    /// RIS (`ESC c`).
    fn full_reset(&mut self) {
        self.pen = Cell::BLANK;
        self.shift_out = false;
        self.g0_acs = false;
        self.g1_acs = false;
        // tmux resets the saved cell and position but not the saved mode (origin).
        self.saved = Saved {
            pen: Cell::BLANK,
            g0_acs: false,
            g1_acs: false,
            shift_out: false,
            cx: 0,
            cy: 0,
            origin: self.saved.origin,
        };
        self.reset_tabs();
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

    fn alternate_on(&mut self, cursor: bool) {
        if self.alt.is_some() {
            return;
        }
        let (sx, sy) = (self.cols(), self.rows());
        let h = self.grid.hsize;
        let lines = (0..sy as usize)
            .map(|y| self.grid.line(h + y).clone())
            .collect();
        if cursor {
            self.saved_alt_cursor = (self.cx, self.cy);
        }
        self.saved_alt_pen = self.pen;
        self.alt = Some(AltSaved {
            lines,
            cols: sx,
            rows: sy,
            history: self.grid.history,
        });
        self.grid.clear(0, h, sx, sy as usize, Color::DEFAULT);
        self.grid.history = false;
        self.damage.mark_all();
        self.damage.modes_changed = true;
    }

    fn alternate_off(&mut self, cursor: bool) {
        let (sx, sy) = (self.cols(), self.rows());
        if let Some(alt) = &self.alt {
            if alt.cols != sx || alt.rows != sy {
                // tmux resizes back to the saved size with reflow (the alternate screen's
                // own lines get rewrapped, and any pushed above the screen stay in history).
                let (c, r) = (alt.cols, alt.rows);
                crate::reflow::resize(self, c, r, true);
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
        let h = self.grid.hsize;
        for (y, line) in alt.lines.into_iter().enumerate() {
            *self.grid.line_mut(h + y) = line;
        }
        self.grid.history = alt.history;
        if self.cols() != sx || self.rows() != sy {
            crate::reflow::resize(self, sx, sy, true);
        }
        self.clamp_cursor();
        self.damage.mark_all();
        self.damage.modes_changed = true;
        self.damage.cursor_changed = true;
    }

    fn clamp_cursor(&mut self) {
        if self.cx > self.cols() - 1 {
            self.cx = self.cols() - 1;
        }
        if self.cy > self.rows() - 1 {
            self.cy = self.rows() - 1;
        }
    }

    // ---------------------------------------------------------------- sequences

    /// Dispatches a CSI sequence (tmux `input_csi_dispatch`).
    pub fn csi(&mut self, params: &CsiParams, inter: &[u8], ignore: bool, action: char) {
        self.utf8.have = 0;
        let was_last = self.last.take();
        if ignore || params.too_many || params.discard {
            return;
        }
        self.csi_dispatch(
            params.len(),
            |i| {
                if params.is_missing(i) {
                    CsiParam::Missing
                } else {
                    match params.group(i) {
                        [v] => CsiParam::Value(*v),
                        g => CsiParam::Sub(g),
                    }
                }
            },
            inter,
            action,
            was_last,
        );
    }

    /// A whole `CSI <values> <action>` without intermediates whose parameters are all plain
    /// numbers (at least one): what `csi` does for it, without building [`CsiParams`]. The
    /// feed's fast path for the commonest sequences (SGR, cursor motion).
    #[inline]
    pub fn csi_values(&mut self, values: &[u16], action: char) {
        self.utf8.have = 0;
        let was_last = self.last.take();
        self.csi_dispatch(
            values.len(),
            |i| CsiParam::Value(values[i]),
            b"",
            action,
            was_last,
        );
    }

    /// `csi` after its checks: `np` parameters, parameter `i < np` given by `param(i)`.
    #[inline]
    fn csi_dispatch<'a>(
        &mut self,
        np: usize,
        param: impl Fn(usize) -> CsiParam<'a> + Copy,
        inter: &[u8],
        action: char,
        was_last: Option<(u32, u8)>,
    ) {
        // input_get(index, min, default): -1 when the parameter has sub-parameters.
        // vte cannot tell a missing parameter from 0; with tmux's minimums the two agree for
        // every sequence here except DECSTBM's bottom (handled there).
        let get = |i: usize, min: i32, def: i32| -> i32 {
            if i >= np {
                return def;
            }
            match param(i) {
                CsiParam::Value(v) => (v as i32).max(min),
                CsiParam::Missing => def,
                CsiParam::Sub(_) => -1,
            }
        };
        let bg = self.pen.bg;
        match (inter, action) {
            (b"", 'm') => self.sgr_with(np, param),
            // Relative cursor motion (CUU, CUD, CUF, CUB).
            (b"", op @ ('A' | 'B' | 'C' | 'D')) => {
                let motion: fn(&mut Self, u16) = match op {
                    'A' => Self::cursor_up,
                    'B' => Self::cursor_down,
                    'C' => Self::cursor_right,
                    _ => Self::cursor_left,
                };
                let n = get(0, 1, 1);
                if n != -1 {
                    motion(self, clamp16(n));
                }
            }
            (b"", 'E') => {
                let n = get(0, 1, 1);
                if n != -1 {
                    self.set_cursor(0, self.cy);
                    self.cursor_down(clamp16(n));
                }
            }
            (b"", 'F') => {
                let n = get(0, 1, 1);
                if n != -1 {
                    self.set_cursor(0, self.cy);
                    self.cursor_up(clamp16(n));
                }
            }
            (b"", 'G') | (b"", '`') => {
                let n = get(0, 1, 1);
                if n != -1 {
                    self.cursor_move(Some(n as u32 - 1), None, true);
                }
            }
            (b"", 'H') | (b"", 'f') => {
                let n = get(0, 1, 1);
                let m = get(1, 1, 1);
                if n != -1 && m != -1 {
                    self.cursor_move(Some(m as u32 - 1), Some(n as u32 - 1), true);
                }
            }
            (b"", 'd') => {
                let n = get(0, 1, 1);
                if n != -1 {
                    self.cursor_move(None, Some(n as u32 - 1), true);
                }
            }
            (b"", 'J') => match get(0, 0, 0) {
                0 => self.clear_end_of_screen(bg),
                1 => self.clear_start_of_screen(bg),
                2 => self.clear_screen(bg),
                3 if get(1, 0, 0) == 0 => self.grid.clear_history(),
                _ => {}
            },
            (b"", 'K') => match get(0, 0, 0) {
                0 => self.clear_end_of_line(bg),
                1 => self.clear_start_of_line(bg),
                2 => self.clear_line(bg),
                _ => {}
            },
            // Counted edits: a count tmux reads as -1 (out of range) does nothing.
            (b"", op @ ('@' | 'P' | 'X' | 'L' | 'M' | 'S' | 'T')) => {
                let edit: fn(&mut Self, u16, Color) = match op {
                    '@' => Self::insert_characters,
                    'P' => Self::delete_characters,
                    'X' => Self::erase_characters,
                    'L' => Self::insert_lines,
                    'M' => Self::delete_lines,
                    'S' => Self::scroll_up,
                    _ => Self::scroll_down,
                };
                let n = get(0, 1, 1);
                if n != -1 {
                    edit(self, clamp16(n), bg);
                }
            }
            (b"", 'b') => {
                let n = get(0, 1, 1);
                if n == -1 {
                    return;
                }
                let m = self.cols().saturating_sub(self.cx) as i32;
                let n = n.min(m);
                if let Some((cp, w)) = was_last {
                    for _ in 0..n {
                        // The repeated character takes the current charset, as printing
                        // it again would.
                        let mut cell = self.pen;
                        cell.ch = cp;
                        cell.flags = CellFlags::empty();
                        if self.shift_out && self.g1_acs || !self.shift_out && self.g0_acs {
                            cell.attrs |= Attrs::CHARSET;
                        }
                        self.add_cell(cell, w, cp < 0x80);
                    }
                }
            }
            (b"", 'r') => {
                let n = get(0, 1, 1);
                // A missing bottom is the last row; an explicit 0 is raised to 1.
                let m = get(1, 1, self.rows() as i32);
                if n != -1 && m != -1 {
                    self.set_scroll_region(n as u32 - 1, m as u32 - 1);
                }
            }
            (b"", 't') => {
                // tmux input_csi_dispatch_winops: only the title stack changes the grid state.
                let mut m = 0;
                loop {
                    let n = get(m, 0, -1);
                    match n {
                        -1 => break,
                        3 | 4 | 8 => {
                            m += 1;
                            if get(m, 0, -1) == -1 {
                                return;
                            }
                            m += 1;
                            if get(m, 0, -1) == -1 {
                                return;
                            }
                        }
                        9 | 10 => {
                            m += 1;
                            if get(m, 0, -1) == -1 {
                                return;
                            }
                        }
                        22 | 23 => {
                            m += 1;
                            match get(m, 0, -1) {
                                -1 => return,
                                0 | 2 if n == 22 && self.title_stack.len() < 64 => {
                                    self.title_stack.push(self.title.clone());
                                }
                                0 | 2 if n == 22 => {}
                                0 | 2 => {
                                    if let Some(t) = self.title_stack.pop() {
                                        self.set_title_bytes(t.as_bytes());
                                    }
                                }
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                    m += 1;
                }
            }
            (b"", 's') => self.save_state(),
            (b"", 'u') => self.restore_state(),
            (b"", 'g') => match get(0, 0, 0) {
                0 => {
                    if let Some(t) = self.tabs.get_mut(self.cx as usize) {
                        *t = false;
                    }
                }
                3 => self.tabs.iter_mut().for_each(|t| *t = false),
                _ => {}
            },
            (b"", 'Z') => {
                let mut cx = self.cx.min(self.cols() - 1);
                let n = get(0, 1, 1);
                if n == -1 {
                    return;
                }
                let mut n = n;
                while cx > 0 && n > 0 {
                    n -= 1;
                    loop {
                        cx -= 1;
                        if cx == 0 || self.tabs[cx as usize] {
                            break;
                        }
                    }
                }
                self.set_cursor(cx, self.cy);
            }
            (b"", 'h') | (b"", 'l') => {
                let on = action == 'h';
                for i in 0..np {
                    if get(i, 0, 0) == 4 {
                        self.set_mode(Modes::INSERT, on);
                    }
                }
            }
            (b"?", 'h') | (b"?", 'l') => {
                let on = action == 'h';
                for i in 0..np {
                    let n = get(i, 0, 0);
                    self.private_mode(n, on);
                }
            }
            _ => {}
        }
    }

    fn private_mode(&mut self, n: i32, on: bool) {
        match n {
            1 => self.set_mode(Modes::APP_CURSOR, on),
            3 => {
                self.cursor_move(Some(0), Some(0), true);
                let bg = self.pen.bg;
                self.clear_screen(bg);
            }
            6 => {
                self.set_mode(Modes::ORIGIN, on);
                self.cursor_move(Some(0), Some(0), true);
            }
            7 => self.set_mode(Modes::AUTOWRAP, on),
            12 => self.set_mode(Modes::CURSOR_BLINKING, on),
            25 => self.set_mode(Modes::CURSOR_VISIBLE, on),
            1000 | 1002 | 1003 => {
                // Exclusive in tmux: setting one clears the others, resetting any clears all.
                if self.modes.intersects(Modes::MOUSE_ANY_REPORTING) {
                    self.modes.remove(Modes::MOUSE_ANY_REPORTING);
                    self.damage.modes_changed = true;
                }
                if on {
                    let m = match n {
                        1000 => Modes::MOUSE_STANDARD,
                        1002 => Modes::MOUSE_BUTTON,
                        _ => Modes::MOUSE_ANY,
                    };
                    self.set_mode(m, true);
                }
            }
            1004 => self.set_mode(Modes::FOCUS_EVENTS, on),
            1005 => self.set_mode(Modes::MOUSE_UTF8, on),
            1006 => self.set_mode(Modes::MOUSE_SGR, on),
            47 | 1047 => {
                if on {
                    self.alternate_on(false)
                } else {
                    self.alternate_off(false)
                }
            }
            1049 => {
                if on {
                    self.alternate_on(true)
                } else {
                    self.alternate_off(true)
                }
            }
            2004 => self.set_mode(Modes::BRACKETED_PASTE, on),
            _ => {}
        }
    }

    fn ul_color_index(&mut self, c: Color) -> u8 {
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

    fn set_colour(&mut self, which: u16, c: Color) {
        match which {
            38 => self.pen.fg = c,
            48 => self.pen.bg = c,
            _ => self.pen.ul_color = self.ul_color_index(c),
        }
    }

    /// SGR (tmux `input_csi_dispatch_sgr`) over `n` parameters, parameter `i < n` given by
    /// `param(i)`.
    #[inline]
    fn sgr_with<'a>(&mut self, n: usize, param: impl Fn(usize) -> CsiParam<'a>) {
        if n == 0 {
            self.pen = Cell::BLANK;
            return;
        }
        // tmux's input_get(i, 0, def): the default when absent, -1 with sub-parameters.
        let get = |i: usize, def: i32| -> i32 {
            if i >= n {
                return def;
            }
            match param(i) {
                CsiParam::Value(v) => v as i32,
                CsiParam::Missing => def,
                CsiParam::Sub(_) => -1,
            }
        };
        let mut i = 0;
        while i < n {
            let v = match param(i) {
                CsiParam::Sub(g) => {
                    self.sgr_colon(g, g.len());
                    i += 1;
                    continue;
                }
                // An empty parameter reads as 0 here, as in tmux.
                CsiParam::Missing => 0,
                CsiParam::Value(v) => v,
            };
            if v == 38 || v == 48 || v == 58 {
                i += 1;
                match get(i, -1) {
                    2 => {
                        let (r, g, b) = (get(i + 1, -1), get(i + 2, -1), get(i + 3, -1));
                        if (0..=255).contains(&r)
                            && (0..=255).contains(&g)
                            && (0..=255).contains(&b)
                        {
                            self.set_colour(v, Color::rgb(r as u8, g as u8, b as u8));
                            i += 3;
                        }
                    }
                    5 => {
                        let c = get(i + 1, -1);
                        if (0..=255).contains(&c) {
                            self.set_colour(v, Color::indexed(c as u8));
                        } else if v == 38 {
                            self.pen.fg = Color::DEFAULT;
                        } else if v == 48 {
                            self.pen.bg = Color::DEFAULT;
                        }
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            let a = &mut self.pen.attrs;
            match v {
                0 => self.pen = Cell::BLANK,
                1 => a.insert(Attrs::BOLD),
                2 => a.insert(Attrs::DIM),
                3 => a.insert(Attrs::ITALIC),
                4 => a.set_underline(UnderlineStyle::Single),
                5 | 6 => a.insert(Attrs::BLINK),
                7 => a.insert(Attrs::INVERSE),
                8 => a.insert(Attrs::HIDDEN),
                9 => a.insert(Attrs::STRIKETHROUGH),
                21 => a.set_underline(UnderlineStyle::Double),
                22 => a.remove(Attrs::BOLD | Attrs::DIM),
                23 => a.remove(Attrs::ITALIC),
                24 => a.set_underline(UnderlineStyle::None),
                25 => a.remove(Attrs::BLINK),
                27 => a.remove(Attrs::INVERSE),
                28 => a.remove(Attrs::HIDDEN),
                29 => a.remove(Attrs::STRIKETHROUGH),
                30..=37 => self.pen.fg = Color::ansi((v - 30) as u8),
                39 => self.pen.fg = Color::DEFAULT,
                40..=47 => self.pen.bg = Color::ansi((v - 40) as u8),
                49 => self.pen.bg = Color::DEFAULT,
                53 => a.insert(Attrs::OVERLINE),
                55 => a.remove(Attrs::OVERLINE),
                59 => self.pen.ul_color = 0,
                90..=97 => self.pen.fg = Color::ansi((v - 90 + 8) as u8),
                100..=107 => self.pen.bg = Color::ansi((v - 100 + 8) as u8),
                _ => {}
            }
            i += 1;
        }
    }

    /// SGR with `:` sub-parameters (tmux `input_csi_dispatch_sgr_colon`).
    fn sgr_colon(&mut self, p: &[u16], len: usize) {
        if len >= 8 {
            return;
        }
        let v = |i: usize| -> i32 { p.get(i).map_or(-1, |&x| x as i32) };
        if p[0] == 4 {
            if len != 2 {
                return;
            }
            let style = match p[1] {
                0 => UnderlineStyle::None,
                1 => UnderlineStyle::Single,
                2 => UnderlineStyle::Double,
                3 => UnderlineStyle::Curly,
                4 => UnderlineStyle::Dotted,
                5 => UnderlineStyle::Dashed,
                _ => return,
            };
            self.pen.attrs.set_underline(style);
            return;
        }
        if len < 2 || !(p[0] == 38 || p[0] == 48 || p[0] == 58) {
            return;
        }
        match p[1] {
            2 => {
                if len < 3 {
                    return;
                }
                let i = if len == 5 { 2 } else { 3 };
                if len < i + 3 {
                    return;
                }
                let (r, g, b) = (v(i), v(i + 1), v(i + 2));
                if (0..=255).contains(&r) && (0..=255).contains(&g) && (0..=255).contains(&b) {
                    self.set_colour(p[0], Color::rgb(r as u8, g as u8, b as u8));
                }
            }
            5 => {
                if len < 3 {
                    return;
                }
                let c = v(2);
                if (0..=255).contains(&c) {
                    self.set_colour(p[0], Color::indexed(c as u8));
                } else if p[0] == 38 {
                    self.pen.fg = Color::DEFAULT;
                } else if p[0] == 48 {
                    self.pen.bg = Color::DEFAULT;
                }
            }
            _ => {}
        }
    }

    /// ESC dispatch (tmux `input_esc_dispatch`).
    pub fn esc(&mut self, inter: &[u8], ignore: bool, byte: u8) {
        self.utf8.have = 0;
        self.last = None;
        if ignore {
            return;
        }
        match (inter, byte) {
            (b"", b'7') => self.save_state(),
            (b"", b'8') => self.restore_state(),
            (b"#", b'8') => self.alignment_test(),
            (b"", b'=') => self.set_mode(Modes::APP_KEYPAD, true),
            (b"", b'>') => self.set_mode(Modes::APP_KEYPAD, false),
            (b"(", b'0') => self.g0_acs = true,
            (b"(", b'B') => self.g0_acs = false,
            (b")", b'0') => self.g1_acs = true,
            (b")", b'B') => self.g1_acs = false,
            (b"", b'D') => {
                let bg = self.pen.bg;
                self.linefeed(false, bg);
            }
            (b"", b'E') => {
                self.set_cursor(0, self.cy);
                let bg = self.pen.bg;
                self.linefeed(false, bg);
            }
            (b"", b'H') => {
                if let Some(t) = self.tabs.get_mut(self.cx as usize) {
                    *t = true;
                }
            }
            (b"", b'M') => self.reverse_index(),
            (b"", b'c') => self.full_reset(),
            _ => {}
        }
    }

    /// OSC dispatch (tmux `input_exit_osc`).
    pub fn osc(&mut self, params: &[&[u8]]) {
        let Some(first) = params.first() else { return };
        if first.is_empty() || !first.iter().all(u8::is_ascii_digit) {
            return;
        }
        let option: u32 = std::str::from_utf8(first)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u32::MAX);
        match option {
            0 | 2 => {
                let mut t = Vec::new();
                for (i, p) in params[1..].iter().enumerate() {
                    if i > 0 {
                        t.push(b';');
                    }
                    t.extend_from_slice(p);
                }
                self.set_title_bytes(&t);
            }
            52 if params.len() >= 3 => {
                self.events.push(TermEvent::Clipboard {
                    selection: String::from_utf8_lossy(params[1]).into_owned(),
                    data: String::from_utf8_lossy(params[2]).into_owned(),
                });
            }
            _ => {}
        }
    }

    /// tmux `screen_set_title`: only valid UTF-8 without controls is accepted.
    pub fn set_title_bytes(&mut self, t: &[u8]) {
        let Ok(s) = std::str::from_utf8(t) else {
            return;
        };
        if s.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
            return;
        }
        // The first title is news even when empty: the pane's title was unknown before.
        if self.title != s || !self.title_set {
            self.title_set = true;
            self.title.clear();
            self.title.push_str(s);
            self.damage.title_changed = true;
            self.events
                .push(TermEvent::TitleChanged(self.title.clone()));
        }
    }

    /// No partial UTF-8 character is pending.
    #[inline]
    pub fn utf8_idle(&self) -> bool {
        self.utf8.have == 0
    }

    #[inline]
    pub fn utf8_reset(&mut self) {
        self.utf8.have = 0;
    }
}

#[inline(never)]
fn fix_spacer_left(cells: &mut [Cell], x: usize) {
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

/// tmux `grid_move_cells`: moves `nx` cells from `px` to `dx`; source cells outside the
/// destination become blank with `bg`; cells in neither range are left alone.
fn move_cells(row: &mut Row, dx: u16, px: u16, nx: u16, bg: Color, cols: u16) {
    if nx == 0 || px == dx {
        return;
    }
    let (dx, px, nx) = (dx as usize, px as usize, nx as usize);
    let len = row.cells.len();
    if px + nx > len || dx + nx > len {
        return;
    }
    row.expand(px + nx, cols);
    row.expand(dx + nx, cols);
    row.cells.copy_within(px..px + nx, dx);
    if row.used < (dx + nx) as u16 {
        row.used = (dx + nx) as u16;
    }
    for xx in px..px + nx {
        if xx < dx || xx >= dx + nx {
            row.cells[xx] = Cell::blank_with_bg(bg);
        }
    }
    // Cells moved right take the flag with them; blanks with an RGB background have it.
    if row.ext_end as usize > px
        || Cell::blank_with_bg(bg)
            .flags
            .contains(CellFlags::TMUX_EXTENDED)
    {
        row.mark_ext(px.max(dx) + nx);
    }
    if !bg.is_default() && row.extent < (px + nx) as u16 {
        row.extent = (px + nx) as u16;
    }
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
    let before = before.unwrap_or(row.size);
    row.expand_from(before, end, cols);
    before
}

fn clamp16(n: i32) -> u16 {
    n.clamp(0, u16::MAX as i32) as u16
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

/// The second cell of a wide character: stored out of line, as the character is.
const SPACER: Cell = Cell {
    flags: CellFlags::WIDE_SPACER.union(CellFlags::TMUX_EXTENDED),
    ..Cell::BLANK
};

/// tmux's `grid_set_cell` writing over a cell: the new cell is stored out of line when it
/// needs to be or when the cell it replaces was (tmux never packs that slot again).
#[inline]
pub(crate) fn with_tmux_extended(row: &mut Row, x: usize, mut cell: Cell, width: usize) -> Cell {
    if cell.needs_tmux_extended()
        || (x < row.ext_end as usize && row.cells[x].flags.contains(CellFlags::TMUX_EXTENDED))
    {
        cell.flags |= CellFlags::TMUX_EXTENDED;
        row.mark_ext(x + width);
    }
    cell
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
/// so), or with a pen that tmux stores out of line.
#[cold]
#[inline(never)]
fn fill_ascii_tmux_extended(row: &mut Row, x: usize, src: &[u8], mut pen: Cell, pen_ext: bool) {
    let end = x + src.len();
    if pen_ext {
        pen.flags |= CellFlags::TMUX_EXTENDED;
        crate::fill::fill_ascii(&mut row.cells[x..end], src, pen);
        row.mark_ext(end);
        return;
    }
    let keep = (row.ext_end as usize).min(end);
    for (c, &b) in row.cells[x..keep].iter_mut().zip(src) {
        *c = Cell {
            ch: b as u32,
            flags: pen.flags | (c.flags & CellFlags::TMUX_EXTENDED),
            ..pen
        };
    }
    crate::fill::fill_ascii(&mut row.cells[keep..end], &src[keep - x..], pen);
}

/// One CSI parameter as `csi_dispatch` and `sgr_with` see it.
#[derive(Clone, Copy)]
enum CsiParam<'a> {
    Value(u16),
    /// Empty (`CSI ;1m`): tmux's default where one applies.
    Missing,
    /// With `:` sub-parameters (the whole group).
    Sub(&'a [u16]),
}

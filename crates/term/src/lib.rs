//! Pane emulator: one VT emulator per tmux pane, grid identical to tmux 3.3a's.
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
//! No I/O, no clock. The only `unsafe` is the measured hot paths in `fill.rs` (one 16-byte
//! store per cell, SSE2 on x86_64; the printable-ASCII scan), each block with its safety
//! argument; Miri checks their tests.
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod cell;
mod damage;
mod fill;
mod grid;
mod modes;
mod params;
mod reflow;
mod screen;
mod vte_state;
mod width;
mod width_table;

pub mod capture;
pub mod release;
pub mod width_tables;

pub use cell::{acs_to_unicode, Attrs, Cell, CellFlags, Color, ColorKind, UnderlineStyle};
pub use damage::Damage;
pub use modes::Modes;
pub use width::{char_width, UNPRINTABLE};

use screen::{Pre, Screen};
use vte_state::VteState;

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
    parser: vte::Parser,
    /// vte's parser state, tracked alongside it so ground-state bytes never reach vte.
    shadow: VteState,
    /// Scratch parameters for the CSI fast path.
    csi_params: params::CsiParams,
    /// Parameter bytes of the CSI sequence vte is parsing.
    csi_text: usize,
    /// Its current parameter index, and whether that parameter is still empty.
    csi_group: usize,
    csi_group_empty: bool,
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

impl Terminal {
    /// A blank pane of `cols` x `rows` (each at least 1) with tmux's default history limit.
    pub fn new(cols: u16, rows: u16) -> Self {
        Self::with_history_limit(cols, rows, DEFAULT_HISTORY_LIMIT)
    }

    /// A blank pane with a given history limit (lines).
    pub fn with_history_limit(cols: u16, rows: u16, limit: usize) -> Self {
        Terminal {
            parser: vte::Parser::new(),
            shadow: VteState::Ground,
            csi_params: params::CsiParams::new(),
            csi_text: 0,
            csi_group: 0,
            csi_group_empty: true,
            s: Screen::new(cols, rows, limit),
        }
    }

    /// Feeds bytes the pane printed. Allocates nothing in the steady state (printing,
    /// scrolling with full history); see `tests/alloc.rs`.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.shadow != VteState::Ground || self.s.pre != Pre::None {
                // Not a printable byte in the ground state: tmux's collect item ends.
                self.s.item_size = None;
            }
            if self.shadow != VteState::Ground {
                // Hand vte exactly the bytes of the sequence in progress, up to and
                // including the byte that returns it to its ground state.
                let mut k = 0;
                while k < bytes.len() {
                    let b = bytes[k];
                    let before = self.shadow;
                    self.shadow = before.next(b);
                    k += 1;
                    // Track what vte does not tell: how long the CSI parameter text is
                    // (tmux's buffer holds 63 bytes) and which parameters were empty.
                    if self.shadow == VteState::CsiEntry && before != VteState::CsiEntry {
                        self.csi_text = 0;
                        self.csi_group = 0;
                        self.csi_group_empty = true;
                        self.s.csi_missing = 0;
                    } else if matches!(before, VteState::CsiEntry | VteState::CsiParam) {
                        match b {
                            b'0'..=b'9' | b':' => {
                                self.csi_text += 1;
                                self.csi_group_empty = false;
                            }
                            b';' => {
                                self.csi_text += 1;
                                self.close_csi_group();
                            }
                            0x20..=0x2f | 0x40..=0x7e => self.close_csi_group(),
                            _ => {}
                        }
                    }
                    if self.shadow == VteState::Ground {
                        break;
                    }
                }
                self.s.csi_discard = self.csi_text > params::MAX_PARAM_BYTES;
                self.parser.advance(&mut self.s, &bytes[..k]);
                bytes = &bytes[k..];
                continue;
            }
            match self.s.pre {
                Pre::None => {}
                Pre::EscPending => {
                    self.s.pre = Pre::None;
                    if bytes[0] == b'_' || bytes[0] == b'k' {
                        self.s.start_string(bytes[0]);
                        bytes = &bytes[1..];
                    } else {
                        self.shadow = VteState::Escape;
                        self.parser.advance(&mut self.s, b"\x1b");
                    }
                    continue;
                }
                Pre::Rename | Pre::Apc => {
                    let n = self.s.string_bytes(bytes);
                    bytes = &bytes[n..];
                    continue;
                }
            }
            let n = self.s.ground(bytes);
            bytes = &bytes[n..];
            if bytes.is_empty() {
                break;
            }
            // bytes[0] is ESC. Complete simple sequences are dispatched here directly (the
            // hot path for colour and cursor-motion heavy output); vte takes the rest.
            if bytes.len() >= 3 && bytes[1] == b'[' {
                let mut values = [0u16; PLAIN_CSI_MAX];
                if let Some((len, n, action)) = parse_plain_csi(bytes, &mut values) {
                    self.s.csi_values(&values[..n], action as char);
                    bytes = &bytes[len..];
                    continue;
                }
                if let Some(f) = params::parse_fast_csi(bytes, &mut self.csi_params) {
                    self.s.csi(
                        &self.csi_params,
                        &f.inter[..f.ninter],
                        false,
                        f.action as char,
                    );
                    bytes = &bytes[f.len..];
                    continue;
                }
            }
            if bytes.len() >= 2 {
                let b = bytes[1];
                if matches!(b, 0x30..=0x4f | 0x51..=0x57 | 0x59 | 0x5a | 0x5c | 0x60..=0x7e)
                    && b != b'k'
                {
                    self.s.esc(&[], false, b);
                    bytes = &bytes[2..];
                    continue;
                }
                if bytes.len() >= 3
                    && (0x20..=0x2f).contains(&b)
                    && (0x30..=0x7e).contains(&bytes[2])
                {
                    self.s.esc(&[b], false, bytes[2]);
                    bytes = &bytes[3..];
                    continue;
                }
            }
            if bytes.len() == 1 {
                self.s.pre = Pre::EscPending;
                break;
            }
            if bytes[1] == b'_' || bytes[1] == b'k' {
                self.s.start_string(bytes[1]);
                bytes = &bytes[2..];
                continue;
            }
            self.shadow = VteState::Escape;
            self.parser.advance(&mut self.s, &bytes[..1]);
            bytes = &bytes[1..];
        }
    }

    fn close_csi_group(&mut self) {
        if self.csi_group_empty && self.csi_group < 32 {
            self.s.csi_missing |= 1 << self.csi_group;
        }
        self.csi_group += 1;
        self.csi_group_empty = true;
    }

    /// Resizes the pane as tmux does when its layout changes: height first (lines move
    /// between screen and history), then width with tmux's reflow of wrapped lines (not on
    /// the alternate screen, where tmux does not reflow).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let cols = cols.max(1);
        let rows = rows.max(1);
        if cols == self.cols() && rows == self.rows() {
            return;
        }
        self.s.item_size = None;
        let reflow = self.s.alt.is_none();
        reflow::resize(&mut self.s, cols, rows, reflow);
    }

    /// Changes the history limit. As in tmux, existing history over the new limit is
    /// trimmed at the next scroll, not immediately.
    pub fn set_history_limit(&mut self, limit: usize) {
        self.s.grid.set_limit(limit);
    }

    /// Width in cells.
    pub fn cols(&self) -> u16 {
        self.s.cols()
    }

    /// Height in cells.
    pub fn rows(&self) -> u16 {
        self.s.rows()
    }

    /// History lines currently held.
    pub fn history_len(&self) -> usize {
        self.s.grid.hsize
    }

    /// The history limit.
    pub fn history_limit(&self) -> usize {
        self.s.grid.limit
    }

    /// The cursor.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            x: self.s.cx,
            y: self.s.cy.min(self.rows() - 1),
            visible: self.s.modes.contains(Modes::CURSOR_VISIBLE),
        }
    }

    /// Whether the alternate screen is shown.
    pub fn is_alternate_screen(&self) -> bool {
        self.s.alt.is_some()
    }

    /// The pane title (OSC 0/2, APC). Empty until set (tmux starts with the host name).
    pub fn title(&self) -> &str {
        &self.s.title
    }

    /// Whether a program has set the title ([`Terminal::title`] is then the pane's title,
    /// even when empty); `false` while it is the empty placeholder.
    pub fn title_set(&self) -> bool {
        self.s.title_set
    }

    /// Current modes.
    pub fn modes(&self) -> Modes {
        self.s.modes
    }

    /// The scroll region as `(top, bottom)`, inclusive screen rows.
    pub fn scroll_region(&self) -> (u16, u16) {
        (self.s.rupper, self.s.rlower)
    }

    /// Visible row `y` (`0..rows`), exactly `cols` cells. Panics if `y >= rows`.
    pub fn screen_row(&self, y: u16) -> &[Cell] {
        let cols = self.cols() as usize;
        &self.s.grid.screen(y).cells[..cols]
    }

    /// Whether visible row `y` wraps onto the next row (tmux `GRID_LINE_WRAPPED`).
    pub fn screen_row_wrapped(&self, y: u16) -> bool {
        self.s.grid.screen(y).wrapped
    }

    /// History row `i` (0 = oldest, `history_len() - 1` = just above the screen).
    /// Panics if `i >= history_len()`.
    pub fn history_row(&self, i: usize) -> &[Cell] {
        let cols = self.cols() as usize;
        &self.s.grid.line(i).cells[..cols]
    }

    /// Whether history row `i` wraps onto the next line.
    pub fn history_row_wrapped(&self, i: usize) -> bool {
        self.s.grid.line(i).wrapped
    }

    /// Any line by absolute index: `0..history_len()` are history, then the screen rows.
    pub fn line(&self, i: usize) -> &[Cell] {
        let cols = self.cols() as usize;
        &self.s.grid.line(i).cells[..cols]
    }

    /// Whether absolute line `i` wraps.
    pub fn line_wrapped(&self, i: usize) -> bool {
        self.s.grid.line(i).wrapped
    }

    /// tmux's `cellused` for absolute line `i`: cells `capture-pane` considers.
    pub fn line_used(&self, i: usize) -> u16 {
        self.s.grid.line(i).used.min(self.cols())
    }

    /// The text of an [`CellFlags::EXTENDED`] cell (base character plus combining marks).
    pub fn combined(&self, index: u32) -> &str {
        self.s.combined.get(index)
    }

    /// Appends a cell's text to `out` (nothing for a wide-character spacer).
    pub fn push_cell_text(&self, cell: &Cell, out: &mut String) {
        if cell.flags.contains(CellFlags::WIDE_SPACER) {
            return;
        }
        if cell.flags.contains(CellFlags::EXTENDED) {
            out.push_str(self.combined(cell.ch));
        } else {
            out.push(char::from_u32(cell.ch).unwrap_or(' '));
        }
    }

    /// The underline colour of a cell.
    pub fn underline_color(&self, cell: &Cell) -> Color {
        match cell.ul_color {
            0 => Color::DEFAULT,
            i => self
                .s
                .ul_colors
                .get(i as usize - 1)
                .copied()
                .unwrap_or(Color::DEFAULT),
        }
    }

    /// Changes since the last reset. O(1).
    pub fn damage(&self) -> &Damage {
        &self.s.damage
    }

    /// Clears the damage. O(rows / 64), no allocation.
    pub fn reset_damage(&mut self) {
        self.s.damage.reset();
    }

    /// Returns the damage and clears it (allocates a copy of the row bit set; use
    /// [`Terminal::damage`] + [`Terminal::reset_damage`] to avoid that).
    pub fn take_damage(&mut self) -> Damage {
        let d = self.s.damage.clone();
        self.s.damage.reset();
        d
    }

    /// Drains queued events (bell, title, clipboard), oldest first.
    pub fn take_events(&mut self) -> impl Iterator<Item = TermEvent> + '_ {
        self.s.events.drain(..)
    }
}

impl vte::Perform for Screen {
    fn print(&mut self, c: char) {
        // Not reached: vte is never given ground-state bytes (see `Terminal::feed`).
        let cp = c as u32;
        if (0x20..0x7f).contains(&cp) {
            self.print_ascii(cp as u8);
        } else if cp >= 0x80 {
            self.print_char(cp, char_width(cp));
        }
    }

    fn execute(&mut self, byte: u8) {
        if byte < 0x20 {
            Screen::execute(self, byte);
        }
    }

    fn csi_dispatch(&mut self, params: &vte::Params, inter: &[u8], ignore: bool, action: char) {
        let mut p = params::CsiParams::from_vte(params);
        p.discard = self.csi_discard;
        p.set_missing(self.csi_missing);
        self.csi(&p, inter, ignore, action);
    }

    fn esc_dispatch(&mut self, inter: &[u8], ignore: bool, byte: u8) {
        self.esc(inter, ignore, byte);
    }

    fn osc_dispatch(&mut self, params: &[&[u8]], _bell_terminated: bool) {
        self.osc(params);
    }
}

/// Most parameters [`parse_plain_csi`] takes: 16 of at most 3 digits with their `;` are 63
/// bytes of parameter text, the most tmux keeps (a longer sequence is discarded).
const PLAIN_CSI_MAX: usize = 16;

/// `ESC [ n (; n)* F` at the start of `bytes`: every `n` 1-3 digits, at most
/// [`PLAIN_CSI_MAX`] of them, `F` a final byte (0x40..=0x7e); or `ESC [ m`. Returns the
/// sequence's length, the number of values written to `values` and the final byte. Anything
/// else (empty parameters, `:`, a private marker, an intermediate, a cut-off sequence) is
/// `None` and takes the general CSI path. (`ESC [ m` has no values: for SGR that is the same
/// as one empty parameter; other finals without parameters go the general way.)
#[inline]
fn parse_plain_csi(bytes: &[u8], values: &mut [u16; PLAIN_CSI_MAX]) -> Option<(usize, usize, u8)> {
    let mut n = 0;
    let mut cur: u16 = 0;
    let mut digits = 0;
    for (i, &b) in bytes.iter().enumerate().skip(2) {
        match b {
            b'0'..=b'9' if digits < 3 => {
                cur = cur * 10 + (b - b'0') as u16;
                digits += 1;
            }
            b';' if digits > 0 && n + 1 < PLAIN_CSI_MAX => {
                values[n] = cur;
                n += 1;
                cur = 0;
                digits = 0;
            }
            0x40..=0x7e if digits > 0 => {
                values[n] = cur;
                return Some((i + 1, n + 1, b));
            }
            b'm' if n == 0 => return Some((i + 1, 0, b)),
            _ => return None,
        }
    }
    None
}

/// Decodes one complete UTF-8 character at the start of `b` when every byte of it is
/// there and well-formed; returns `None` otherwise (the byte-at-a-time path then applies
/// tmux's exact handling of partial and malformed input). A sequence that is complete but
/// names no character (overlong, surrogate, past U+10FFFF) is consumed and dropped, as tmux
/// drops it (`Some((u32::MAX, len))` is never returned: such input goes the slow way).
#[inline]
pub(crate) fn decode_utf8(b: &[u8]) -> Option<(u32, usize)> {
    let lead = b[0];
    let (n, init) = match lead {
        0xc2..=0xdf => (2, (lead & 0x1f) as u32),
        0xe0..=0xef => (3, (lead & 0x0f) as u32),
        0xf0..=0xf4 => (4, (lead & 0x07) as u32),
        _ => return None,
    };
    if b.len() < n {
        return None;
    }
    let mut cp = init;
    for &c in &b[1..n] {
        if c & 0xc0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (c & 0x3f) as u32;
    }
    let ok = match n {
        2 => true,
        3 => cp >= 0x800 && !(0xd800..=0xdfff).contains(&cp),
        _ => (0x10000..=0x10ffff).contains(&cp),
    };
    if ok {
        Some((cp, n))
    } else {
        None
    }
}

/// Length of the run of printable ASCII (0x20..=0x7e) at the start of `b`, eight bytes
/// at a time.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn printable_prefix(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(w);
        // A byte is outside 0x20..=0x7e if it is < 0x20, or >= 0x7f (0x7f + 1 sets bit 7,
        // as does any byte that already has it).
        let low = w.wrapping_sub(LO * 0x20) & !w;
        let high = w.wrapping_add(LO) | w;
        let bad = (low | high) & HI;
        if bad != 0 {
            return i + (bad.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && (0x20..0x7f).contains(&b[i]) {
        i += 1;
    }
    i
}

#[cfg(target_arch = "x86_64")]
use fill::printable_prefix;

impl Screen {
    /// Handles ground-state bytes up to (not including) the next ESC; returns how many
    /// were consumed.
    #[inline]
    fn ground(&mut self, bytes: &[u8]) -> usize {
        let mut i = 0;
        let len = bytes.len();
        while i < len {
            let b = bytes[i];
            if (0x20..0x7f).contains(&b) {
                let start = i;
                i += 1 + printable_prefix(&bytes[i + 1..]);
                self.utf8_reset();
                self.print_ascii_run(&bytes[start..i]);
            } else if b == 0x1b {
                // Any byte but printable ASCII ends tmux's collect item.
                self.item_size = None;
                return i;
            } else if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                // CR LF, the end of almost every line: both at once.
                self.item_size = None;
                i += 2;
                if i < len && (0x20..0x7f).contains(&bytes[i]) {
                    // The next line's text: printed with the line feed (see
                    // `crlf_print_ascii_run`).
                    let start = i;
                    i += 1 + printable_prefix(&bytes[i + 1..]);
                    self.utf8_reset();
                    self.crlf_print_ascii_run(&bytes[start..i]);
                } else {
                    self.carriage_return_linefeed();
                }
            } else if b < 0x20 {
                self.item_size = None;
                Screen::execute(self, b);
                i += 1;
            } else if b == 0x7f {
                self.item_size = None;
                i += 1;
            } else {
                self.item_size = None;
                if self.utf8_idle() {
                    let n = self.print_utf8_run(&bytes[i..]);
                    if n > 0 {
                        i += n;
                        continue;
                    }
                    if let Some((cp, n)) = decode_utf8(&bytes[i..]) {
                        self.print_char(cp, char_width(cp));
                        i += n;
                        continue;
                    }
                }
                self.top_bit(b);
                i += 1;
            }
        }
        len
    }

    fn start_string(&mut self, kind: u8) {
        self.pre = if kind == b'_' { Pre::Apc } else { Pre::Rename };
        self.string.clear();
        self.string_discard = false;
    }

    /// Consumes string bytes up to BEL (ends and consumes it) or ESC (ends, not consumed).
    fn string_bytes(&mut self, bytes: &[u8]) -> usize {
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0x07 || b == 0x1b {
                self.end_string();
                return if b == 0x07 { i + 1 } else { i };
            }
            if self.pre == Pre::Apc && b >= 0x20 {
                if self.string.len() < 64 * 1024 {
                    self.string.push(b);
                } else {
                    self.string_discard = true;
                }
            }
        }
        bytes.len()
    }

    fn end_string(&mut self) {
        if self.pre == Pre::Apc && !self.string_discard {
            let t = std::mem::take(&mut self.string);
            self.set_title_bytes(&t);
            self.string = t;
        }
        self.pre = Pre::None;
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_plain_csi, printable_prefix, PLAIN_CSI_MAX};

    #[test]
    fn plain_csi_takes_only_plain_sequences() {
        let mut v = [0u16; PLAIN_CSI_MAX];
        assert_eq!(parse_plain_csi(b"\x1b[mx", &mut v), Some((3, 0, b'm')));
        assert_eq!(parse_plain_csi(b"\x1b[0m", &mut v), Some((4, 1, b'm')));
        assert_eq!(
            parse_plain_csi(b"\x1b[38;5;208m", &mut v),
            Some((11, 3, b'm'))
        );
        assert_eq!(v[..3], [38, 5, 208]);
        assert_eq!(parse_plain_csi(b"\x1b[12;40H", &mut v), Some((8, 2, b'H')));
        assert_eq!(v[..2], [12, 40]);
        assert_eq!(parse_plain_csi(b"\x1b[7A", &mut v), Some((4, 1, b'A')));
        let long = format!("\x1b[{}999m", "999;".repeat(PLAIN_CSI_MAX - 1));
        assert_eq!(long.len(), 2 + 63 + 1);
        assert_eq!(
            parse_plain_csi(long.as_bytes(), &mut v),
            Some((long.len(), PLAIN_CSI_MAX, b'm'))
        );
        let too_many = format!("\x1b[{}1m", "1;".repeat(PLAIN_CSI_MAX));
        for no in [
            "\x1b[H",
            "\x1b[;1m",
            "\x1b[1;m",
            "\x1b[1::2m",
            "\x1b[38:5:1m",
            "\x1b[?1m",
            "\x1b[?25l",
            "\x1b[>1c",
            "\x1b[1000m",
            "\x1b[1;2",
            "\x1b[1\x08m",
            "\x1b[1 q",
            "\x1b[1$p",
            too_many.as_str(),
        ] {
            assert_eq!(parse_plain_csi(no.as_bytes(), &mut v), None, "{no:?}");
        }
    }

    #[test]
    fn printable_prefix_matches_bytewise_scan() {
        for len in 0..40usize {
            for bad_at in 0..=len {
                for bad in [0x00u8, 0x1b, 0x1f, 0x7f, 0x80, 0xff, b'\n'] {
                    let mut v = vec![b'a'; len];
                    if bad_at < len {
                        v[bad_at] = bad;
                    }
                    v.iter_mut().enumerate().for_each(|(i, c)| {
                        if *c == b'a' {
                            *c = 0x20 + ((i * 7) % 0x5f) as u8;
                        }
                    });
                    let want = v.iter().take_while(|b| (0x20..0x7f).contains(*b)).count();
                    assert_eq!(printable_prefix(&v), want, "{v:?}");
                }
            }
        }
    }
}

//! A history line packed into bytes: runs of cells that share everything but the
//! character, each a header, the shared style and the characters in as few bytes as they
//! need. A line of plain text is a header, a count and one byte per character; a
//! 16-byte cell becomes 1 to 4 bytes (tmux's own history cell is 5 bytes, plus extended
//! cells for anything but plain colours).
//!
//! ```text
//! run    := header count:varint [fg:u32] [bg:u32] [attrs:u16 ul_color:u8] [flags:u8] chars
//! header := bits 0-1: bytes per character (0: none, every character a space; 1; 2; 4)
//!           bit 2: pairs (each character is a wide one followed by its spacer cell)
//!           bits 3-6: which style fields follow (fg, bg, attrs + ul_color, flags);
//!           an absent field is 0
//! count  := cells in the run (pairs when bit 2 is set)
//! ```
//!
//! Only the cells up to the last one that is not [`EMPTY`] are stored; the rest of a line
//! reads as `EMPTY`, as it would in a row.

use super::row::{EMPTY, SPACER};
use crate::cell::{Attrs, Cell, CellFlags, Color};

const CLASS_MASK: u8 = 0b11;
const CLASS_SPACE: u8 = 0;
const CLASS_U8: u8 = 1;
const CLASS_U16: u8 = 2;
const CLASS_U32: u8 = 3;
const PAIRS: u8 = 1 << 2;
const HAS_FG: u8 = 1 << 3;
const HAS_BG: u8 = 1 << 4;
const HAS_ATTRS: u8 = 1 << 5;
const HAS_FLAGS: u8 = 1 << 6;

/// A cell's 16 bytes as one number (the `#[repr(C)]` layout's order): comparisons of
/// whole cells and of styles become two 8-byte compares.
#[inline(always)]
fn bits(c: &Cell) -> u128 {
    (c.ch as u128)
        | (c.fg.0 as u128) << 32
        | (c.bg.0 as u128) << 64
        | (c.attrs.bits() as u128) << 96
        | (c.flags.bits() as u128) << 112
        | (c.ul_color as u128) << 120
}

/// [`bits`] without the character: the style.
const STYLE: u128 = !0xffff_ffff;

/// How many of `cells` a packed line keeps: up to the last one that is not [`EMPTY`].
#[inline]
pub(super) fn stored_width(cells: &[Cell]) -> usize {
    cells.iter().rposition(|c| *c != EMPTY).map_or(0, |i| i + 1)
}

#[inline]
fn read_varint(b: &[u8], pos: &mut usize) -> u32 {
    let mut n = 0u32;
    let mut shift = 0;
    while let Some(&x) = b.get(*pos) {
        *pos += 1;
        n |= ((x & 0x7f) as u32) << shift.min(31);
        if x < 0x80 {
            break;
        }
        shift += 7;
    }
    n
}

/// Most bytes a run's header, count and style take.
pub(super) const MAX_HEADER: usize = 1 + 3 + 4 + 4 + 3 + 1;

/// Appends a run's header, count (less than 2^21) and style.
#[inline]
fn run_header(out: &mut Vec<u8>, class: u8, pairs: bool, count: usize, style: u128) {
    let mut b = [0u8; MAX_HEADER];
    let mut n = 1;
    let mut header = class | if pairs { PAIRS } else { 0 };
    let mut count = count as u32;
    while count >= 0x80 {
        b[n] = count as u8 | 0x80;
        count >>= 7;
        n += 1;
    }
    b[n] = count as u8;
    n += 1;
    // Most runs have the default colours and attributes: at most a flags byte follows.
    if style >> 32 & !(0xffu128 << 80) != 0 {
        let fg = (style >> 32) as u32;
        let bg = (style >> 64) as u32;
        let attrs_ul = ((style >> 96) as u32 & 0xffff) | ((style >> 120) as u32) << 16;
        if fg != 0 {
            header |= HAS_FG;
            b[n..n + 4].copy_from_slice(&fg.to_le_bytes());
            n += 4;
        }
        if bg != 0 {
            header |= HAS_BG;
            b[n..n + 4].copy_from_slice(&bg.to_le_bytes());
            n += 4;
        }
        if attrs_ul != 0 {
            header |= HAS_ATTRS;
            b[n..n + 3].copy_from_slice(&attrs_ul.to_le_bytes()[..3]);
            n += 3;
        }
    }
    let flags = (style >> 112) as u8;
    if flags != 0 {
        header |= HAS_FLAGS;
        b[n] = flags;
        n += 1;
    }
    b[0] = header;
    out.extend_from_slice(&b[..n]);
}

/// Appends `cells` packed to `out`.
pub(super) fn encode(cells: &[Cell], out: &mut Vec<u8>) {
    let n = cells.len();
    let mut i = 0;
    while i < n {
        let first = &cells[i];
        let key = bits(first) & STYLE;
        let pairs = first.flags.contains(CellFlags::WIDE) && cells.get(i + 1) == Some(&SPACER);
        let step = if pairs { 2 } else { 1 };
        let mut j = i + step;
        let mut any = first.ch;
        // A combined-table index is rewritten in place later (`extended_indices`): it
        // needs its bytes even when it happens to equal a space.
        let mut spaces = first.ch == b' ' as u32 && !first.flags.contains(CellFlags::EXTENDED);
        if pairs {
            while j + 1 < n && bits(&cells[j]) & STYLE == key && cells[j + 1] == SPACER {
                any |= cells[j].ch;
                j += 2;
            }
            spaces = false;
        } else {
            while j < n {
                let b = bits(&cells[j]);
                if b & STYLE != key {
                    break;
                }
                any |= b as u32;
                spaces &= b as u32 == b' ' as u32;
                j += 1;
            }
        }
        let (class, size) = if spaces {
            (CLASS_SPACE, 0)
        } else if any < 0x100 {
            (CLASS_U8, 1)
        } else if any < 0x1_0000 {
            (CLASS_U16, 2)
        } else {
            (CLASS_U32, 4)
        };
        let count = (j - i) / step;
        run_header(out, class, pairs, count, key);
        if size > 0 {
            // Sized once, then written in place (no capacity check per character).
            let at = out.len();
            out.resize(at + count * size, 0);
            let chars = cells[i..j].iter().step_by(step);
            for (o, c) in out[at..].chunks_exact_mut(size).zip(chars) {
                o.copy_from_slice(&c.ch.to_le_bytes()[..size]);
            }
        }
        i = j;
    }
}

/// Appends the packed form of a row's shadow (see `Shadow`): runs of printed ASCII,
/// `runs` giving where each starts and its style. The same cells as [`encode`] of the row.
pub(super) fn encode_runs(chars: &[u8], runs: &[(u16, Cell)], out: &mut Vec<u8>) {
    for (k, &(start, style)) in runs.iter().enumerate() {
        let end = runs.get(k + 1).map_or(chars.len(), |r| r.0 as usize);
        let run = &chars[start as usize..end];
        run_header(out, CLASS_U8, false, run.len(), bits(&style) & STYLE);
        out.extend_from_slice(run);
    }
}

/// The cells of a packed line, in order (only those stored; the rest read as [`EMPTY`]).
#[derive(Clone, Debug)]
pub(crate) struct Unpack<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The run in progress: its style (a cell with `ch` to be set), characters left,
    /// bytes per character, pairs.
    pen: Cell,
    left: u32,
    class: u8,
    pairs: bool,
    /// A wide character was just given: its spacer comes next.
    spacer: bool,
}

impl<'a> Unpack<'a> {
    /// Reads `bytes` (as [`encode`] wrote them).
    pub(super) fn new(bytes: &'a [u8]) -> Unpack<'a> {
        Unpack {
            bytes,
            pos: 0,
            pen: EMPTY,
            left: 0,
            class: 0,
            pairs: false,
            spacer: false,
        }
    }

    fn start_run(&mut self) -> bool {
        let b = self.bytes;
        let Some(&header) = b.get(self.pos) else {
            return false;
        };
        self.pos += 1;
        self.left = read_varint(b, &mut self.pos);
        let mut field = |n: usize| -> u32 {
            let mut v = [0u8; 4];
            if let Some(src) = b.get(self.pos..self.pos + n) {
                v[..n].copy_from_slice(src);
            }
            self.pos += n;
            u32::from_le_bytes(v)
        };
        let fg = if header & HAS_FG != 0 { field(4) } else { 0 };
        let bg = if header & HAS_BG != 0 { field(4) } else { 0 };
        let (attrs, ul) = if header & HAS_ATTRS != 0 {
            (field(2) as u16, field(1) as u8)
        } else {
            (0, 0)
        };
        let flags = if header & HAS_FLAGS != 0 {
            field(1) as u8
        } else {
            0
        };
        self.pen = Cell {
            ch: b' ' as u32,
            fg: Color(fg),
            bg: Color(bg),
            attrs: Attrs::from_bits_retain(attrs),
            flags: CellFlags::from_bits_retain(flags),
            ul_color: ul,
        };
        self.class = header & CLASS_MASK;
        self.pairs = header & PAIRS != 0;
        true
    }

    /// Where the character of the next cell is (offset in the bytes), and its size.
    #[inline]
    fn char_size(&self) -> usize {
        match self.class {
            CLASS_SPACE => 0,
            CLASS_U8 => 1,
            CLASS_U16 => 2,
            _ => 4,
        }
    }

    /// Calls `f` with every stored character index of a run whose cells are `EXTENDED`
    /// (combined-table indices), in place: rewriting one to a value no larger keeps the
    /// encoding valid (it fits in the same bytes).
    pub(super) fn extended_indices(bytes: &mut [u8], f: &mut impl FnMut(&mut u32)) {
        let mut pos = 0;
        while pos < bytes.len() {
            // Read the header with a view of the bytes, then write through `bytes`.
            let (run_start, size, left, extended) = {
                let mut r = Unpack::new(bytes);
                r.pos = pos;
                if !r.start_run() {
                    break;
                }
                (
                    r.pos,
                    r.char_size(),
                    r.left as usize,
                    r.pen.flags.contains(CellFlags::EXTENDED),
                )
            };
            let end = run_start + size * left;
            if extended && size > 0 {
                for k in 0..left {
                    let at = run_start + k * size;
                    let Some(slot) = bytes.get_mut(at..at + size) else {
                        break;
                    };
                    let mut v = [0u8; 4];
                    v[..size].copy_from_slice(slot);
                    let mut i = u32::from_le_bytes(v);
                    f(&mut i);
                    slot.copy_from_slice(&i.to_le_bytes()[..size]);
                }
            }
            pos = end;
        }
    }
}

impl Iterator for Unpack<'_> {
    type Item = Cell;

    #[inline]
    fn next(&mut self) -> Option<Cell> {
        if self.spacer {
            self.spacer = false;
            return Some(SPACER);
        }
        while self.left == 0 {
            if !self.start_run() {
                return None;
            }
        }
        self.left -= 1;
        let size = self.char_size();
        let mut cell = self.pen;
        if size > 0 {
            let mut v = [0u8; 4];
            if let Some(src) = self.bytes.get(self.pos..self.pos + size) {
                v[..size].copy_from_slice(src);
            }
            self.pos += size;
            cell.ch = u32::from_le_bytes(v);
        }
        self.spacer = self.pairs;
        Some(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(cells: &[Cell]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(cells, &mut out);
        let back: Vec<Cell> = Unpack::new(&out).collect();
        assert_eq!(back, cells);
        out
    }

    #[test]
    fn shadow_runs_pack_like_cells() {
        let pen = |fg| Cell {
            ch: 0,
            fg: Color::ansi(fg),
            ..Cell::BLANK
        };
        let runs = [(0u16, pen(1)), (3, pen(2)), (5, pen(1))];
        let chars = b"abcdefgh";
        let mut out = Vec::new();
        encode_runs(chars, &runs, &mut out);
        let cells: Vec<Cell> = Unpack::new(&out).collect();
        let want: Vec<Cell> = chars
            .iter()
            .enumerate()
            .map(|(x, &b)| Cell {
                ch: b as u32,
                ..pen(if (3..5).contains(&x) { 2 } else { 1 })
            })
            .collect();
        assert_eq!(cells, want);
        let mut again = Vec::new();
        encode(&want, &mut again);
        assert_eq!(again, out);
    }

    #[test]
    fn packs_plain_text_in_a_byte_per_character() {
        let cells: Vec<Cell> = b"hello world"
            .iter()
            .map(|&b| Cell {
                ch: b as u32,
                ..Cell::BLANK
            })
            .collect();
        assert_eq!(roundtrip(&cells).len(), 2 + 11);
        let blanks = vec![EMPTY; 300];
        assert_eq!(roundtrip(&blanks).len(), 1 + 2 + 1);
    }

    #[test]
    fn every_field_round_trips() {
        let red = Cell {
            ch: 'é' as u32,
            fg: Color::rgb(1, 2, 3),
            bg: Color::indexed(200),
            attrs: Attrs::BOLD | Attrs::OVERLINE,
            flags: CellFlags::TMUX_EXTENDED,
            ul_color: 7,
        };
        let wide = Cell {
            ch: '中' as u32,
            flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let emoji = Cell {
            ch: 0x1f600,
            flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let combined = Cell {
            ch: 70_000,
            flags: CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let cells = vec![
            red,
            red,
            wide,
            SPACER,
            wide,
            SPACER,
            emoji,
            SPACER,
            EMPTY,
            combined,
            wide,
            red,
            SPACER,
            Cell::BLANK,
        ];
        roundtrip(&cells);
    }

    #[test]
    fn extended_indices_are_rewritten_in_place() {
        let c = |ch| Cell {
            ch,
            flags: CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let cells = vec![c(5), c(300), Cell::BLANK, c(70_000)];
        let mut out = Vec::new();
        encode(&cells, &mut out);
        let mut seen = Vec::new();
        Unpack::extended_indices(&mut out, &mut |i| {
            seen.push(*i);
            *i /= 2;
        });
        assert_eq!(seen, [5, 300, 70_000]);
        let back: Vec<u32> = Unpack::new(&out).map(|c| c.ch).collect();
        assert_eq!(back, [2, 150, b' ' as u32, 35_000]);
    }
}

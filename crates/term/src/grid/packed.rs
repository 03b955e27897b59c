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
//!           bit 7: mixed (4 bytes per character: bit 31 a wide character followed by its
//!           spacer, bit 30 a combined character, bit 29 a cleared cell; the flags field
//!           has none of the three)
//! count  := cells in the run (pairs when bit 2 is set; characters when mixed)
//! ```
//!
//! Mixed runs keep text that alternates wide and narrow characters (CJK among Latin
//! letters, an emoji in a sentence) in one run rather than a run per change, which is most
//! of what packing such a line would otherwise cost.
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
const MIXED: u8 = 1 << 7;
/// A mixed run's character: a wide one (its spacer follows).
const MIX_WIDE: u32 = 1 << 31;
/// A mixed run's character: a combined-table index.
const MIX_EXT: u32 = 1 << 30;
/// A mixed run's character: a cleared cell (`CellFlags::CLEARED`).
const MIX_CLR: u32 = 1 << 29;
/// A mixed run's character bits: characters from this up do not go in a mixed run.
const MIX_LIMIT: u32 = 1 << 29;
/// The flag bits of a mixed run's character.
const MIX_FLAGS: u32 = MIX_WIDE | MIX_EXT | MIX_CLR;
/// The style bits a mixed run lets vary from character to character.
const VARY: u128 =
    ((CellFlags::WIDE.bits() | CellFlags::EXTENDED.bits() | CellFlags::CLEARED.bits()) as u128)
        << 112;

/// A cell's flags as a mixed run's character bits.
#[inline(always)]
fn mix_bits(c: &Cell) -> u32 {
    mix_bits_of(c.flags)
}

/// [`mix_bits`] of flags.
#[inline(always)]
fn mix_bits_of(flags: CellFlags) -> u32 {
    (flags.contains(CellFlags::WIDE) as u32) << 31
        | (flags.contains(CellFlags::EXTENDED) as u32) << 30
        | (flags.contains(CellFlags::CLEARED) as u32) << 29
}

/// A cell's 16 bytes as one number (the `#[repr(C)]` layout's order): comparisons of
/// whole cells and of styles become two 8-byte compares.
#[inline(always)]
const fn bits(c: &Cell) -> u128 {
    (c.ch as u128)
        | (c.fg.0 as u128) << 32
        | (c.bg.0 as u128) << 64
        | (c.attrs.bits() as u128) << 96
        | (c.flags.bits() as u128) << 112
        | (c.ul_color as u128) << 120
}

/// [`bits`] of [`SPACER`].
const SPACER_BITS: u128 = bits(&SPACER);

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

/// Writes a run's header, count (less than 2^21) and style at `buf[w..]` (which has room
/// for [`MAX_HEADER`] bytes); returns where it ends. Every store is of a fixed size: a
/// variable-length copy here is a `memmove` call per run.
#[inline(always)]
fn header_into(
    buf: &mut [u8],
    mut w: usize,
    class: u8,
    pairs: bool,
    count: usize,
    style: u128,
) -> usize {
    let at = w;
    w += 1;
    let mut header = class | if pairs { PAIRS } else { 0 };
    let mut count = count as u32;
    while count >= 0x80 {
        buf[w] = count as u8 | 0x80;
        count >>= 7;
        w += 1;
    }
    buf[w] = count as u8;
    w += 1;
    // Most runs have the default colours and attributes: at most a flags byte follows.
    if style >> 32 & !(0xffu128 << 80) != 0 {
        let fg = (style >> 32) as u32;
        let bg = (style >> 64) as u32;
        let attrs_ul = ((style >> 96) as u32 & 0xffff) | ((style >> 120) as u32) << 16;
        if fg != 0 {
            header |= HAS_FG;
            buf[w..w + 4].copy_from_slice(&fg.to_le_bytes());
            w += 4;
        }
        if bg != 0 {
            header |= HAS_BG;
            buf[w..w + 4].copy_from_slice(&bg.to_le_bytes());
            w += 4;
        }
        if attrs_ul != 0 {
            header |= HAS_ATTRS;
            // Four bytes stored, three kept (the next field or character overwrites it).
            buf[w..w + 4].copy_from_slice(&attrs_ul.to_le_bytes());
            w += 3;
        }
    }
    let flags = (style >> 112) as u8;
    if flags != 0 {
        header |= HAS_FLAGS;
        buf[w] = flags;
        w += 1;
    }
    buf[at] = header;
    w
}

/// Room [`encode_into`] needs for `cells` cells: each its own run at worst, plus the
/// slack of a four-byte store at the end.
#[inline]
pub(super) fn bound(cells: usize) -> usize {
    cells * (MAX_HEADER + 4) + 4
}

/// Appends `cells` packed to `out`.
#[cfg(test)]
pub(super) fn encode(cells: &[Cell], out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + bound(cells.len()), 0);
    let n = encode_into(cells, &mut out[at..]);
    out.truncate(at + n);
}

/// What [`scan`] found: a run's extent and what its characters need.
#[derive(Debug, PartialEq)]
struct Scan {
    /// The style shared (without the bits `vary` lets vary).
    base: u128,
    /// The cell after the run.
    end: usize,
    /// Characters (a wide one and its spacer are one).
    units: usize,
    /// The characters or-ed together (how many bytes they need).
    any: u32,
    /// Mixed-run flag bits of the characters or-ed and and-ed: equal, the run is uniform.
    or_f: u32,
    and_f: u32,
    /// Every character is a space (stored in no bytes).
    spaces: bool,
    /// Cleared cells among the characters.
    cleared: usize,
}

/// The run that starts at cell `i`: the cells after it that share its style but for the
/// bits in `vary`, a narrow cell or a wide one and its spacer at a time.
#[inline(always)]
fn scan(cells: &[Cell], i: usize, vary: u128) -> Scan {
    match scan_narrow(cells, i, vary) {
        Some(sc) => sc,
        None => scan_any(cells, i, vary),
    }
}

/// [`scan`] of any run.
#[inline(always)]
fn scan_any(cells: &[Cell], i: usize, vary: u128) -> Scan {
    let n = cells.len();
    let base = bits(&cells[i]) & STYLE & !vary;
    let mut j = i;
    let mut units = 0usize;
    let mut any = 0u32;
    let (mut or_f, mut and_f) = (0u32, !0u32);
    let mut spaces = true;
    let mut cleared = 0;
    // Every cell in turn, the spacer after a wide one counted out rather than stepped
    // over: an index that depended on each cell's flags would wait on every load. And
    // one branch per cell, taken once per run: widths alternate at random in some text,
    // and a branch on them would be mispredicted as often.
    let mut spacer = false;
    while j < n {
        let c = &cells[j];
        let b = bits(c);
        let wide = c.flags.contains(CellFlags::WIDE);
        let spacer_next = cells.get(j + 1).is_some_and(|d| bits(d) == SPACER_BITS);
        let stop = (b & STYLE & !vary != base) | (c.ch >= MIX_LIMIT) | (wide & !spacer_next);
        if stop & !spacer {
            break;
        }
        let unit = !spacer;
        let keep = (unit as u32).wrapping_neg();
        let u = mix_bits(c);
        or_f |= u & keep;
        and_f &= u | !keep;
        any |= c.ch & keep;
        // A combined-table index is rewritten in place later (`extended_indices`): it
        // needs its bytes even when it happens to equal a space.
        spaces &= spacer | ((c.ch == b' ' as u32) & (u & (MIX_WIDE | MIX_EXT) == 0));
        units += unit as usize;
        cleared += (u & keep & MIX_CLR != 0) as usize;
        spacer = wide;
        j += 1;
    }
    Scan {
        base,
        end: j,
        units,
        any,
        or_f,
        and_f,
        spaces,
        cleared,
    }
}

/// [`scan`] of a run without wide characters (a line of text written out of order, which
/// has no shadow to pack from, is mostly that): every cell is a character, so the cells
/// are read with no state carried from one to the next. `None` when the run holds a wide
/// character or one that stops a run (then `scan` reads it the general way).
#[inline(always)]
fn scan_narrow(cells: &[Cell], i: usize, vary: u128) -> Option<Scan> {
    let mask = STYLE & !vary;
    let base = bits(&cells[i]) & mask;
    let mut j = i;
    let mut any = 0u32;
    // Flags or-ed and and-ed as they are (the mixed-run bits are made of them once).
    let (mut or_b, mut and_b) = (0u8, !0u8);
    let mut all_spaces = true;
    let mut cleared = 0;
    while let Some(c) = cells.get(j) {
        if bits(c) & mask != base {
            break;
        }
        let f = c.flags.bits();
        or_b |= f;
        and_b &= f;
        any |= c.ch;
        all_spaces &= c.ch == b' ' as u32;
        cleared += (f & CellFlags::CLEARED.bits() != 0) as usize;
        j += 1;
    }
    let (or_f, and_f) = (
        mix_bits_of(CellFlags::from_bits_retain(or_b)),
        mix_bits_of(CellFlags::from_bits_retain(and_b)),
    );
    // A wide character, or a character no run holds, makes `scan` end the run or pair
    // cells: its own loop decides.
    if or_f & MIX_WIDE != 0 || any >= MIX_LIMIT {
        return None;
    }
    let spaces = all_spaces & (or_f & MIX_EXT == 0);
    Some(Scan {
        base,
        end: j,
        units: j - i,
        any,
        or_f,
        and_f,
        spaces,
        cleared,
    })
}

/// Writes `cells` packed at the start of `buf` (at least [`bound`] bytes long); returns the
/// bytes written.
pub(super) fn encode_into(cells: &[Cell], buf: &mut [u8]) -> usize {
    let n = cells.len();
    assert!(buf.len() >= bound(n), "packing buffer too short");
    let mut w = 0;
    let mut i = 0;
    while i < n {
        let mut sc = scan(cells, i, VARY);
        if sc.or_f != sc.and_f && sc.cleared * 2 > sc.units {
            // Mostly cleared cells (a tab's gap, text far apart): runs of their own keep
            // them in no bytes at all rather than four each.
            sc = scan(
                cells,
                i,
                VARY & !((CellFlags::CLEARED.bits() as u128) << 112),
            );
        }
        let Scan {
            base,
            end: j,
            units,
            any,
            or_f,
            and_f,
            spaces,
            ..
        } = sc;
        let spacer_style = base & (CellFlags::WIDE_SPACER.bits() as u128) << 112 != 0;
        if units == 0 || (or_f != and_f && spacer_style) {
            // A cell no run takes (a wide one without its spacer, a huge index, a mix of
            // spacer-like cells, which a mixed run could not tell from spacers): alone.
            w = header_into(buf, w, CLASS_U32, false, 1, bits(&cells[i]) & STYLE);
            buf[w..w + 4].copy_from_slice(&cells[i].ch.to_le_bytes());
            w += 4;
            i += 1;
            continue;
        }
        if or_f != and_f {
            w = header_into(buf, w, CLASS_U32 | MIXED, false, units, base);
            // Every cell stored, a spacer's store then overwritten (in a run, a spacer cell
            // is one after a wide character: a lone one has a style of its own).
            for c in &cells[i..j] {
                let v = c.ch | mix_bits(c);
                buf[w..w + 4].copy_from_slice(&v.to_le_bytes());
                w += 4 * !c.flags.contains(CellFlags::WIDE_SPACER) as usize;
            }
            i = j;
            continue;
        }
        let pairs = or_f & MIX_WIDE != 0;
        let mut key = base;
        if pairs {
            key |= (CellFlags::WIDE.bits() as u128) << 112;
        }
        if or_f & MIX_EXT != 0 {
            key |= (CellFlags::EXTENDED.bits() as u128) << 112;
        }
        if or_f & MIX_CLR != 0 {
            key |= (CellFlags::CLEARED.bits() as u128) << 112;
        }
        let size = if spaces && !pairs {
            0
        } else if any < 0x100 {
            1
        } else if any < 0x1_0000 {
            2
        } else {
            4
        };
        let class = [CLASS_SPACE, CLASS_U8, CLASS_U16, CLASS_U32, CLASS_U32][size];
        w = header_into(buf, w, class, pairs, units, key);
        if size > 0 {
            // Four bytes stored per character, `size` kept: fixed-size stores, no calls.
            let step = 1 + pairs as usize;
            let mut k = i;
            while k < j {
                buf[w..w + 4].copy_from_slice(&cells[k].ch.to_le_bytes());
                w += size;
                k += step;
            }
        }
        i = j;
    }
    w
}

/// Room [`encode_units`] needs for a shadow of `units` characters in `runs` runs.
#[inline]
pub(super) fn units_bound(units: usize, runs: usize) -> usize {
    units * 4 + runs * MAX_HEADER + 4
}

/// Writes the packed form of a row's shadow (see `Shadow`) at the start of `buf` (at
/// least [`units_bound`] bytes); returns the bytes written. `runs` gives where each run
/// starts in `units` and its style. The same cells as [`encode_into`] of the row, at the
/// cost of a copy of the characters: no cell is read.
pub(super) fn encode_units(units: &[u32], runs: &[(u32, Cell)], buf: &mut [u8]) -> usize {
    assert!(
        buf.len() >= units_bound(units.len(), runs.len()),
        "packing buffer too short"
    );
    let mut w = 0;
    for (k, &(start, style)) in runs.iter().enumerate() {
        let end = runs.get(k + 1).map_or(units.len(), |r| r.0 as usize);
        let run = &units[start as usize..end];
        if run.is_empty() {
            continue;
        }
        // Loops without branches (vectorised): which flags every character has, which
        // some have, how large the characters are.
        let (mut or_u, mut and_u) = (0u32, !0u32);
        for &u in run {
            or_u |= u;
            and_u &= u;
        }
        let flags = MIX_FLAGS;
        let base = bits(&style) & STYLE;
        if or_u & flags != and_u & flags {
            w = header_into(buf, w, CLASS_U32 | MIXED, false, run.len(), base);
            for (o, &u) in buf[w..w + run.len() * 4].chunks_exact_mut(4).zip(run) {
                o.copy_from_slice(&u.to_le_bytes());
            }
            w += run.len() * 4;
            continue;
        }
        let pairs = and_u & MIX_WIDE != 0;
        let mut key = base;
        if pairs {
            key |= (CellFlags::WIDE.bits() as u128) << 112;
        }
        if and_u & MIX_EXT != 0 {
            key |= (CellFlags::EXTENDED.bits() as u128) << 112;
        }
        let any = or_u & !flags;
        let n = run.len();
        if any < 0x100 {
            w = header_into(buf, w, CLASS_U8, pairs, n, key);
            for (o, &u) in buf[w..w + n].iter_mut().zip(run) {
                *o = u as u8;
            }
            w += n;
        } else if any < 0x1_0000 {
            w = header_into(buf, w, CLASS_U16, pairs, n, key);
            for (o, &u) in buf[w..w + n * 2].chunks_exact_mut(2).zip(run) {
                o.copy_from_slice(&(u as u16).to_le_bytes());
            }
            w += n * 2;
        } else {
            w = header_into(buf, w, CLASS_U32, pairs, n, key);
            for (o, &u) in buf[w..w + n * 4].chunks_exact_mut(4).zip(run) {
                o.copy_from_slice(&(u & !flags).to_le_bytes());
            }
            w += n * 4;
        }
    }
    w
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
    mixed: bool,
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
            mixed: false,
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
        self.mixed = header & MIXED != 0;
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
            let (run_start, size, left, extended, mixed) = {
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
                    r.mixed,
                )
            };
            let end = run_start + size * left;
            if mixed {
                // Each character says whether it is an index; the flag bits stay.
                for k in 0..left {
                    let at = run_start + k * 4;
                    let Some(slot) = bytes.get_mut(at..at + 4) else {
                        break;
                    };
                    let mut v = [0u8; 4];
                    v.copy_from_slice(slot);
                    let v = u32::from_le_bytes(v);
                    if v & MIX_EXT != 0 {
                        let mut i = v & (MIX_LIMIT - 1);
                        f(&mut i);
                        let i = i.min(MIX_LIMIT - 1) | (v & MIX_FLAGS);
                        slot.copy_from_slice(&i.to_le_bytes());
                    }
                }
            } else if extended && size > 0 {
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
        if self.mixed {
            let v = cell.ch;
            cell.ch = v & (MIX_LIMIT - 1);
            if v & MIX_CLR != 0 {
                cell.flags |= CellFlags::CLEARED;
            }
            if v & MIX_EXT != 0 {
                cell.flags |= CellFlags::EXTENDED;
            }
            self.spacer = v & MIX_WIDE != 0;
            if self.spacer {
                cell.flags |= CellFlags::WIDE;
            }
        } else {
            self.spacer = self.pairs;
        }
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
    fn narrow_scan_agrees_with_the_general_one() {
        let cell = |ch: u32, fg: u8, flags: CellFlags| Cell {
            ch,
            fg: if fg == 0 {
                Color::DEFAULT
            } else {
                Color::ansi(fg)
            },
            flags,
            ..Cell::BLANK
        };
        let palette = [
            cell(b'a' as u32, 0, CellFlags::empty()),
            cell(b' ' as u32, 0, CellFlags::empty()),
            EMPTY,
            cell(b'b' as u32, 2, CellFlags::empty()),
            cell(0xe9, 0, CellFlags::empty()),
            cell(7, 0, CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED),
            // A combined-table index that happens to be a space's code.
            cell(
                b' ' as u32,
                0,
                CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED,
            ),
            cell(MIX_LIMIT, 0, CellFlags::empty()),
            cell(0x4e2d, 0, CellFlags::WIDE | CellFlags::TMUX_EXTENDED),
            SPACER,
        ];
        // Rows of every mix, from a fixed generator: a wide character is mostly followed
        // by its spacer, sometimes not.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |k: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % k as u64) as usize
        };
        let mut narrow = 0;
        for _ in 0..2000 {
            let len = 1 + next(24);
            let mut row = Vec::new();
            while row.len() < len {
                let c = palette[next(palette.len())];
                row.push(c);
                if c.flags.contains(CellFlags::WIDE) && next(4) != 0 {
                    row.push(SPACER);
                }
            }
            for vary in [VARY, VARY & !((CellFlags::CLEARED.bits() as u128) << 112)] {
                for i in 0..row.len() {
                    if let Some(sc) = scan_narrow(&row, i, vary) {
                        assert_eq!(sc, scan_any(&row, i, vary), "{row:?} from {i}");
                        narrow += 1;
                    }
                }
            }
        }
        assert!(narrow > 1000, "the narrow scan took {narrow} runs");
    }

    #[test]
    fn shadow_runs_pack_like_cells() {
        let pen = |fg| Cell {
            ch: 0,
            fg: Color::ansi(fg),
            ..Cell::BLANK
        };
        let ext = |c: Cell| Cell {
            flags: CellFlags::TMUX_EXTENDED,
            ..c
        };
        const W: u32 = MIX_WIDE;
        const E: u32 = MIX_EXT;
        // Plain, then colours, then non-ASCII mixed with wide and combined characters,
        // then all wide, then one large code point.
        let runs = [
            (0u32, pen(1)),
            (3, pen(2)),
            (5, ext(pen(1))),
            (9, ext(pen(3))),
            (11, ext(pen(4))),
        ];
        let units = [
            b'a' as u32,
            b'b' as u32,
            b'c' as u32,
            b'd' as u32,
            b'e' as u32,
            0xe9,
            0x4e2d | W,
            7 | E,
            0x1f600 | W,
            0x4e2d | W,
            0x4e2e | W,
            0x1f600,
        ];
        let mut buf = vec![0; units_bound(units.len(), runs.len())];
        let n = encode_units(&units, &runs, &mut buf);
        let cells: Vec<Cell> = Unpack::new(&buf[..n]).collect();
        let mut want = Vec::new();
        for (k, &u) in units.iter().enumerate() {
            let style = runs.iter().rev().find(|r| r.0 as usize <= k).unwrap().1;
            let mut c = Cell {
                ch: u & !(W | E),
                ..style
            };
            if u & E != 0 {
                c.flags |= CellFlags::EXTENDED;
            }
            want.push(c);
            if u & W != 0 {
                want.last_mut().unwrap().flags |= CellFlags::WIDE;
                want.push(SPACER);
            }
        }
        assert_eq!(cells, want);
        // And packing the cells themselves gives the same cells back.
        assert_eq!(Unpack::new(&buf[..n]).collect::<Vec<_>>(), {
            let mut again = Vec::new();
            encode(&want, &mut again);
            Unpack::new(&again).collect::<Vec<_>>()
        });
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

    #[test]
    fn alternating_widths_pack_as_one_mixed_run() {
        let narrow = |ch: char| Cell {
            ch: ch as u32,
            flags: CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let wide = |ch: char| Cell {
            ch: ch as u32,
            flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let combined = Cell {
            ch: 32,
            flags: CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED,
            ..Cell::BLANK
        };
        let mut cells = Vec::new();
        for _ in 0..10 {
            cells.extend([narrow('é'), wide('中'), SPACER, combined]);
        }
        // One header, a one-byte count, the flags byte and 4 bytes per character: not a
        // run (and a header) per change of width.
        assert_eq!(roundtrip(&cells).len(), 3 + 30 * 4);
        let mut out = Vec::new();
        encode(&cells, &mut out);
        let mut seen = 0;
        Unpack::extended_indices(&mut out, &mut |i| {
            assert_eq!(*i, 32);
            seen += 1;
            *i = 7;
        });
        assert_eq!(seen, 10);
        let back: Vec<Cell> = Unpack::new(&out).collect();
        for (k, c) in back.iter().enumerate() {
            match k % 4 {
                3 => assert_eq!(*c, Cell { ch: 7, ..combined }),
                _ => assert_eq!(*c, cells[k]),
            }
        }
    }

    #[test]
    fn random_lines_round_trip() {
        // Cells drawn from a palette that makes runs of every kind meet: styles, widths,
        // combined indices (one a space), spacers with and without their wide cell.
        let palette = [
            EMPTY,
            Cell::BLANK,
            SPACER,
            Cell {
                ch: 'a' as u32,
                ..Cell::BLANK
            },
            Cell {
                ch: 'b' as u32,
                fg: Color::ansi(1),
                ..Cell::BLANK
            },
            Cell {
                ch: 'é' as u32,
                flags: CellFlags::TMUX_EXTENDED,
                ..Cell::BLANK
            },
            Cell {
                ch: '中' as u32,
                flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
                ..Cell::BLANK
            },
            Cell {
                ch: 0x1f600,
                flags: CellFlags::WIDE | CellFlags::TMUX_EXTENDED,
                ..Cell::BLANK
            },
            Cell {
                ch: 32,
                flags: CellFlags::EXTENDED | CellFlags::TMUX_EXTENDED,
                ..Cell::BLANK
            },
            Cell {
                ch: 900,
                flags: CellFlags::EXTENDED | CellFlags::WIDE,
                ..Cell::BLANK
            },
            Cell {
                ch: u32::MAX,
                flags: CellFlags::EXTENDED,
                ..Cell::BLANK
            },
            Cell {
                ch: 7,
                flags: CellFlags::WIDE | CellFlags::WIDE_SPACER,
                ..Cell::BLANK
            },
            Cell {
                ch: 8,
                flags: CellFlags::EXTENDED | CellFlags::WIDE_SPACER,
                ..Cell::BLANK
            },
            Cell {
                ch: 'x' as u32,
                bg: Color::rgb(1, 2, 3),
                attrs: Attrs::BOLD,
                ul_color: 3,
                ..Cell::BLANK
            },
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let mut cells = Vec::with_capacity(len);
            while cells.len() < len {
                let c = palette[(next() % palette.len() as u64) as usize];
                cells.push(c);
                if c.flags.contains(CellFlags::WIDE) && next() % 4 != 0 {
                    cells.push(SPACER);
                }
            }
            roundtrip(&cells);
        }
    }

    #[test]
    fn sparse_text_packs_as_one_run() {
        // Characters written here and there by cursor motion, blanks between them.
        let x = Cell {
            ch: 'x' as u32,
            ..Cell::BLANK
        };
        let mut cells = Vec::new();
        for k in 0..20 {
            cells.push(if k % 2 == 0 { x } else { EMPTY });
        }
        cells.push(x);
        // A header and a count, then 4 bytes per cell: not a run per cell.
        assert_eq!(roundtrip(&cells).len(), 2 + 21 * 4);
    }

    #[test]
    fn wide_gaps_stay_runs_of_their_own() {
        // Text at tab stops: the cleared cells between cost no bytes.
        let x = Cell {
            ch: 'x' as u32,
            ..Cell::BLANK
        };
        let mut cells = Vec::new();
        for _ in 0..4 {
            cells.push(x);
            cells.extend([EMPTY; 7]);
        }
        cells.push(x);
        let out = roundtrip(&cells);
        assert!(out.len() <= 9 * 3, "{out:?}");
    }
}

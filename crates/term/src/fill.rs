//! Bulk cell writes for the printing and clearing hot paths.
//!
//! LLVM writes a [`Cell`] built from fields as one store per field (six per cell); the
//! plain-text path writes millions of cells a second, so on little-endian targets the
//! cells are written as one 16-byte store each. Other targets use the plain field-wise
//! code; both give the same cells (checked by the tests below).

use crate::cell::Cell;

/// The 16 bytes of `c` as one little-endian integer (the `#[repr(C)]` layout: `ch` at 0,
/// `fg` at 4, `bg` at 8, `attrs` at 12, `flags` at 14, `ul_color` at 15).
#[cfg(target_endian = "little")]
#[inline]
fn cell_bits(c: Cell) -> u128 {
    (c.ch as u128)
        | (c.fg.0 as u128) << 32
        | (c.bg.0 as u128) << 64
        | (c.attrs.bits() as u128) << 96
        | (c.flags.bits() as u128) << 112
        | (c.ul_color as u128) << 120
}

/// Writes `dst[i] = Cell { ch: src[i] as u32, ..pen }` for `i < min(dst.len(), src.len())`.
#[cfg(target_endian = "little")]
#[allow(unsafe_code)]
#[inline]
pub(crate) fn fill_ascii(dst: &mut [Cell], src: &[u8], pen: Cell) {
    const _: () = assert!(std::mem::size_of::<Cell>() == 16);
    let hi = cell_bits(pen) & !0xffff_ffff_u128;
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let mut d4 = dst.chunks_exact_mut(4);
    let mut s4 = src.chunks_exact(4);
    for (d, s) in (&mut d4).zip(&mut s4) {
        let p: *mut Cell = d.as_mut_ptr();
        let p = p.cast::<u128>();
        // SAFETY: `d` is an exclusive `&mut [Cell]` of exactly 4 cells, so `p..p + 4` is
        // valid for four 16-byte writes (`size_of::<Cell>() == 16`, asserted above);
        // `write_unaligned` needs no alignment. `Cell` is `#[repr(C)]` without padding
        // (4 + 4 + 4 + 2 + 1 + 1 bytes) and all its fields are plain integers, so the byte
        // image of a valid cell (`hi`, from `pen`) with `ch` replaced by an ASCII byte is a
        // valid cell.
        unsafe {
            p.write_unaligned(hi | s[0] as u128);
            p.add(1).write_unaligned(hi | s[1] as u128);
            p.add(2).write_unaligned(hi | s[2] as u128);
            p.add(3).write_unaligned(hi | s[3] as u128);
        }
    }
    for (c, &b) in d4.into_remainder().iter_mut().zip(s4.remainder()) {
        let p: *mut Cell = c;
        // SAFETY: as above, for one exclusive cell.
        unsafe { p.cast::<u128>().write_unaligned(hi | b as u128) };
    }
}

/// Writes `dst[i] = Cell { ch: src[i] as u32, ..pen }` for `i < min(dst.len(), src.len())`.
#[cfg(not(target_endian = "little"))]
#[inline]
pub(crate) fn fill_ascii(dst: &mut [Cell], src: &[u8], pen: Cell) {
    for (c, &b) in dst.iter_mut().zip(src) {
        *c = Cell {
            ch: b as u32,
            ..pen
        };
    }
}

/// `dst.fill(cell)`, one 16-byte store per cell.
#[cfg(target_endian = "little")]
#[allow(unsafe_code)]
#[inline]
pub(crate) fn fill_cells(dst: &mut [Cell], cell: Cell) {
    let bits = cell_bits(cell);
    let mut d4 = dst.chunks_exact_mut(4);
    for d in &mut d4 {
        let p: *mut Cell = d.as_mut_ptr();
        let p = p.cast::<u128>();
        // SAFETY: as in `fill_ascii`: `d` is an exclusive run of exactly 4 cells (64 bytes)
        // and `bits` is exactly the byte image of the valid cell `cell`.
        unsafe {
            p.write_unaligned(bits);
            p.add(1).write_unaligned(bits);
            p.add(2).write_unaligned(bits);
            p.add(3).write_unaligned(bits);
        }
    }
    for c in d4.into_remainder() {
        let p: *mut Cell = c;
        // SAFETY: as above, for one exclusive cell.
        unsafe { p.cast::<u128>().write_unaligned(bits) };
    }
}

/// `dst.fill(cell)`.
#[cfg(not(target_endian = "little"))]
#[inline]
pub(crate) fn fill_cells(dst: &mut [Cell], cell: Cell) {
    dst.fill(cell);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{Attrs, CellFlags, Color};

    fn pens() -> Vec<Cell> {
        let mut v = vec![Cell::blank_with_bg(Color::DEFAULT)];
        v.push(Cell {
            ch: 0x10ffff,
            fg: Color(0x0312_3456),
            bg: Color(0x0200_00fe),
            attrs: Attrs::from_bits_retain(0x0f0f),
            flags: CellFlags::from_bits_retain(0x0a),
            ul_color: 0xab,
        });
        v.push(Cell {
            ch: 7,
            fg: Color(u32::MAX),
            bg: Color(0x0100_0003),
            attrs: Attrs::from_bits_retain(0xffff),
            flags: CellFlags::from_bits_retain(0xff),
            ul_color: 0xff,
        });
        v
    }

    #[test]
    fn fill_ascii_equals_fieldwise_construction() {
        for pen in pens() {
            for len in 0..21usize {
                let src: Vec<u8> = (0..len).map(|i| 0x20 + (i * 13 % 0x5f) as u8).collect();
                let mut got = vec![Cell::blank_with_bg(Color(5)); len + 3];
                let mut want = got.clone();
                fill_ascii(&mut got[1..], &src, pen);
                for (c, &b) in want[1..].iter_mut().zip(&src) {
                    *c = Cell {
                        ch: b as u32,
                        ..pen
                    };
                }
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn fill_cells_equals_slice_fill() {
        for pen in pens() {
            let mut got = vec![Cell::blank_with_bg(Color(9)); 19];
            let mut want = got.clone();
            fill_cells(&mut got[2..17], pen);
            want[2..17].fill(pen);
            assert_eq!(got, want);
        }
    }
}

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
#[cfg(all(target_endian = "little", not(target_arch = "x86_64")))]
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
#[cfg(all(target_endian = "little", not(target_arch = "x86_64")))]
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

/// x86_64: LLVM splits a `u128` store into two 8-byte stores, and the printing and
/// scrolling paths are bound by stores; SSE2 (always present on x86_64) writes each cell
/// with one `movdqu`.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod sse2 {
    use super::cell_bits;
    use crate::cell::Cell;
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_cvtsi32_si128,
        _mm_cvtsi64_si128, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_set_epi32, _mm_set_epi64x, _mm_setzero_si128, _mm_shuffle_epi32, _mm_storeu_si128,
        _mm_unpackhi_epi16, _mm_unpackhi_epi32, _mm_unpackhi_epi64, _mm_unpacklo_epi16,
        _mm_unpacklo_epi32, _mm_unpacklo_epi64, _mm_unpacklo_epi8,
    };

    #[inline(always)]
    fn splat(bits: u128) -> __m128i {
        // SAFETY: SSE2 is part of the x86_64 baseline; no memory is touched.
        unsafe { _mm_set_epi64x((bits >> 64) as u64 as i64, bits as u64 as i64) }
    }

    /// Writes `dst[i] = Cell { ch: src[i] as u32, ..pen }` for `i < min(dst.len(), src.len())`.
    ///
    /// Eight bytes at a time, by unpacking alone: bytes widen to 32-bit lanes, interleave
    /// with the pen's `fg` into the cells' low halves, which pair with the pen's high half.
    #[inline]
    pub(crate) fn fill_ascii(dst: &mut [Cell], src: &[u8], pen: Cell) {
        const _: () = assert!(std::mem::size_of::<Cell>() == 16);
        let pen_ptr: *const Cell = &pen;
        // SAFETY: `pen_ptr` points to one 16-byte cell on this stack frame, valid for a
        // 16-byte read (`_mm_loadu_si128` needs no alignment); `Cell` is `#[repr(C)]` plain
        // integers without padding, so all 16 bytes are initialised. The rest is SSE2 (the
        // x86_64 baseline) on registers.
        let (hi, fgv, highv, zero) = unsafe {
            let v = _mm_loadu_si128(pen_ptr.cast::<__m128i>());
            (
                // The pen with `ch` (lane 0) zeroed.
                _mm_and_si128(v, _mm_set_epi32(-1, -1, -1, 0)),
                // `fg` (lane 1) in every lane.
                _mm_shuffle_epi32::<0x55>(v),
                // The high half (lanes 2, 3) in both halves.
                _mm_shuffle_epi32::<0xee>(v),
                _mm_setzero_si128(),
            )
        };
        let n = dst.len().min(src.len());
        let (dst, src) = (&mut dst[..n], &src[..n]);
        let mut d8 = dst.chunks_exact_mut(8);
        let mut s8 = src.chunks_exact(8);
        for (d, s) in (&mut d8).zip(&mut s8) {
            // Always eight (`chunks_exact`): the conversions cannot fail.
            if let (Ok(d), Ok(s)) = (<&mut [Cell; 8]>::try_from(d), <&[u8; 8]>::try_from(s)) {
                fill8(d, s, fgv, highv, zero);
            }
        }
        let (d_rest, s_rest) = (d8.into_remainder(), s8.remainder());
        if n > 8 && !d_rest.is_empty() {
            // The last eight again, overlapping cells just written with the same values:
            // one block instead of a cell-at-a-time tail.
            let (d, s) = (&mut dst[n - 8..], &src[n - 8..]);
            if let (Ok(d), Ok(s)) = (<&mut [Cell; 8]>::try_from(d), <&[u8; 8]>::try_from(s)) {
                fill8(d, s, fgv, highv, zero);
            }
            return;
        }
        for (c, &b) in d_rest.iter_mut().zip(s_rest) {
            // SAFETY: SSE2 is part of the x86_64 baseline; no memory is touched.
            let v = unsafe { _mm_or_si128(hi, _mm_cvtsi32_si128(b as i32)) };
            let p: *mut Cell = c;
            // SAFETY: as in `fill8`, for one exclusive cell.
            unsafe { _mm_storeu_si128(p.cast::<__m128i>(), v) };
        }
    }

    /// `fill_ascii` of exactly eight cells, with the pen's parts as `fill_ascii` prepares
    /// them.
    #[inline(always)]
    fn fill8(d: &mut [Cell; 8], s: &[u8; 8], fgv: __m128i, highv: __m128i, zero: __m128i) {
        let bytes = u64::from_le_bytes(*s) as i64;
        // SAFETY: SSE2 is part of the x86_64 baseline; no memory is touched.
        let cells: [__m128i; 8] = unsafe {
            let b16 = _mm_unpacklo_epi8(_mm_cvtsi64_si128(bytes), zero);
            let q0 = _mm_unpacklo_epi16(b16, zero);
            let q1 = _mm_unpackhi_epi16(b16, zero);
            // Low halves (ch | fg << 32) of cells 0-1, 2-3, 4-5, 6-7.
            let l01 = _mm_unpacklo_epi32(q0, fgv);
            let l23 = _mm_unpackhi_epi32(q0, fgv);
            let l45 = _mm_unpacklo_epi32(q1, fgv);
            let l67 = _mm_unpackhi_epi32(q1, fgv);
            [
                _mm_unpacklo_epi64(l01, highv),
                _mm_unpackhi_epi64(l01, highv),
                _mm_unpacklo_epi64(l23, highv),
                _mm_unpackhi_epi64(l23, highv),
                _mm_unpacklo_epi64(l45, highv),
                _mm_unpackhi_epi64(l45, highv),
                _mm_unpacklo_epi64(l67, highv),
                _mm_unpackhi_epi64(l67, highv),
            ]
        };
        let p = d.as_mut_ptr().cast::<__m128i>();
        for (k, v) in cells.into_iter().enumerate() {
            // SAFETY: `d` is an exclusive run of exactly 8 cells of 16 bytes, so
            // `p + k` (k < 8) is valid for a 16-byte write; `_mm_storeu_si128` needs no
            // alignment. `Cell` is `#[repr(C)]` without padding (4 + 4 + 4 + 2 + 1 + 1
            // bytes) and all its fields are plain integers, so the byte image of a valid
            // cell (`pen`) with `ch` replaced by a byte is a valid cell.
            unsafe { _mm_storeu_si128(p.add(k), v) };
        }
    }

    /// Length of the run of printable ASCII (0x20..=0x7e) at the start of `b`, sixteen
    /// bytes at a time.
    #[inline]
    pub(crate) fn printable_prefix(b: &[u8]) -> usize {
        let mut i = 0;
        let mut c16 = b.chunks_exact(16);
        for c in &mut c16 {
            // SAFETY: `c` is exactly 16 readable bytes; `_mm_loadu_si128` needs no
            // alignment. The rest is SSE2 (x86_64 baseline) arithmetic on registers.
            let good = unsafe {
                let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
                // Signed compares: bytes >= 0x80 are negative, so they fail the first.
                let ge_space = _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f));
                let lt_del = _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f));
                _mm_movemask_epi8(_mm_and_si128(ge_space, lt_del)) as u32
            };
            if good != 0xffff {
                return i + (!good).trailing_zeros() as usize;
            }
            i += 16;
        }
        i + c16
            .remainder()
            .iter()
            .take_while(|&&x| (0x20..0x7f).contains(&x))
            .count()
    }

    /// `dst.fill(cell)`, one 16-byte store per cell.
    #[inline]
    pub(crate) fn fill_cells(dst: &mut [Cell], cell: Cell) {
        let v = splat(cell_bits(cell));
        for c in dst.iter_mut() {
            let p: *mut Cell = c;
            // SAFETY: as in `fill_ascii`: one exclusive 16-byte cell, and `v` is exactly
            // the byte image of the valid cell `cell`.
            unsafe { _mm_storeu_si128(p.cast::<__m128i>(), v) };
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use sse2::{fill_ascii, fill_cells, printable_prefix};

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

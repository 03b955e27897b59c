//! Pane output as tmux control mode writes it, read without unescaping it first.
//!
//! tmux (`control_write_output`) writes every byte below 0x20 and every `\` of a pane's
//! output as `\ooo`, three octal digits, and everything else raw. Unescaping a `%output`
//! line and then parsing the result reads every byte twice, and the unescaper's search for
//! the next `\` is the emulator's own search for the next control byte over again (an
//! escape every 13.5 bytes in vim's output). Here the ground state's text scan stops at `\`
//! as well, and the escapes that make up nearly all of them (`\033` before a sequence the
//! fast paths take whole, `\015\012`, single controls) are decoded where they are met.
//!
//! Everything else (a sequence vte has to parse, a string, a sequence or character cut by
//! the end of the data, bytes tmux never writes raw) is decoded a short piece at a time and
//! handed to [`Input::feed`], whose result does not depend on how its input is cut (see
//! `tests/invariants.rs`). So `feed_escaped(x)` does exactly what `feed(unescape(x))` does,
//! with `unescape` the protocol crate's (a malformed escape is kept as its `\`).

use super::strings::{self, Pre};
use super::{extent, parse_plain_csi, Ctx, Input, PLAIN_CSI_MAX};
use crate::params::{self, CsiParams};
use crate::screen::Screen;
use crate::vte_state::VteState;

/// Decoded bytes handed to [`Input::feed`] at a time where the fast path stops.
const PIECE: usize = 128;

impl Input {
    /// Feeds one `%output` line's data as tmux wrote it (`\ooo` escapes); the same as
    /// [`Input::feed`] of the unescaped bytes. An escape is never split across calls (tmux
    /// escapes each line whole); a sequence or character may be, and is carried as `feed`
    /// carries it.
    pub fn feed_escaped(&mut self, s: &mut Screen, data: &[u8]) {
        let mut at = 0;
        while at < data.len() {
            if self.carry_len == 0
                && self.ctx.shadow == VteState::Ground
                && self.ctx.pre == Pre::None
            {
                at += self
                    .ctx
                    .ground_escaped(s, &mut self.csi_params, &data[at..]);
                if at == data.len() {
                    break;
                }
            }
            let mut piece = [0u8; PIECE];
            let (read, written) = decode_piece(&data[at..], &mut piece);
            self.feed(s, &piece[..written]);
            at += read;
        }
    }
}

impl Ctx {
    /// The ground state's bytes at the start of `d` (escaped data, whole escapes), as
    /// [`Ctx::ground`] handles them once unescaped, and the escape sequences the fast paths
    /// take whole. Returns how many bytes of `d` were consumed: all of them, or up to an
    /// escape, sequence or character the general path must take (always at the start of an
    /// escape or of a raw byte).
    #[inline]
    fn ground_escaped(&mut self, s: &mut Screen, csi_params: &mut CsiParams, d: &[u8]) -> usize {
        let mut i = 0;
        let len = d.len();
        while i < len {
            let b = d[i];
            if is_text(b) {
                let start = i;
                i += 1 + text_prefix(&d[i + 1..]);
                self.print_ascii_run(s, &d[start..i]);
            } else if b == b'\\' {
                if d.get(i + 1..i + 4) == Some(b"033") {
                    // ESC: `d[i + 3]` stands for it in what the fast paths read.
                    match self.escape_escaped(s, csi_params, &d[i + 3..]) {
                        Some(n) => i += 3 + n,
                        None => return i,
                    }
                    if self.pre != Pre::None {
                        // A string started: its bytes are the general path's.
                        return i;
                    }
                } else if d.get(i + 1..i + 8) == Some(b"015\\012") {
                    // CR LF, as `ground` takes it.
                    s.end_item();
                    self.cut_utf8(s);
                    self.last = None;
                    i += 8;
                    if i < len && is_text(d[i]) {
                        let start = i;
                        i += 1 + text_prefix(&d[i + 1..]);
                        s.crlf_print_ascii_run(&d[start..i]);
                        self.last = Some((d[i - 1] as u32, 1));
                    } else {
                        s.carriage_return_linefeed();
                    }
                } else {
                    let (v, n) = decode_at(d, i);
                    match v {
                        0x20..=0x7e => self.print_ascii_run(s, std::slice::from_ref(&v)),
                        0x7f => s.end_item(),
                        // Not written by tmux (ESC is `\033`, handled above; top-bit bytes
                        // are raw): the general path.
                        0x1b | 0x80..=0xff => return i,
                        // A lone CR (one before an LF is taken above) or another C0 control.
                        _ => {
                            s.end_item();
                            self.execute(s, v);
                        }
                    }
                    i += n;
                }
            } else if b >= 0x80 {
                // UTF-8, as `ground` takes it: continuation bytes are never escaped, so the
                // character's bytes are the same here as unescaped.
                s.end_item();
                if self.utf8.have == 0 {
                    // ASCII in the run stops at a `\`, which starts an escape.
                    if let Some(n) = self.print_utf8(s, &d[i..], b'\\') {
                        i += n;
                        continue;
                    }
                    if extent(&d[i..]).is_none() {
                        // Cut by the end of the data: carried by the general path.
                        return i;
                    }
                }
                self.top_bit(s, b);
                i += 1;
            } else {
                // A raw control byte or DEL: not tmux's escaping, the general path.
                return i;
            }
        }
        len
    }

    /// The escape sequence after an ESC written `\033`, when one of the fast paths of
    /// [`Ctx::escape`] takes it whole and it holds no `\` (every byte of it then reads the
    /// same escaped or not): dispatched, and its length returned. `e[0]` stands for the ESC
    /// (the `3` of `\033`; never read). `None`, with nothing done, for anything else.
    #[inline]
    fn escape_escaped(
        &mut self,
        s: &mut Screen,
        csi_params: &mut CsiParams,
        e: &[u8],
    ) -> Option<usize> {
        // Only a final byte can be a `\` in what the CSI parsers accept (parameters and
        // intermediates are 0x20..=0x3f): the start of an escape, so not this sequence's.
        if e.len() >= 3 && e[1] == b'[' {
            let mut values = [0u16; PLAIN_CSI_MAX];
            if let Some((len, n, action)) = parse_plain_csi(e, &mut values) {
                if action == b'\\' {
                    return None;
                }
                s.end_item();
                self.csi_values(s, &values[..n], action as char);
                return Some(len);
            }
            let f = params::parse_fast_csi(e, csi_params)?;
            if f.action == b'\\' {
                return None;
            }
            s.end_item();
            self.csi(s, csi_params, &f.inter[..f.ninter], false, f.action as char);
            return Some(f.len);
        }
        let &b = e.get(1)?;
        if b == b'\\' {
            return None;
        }
        if strings::introduces(b) {
            s.end_item();
            self.start_string(b);
            return Some(2);
        }
        if matches!(b, 0x30..=0x4f | 0x51..=0x57 | 0x59 | 0x5a | 0x60..=0x7e) {
            s.end_item();
            self.esc(s, &[], false, b);
            return Some(2);
        }
        let &f = e.get(2)?;
        if (0x20..=0x2f).contains(&b) && (0x30..=0x7e).contains(&f) && f != b'\\' {
            s.end_item();
            self.esc(s, &[b], false, f);
            return Some(3);
        }
        None
    }
}

/// Printable ASCII other than `\` (which starts an escape).
#[inline(always)]
fn is_text(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'\\'
}

/// The byte the escape at `d[r]` (a `\`) stands for and how many bytes it takes: three
/// octal digits up to 0o377 after it, or else the `\` itself (as the protocol crate's
/// unescape keeps a malformed escape).
#[inline]
fn decode_at(d: &[u8], r: usize) -> (u8, usize) {
    if let Some(&[a, b, c]) = d.get(r + 1..r + 4) {
        let (a, b, c) = (
            a.wrapping_sub(b'0'),
            b.wrapping_sub(b'0'),
            c.wrapping_sub(b'0'),
        );
        if a < 4 && b < 8 && c < 8 {
            return ((a << 6) | (b << 3) | c, 4);
        }
    }
    (b'\\', 1)
}

/// Unescapes whole escapes from the start of `d` into `out` until it is full or `d` ends;
/// returns the bytes read and written.
fn decode_piece(d: &[u8], out: &mut [u8; PIECE]) -> (usize, usize) {
    let (mut r, mut w) = (0, 0);
    while r < d.len() && w < PIECE {
        let (b, n) = if d[r] == b'\\' {
            decode_at(d, r)
        } else {
            (d[r], 1)
        };
        out[w] = b;
        w += 1;
        r += n;
    }
    (r, w)
}

/// Length of the run of [`is_text`] bytes at the start of `b`, sixteen bytes at a time.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline]
fn text_prefix(b: &[u8]) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8,
        _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut i = 0;
    let mut c16 = b.chunks_exact(16);
    for c in &mut c16 {
        // SAFETY: `c` is exactly 16 readable bytes; `_mm_loadu_si128` needs no alignment.
        // The rest is SSE2 (x86_64 baseline) arithmetic on registers.
        let good = unsafe {
            let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
            // Signed compares: bytes >= 0x80 are negative, so they fail the first.
            let ge_space = _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f));
            let lt_del = _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_andnot_si128(backslash, _mm_and_si128(ge_space, lt_del))) as u32
        };
        if good != 0xffff {
            return i + (!good).trailing_zeros() as usize;
        }
        i += 16;
    }
    i + c16.remainder().iter().take_while(|&&x| is_text(x)).count()
}

/// Length of the run of [`is_text`] bytes at the start of `b`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn text_prefix(b: &[u8]) -> usize {
    b.iter().take_while(|&&x| is_text(x)).count()
}

#[cfg(test)]
mod tests {
    use super::{decode_piece, is_text, text_prefix, PIECE};

    #[test]
    fn printable_prefix_without_backslash_matches_a_bytewise_scan() {
        // Two blocks and a remainder; kept small, as Miri runs it (scripts/test-all).
        for len in 0..36usize {
            for bad_at in 0..=len {
                for bad in [0x1f, b'\\', 0x7f, 0x80] {
                    let mut v: Vec<u8> = (0..len).map(|i| 0x20 + ((i * 7) % 0x3c) as u8).collect();
                    if bad_at < len {
                        v[bad_at] = bad;
                    }
                    let want = v.iter().take_while(|&&b| is_text(b)).count();
                    assert_eq!(text_prefix(&v), want, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn pieces_decode_as_tmux_escapes() {
        let mut out = [0u8; PIECE];
        let (r, w) = decode_piece(b"a\\033[m\\015\\012\\134\\9\\400\\03", &mut out);
        assert_eq!(r, 28);
        assert_eq!(&out[..w], b"a\x1b[m\r\n\\\\9\\400\\03");
    }
}

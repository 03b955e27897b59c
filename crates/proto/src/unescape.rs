//! `%output` data unescaping, and the escaping tmux applies.
//!
//! tmux (`control_write_output`) writes every byte below 0x20 and every `\` as `\ooo`, three
//! octal digits. Everything else is sent raw, so UTF-8 passes through untouched.
//!
//! Malformed escapes cannot come from tmux; when they appear anyway (a `\` not followed by
//! three octal digits, or an octal value above 255) the bytes are kept as they are: the `\`
//! is copied and unescaping continues with the byte after it. Nothing here panics.

use memchr::{memchr, memchr2};

/// Appends `data` to `out` escaped as tmux writes `%output` data: every byte below 0x20 and
/// every `\` as `\ooo`, everything else as it is. For tools and tests that write control
/// streams; [`unescape_output`] undoes it.
///
/// Cost: one pass, at most four output bytes per input byte.
pub fn escape_output(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len());
    for &b in data {
        if b < b' ' || b == b'\\' {
            out.extend_from_slice(&[
                b'\\',
                b'0' + (b >> 6),
                b'0' + ((b >> 3) & 7),
                b'0' + (b & 7),
            ]);
        } else {
            out.push(b);
        }
    }
}

/// Undoes tmux's `%output` escaping as the parser does (a malformed escape keeps its `\`):
/// returns `data` itself when it holds no `\`, otherwise the result written into `buf`.
///
/// Cost: see the parser's unescape; allocates only when `buf` must grow.
pub fn unescape_output<'a>(data: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    unescape(data, buf)
}

/// Unescapes `data`; returns it borrowed when it holds no `\`, otherwise writes the result into
/// `buf` (grown to `data.len()` if shorter, never shrunk; its old contents are overwritten)
/// and returns the written prefix.
///
/// Cost: one `memchr` pass when there is no escape; otherwise one pass that copies short runs
/// between escapes a word at a time and long runs in bulk (about 7 instructions per byte on
/// escape-dense output). Allocates only when `buf` must grow.
pub(crate) fn unescape<'a>(data: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    let Some(first) = memchr(b'\\', data) else {
        return data;
    };
    // The output is never longer than the input. The buffer only grows (stale bytes past the
    // result are never read), so a warm buffer costs neither allocation nor clearing.
    if buf.len() < data.len() {
        buf.resize(data.len(), 0);
    }
    let out = &mut buf[..data.len()];
    out[..first].copy_from_slice(&data[..first]);
    // Invariants: `w <= r`, and at the top of the loop `data[r]` is a backslash.
    let (mut r, mut w) = (first, first);
    let len = 'unescape: loop {
        (r, w) = escape_at(data, out, r, w);
        // Copy the run up to the next backslash. Escapes cluster (`\015\012`, colour
        // sequences), so the first words are copied whole and searched in a register; a long
        // run falls back to `memchr` and one bulk copy.
        let mut words = 0;
        loop {
            if let Some(word) = data.get(r..r + 8) {
                if words == 2 {
                    let run = memchr(b'\\', &data[r..]).unwrap_or(data.len() - r);
                    out[w..w + run].copy_from_slice(&data[r..r + run]);
                    r += run;
                    w += run;
                    if r == data.len() {
                        break 'unescape w;
                    }
                    break;
                }
                out[w..w + 8].copy_from_slice(word);
                let k = backslash_in_word(word);
                if k < 8 {
                    r += k;
                    w += k;
                    break;
                }
                r += 8;
                w += 8;
                words += 1;
            } else {
                // Less than a word left.
                while let Some(&b) = data.get(r) {
                    if b == b'\\' {
                        break;
                    }
                    out[w] = b;
                    r += 1;
                    w += 1;
                }
                if r == data.len() {
                    break 'unescape w;
                }
                break;
            }
        }
    };
    &buf[..len]
}

/// Decodes the escape at `data[r]` (a backslash) into `out[w..]` and returns the positions
/// after it. ESC starts every escape sequence, and `\015\012` (CR LF) ends nearly every line
/// of output (both at once): the two escapes that make up most of them. Requires `w <= r`
/// and `out` as long as `data`.
#[inline(always)]
fn escape_at(data: &[u8], out: &mut [u8], r: usize, w: usize) -> (usize, usize) {
    if data.get(r..r + 4) == Some(b"\\033") {
        out[w] = 0x1b;
        (r + 4, w + 1)
    } else if data.get(r..r + 8) == Some(b"\\015\\012") {
        out[w] = b'\r';
        out[w + 1] = b'\n';
        (r + 8, w + 2)
    } else if let Some(b) = decode_octal(&data[r + 1..]) {
        out[w] = b;
        (r + 4, w + 1)
    } else {
        // Not an escape tmux writes: keep the backslash and go on after it.
        out[w] = b'\\';
        (r + 1, w + 1)
    }
}

/// Unescapes `%output` data up to the first `\n` in `data` (the rest of a line and whatever
/// follows it in the input): one pass that finds the line's end and unescapes it together, so
/// its bytes are read once. Returns the unescaped data (borrowed when it holds no `\`,
/// otherwise written into `buf` as [`unescape`] does) and the offset of the `\n`; `None` when
/// `data` holds no `\n` (the line continues past it). Malformed escapes are kept as
/// [`unescape`] keeps them: an escape never takes in the `\n`.
///
/// Cost: as [`unescape`], plus a second compare per word for the `\n`. `buf` grows to
/// `data.len()` (not to the line's length) when the line holds an escape, so a caller bounds
/// `data` by its line limit.
pub(crate) fn unescape_line<'a>(data: &'a [u8], buf: &'a mut Vec<u8>) -> Option<(&'a [u8], usize)> {
    let first = memchr2(b'\\', b'\n', data)?;
    if data[first] == b'\n' {
        return Some((&data[..first], first));
    }
    if buf.len() < data.len() {
        buf.resize(data.len(), 0);
    }
    let out = &mut buf[..data.len()];
    out[..first].copy_from_slice(&data[..first]);
    // Invariants: `w <= r`, and at the top of the loop `data[r]` is a backslash.
    let (mut r, mut w) = (first, first);
    let len = loop {
        (r, w) = escape_at(data, out, r, w);
        // The run up to the next backslash or the line's end, as in `unescape`.
        let mut words = 0;
        loop {
            if let Some(word) = data.get(r..r + 8) {
                if words == 2 {
                    let run = memchr2(b'\\', b'\n', &data[r..])?;
                    out[w..w + run].copy_from_slice(&data[r..r + run]);
                    r += run;
                    w += run;
                    break;
                }
                out[w..w + 8].copy_from_slice(word);
                let k = stop_in_word(word);
                if k < 8 {
                    r += k;
                    w += k;
                    break;
                }
                r += 8;
                w += 8;
                words += 1;
            } else {
                // Less than a word left.
                loop {
                    match data.get(r) {
                        None => return None,
                        Some(b'\\' | b'\n') => break,
                        Some(&b) => {
                            out[w] = b;
                            r += 1;
                            w += 1;
                        }
                    }
                }
                break;
            }
        }
        if data[r] == b'\n' {
            break w;
        }
    };
    Some((&buf[..len], r))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const BACKSLASHES: u64 = ONES * b'\\' as u64;

/// Index of the first `\` in an 8-byte `word`, or 8 when there is none.
#[inline]
fn backslash_in_word(word: &[u8]) -> usize {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    // Zero bytes of `x` are backslashes of `word`; the lowest flagged byte is exact.
    let x = u64::from_le_bytes(bytes) ^ BACKSLASHES;
    let found = x.wrapping_sub(ONES) & !x & HIGHS;
    (found.trailing_zeros() / 8) as usize
}

const NEWLINES: u64 = ONES * b'\n' as u64;

/// Index of the first `\` or `\n` in an 8-byte `word`, or 8 when there is none.
#[inline]
fn stop_in_word(word: &[u8]) -> usize {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    let v = u64::from_le_bytes(bytes);
    // As `backslash_in_word`, for both bytes: each one's lowest flagged byte is exact, so the
    // lowest of either is too.
    let (b, n) = (v ^ BACKSLASHES, v ^ NEWLINES);
    let found = (b.wrapping_sub(ONES) & !b | n.wrapping_sub(ONES) & !n) & HIGHS;
    (found.trailing_zeros() / 8) as usize
}

/// Three octal digits at the start of `rest` with a value that fits a byte.
#[inline]
fn decode_octal(rest: &[u8]) -> Option<u8> {
    let &[a, b, c, ..] = rest else {
        return None;
    };
    let (a, b, c) = (
        a.wrapping_sub(b'0'),
        b.wrapping_sub(b'0'),
        c.wrapping_sub(b'0'),
    );
    (a < 4 && b < 8 && c < 8).then_some((a << 6) | (b << 3) | c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(data: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        unescape(data, &mut buf).to_vec()
    }

    #[test]
    fn escaping_writes_controls_and_backslash_as_octal() {
        let mut out = b"x".to_vec();
        escape_output(b"a\r\n\\\x1b[1m\x7f\xc3\xa9", &mut out);
        assert_eq!(out, b"xa\\015\\012\\134\\033[1m\x7f\xc3\xa9");
    }

    #[test]
    fn every_byte_escaped_comes_back() {
        let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        let mut escaped = Vec::new();
        escape_output(&all, &mut escaped);
        assert!(
            escaped.iter().all(|&b| b >= b' '),
            "a control byte left unescaped"
        );
        let mut buf = Vec::new();
        assert_eq!(unescape_output(&escaped, &mut buf), &all[..]);
    }

    #[test]
    fn no_escape_is_borrowed() {
        let data = b"hello world";
        let mut buf = Vec::new();
        let out = unescape(data, &mut buf);
        assert_eq!(out.as_ptr(), data.as_ptr());
        assert!(buf.is_empty());
    }

    #[test]
    fn octal_escapes_decode() {
        assert_eq!(un(b"\\033[?2004h"), b"\x1b[?2004h");
        assert_eq!(un(b"a\\015\\012b"), b"a\r\nb");
        assert_eq!(un(b"printf \"float\\134n\""), b"printf \"float\\n\"");
        assert_eq!(un(b"\\000\\377"), b"\x00\xff");
        assert_eq!(un(b"\\134\\134"), b"\\\\");
    }

    #[test]
    fn malformed_escapes_are_kept() {
        assert_eq!(un(b"\\"), b"\\");
        assert_eq!(un(b"x\\"), b"x\\");
        assert_eq!(un(b"\\12"), b"\\12");
        assert_eq!(un(b"\\400"), b"\\400");
        assert_eq!(un(b"\\08x"), b"\\08x");
        assert_eq!(un(b"\\q\\033"), b"\\q\x1b");
        assert_eq!(un(b"\\\\033"), b"\\\x1b");
    }

    #[test]
    fn word_search_finds_the_first_backslash() {
        for i in 0..8 {
            let mut w = [0xdcu8; 8];
            w[i] = b'\\';
            if i + 1 < 8 {
                w[i + 1] = b'\\';
            }
            assert_eq!(backslash_in_word(&w), i);
        }
        assert_eq!(
            backslash_in_word(&[0x5b, 0x5d, 0xdc, 0, 0xff, b'a', 0x1c, 0x5c - 1]),
            8
        );
    }

    /// A plain byte-at-a-time unescaper to compare with.
    fn reference(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            if let [b'\\', a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] = data[i..] {
                out.push(((a - b'0') << 6) | ((b - b'0') << 3) | (c - b'0'));
                i += 4;
                continue;
            }
            out.push(data[i]);
            i += 1;
        }
        out
    }

    #[test]
    fn agrees_with_a_byte_at_a_time_reference() {
        // Deterministic pseudo-random inputs dense in backslashes, digits and high bytes, of
        // every length up to 80, through one shared (stale) buffer.
        let alphabet = b"\\\\\\0123477789abc\xdc\xff ";
        let mut seed = 0x2545_f491_u32;
        let mut buf = Vec::new();
        for len in 0..80 {
            for _ in 0..200 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        alphabet[seed as usize % alphabet.len()]
                    })
                    .collect();
                assert_eq!(unescape(&data, &mut buf), reference(&data), "{data:?}");
            }
        }
    }

    #[test]
    fn common_escapes_agree_with_the_reference() {
        // ESC and CR LF escapes and their near misses, glued in every order.
        let tokens: [&[u8]; 11] = [
            b"\\033",
            b"\\03",
            b"\\0339[",
            b"\\015\\012",
            b"\\015",
            b"\\012",
            b"\\015\\01",
            b"\\",
            b"7",
            b"x",
            b"\\015\\012\\015\\012",
        ];
        let mut seed = 0x9e37_79b9_u32;
        let mut buf = Vec::new();
        for n in 0..12 {
            for _ in 0..300 {
                let mut data = Vec::new();
                for _ in 0..n {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    data.extend_from_slice(tokens[seed as usize % tokens.len()]);
                }
                assert_eq!(unescape(&data, &mut buf), reference(&data), "{data:?}");
            }
        }
    }

    #[test]
    fn line_unescape_agrees_with_the_reference_up_to_the_first_newline() {
        // As above, with line ends and CRs among the bytes, through one stale buffer.
        let alphabet = b"\\\\\\0123477789abc\xdc\xff \n\r";
        let mut seed = 0x1234_5679_u32;
        let mut buf = Vec::new();
        for len in 0..80 {
            for _ in 0..200 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        alphabet[seed as usize % alphabet.len()]
                    })
                    .collect();
                let want = data
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|nl| (reference(&data[..nl]), nl));
                let got = unescape_line(&data, &mut buf).map(|(d, nl)| (d.to_vec(), nl));
                assert_eq!(got, want, "{data:?}");
            }
        }
    }

    #[test]
    fn line_unescape_stops_at_the_line_end() {
        let mut buf = Vec::new();
        let data = b"a\\033b\nc\\033d\n";
        let (out, nl) = unescape_line(data, &mut buf).expect("a line end");
        assert_eq!((out, nl), (&b"a\x1bb"[..], 6));
        // Long runs (the bulk search) and no escape at all (borrowed).
        let long = [&b"\\033"[..], &[b'x'; 40], b"\n\\033"].concat();
        let (out, nl) = unescape_line(&long, &mut buf).expect("a line end");
        assert_eq!((out.len(), nl), (41, 44));
        let plain = b"plain\nmore";
        let (out, nl) = unescape_line(plain, &mut buf).expect("a line end");
        assert_eq!((out.as_ptr(), nl), (plain.as_ptr(), 5));
        assert_eq!(unescape_line(b"no end \\033", &mut buf), None);
        assert_eq!(unescape_line(&long[..43], &mut buf), None);
    }

    #[test]
    fn buffer_is_reused() {
        let mut buf = Vec::new();
        let _ = unescape(b"\\033aaaaaaaaaaaaaaaaaaaaaaaaaaa", &mut buf);
        let cap = buf.capacity();
        let ptr = buf.as_ptr();
        assert_eq!(unescape(b"\\033b", &mut buf), b"\x1bb");
        assert_eq!(buf.capacity(), cap);
        assert_eq!(buf.as_ptr(), ptr);
    }
}

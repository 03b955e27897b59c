//! `%output` data unescaping.
//!
//! tmux (`control_write_output`) writes every byte below 0x20 and every `\` as `\ooo`, three
//! octal digits. Everything else is sent raw, so UTF-8 passes through untouched.
//!
//! Malformed escapes cannot come from tmux; when they appear anyway (a `\` not followed by
//! three octal digits, or an octal value above 255) the bytes are kept as they are: the `\`
//! is copied and unescaping continues with the byte after it. Nothing here panics.

use memchr::memchr;

/// Unescapes `data`; returns it borrowed when it holds no `\`, otherwise writes the result into
/// `buf` (cleared first, its capacity reused) and returns that.
///
/// Cost: one `memchr` pass when there is no escape; otherwise one pass that copies the runs
/// between escapes in bulk. Allocates only when `buf` must grow.
pub(crate) fn unescape<'a>(data: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    let Some(first) = memchr(b'\\', data) else {
        return data;
    };
    buf.clear();
    buf.reserve(data.len());
    buf.extend_from_slice(&data[..first]);
    let mut at = first;
    loop {
        // `data[at]` is a backslash.
        let next = match decode_octal(&data[at + 1..]) {
            Some(b) => {
                buf.push(b);
                at + 4
            }
            None => {
                // Not an escape tmux writes: keep the backslash and go on after it.
                buf.push(b'\\');
                at + 1
            }
        };
        let rest = &data[next..];
        match find_backslash(rest) {
            Some(off) => {
                buf.extend_from_slice(&rest[..off]);
                at = next + off;
            }
            None => {
                buf.extend_from_slice(rest);
                return buf;
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const BACKSLASHES: u64 = ONES * b'\\' as u64;

/// The first `\` in `s`. Escapes come in clusters (`\015\012`, colour sequences), so the next
/// 16 bytes are checked a word at a time before paying for a `memchr` call.
#[inline]
fn find_backslash(s: &[u8]) -> Option<usize> {
    let mut off = 0;
    while off < 16 {
        let Some(word) = s.get(off..off + 8) else {
            break;
        };
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        // Zero bytes of `x` are backslashes of `word`; the lowest flagged byte is exact.
        let x = u64::from_le_bytes(bytes) ^ BACKSLASHES;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(off + (found.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    memchr(b'\\', &s[off..]).map(|p| p + off)
}

/// Three octal digits at the start of `rest` with a value that fits a byte.
#[inline]
fn decode_octal(rest: &[u8]) -> Option<u8> {
    match rest {
        [a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] => {
            Some(((a - b'0') << 6) | ((b - b'0') << 3) | (c - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(data: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        unescape(data, &mut buf).to_vec()
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
    fn backslash_search_agrees_with_memchr() {
        let mut data = vec![b'a'; 64];
        assert_eq!(find_backslash(&data), None);
        for i in 0..64 {
            data[i] = b'\\';
            // High bytes around it must not fool the word-wise check.
            if i + 1 < 64 {
                data[i + 1] = 0xdc;
            }
            for start in 0..=i {
                assert_eq!(
                    find_backslash(&data[start..]),
                    Some(i - start),
                    "{i} {start}"
                );
            }
            data[i] = 0x5b;
        }
        assert_eq!(find_backslash(b"\\"), Some(0));
        assert_eq!(find_backslash(b""), None);
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

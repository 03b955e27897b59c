//! Where a copied selection goes: the outer terminal's clipboard (OSC 52) and a tmux paste
//! buffer (`set-buffer`).
//!
//! The selection is pane text, so it came from tmux and may hold anything a program printed.
//! It reaches tmux only as one double-quoted word built by the protocol crate's
//! [`quote_arg`] (every byte outside printable ASCII, and `"` `\` `$` `~`, as a `\ooo`
//! escape, which tmux's parser reads back exactly), with `;` escaped as well (`\073`: the
//! runtime's raw-command check refuses any `;`, quoted or not). The command line is thus
//! printable ASCII whatever the text. `set-buffer` does not expand formats in its data
//! (tmux 3.3a `cmd-set-buffer.c`). It reaches the outer terminal only base64-encoded.

use muxlink_proto::command::quote_arg;

/// Longest selection copied, in bytes (UTF-8). Longer selections are cut here, at a
/// character boundary.
pub(super) const COPY_MAX: usize = 1 << 20;

/// `ESC ] 52 ; c ; BASE64 BEL`: asks the outer terminal to put `text` on its clipboard.
pub(super) fn osc52(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 4 / 3 + 12);
    out.extend_from_slice(b"\x1b]52;c;");
    base64(text, &mut out);
    out.push(0x07);
    out
}

/// The command text `set-buffer -- "TEXT"` for [`muxlink_runtime::Client::raw_command`]:
/// printable ASCII, one line, no `;`. `None` for text tmux cannot hold (a NUL byte) or
/// empty text (tmux refuses an empty buffer).
pub(super) fn set_buffer_command(text: &[u8]) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut quoted = Vec::with_capacity(text.len() + 16);
    quote_arg(&mut quoted, text).ok()?;
    let mut line = String::with_capacity(quoted.len() + 16);
    line.push_str("set-buffer -- ");
    for &b in &quoted {
        if b == b';' {
            line.push_str("\\073");
        } else {
            // `quote_arg` writes printable ASCII only.
            line.push(char::from(b));
        }
    }
    Some(line)
}

/// Cuts `text` to at most `max` bytes at a character boundary.
pub(super) fn truncate_utf8(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

/// Standard base64 (RFC 4648, with padding), appended to `out`.
fn base64(data: &[u8], out: &mut Vec<u8>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]);
            } else {
                out.push(b'=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = Vec::new();
            base64(input.as_bytes(), &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{input}");
        }
        assert_eq!(osc52(b"hi"), b"\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn set_buffer_is_one_safe_line() {
        let hostile = "a;b \"q\" $HOME ~x #{pane_id} \\ \x1b]2;t\x07\nnext 日";
        let line = set_buffer_command(hostile.as_bytes()).unwrap();
        assert!(line.starts_with("set-buffer -- \""), "{line}");
        assert!(line.ends_with('"'), "{line}");
        assert!(
            line.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "printable ASCII only: {line}"
        );
        assert!(!line.contains(';'), "{line}");
        // What tmux's parser reads back inside the quotes: undo the octal escapes.
        let body = &line["set-buffer -- \"".len()..line.len() - 1];
        let mut back = Vec::new();
        let b = body.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
                back.push(v);
                i += 4;
            } else {
                assert!(!matches!(b[i], b'"' | b'$' | b'~'), "{line}");
                back.push(b[i]);
                i += 1;
            }
        }
        assert_eq!(back, hostile.as_bytes());
        assert_eq!(set_buffer_command(b""), None);
        assert_eq!(set_buffer_command(b"a\0b"), None);
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        let mut s = "aé日".to_string();
        assert!(truncate_utf8(&mut s, 4));
        assert_eq!(s, "aé");
        assert!(!truncate_utf8(&mut s, 10));
    }
}

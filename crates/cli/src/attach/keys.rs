//! Keys as copy mode reads them: terminal input bytes decoded into named keys (arrows,
//! pages, control and meta combinations), as tmux's own key table names them.

/// One key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyCode {
    Char(char),
    /// Control with a letter (`Ctrl('a')`), or `Ctrl(' ')` for NUL (Ctrl-Space).
    Ctrl(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Escape,
    Backspace,
    Tab,
    /// A sequence copy mode has no use for.
    Other,
}

/// A key and whether Meta (Alt, a leading `ESC`) was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) code: KeyCode,
    pub(super) meta: bool,
}

impl Key {
    pub(super) fn plain(code: KeyCode) -> Key {
        Key { code, meta: false }
    }
}

/// Decodes `bytes` (one read of typed keys, pastes and mouse reports already cut out) into
/// keys. A lone `ESC` at the end is the Escape key; `ESC` before another key is Meta.
pub(super) fn decode(bytes: &[u8]) -> Vec<Key> {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (key, used) = decode_one(&chars[i..]);
        out.push(key);
        i += used.max(1);
    }
    out
}

fn decode_one(c: &[char]) -> (Key, usize) {
    match c[0] {
        '\x1b' => match c.get(1) {
            None => (Key::plain(KeyCode::Escape), 1),
            Some('[') => csi(&c[2..]).map_or((Key::plain(KeyCode::Other), 2), |(k, n)| (k, n + 2)),
            Some('O') if c.len() > 2 => (Key::plain(ss3(c[2])), 3),
            Some('\x1b') => (Key::plain(KeyCode::Escape), 1),
            Some(_) => {
                let (mut k, n) = decode_one(&c[1..]);
                k.meta = true;
                (k, n + 1)
            }
        },
        ch => (Key::plain(simple(ch)), 1),
    }
}

fn simple(ch: char) -> KeyCode {
    match ch {
        '\r' | '\n' => KeyCode::Enter,
        '\t' => KeyCode::Tab,
        '\x7f' | '\x08' => KeyCode::Backspace,
        '\0' => KeyCode::Ctrl(' '),
        '\x01'..='\x1a' => KeyCode::Ctrl(char::from(b'a' + (ch as u8) - 1)),
        c if (c as u32) < 0x20 => KeyCode::Other,
        c => KeyCode::Char(c),
    }
}

fn ss3(c: char) -> KeyCode {
    match c {
        'A' => KeyCode::Up,
        'B' => KeyCode::Down,
        'C' => KeyCode::Right,
        'D' => KeyCode::Left,
        'H' => KeyCode::Home,
        'F' => KeyCode::End,
        _ => KeyCode::Other,
    }
}

/// `ESC [` then parameters and a final byte (already past the `ESC [`).
fn csi(c: &[char]) -> Option<(Key, usize)> {
    let end = c.iter().position(|&ch| ('\x40'..='\x7e').contains(&ch))?;
    let params: String = c[..end].iter().collect();
    let first = params.split(';').next().unwrap_or("");
    let code = match c[end] {
        'A' => KeyCode::Up,
        'B' => KeyCode::Down,
        'C' => KeyCode::Right,
        'D' => KeyCode::Left,
        'H' => KeyCode::Home,
        'F' => KeyCode::End,
        '~' => match first {
            "1" | "7" => KeyCode::Home,
            "4" | "8" => KeyCode::End,
            "5" => KeyCode::PageUp,
            "6" => KeyCode::PageDown,
            _ => KeyCode::Other,
        },
        _ => KeyCode::Other,
    };
    Some((Key::plain(code), end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_terminals_send() {
        let keys = decode(b"q/\x1b[A\x1bOB\x1b[5~\x1b[6~\x1b[1;5C\x02\x00\r\x1bv\x1bw\x7f\x1b");
        let codes: Vec<(KeyCode, bool)> = keys.iter().map(|k| (k.code, k.meta)).collect();
        assert_eq!(
            codes,
            vec![
                (KeyCode::Char('q'), false),
                (KeyCode::Char('/'), false),
                (KeyCode::Up, false),
                (KeyCode::Down, false),
                (KeyCode::PageUp, false),
                (KeyCode::PageDown, false),
                (KeyCode::Right, false),
                (KeyCode::Ctrl('b'), false),
                (KeyCode::Ctrl(' '), false),
                (KeyCode::Enter, false),
                (KeyCode::Char('v'), true),
                (KeyCode::Char('w'), true),
                (KeyCode::Backspace, false),
                (KeyCode::Escape, false),
            ]
        );
        assert_eq!(decode("é".as_bytes())[0].code, KeyCode::Char('é'));
    }
}

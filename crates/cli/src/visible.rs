//! Text from tmux shown to a person: control characters made visible, so that an exit
//! reason, a refusal or an error line can never move the cursor, set a title or switch
//! the screen of the terminal it is printed on.

/// `text` with every control character (C0, DEL, C1) and the escape character written as
/// a visible escape (`\e`, `\n`, `\x07`, `\u{9b}`); everything else unchanged. Allocates.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// [`visible`] for raw bytes (invalid UTF-8 replaced first).
pub fn visible_bytes(bytes: &[u8]) -> String {
    visible(&String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        let hostile = "bye\x1b]2;pwned\x07\x1b[?1049h\r\n\u{9b}31m\\";
        let v = visible(hostile);
        assert_eq!(v, "bye\\e]2;pwned\\x07\\e[?1049h\\r\\n\\u{9b}31m\\\\");
        assert!(v.chars().all(|c| !c.is_control()), "{v}");
        assert_eq!(visible("server exited"), "server exited");
        assert_eq!(visible("ünïcode ✓"), "ünïcode ✓");
        assert_eq!(visible_bytes(b"a\x00b\xff"), "a\\x00b\u{fffd}");
    }
}

//! A small JSON writer for the CLI's line-oriented output.
//!
//! `muxlink parse` prints one object per event, millions of them for a flood, so objects are
//! built into one reused `Vec<u8>` with a table-driven string escaper instead of going
//! through a generic serializer. Byte strings from tmux are written as JSON strings with
//! invalid UTF-8 replaced by U+FFFD, exactly as `String::from_utf8_lossy` would.

/// Bytes that must be escaped inside a JSON string: control characters, `"` and `\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` (valid UTF-8) with JSON escapes, without the surrounding quotes.
fn push_escaped(buf: &mut Vec<u8>, s: &[u8]) {
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        buf.extend_from_slice(&s[start..i]);
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            _ => buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]),
        }
        start = i + 1;
    }
    buf.extend_from_slice(&s[start..]);
}

/// Appends `bytes` as a quoted JSON string, invalid UTF-8 replaced by U+FFFD (one per
/// maximal invalid sequence, as `String::from_utf8_lossy` does).
pub fn push_str_lossy(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.push(b'"');
    for chunk in bytes.utf8_chunks() {
        push_escaped(buf, chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            buf.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }
    buf.push(b'"');
}

/// Appends an unsigned integer in decimal.
pub fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Writes one JSON object's members into a buffer: `{"k":v,...}`.
pub struct Obj<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Obj<'b> {
    /// Opens an object (`{`) at the end of `buf`.
    pub fn open(buf: &'b mut Vec<u8>) -> Self {
        buf.push(b'{');
        Obj { buf, first: true }
    }

    /// Writes `"key":` and returns the buffer for a value the caller writes itself.
    pub fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        push_escaped(self.buf, key.as_bytes());
        self.buf.extend_from_slice(b"\":");
        self.buf
    }

    /// A string member from bytes (lossy UTF-8).
    pub fn bytes(&mut self, key: &str, value: &[u8]) -> &mut Self {
        push_str_lossy(self.key(key), value);
        self
    }

    /// A string member.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        push_str_lossy(self.key(key), value.as_bytes());
        self
    }

    /// A string member from bytes, or `null`.
    pub fn opt_bytes(&mut self, key: &str, value: Option<&[u8]>) -> &mut Self {
        match value {
            Some(v) => self.bytes(key, v),
            None => self.null(key),
        }
    }

    /// A string member from anything printable (ids print as `%N`, `@N`, `$N`).
    pub fn display(&mut self, key: &str, value: impl std::fmt::Display) -> &mut Self {
        use std::io::Write;
        let buf = self.key(key);
        buf.push(b'"');
        let start = buf.len();
        let _ = write!(buf, "{value}");
        // Ids and numbers never need escaping; anything else does.
        if buf[start..].iter().any(|&b| NEEDS_ESCAPE[b as usize]) {
            let raw = buf.split_off(start);
            push_escaped(buf, &raw);
        }
        buf.push(b'"');
        self
    }

    /// An optional displayable member, or `null`.
    pub fn opt_display(&mut self, key: &str, value: Option<impl std::fmt::Display>) -> &mut Self {
        match value {
            Some(v) => self.display(key, v),
            None => self.null(key),
        }
    }

    /// An unsigned integer member.
    pub fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        push_u64(self.key(key), value);
        self
    }

    /// A signed integer member.
    pub fn i64(&mut self, key: &str, value: i64) -> &mut Self {
        let buf = self.key(key);
        if value < 0 {
            buf.push(b'-');
        }
        push_u64(buf, value.unsigned_abs());
        self
    }

    /// An optional unsigned integer member, or `null`.
    pub fn opt_u64(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.u64(key, v),
            None => self.null(key),
        }
    }

    /// A boolean member.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key)
            .extend_from_slice(if value { b"true" } else { b"false" });
        self
    }

    /// A `null` member.
    pub fn null(&mut self, key: &str) -> &mut Self {
        self.key(key).extend_from_slice(b"null");
        self
    }

    /// An array of strings from byte slices (lossy UTF-8).
    pub fn bytes_array<'x>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = &'x [u8]>,
    ) -> &mut Self {
        let buf = self.key(key);
        buf.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_str_lossy(buf, item);
        }
        buf.push(b']');
        self
    }

    /// Closes the object (`}`).
    pub fn close(self) {
        self.buf.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lossy(bytes: &[u8]) -> String {
        let mut buf = Vec::new();
        push_str_lossy(&mut buf, bytes);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn escapes_match_serde_json() {
        let cases: &[&[u8]] = &[
            b"",
            b"plain",
            b"quote\" back\\ nl\n cr\r tab\t bs\x08 ff\x0c nul\0 esc\x1b del\x7f",
            "caf\u{e9} \u{4e2d} \u{1f600}".as_bytes(),
        ];
        for &c in cases {
            let s = std::str::from_utf8(c).unwrap();
            let ours = lossy(c);
            let parsed: String = serde_json::from_str(&ours).unwrap();
            assert_eq!(parsed, s);
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_like_from_utf8_lossy() {
        let cases: &[&[u8]] = &[
            b"\xff",
            b"a\xc3",
            b"\xe4\xb8 x",
            b"\xf0\x9f\x98",
            b"ok\xed\xa0\x80ok",
            b"\xc3\xa9\xff\xfe\"",
        ];
        for &c in cases {
            let parsed: String = serde_json::from_str(&lossy(c)).unwrap();
            assert_eq!(parsed, String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn numbers_and_objects() {
        let mut buf = Vec::new();
        let mut o = Obj::open(&mut buf);
        o.u64("zero", 0)
            .u64("max", u64::MAX)
            .bool("t", true)
            .null("n")
            .display("pane", "%7")
            .opt_u64("none", None)
            .bytes_array("lines", [&b"a"[..], b"b\"c"]);
        o.close();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["zero"], 0);
        assert_eq!(v["max"], u64::MAX);
        assert_eq!(v["t"], true);
        assert!(v["n"].is_null());
        assert_eq!(v["pane"], "%7");
        assert!(v["none"].is_null());
        assert_eq!(v["lines"][1], "b\"c");
    }
}

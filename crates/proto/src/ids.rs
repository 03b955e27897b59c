//! Numeric tmux object ids: `%12` panes, `@3` windows, `$1` sessions.
//!
//! Outgoing commands are built from these ids only, never from strings that came from tmux.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $sigil:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The sigil tmux writes before the number.
            pub const SIGIL: u8 = $sigil;

            /// Parses `<sigil><digits>` exactly (no sign, no spaces, fits in `u32`).
            pub fn parse(bytes: &[u8]) -> Option<Self> {
                match bytes.split_first() {
                    Some((&s, digits)) if s == $sigil => parse_u32(digits).map($name),
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $sigil as char, self.0)
            }
        }
    };
}

id_type!(
    /// A pane id, `%N`.
    PaneId,
    b'%'
);
id_type!(
    /// A window id, `@N`.
    WindowId,
    b'@'
);
id_type!(
    /// A session id, `$N`.
    SessionId,
    b'$'
);

/// Parses a non-empty run of ASCII digits into a `u32`; `None` on anything else or overflow.
// Inline: on every `%output` line; left out of line, it cost libmuxlink.so 2% more
// instructions than the same stream through the Rust API (muxlink-bench ffi group).
#[inline]
pub fn parse_u32(digits: &[u8]) -> Option<u32> {
    parse_u64(digits).and_then(|v| u32::try_from(v).ok())
}

/// Parses a non-empty run of ASCII digits into a `u64`; `None` on anything else or overflow.
#[inline]
pub fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print() {
        assert_eq!(PaneId::parse(b"%12"), Some(PaneId(12)));
        assert_eq!(WindowId::parse(b"@3"), Some(WindowId(3)));
        assert_eq!(SessionId::parse(b"$1"), Some(SessionId(1)));
        assert_eq!(PaneId::parse(b"@12"), None);
        assert_eq!(PaneId::parse(b"%"), None);
        assert_eq!(PaneId::parse(b"%1x"), None);
        assert_eq!(PaneId::parse(b"%99999999999"), None);
        assert_eq!(PaneId(7).to_string(), "%7");
        assert_eq!(WindowId(0).to_string(), "@0");
        assert_eq!(SessionId(4).to_string(), "$4");
    }
}

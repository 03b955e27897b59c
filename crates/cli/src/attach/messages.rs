//! What `muxlink attach` says to the person when it ends, in tmux's own words, and how text
//! from tmux is made safe for their terminal.
//!
//! A control client is never told why it left: tmux 3.3a ends a `tmux -C` client with a bare
//! `%exit` for a detach, a killed session and a killed server alike (its client process
//! keeps the reason only for attached terminal clients: `client.c`, `client_exit_message`).
//! So attach works the reason out: it knows when it asked to detach itself, and otherwise
//! asks the server afterwards (local servers) or reads the stream (`%sessions-changed` just
//! before `%exit`: the session went away). A server that is gone afterwards was killed when
//! it had other sessions; when the session was its only one, the session ended (its last
//! shell exited, or it was killed) and the server followed it, which tmux's own client
//! reports as `[exited]` (a `kill-server` of a one-session server reads the same here).
//! The words are tmux's:
//! `[detached (from session NAME)]`, `[exited]`, `[server exited]`, `[terminated]`,
//! `[lost tty]`, `[server exited unexpectedly]`.

use std::fmt::Write as _;

/// Why `attach` ended, as the person is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ending {
    /// Detached (by this client's key, another client, or a signal's grace ran out), from
    /// the named session. The name is tmux's bytes.
    Detached { session: Option<Vec<u8>> },
    /// The session was destroyed (killed, or its last window closed).
    Exited,
    /// The server was killed.
    ServerExited,
    /// The connection to the server went away without tmux saying anything.
    LostServer,
    /// `SIGTERM` (and `SIGINT`/`SIGQUIT` sent by `kill`).
    Terminated,
    /// `SIGHUP`: the terminal went away.
    LostTty,
    /// tmux's own reason (`%exit REASON`), or a transport's description: shown as given,
    /// made visible.
    Said(String),
}

impl Ending {
    /// The line printed after the terminal is restored, with brackets, as tmux prints it.
    pub(super) fn line(&self) -> String {
        match self {
            Ending::Detached {
                session: Some(name),
            } => {
                format!("[detached (from session {})]", visible(name))
            }
            Ending::Detached { session: None } => "[detached]".into(),
            Ending::Exited => "[exited]".into(),
            Ending::ServerExited => "[server exited]".into(),
            Ending::LostServer => "[server exited unexpectedly]".into(),
            Ending::Terminated => "[terminated]".into(),
            Ending::LostTty => "[lost tty]".into(),
            Ending::Said(s) => format!("[{}]", visible(s.as_bytes())),
        }
    }
}

/// What the server looked like after a bare `%exit`, when it could be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ServerAfter {
    /// No server answered.
    Gone,
    /// The server runs; the session is gone.
    SessionGone,
    /// The server runs with the session.
    SessionThere,
    /// Not asked (a remote server).
    Unknown,
}

/// The ending for a bare `%exit` that this client did not ask for.
///
/// `sessions_changed_last` says whether `%sessions-changed` came just before the `%exit`
/// (tmux sends it when a session is destroyed, also when the server is killed);
/// `other_sessions` whether the server had sessions besides this one.
pub(super) fn bare_exit(
    after: ServerAfter,
    sessions_changed_last: bool,
    other_sessions: bool,
    session: Option<Vec<u8>>,
) -> Ending {
    match after {
        ServerAfter::Gone if other_sessions => Ending::ServerExited,
        ServerAfter::Gone => Ending::Exited,
        ServerAfter::SessionGone => Ending::Exited,
        ServerAfter::SessionThere => Ending::Detached { session },
        ServerAfter::Unknown if sessions_changed_last => Ending::Exited,
        ServerAfter::Unknown => Ending::Detached { session },
    }
}

/// Text from tmux made safe to write to a terminal: valid UTF-8 is kept, invalid bytes become
/// U+FFFD, and every control character is shown visibly, as `cat -v` does: C0 as `^@`..`^_`,
/// DEL as `^?`, C1 (U+0080..U+009F) as `M-^@`..`M-^_`. Nothing in the result can start an
/// escape sequence, move the cursor or ring the bell.
pub(super) fn visible(text: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(lossy.len());
    for c in lossy.chars() {
        push_visible(&mut out, c);
    }
    out
}

/// Appends `c` to `out`, in caret notation when it is a control character.
pub(super) fn push_visible(out: &mut String, c: char) {
    let v = c as u32;
    match v {
        0..=0x1f => {
            out.push('^');
            out.push(char::from(b'@' + v as u8));
        }
        0x7f => out.push_str("^?"),
        0x80..=0x9f => {
            let _ = write!(out, "M-^{}", char::from(b'@' + (v - 0x80) as u8));
        }
        _ => out.push(c),
    }
}

/// Whether [`push_visible`] writes `c` in caret notation (a C0 or C1 control, or DEL).
pub(super) fn is_control(c: char) -> bool {
    (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        let hostile = b"bye\x1b]2;owned\x07\x1b[?1049h\r\n\x9b\x7fok \xff";
        let v = visible(hostile);
        assert_eq!(v, "bye^[]2;owned^G^[[?1049h^M^J\u{fffd}^?ok \u{fffd}");
        assert!(!v.chars().any(is_control), "{v:?}");
        // A C1 control as a character (valid UTF-8 for U+009B, the 8-bit CSI).
        assert_eq!(visible("a\u{9b}b".as_bytes()), "aM-^[b");
        assert_eq!(visible("naïve 日本".as_bytes()), "naïve 日本");
    }

    #[test]
    fn endings_in_tmux_words() {
        let d = Ending::Detached {
            session: Some(b"main".to_vec()),
        };
        assert_eq!(d.line(), "[detached (from session main)]");
        assert_eq!(Ending::Exited.line(), "[exited]");
        assert_eq!(Ending::ServerExited.line(), "[server exited]");
        assert_eq!(Ending::Terminated.line(), "[terminated]");
        assert_eq!(Ending::LostTty.line(), "[lost tty]");
        assert_eq!(
            Ending::Said("too far behind".into()).line(),
            "[too far behind]"
        );
        // A session name with an escape in it stays visible.
        let d = Ending::Detached {
            session: Some(b"x\x1b[2Jy".to_vec()),
        };
        assert_eq!(d.line(), "[detached (from session x^[[2Jy)]");
    }

    #[test]
    fn bare_exits_are_told_apart() {
        let s = Some(b"s".to_vec());
        assert_eq!(
            bare_exit(ServerAfter::Gone, true, true, s.clone()),
            Ending::ServerExited
        );
        assert_eq!(
            bare_exit(ServerAfter::Gone, true, false, s.clone()),
            Ending::Exited
        );
        assert_eq!(
            bare_exit(ServerAfter::SessionGone, false, true, s.clone()),
            Ending::Exited
        );
        assert_eq!(
            bare_exit(ServerAfter::SessionThere, true, true, s.clone()),
            Ending::Detached { session: s.clone() }
        );
        assert_eq!(
            bare_exit(ServerAfter::Unknown, true, false, s.clone()),
            Ending::Exited
        );
        assert_eq!(
            bare_exit(ServerAfter::Unknown, false, false, s.clone()),
            Ending::Detached { session: s }
        );
    }
}

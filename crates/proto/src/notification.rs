//! Parsing one notification line (`%name args...`) into an [`Event`].
//!
//! Argument formats follow what tmux prints (`control-notify.c`, `control.c`). Rules that are
//! ours:
//! - Ids must be exactly `<sigil><digits>` fitting a `u32`; anything else is
//!   [`ProtoError::BadNotification`].
//! - Notifications with fixed id arguments ignore extra trailing fields, so that a newer tmux
//!   adding a field does not turn a known line into an error.
//! - Names that are the last argument (`%window-renamed @1 NAME`) take the rest of the line,
//!   spaces included, and may be empty. Names followed by more fields (a client name, a
//!   subscription name) end at the first space.
//! - `%begin`, `%end` and `%error` are handled by the parser, not here.

use crate::event::Event;
use crate::ids::{parse_u32, parse_u64, PaneId, SessionId, WindowId};
use crate::layout::Layout;
use crate::unescape::unescape;
use crate::ProtoError;

/// Splits at the first space: `(before, Some(after))`, or `(all, None)` when there is none.
/// A plain scan: the words split off are ids and names a few bytes long, where a `memchr`
/// call costs more than it saves.
#[inline]
fn word(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == b' ') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

fn bad(name: &'static str, what: &'static str) -> ProtoError {
    ProtoError::BadNotification { name, what }
}

/// The next space-separated field, or an error naming it.
fn field<'a>(
    rest: &mut Option<&'a [u8]>,
    name: &'static str,
    missing: &'static str,
) -> Result<&'a [u8], ProtoError> {
    let s = rest.take().ok_or_else(|| bad(name, missing))?;
    let (w, r) = word(s);
    *rest = r;
    Ok(w)
}

fn pane(rest: &mut Option<&[u8]>, name: &'static str) -> Result<PaneId, ProtoError> {
    PaneId::parse(field(rest, name, "missing pane id")?).ok_or_else(|| bad(name, "bad pane id"))
}

fn window(rest: &mut Option<&[u8]>, name: &'static str) -> Result<WindowId, ProtoError> {
    WindowId::parse(field(rest, name, "missing window id")?)
        .ok_or_else(|| bad(name, "bad window id"))
}

fn session(rest: &mut Option<&[u8]>, name: &'static str) -> Result<SessionId, ProtoError> {
    SessionId::parse(field(rest, name, "missing session id")?)
        .ok_or_else(|| bad(name, "bad session id"))
}

/// The data after ` : ` following the fixed fields (`%extended-output`,
/// `%subscription-changed`): fields tmux may add later sit before the `:`.
fn after_colon<'a>(rest: Option<&'a [u8]>, name: &'static str) -> Result<&'a [u8], ProtoError> {
    let mut s = rest.ok_or_else(|| bad(name, "missing ':'"))?;
    loop {
        let (w, r) = word(s);
        if w == b":" {
            return Ok(r.unwrap_or(b""));
        }
        s = r.ok_or_else(|| bad(name, "missing ':'"))?;
    }
}

/// Whether `%name` looks like a notification name (`[a-z0-9-]+`).
fn is_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses a notification line (starting with `%`, terminator stripped, not `%begin`/`%end`/
/// `%error`). `buf` is the reusable unescape buffer for `%output` data; with `escaped` that
/// data is kept as tmux wrote it (see [`crate::ParserConfig::output_escaped`]).
pub(crate) fn parse_notification<'a>(
    line: &'a [u8],
    buf: &'a mut Vec<u8>,
    escaped: bool,
) -> Result<Event<'a>, ProtoError> {
    let output = |data: &'a [u8], buf: &'a mut Vec<u8>| {
        if escaped {
            data
        } else {
            unescape(data, buf)
        }
    };
    // Hot path first: `%output %P DATA`.
    if let Some(rest) = line.strip_prefix(b"%output ") {
        let (id, data) = word(rest);
        let Some(pane) = PaneId::parse(id) else {
            return other_target(line, id, "output");
        };
        let data = output(data.unwrap_or(b""), buf);
        return Ok(Event::Output { pane, data });
    }
    let Some(body) = line.strip_prefix(b"%") else {
        return Err(ProtoError::NotANotification);
    };
    let (name, args) = word(body);
    let mut rest = args;
    let ev = match name {
        b"output" => {
            // `%output` with no space at all.
            return Err(bad("output", "missing pane id"));
        }
        b"extended-output" => {
            let n = "extended-output";
            let target = field(&mut rest, n, "missing pane id")?;
            let Some(pane) = PaneId::parse(target) else {
                return other_target(line, target, n);
            };
            let age =
                parse_u64(field(&mut rest, n, "missing age")?).ok_or_else(|| bad(n, "bad age"))?;
            let data = output(after_colon(rest, n)?, buf);
            Event::ExtendedOutput { pane, age, data }
        }
        b"layout-change" => {
            let n = "layout-change";
            let window = window(&mut rest, n)?;
            let layout = field(&mut rest, n, "missing layout")?;
            Layout::validate(layout)?;
            let visible_layout = match rest {
                Some(_) => Some(field(&mut rest, n, "missing visible layout")?),
                None => None,
            };
            // Unzoomed windows repeat the layout as the visible one: validate it once.
            if let Some(v) = visible_layout.filter(|v| *v != layout) {
                Layout::validate(v)?;
            }
            // Flags are the last field; tmux prints an empty string when there are none.
            let flags = rest;
            Event::LayoutChange {
                window,
                layout,
                visible_layout,
                flags,
            }
        }
        b"window-add" => Event::WindowAdd {
            window: window(&mut rest, "window-add")?,
        },
        b"window-close" => Event::WindowClose {
            window: window(&mut rest, "window-close")?,
        },
        b"window-renamed" => Event::WindowRenamed {
            window: window(&mut rest, "window-renamed")?,
            name: rest.unwrap_or(b""),
        },
        b"unlinked-window-add" => Event::UnlinkedWindowAdd {
            window: window(&mut rest, "unlinked-window-add")?,
        },
        b"unlinked-window-close" => Event::UnlinkedWindowClose {
            window: window(&mut rest, "unlinked-window-close")?,
        },
        b"unlinked-window-renamed" => Event::UnlinkedWindowRenamed {
            window: window(&mut rest, "unlinked-window-renamed")?,
            name: rest.unwrap_or(b""),
        },
        b"session-changed" => Event::SessionChanged {
            session: session(&mut rest, "session-changed")?,
            name: rest.unwrap_or(b""),
        },
        b"session-renamed" => {
            // tmux >= 2.x: `$S NAME`; older: `NAME` only. A name alone can never be a lone
            // well-formed `$N` followed by a space and more, since the new form always has both.
            let args = rest.ok_or_else(|| bad("session-renamed", "missing name"))?;
            let (first, after) = word(args);
            match (SessionId::parse(first), after) {
                (Some(session), Some(name)) => Event::SessionRenamed {
                    session: Some(session),
                    name,
                },
                _ => Event::SessionRenamed {
                    session: None,
                    name: args,
                },
            }
        }
        b"sessions-changed" => Event::SessionsChanged,
        b"session-window-changed" => {
            let n = "session-window-changed";
            Event::SessionWindowChanged {
                session: session(&mut rest, n)?,
                window: window(&mut rest, n)?,
            }
        }
        b"window-pane-changed" => {
            let n = "window-pane-changed";
            Event::WindowPaneChanged {
                window: window(&mut rest, n)?,
                pane: pane(&mut rest, n)?,
            }
        }
        b"client-session-changed" => {
            let n = "client-session-changed";
            Event::ClientSessionChanged {
                client: field(&mut rest, n, "missing client name")?,
                session: session(&mut rest, n)?,
                name: rest.unwrap_or(b""),
            }
        }
        b"client-detached" => {
            let client = rest.unwrap_or(b"");
            if client.is_empty() {
                return Err(bad("client-detached", "missing client name"));
            }
            Event::ClientDetached { client }
        }
        b"pane-mode-changed" => Event::PaneModeChanged {
            pane: pane(&mut rest, "pane-mode-changed")?,
        },
        b"pause" => Event::Pause {
            pane: pane(&mut rest, "pause")?,
        },
        b"continue" => Event::Continue {
            pane: pane(&mut rest, "continue")?,
        },
        b"subscription-changed" => {
            let n = "subscription-changed";
            let name = field(&mut rest, n, "missing name")?;
            let session = opt(field(&mut rest, n, "missing session")?, SessionId::parse)
                .ok_or_else(|| bad(n, "bad session id"))?;
            let window = opt(field(&mut rest, n, "missing window")?, WindowId::parse)
                .ok_or_else(|| bad(n, "bad window id"))?;
            let window_index = opt(field(&mut rest, n, "missing window index")?, parse_u32)
                .ok_or_else(|| bad(n, "bad window index"))?;
            let pane = opt(field(&mut rest, n, "missing pane")?, PaneId::parse)
                .ok_or_else(|| bad(n, "bad pane id"))?;
            let value = after_colon(rest, n)?;
            Event::SubscriptionChanged {
                name,
                session,
                window,
                window_index,
                pane,
                value,
            }
        }
        b"exit" => Event::Exit {
            reason: rest.filter(|r| !r.is_empty()),
        },
        b"config-error" => Event::ConfigError {
            message: rest.unwrap_or(b""),
        },
        b"message" => Event::Message {
            message: rest.unwrap_or(b""),
        },
        b"paste-buffer-changed" => Event::PasteBufferChanged {
            name: nonempty(rest, "paste-buffer-changed")?,
        },
        b"paste-buffer-deleted" => Event::PasteBufferDeleted {
            name: nonempty(rest, "paste-buffer-deleted")?,
        },
        _ if is_name(name) => Event::Unknown { line },
        _ => return Err(ProtoError::NotANotification),
    };
    Ok(ev)
}

/// Output for a target that is not a pane. Some tmux builds report popup output as
/// `%output ^N ...` (a job id); a well-formed `^N` is therefore a newer kind of line
/// ([`Event::Unknown`]), anything else a bad pane id.
fn other_target<'a>(
    line: &'a [u8],
    id: &[u8],
    name: &'static str,
) -> Result<Event<'a>, ProtoError> {
    match id.split_first() {
        Some((b'^', digits)) if parse_u32(digits).is_some() => Ok(Event::Unknown { line }),
        _ => Err(bad(name, "bad pane id")),
    }
}

fn nonempty<'a>(rest: Option<&'a [u8]>, name: &'static str) -> Result<&'a [u8], ProtoError> {
    match rest {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(bad(name, "missing name")),
    }
}

/// `-` is "absent" (`Some(None)`); otherwise `parse` must succeed (`None` is an error).
fn opt<T>(s: &[u8], parse: impl Fn(&[u8]) -> Option<T>) -> Option<Option<T>> {
    if s == b"-" {
        Some(None)
    } else {
        parse(s).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &[u8]) -> Result<Event<'_>, ProtoError> {
        // Leak a buffer per call: tests only.
        let buf: &'static mut Vec<u8> = Box::leak(Box::default());
        parse_notification(line, buf, false)
    }

    #[test]
    fn output_and_extended_output() {
        assert_eq!(
            p(b"%output %3 ab\\033c").unwrap(),
            Event::Output {
                pane: PaneId(3),
                data: b"ab\x1bc"
            }
        );
        assert_eq!(
            p(b"%output %3 ").unwrap(),
            Event::Output {
                pane: PaneId(3),
                data: b""
            }
        );
        assert_eq!(
            p(b"%extended-output %7 1234 : x : y").unwrap(),
            Event::ExtendedOutput {
                pane: PaneId(7),
                age: 1234,
                data: b"x : y"
            }
        );
        assert_eq!(
            p(b"%extended-output %7 5 future fields : \\134").unwrap(),
            Event::ExtendedOutput {
                pane: PaneId(7),
                age: 5,
                data: b"\\"
            }
        );
        assert!(matches!(
            p(b"%extended-output %7 5 no colon"),
            Err(ProtoError::BadNotification { .. })
        ));
        assert_eq!(
            p(b"%output ^3 popup").unwrap(),
            Event::Unknown {
                line: b"%output ^3 popup"
            }
        );
        assert_eq!(
            p(b"%extended-output ^3 0 : popup").unwrap(),
            Event::Unknown {
                line: b"%extended-output ^3 0 : popup"
            }
        );
        assert!(p(b"%output ^x popup").is_err());
        assert!(p(b"%output 3 x").is_err());
        assert!(p(b"%output").is_err());
        assert!(p(b"%output %-1 x").is_err());
    }

    #[test]
    fn subscription_changed_fields() {
        assert_eq!(
            p(b"%subscription-changed sub $1 @2 3 %4 : v a l").unwrap(),
            Event::SubscriptionChanged {
                name: b"sub",
                session: Some(SessionId(1)),
                window: Some(WindowId(2)),
                window_index: Some(3),
                pane: Some(PaneId(4)),
                value: b"v a l"
            }
        );
        assert_eq!(
            p(b"%subscription-changed s $0 - - - : ").unwrap(),
            Event::SubscriptionChanged {
                name: b"s",
                session: Some(SessionId(0)),
                window: None,
                window_index: None,
                pane: None,
                value: b""
            }
        );
        assert!(p(b"%subscription-changed s $x - - - : v").is_err());
        assert!(p(b"%subscription-changed s $0 -").is_err());
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(
            p(b"%window-renamed @1 my window").unwrap(),
            Event::WindowRenamed {
                window: WindowId(1),
                name: b"my window"
            }
        );
        assert_eq!(
            p(b"%session-renamed $2 new name").unwrap(),
            Event::SessionRenamed {
                session: Some(SessionId(2)),
                name: b"new name"
            }
        );
        assert_eq!(
            p(b"%session-renamed oldstyle").unwrap(),
            Event::SessionRenamed {
                session: None,
                name: b"oldstyle"
            }
        );
        assert_eq!(
            p(b"%client-session-changed /dev/pts/3 $1 main").unwrap(),
            Event::ClientSessionChanged {
                client: b"/dev/pts/3",
                session: SessionId(1),
                name: b"main"
            }
        );
        assert_eq!(p(b"%exit").unwrap(), Event::Exit { reason: None });
        assert_eq!(
            p(b"%exit detached").unwrap(),
            Event::Exit {
                reason: Some(b"detached")
            }
        );
        assert_eq!(
            p(b"%window-pane-changed @1 %2 extra").unwrap(),
            Event::WindowPaneChanged {
                window: WindowId(1),
                pane: PaneId(2)
            }
        );
        assert!(p(b"%window-pane-changed @1").is_err());
        assert!(p(b"%window-add").is_err());
        assert!(p(b"%window-add %1").is_err());
        assert!(p(b"%pause @1").is_err());
        assert!(p(b"%paste-buffer-changed").is_err());
    }

    #[test]
    fn unknown_and_garbage() {
        assert_eq!(
            p(b"%new-thing-4 a b").unwrap(),
            Event::Unknown {
                line: b"%new-thing-4 a b"
            }
        );
        assert_eq!(p(b"%").unwrap_err(), ProtoError::NotANotification);
        assert_eq!(p(b"%\xff").unwrap_err(), ProtoError::NotANotification);
        assert_eq!(p(b"hello").unwrap_err(), ProtoError::NotANotification);
    }
}

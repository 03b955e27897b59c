//! The commands the client sends on its own to read tmux's state (the attach handshake,
//! listings, pane syncs), and readers for their replies.
//!
//! Every format puts the one free-text field (a name or a title) last, after tab-separated
//! fields that cannot hold a tab, so a tab or newline inside a name never shifts a field.
//! Commands are fixed text plus integer ids; nothing that came from tmux is ever put into one.

use muxlink_proto::command::{
    self, CapturePane, ClientFlag, Command, CommandError, PaneScope, SubscriptionTarget, Target,
    WindowScope,
};
use muxlink_proto::{PaneId, SessionId, WindowId};

/// Format for the server version.
const VERSION_FORMAT: &[u8] = b"#{version}";

/// `list-sessions` format: id, current window, name.
const SESSION_FORMAT: &[u8] = b"#{session_id}\t#{window_id}\t#{session_name}";

/// Window fields: id, layout, visible layout, zoomed, active pane, active-in-session, index,
/// name.
const WINDOW_FORMAT: &[u8] = b"#{window_id}\t#{window_layout}\t#{window_visible_layout}\t\
#{window_zoomed_flag}\t#{pane_id}\t#{window_active}\t#{window_index}\t#{window_name}";

/// The name of the subscription that reports renumbered windows ([`windows_subscription_cmd`]).
pub(crate) const WINDOWS_SUBSCRIPTION: &[u8] = b"muxlink-windows";

/// The attached session's windows and their indexes (`@0.0 @3.1 `): its value changes when a
/// window is added, closed, moved, swapped or renumbered, including by the commands that send
/// no notification of their own (`swap-window`, `move-window -r` in tmux 3.3a).
const WINDOWS_SUBSCRIPTION_FORMAT: &[u8] = b"#{W:#{window_id}.#{window_index} }";

/// Pane fields, in [`PaneFormats::parse`] order; the title is last.
const PANE_FORMAT: &[u8] = b"#{pane_id}\t#{window_id}\t#{pane_width}\t#{pane_height}\t\
#{pane_left}\t#{pane_top}\t#{cursor_x}\t#{cursor_y}\t#{cursor_flag}\t#{alternate_on}\t\
#{alternate_saved_x}\t#{alternate_saved_y}\t#{insert_flag}\t#{keypad_cursor_flag}\t\
#{keypad_flag}\t#{mouse_standard_flag}\t#{mouse_button_flag}\t#{mouse_all_flag}\t\
#{mouse_sgr_flag}\t#{mouse_utf8_flag}\t#{wrap_flag}\t#{origin_flag}\t\
#{scroll_region_upper}\t#{scroll_region_lower}\t#{pane_in_mode}\t#{history_size}\t\
#{pane_active}\t#{pane_mode}\t#{history_limit}\t#{pane_title}";

/// Format for a pane's mode (`copy-mode`, ...; empty when none).
const PANE_MODE_FORMAT: &[u8] = b"#{pane_mode}";

/// The builders below only fail on a NUL or an empty value, which the constant formats and
/// flag lists here never hold; a failure is a bug in this file (the unit tests build each).
fn built(r: Result<Command, CommandError>) -> Command {
    r.expect("constant command arguments are valid")
}

/// `display-message -p '#{version}'`.
pub(crate) fn version_cmd() -> Command {
    built(command::display_message(None, VERSION_FORMAT))
}

/// `refresh-client -f` with the flags of `config`, or `None` when it sets none.
pub(crate) fn client_flags_cmd(pause_after: Option<u32>, read_only: bool) -> Option<Command> {
    let mut flags = Vec::with_capacity(3);
    if let Some(n) = pause_after {
        flags.push(ClientFlag::PauseAfter(n));
    }
    if read_only {
        flags.push(ClientFlag::IgnoreSize);
        flags.push(ClientFlag::ReadOnly);
    }
    if flags.is_empty() {
        return None;
    }
    Some(built(command::refresh_client_flags(&flags, &[])))
}

/// `list-sessions` with [`SessionInfo::parse`]'s fields.
pub(crate) fn list_sessions_cmd() -> Command {
    built(command::list_sessions(SESSION_FORMAT))
}

/// `list-windows` of the attached session.
pub(crate) fn list_windows_cmd() -> Command {
    built(command::list_windows(WindowScope::Current, WINDOW_FORMAT))
}

/// `refresh-client -B` (tmux 3.2+): `%subscription-changed muxlink-windows ...` whenever the
/// session's window indexes change. tmux checks subscriptions once a second.
pub(crate) fn windows_subscription_cmd() -> Command {
    built(command::subscribe(
        WINDOWS_SUBSCRIPTION,
        SubscriptionTarget::Session,
        WINDOWS_SUBSCRIPTION_FORMAT,
    ))
}

/// One window's fields.
pub(crate) fn window_info_cmd(window: WindowId) -> Command {
    built(command::display_message(
        Some(Target::Window(window)),
        WINDOW_FORMAT,
    ))
}

/// `list-panes` of the attached session (`-s`) or of one window.
pub(crate) fn list_panes_cmd(window: Option<WindowId>) -> Command {
    let scope = match window {
        Some(w) => PaneScope::Window(w),
        None => PaneScope::CurrentSession,
    };
    built(command::list_panes(scope, PANE_FORMAT))
}

/// `display-message -p -t %P '#{pane_mode}'`.
pub(crate) fn pane_mode_cmd(pane: PaneId) -> Command {
    built(command::display_message(
        Some(Target::Pane(pane)),
        PANE_MODE_FORMAT,
    ))
}

/// The per-pane sync line: the pane's formats, its history and screen, its pending partial
/// escape sequence, its visible rows one by one (no joining, to restore a pending wrap) and
/// (when `alternate`) its saved normal screen, in that order, as one
/// `;`-separated line so tmux runs them back to back with no pane output in between. The
/// `-a` capture is last because it fails when the alternate screen is off, and tmux skips the
/// rest of a line after a failure. `reply_blocks()` of the line is 4, or 5 with `alternate`.
pub(crate) fn pane_sync_line(pane: PaneId, history_limit: usize, alternate: bool) -> Command {
    let limit = u32::try_from(history_limit).unwrap_or(u32::MAX);
    let formats = built(command::display_message(
        Some(Target::Pane(pane)),
        PANE_FORMAT,
    ));
    // -e -q -J -N -S -limit: history and screen, wrapped lines joined.
    let main = CapturePane::restore(pane, limit);
    // -P -C: the pending partial escape sequence, octal-escaped.
    let partial = CapturePane {
        pending: true,
        octal: true,
        ..CapturePane::new(pane)
    };
    // -e -q -N: the visible rows, not joined.
    let rows = CapturePane {
        escapes: true,
        quiet: true,
        trailing_spaces: true,
        ..CapturePane::new(pane)
    };
    let mut cmds = vec![formats, main.build(), partial.build(), rows.build()];
    if alternate {
        // -e -q -J -N -a: the saved normal screen (fails when the alternate one is off).
        cmds.push(
            CapturePane {
                alternate: true,
                start: None,
                ..main
            }
            .build(),
        );
    }
    built(command::join(&cmds))
}

/// A parsed `major.minor` tmux version with the raw string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) major: u32,
    pub(crate) minor: u32,
}

impl Version {
    /// Reads `3.3a`, `next-3.4`, `3.2-rc3`, `master`; `None` when no number can be read.
    pub(crate) fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let t = t.strip_prefix("next-").unwrap_or(t);
        if t == "master" {
            return Some(Version {
                major: 99,
                minor: 0,
            });
        }
        let mut it = t.splitn(2, '.');
        let major = it.next()?.parse().ok()?;
        let minor_digits: String = it
            .next()
            .unwrap_or("0")
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let minor = minor_digits.parse().unwrap_or(0);
        Some(Version { major, minor })
    }

    /// Whether this is at least `major.minor`.
    pub(crate) fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

/// One `list-sessions` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionInfo {
    pub(crate) id: SessionId,
    pub(crate) active_window: Option<WindowId>,
    pub(crate) name: Vec<u8>,
}

/// One window's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowInfo {
    pub(crate) id: WindowId,
    pub(crate) layout: String,
    pub(crate) visible_layout: String,
    pub(crate) zoomed: bool,
    pub(crate) active_pane: Option<PaneId>,
    pub(crate) active: bool,
    /// `#{window_index}`; `None` when the field is not a number.
    pub(crate) index: Option<u32>,
    pub(crate) name: Vec<u8>,
}

/// One pane's fields, everything needed to rebuild its cursor and modes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PaneFormats {
    pub(crate) id: Option<PaneId>,
    pub(crate) window: Option<WindowId>,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
    pub(crate) x: u16,
    pub(crate) y: u16,
    pub(crate) cursor_x: u16,
    pub(crate) cursor_y: u16,
    pub(crate) cursor_visible: bool,
    pub(crate) alternate: bool,
    pub(crate) alternate_saved_x: u16,
    pub(crate) alternate_saved_y: u16,
    pub(crate) insert: bool,
    pub(crate) keypad_cursor: bool,
    pub(crate) keypad: bool,
    pub(crate) mouse_standard: bool,
    pub(crate) mouse_button: bool,
    pub(crate) mouse_all: bool,
    pub(crate) mouse_sgr: bool,
    pub(crate) mouse_utf8: bool,
    pub(crate) wrap: bool,
    pub(crate) origin: bool,
    pub(crate) scroll_upper: u16,
    pub(crate) scroll_lower: u16,
    pub(crate) in_mode: bool,
    pub(crate) history_size: u32,
    pub(crate) active: bool,
    pub(crate) mode: Option<String>,
    /// The pane's own `history-limit` (fixed when the pane was created).
    pub(crate) history_limit: Option<usize>,
    pub(crate) title: Vec<u8>,
}

fn num<T: std::str::FromStr>(field: Option<&[u8]>) -> Option<T> {
    std::str::from_utf8(field?).ok()?.parse().ok()
}

fn flag(field: Option<&[u8]>) -> Option<bool> {
    match field? {
        b"1" => Some(true),
        b"0" | b"" => Some(false),
        _ => None,
    }
}

/// Splits `line` into `n` tab-separated fields, the last one taking the rest (tabs included).
fn fields(line: &[u8], n: usize) -> Vec<&[u8]> {
    line.splitn(n, |&b| b == b'\t').collect()
}

/// Groups reply lines into records: a line that does not start with `sigil` continues the
/// previous record's last (free-text) field, since a name may hold a newline.
fn records(body: &[u8], sigil: u8) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    if body.is_empty() {
        return out;
    }
    for line in body.split(|&b| b == b'\n') {
        match out.last_mut() {
            Some(last) if line.first() != Some(&sigil) => {
                last.push(b'\n');
                last.extend_from_slice(line);
            }
            _ => out.push(line.to_vec()),
        }
    }
    out
}

impl SessionInfo {
    /// Reads a `list-sessions` body; lines that cannot be read are skipped.
    pub(crate) fn parse_all(body: &[u8]) -> Vec<SessionInfo> {
        records(body, b'$')
            .iter()
            .filter_map(|r| {
                let f = fields(r, 3);
                if f.len() != 3 {
                    return None;
                }
                Some(SessionInfo {
                    id: SessionId::parse(f[0])?,
                    active_window: WindowId::parse(f[1]),
                    name: f[2].to_vec(),
                })
            })
            .collect()
    }
}

impl WindowInfo {
    /// Reads a `list-windows` (or window `display-message`) body.
    pub(crate) fn parse_all(body: &[u8]) -> Vec<WindowInfo> {
        records(body, b'@')
            .iter()
            .filter_map(|r| {
                let f = fields(r, 8);
                if f.len() != 8 {
                    return None;
                }
                Some(WindowInfo {
                    id: WindowId::parse(f[0])?,
                    layout: String::from_utf8(f[1].to_vec()).ok()?,
                    visible_layout: String::from_utf8(f[2].to_vec()).ok()?,
                    zoomed: flag(Some(f[3]))?,
                    active_pane: PaneId::parse(f[4]),
                    active: flag(Some(f[5]))?,
                    index: num(Some(f[6])),
                    name: f[7].to_vec(),
                })
            })
            .collect()
    }
}

impl PaneFormats {
    /// Number of fields in the pane format.
    const FIELDS: usize = 30;

    /// Reads a `list-panes` body (or one pane's `display-message` body).
    pub(crate) fn parse_all(body: &[u8]) -> Vec<PaneFormats> {
        records(body, b'%')
            .iter()
            .filter_map(|r| PaneFormats::parse(r))
            .collect()
    }

    /// Reads one record.
    pub(crate) fn parse(record: &[u8]) -> Option<PaneFormats> {
        let f = fields(record, Self::FIELDS);
        if f.len() != Self::FIELDS {
            return None;
        }
        let g = |i: usize| Some(f[i]);
        let mode = match f[27] {
            b"" => None,
            m => Some(String::from_utf8_lossy(m).into_owned()),
        };
        Some(PaneFormats {
            id: Some(PaneId::parse(f[0])?),
            window: Some(WindowId::parse(f[1])?),
            cols: num(g(2))?,
            rows: num(g(3))?,
            x: num(g(4))?,
            y: num(g(5))?,
            cursor_x: num(g(6))?,
            cursor_y: num(g(7))?,
            cursor_visible: flag(g(8))?,
            alternate: flag(g(9))?,
            alternate_saved_x: num(g(10)).unwrap_or(0),
            alternate_saved_y: num(g(11)).unwrap_or(0),
            insert: flag(g(12)).unwrap_or(false),
            keypad_cursor: flag(g(13)).unwrap_or(false),
            keypad: flag(g(14)).unwrap_or(false),
            mouse_standard: flag(g(15)).unwrap_or(false),
            mouse_button: flag(g(16)).unwrap_or(false),
            mouse_all: flag(g(17)).unwrap_or(false),
            mouse_sgr: flag(g(18)).unwrap_or(false),
            mouse_utf8: flag(g(19)).unwrap_or(false),
            wrap: flag(g(20)).unwrap_or(true),
            origin: flag(g(21)).unwrap_or(false),
            scroll_upper: num(g(22)).unwrap_or(0),
            scroll_lower: num(g(23)).unwrap_or(0),
            in_mode: flag(g(24)).unwrap_or(false),
            history_size: num(g(25)).unwrap_or(0),
            active: flag(g(26)).unwrap_or(false),
            mode,
            history_limit: num(g(28)),
            title: f[29].to_vec(),
        })
    }
}

/// Undoes `capture-pane -C` escaping: `\ooo` octal and `\\`.
pub(crate) fn unescape_octal(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b == b'\\'
            && i + 3 < text.len()
            && text[i + 1..i + 4].iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let v = (u32::from(text[i + 1] - b'0') << 6)
                | (u32::from(text[i + 2] - b'0') << 3)
                | u32::from(text[i + 3] - b'0');
            out.push(v as u8);
            i += 4;
        } else if b == b'\\' && text.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: &Command) -> String {
        String::from_utf8(c.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn handshake_commands_build_one_line_each() {
        let cmds = [
            version_cmd(),
            list_sessions_cmd(),
            list_windows_cmd(),
            window_info_cmd(WindowId(4)),
            windows_subscription_cmd(),
            list_panes_cmd(None),
            list_panes_cmd(Some(WindowId(4))),
            pane_mode_cmd(PaneId(9)),
        ];
        for c in &cmds {
            let t = text(c);
            assert!(t.ends_with('\n') && t.matches('\n').count() == 1, "{t:?}");
            assert_eq!(c.reply_blocks(), Some(1));
        }
        assert!(text(&cmds[0]).starts_with("display-message -p -- "));
        assert!(text(&cmds[2]).starts_with("list-windows -F "));
        assert!(text(&cmds[3]).starts_with("display-message -p -t @4 "));
        assert_eq!(
            text(&cmds[4]),
            "refresh-client -B \"muxlink-windows::#{W:#{window_id}.#{window_index} }\"\n"
        );
        assert!(text(&cmds[5]).starts_with("list-panes -s -F "));
        assert!(text(&cmds[6]).starts_with("list-panes -t @4 -F "));
        assert!(text(&cmds[7]).contains("-t %9 "));
        assert_eq!(client_flags_cmd(None, false), None);
        assert_eq!(
            text(&client_flags_cmd(Some(2), true).unwrap()),
            "refresh-client -f \"pause-after=2,ignore-size,read-only\"\n"
        );
    }

    #[test]
    fn pane_sync_line_joins_four_or_five_commands() {
        let l = pane_sync_line(PaneId(7), 2000, false);
        assert_eq!(l.reply_blocks(), Some(4));
        let t = text(&l);
        let parts: Vec<&str> = t.trim_end().split(" ; ").collect();
        assert_eq!(parts.len(), 4);
        assert!(parts[0].starts_with("display-message -p -t %7 -- "));
        assert_eq!(parts[1], "capture-pane -p -e -J -N -q -S -2000 -t %7");
        assert_eq!(parts[2], "capture-pane -p -C -P -t %7");
        assert_eq!(parts[3], "capture-pane -p -e -N -q -t %7");
        let l = pane_sync_line(PaneId(7), 10, true);
        assert_eq!(l.reply_blocks(), Some(5));
        let t = text(&l);
        assert!(
            t.ends_with(" ; capture-pane -p -e -J -N -q -a -t %7\n"),
            "{t}"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("3.3a"), Some(Version { major: 3, minor: 3 }));
        assert_eq!(
            Version::parse("next-3.4"),
            Some(Version { major: 3, minor: 4 })
        );
        assert_eq!(
            Version::parse("3.2-rc3"),
            Some(Version { major: 3, minor: 2 })
        );
        assert!(Version::parse("3.1c").is_some_and(|v| !v.at_least(3, 2)));
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn window_names_with_tabs_and_newlines() {
        let body = b"@1\t1234,80x24,0,0,1\t1234,80x24,0,0,1\t0\t%1\t1\t7\ta\tb\nc\n\
@2\tl\tv\t1\t%3\t0\tx\tz";
        let w = WindowInfo::parse_all(body);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, b"a\tb\nc");
        assert_eq!(w[0].active_pane, Some(PaneId(1)));
        assert_eq!(w[0].index, Some(7));
        assert!(w[1].zoomed);
        assert_eq!(w[1].index, None, "not a number: unknown");
        assert_eq!(w[1].name, b"z");
    }

    #[test]
    fn pane_formats() {
        let line = b"%3\t@1\t80\t24\t0\t0\t5\t7\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t1\t0\t0\t23\t0\t12\t1\t\t2000\tti\ttle";
        let p = PaneFormats::parse(line).unwrap();
        assert_eq!(p.id, Some(PaneId(3)));
        assert_eq!((p.cursor_x, p.cursor_y), (5, 7));
        assert!(p.keypad_cursor && p.wrap && !p.alternate);
        assert_eq!(p.scroll_lower, 23);
        assert_eq!(p.history_size, 12);
        assert_eq!(p.mode, None);
        assert_eq!(p.title, b"ti\ttle");
        assert_eq!(p.history_limit, Some(2000));
        assert!(PaneFormats::parse(b"%3\t@1").is_none());
    }

    #[test]
    fn octal() {
        let mut out = Vec::new();
        unescape_octal(b"\\033[1;3\\\\x", &mut out);
        assert_eq!(out, b"\x1b[1;3\\x");
    }
}

//! The attach handshake: the commands that read tmux's state, and readers for their replies.
//!
//! Every format puts the one free-text field (a name or a title) last, after tab-separated
//! fields that cannot hold a tab, so a tab or newline inside a name never shifts a field.
//! Commands are fixed text plus integer ids; nothing that came from tmux is ever put into one.

use muxlink_proto::{PaneId, SessionId, WindowId};

/// `display-message -p` format for the server version.
pub(crate) const VERSION_CMD: &str = "display-message -p '#{version}'";

/// `list-sessions` format: id, current window, name.
pub(crate) const LIST_SESSIONS_CMD: &str =
    "list-sessions -F '#{session_id}\t#{window_id}\t#{session_name}'";

/// Window fields: id, layout, visible layout, zoomed, active pane, active-in-session, name.
const WINDOW_FORMAT: &str = "#{window_id}\t#{window_layout}\t#{window_visible_layout}\t\
#{window_zoomed_flag}\t#{pane_id}\t#{window_active}\t#{window_name}";

/// Pane fields, in [`PaneFormats::parse`] order; the title is last.
const PANE_FORMAT: &str = "#{pane_id}\t#{window_id}\t#{pane_width}\t#{pane_height}\t\
#{pane_left}\t#{pane_top}\t#{cursor_x}\t#{cursor_y}\t#{cursor_flag}\t#{alternate_on}\t\
#{alternate_saved_x}\t#{alternate_saved_y}\t#{insert_flag}\t#{keypad_cursor_flag}\t\
#{keypad_flag}\t#{mouse_standard_flag}\t#{mouse_button_flag}\t#{mouse_all_flag}\t\
#{mouse_sgr_flag}\t#{mouse_utf8_flag}\t#{wrap_flag}\t#{origin_flag}\t\
#{scroll_region_upper}\t#{scroll_region_lower}\t#{pane_in_mode}\t#{history_size}\t\
#{pane_active}\t#{pane_mode}\t#{history_limit}\t#{pane_title}";

/// `list-windows` of the attached session.
pub(crate) fn list_windows_cmd(out: &mut String) {
    out.push_str("list-windows -F '");
    out.push_str(WINDOW_FORMAT);
    out.push('\'');
}

/// One window's fields.
pub(crate) fn window_info_cmd(out: &mut String, window: WindowId) {
    out.push_str("display-message -p -t ");
    out.push_str(&window.to_string());
    out.push_str(" '");
    out.push_str(WINDOW_FORMAT);
    out.push('\'');
}

/// `list-panes` of the attached session (`-s`) or of one window.
pub(crate) fn list_panes_cmd(out: &mut String, window: Option<WindowId>) {
    out.push_str("list-panes ");
    match window {
        Some(w) => {
            out.push_str("-t ");
            out.push_str(&w.to_string());
        }
        None => out.push_str("-s"),
    }
    out.push_str(" -F '");
    out.push_str(PANE_FORMAT);
    out.push('\'');
}

/// The per-pane sync line: the pane's formats, its history and screen, its pending partial
/// escape sequence, its visible rows one by one (no joining, to restore a pending wrap) and
/// (when `alternate`) its saved normal screen, in that order, as one
/// `;`-separated line so tmux runs them back to back with no pane output in between. The
/// `-a` capture is last because it fails when the alternate screen is off, and tmux skips the
/// rest of a line after a failure. Returns the number of commands written.
pub(crate) fn pane_sync_line(
    out: &mut String,
    pane: PaneId,
    history_limit: usize,
    alternate: bool,
) -> usize {
    let p = pane.to_string();
    out.push_str("display-message -p -t ");
    out.push_str(&p);
    out.push_str(" '");
    out.push_str(PANE_FORMAT);
    out.push_str("' ; capture-pane -p -e -q -J -N -S -");
    out.push_str(&history_limit.to_string());
    out.push_str(" -t ");
    out.push_str(&p);
    out.push_str(" ; capture-pane -p -P -C -t ");
    out.push_str(&p);
    out.push_str(" ; capture-pane -p -e -q -N -t ");
    out.push_str(&p);
    if alternate {
        out.push_str(" ; capture-pane -p -e -q -J -N -a -t ");
        out.push_str(&p);
        5
    } else {
        4
    }
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
                let f = fields(r, 7);
                if f.len() != 7 {
                    return None;
                }
                Some(WindowInfo {
                    id: WindowId::parse(f[0])?,
                    layout: String::from_utf8(f[1].to_vec()).ok()?,
                    visible_layout: String::from_utf8(f[2].to_vec()).ok()?,
                    zoomed: flag(Some(f[3]))?,
                    active_pane: PaneId::parse(f[4]),
                    active: flag(Some(f[5]))?,
                    name: f[6].to_vec(),
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
        let body =
            b"@1\t1234,80x24,0,0,1\t1234,80x24,0,0,1\t0\t%1\t1\ta\tb\nc\n@2\tl\tv\t1\t%3\t0\tz";
        let w = WindowInfo::parse_all(body);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, b"a\tb\nc");
        assert_eq!(w[0].active_pane, Some(PaneId(1)));
        assert!(w[1].zoomed);
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

//! The commands the client sends on its own to read tmux's state (the attach handshake,
//! listings, pane syncs, server options, the width probe), and readers for their replies.
//!
//! Commands are fixed text plus integer ids; nothing that came from tmux is ever put into one.
//!
//! Every reader checks each line's shape before it takes it: a listing line starts with its
//! id (`$N`, `@N`, `%N`) and a tab, every field before the last has the type it must have
//! (ids, numbers, flags within tmux's bounds), and the one free-text field (a name or a
//! title) comes last, so a tab inside it never shifts a field. A line of another shape is the
//! continuation of the previous record's free text (tmux 3.2a to 3.6a store a line break in a
//! name or title set by a command, unescaped); before any record it is dropped. Replies whose
//! whole body is free text (`#{pane_mode}`, `#{host}`, the options) start with a literal
//! letter of ours, so an empty value and a body that is not ours are told apart.
//!
//! Pane captures are fenced (see [`pane_sync_line`]): no line of pane text can end their
//! reply early or become a notification. The README's design section lists which guarantee
//! each reply relies on.

use muxlink_proto::command::{
    self, fenced_line, CaptureBound, CapturePane, ClientFlag, Command, CommandError, FencedLine,
    LinePart, PaneScope, SubscriptionTarget, Target, WindowScope,
};
use muxlink_proto::fence::NonceSource;
use muxlink_proto::layout::MAX_SIZE;
use muxlink_proto::{PaneId, SessionId, WindowId};

/// Format for the server version.
const VERSION_FORMAT: &[u8] = b"#{version}";

/// `list-sessions` format: id, current window, name.
const SESSION_FORMAT: &[u8] = b"#{session_id}\t#{window_id}\t#{session_name}";

/// Window fields: id, session, layout, visible layout, zoomed, active pane,
/// active-in-session, index, name. Listed for every session (`list-windows -a`: one line
/// per link of a window into a session).
const WINDOW_FORMAT: &[u8] = b"#{window_id}\t#{session_id}\t#{window_layout}\t\
#{window_visible_layout}\t#{window_zoomed_flag}\t#{pane_id}\t#{window_active}\t\
#{window_index}\t#{window_name}";

/// The name of the subscription that reports renumbered windows ([`windows_subscription_cmd`]).
pub(crate) const WINDOWS_SUBSCRIPTION: &[u8] = b"muxlink-windows";

/// The attached session's windows and their indexes (`@0.0 @3.1 `): its value changes when a
/// window is added, closed, moved, swapped or renumbered, including by the commands that send
/// no notification of their own (`swap-window`, `move-window -r` in tmux 3.3a).
const WINDOWS_SUBSCRIPTION_FORMAT: &[u8] = b"#{W:#{window_id}.#{window_index} }";

/// The name of the subscription that follows the server options that change widths.
pub(crate) const WIDTHS_SUBSCRIPTION: &[u8] = b"muxlink-widths";

/// The server options that change the grid (tmux 3.6+): `O1\tU+1F600=1 U+2600=2` (the
/// array's items joined by spaces). Read at attach and followed by [`WIDTHS_SUBSCRIPTION`].
const OPTIONS_FORMAT: &[u8] = b"O#{variation-selector-always-wide}\t#{codepoint-widths}";

/// The name of the subscription that follows every pane's `history-limit` (tmux 3.7+,
/// which applies a change of the option to existing panes at once).
pub(crate) const HISTORY_SUBSCRIPTION: &[u8] = b"muxlink-history";

/// The server's host name (`gethostname`), which tmux gives every pane as its title until
/// a program sets one.
const HOST_FORMAT: &[u8] = b"H#{host}";

/// Pane fields, in [`PaneFormats::parse`] order; the title is last.
const PANE_FORMAT: &[u8] = b"#{pane_id}\t#{window_id}\t#{pane_width}\t#{pane_height}\t\
#{pane_left}\t#{pane_top}\t#{cursor_x}\t#{cursor_y}\t#{cursor_flag}\t#{alternate_on}\t\
#{alternate_saved_x}\t#{alternate_saved_y}\t#{insert_flag}\t#{keypad_cursor_flag}\t\
#{keypad_flag}\t#{mouse_standard_flag}\t#{mouse_button_flag}\t#{mouse_all_flag}\t\
#{mouse_sgr_flag}\t#{mouse_utf8_flag}\t#{wrap_flag}\t#{origin_flag}\t\
#{scroll_region_upper}\t#{scroll_region_lower}\t#{pane_in_mode}\t#{history_size}\t\
#{pane_active}\t#{pane_mode}\t#{history_limit}\t#{pane_title}";

/// Format for a pane's mode (`Mcopy-mode`, ...; `M` alone when none).
const PANE_MODE_FORMAT: &[u8] = b"M#{pane_mode}";
const ALTERNATE_FORMAT: &[u8] = b"A#{alternate_on}";

/// The builders below only fail on a NUL or an empty value, which the constant formats and
/// flag lists here never hold; a failure is a bug in this file (the unit tests build each).
fn built(r: Result<Command, CommandError>) -> Command {
    r.expect("constant command arguments are valid")
}

/// `display-message -p '#{version}'`.
pub(crate) fn version_cmd() -> Command {
    built(command::display_message(None, VERSION_FORMAT))
}

/// `display-message -p 'H#{host}'`.
pub(crate) fn host_cmd() -> Command {
    built(command::display_message(None, HOST_FORMAT))
}

/// `display-message -p` of the width options ([`OPTIONS_FORMAT`]).
pub(crate) fn options_cmd() -> Command {
    built(command::display_message(None, OPTIONS_FORMAT))
}

/// `refresh-client -B` (tmux 3.2+): `%subscription-changed muxlink-widths ...` whenever the
/// width options change.
pub(crate) fn options_subscription_cmd() -> Command {
    built(command::subscribe(
        WIDTHS_SUBSCRIPTION,
        SubscriptionTarget::Session,
        OPTIONS_FORMAT,
    ))
}

/// `refresh-client -B` (tmux 3.2+): `%subscription-changed muxlink-history ... %P : N` for
/// every pane of the session, when its history limit changes (and once at first).
pub(crate) fn history_subscription_cmd() -> Command {
    built(command::subscribe(
        HISTORY_SUBSCRIPTION,
        SubscriptionTarget::AllPanes,
        b"#{history_limit}",
    ))
}

/// Reads a [`HISTORY_SUBSCRIPTION`] value: the pane's limit in lines, `None` when it is not
/// a number (a hostile server's text is never trusted).
pub(crate) fn parse_history_limit(value: &[u8]) -> Option<usize> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value)
        .ok()?
        .parse::<u64>()
        .ok()
        .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
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

/// `list-sessions` with [`SessionInfo::parse_all`]'s fields.
pub(crate) fn list_sessions_cmd() -> Command {
    built(command::list_sessions(SESSION_FORMAT))
}

/// `list-windows -a`: every window of every session, one line per link.
pub(crate) fn list_windows_cmd() -> Command {
    built(command::list_windows(WindowScope::All, WINDOW_FORMAT))
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

/// `list-panes` of the attached session (`-s`) or of one window.
pub(crate) fn list_panes_cmd(window: Option<WindowId>) -> Command {
    let scope = match window {
        Some(w) => PaneScope::Window(w),
        None => PaneScope::CurrentSession,
    };
    built(command::list_panes(scope, PANE_FORMAT))
}

/// `display-message -p -t %P 'M#{pane_mode}'`.
pub(crate) fn pane_mode_cmd(pane: PaneId) -> Command {
    built(command::display_message(
        Some(Target::Pane(pane)),
        PANE_MODE_FORMAT,
    ))
}

/// `display-message -p -t %P 'A#{alternate_on}'`: whether a pane is on the alternate screen.
pub(crate) fn alternate_cmd(pane: PaneId) -> Command {
    built(command::display_message(
        Some(Target::Pane(pane)),
        ALTERNATE_FORMAT,
    ))
}

/// The reply to [`alternate_cmd`]: `Some(true)` when the alternate screen is on.
pub(crate) fn parse_alternate(body: &[u8]) -> Option<bool> {
    match body.strip_prefix(b"A")? {
        b"1" => Some(true),
        b"0" => Some(false),
        _ => None,
    }
}

/// The width probe for `cps` (see `muxlink_term::width_tables::probe`): `W` then one width
/// per code point, separated by spaces. `None` when a code point cannot be probed.
pub(crate) fn probe_cmd(cps: &[u32]) -> Option<Command> {
    let format = muxlink_term::width_tables::probe::probe_format(cps).ok()?;
    let mut f = Vec::with_capacity(format.len() + 1);
    f.push(b'W');
    f.extend_from_slice(format.as_bytes());
    command::display_message(None, &f).ok()
}

/// Reads a probe reply: the widths, one per code point asked, or `None`.
pub(crate) fn parse_probe(body: &[u8], expected: usize) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body.strip_prefix(b"W")?).ok()?;
    muxlink_term::width_tables::probe::parse_probe_reply(text, expected).ok()
}

/// Reads the options reply (or the subscription's value): `(vs16 wide, codepoint-widths
/// items)`. `None` when the body is not ours.
pub(crate) fn parse_options(body: &[u8]) -> Option<(bool, Vec<String>)> {
    let rest = body.strip_prefix(b"O")?;
    let (flag, items) = match rest.iter().position(|&b| b == b'\t') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    // An unknown option (before 3.6) expands to nothing: tmux's default, on.
    let wide = !matches!(flag, b"0" | b"off");
    let items = String::from_utf8_lossy(items)
        .split([' ', '\n', ','])
        .filter(|s| !s.is_empty())
        .take(muxlink_term::width_tables::MAX_CODEPOINT_WIDTH_ITEMS + 1)
        .map(str::to_owned)
        .collect();
    Some((wide, items))
}

/// Reads the host name reply.
pub(crate) fn parse_host(body: &[u8]) -> Option<&[u8]> {
    body.strip_prefix(b"H")
}

/// Reads the pane mode reply: `Some(None)` for no mode, `Some(Some(mode))`, `None` when the
/// body is not ours.
pub(crate) fn parse_pane_mode(body: &[u8]) -> Option<Option<String>> {
    let rest = body.strip_prefix(b"M")?;
    Some((!rest.is_empty()).then(|| String::from_utf8_lossy(rest).into_owned()))
}

/// The per-pane sync line: the pane's formats, its history and screen (the history only
/// when `alternate`), its pending partial escape sequence, its visible rows one by one (no
/// joining, to restore a pending wrap) and (when `alternate`) its saved normal screen,
/// joined and then not, in that order, in one line so tmux runs them
/// back to back with no pane output in between. Every capture is fenced (nonces from
/// `nonces`): no line a pane shows can end its block or be read as a notification. The `-a`
/// captures are last because they fail when the alternate screen is off, and tmux skips the
/// rest of a line after a failure. Its reply blocks: 4, or 6 with `alternate`.
pub(crate) fn pane_sync_line(
    pane: PaneId,
    history_limit: usize,
    alternate: bool,
    nonces: &mut impl NonceSource,
) -> Result<FencedLine, CommandError> {
    let limit = u32::try_from(history_limit).unwrap_or(u32::MAX);
    let formats = built(command::display_message(
        Some(Target::Pane(pane)),
        PANE_FORMAT,
    ));
    // -e -q -J -N -S -limit: history and screen, wrapped lines joined. On the alternate
    // screen (-E -1) the history only: that screen's lines are the rows below, since
    // joined lines would hide where the history ends.
    let main = if alternate {
        // `-S -0 -E -1` would be read as lines -1..0 (tmux swaps them): one line at least.
        CapturePane {
            end: Some(CaptureBound::Line(-1)),
            ..CapturePane::restore(pane, limit.max(1))
        }
    } else {
        CapturePane::restore(pane, limit)
    };
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
    let mut parts = vec![
        LinePart::Plain(formats),
        LinePart::Fenced(main.build()),
        LinePart::Fenced(partial.build()),
        LinePart::Fenced(rows.build()),
    ];
    if alternate {
        // -e -q -J -N -a: the saved normal screen (fails when the alternate one is off).
        parts.push(LinePart::Fenced(
            CapturePane {
                alternate: true,
                start: None,
                end: None,
                ..main
            }
            .build(),
        ));
        // -q -a, not joined: one line per row of it, to know its height (the joined
        // lines above do not tell).
        parts.push(LinePart::Fenced(
            CapturePane {
                alternate: true,
                quiet: true,
                ..CapturePane::new(pane)
            }
            .build(),
        ));
    }
    fenced_line(&parts, nonces)
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

/// One window's fields (one link of it into a session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowInfo {
    pub(crate) id: WindowId,
    pub(crate) session: SessionId,
    pub(crate) layout: String,
    pub(crate) visible_layout: String,
    pub(crate) zoomed: bool,
    pub(crate) active_pane: Option<PaneId>,
    /// The window is its session's current window.
    pub(crate) active: bool,
    /// `#{window_index}` in that session.
    pub(crate) index: u32,
    pub(crate) name: Vec<u8>,
}

/// One pane's fields, everything needed to rebuild its cursor and modes. Sizes and
/// positions are within tmux's bounds (a record beyond them is refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PaneFormats {
    pub(crate) id: Option<PaneId>,
    pub(crate) window: Option<WindowId>,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
    /// Left edge within the window (negative for a floating pane left of it, tmux 3.7).
    pub(crate) x: i32,
    /// Top edge within the window.
    pub(crate) y: i32,
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
    /// The pane's own `history-limit` (fixed when the pane was created), at most tmux's
    /// `INT_MAX`.
    pub(crate) history_limit: Option<usize>,
    pub(crate) title: Vec<u8>,
}

/// tmux's largest size (`WINDOW_MAXIMUM`).
const MAX: u32 = MAX_SIZE;

fn num<T: std::str::FromStr>(field: &[u8]) -> Option<T> {
    // Digits only (no sign, no space, no `+`), as tmux prints them.
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// A number within `0..=max`.
fn bounded(field: &[u8], max: u32) -> Option<u16> {
    let v: u32 = num(field)?;
    (v <= max).then_some(v as u16)
}

/// A signed offset within `-MAX..=MAX` (tmux 3.7 prints floating panes' with `%d`).
fn offset(field: &[u8]) -> Option<i32> {
    match field.strip_prefix(b"-") {
        Some(digits) => {
            let v: u32 = num(digits)?;
            (v > 0 && v <= MAX).then(|| -(v as i32))
        }
        None => {
            let v: u32 = num(field)?;
            (v <= MAX).then_some(v as i32)
        }
    }
}

fn flag(field: &[u8]) -> Option<bool> {
    match field {
        b"1" => Some(true),
        b"0" | b"" => Some(false),
        _ => None,
    }
}

/// Splits `line` into `n` tab-separated fields, the last one taking the rest (tabs included).
fn fields(line: &[u8], n: usize) -> Vec<&[u8]> {
    line.splitn(n, |&b| b == b'\t').collect()
}

/// Reads a listing body into records: a line `parse` accepts starts a record; any other line
/// continues the previous record's free text (the last field, which may hold a line break:
/// `append` adds it); lines before the first record are dropped.
fn records<T>(
    body: &[u8],
    parse: impl Fn(&[u8]) -> Option<T>,
    append: impl Fn(&mut T, &[u8]),
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    if body.is_empty() {
        return out;
    }
    for line in body.split(|&b| b == b'\n') {
        if let Some(r) = parse(line) {
            out.push(r);
        } else if let Some(last) = out.last_mut() {
            append(last, line);
        }
    }
    out
}

fn push_line(text: &mut Vec<u8>, line: &[u8]) {
    text.push(b'\n');
    text.extend_from_slice(line);
}

impl SessionInfo {
    /// Reads a `list-sessions` body.
    pub(crate) fn parse_all(body: &[u8]) -> Vec<SessionInfo> {
        records(body, SessionInfo::parse, |s, l| push_line(&mut s.name, l))
    }

    /// One line: `$N \t (@N | empty) \t name`.
    fn parse(line: &[u8]) -> Option<SessionInfo> {
        let f = fields(line, 3);
        if f.len() != 3 {
            return None;
        }
        let active_window = match f[1] {
            b"" => None,
            w => Some(WindowId::parse(w)?),
        };
        Some(SessionInfo {
            id: SessionId::parse(f[0])?,
            active_window,
            name: f[2].to_vec(),
        })
    }
}

impl WindowInfo {
    /// Reads a `list-windows -a` (or one window's `display-message`) body.
    pub(crate) fn parse_all(body: &[u8]) -> Vec<WindowInfo> {
        records(body, WindowInfo::parse, |w, l| push_line(&mut w.name, l))
    }

    /// One line: `@N \t $N \t layout \t layout \t flag \t %N \t flag \t index \t name`.
    fn parse(line: &[u8]) -> Option<WindowInfo> {
        let f = fields(line, 9);
        if f.len() != 9 {
            return None;
        }
        let layout = |b: &[u8]| -> Option<String> {
            // A layout is printable ASCII (its own parser checks the rest).
            (b.len() >= 5 && b.iter().all(|c| c.is_ascii_graphic()))
                .then(|| String::from_utf8_lossy(b).into_owned())
        };
        Some(WindowInfo {
            id: WindowId::parse(f[0])?,
            session: SessionId::parse(f[1])?,
            layout: layout(f[2])?,
            visible_layout: layout(f[3])?,
            zoomed: flag(f[4])?,
            active_pane: PaneId::parse(f[5]),
            active: flag(f[6])?,
            index: num(f[7])?,
            name: f[8].to_vec(),
        })
    }
}

impl PaneFormats {
    /// Number of fields in the pane format.
    const FIELDS: usize = 30;

    /// Reads a `list-panes` body (or one pane's `display-message` body).
    pub(crate) fn parse_all(body: &[u8]) -> Vec<PaneFormats> {
        records(body, PaneFormats::parse, |p, l| push_line(&mut p.title, l))
    }

    /// Reads one record; `None` unless every field has its type and is within tmux's
    /// bounds.
    pub(crate) fn parse(record: &[u8]) -> Option<PaneFormats> {
        let f = fields(record, Self::FIELDS);
        if f.len() != Self::FIELDS {
            return None;
        }
        let cols = bounded(f[2], MAX).filter(|&c| c > 0)?;
        let rows = bounded(f[3], MAX).filter(|&r| r > 0)?;
        let mode = match f[27] {
            b"" => None,
            m => Some(String::from_utf8_lossy(m).into_owned()),
        };
        // Positions within the pane (the cursor may sit one past the last column: a
        // pending wrap).
        let col = |b: &[u8]| bounded(b, MAX).map(|v| v.min(cols));
        let row = |b: &[u8]| bounded(b, MAX).map(|v| v.min(rows - 1));
        let opt_flag = |b: &[u8]| flag(b);
        let history_limit = num::<u64>(f[28]).map(|v| v.min(i32::MAX as u64) as usize);
        Some(PaneFormats {
            id: Some(PaneId::parse(f[0])?),
            window: Some(WindowId::parse(f[1])?),
            cols,
            rows,
            x: offset(f[4])?,
            y: offset(f[5])?,
            cursor_x: col(f[6])?,
            cursor_y: row(f[7])?,
            cursor_visible: flag(f[8])?,
            alternate: flag(f[9])?,
            alternate_saved_x: col(f[10]).unwrap_or(0),
            // The saved normal screen keeps the height it had when the alternate screen
            // came on: a pane made shorter since has its saved cursor below the last row.
            alternate_saved_y: bounded(f[11], MAX).unwrap_or(0),
            insert: opt_flag(f[12])?,
            keypad_cursor: opt_flag(f[13])?,
            keypad: opt_flag(f[14])?,
            mouse_standard: opt_flag(f[15])?,
            mouse_button: opt_flag(f[16])?,
            mouse_all: opt_flag(f[17])?,
            mouse_sgr: opt_flag(f[18])?,
            mouse_utf8: opt_flag(f[19])?,
            wrap: flag(f[20])?,
            origin: opt_flag(f[21])?,
            scroll_upper: row(f[22]).unwrap_or(0),
            scroll_lower: row(f[23]).unwrap_or(rows - 1),
            in_mode: opt_flag(f[24])?,
            history_size: num(f[25]).unwrap_or(0),
            active: opt_flag(f[26])?,
            mode,
            history_limit,
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
    fn history_limits_are_numbers_or_nothing() {
        assert_eq!(parse_history_limit(b"2000"), Some(2000));
        assert_eq!(parse_history_limit(b"0"), Some(0));
        for bad in [&b""[..], b"-1", b"20 ", b"1e9", b"99999999999999999999"] {
            assert_eq!(parse_history_limit(bad), None, "{bad:?}");
        }
        assert_eq!(
            history_subscription_cmd().as_bytes(),
            b"refresh-client -B \"muxlink-history:%*:#{history_limit}\"\n"
        );
    }

    #[test]
    fn handshake_commands_build_one_line_each() {
        let cmds = [
            version_cmd(),
            list_sessions_cmd(),
            list_windows_cmd(),
            windows_subscription_cmd(),
            list_panes_cmd(None),
            list_panes_cmd(Some(WindowId(4))),
            pane_mode_cmd(PaneId(9)),
            host_cmd(),
            options_cmd(),
            options_subscription_cmd(),
            probe_cmd(&[0x4E2D, 0x1F600]).unwrap(),
            alternate_cmd(PaneId(9)),
        ];
        for c in &cmds {
            let t = text(c);
            assert!(t.ends_with('\n') && t.matches('\n').count() == 1, "{t:?}");
            assert_eq!(c.reply_blocks(), Some(1));
        }
        assert!(text(&cmds[0]).starts_with("display-message -p -- "));
        assert!(
            text(&cmds[2]).starts_with("list-windows -a -F "),
            "{}",
            text(&cmds[2])
        );
        assert_eq!(
            text(&cmds[3]),
            "refresh-client -B \"muxlink-windows::#{W:#{window_id}.#{window_index} }\"\n"
        );
        assert!(text(&cmds[4]).starts_with("list-panes -s -F "));
        assert!(text(&cmds[5]).starts_with("list-panes -t @4 -F "));
        assert!(text(&cmds[6]).contains("-t %9 "));
        assert!(text(&cmds[6]).ends_with("\"M#{pane_mode}\"\n"));
        assert!(text(&cmds[9]).starts_with("refresh-client -B \"muxlink-widths::O#{"));
        // Non-ASCII goes as octal escapes: the line is printable ASCII.
        assert!(text(&cmds[10])
            .bytes()
            .all(|b| b == b'\n' || (0x20..0x7f).contains(&b)));
        assert_eq!(client_flags_cmd(None, false), None);
        assert_eq!(
            text(&client_flags_cmd(Some(2), true).unwrap()),
            "refresh-client -f \"pause-after=2,ignore-size,read-only\"\n"
        );
    }

    #[test]
    fn pane_sync_line_fences_every_capture() {
        let mut n = 0u8;
        let mut nonces = || {
            n += 1;
            [n; 16]
        };
        let l = pane_sync_line(PaneId(7), 2000, false, &mut nonces).unwrap();
        assert_eq!(l.reply_blocks(), 4);
        let t = String::from_utf8(l.to_bytes()).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2, "{t}");
        let parts: Vec<&str> = lines[0].split(" ; ").collect();
        // formats ; fence ; main ; fence ; partial ; fence ; rows ; fence
        assert_eq!(parts.len(), 8, "{t}");
        assert!(parts[0].starts_with("display-message -p -t %7 -- "));
        assert!(parts[1].starts_with("display-message -p -- \"0101"));
        assert_eq!(parts[2], "capture-pane -p -e -J -N -q -S -2000 -t %7");
        assert_eq!(parts[4], "capture-pane -p -C -P -t %7");
        assert_eq!(parts[6], "capture-pane -p -e -N -q -t %7");
        assert!(lines[1].starts_with("display-message -p -- \"0505"));
        let l = pane_sync_line(PaneId(7), 10, true, &mut nonces).unwrap();
        assert_eq!(l.reply_blocks(), 6);
        let t = String::from_utf8(l.line().as_bytes().to_vec()).unwrap();
        // The history only, the saved screen joined, then its rows.
        assert!(
            t.contains(" ; capture-pane -p -e -J -N -q -S -10 -E -1 -t %7 ; "),
            "{t}"
        );
        assert!(
            t.contains(" ; capture-pane -p -e -J -N -q -a -t %7 ; "),
            "{t}"
        );
        assert!(t.contains(" ; capture-pane -p -q -a -t %7 ; "), "{t}");
        let l = pane_sync_line(PaneId(7), 0, true, &mut nonces).unwrap();
        let t = String::from_utf8(l.line().as_bytes().to_vec()).unwrap();
        assert!(t.contains(" -S -1 -E -1 -t %7 ; "), "{t}");
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
        let body = b"@1\t$0\t1234,80x24,0,0,1\t1234,80x24,0,0,1\t0\t%1\t1\t7\ta\tb\nc\n\
@2\t$3\tlayout\tvisib\t1\t%3\t0\t9\tz\n\
@2\t$3\tlayout\tvisib\t1\t%3\t0\tx\tnot an index: a continuation";
        let w = WindowInfo::parse_all(body);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, b"a\tb\nc");
        assert_eq!(w[0].session, SessionId(0));
        assert_eq!(w[0].active_pane, Some(PaneId(1)));
        assert_eq!(w[0].index, 7);
        assert!(w[1].zoomed);
        assert_eq!(w[1].session, SessionId(3));
        assert_eq!(
            w[1].name,
            b"z\n@2\t$3\tlayout\tvisib\t1\t%3\t0\tx\tnot an index: a continuation"
        );
        // A line of another shape before any record is nobody's.
        assert!(WindowInfo::parse_all(b"garbage\n%1\tx").is_empty());
    }

    #[test]
    fn sessions_check_their_shape() {
        let s = SessionInfo::parse_all(b"$0\t@1\tmain\n$2\t\tempty\n$x\t@1\tjunk");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].active_window, None);
        assert_eq!(s[1].name, b"empty\n$x\t@1\tjunk");
    }

    const PANE: &[u8] = b"%3\t@1\t80\t24\t0\t0\t5\t7\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t1\t0\t0\t23\t0\t12\t1\t\t2000\tti\ttle";

    #[test]
    fn pane_formats() {
        let p = PaneFormats::parse(PANE).unwrap();
        assert_eq!(p.id, Some(PaneId(3)));
        assert_eq!((p.cursor_x, p.cursor_y), (5, 7));
        assert!(p.keypad_cursor && p.wrap && !p.alternate);
        assert_eq!(p.scroll_lower, 23);
        assert_eq!(p.history_size, 12);
        assert_eq!(p.mode, None);
        assert_eq!(p.title, b"ti\ttle");
        assert_eq!(p.history_limit, Some(2000));
        assert!(PaneFormats::parse(b"%3\t@1").is_none());
        let all = PaneFormats::parse_all(&[PANE, b"\nsecond line of the title"].concat());
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].title, b"ti\ttle\nsecond line of the title");
    }

    #[test]
    fn pane_formats_are_bounded_as_tmux_bounds_them() {
        let with = |i: usize, v: &str| {
            let mut f: Vec<String> = String::from_utf8_lossy(PANE)
                .splitn(30, '\t')
                .map(str::to_owned)
                .collect();
            f[i] = v.to_owned();
            PaneFormats::parse(f.join("\t").as_bytes())
        };
        assert!(with(2, "10000").is_some());
        for (i, v) in [
            (2, "10001"),
            (3, "65535"),
            (2, "0"),
            (2, "-1"),
            (2, "+8"),
            (4, "99999"),
            (5, "-10001"),
            (5, "-0"),
            (8, "2"),
        ] {
            assert!(with(i, v).is_none(), "field {i} = {v}");
        }
        // tmux 3.7's floating panes: signed offsets.
        let p = with(4, "-5").unwrap();
        assert_eq!(p.x, -5);
        // The cursor stays within the pane, the history limit within INT_MAX.
        assert_eq!(with(6, "9000").unwrap().cursor_x, 80);
        assert_eq!(with(7, "9000").unwrap().cursor_y, 23);
        assert_eq!(
            with(28, "99999999999").unwrap().history_limit,
            Some(i32::MAX as usize)
        );
    }

    #[test]
    fn literal_prefixes() {
        assert_eq!(parse_pane_mode(b"M"), Some(None));
        assert_eq!(
            parse_pane_mode(b"Mcopy-mode"),
            Some(Some("copy-mode".into()))
        );
        assert_eq!(parse_pane_mode(b"copy-mode"), None);
        assert_eq!(parse_alternate(b"A1"), Some(true));
        assert_eq!(parse_alternate(b"A0"), Some(false));
        assert_eq!(parse_alternate(b"1"), None);
        assert_eq!(parse_host(b"Hbox"), Some(&b"box"[..]));
        assert_eq!(parse_host(b""), None);
        assert_eq!(parse_options(b"O1\t"), Some((true, vec![])));
        assert_eq!(
            parse_options(b"O0\tU+1F600=1 U+2600=2"),
            Some((false, vec!["U+1F600=1".into(), "U+2600=2".into()]))
        );
        assert_eq!(parse_options(b"O"), Some((true, vec![])));
        assert_eq!(parse_options(b"1\t"), None);
        assert_eq!(parse_probe(b"W2 1", 2), Some(vec![2, 1]));
        assert_eq!(parse_probe(b"2 1", 2), None);
        assert_eq!(parse_probe(b"W2", 2), None);
    }

    #[test]
    fn octal() {
        let mut out = Vec::new();
        unescape_octal(b"\\033[1;3\\\\x", &mut out);
        assert_eq!(out, b"\x1b[1;3\\x");
    }
}

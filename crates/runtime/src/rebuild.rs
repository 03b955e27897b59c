//! The rebuild sequence: bytes that, fed to a fresh VT emulator of the pane's size, reproduce
//! what tmux holds for a pane (history, screen, the saved normal screen when the alternate one
//! is on, cursor, scroll region, modes, title, a pending partial escape sequence).
//!
//! Grid mode feeds it to a fresh muxlink emulator; bytes mode hands it to the host
//! ([`crate::ClientEvent::PaneReset`]). One sequence, so both modes rebuild the same pane.

use crate::queries::PaneFormats;

/// What a pane sync read from tmux.
#[derive(Debug, Default, Clone)]
pub(crate) struct PaneCapture {
    /// Fields of the pane's formats, read in the same command line as the captures.
    pub(crate) formats: PaneFormats,
    /// `capture-pane -p -e -q -J -N -S -LIMIT`: history then the current screen; history
    /// only (`-E -1`) in a sync that asked for the saved normal screen (`alternate`), and
    /// then nothing of it counts when `formats.history_size` is 0 (tmux gives the first
    /// screen row there).
    pub(crate) main: Vec<u8>,
    /// `capture-pane -p -P -C`, already unescaped: a pending partial escape sequence.
    pub(crate) partial: Vec<u8>,
    /// `capture-pane -p -e -q -N`: the visible rows, each on its own line (not joined).
    pub(crate) rows: Vec<u8>,
    /// `capture-pane -a`: the saved normal screen while the alternate one is on.
    pub(crate) alternate: Option<Vec<u8>>,
    /// `capture-pane -p -q -a`, not joined: how many rows the saved normal screen has (its
    /// lines, some of which the joined capture above puts together).
    pub(crate) alternate_rows: Option<usize>,
}

fn push_num(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(n.to_string().as_bytes());
}

fn cup(out: &mut Vec<u8>, y: u16, x: u16) {
    out.extend_from_slice(b"\x1b[");
    push_num(out, u32::from(y) + 1);
    out.push(b';');
    push_num(out, u32::from(x) + 1);
    out.push(b'H');
}

fn lines(body: &[u8]) -> Vec<&[u8]> {
    if body.is_empty() {
        return vec![b"".as_slice()];
    }
    body.split(|&b| b == b'\n').collect()
}

/// Writes captured lines (`capture-pane -e`, whose style carries from one line to the
/// next) with `\r\n` between them. A line break at the bottom scrolls a blank line in with
/// the current background colour, which the pane never had there (its program reset the
/// style before its own line break): so a background still set at a line's end is
/// reset for the break and set again after it.
fn write_lines(out: &mut Vec<u8>, lines: &[&[u8]]) {
    let mut bg: Option<&[u8]> = None;
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            match bg {
                Some(set) => {
                    out.extend_from_slice(b"\x1b[49m\r\n");
                    out.extend_from_slice(set);
                }
                None => out.extend_from_slice(b"\r\n"),
            }
        }
        out.extend_from_slice(l);
        track_background(l, &mut bg);
    }
}

/// Follows the background colour through the SGR sequences of a captured line: `bg` is
/// the sequence that set it, `None` for the default. tmux writes the background in a
/// sequence of its own (`4x`, `10x`, `48;...`, `49`) and a reset as a sequence that starts
/// with `0`.
fn track_background<'a>(line: &'a [u8], bg: &mut Option<&'a [u8]>) {
    let mut i = 0;
    while let Some(at) = line[i..].iter().position(|&b| b == 0x1b) {
        let start = i + at;
        i = start + 1;
        if line.get(start + 1) != Some(&b'[') {
            continue;
        }
        let params = start + 2;
        let Some(len) = line[params..]
            .iter()
            .position(|&b| !(b.is_ascii_digit() || b == b';' || b == b':'))
        else {
            return;
        };
        let end = params + len;
        if line[end] != b'm' {
            continue;
        }
        i = end + 1;
        let first = line[params..end]
            .split(|&b| b == b';' || b == b':')
            .next()
            .unwrap_or_default();
        match first {
            b"" | b"0" | b"49" => *bg = None,
            b"40" | b"41" | b"42" | b"43" | b"44" | b"45" | b"46" | b"47" | b"48" | b"100"
            | b"101" | b"102" | b"103" | b"104" | b"105" | b"106" | b"107" => {
                *bg = Some(&line[start..=end])
            }
            _ => {}
        }
    }
}

/// Whether a captured line shows nothing: spaces and SGR sequences only.
fn is_blank(line: &[u8]) -> bool {
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b' ' => i += 1,
            0x1b if line.get(i + 1) == Some(&b'[') => {
                let end = line[i + 2..]
                    .iter()
                    .position(|&b| !(b.is_ascii_digit() || b == b';' || b == b':'));
                match end.map(|e| i + 2 + e) {
                    Some(e) if line[e] == b'm' => i = e + 1,
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    true
}

/// Removes bytes that would end or break an OSC string.
fn push_title(out: &mut Vec<u8>, title: &[u8]) {
    out.extend_from_slice(b"\x1b]2;");
    out.extend(title.iter().copied().filter(|&b| b >= 0x20 && b != 0x7f));
    out.extend_from_slice(b"\x1b\\");
}

/// The rows of the saved normal screen when the pane is on the alternate screen and that
/// screen is not as tall as the pane (the pane was resized since the alternate screen came
/// on: shorter by a split, taller by a grown window). tmux keeps the saved screen at its old
/// size and resizes back to it when the alternate screen goes off, with the cursor saved in
/// it, so an emulator rebuilt for such a pane is built at that height:
/// [`rebuild_sequence_saved_size`] up to its split point, then resized to the pane's size,
/// then the rest.
pub(crate) fn saved_screen_rows(cap: &PaneCapture) -> Option<u16> {
    let n = saved_rows(cap)?;
    (n != usize::from(cap.formats.rows.max(1))).then(|| u16::try_from(n).unwrap_or(u16::MAX))
}

/// The rows of the saved normal screen, when the alternate screen is on.
fn saved_rows(cap: &PaneCapture) -> Option<usize> {
    let saved = cap.alternate.as_ref().filter(|_| cap.formats.alternate)?;
    Some(cap.alternate_rows.unwrap_or_else(|| lines(saved).len()))
}

/// The history lines of a capture whose `main` holds the history only (a sync on the
/// alternate screen).
fn history_only(cap: &PaneCapture) -> Vec<&[u8]> {
    if cap.formats.history_size == 0 || cap.main.is_empty() {
        Vec::new()
    } else {
        lines(&cap.main)
    }
}

/// Appends the rebuild sequence for `cap` to `out`, for an emulator of the pane's size.
pub(crate) fn rebuild_sequence(cap: &PaneCapture, out: &mut Vec<u8>) {
    rebuild(cap, out, Normal::Trimmed);
}

/// [`rebuild_sequence`] for an emulator as tall as [`saved_screen_rows`], the saved screen
/// written whole. Returns where in `out` the alternate screen came on: the emulator takes
/// the pane's size there, before the alternate screen's own lines are written.
pub(crate) fn rebuild_sequence_saved_size(cap: &PaneCapture, out: &mut Vec<u8>) -> usize {
    rebuild(cap, out, Normal::Whole).unwrap_or(out.len())
}

/// [`rebuild_sequence`] for a pane on the alternate screen with the normal screen (history
/// included) given as `lines` (lines joined as `capture-pane -e -J -N` joins them, exactly
/// history plus the pane's rows of them) and the cursor `x`, `y` to restore on it, instead
/// of the captured history and saved screen (see [`crate::rebuild_restored`]).
pub(crate) fn rebuild_sequence_restored(
    cap: &PaneCapture,
    lines: &[u8],
    x: u16,
    y: u16,
    out: &mut Vec<u8>,
) {
    rebuild(cap, out, Normal::Restored { lines, x, y });
}

/// How the normal screen saved under an alternate one is written.
#[derive(Clone, Copy)]
enum Normal<'a> {
    /// The captured saved screen, blank lines that tmux would drop first trimmed so that it
    /// fits the pane (an emulator of the pane's size).
    Trimmed,
    /// The captured saved screen whole (an emulator of the saved screen's height).
    Whole,
    /// Given: history and screen as tmux will show them once the alternate screen is off,
    /// and the cursor it will restore.
    Restored { lines: &'a [u8], x: u16, y: u16 },
}

/// Returns the offset in `out` just after the alternate screen came on, if it did.
fn rebuild(cap: &PaneCapture, out: &mut Vec<u8>, normal_screen: Normal<'_>) -> Option<usize> {
    let f = &cap.formats;
    let mut alt_at = None;
    let rows = usize::from(f.rows.max(1));
    out.extend_from_slice(b"\x1b[0m");
    // On the alternate screen, its lines are the visible rows as they are (not joined: a
    // joined capture would hide where the history ends).
    let alternate_screen = |out: &mut Vec<u8>| {
        let l = lines(&cap.rows);
        write_lines(out, &l[..l.len().min(rows)]);
    };
    match (&cap.alternate, normal_screen) {
        (Some(_), Normal::Restored { lines, x, y }) if f.alternate => {
            out.extend_from_slice(lines);
            out.extend_from_slice(b"\x1b[0m");
            cup(out, y, x.min(f.cols.saturating_sub(1)));
            out.extend_from_slice(b"\x1b[?1049h");
            alt_at = Some(out.len());
            out.extend_from_slice(b"\x1b[H");
            alternate_screen(out);
        }
        (Some(saved), normal) if f.alternate => {
            let trim_saved = matches!(normal, Normal::Trimmed);
            let history = history_only(cap);
            let mut saved_rows = saved_rows(cap).unwrap_or(0);
            // tmux keeps the saved normal screen at the size it had when the alternate one
            // came on: a pane made shorter since (a split) holds more saved rows than the
            // pane. Written whole at the pane's size, the surplus would scroll into history.
            // `Whole` is for an emulator as tall as it (grid mode, `rebuild_restored`);
            // `Trimmed` only comes here with a taller saved screen when bytes mode could not
            // afford that emulator, and approximates tmux's leaving it: blank lines below
            // the cursor dropped (tmux drops every line below it), the rest pushed into
            // history.
            let mut saved = lines(saved);
            let saved_y = usize::from(f.alternate_saved_y);
            // (A blank line is one row.)
            while trim_saved && saved_rows > rows && saved_rows > saved_y + 1 {
                match saved.last() {
                    Some(l) if is_blank(l) => {
                        saved.pop();
                        saved_rows -= 1;
                    }
                    _ => break,
                }
            }
            let surplus = if trim_saved {
                saved_rows.saturating_sub(rows)
            } else {
                0
            };
            // History, then the saved normal screen: two captures, each starting from the
            // default style.
            if !history.is_empty() {
                write_lines(out, &history);
                out.extend_from_slice(b"\x1b[0m\r\n");
            }
            write_lines(out, &saved);
            out.extend_from_slice(b"\x1b[0m");
            cup(
                out,
                f.alternate_saved_y.saturating_sub(surplus as u16),
                f.alternate_saved_x.min(f.cols.saturating_sub(1)),
            );
            out.extend_from_slice(b"\x1b[?1049h");
            alt_at = Some(out.len());
            out.extend_from_slice(b"\x1b[H");
            alternate_screen(out);
        }
        (Some(_), _) => {
            // A line that asked for the saved screen found none (sync retries it; kept
            // whole should one get here): the history alone, then the screen's rows.
            let history = history_only(cap);
            if !history.is_empty() {
                write_lines(out, &history);
                out.extend_from_slice(b"\x1b[0m\r\n");
            }
            alternate_screen(out);
        }
        (None, _) => write_lines(out, &lines(&cap.main)),
    }
    out.extend_from_slice(b"\x1b[0m");
    let last_row = f.rows.saturating_sub(1);
    if f.scroll_upper != 0 || (f.scroll_lower != last_row && f.scroll_lower != 0) {
        out.extend_from_slice(b"\x1b[");
        push_num(out, u32::from(f.scroll_upper) + 1);
        out.push(b';');
        push_num(out, u32::from(f.scroll_lower) + 1);
        out.push(b'r');
    }
    let cx = f.cursor_x.min(f.cols.saturating_sub(1));
    let row = lines(&cap.rows).get(usize::from(f.cursor_y)).copied();
    if f.cursor_x >= f.cols && f.cols > 0 && !f.origin && row.is_some() {
        // Wrap pending after the last column: write the cursor's row again (every cell,
        // `-N`), which leaves the cursor in exactly that state.
        cup(out, f.cursor_y, 0);
        out.extend_from_slice(row.unwrap_or_default());
        out.extend_from_slice(b"\x1b[0m");
    } else if f.origin {
        out.extend_from_slice(b"\x1b[?6h");
        cup(out, f.cursor_y.saturating_sub(f.scroll_upper), cx);
    } else {
        cup(out, f.cursor_y, cx);
    }
    let mut set = |on: bool, seq: &[u8]| {
        if on {
            out.extend_from_slice(seq);
        }
    };
    set(f.insert, b"\x1b[4h");
    set(f.keypad_cursor, b"\x1b[?1h");
    set(f.keypad, b"\x1b=");
    set(f.mouse_standard, b"\x1b[?1000h");
    set(f.mouse_button, b"\x1b[?1002h");
    set(f.mouse_all, b"\x1b[?1003h");
    set(f.mouse_utf8, b"\x1b[?1005h");
    set(f.mouse_sgr, b"\x1b[?1006h");
    set(!f.wrap, b"\x1b[?7l");
    set(!f.cursor_visible, b"\x1b[?25l");
    if !f.title.is_empty() {
        push_title(out, &f.title);
    }
    out.extend_from_slice(&cap.partial);
    alt_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_screen_cursor_and_modes() {
        let cap = PaneCapture {
            formats: PaneFormats {
                cols: 10,
                rows: 3,
                cursor_x: 2,
                cursor_y: 1,
                cursor_visible: false,
                wrap: true,
                keypad_cursor: true,
                scroll_lower: 2,
                ..Default::default()
            },
            main: b"ab\n$ \n".to_vec(),
            partial: b"\x1b[3".to_vec(),
            rows: Vec::new(),
            alternate: None,
            alternate_rows: None,
        };
        let mut out = Vec::new();
        rebuild_sequence(&cap, &mut out);
        let s = String::from_utf8_lossy(&out);
        assert!(s.starts_with("\x1b[0mab\r\n$ \r\n"), "{s:?}");
        assert!(s.contains("\x1b[2;3H"));
        assert!(s.contains("\x1b[?1h") && s.contains("\x1b[?25l"));
        assert!(!s.contains("r\x1b") && !s.contains("\x1b[?7l"));
        assert!(s.ends_with("\x1b[3"));
    }

    #[test]
    fn a_saved_screen_of_another_height_splits_where_the_alternate_screen_comes_on() {
        let cap = |saved: &[u8], saved_rows: usize| PaneCapture {
            formats: PaneFormats {
                cols: 10,
                rows: 3,
                alternate: true,
                alternate_saved_x: 1,
                alternate_saved_y: 3,
                scroll_lower: 2,
                wrap: true,
                history_size: 1,
                ..Default::default()
            },
            // A sync on the alternate screen: the history only, and that screen's rows.
            main: b"h".to_vec(),
            partial: Vec::new(),
            rows: b"alt\n\n".to_vec(),
            alternate: Some(saved.to_vec()),
            alternate_rows: Some(saved_rows),
        };
        // As tall as the pane: rebuilt at the pane's size, also when a wrapped line
        // makes it fewer lines than rows.
        assert_eq!(saved_screen_rows(&cap(b"a\nb\nc", 3)), None);
        assert_eq!(saved_screen_rows(&cap(b"a\nbbbbbbbbbbbb", 3)), None);
        for (saved, n) in [
            (b"a\nb\nc\nd\n".as_slice(), 5),
            (b"a\nb", 2),
            (b"a\nbbbbbbbbbbbb\nc", 4),
        ] {
            let c = cap(saved, n);
            assert_eq!(saved_screen_rows(&c), Some(n as u16));
            let mut out = Vec::new();
            let at = rebuild_sequence_saved_size(&c, &mut out);
            let (before, after) = out.split_at(at);
            let before = String::from_utf8_lossy(before);
            // History and the whole saved screen, the saved cursor as tmux has it, then
            // the alternate screen on; its lines come after the split.
            assert!(
                before.starts_with("\x1b[0mh\x1b[0m\r\na\r\nb"),
                "{before:?}"
            );
            assert!(before.ends_with("\x1b[4;2H\x1b[?1049h"), "{before:?}");
            assert!(after.starts_with(b"\x1b[Halt\r\n\r\n\x1b[0m"), "{after:?}");
        }
        // No history: what tmux gives for `-E -1` then (the first screen row) is not.
        let mut c = cap(b"a\nb\nc\nd", 4);
        c.formats.history_size = 0;
        let mut out = Vec::new();
        rebuild_sequence_saved_size(&c, &mut out);
        assert!(out.starts_with(b"\x1b[0ma\r\nb"));
        // Asked with `-a`, off by then: the history alone and the screen's rows.
        let mut c = cap(b"", 1);
        c.formats.alternate = false;
        let mut out = Vec::new();
        rebuild_sequence(&c, &mut out);
        assert!(out.starts_with(b"\x1b[0mh\x1b[0m\r\nalt\r\n\r\n\x1b[0m"));
        assert!(!out.windows(8).any(|w| w == b"\x1b[?1049h"));
    }

    /// A line that ends on a background colour: the line break after it scrolls in a line
    /// without it (tmux has none there), and the next line starts with it set again.
    #[test]
    fn a_background_left_set_at_a_line_end_does_not_fill_the_next_line() {
        let cap = PaneCapture {
            formats: PaneFormats {
                cols: 10,
                rows: 2,
                scroll_lower: 1,
                wrap: true,
                ..Default::default()
            },
            main: b"\x1b[1m\x1b[46ma \nb\x1b[48;5;41m \x1b[0m\nc\x1b[49m \nd".to_vec(),
            ..Default::default()
        };
        let mut out = Vec::new();
        rebuild_sequence(&cap, &mut out);
        let s = String::from_utf8_lossy(&out);
        assert!(
            s.starts_with(
                "\x1b[0m\x1b[1m\x1b[46ma \x1b[49m\r\n\x1b[46mb\x1b[48;5;41m \x1b[0m\r\n\
                 c\x1b[49m \r\nd"
            ),
            "{s:?}"
        );
        let mut t = muxlink_term::Terminal::new(10, 2);
        t.feed(&out);
        assert_eq!(t.history_len(), 2);
        for i in 0..4 {
            let line = t.line(i);
            assert!(
                line.iter().skip(2).all(|c| c.bg.is_default()),
                "line {i}: {:?}",
                line.to_vec()
            );
        }
    }

    #[test]
    fn blank_lines_are_spaces_and_styles_only() {
        assert!(super::is_blank(b""));
        assert!(super::is_blank(b"   \x1b[0m\x1b[39;49m  "));
        assert!(!super::is_blank(b" x "));
        assert!(!super::is_blank(b"\x1b[2J"));
        assert!(!super::is_blank(b"\x1b["));
    }
}

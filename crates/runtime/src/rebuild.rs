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
    /// `capture-pane -p -e -q -J -N -S -LIMIT`: history then the current screen.
    pub(crate) main: Vec<u8>,
    /// `capture-pane -p -P -C`, already unescaped: a pending partial escape sequence.
    pub(crate) partial: Vec<u8>,
    /// `capture-pane -p -e -q -N`: the visible rows, each on its own line (not joined).
    pub(crate) rows: Vec<u8>,
    /// `capture-pane -a`: the saved normal screen while the alternate one is on.
    pub(crate) alternate: Option<Vec<u8>>,
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

fn write_lines(out: &mut Vec<u8>, lines: &[&[u8]]) {
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            // No SGR reset here: tmux's `-e` capture carries style across lines. A coloured
            // background filling a scrolled-in line does no harm, since `-N` rewrites every
            // cell of every line.
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(l);
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
    let saved = cap.alternate.as_ref().filter(|_| cap.formats.alternate)?;
    let n = lines(saved).len();
    (n != usize::from(cap.formats.rows.max(1))).then(|| u16::try_from(n).unwrap_or(u16::MAX))
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
    let main = lines(&cap.main);
    out.extend_from_slice(b"\x1b[0m");
    match (&cap.alternate, normal_screen) {
        (Some(_), Normal::Restored { lines, x, y }) if f.alternate => {
            let split = main.len().saturating_sub(rows);
            out.extend_from_slice(lines);
            out.extend_from_slice(b"\x1b[0m");
            cup(out, y, x.min(f.cols.saturating_sub(1)));
            out.extend_from_slice(b"\x1b[?1049h");
            alt_at = Some(out.len());
            out.extend_from_slice(b"\x1b[H");
            write_lines(out, &main[split..]);
        }
        (Some(saved), normal) if f.alternate => {
            let trim_saved = matches!(normal, Normal::Trimmed);
            // history (main minus the alternate screen) + the saved normal screen
            let split = main.len().saturating_sub(rows);
            let mut normal: Vec<&[u8]> = main[..split].to_vec();
            // tmux keeps the saved normal screen at the size it had when the alternate one
            // came on: a pane made shorter since (a split) holds more saved lines than rows.
            // Written whole, the surplus would scroll into history now, where tmux has
            // none. tmux, when it leaves the alternate screen, drops the blank lines below
            // the cursor first and only then pushes lines into history: so do the same now.
            let mut saved = lines(saved);
            let saved_y = usize::from(f.alternate_saved_y);
            while trim_saved && saved.len() > rows && saved.len() > saved_y + 1 {
                match saved.last() {
                    Some(l) if is_blank(l) => {
                        saved.pop();
                    }
                    _ => break,
                }
            }
            let surplus = if trim_saved {
                saved.len().saturating_sub(rows)
            } else {
                0
            };
            normal.extend(saved);
            write_lines(out, &normal);
            out.extend_from_slice(b"\x1b[0m");
            cup(
                out,
                f.alternate_saved_y.saturating_sub(surplus as u16),
                f.alternate_saved_x.min(f.cols.saturating_sub(1)),
            );
            out.extend_from_slice(b"\x1b[?1049h");
            alt_at = Some(out.len());
            out.extend_from_slice(b"\x1b[H");
            write_lines(out, &main[split..]);
        }
        _ => write_lines(out, &main),
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
        let cap = |saved: &[u8]| PaneCapture {
            formats: PaneFormats {
                cols: 10,
                rows: 3,
                alternate: true,
                alternate_saved_x: 1,
                alternate_saved_y: 3,
                scroll_lower: 2,
                wrap: true,
                ..Default::default()
            },
            main: b"h\nalt\n\n".to_vec(),
            partial: Vec::new(),
            rows: Vec::new(),
            alternate: Some(saved.to_vec()),
        };
        // As tall as the pane: rebuilt at the pane's size.
        assert_eq!(saved_screen_rows(&cap(b"a\nb\nc")), None);
        for saved in [b"a\nb\nc\nd\n".as_slice(), b"a\nb"] {
            let c = cap(saved);
            let n = saved.split(|&b| b == b'\n').count() as u16;
            assert_eq!(saved_screen_rows(&c), Some(n));
            let mut out = Vec::new();
            let at = rebuild_sequence_saved_size(&c, &mut out);
            let (before, after) = out.split_at(at);
            let before = String::from_utf8_lossy(before);
            // History and the whole saved screen, the saved cursor as tmux has it, then
            // the alternate screen on; its lines come after the split.
            assert!(before.starts_with("\x1b[0mh\r\na\r\nb"), "{before:?}");
            assert!(before.ends_with("\x1b[4;2H\x1b[?1049h"), "{before:?}");
            assert!(after.starts_with(b"\x1b[Halt\r\n"));
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

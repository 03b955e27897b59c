//! Bytes mode's rebuild of a pane on the alternate screen whose saved normal screen is not
//! as tall as the pane (the pane was resized since the alternate screen came on).
//!
//! tmux keeps that saved screen at its old size. When the alternate screen goes off it
//! resizes the grid to the saved size, copies the saved lines back with the saved cursor,
//! then resizes to the pane's size (screen.c, `screen_alternate_off`): the lines below the
//! cursor are dropped first (blank or not), lines are pushed into history or pulled out of
//! it, all at that moment. A host's emulator has one size, so it cannot hold a screen of another height
//! under the alternate one: given the saved screen at the pane's size, it restores other
//! lines than tmux does. So muxlink does tmux's part ahead of time. It rebuilds the pane in
//! an emulator of its own as grid mode does (at the saved height, resized once the
//! alternate screen is on), leaves the alternate screen there, and writes that normal
//! screen (history, screen, the cursor tmux restores) under the alternate screen for the
//! host: leaving it in the host then shows what tmux shows.

use muxlink_term::release::ReleaseProfile;
use muxlink_term::{Attrs, Cell, Color, ColorKind, Terminal};

use crate::rebuild::{
    rebuild_sequence, rebuild_sequence_restored, rebuild_sequence_saved_size, saved_screen_rows,
    PaneCapture,
};

/// Appends the bytes-mode rebuild sequence for `cap` (a pane of `cols` x `rows`) to `out`:
/// [`rebuild_sequence`], except for a pane on the alternate screen whose saved screen has
/// another height, whose normal screen is written as tmux will restore it (module docs).
/// That costs an emulator of the pane's history (`history_limit` lines at most) fed once,
/// dropped before returning; when it could take more than `max_bytes` (its screen's cells,
/// and every captured byte counted as a cell), the captured saved screen is written
/// instead ([`rebuild_sequence`]), an approximation: right for a shorter pane whose lines
/// below the saved cursor are blank.
pub(crate) fn rebuild_sequence_bytes(
    cap: &PaneCapture,
    cols: u16,
    rows: u16,
    history_limit: usize,
    profile: Option<&ReleaseProfile>,
    max_bytes: usize,
    out: &mut Vec<u8>,
) {
    let Some(saved_rows) = saved_screen_rows(cap) else {
        return rebuild_sequence(cap, out);
    };
    if emulator_bytes(cap, cols, rows.max(saved_rows)) > max_bytes {
        return rebuild_sequence(cap, out);
    }
    let mut seq = Vec::new();
    let split = rebuild_sequence_saved_size(cap, &mut seq);
    let mut t = Terminal::with_history_limit(cols.max(1), saved_rows.max(1), history_limit);
    if let Some(p) = profile {
        t.set_profile(p);
    }
    // What grid mode holds for the pane (up to the alternate screen's own lines, which
    // leaving it throws away)...
    t.feed(&seq[..split]);
    t.resize(cols.max(1), rows.max(1));
    // ... and what tmux will show once the program leaves the alternate screen.
    t.feed(b"\x1b[?1049l");
    let mut lines = Vec::new();
    write_lines(&t, &mut lines);
    let c = t.cursor();
    rebuild_sequence_restored(cap, &lines, c.x, c.y, out);
}

/// At most what an emulator of `cols` x `rows` fed `cap` holds: every screen cell, and a
/// cell per captured byte for the history.
fn emulator_bytes(cap: &PaneCapture, cols: u16, rows: u16) -> usize {
    let captured = cap.main.len() + cap.alternate.as_ref().map_or(0, Vec::len);
    let cells = usize::from(cols.min(muxlink_term::MAX_SIZE))
        * usize::from(rows.min(muxlink_term::MAX_SIZE))
        + captured;
    cells.saturating_mul(std::mem::size_of::<Cell>())
}

/// Writes every line of `t` (history, then screen) as `capture-pane -e -J -N` gives them
/// to the rebuild: the cells tmux would capture (`Terminal::line_captured`), wide
/// characters' padding left out, a wrapped line joined to the next, `\r\n` between lines.
/// Each style change is written whole (SGR 0 first); the style is reset before a line
/// break, so that no scrolled-in line takes a background colour tmux did not give it.
fn write_lines(t: &Terminal, out: &mut Vec<u8>) {
    let total = t.history_len() + usize::from(t.rows());
    let mut style = Style::DEFAULT;
    let mut charset = false;
    let mut text = String::new();
    for i in 0..total {
        if i > 0 && !joins(t, i - 1) {
            if style != Style::DEFAULT {
                out.extend_from_slice(b"\x1b[0m");
                style = Style::DEFAULT;
            }
            out.extend_from_slice(b"\r\n");
        }
        let used = usize::from(t.line_captured(i));
        for cell in t.line(i).iter().take(used) {
            if cell.is_spacer() {
                continue;
            }
            let s = Style::of(t, &cell);
            if s != style {
                s.write(out);
                style = s;
            }
            let acs = cell.attrs.contains(Attrs::CHARSET);
            if acs != charset {
                // As tmux's capture marks the DEC line-drawing set (SO / SI).
                out.push(if acs { 0x0e } else { 0x0f });
                charset = acs;
            }
            text.clear();
            t.push_cell_text(cell, &mut text);
            out.extend_from_slice(text.as_bytes());
        }
    }
    if charset {
        out.push(0x0f);
    }
}

/// Whether line `i` is written joined to the next one: it wraps, and the host wraps there
/// too when the next line's first character follows (the line's cells reach the edge, or
/// stop one short of it before a wide character). A wrapped line that ends short of the
/// edge (its end erased) is ended with a line break instead, so the next line starts in
/// its own row.
fn joins(t: &Terminal, i: usize) -> bool {
    if !t.line_wrapped(i) {
        return false;
    }
    let end = usize::from(t.line_captured(i));
    let cols = usize::from(t.cols());
    end >= cols
        || (end + 1 == cols
            && t.line(i + 1)
                .get(0)
                .is_some_and(|c| c.flags.contains(muxlink_term::CellFlags::WIDE)))
}

/// A cell's style as SGR sets it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Style {
    fg: Color,
    bg: Color,
    attrs: Attrs,
    underline: Color,
}

impl Style {
    const DEFAULT: Style = Style {
        fg: Color::DEFAULT,
        bg: Color::DEFAULT,
        attrs: Attrs::empty(),
        underline: Color::DEFAULT,
    };

    fn of(t: &Terminal, cell: &Cell) -> Style {
        Style {
            fg: cell.fg,
            bg: cell.bg,
            attrs: cell.attrs - Attrs::CHARSET,
            underline: t.underline_color(cell),
        }
    }

    /// `CSI 0 ; ... m`: the whole style from a reset.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\x1b[0");
        let flags = [
            (Attrs::BOLD, "1"),
            (Attrs::DIM, "2"),
            (Attrs::ITALIC, "3"),
            (Attrs::BLINK, "5"),
            (Attrs::INVERSE, "7"),
            (Attrs::HIDDEN, "8"),
            (Attrs::STRIKETHROUGH, "9"),
            (Attrs::OVERLINE, "53"),
        ];
        for (a, code) in flags {
            if self.attrs.contains(a) {
                out.push(b';');
                out.extend_from_slice(code.as_bytes());
            }
        }
        match self.attrs.underline() as u8 {
            0 => {}
            1 => out.extend_from_slice(b";4"),
            n => out.extend_from_slice(format!(";4:{n}").as_bytes()),
        }
        color(out, self.fg, 30, 90, 38);
        color(out, self.bg, 40, 100, 48);
        color(out, self.underline, 0, 0, 58);
        out.push(b'm');
    }
}

/// `;N` for a colour: the 16 SGR colours from `low` (0..7) and `high` (8..15) (`0` for the
/// underline colour, which has no short form), the palette and RGB after `extended`.
fn color(out: &mut Vec<u8>, c: Color, low: u32, high: u32, extended: u32) {
    let s = match c.kind() {
        ColorKind::Default => return,
        ColorKind::Ansi(n) if low != 0 && n < 8 => format!(";{}", low + u32::from(n)),
        ColorKind::Ansi(n) if high != 0 => format!(";{}", high + u32::from(n) - 8),
        ColorKind::Ansi(n) | ColorKind::Indexed(n) => format!(";{extended};5;{n}"),
        ColorKind::Rgb(r, g, b) => format!(";{extended};2;{r};{g};{b}"),
    };
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queries::PaneFormats;
    use muxlink_term::release::{ServerOptions, TmuxRelease};

    fn render(bytes: &[u8], cols: u16, rows: u16) -> Terminal {
        let mut t = Terminal::new(cols, rows);
        t.feed(bytes);
        t
    }

    #[test]
    fn lines_written_back_give_the_same_grid() {
        let input = b"\x1b[1;31mred\x1b[0m plain \x1b[4:3;58;5;9mcurly\x1b[0m\r\n\
              \x1b[38;2;1;2;3;48;5;200mrgb on 200\x1b[0m\x1b[44m   \x1b[0m\r\n\
              \x0e\x1b(0qqq\x1b(B\x0f \xe4\xb8\xad\xe6\x96\x87\r\n\
              0123456789abcdefghij wrapped\r\n\
              abcdefghijk\xe4\xb8\xad at the edge\r\n\
              \x1b[97;100mbright\x1b[0m\r\na\tb\t\x1b[41mc\x1b[0m\r\nlast";
        // 3.3a captures up to the last cell used (a wide character that did not fit
        // leaves the edge cell unused), later releases every cell the line allocated; from
        // 3.6 a tab is a cell of its own.
        for release in [TmuxRelease::V3_3a, TmuxRelease::V3_6a, TmuxRelease::NEWEST] {
            let (profile, _) = release.profile(&ServerOptions::default());
            let render = |bytes: &[u8]| {
                let mut t = Terminal::with_profile(12, 3, 2000, &profile);
                t.feed(bytes);
                t
            };
            let src = render(input);
            let mut out = Vec::new();
            write_lines(&src, &mut out);
            let copy = render(&out);
            assert_eq!(copy.history_len(), src.history_len(), "{release:?}");
            assert_eq!(
                muxlink_term::capture::ansi(&copy, true),
                muxlink_term::capture::ansi(&src, true),
                "{release:?}"
            );
            for i in 0..src.history_len() + 3 {
                assert_eq!(
                    copy.line_wrapped(i),
                    src.line_wrapped(i),
                    "{release:?} line {i}"
                );
            }
        }
    }

    /// 30 lines printed on a 40-row pane, the cursor moved up to row 5, the alternate
    /// screen on, the pane made 19 rows tall. Leaving it, tmux deletes the 21 bottom lines
    /// (everything below the cursor goes first, blank or not): lines 1..19 and no history.
    #[test]
    fn a_shorter_pane_gets_the_normal_screen_tmux_restores() {
        let mut saved = Vec::new();
        for i in 1..=30 {
            saved.extend_from_slice(format!("{i}\n").as_bytes());
        }
        saved.extend_from_slice(&b"\n".repeat(9));
        let cap = PaneCapture {
            formats: PaneFormats {
                cols: 20,
                rows: 19,
                alternate: true,
                alternate_saved_x: 3,
                alternate_saved_y: 5,
                cursor_x: 3,
                cursor_y: 0,
                scroll_lower: 18,
                wrap: true,
                cursor_visible: true,
                ..Default::default()
            },
            // No history: `-E -1` gave the first row.
            main: b"alt".to_vec(),
            partial: Vec::new(),
            rows: [b"alt".as_slice(), &b"\n".repeat(18)].concat(),
            alternate: Some(saved),
            alternate_rows: Some(40),
        };
        let mut out = Vec::new();
        rebuild_sequence_bytes(&cap, 20, 19, 2000, None, usize::MAX, &mut out);
        let mut t = render(&out, 20, 19);
        assert!(t.is_alternate_screen());
        assert_eq!(muxlink_term::capture::plain(&t).lines().next(), Some("alt"));
        t.feed(b"\x1b[?1049l");
        let text = muxlink_term::capture::plain_with_history(&t);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(t.history_len(), 0, "{text}");
        assert_eq!(lines.len(), 19);
        assert_eq!((lines[0], lines[18]), ("1", "19"));
        assert_eq!((t.cursor().x, t.cursor().y), (3, 5));
        // The captured saved screen, trimmed of blank lines only, leaves lines 12..30 and
        // 11 lines of history: what a host showed before.
        let mut plain = Vec::new();
        rebuild_sequence(&cap, &mut plain);
        let mut t = render(&plain, 20, 19);
        t.feed(b"\x1b[?1049l");
        assert_eq!(t.history_len(), 11);
        // That is also what the host gets when the emulator would not fit in the budget.
        let mut approx = Vec::new();
        rebuild_sequence_bytes(&cap, 20, 19, 2000, None, 1000, &mut approx);
        assert_eq!(approx, plain);
    }
}

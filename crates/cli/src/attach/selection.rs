//! Selections in muxlink's own copy of a pane (screen and history) and the text they copy.
//!
//! Places are kept as [`Spot`]s, counted up from the pane's bottom line, so that a selection
//! stays on the same text while output scrolls it up (the caller adds each frame's
//! `scrolled` count). A range is read out as tmux's copy mode reads one
//! (`window_copy_get_selection` and `window_copy_copy_line`, tmux 3.3a): a line that wrapped
//! at the edge is joined to the next one without a newline and keeps its trailing spaces;
//! any other line loses its trailing spaces and ends with a newline; wide characters are
//! copied once, never split; the final newline is dropped unless a `vi` selection ran to the
//! end of its last line.

use muxlink_term::{CellFlags, Terminal};

/// A cell by absolute line (0: the oldest history line; the screen follows the history) and
/// column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Point {
    pub(super) line: usize,
    pub(super) col: u16,
}

/// A place in a pane that stays on its text while output scrolls: `back` lines above the
/// pane's bottom line (0: the bottom row of the screen), column `col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Spot {
    pub(super) back: usize,
    pub(super) col: u16,
}

impl Spot {
    /// The spot of `p` in a pane of `total` lines (history and screen).
    pub(super) fn of(p: Point, total: usize) -> Spot {
        Spot {
            back: total.saturating_sub(1).saturating_sub(p.line),
            col: p.col,
        }
    }

    /// Where the spot is now, in a pane of `total` lines; clamped to the oldest line when
    /// its text has left the history.
    pub(super) fn point(self, total: usize) -> Point {
        Point {
            line: total.saturating_sub(1).saturating_sub(self.back),
            col: self.col,
        }
    }
}

/// How a selection grows from where it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    /// Cell by cell (a drag, or copy mode).
    Char,
    /// Whole words (a double click).
    Word,
    /// Whole lines, wrapped lines as one (a triple click).
    Line,
}

/// A selection: from `anchor` (where it started) to `head` (where the pointer or cursor is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Selection {
    pub(super) anchor: Spot,
    pub(super) head: Spot,
    pub(super) unit: Unit,
    /// Whether the cell at the later end is part of it: tmux's `vi` mode-keys include it,
    /// `emacs` ones stop before it. Word and line selections always include it.
    pub(super) inclusive: bool,
}

impl Selection {
    /// A selection of one unit at `at`.
    pub(super) fn new(at: Spot, unit: Unit, inclusive: bool) -> Selection {
        Selection {
            anchor: at,
            head: at,
            unit,
            inclusive,
        }
    }

    /// Output pushed `lines` lines into history: the selection moves up with its text.
    pub(super) fn scrolled(&mut self, lines: usize) {
        self.anchor.back = self.anchor.back.saturating_add(lines);
        self.head.back = self.head.back.saturating_add(lines);
    }

    /// The range this selection covers in `t` now, expanded to its unit and to whole wide
    /// characters. `separators` are tmux's `word-separators` (whitespace always separates).
    pub(super) fn range(&self, t: &Terminal, separators: &str) -> Range {
        let total = total_lines(t);
        let (a, h) = (self.anchor.point(total), self.head.point(total));
        let (first, second) = if h < a { (h, a) } else { (a, h) };
        match self.unit {
            Unit::Char => {
                let mut start = first;
                if is_spacer(t, start) && start.col > 0 {
                    start.col -= 1;
                }
                let mut last = second;
                let inclusive = self.inclusive;
                // A wide character is taken whole or not at all.
                if (inclusive && is_wide(t, last)) || (!inclusive && is_spacer(t, last)) {
                    last.col += 1;
                }
                Range {
                    start,
                    last,
                    inclusive,
                    vi: self.inclusive,
                }
            }
            Unit::Word => Range {
                start: word_bounds(t, first, separators).0,
                last: word_bounds(t, second, separators).1,
                inclusive: true,
                vi: self.inclusive,
            },
            Unit::Line => Range {
                start: Point {
                    line: logical_start(t, first.line),
                    col: 0,
                },
                last: Point {
                    line: logical_end(t, second.line),
                    col: t.cols().saturating_sub(1),
                },
                inclusive: true,
                vi: self.inclusive,
            },
        }
    }
}

/// A range of cells in reading order: from `start` to `last`, with `last` itself when
/// `inclusive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Range {
    pub(super) start: Point,
    pub(super) last: Point,
    pub(super) inclusive: bool,
    /// tmux's `vi` mode-keys: a range that runs past the end of its last line keeps the
    /// final newline (`emacs` drops it).
    pub(super) vi: bool,
}

impl Range {
    /// Whether the cell `p` is in the range (for drawing it highlighted).
    pub(super) fn contains(&self, p: Point) -> bool {
        p >= self.start && (p < self.last || (self.inclusive && p == self.last))
    }

    /// The range's text as tmux's copy mode copies it.
    pub(super) fn text(&self, t: &Terminal) -> String {
        let total = total_lines(t);
        if total == 0 {
            return String::new();
        }
        let (sy, ey) = (
            self.start.line.min(total - 1),
            self.last.line.min(total - 1),
        );
        let sx = self.start.col;
        // Trim the end to the end of its line.
        let ey_last = line_length(t, ey);
        let ex = self.last.col.min(ey_last);
        let lastex = if self.inclusive { ex + 1 } else { ex };
        let mut out = String::new();
        for line in sy..=ey {
            let from = if line == sy { sx } else { 0 };
            let to = if line == ey { lastex } else { t.cols() };
            copy_line(t, &mut out, line, from, to);
        }
        if out.is_empty() {
            return out;
        }
        // The final newline goes, unless a `vi` selection ran past the end of its line.
        if (!self.vi || lastex <= ey_last)
            && (!t.line_wrapped(ey) || lastex != ey_last)
            && out.ends_with('\n')
        {
            out.pop();
        }
        out
    }
}

/// Lines in the pane: history and screen.
pub(super) fn total_lines(t: &Terminal) -> usize {
    t.history_len() + usize::from(t.rows())
}

/// tmux's `grid_line_length`: the used cells less trailing spaces (whatever their style).
fn line_length(t: &Terminal, line: usize) -> u16 {
    let row = t.line(line);
    let mut px = t.line_used(line);
    while px > 0 {
        let Some(c) = row.get(usize::from(px) - 1) else {
            break;
        };
        if c.flags
            .intersects(CellFlags::WIDE_SPACER | CellFlags::EXTENDED)
            || c.ch != u32::from(b' ')
        {
            break;
        }
        px -= 1;
    }
    px
}

/// tmux's `window_copy_copy_line`: cells `sx..ex` of `line`.
fn copy_line(t: &Terminal, out: &mut String, line: usize, sx: u16, ex: u16) {
    if sx > ex {
        return;
    }
    let wrapped = t.line_wrapped(line);
    // A wrapped line keeps its spaces (they are part of the text that went on).
    let xx = if wrapped {
        t.line_used(line)
    } else {
        line_length(t, line)
    };
    let (sx, ex) = (sx.min(xx), ex.min(xx));
    let row = t.line(line);
    for cell in row
        .iter()
        .skip(usize::from(sx))
        .take(usize::from(ex.saturating_sub(sx)))
    {
        if cell.flags.contains(CellFlags::WIDE_SPACER) {
            continue;
        }
        if cell.flags.contains(CellFlags::EXTENDED) {
            t.push_cell_text(cell, out);
        } else {
            out.push(cell.display_char());
        }
    }
    if !wrapped || ex != xx {
        out.push('\n');
    }
}

fn cell_at(t: &Terminal, p: Point) -> Option<muxlink_term::Cell> {
    if p.line >= total_lines(t) {
        return None;
    }
    t.line(p.line).get(usize::from(p.col))
}

fn is_spacer(t: &Terminal, p: Point) -> bool {
    cell_at(t, p).is_some_and(|c| c.flags.contains(CellFlags::WIDE_SPACER))
}

fn is_wide(t: &Terminal, p: Point) -> bool {
    cell_at(t, p).is_some_and(|c| c.flags.contains(CellFlags::WIDE))
}

/// The first line of the logical line `line` belongs to (lines joined by wrapping).
pub(super) fn logical_start(t: &Terminal, mut line: usize) -> usize {
    while line > 0 && t.line_wrapped(line - 1) {
        line -= 1;
    }
    line
}

/// The last line of the logical line `line` belongs to.
pub(super) fn logical_end(t: &Terminal, mut line: usize) -> usize {
    let total = total_lines(t);
    while line + 1 < total && t.line_wrapped(line) {
        line += 1;
    }
    line
}

/// What a cell is for word motions and double clicks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    Space,
    Separator,
    Word,
}

/// The character shown in a cell (the base character of a combined one); a spacer reads as
/// the wide character before it.
pub(super) fn char_at(t: &Terminal, p: Point) -> char {
    let Some(cell) = cell_at(t, p) else {
        return ' ';
    };
    if cell.flags.contains(CellFlags::WIDE_SPACER) && p.col > 0 {
        return char_at(
            t,
            Point {
                line: p.line,
                col: p.col - 1,
            },
        );
    }
    if cell.flags.contains(CellFlags::EXTENDED) {
        t.combined(cell.ch).chars().next().unwrap_or(' ')
    } else {
        cell.display_char()
    }
}

/// The class of the cell at `p`.
pub(super) fn class_at(t: &Terminal, p: Point, separators: &str) -> Class {
    let c = char_at(t, p);
    if c.is_whitespace() || c == '\0' {
        Class::Space
    } else if separators.contains(c) {
        Class::Separator
    } else {
        Class::Word
    }
}

/// The cell before `p` in reading order, following wrapped lines only (`None` at the start
/// of a logical line).
pub(super) fn prev_in_line(t: &Terminal, p: Point) -> Option<Point> {
    if p.col > 0 {
        return Some(Point {
            line: p.line,
            col: p.col - 1,
        });
    }
    (p.line > 0 && t.line_wrapped(p.line - 1)).then(|| Point {
        line: p.line - 1,
        col: t.cols().saturating_sub(1),
    })
}

/// The cell after `p` in reading order, following wrapped lines only.
pub(super) fn next_in_line(t: &Terminal, p: Point) -> Option<Point> {
    if p.col + 1 < t.cols() {
        return Some(Point {
            line: p.line,
            col: p.col + 1,
        });
    }
    (p.line + 1 < total_lines(t) && t.line_wrapped(p.line)).then(|| Point {
        line: p.line + 1,
        col: 0,
    })
}

/// The first and last cell of the run of same-class cells around `p` (a word, a run of
/// separators or of spaces), following wrapped lines.
pub(super) fn word_bounds(t: &Terminal, p: Point, separators: &str) -> (Point, Point) {
    let class = class_at(t, p, separators);
    let mut start = p;
    while let Some(q) = prev_in_line(t, start) {
        if class_at(t, q, separators) != class {
            break;
        }
        start = q;
    }
    let mut last = p;
    while let Some(q) = next_in_line(t, last) {
        if class_at(t, q, separators) != class {
            break;
        }
        last = q;
    }
    (start, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEPS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~";

    fn term(cols: u16, rows: u16, bytes: &[u8]) -> Terminal {
        let mut t = Terminal::new(cols, rows);
        t.feed(bytes);
        t
    }

    fn pt(line: usize, col: u16) -> Point {
        Point { line, col }
    }

    fn chars(a: Point, h: Point, t: &Terminal, inclusive: bool) -> String {
        let total = total_lines(t);
        let s = Selection {
            anchor: Spot::of(a, total),
            head: Spot::of(h, total),
            unit: Unit::Char,
            inclusive,
        };
        s.range(t, SEPS).text(t)
    }

    #[test]
    fn wrapped_lines_join_and_plain_lines_trim() {
        // "abcdefghij" wraps at 6 columns: "abcdef" (wrapped) + "ghij"; then "xy   " with
        // trailing spaces and a line of its own.
        let t = term(6, 4, b"abcdefghij\r\nxy   \r\nlast");
        assert!(t.line_wrapped(0));
        assert_eq!(chars(pt(0, 2), pt(2, 1), &t, true), "cdefghij\nxy");
        // Backwards gives the same.
        assert_eq!(chars(pt(2, 1), pt(0, 2), &t, true), "cdefghij\nxy");
        // emacs: the end cell is left out.
        assert_eq!(chars(pt(0, 2), pt(2, 1), &t, false), "cdefghij\nx");
        // vi, to past the end of a line: tmux keeps the newline.
        assert_eq!(chars(pt(2, 0), pt(2, 5), &t, true), "xy\n");
        assert_eq!(chars(pt(2, 0), pt(2, 5), &t, false), "xy");
        // A wrapped line's spaces at the edge stay.
        let t = term(4, 3, b"ab  cd\r\n");
        assert_eq!(chars(pt(0, 0), pt(1, 1), &t, true), "ab  cd");
    }

    #[test]
    fn wide_characters_are_taken_whole() {
        let t = term(10, 2, "a日本b".as_bytes());
        // Columns: a=0, 日=1-2, 本=3-4, b=5. Start on 日's right half, end on 本's left.
        assert_eq!(chars(pt(0, 2), pt(0, 3), &t, true), "日本");
        assert_eq!(chars(pt(0, 2), pt(0, 4), &t, false), "日本");
        let total = total_lines(&t);
        let s = Selection::new(Spot::of(pt(0, 3), total), Unit::Char, true);
        let r = s.range(&t, SEPS);
        assert!(
            r.contains(pt(0, 4)),
            "the wide character's right half is drawn selected"
        );
    }

    #[test]
    fn history_lines_are_selectable() {
        let t = term(8, 2, b"one\r\ntwo\r\nthree\r\nfour");
        assert_eq!(t.history_len(), 2);
        assert_eq!(chars(pt(0, 0), pt(3, 3), &t, true), "one\ntwo\nthree\nfour");
        // Output scrolls: the selection follows its text.
        let mut t2 = term(8, 2, b"one\r\ntwo\r\nthree\r\nfour");
        let total = total_lines(&t2);
        let mut s = Selection {
            anchor: Spot::of(pt(1, 0), total),
            head: Spot::of(pt(1, 2), total),
            unit: Unit::Char,
            inclusive: true,
        };
        t2.feed(b"\r\nfive\r\nsix");
        s.scrolled(2);
        assert_eq!(s.range(&t2, SEPS).text(&t2), "two");
    }

    #[test]
    fn words_and_lines() {
        let t = term(12, 3, b"foo-bar baz/qux wrap");
        let total = total_lines(&t);
        let word = |col: u16| {
            Selection::new(Spot::of(pt(0, col), total), Unit::Word, true)
                .range(&t, SEPS)
                .text(&t)
        };
        assert_eq!(word(1), "foo");
        assert_eq!(word(3), "-");
        assert_eq!(word(9), "baz");
        // "wrap" starts at column 8 of line 0... the text is 20 cells: line 0 "foo-bar baz/",
        // line 1 "qux wrap": a word cut by the wrap is one word.
        assert_eq!(word(11), "/");
        let t = term(6, 3, b"abcdefgh ij\r\nzz");
        let total = total_lines(&t);
        let w = Selection::new(Spot::of(pt(1, 0), total), Unit::Word, true);
        assert_eq!(w.range(&t, SEPS).text(&t), "abcdefgh");
        // A line selection takes the whole logical line.
        let l = Selection::new(Spot::of(pt(1, 3), total), Unit::Line, true);
        assert_eq!(l.range(&t, SEPS).text(&t), "abcdefgh ij\n");
        // emacs drops the final newline (tmux's `window_copy_get_selection`).
        let l = Selection::new(Spot::of(pt(1, 3), total), Unit::Line, false);
        assert_eq!(l.range(&t, SEPS).text(&t), "abcdefgh ij");
    }

    #[test]
    fn line_drawing_characters_copy_as_unicode() {
        let t = term(6, 1, b"\x1b(0qqx\x1b(B");
        assert_eq!(chars(pt(0, 0), pt(0, 2), &t, true), "──│");
    }
}

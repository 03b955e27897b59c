//! muxlink's own copy mode (the prefix, then `[`): a cursor that moves over muxlink's copy
//! of a pane, history included, with tmux's key tables for `mode-keys` `vi` and `emacs`
//! (the common keys of tmux 3.3a's `copy-mode-vi` and `copy-mode` tables), search with `/`
//! and `?` (`C-s` and `C-r` for emacs) and `n`/`N`, a selection copied with `Enter` (vi) or
//! `M-w` (emacs), and `q` to leave.
//!
//! tmux's own copy mode cannot serve here: a control client is sent a pane's output, never
//! what copy mode draws. This one runs in muxlink and never talks to tmux, except to store
//! the copied text in a paste buffer (see `clipboard`).
//!
//! Search follows tmux: plain text, case-insensitive when the text has no capital letter,
//! wrapping around at either end.

use muxlink_runtime::PaneId;
use muxlink_term::Terminal;

use super::keys::{Key, KeyCode};
use super::selection::{
    char_at, class_at, total_lines, Class, Point, Range, Selection, Spot, Unit,
};

/// tmux's `mode-keys`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum ModeKeys {
    Vi,
    /// tmux's default.
    #[default]
    Emacs,
}

impl ModeKeys {
    /// From `show-options -gwv mode-keys`.
    pub(super) fn parse(value: &[u8]) -> Option<ModeKeys> {
        match value {
            b"vi" => Some(ModeKeys::Vi),
            b"emacs" => Some(ModeKeys::Emacs),
            _ => None,
        }
    }
}

/// Which way a search goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dir {
    /// Towards older lines (`?`, `C-r`).
    Up,
    /// Towards newer lines (`/`, `C-s`).
    Down,
}

impl Dir {
    fn reverse(self) -> Dir {
        match self {
            Dir::Up => Dir::Down,
            Dir::Down => Dir::Up,
        }
    }
}

/// A search being typed in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Prompt {
    pub(super) dir: Dir,
    pub(super) text: String,
}

impl Prompt {
    /// The prompt as tmux words it.
    pub(super) fn label(&self) -> &'static str {
        match self.dir {
            Dir::Up => "(search up) ",
            Dir::Down => "(search down) ",
        }
    }
}

/// What a key did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Stay,
    Leave,
    /// Copy this text, then leave.
    CopyAndLeave(String),
}

/// Copy mode in one pane.
#[derive(Clone, Debug)]
pub(super) struct CopyMode {
    pub(super) pane: PaneId,
    pub(super) cursor: Spot,
    /// Where the selection started, when one is being made.
    pub(super) mark: Option<Spot>,
    pub(super) prompt: Option<Prompt>,
    last_search: Option<(String, Dir)>,
    pub(super) keys: ModeKeys,
    /// A word for the status line (a search that found nothing).
    pub(super) note: Option<&'static str>,
}

/// The part of a pane shown: `offset` lines back from the live screen.
pub(super) struct View<'a> {
    pub(super) offset: &'a mut usize,
}

impl CopyMode {
    /// Enters copy mode in `pane` with the cursor where the pane's cursor is (or on the
    /// view's top line when the view is scrolled back).
    pub(super) fn enter(pane: PaneId, t: &Terminal, offset: usize, keys: ModeKeys) -> CopyMode {
        let total = total_lines(t);
        let history = t.history_len();
        let c = t.cursor();
        let point = if offset == 0 {
            Point {
                line: history + usize::from(c.y),
                col: c.x.min(t.cols().saturating_sub(1)),
            }
        } else {
            Point {
                line: history.saturating_sub(offset.min(history)),
                col: 0,
            }
        };
        CopyMode {
            pane,
            cursor: Spot::of(point, total),
            mark: None,
            prompt: None,
            last_search: None,
            keys,
            note: None,
        }
    }

    /// Output scrolled the pane by `lines`: the cursor and selection stay on their text.
    pub(super) fn scrolled(&mut self, lines: usize) {
        self.cursor.back = self.cursor.back.saturating_add(lines);
        if let Some(m) = self.mark.as_mut() {
            m.back = m.back.saturating_add(lines);
        }
    }

    /// The selection being made, if any.
    pub(super) fn selection(&self) -> Option<Selection> {
        let mark = self.mark?;
        Some(Selection {
            anchor: mark,
            head: self.cursor,
            unit: Unit::Char,
            inclusive: self.keys == ModeKeys::Vi,
        })
    }

    /// The selected range now, if any.
    pub(super) fn range(&self, t: &Terminal) -> Option<Range> {
        self.selection().map(|s| s.range(t, ""))
    }

    /// Handles one key.
    pub(super) fn key(&mut self, key: Key, t: &Terminal, view: View<'_>, seps: &str) -> Outcome {
        self.note = None;
        if self.prompt.is_some() {
            self.prompt_key(key, t, view);
            return Outcome::Stay;
        }
        let total = total_lines(t);
        if total == 0 {
            return Outcome::Leave;
        }
        let mut p = self.cursor.point(total);
        let rows = usize::from(t.rows());
        let history = t.history_len();
        let cols = t.cols();
        let half = (rows / 2).max(1);
        let page = if rows > 2 { rows - 2 } else { 1 };
        let vi = self.keys == ModeKeys::Vi;
        let action = match (self.keys, key.code, key.meta) {
            // Both tables.
            (_, KeyCode::Up, false) => Act::Up(1),
            (_, KeyCode::Down, false) => Act::Down(1),
            (_, KeyCode::Left, false) => Act::Left,
            (_, KeyCode::Right, false) => Act::Right,
            (_, KeyCode::PageUp, false) => Act::PageUp(page),
            (_, KeyCode::PageDown, false) => Act::PageDown(page),
            (_, KeyCode::Home, false) => Act::LineStart,
            (_, KeyCode::End, false) => Act::LineEnd,
            (_, KeyCode::Char('q'), false) | (_, KeyCode::Ctrl('c'), false) => Act::Leave,
            (_, KeyCode::Char('n'), false) => Act::SearchAgain(false),
            (_, KeyCode::Char('N'), false) => Act::SearchAgain(true),
            // vi.
            (ModeKeys::Vi, KeyCode::Char('k'), false) => Act::Up(1),
            (ModeKeys::Vi, KeyCode::Char('j'), false) => Act::Down(1),
            (ModeKeys::Vi, KeyCode::Char('h'), false) => Act::Left,
            (ModeKeys::Vi, KeyCode::Char('l'), false) => Act::Right,
            (ModeKeys::Vi, KeyCode::Char('0'), false) => Act::LineStart,
            (ModeKeys::Vi, KeyCode::Char('^'), false) => Act::Indentation,
            (ModeKeys::Vi, KeyCode::Char('$'), false) => Act::LineEnd,
            (ModeKeys::Vi, KeyCode::Char('w'), false) => Act::NextWord,
            (ModeKeys::Vi, KeyCode::Char('b'), false) => Act::PrevWord,
            (ModeKeys::Vi, KeyCode::Char('e'), false) => Act::WordEnd,
            (ModeKeys::Vi, KeyCode::Char('g'), false) => Act::Top,
            (ModeKeys::Vi, KeyCode::Char('G'), false) => Act::Bottom,
            (ModeKeys::Vi, KeyCode::Char('H'), false) => Act::ViewRow(0),
            (ModeKeys::Vi, KeyCode::Char('M'), false) => Act::ViewRow(rows / 2),
            (ModeKeys::Vi, KeyCode::Char('L'), false) => Act::ViewRow(rows.saturating_sub(1)),
            (ModeKeys::Vi, KeyCode::Ctrl('u'), false) => Act::PageUp(half),
            (ModeKeys::Vi, KeyCode::Ctrl('d'), false) => Act::PageDown(half),
            (ModeKeys::Vi, KeyCode::Ctrl('b'), false) => Act::PageUp(page),
            (ModeKeys::Vi, KeyCode::Ctrl('f'), false) => Act::PageDown(page),
            (ModeKeys::Vi, KeyCode::Ctrl('y'), false) => Act::ScrollUp,
            (ModeKeys::Vi, KeyCode::Ctrl('e'), false) => Act::ScrollDown,
            (ModeKeys::Vi, KeyCode::Char('/'), false) => Act::Prompt(Dir::Down),
            (ModeKeys::Vi, KeyCode::Char('?'), false) => Act::Prompt(Dir::Up),
            (ModeKeys::Vi, KeyCode::Char(' '), false)
            | (ModeKeys::Vi, KeyCode::Char('v'), false) => Act::Mark,
            (ModeKeys::Vi, KeyCode::Escape, false) => Act::Unmark,
            (ModeKeys::Vi, KeyCode::Enter, false) | (ModeKeys::Vi, KeyCode::Char('y'), false) => {
                Act::Copy
            }
            // emacs.
            (ModeKeys::Emacs, KeyCode::Ctrl('p'), false) => Act::Up(1),
            (ModeKeys::Emacs, KeyCode::Ctrl('n'), false) => Act::Down(1),
            (ModeKeys::Emacs, KeyCode::Ctrl('b'), false) => Act::Left,
            (ModeKeys::Emacs, KeyCode::Ctrl('f'), false) => Act::Right,
            (ModeKeys::Emacs, KeyCode::Ctrl('a'), false) => Act::LineStart,
            (ModeKeys::Emacs, KeyCode::Char('m'), true) => Act::Indentation,
            (ModeKeys::Emacs, KeyCode::Ctrl('e'), false) => Act::LineEnd,
            (ModeKeys::Emacs, KeyCode::Char('f'), true) => Act::WordEnd,
            (ModeKeys::Emacs, KeyCode::Char('b'), true) => Act::PrevWord,
            (ModeKeys::Emacs, KeyCode::Char('<'), true) => Act::Top,
            (ModeKeys::Emacs, KeyCode::Char('>'), true) => Act::Bottom,
            (ModeKeys::Emacs, KeyCode::Char('r'), true) => Act::ViewRow(rows / 2),
            (ModeKeys::Emacs, KeyCode::Ctrl('v'), false) => Act::PageDown(page),
            (ModeKeys::Emacs, KeyCode::Char('v'), true) => Act::PageUp(page),
            (ModeKeys::Emacs, KeyCode::Ctrl('s'), false) => Act::Prompt(Dir::Down),
            (ModeKeys::Emacs, KeyCode::Ctrl('r'), false) => Act::Prompt(Dir::Up),
            (ModeKeys::Emacs, KeyCode::Ctrl(' '), false) => Act::Mark,
            (ModeKeys::Emacs, KeyCode::Ctrl('g'), false) => Act::Unmark,
            (ModeKeys::Emacs, KeyCode::Escape, false) => Act::Leave,
            (ModeKeys::Emacs, KeyCode::Char('w'), true)
            | (ModeKeys::Emacs, KeyCode::Ctrl('w'), false) => Act::Copy,
            _ => Act::None,
        };
        match action {
            Act::None => {}
            Act::Leave => return Outcome::Leave,
            Act::Up(n) => p.line = p.line.saturating_sub(n),
            Act::Down(n) => p.line = (p.line + n).min(total - 1),
            Act::Left => {
                if p.col > 0 {
                    p.col -= 1;
                    p = on_character(t, p);
                }
            }
            Act::Right => {
                let mut q = p;
                q.col += 1;
                while q.col < cols && is_spacer(t, q) {
                    q.col += 1;
                }
                if q.col < cols {
                    p = q;
                }
            }
            Act::LineStart => p.col = 0,
            Act::Indentation => {
                p.col = 0;
                while p.col + 1 < cols && char_at(t, p) == ' ' {
                    p.col += 1;
                }
            }
            Act::LineEnd => {
                let len = line_len(t, p.line);
                p.col = if vi { len.saturating_sub(1) } else { len };
                p.col = p.col.min(cols.saturating_sub(1));
            }
            Act::NextWord => p = next_word_start(t, p, seps),
            Act::PrevWord => p = prev_word_start(t, p, seps),
            Act::WordEnd => p = next_word_end(t, p, seps, vi),
            Act::Top => p = Point { line: 0, col: 0 },
            Act::Bottom => {
                p = Point {
                    line: total - 1,
                    col: 0,
                }
            }
            Act::ViewRow(r) => {
                let top = history - (*view.offset).min(history);
                p.line = (top + r).min(total - 1);
            }
            Act::PageUp(n) => {
                *view.offset = (*view.offset + n).min(history);
                p.line = p.line.saturating_sub(n);
            }
            Act::PageDown(n) => {
                *view.offset = view.offset.saturating_sub(n);
                p.line = (p.line + n).min(total - 1);
            }
            Act::ScrollUp => *view.offset = (*view.offset + 1).min(history),
            Act::ScrollDown => *view.offset = view.offset.saturating_sub(1),
            Act::Prompt(dir) => {
                self.prompt = Some(Prompt {
                    dir,
                    text: String::new(),
                });
                return Outcome::Stay;
            }
            Act::SearchAgain(reverse) => {
                if let Some((text, dir)) = self.last_search.clone() {
                    let dir = if reverse { dir.reverse() } else { dir };
                    match search(t, p, &text, dir) {
                        Some(q) => p = q,
                        None => self.note = Some("no match"),
                    }
                }
            }
            Act::Mark => self.mark = Some(Spot::of(p, total)),
            Act::Unmark => self.mark = None,
            Act::Copy => {
                let text = self.range(t).map(|r| r.text(t));
                return match text {
                    Some(text) if !text.is_empty() => Outcome::CopyAndLeave(text),
                    _ => Outcome::Leave,
                };
            }
        }
        self.cursor = Spot::of(p, total);
        // Scrolling the view by a line keeps the cursor on its line while it is shown;
        // every other motion brings the view to the cursor.
        if !matches!(action, Act::ScrollUp | Act::ScrollDown) {
            follow(p, t, view.offset);
        } else {
            let top = history - (*view.offset).min(history);
            let clamped = p
                .line
                .clamp(top, (top + rows).saturating_sub(1).min(total - 1));
            if clamped != p.line {
                p.line = clamped;
                self.cursor = Spot::of(p, total);
            }
        }
        Outcome::Stay
    }

    fn prompt_key(&mut self, key: Key, t: &Terminal, view: View<'_>) {
        let Some(prompt) = self.prompt.as_mut() else {
            return;
        };
        match (key.code, key.meta) {
            (KeyCode::Enter, _) => {
                let Prompt { dir, text } = self.prompt.take().unwrap_or(Prompt {
                    dir: Dir::Down,
                    text: String::new(),
                });
                if text.is_empty() {
                    return;
                }
                let total = total_lines(t);
                let p = self.cursor.point(total);
                match search(t, p, &text, dir) {
                    Some(q) => {
                        self.cursor = Spot::of(q, total);
                        follow(q, t, view.offset);
                    }
                    None => self.note = Some("no match"),
                }
                self.last_search = Some((text, dir));
            }
            (KeyCode::Escape, _) | (KeyCode::Ctrl('c'), _) | (KeyCode::Ctrl('g'), _) => {
                self.prompt = None;
            }
            (KeyCode::Backspace, _) => {
                prompt.text.pop();
            }
            (KeyCode::Ctrl('u'), _) => prompt.text.clear(),
            // A search text is short; a paste of a page is not one.
            (KeyCode::Char(c), false) if prompt.text.len() < 256 => prompt.text.push(c),
            _ => {}
        }
    }
}

/// A copy-mode command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    None,
    Leave,
    Up(usize),
    Down(usize),
    Left,
    Right,
    LineStart,
    Indentation,
    LineEnd,
    NextWord,
    PrevWord,
    WordEnd,
    Top,
    Bottom,
    ViewRow(usize),
    PageUp(usize),
    PageDown(usize),
    ScrollUp,
    ScrollDown,
    Prompt(Dir),
    SearchAgain(bool),
    Mark,
    Unmark,
    Copy,
}

/// Scrolls the view (`offset` lines back) just enough to show line `p`.
fn follow(p: Point, t: &Terminal, offset: &mut usize) {
    let history = t.history_len();
    let rows = usize::from(t.rows());
    let top = history - (*offset).min(history);
    if p.line < top {
        *offset = history - p.line;
    } else if p.line >= top + rows {
        *offset = (history + rows).saturating_sub(p.line + 1);
    }
}

fn is_spacer(t: &Terminal, p: Point) -> bool {
    t.line(p.line)
        .get(usize::from(p.col))
        .is_some_and(|c| c.is_spacer())
}

/// `p`, or the wide character it is the right half of.
fn on_character(t: &Terminal, mut p: Point) -> Point {
    while p.col > 0 && is_spacer(t, p) {
        p.col -= 1;
    }
    p
}

/// Cells up to the last non-blank one.
fn line_len(t: &Terminal, line: usize) -> u16 {
    let row = t.line(line);
    let used = usize::from(t.line_used(line)).min(row.len());
    let mut n = used;
    while n > 0
        && char_at(
            t,
            Point {
                line,
                col: n as u16 - 1,
            },
        ) == ' '
    {
        n -= 1;
    }
    n as u16
}

/// The next cell in reading order over every line (wrapped or not).
fn step_forward(t: &Terminal, p: Point) -> Option<Point> {
    if p.col + 1 < t.cols() {
        Some(Point {
            line: p.line,
            col: p.col + 1,
        })
    } else if p.line + 1 < total_lines(t) {
        Some(Point {
            line: p.line + 1,
            col: 0,
        })
    } else {
        None
    }
}

fn step_back(t: &Terminal, p: Point) -> Option<Point> {
    if p.col > 0 {
        Some(Point {
            line: p.line,
            col: p.col - 1,
        })
    } else if p.line > 0 {
        Some(Point {
            line: p.line - 1,
            col: t.cols().saturating_sub(1),
        })
    } else {
        None
    }
}

/// vi `w`: the start of the next word (or run of separators).
fn next_word_start(t: &Terminal, p: Point, seps: &str) -> Point {
    let start = class_at(t, p, seps);
    let mut q = p;
    // Off the current run, then over spaces.
    while let Some(n) = step_forward(t, q) {
        q = n;
        if class_at(t, q, seps) != start || (q.col == 0 && start != Class::Space) {
            break;
        }
    }
    while class_at(t, q, seps) == Class::Space {
        match step_forward(t, q) {
            Some(n) => q = n,
            None => break,
        }
    }
    on_character(t, q)
}

/// vi `b`, emacs `M-b`: the start of this word, or the previous one.
fn prev_word_start(t: &Terminal, p: Point, seps: &str) -> Point {
    let mut q = p;
    // Back over spaces before the cursor.
    loop {
        match step_back(t, q) {
            Some(n) if class_at(t, n, seps) == Class::Space => q = n,
            Some(n) => {
                q = n;
                break;
            }
            None => return q,
        }
    }
    let class = class_at(t, q, seps);
    while let Some(n) = step_back(t, q) {
        if class_at(t, n, seps) != class || n.line != q.line && !t.line_wrapped(n.line) {
            break;
        }
        q = n;
    }
    on_character(t, q)
}

/// vi `e` (on the word's last cell) and emacs `M-f` (just after it).
fn next_word_end(t: &Terminal, p: Point, seps: &str, on_last: bool) -> Point {
    let mut q = p;
    // Start from the next cell, skip spaces.
    if on_last {
        if let Some(n) = step_forward(t, q) {
            q = n;
        }
    }
    while class_at(t, q, seps) == Class::Space {
        match step_forward(t, q) {
            Some(n) => q = n,
            None => return q,
        }
    }
    let class = class_at(t, q, seps);
    loop {
        match step_forward(t, q) {
            Some(n)
                if class_at(t, n, seps) == class
                    && (n.line == q.line || t.line_wrapped(q.line)) =>
            {
                q = n
            }
            Some(n) if !on_last => return n,
            _ => return on_character(t, q),
        }
    }
}

/// The cells of `line` as (character, column), spacers left out.
fn line_chars(t: &Terminal, line: usize, fold: bool) -> Vec<(char, u16)> {
    let row = t.line(line);
    let mut out = Vec::with_capacity(row.len());
    for (x, cell) in row.iter().enumerate() {
        if cell.is_spacer() {
            continue;
        }
        let c = char_at(
            t,
            Point {
                line,
                col: x as u16,
            },
        );
        let c = if fold {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        };
        out.push((c, x as u16));
    }
    out
}

/// Columns where `needle` starts on `line`.
fn matches_in(t: &Terminal, line: usize, needle: &[char], fold: bool) -> Vec<u16> {
    let cells = line_chars(t, line, fold);
    if needle.is_empty() || cells.len() < needle.len() {
        return Vec::new();
    }
    (0..=cells.len() - needle.len())
        .filter(|&i| {
            cells[i..i + needle.len()]
                .iter()
                .map(|c| c.0)
                .eq(needle.iter().copied())
        })
        .map(|i| cells[i].1)
        .collect()
}

/// The nearest match of `text` from `from` (not `from` itself) going `dir`, wrapping around.
/// Case-insensitive when `text` has no capital letter (as tmux).
pub(super) fn search(t: &Terminal, from: Point, text: &str, dir: Dir) -> Option<Point> {
    let total = total_lines(t);
    if total == 0 {
        return None;
    }
    let fold = !text.chars().any(char::is_uppercase);
    let needle: Vec<char> = if fold {
        text.chars().flat_map(char::to_lowercase).collect()
    } else {
        text.chars().collect()
    };
    for step in 0..=total {
        let line = match dir {
            Dir::Down => (from.line + step) % total,
            Dir::Up => (from.line + total * 2 - step) % total,
        };
        let found = matches_in(t, line, &needle, fold);
        let pick = match (dir, step) {
            (Dir::Down, 0) => found.into_iter().find(|&c| c > from.col),
            (Dir::Up, 0) => found.into_iter().rev().find(|&c| c < from.col),
            (Dir::Down, s) if s == total => found.into_iter().find(|&c| c <= from.col),
            (Dir::Up, s) if s == total => found.into_iter().rev().find(|&c| c >= from.col),
            (Dir::Down, _) => found.into_iter().next(),
            (Dir::Up, _) => found.into_iter().next_back(),
        };
        if let Some(col) = pick {
            return Some(Point { line, col });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attach::keys::decode;

    const SEPS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~";

    fn term(cols: u16, rows: u16, bytes: &[u8]) -> Terminal {
        let mut t = Terminal::new(cols, rows);
        t.feed(bytes);
        t
    }

    fn press(m: &mut CopyMode, t: &Terminal, offset: &mut usize, keys: &[u8]) -> Outcome {
        let mut last = Outcome::Stay;
        for k in decode(keys) {
            last = m.key(k, t, View { offset }, SEPS);
        }
        last
    }

    fn at(m: &CopyMode, t: &Terminal) -> Point {
        m.cursor.point(total_lines(t))
    }

    #[test]
    fn vi_search_select_copy() {
        let mut bytes = Vec::new();
        for i in 0..30 {
            bytes.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"needle here\r\nlast");
        let t = term(20, 5, &bytes);
        let mut offset = 0;
        let mut m = CopyMode::enter(PaneId(1), &t, offset, ModeKeys::Vi);
        assert_eq!(at(&m, &t).line, t.history_len() + 4);
        // Search up for "line 3": only the fourth line (absolute line 3) holds it.
        press(&mut m, &t, &mut offset, b"?line 3\r");
        assert_eq!(at(&m, &t), Point { line: 3, col: 0 });
        assert!(offset > 0, "the view followed the cursor into history");
        // Repeat finds the previous match going up; wraps around.
        press(&mut m, &t, &mut offset, b"n");
        assert_eq!(at(&m, &t).line, 3, "only one match: wraps to itself");
        // Select "line 3" and copy.
        press(&mut m, &t, &mut offset, b"v$");
        let out = press(&mut m, &t, &mut offset, b"\r");
        assert_eq!(out, Outcome::CopyAndLeave("line 3".into()));
    }

    #[test]
    fn emacs_keys_and_smart_case() {
        let t = term(20, 4, b"Alpha beta\r\nalpha Beta\r\nend");
        let mut offset = 0;
        let mut m = CopyMode::enter(PaneId(1), &t, offset, ModeKeys::Emacs);
        // C-r then "beta" (lower case: case-insensitive): line 1 col 6 first.
        press(&mut m, &t, &mut offset, b"\x12beta\r");
        assert_eq!(at(&m, &t), Point { line: 1, col: 6 });
        // N reverses (down) from there: wraps to... line 0's "beta" is up, so down wraps
        // around past the end back to line 0.
        press(&mut m, &t, &mut offset, b"N");
        assert_eq!(at(&m, &t), Point { line: 0, col: 6 });
        // "Beta" with a capital matches only line 1.
        press(&mut m, &t, &mut offset, b"\x13Beta\r");
        assert_eq!(at(&m, &t), Point { line: 1, col: 6 });
        // C-a, C-space, M-f: select "alpha" (emacs: up to the cursor, not under it).
        press(&mut m, &t, &mut offset, b"\x01\x00\x1bf");
        assert_eq!(at(&m, &t), Point { line: 1, col: 5 });
        assert_eq!(
            press(&mut m, &t, &mut offset, b"\x1bw"),
            Outcome::CopyAndLeave("alpha".into())
        );
        // q leaves.
        let mut m = CopyMode::enter(PaneId(1), &t, 0, ModeKeys::Emacs);
        assert_eq!(press(&mut m, &t, &mut offset, b"q"), Outcome::Leave);
    }

    #[test]
    fn motions_and_paging() {
        let mut bytes = Vec::new();
        for i in 0..50 {
            bytes.extend_from_slice(format!("{i:02} foo-bar  baz\r\n").as_bytes());
        }
        let t = term(20, 10, &bytes);
        let mut offset = 0;
        let mut m = CopyMode::enter(PaneId(1), &t, offset, ModeKeys::Vi);
        press(&mut m, &t, &mut offset, b"g");
        assert_eq!(at(&m, &t), Point { line: 0, col: 0 });
        assert_eq!(offset, t.history_len());
        press(&mut m, &t, &mut offset, b"w");
        assert_eq!(at(&m, &t).col, 3, "{:?}", at(&m, &t));
        press(&mut m, &t, &mut offset, b"w");
        assert_eq!(at(&m, &t).col, 6);
        press(&mut m, &t, &mut offset, b"w");
        assert_eq!(at(&m, &t).col, 7);
        press(&mut m, &t, &mut offset, b"w");
        assert_eq!(at(&m, &t).col, 12);
        press(&mut m, &t, &mut offset, b"e");
        assert_eq!(at(&m, &t).col, 14);
        press(&mut m, &t, &mut offset, b"b");
        assert_eq!(at(&m, &t).col, 12);
        press(&mut m, &t, &mut offset, b"$");
        assert_eq!(at(&m, &t).col, 14);
        press(&mut m, &t, &mut offset, b"0");
        assert_eq!(at(&m, &t).col, 0);
        press(&mut m, &t, &mut offset, b"\x04");
        assert_eq!(at(&m, &t).line, 5);
        press(&mut m, &t, &mut offset, b"G");
        assert_eq!(at(&m, &t).line, total_lines(&t) - 1);
        assert_eq!(offset, 0);
        press(&mut m, &t, &mut offset, b"\x1b[5~");
        assert_eq!(offset, 8);
        // Output arrives: the cursor stays on its text.
        let before = at(&m, &t);
        m.scrolled(3);
        assert_eq!(m.cursor.point(total_lines(&t) + 3).line, before.line);
    }
}

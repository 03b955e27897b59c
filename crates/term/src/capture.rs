//! Text renderings of the grid, byte for byte as `tmux capture-pane -p` prints them.
//!
//! Like tmux (`grid_string_cells`), each line prints only the cells tmux counts as used
//! (`cellused`), skips wide-character spacers, trims trailing spaces and ends with `\n`.
//! With escapes ([`ansi`]), SGR sequences are emitted whenever a cell's style differs from
//! the previous printed cell's, carrying across lines, in tmux's parameter forms.

use crate::cell::{Attrs, Cell, CellFlags, Color, ColorKind};
use crate::Terminal;
use std::fmt::Write as _;

/// As `capture-pane -p`: the visible screen, one line per row.
pub fn plain(t: &Terminal) -> String {
    let h = t.history_len();
    render(t, h, h + t.rows() as usize, false)
}

/// As `capture-pane -p -S - -E -`: history then screen.
pub fn plain_with_history(t: &Terminal) -> String {
    render(t, 0, t.history_len() + t.rows() as usize, false)
}

/// As `capture-pane -p -e` (or with `-S - -E -` when `with_history`): rows with SGR
/// escapes reproducing every cell's style; the style carries across line breaks.
pub fn ansi(t: &Terminal, with_history: bool) -> String {
    let h = t.history_len();
    let from = if with_history { 0 } else { h };
    render(t, from, h + t.rows() as usize, true)
}

/// Lines `from..to` (absolute; 0 = oldest history line).
pub fn lines(t: &Terminal, from: usize, to: usize, with_codes: bool) -> String {
    let total = t.history_len() + t.rows() as usize;
    render(t, from.min(total), to.min(total), with_codes)
}

fn render(t: &Terminal, from: usize, to: usize, codes: bool) -> String {
    let mut out = String::with_capacity((to - from) * (t.cols() as usize + 1));
    let mut last = Cell::BLANK;
    for i in from..to {
        let used = t.line_captured(i) as usize;
        let start = out.len();
        for cell in t.line(i).iter().take(used) {
            if cell.flags.contains(CellFlags::WIDE_SPACER) {
                continue;
            }
            if codes {
                sgr_diff(t, &last, &cell, &mut out);
                last = cell;
            }
            t.push_cell_text(cell, &mut out);
        }
        let trimmed = out[start..].trim_end_matches(' ').len();
        out.truncate(start + trimmed);
        out.push('\n');
    }
    out
}

fn fg_params(c: Color, out: &mut Vec<u32>) {
    match c.kind() {
        ColorKind::Default => out.push(39),
        ColorKind::Ansi(n) if n < 8 => out.push(30 + n as u32),
        ColorKind::Ansi(n) => out.push(90 + (n - 8) as u32),
        ColorKind::Indexed(n) => out.extend([38, 5, n as u32]),
        ColorKind::Rgb(r, g, b) => out.extend([38, 2, r as u32, g as u32, b as u32]),
    }
}

fn bg_params(c: Color, out: &mut Vec<u32>) {
    match c.kind() {
        ColorKind::Default => out.push(49),
        ColorKind::Ansi(n) if n < 8 => out.push(40 + n as u32),
        ColorKind::Ansi(n) => out.push(100 + (n - 8) as u32),
        ColorKind::Indexed(n) => out.extend([48, 5, n as u32]),
        ColorKind::Rgb(r, g, b) => out.extend([48, 2, r as u32, g as u32, b as u32]),
    }
}

fn write_params(p: &[u32], out: &mut String) {
    out.push_str("\x1b[");
    for (i, v) in p.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(out, "{v}");
    }
    out.push('m');
}

/// tmux's attribute table order; codes of 10 and more are written `tens:units` by tmux
/// (so overline comes out as `5:3`), which this reproduces byte for byte.
fn attr_codes(a: Attrs, out: &mut Vec<u32>, base: Attrs) {
    let has = |x: Attrs, f: Attrs| x.contains(f);
    let ul = |x: Attrs, s: u8| x.underline() as u8 == s;
    let table: [(bool, bool, u32); 13] = [
        (has(a, Attrs::BOLD), has(base, Attrs::BOLD), 1),
        (has(a, Attrs::DIM), has(base, Attrs::DIM), 2),
        (has(a, Attrs::ITALIC), has(base, Attrs::ITALIC), 3),
        (ul(a, 1), ul(base, 1), 4),
        (has(a, Attrs::BLINK), has(base, Attrs::BLINK), 5),
        (has(a, Attrs::INVERSE), has(base, Attrs::INVERSE), 7),
        (has(a, Attrs::HIDDEN), has(base, Attrs::HIDDEN), 8),
        (
            has(a, Attrs::STRIKETHROUGH),
            has(base, Attrs::STRIKETHROUGH),
            9,
        ),
        (ul(a, 2), ul(base, 2), 42),
        (ul(a, 3), ul(base, 3), 43),
        (ul(a, 4), ul(base, 4), 44),
        (ul(a, 5), ul(base, 5), 45),
        (has(a, Attrs::OVERLINE), has(base, Attrs::OVERLINE), 53),
    ];
    for (now, before, code) in table {
        if now && !before {
            out.push(code);
        }
    }
}

/// Whether any attribute in `last` is missing from `now` (tmux then starts with `0`).
fn attr_removed(last: Attrs, now: Attrs) -> bool {
    let plain = |x: Attrs| x & !(Attrs::CHARSET | Attrs::UNDERLINE_MASK);
    !(plain(last) & !plain(now)).is_empty()
        || (last.underline() as u8 != 0 && now.underline() != last.underline())
}

fn ul_params(c: Color, out: &mut Vec<u32>) {
    match c.kind() {
        ColorKind::Default => {}
        ColorKind::Ansi(n) | ColorKind::Indexed(n) => out.extend([58, 5, n as u32]),
        ColorKind::Rgb(r, g, b) => out.extend([58, 2, r as u32, g as u32, b as u32]),
    }
}

/// Emits what changes the style from `last` to `cell` (as tmux `grid_string_cells_code`).
fn sgr_diff(t: &Terminal, last: &Cell, cell: &Cell, out: &mut String) {
    if last.same_style(cell) {
        return;
    }
    let (la, a) = (last.attrs, cell.attrs);
    let ul_last = t.underline_color(last);
    let ul_new = t.underline_color(cell);
    let reset = attr_removed(la, a) || (!ul_last.is_default() && ul_new.is_default());
    let mut codes: Vec<u32> = Vec::new();
    if reset {
        codes.push(0);
    }
    let base = if reset { Attrs::empty() } else { la };
    attr_codes(a, &mut codes, base);
    if !codes.is_empty() {
        out.push_str("\x1b[");
        for (i, c) in codes.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            if *c < 10 {
                let _ = write!(out, "{c}");
            } else {
                let _ = write!(out, "{}:{}", c / 10, c % 10);
            }
        }
        out.push('m');
    }
    let mut p = Vec::new();
    let mut q = Vec::new();
    fg_params(cell.fg, &mut p);
    fg_params(last.fg, &mut q);
    if p != q || reset {
        write_params(&p, out);
    }
    p.clear();
    q.clear();
    bg_params(cell.bg, &mut p);
    bg_params(last.bg, &mut q);
    if p != q || reset {
        write_params(&p, out);
    }
    p.clear();
    q.clear();
    ul_params(ul_new, &mut p);
    ul_params(ul_last, &mut q);
    if !p.is_empty() && (p != q || reset) {
        write_params(&p, out);
    }
    if a.contains(Attrs::CHARSET) && !la.contains(Attrs::CHARSET) {
        out.push('\x0e');
    }
    if !a.contains(Attrs::CHARSET) && la.contains(Attrs::CHARSET) {
        out.push('\x0f');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{ServerOptions, TmuxRelease};

    #[test]
    fn plain_trims_and_ends_lines() {
        let mut t = Terminal::new(10, 3);
        t.feed(b"ab  \r\ncd");
        assert_eq!(plain(&t), "ab\ncd\n\n");
    }

    #[test]
    fn ansi_carries_style_across_lines() {
        let (p33, _) = TmuxRelease::V3_3a.profile(&ServerOptions::default());
        let mut t = Terminal::with_profile(10, 2, 100, &p33);
        t.feed(b"\x1b[31ma\r\nb");
        assert_eq!(ansi(&t, false), "\x1b[31ma\nb\n");
        // Other releases print the line's allocated cells too: the blanks after each
        // letter switch the colour back before they are trimmed (tmux 3.6a prints this).
        let mut t = Terminal::new(10, 2);
        t.feed(b"\x1b[31ma\r\nb");
        assert_eq!(ansi(&t, false), "\x1b[31ma\x1b[39m\n\x1b[31mb\x1b[39m\n");
    }
}

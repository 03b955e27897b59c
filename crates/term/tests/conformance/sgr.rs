//! Reads the output of `capture-pane -p -e` (and of `capture::ansi`) back into cells.
//!
//! The stream is read the way a terminal reads it: SGR sequences change the current style,
//! SO/SI switch the DEC graphics charset flag (tmux writes them around line-drawing cells),
//! `\n` ends a row, and the style carries across rows. Every other Unicode scalar becomes one
//! item with the style current at that point. A wide character is one item; a combining
//! mark is an item of its own, so both sides are compared scalar by scalar with no width
//! table involved.

use std::fmt;

/// A colour as tmux stores it: the 8+8 ANSI colours (30-37, 90-97) are kept apart from the
/// same numbers given as 256-colour indexes (38;5;N), as tmux does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Colour {
    /// 39 / 49 / 59.
    #[default]
    Default,
    /// 30-37 as 0-7, 90-97 as 8-15.
    Ansi(u8),
    /// 38;5;N.
    Indexed(u8),
    /// 38;2;R;G;B.
    Rgb(u8, u8, u8),
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Colour::Default => write!(f, "default"),
            Colour::Ansi(n) => write!(f, "ansi{n}"),
            Colour::Indexed(n) => write!(f, "idx{n}"),
            Colour::Rgb(r, g, b) => write!(f, "#{r:02x}{g:02x}{b:02x}"),
        }
    }
}

/// Attribute bits.
pub mod attr {
    pub const BOLD: u16 = 1;
    pub const DIM: u16 = 1 << 1;
    pub const ITALIC: u16 = 1 << 2;
    pub const BLINK: u16 = 1 << 3;
    pub const INVERSE: u16 = 1 << 4;
    pub const HIDDEN: u16 = 1 << 5;
    pub const STRIKE: u16 = 1 << 6;
    pub const OVERLINE: u16 = 1 << 7;
    /// The DEC special graphics charset (SO ... SI in tmux's output).
    pub const CHARSET: u16 = 1 << 8;

    pub const NAMES: [(u16, &str); 9] = [
        (BOLD, "bold"),
        (DIM, "dim"),
        (ITALIC, "italic"),
        (BLINK, "blink"),
        (INVERSE, "inverse"),
        (HIDDEN, "hidden"),
        (STRIKE, "strike"),
        (OVERLINE, "overline"),
        (CHARSET, "acs"),
    ];
}

/// Everything SGR (and SO/SI) can say about a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Style {
    pub fg: Colour,
    pub bg: Colour,
    /// Underline colour (58/59).
    pub us: Colour,
    pub attrs: u16,
    /// 0 none, 1 single, 2 double, 3 curly, 4 dotted, 5 dashed.
    pub underline: u8,
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fg={} bg={}", self.fg, self.bg)?;
        if self.us != Colour::Default {
            write!(f, " ul-colour={}", self.us)?;
        }
        if self.underline != 0 {
            let name = match self.underline {
                1 => "single",
                2 => "double",
                3 => "curly",
                4 => "dotted",
                5 => "dashed",
                _ => "?",
            };
            write!(f, " underline={name}")?;
        }
        for (bit, name) in attr::NAMES {
            if self.attrs & bit != 0 {
                write!(f, " {name}")?;
            }
        }
        Ok(())
    }
}

/// One scalar and its style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub ch: char,
    pub style: Style,
}

/// A parsed capture: one `Vec<Item>` per row, plus anything the reader did not understand.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Vec<Item>>,
    /// Escape sequences or control bytes that are neither SGR, SO, SI nor `\n`.
    pub oddities: Vec<String>,
}

/// Reads a whole `-e` capture. A final `\n` ends the last row (it does not open another).
pub fn parse(bytes: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Parsed::default();
    let mut style = Style::default();
    let mut row: Vec<Item> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut row_open = false;
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.rows.push(std::mem::take(&mut row));
                row_open = false;
            }
            '\x0e' => style.attrs |= attr::CHARSET,
            '\x0f' => style.attrs &= !attr::CHARSET,
            '\x1b' => {
                row_open = true;
                if chars.peek() != Some(&'[') {
                    let next = chars.next();
                    out.oddities.push(format!("ESC {next:?}"));
                    continue;
                }
                chars.next();
                let mut params = String::new();
                let mut fin = None;
                for c2 in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c2) {
                        fin = Some(c2);
                        break;
                    }
                    params.push(c2);
                }
                match fin {
                    Some('m') => apply_sgr(&mut style, &params, &mut out.oddities),
                    other => out.oddities.push(format!("CSI {params:?} {other:?}")),
                }
            }
            c if (c as u32) < 0x20 || c == '\x7f' => {
                row_open = true;
                out.oddities.push(format!("control {:#04x}", c as u32));
            }
            c => {
                row_open = true;
                row.push(Item { ch: c, style });
            }
        }
    }
    if row_open || !row.is_empty() {
        out.rows.push(row);
    }
    out
}

/// One parameter with its colon sub-parameters; `None` is an empty field.
type Param = Vec<Option<u32>>;

fn split_params(s: &str) -> Vec<Param> {
    if s.is_empty() {
        return vec![vec![None]];
    }
    s.split(';')
        .map(|p| p.split(':').map(|x| x.parse::<u32>().ok()).collect())
        .collect()
}

fn colour_from_sub(sub: &[Option<u32>]) -> Option<Colour> {
    // sub[0] is 38/48/58; sub[1] the kind.
    match sub.get(1).copied().flatten()? {
        5 => Some(Colour::Indexed(
            sub.get(2).copied().flatten()?.min(255) as u8
        )),
        2 => {
            // 38:2:R:G:B or 38:2:CS:R:G:B.
            let rest = &sub[2..];
            let rgb = if rest.len() >= 4 {
                &rest[rest.len() - 3..]
            } else {
                rest
            };
            if rgb.len() < 3 {
                return None;
            }
            let v = |i: usize| rgb[i].unwrap_or(0).min(255) as u8;
            Some(Colour::Rgb(v(0), v(1), v(2)))
        }
        _ => None,
    }
}

fn apply_sgr(style: &mut Style, params: &str, oddities: &mut Vec<String>) {
    let ps = split_params(params);
    let mut i = 0;
    while i < ps.len() {
        let p = &ps[i];
        let n = p[0].unwrap_or(0);
        if p.len() > 1 {
            // Colon form: everything is inside this one parameter.
            match n {
                4 => {
                    let kind = p[1].unwrap_or(0);
                    style.underline = if kind <= 5 { kind as u8 } else { 1 };
                }
                // tmux 3.3 writes every code >= 10 as "tens:units" (grid.c,
                // grid_string_cells_code), so overline (53) comes out as "5:3".
                5 if p.len() == 2 && p[1] == Some(3) => style.attrs |= attr::OVERLINE,
                38 | 48 | 58 => match colour_from_sub(p) {
                    Some(c) => set_colour(style, n, c),
                    None => oddities.push(format!("bad colour {params:?}")),
                },
                _ => oddities.push(format!("unexpected sub-parameters in {params:?}")),
            }
            i += 1;
            continue;
        }
        match n {
            0 => {
                let charset = style.attrs & attr::CHARSET;
                *style = Style::default();
                style.attrs = charset;
            }
            1 => style.attrs |= attr::BOLD,
            2 => style.attrs |= attr::DIM,
            3 => style.attrs |= attr::ITALIC,
            4 => style.underline = 1,
            5 | 6 => style.attrs |= attr::BLINK,
            7 => style.attrs |= attr::INVERSE,
            8 => style.attrs |= attr::HIDDEN,
            9 => style.attrs |= attr::STRIKE,
            21 => style.underline = 2,
            22 => style.attrs &= !(attr::BOLD | attr::DIM),
            23 => style.attrs &= !attr::ITALIC,
            24 => style.underline = 0,
            25 => style.attrs &= !attr::BLINK,
            27 => style.attrs &= !attr::INVERSE,
            28 => style.attrs &= !attr::HIDDEN,
            29 => style.attrs &= !attr::STRIKE,
            30..=37 => style.fg = Colour::Ansi((n - 30) as u8),
            39 => style.fg = Colour::Default,
            40..=47 => style.bg = Colour::Ansi((n - 40) as u8),
            49 => style.bg = Colour::Default,
            53 => style.attrs |= attr::OVERLINE,
            55 => style.attrs &= !attr::OVERLINE,
            59 => style.us = Colour::Default,
            90..=97 => style.fg = Colour::Ansi((n - 90 + 8) as u8),
            100..=107 => style.bg = Colour::Ansi((n - 100 + 8) as u8),
            38 | 48 | 58 => {
                // Semicolon form: the colour takes the following parameters.
                let kind = ps.get(i + 1).and_then(|p| p[0]);
                match kind {
                    Some(5) => {
                        let idx = ps.get(i + 2).and_then(|p| p[0]);
                        match idx {
                            Some(v) => set_colour(style, n, Colour::Indexed(v.min(255) as u8)),
                            None => oddities.push(format!("short 256 colour {params:?}")),
                        }
                        i += 3;
                    }
                    Some(2) => {
                        let v = |k: usize| ps.get(i + k).and_then(|p| p[0]);
                        match (v(2), v(3), v(4)) {
                            (Some(r), Some(g), Some(b)) => set_colour(
                                style,
                                n,
                                Colour::Rgb(r.min(255) as u8, g.min(255) as u8, b.min(255) as u8),
                            ),
                            _ => oddities.push(format!("short RGB colour {params:?}")),
                        }
                        i += 5;
                    }
                    _ => {
                        oddities.push(format!("bad colour {params:?}"));
                        i += 2;
                    }
                }
                continue;
            }
            other => oddities.push(format!("unknown SGR {other} in {params:?}")),
        }
        i += 1;
    }
}

fn set_colour(style: &mut Style, which: u32, c: Colour) {
    match which {
        38 => style.fg = c,
        48 => style.bg = c,
        _ => style.us = c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Style {
        let p = parse(s.as_bytes());
        assert!(p.oddities.is_empty(), "{:?}", p.oddities);
        p.rows[0].last().unwrap().style
    }

    #[test]
    fn reads_tmux_codes() {
        let s = one("\x1b[1;4:3;5:3m\x1b[38;5;196m\x1b[48;2;1;2;3m\x1b[58;2;9;8;7mx");
        assert_eq!(s.attrs, attr::BOLD | attr::OVERLINE);
        assert_eq!(s.underline, 3);
        assert_eq!(s.fg, Colour::Indexed(196));
        assert_eq!(s.bg, Colour::Rgb(1, 2, 3));
        assert_eq!(s.us, Colour::Rgb(9, 8, 7));
    }

    #[test]
    fn colon_forms_and_reset() {
        let s = one("\x1b[38:2::10:20:30;48:5:17m\x1b[97mx");
        assert_eq!(s.fg, Colour::Ansi(15));
        assert_eq!(s.bg, Colour::Indexed(17));
        let s = one("\x1b[38:2:10:20:30;1mx\x1b[0;31my");
        assert_eq!(s.fg, Colour::Ansi(1));
        assert_eq!(s.attrs, 0);
        assert_ne!(Colour::Ansi(1), Colour::Indexed(1));
    }

    #[test]
    fn style_carries_across_rows_and_charset() {
        let p = parse(b"\x1b[31ma\n\x0eqq\x0fb\n\nc");
        assert_eq!(p.rows.len(), 4);
        assert_eq!(p.rows[1][0].style.fg, Colour::Ansi(1));
        assert_eq!(p.rows[1][0].style.attrs, attr::CHARSET);
        assert_eq!(p.rows[1][2].style.attrs, 0);
        assert!(p.rows[2].is_empty());
        assert_eq!(p.rows[3][0].ch, 'c');
        let p = parse(b"a\nb\n");
        assert_eq!(p.rows.len(), 2);
    }
}

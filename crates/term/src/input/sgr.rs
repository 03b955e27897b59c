//! SGR: the pen's colours and attributes (tmux `input_csi_dispatch_sgr` and
//! `input_csi_dispatch_sgr_colon`).

use super::dispatch::CsiParam;
use crate::cell::{Attrs, Cell, Color, UnderlineStyle};
use crate::screen::Screen;

/// Sets colour `which` (38 foreground, 48 background, 58 underline) of the pen.
fn set_colour(s: &mut Screen, which: u16, c: Color) {
    match which {
        38 => s.pen_mut().fg = c,
        48 => s.pen_mut().bg = c,
        _ => {
            let i = s.ul_color_index(c);
            s.pen_mut().ul_color = i;
        }
    }
}

/// SGR over `n` parameters, parameter `i < n` given by `param(i)`.
#[inline]
pub(super) fn sgr<'a>(s: &mut Screen, n: usize, param: impl Fn(usize) -> CsiParam<'a>) {
    if n == 0 {
        *s.pen_mut() = Cell::BLANK;
        return;
    }
    // tmux's input_get(i, 0, def): the default when absent, -1 with sub-parameters.
    let get = |i: usize, def: i32| -> i32 {
        if i >= n {
            return def;
        }
        match param(i) {
            CsiParam::Value(v) => v as i32,
            CsiParam::Missing => def,
            CsiParam::Sub(_) => -1,
        }
    };
    let mut i = 0;
    while i < n {
        let v = match param(i) {
            CsiParam::Sub(g) => {
                sgr_colon(s, g);
                i += 1;
                continue;
            }
            // An empty parameter reads as 0 here, as in tmux.
            CsiParam::Missing => 0,
            CsiParam::Value(v) => v,
        };
        if v == 38 || v == 48 || v == 58 {
            i += 1;
            match get(i, -1) {
                2 => {
                    let (r, g, b) = (get(i + 1, -1), get(i + 2, -1), get(i + 3, -1));
                    if (0..=255).contains(&r) && (0..=255).contains(&g) && (0..=255).contains(&b) {
                        set_colour(s, v, Color::rgb(r as u8, g as u8, b as u8));
                        i += 3;
                    }
                }
                5 => {
                    let c = get(i + 1, -1);
                    if (0..=255).contains(&c) {
                        set_colour(s, v, Color::indexed(c as u8));
                    } else if v == 38 {
                        s.pen_mut().fg = Color::DEFAULT;
                    } else if v == 48 {
                        s.pen_mut().bg = Color::DEFAULT;
                    }
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        let pen = s.pen_mut();
        let a = &mut pen.attrs;
        match v {
            0 => *pen = Cell::BLANK,
            1 => a.insert(Attrs::BOLD),
            2 => a.insert(Attrs::DIM),
            3 => a.insert(Attrs::ITALIC),
            4 => a.set_underline(UnderlineStyle::Single),
            5 | 6 => a.insert(Attrs::BLINK),
            7 => a.insert(Attrs::INVERSE),
            8 => a.insert(Attrs::HIDDEN),
            9 => a.insert(Attrs::STRIKETHROUGH),
            21 => a.set_underline(UnderlineStyle::Double),
            22 => a.remove(Attrs::BOLD | Attrs::DIM),
            23 => a.remove(Attrs::ITALIC),
            24 => a.set_underline(UnderlineStyle::None),
            25 => a.remove(Attrs::BLINK),
            27 => a.remove(Attrs::INVERSE),
            28 => a.remove(Attrs::HIDDEN),
            29 => a.remove(Attrs::STRIKETHROUGH),
            30..=37 => pen.fg = Color::ansi((v - 30) as u8),
            39 => pen.fg = Color::DEFAULT,
            40..=47 => pen.bg = Color::ansi((v - 40) as u8),
            49 => pen.bg = Color::DEFAULT,
            53 => a.insert(Attrs::OVERLINE),
            55 => a.remove(Attrs::OVERLINE),
            59 => pen.ul_color = 0,
            90..=97 => pen.fg = Color::ansi((v - 90 + 8) as u8),
            100..=107 => pen.bg = Color::ansi((v - 100 + 8) as u8),
            _ => {}
        }
        i += 1;
    }
}

/// SGR with `:` sub-parameters (tmux `input_csi_dispatch_sgr_colon`).
fn sgr_colon(s: &mut Screen, p: &[u16]) {
    let len = p.len();
    if len >= 8 {
        return;
    }
    let v = |i: usize| -> i32 { p.get(i).map_or(-1, |&x| x as i32) };
    if p[0] == 4 {
        if len != 2 {
            return;
        }
        let style = match p[1] {
            0 => UnderlineStyle::None,
            1 => UnderlineStyle::Single,
            2 => UnderlineStyle::Double,
            3 => UnderlineStyle::Curly,
            4 => UnderlineStyle::Dotted,
            5 => UnderlineStyle::Dashed,
            _ => return,
        };
        s.pen_mut().attrs.set_underline(style);
        return;
    }
    if len < 2 || !(p[0] == 38 || p[0] == 48 || p[0] == 58) {
        return;
    }
    match p[1] {
        2 => {
            if len < 3 {
                return;
            }
            let i = if len == 5 { 2 } else { 3 };
            if len < i + 3 {
                return;
            }
            let (r, g, b) = (v(i), v(i + 1), v(i + 2));
            if (0..=255).contains(&r) && (0..=255).contains(&g) && (0..=255).contains(&b) {
                set_colour(s, p[0], Color::rgb(r as u8, g as u8, b as u8));
            }
        }
        5 => {
            if len < 3 {
                return;
            }
            let c = v(2);
            if (0..=255).contains(&c) {
                set_colour(s, p[0], Color::indexed(c as u8));
            } else if p[0] == 38 {
                s.pen_mut().fg = Color::DEFAULT;
            } else if p[0] == 48 {
                s.pen_mut().bg = Color::DEFAULT;
            }
        }
        _ => {}
    }
}

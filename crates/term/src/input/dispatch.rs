//! What C0 controls and escape sequences mean, following tmux 3.3a's `input.c`
//! (`input_c0_dispatch`, `input_esc_dispatch`, `input_csi_dispatch`); strings are in
//! `strings.rs`.
//! Nothing is answered: queries (DA, DSR, ...) are ignored, as the design requires.

use super::Ctx;
use crate::cell::Color;
use crate::modes::Modes;
use crate::params::CsiParams;
use crate::screen::Screen;

/// One CSI parameter as `csi_dispatch` and SGR see it.
#[derive(Clone, Copy)]
pub(super) enum CsiParam<'a> {
    Value(u16),
    /// Empty (`CSI ;1m`): tmux's default where one applies.
    Missing,
    /// With `:` sub-parameters (the whole group).
    Sub(&'a [u16]),
}

fn clamp16(n: i32) -> u16 {
    n.clamp(0, u16::MAX as i32) as u16
}

impl Ctx {
    /// A C0 control (tmux `input_c0_dispatch`).
    pub(super) fn execute(&mut self, s: &mut Screen, b: u8) {
        self.cut_utf8(s);
        match b {
            0x07 => s.bell(),
            0x08 => s.backspace(),
            0x09 if s.policy().tabs_in_grid => s.print_tab(),
            0x09 => s.tab(),
            0x0a..=0x0c => {
                let bg = s.pen().bg;
                s.linefeed(false, bg);
            }
            0x0d => s.carriage_return(),
            0x0e => s.charsets_mut().shift_out = true,
            0x0f => s.charsets_mut().shift_out = false,
            _ => {}
        }
        self.last = None;
    }

    /// ESC dispatch (tmux `input_esc_dispatch`).
    pub(super) fn esc(&mut self, s: &mut Screen, inter: &[u8], ignore: bool, byte: u8) {
        // An escape sequence does not end a UTF-8 sequence in tmux: it goes on after it.
        self.last = None;
        if ignore {
            return;
        }
        match (inter, byte) {
            (b"", b'7') => s.save_state(),
            (b"", b'8') => s.restore_state(),
            (b"#", b'8') => s.alignment_test(),
            (b"", b'=') => s.set_mode(Modes::APP_KEYPAD, true),
            (b"", b'>') => s.set_mode(Modes::APP_KEYPAD, false),
            (b"(", b'0') => s.charsets_mut().g0_acs = true,
            (b"(", b'B') => s.charsets_mut().g0_acs = false,
            (b")", b'0') => s.charsets_mut().g1_acs = true,
            (b")", b'B') => s.charsets_mut().g1_acs = false,
            (b"", b'D') => {
                let bg = s.pen().bg;
                s.linefeed(false, bg);
            }
            (b"", b'E') => {
                s.carriage_return();
                let bg = s.pen().bg;
                s.linefeed(false, bg);
            }
            (b"", b'H') => {
                let x = s.cx();
                s.tabs_mut().set(x);
            }
            (b"", b'M') => s.reverse_index(),
            (b"", b'c') => s.full_reset(),
            _ => {}
        }
    }

    /// Dispatches a CSI sequence (tmux `input_csi_dispatch`).
    pub(super) fn csi(
        &mut self,
        s: &mut Screen,
        params: &CsiParams,
        inter: &[u8],
        ignore: bool,
        action: char,
    ) {
        let was_last = self.last.take();
        if ignore || params.too_many || params.discard {
            return;
        }
        csi_dispatch(
            s,
            params.len(),
            |i| {
                if params.is_missing(i) {
                    CsiParam::Missing
                } else {
                    match params.group(i) {
                        [v] => CsiParam::Value(*v),
                        g => CsiParam::Sub(g),
                    }
                }
            },
            inter,
            action,
            was_last,
        );
    }

    /// A whole `CSI <values> <action>` without intermediates whose parameters are all plain
    /// numbers (at least one): what `csi` does for it, without building [`CsiParams`]. The
    /// feed's fast path for the commonest sequences (SGR, cursor motion).
    #[inline]
    pub(super) fn csi_values(&mut self, s: &mut Screen, values: &[u16], action: char) {
        let was_last = self.last.take();
        csi_dispatch(
            s,
            values.len(),
            |i| CsiParam::Value(values[i]),
            b"",
            action,
            was_last,
        );
    }
}

/// `csi` after its checks: `np` parameters, parameter `i < np` given by `param(i)`.
#[inline]
fn csi_dispatch<'a>(
    s: &mut Screen,
    np: usize,
    param: impl Fn(usize) -> CsiParam<'a> + Copy,
    inter: &[u8],
    action: char,
    was_last: Option<(u32, u8)>,
) {
    // input_get(index, min, default): -1 when the parameter has sub-parameters.
    // vte cannot tell a missing parameter from 0; with tmux's minimums the two agree for
    // every sequence here except DECSTBM's bottom (handled there).
    let get = |i: usize, min: i32, def: i32| -> i32 {
        if i >= np {
            return def;
        }
        match param(i) {
            CsiParam::Value(v) => (v as i32).max(min),
            CsiParam::Missing => def,
            CsiParam::Sub(_) => -1,
        }
    };
    let bg = s.pen().bg;
    match (inter, action) {
        (b"", 'm') => super::sgr::sgr(s, np, param),
        // Relative cursor motion (CUU, CUD, CUF, CUB).
        (b"", op @ ('A' | 'B' | 'C' | 'D')) => {
            let motion: fn(&mut Screen, u16) = match op {
                'A' => Screen::cursor_up,
                'B' => Screen::cursor_down,
                'C' => Screen::cursor_right,
                _ => Screen::cursor_left,
            };
            let n = get(0, 1, 1);
            if n != -1 {
                motion(s, clamp16(n));
            }
        }
        (b"", op @ ('E' | 'F')) => {
            let n = get(0, 1, 1);
            if n != -1 {
                s.cursor_next_line(clamp16(n), op == 'E');
            }
        }
        (b"", 'G') | (b"", '`') => {
            let n = get(0, 1, 1);
            if n != -1 {
                s.cursor_move(Some(n as u32 - 1), None, true);
            }
        }
        (b"", 'H') | (b"", 'f') => {
            let n = get(0, 1, 1);
            let m = get(1, 1, 1);
            if n != -1 && m != -1 {
                s.cursor_move(Some(m as u32 - 1), Some(n as u32 - 1), true);
            }
        }
        (b"", 'd') => {
            let n = get(0, 1, 1);
            if n != -1 {
                s.cursor_move(None, Some(n as u32 - 1), true);
            }
        }
        (b"", 'J') => match get(0, 0, 0) {
            0 => s.clear_end_of_screen(bg),
            1 => s.clear_start_of_screen(bg),
            2 => s.clear_screen(bg),
            3 if get(1, 0, 0) == 0 => s.clear_history(),
            _ => {}
        },
        (b"", 'K') => match get(0, 0, 0) {
            0 => s.clear_end_of_line(bg),
            1 => s.clear_start_of_line(bg),
            2 => s.clear_line(bg),
            _ => {}
        },
        // Counted edits: a count tmux reads as -1 (out of range) does nothing.
        (b"", op @ ('@' | 'P' | 'X' | 'L' | 'M' | 'S' | 'T')) => {
            let edit: fn(&mut Screen, u16, Color) = match op {
                '@' => Screen::insert_characters,
                'P' => Screen::delete_characters,
                'X' => Screen::erase_characters,
                'L' => Screen::insert_lines,
                'M' => Screen::delete_lines,
                'S' => Screen::scroll_up,
                _ => Screen::scroll_down,
            };
            let n = get(0, 1, 1);
            if n != -1 {
                edit(s, clamp16(n), bg);
            }
        }
        (b"", 'b') => {
            let n = get(0, 1, 1);
            if n != -1 {
                if let Some(last) = was_last {
                    s.repeat(last, n);
                }
            }
        }
        (b"", 'r') => {
            let n = get(0, 1, 1);
            // A missing bottom is the last row; an explicit 0 is raised to 1.
            let m = get(1, 1, s.rows() as i32);
            if n != -1 && m != -1 {
                s.set_scroll_region(n as u32 - 1, m as u32 - 1);
            }
        }
        (b"", 't') => winops(s, get),
        (b"", 's') => s.save_state(),
        (b"", 'u') => s.restore_state(),
        (b"", 'g') => match get(0, 0, 0) {
            0 => {
                let x = s.cx();
                s.tabs_mut().clear(x);
            }
            3 => s.tabs_mut().clear_all(),
            _ => {}
        },
        (b"", 'Z') => {
            let n = get(0, 1, 1);
            if n != -1 {
                s.back_tab(n);
            }
        }
        (b"", 'h') | (b"", 'l') => {
            let on = action == 'h';
            for i in 0..np {
                if get(i, 0, 0) == 4 {
                    s.set_mode(Modes::INSERT, on);
                }
            }
        }
        (b"?", 'h') | (b"?", 'l') => {
            let on = action == 'h';
            for i in 0..np {
                private_mode(s, get(i, 0, 0), on);
            }
        }
        _ => {}
    }
}

/// tmux `input_csi_dispatch_winops`: only the title stack changes the pane's state; the
/// other operations are skipped with their parameters.
fn winops(s: &mut Screen, get: impl Fn(usize, i32, i32) -> i32) {
    let mut m = 0;
    loop {
        let n = get(m, 0, -1);
        match n {
            -1 => break,
            3 | 4 | 8 => {
                m += 1;
                if get(m, 0, -1) == -1 {
                    return;
                }
                m += 1;
                if get(m, 0, -1) == -1 {
                    return;
                }
            }
            9 | 10 => {
                m += 1;
                if get(m, 0, -1) == -1 {
                    return;
                }
            }
            22 | 23 => {
                m += 1;
                match get(m, 0, -1) {
                    -1 => return,
                    0 | 2 if n == 22 => s.push_title(),
                    0 | 2 => s.pop_title(),
                    _ => {}
                }
            }
            _ => {}
        }
        m += 1;
    }
}

/// DECSET / DECRST (tmux `input_csi_dispatch_rm_private` / `_sm_private`).
fn private_mode(s: &mut Screen, n: i32, on: bool) {
    match n {
        1 => s.set_mode(Modes::APP_CURSOR, on),
        3 => {
            s.cursor_move(Some(0), Some(0), true);
            let bg = s.pen().bg;
            s.clear_screen(bg);
        }
        6 => {
            s.set_mode(Modes::ORIGIN, on);
            s.cursor_move(Some(0), Some(0), true);
        }
        7 => s.set_mode(Modes::AUTOWRAP, on),
        12 => s.set_mode(Modes::CURSOR_BLINKING, on),
        25 => s.set_mode(Modes::CURSOR_VISIBLE, on),
        1000 => s.set_mouse_mode(Modes::MOUSE_STANDARD, on),
        1002 => s.set_mouse_mode(Modes::MOUSE_BUTTON, on),
        1003 => s.set_mouse_mode(Modes::MOUSE_ANY, on),
        1004 => s.set_mode(Modes::FOCUS_EVENTS, on),
        1005 => s.set_mode(Modes::MOUSE_UTF8, on),
        1006 => s.set_mode(Modes::MOUSE_SGR, on),
        47 | 1047 => {
            if on {
                s.alternate_on(false)
            } else {
                s.alternate_off(false)
            }
        }
        1049 => {
            if on {
                s.alternate_on(true)
            } else {
                s.alternate_off(true)
            }
        }
        2004 => s.set_mode(Modes::BRACKETED_PASTE, on),
        _ => {}
    }
}

//! tmux 3.3a's `grid_reflow` (`grid_reflow_split`, `grid_reflow_join`) and
//! `grid_wrap_position` / `grid_unwrap_position`, on a list of grid lines. Allocates (it
//! rebuilds the line list); resizes are rare.

use super::row::Row;
use crate::cell::{Cell, CellFlags, Color};

#[inline]
fn cell_width(c: &Cell) -> usize {
    if c.flags.contains(CellFlags::WIDE_SPACER) {
        0
    } else if c.flags.contains(CellFlags::WIDE) {
        2
    } else {
        1
    }
}

/// tmux `grid_wrap_position`: the cursor as (offset in its unwrapped line, unwrapped line).
/// `usize::MAX` offset means "at or after the end of the line".
pub(super) fn wrap_position(lines: &[Row], px: usize, py: usize) -> (usize, usize) {
    let (mut ax, mut ay) = (0usize, 0usize);
    let py = py.min(lines.len().saturating_sub(1));
    for l in &lines[..py] {
        if l.wrapped() {
            ax += l.used() as usize;
        } else {
            ax = 0;
            ay += 1;
        }
    }
    if px >= lines[py].used() as usize {
        ax = usize::MAX;
    } else {
        ax += px;
    }
    (ax, ay)
}

/// tmux `grid_unwrap_position`.
pub(super) fn unwrap_position(lines: &[Row], wx: usize, wy: usize) -> (usize, usize) {
    let mut yy = 0;
    let mut ay = 0;
    let last = lines.len().saturating_sub(1);
    while yy < last {
        if ay == wy {
            break;
        }
        if !lines[yy].wrapped() {
            ay += 1;
        }
        yy += 1;
    }
    let mut wx = wx;
    if wx == usize::MAX {
        while lines[yy].wrapped() && yy < last {
            yy += 1;
        }
        wx = lines[yy].used() as usize;
    } else {
        while lines[yy].wrapped() && yy < last {
            let u = lines[yy].used() as usize;
            if wx < u {
                break;
            }
            wx -= u;
            yy += 1;
        }
    }
    (wx, yy)
}

/// tmux `grid_reflow`: rewraps every line to width `sx`.
pub(super) fn reflow_lines(src: Vec<Row>, sx: u16, old_sx: u16, hscrolled: &mut usize) -> Vec<Row> {
    let sxu = sx as usize;
    let n = src.len();
    let mut src: Vec<Option<Row>> = src.into_iter().map(Some).collect();
    let mut target: Vec<Row> = Vec::with_capacity(n + 8);
    for yy in 0..n {
        let Some(line) = src[yy].as_ref() else {
            continue;
        };
        // Cells past those a row holds are blank (a packed history line keeps none past its
        // last non-blank one).
        let used = line.used() as usize;
        let mut width = 0;
        let mut at = 0;
        for i in 0..used {
            let w = cell_width(&line.cell(i));
            if at == 0 && width + w > sxu {
                at = i;
            }
            width += w;
        }
        if width == sxu {
            move_line(&mut target, &mut src, yy, sx);
            continue;
        }
        if width > sxu {
            split_line(&mut target, &mut src, sx, old_sx, yy, at, hscrolled);
            continue;
        }
        if line.wrapped() {
            join_lines(
                &mut target,
                &mut src,
                sx,
                old_sx,
                yy,
                width,
                false,
                hscrolled,
            );
        } else {
            move_line(&mut target, &mut src, yy, sx);
        }
    }
    target
}

fn move_line(target: &mut Vec<Row>, src: &mut [Option<Row>], yy: usize, sx: u16) {
    if let Some(mut l) = src[yy].take() {
        l.set_width(sx);
        target.push(l);
    }
}

/// tmux's reflow writes into a target grid created with the old width, so storage grows
/// in steps of the old width.
/// Past the new right edge the line simply grows, as tmux's storage does.
fn set_cell(row: &mut Row, x: usize, c: Cell, sx: u16, old_sx: u16) {
    if x >= u16::MAX as usize {
        return;
    }
    row.grow_past_edge(x + 1, sx);
    row.expand(x + 1, old_sx);
    // tmux copies the cell's content (`grid_get_cell`, `grid_set_cell`): whether it is
    // stored out of line follows from the content and from the cell it lands on.
    let mut c = c;
    c.flags -= CellFlags::TMUX_EXTENDED;
    let c = row.tmux_extended(x, c, 1);
    row.cells_mut(sx)[x] = c;
    row.touch(x + 1);
}

/// tmux `grid_reflow_split`.
#[allow(clippy::too_many_arguments)]
fn split_line(
    target: &mut Vec<Row>,
    src: &mut [Option<Row>],
    sx: u16,
    old_sx: u16,
    yy: usize,
    at: usize,
    hscrolled: &mut usize,
) {
    let sxu = sx as usize;
    let Some(mut gl) = src[yy].take() else {
        return;
    };
    let flags_wrapped = gl.wrapped();
    let tail = gl.split_off(at);
    gl.set_wrapped(true);
    gl.set_width(sx);
    target.push(gl);
    let mut line = Row::new(sx, Color::DEFAULT);
    let mut width = 0;
    let mut xx = 0;
    let mut lines = 2;
    for c in tail {
        let w = cell_width(&c);
        if width + w > sxu {
            line.set_wrapped(true);
            target.push(std::mem::replace(&mut line, Row::new(sx, Color::DEFAULT)));
            lines += 1;
            width = 0;
            xx = 0;
        }
        width += w;
        set_cell(&mut line, xx, c, sx, old_sx);
        xx += 1;
    }
    if flags_wrapped {
        line.set_wrapped(true);
    }
    target.push(line);
    if yy <= *hscrolled {
        *hscrolled += lines - 1;
    }
    if width < sxu && flags_wrapped {
        join_lines(target, src, sx, old_sx, yy, width, true, hscrolled);
    }
}

/// tmux `grid_reflow_join`: pulls cells from the following wrapped lines onto this one.
#[allow(clippy::too_many_arguments)]
fn join_lines(
    target: &mut Vec<Row>,
    src: &mut [Option<Row>],
    sx: u16,
    old_sx: u16,
    yy: usize,
    mut width: usize,
    already: bool,
    hscrolled: &mut usize,
) {
    let sxu = sx as usize;
    let n = src.len();
    let to;
    if !already {
        to = target.len();
        move_line(target, src, yy, sx);
        if target.len() == to {
            return;
        }
    } else {
        to = target.len() - 1;
    }
    let mut at = target[to].used() as usize;
    let mut lines = 0;
    let mut wrapped = true;
    let mut from: Option<usize> = None;
    let mut want = 0;
    loop {
        if yy + 1 + lines >= n {
            break;
        }
        let line = yy + 1 + lines;
        let Some(l) = src[line].as_ref() else { break };
        if !l.wrapped() {
            wrapped = false;
        }
        if l.used() == 0 {
            if !wrapped {
                break;
            }
            lines += 1;
            continue;
        }
        let used = l.used() as usize;
        let c0 = l.cell(0);
        let w0 = cell_width(&c0);
        if width + w0 > sxu {
            break;
        }
        width += w0;
        set_cell(&mut target[to], at, c0, sx, old_sx);
        at += 1;
        from = Some(line);
        want = 1;
        while want < used {
            let c = l.cell(want);
            let w = cell_width(&c);
            if width + w > sxu {
                break;
            }
            width += w;
            set_cell(&mut target[to], at, c, sx, old_sx);
            at += 1;
            want += 1;
        }
        lines += 1;
        if !wrapped || want != used || width == sxu {
            break;
        }
    }
    if lines == 0 {
        return;
    }
    let left = from
        .and_then(|f| src[f].as_ref())
        .map_or(0, |l| (l.used() as usize).saturating_sub(want));
    if left != 0 {
        if let Some(f) = from {
            if let Some(l) = src[f].as_mut() {
                // grid_move_cells(0, want, left): shift the rest to the start, and tmux
                // then cuts the line to `left` cells (cellsize = cellused = left).
                l.keep_from(want);
            }
        }
        lines -= 1;
    } else if !wrapped {
        target[to].set_wrapped(false);
    }
    for slot in src.iter_mut().take(yy + 1 + lines).skip(yy + 1) {
        *slot = None;
    }
    if *hscrolled > to + lines {
        *hscrolled -= lines;
    } else if *hscrolled > to {
        *hscrolled = to;
    }
}

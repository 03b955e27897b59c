//! Resize, following tmux 3.3a's `screen_resize_cursor`, `screen_resize_y`, `grid_reflow`
//! (`grid_reflow_split`, `grid_reflow_join`) and `grid_wrap_position` /
//! `grid_unwrap_position`. Allocates (it rebuilds the line list); resizes are rare.

use crate::cell::{Cell, CellFlags, Color};
use crate::grid::{Row, EMPTY};
use crate::screen::Screen;

/// Resizes the screen to `sx` x `sy`; `reflow` rewraps wrapped lines to the new width.
pub(crate) fn resize(s: &mut Screen, sx: u16, sy: u16, reflow: bool) {
    let sx = sx.max(1);
    let sy = sy.max(1);
    // tmux keeps a pending zero-width joiner only within one parse of pane output; a
    // resize always falls between two.
    s.zwj = false;
    let mut cx = s.cx as usize;
    let mut cy = s.grid.hsize + s.cy as usize;
    let old_sx = s.cols();
    let width_changed = sx != s.cols();
    let reflow = reflow && width_changed;
    if width_changed {
        s.grid.cols = sx;
        s.tabs = (0..sx).map(|x| x % 8 == 0 && x != 0).collect();
    }
    if sy != s.rows() {
        resize_y(s, sy, &mut cy);
    }
    let mut lines = s.grid.take_lines();
    if reflow {
        let (wx, wy) = wrap_position(&lines, cx, cy);
        lines = reflow_lines(lines, sx, old_sx, &mut s.grid.hscrolled);
        if lines.len() < sy as usize {
            let add = sy as usize - lines.len();
            lines.extend((0..add).map(|_| Row::new(sx, Color::DEFAULT)));
        }
        s.grid.hsize = lines.len() - sy as usize;
        if s.grid.hscrolled > s.grid.hsize {
            s.grid.hscrolled = s.grid.hsize;
        }
        let (ux, uy) = unwrap_position(&lines, wx, wy);
        cx = ux;
        cy = uy;
    } else if width_changed {
        for l in &mut lines {
            l.grow_to(sx);
        }
    }
    s.grid.put_lines(lines);
    if cy >= s.grid.hsize {
        // Not clamped: like tmux, the cursor may sit past the right edge after a shrink
        // without reflow (the next character wraps); `Terminal::cursor` reports it clamped.
        s.cx = cx.min(u16::MAX as usize) as u16;
        s.cy = ((cy - s.grid.hsize) as u16).min(sy - 1);
    } else {
        s.cx = 0;
        s.cy = 0;
    }
    if s.rlower > sy - 1 || s.rupper >= s.rlower {
        s.rupper = 0;
        s.rlower = sy - 1;
    }
    s.damage.resize(sy);
    s.damage.cursor_changed = true;
}

/// tmux `screen_resize_y` with `eat_empty` (as for a pane); `cy` is absolute.
fn resize_y(s: &mut Screen, sy: u16, cy: &mut usize) {
    let oldy = s.rows() as usize;
    let sy_u = sy as usize;
    let cols = s.grid.cols;
    // tmux reads the screen's own cursor row here, which leaving the alternate screen may
    // have set past the bottom (the saved row of a taller screen): see below.
    let scr_cy = (*cy).saturating_sub(s.grid.hsize);
    let mut lines = s.grid.take_lines();
    let g = &mut s.grid;
    if sy_u < oldy {
        let mut needed = oldy - sy_u;
        // Eat lines below the cursor first (tmux deletes them whatever they hold). tmux
        // computes `oldy - 1 - cy` unsigned: with the cursor below the screen it wraps, and
        // every line needed comes off the bottom.
        let available = match (oldy - 1).checked_sub(scr_cy) {
            Some(below) => below.min(needed),
            None => needed,
        };
        if available > 0 {
            let start = g.hsize + oldy - available;
            lines.truncate(start);
            if start > 0 {
                lines[start - 1].wrapped = false;
            }
        }
        needed -= available;
        if g.history {
            g.hscrolled += needed;
            g.hsize += needed;
        } else if needed > 0 && scr_cy > 0 {
            let avail = scr_cy.min(needed);
            let h = g.hsize;
            lines.drain(h..h + avail);
            *cy -= avail;
        }
        lines.truncate(g.hsize + sy_u);
        while lines.len() < g.hsize + sy_u {
            lines.push(Row::new(cols, Color::DEFAULT));
        }
    } else {
        let mut needed = sy_u - oldy;
        if g.history && g.hscrolled > 0 {
            let available = g.hscrolled.min(needed);
            g.hscrolled -= available;
            g.hsize -= available;
            needed -= available;
        }
        let _ = needed;
        while lines.len() < g.hsize + sy_u {
            lines.push(Row::new(cols, Color::DEFAULT));
        }
    }
    g.rows = sy;
    g.put_lines(lines);
    s.rupper = 0;
    s.rlower = sy - 1;
}

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
fn wrap_position(lines: &[Row], px: usize, py: usize) -> (usize, usize) {
    let (mut ax, mut ay) = (0usize, 0usize);
    let py = py.min(lines.len().saturating_sub(1));
    for l in &lines[..py] {
        if l.wrapped {
            ax += l.used as usize;
        } else {
            ax = 0;
            ay += 1;
        }
    }
    if px >= lines[py].used as usize {
        ax = usize::MAX;
    } else {
        ax += px;
    }
    (ax, ay)
}

/// tmux `grid_unwrap_position`.
fn unwrap_position(lines: &[Row], wx: usize, wy: usize) -> (usize, usize) {
    let mut yy = 0;
    let mut ay = 0;
    let last = lines.len().saturating_sub(1);
    while yy < last {
        if ay == wy {
            break;
        }
        if !lines[yy].wrapped {
            ay += 1;
        }
        yy += 1;
    }
    let mut wx = wx;
    if wx == usize::MAX {
        while lines[yy].wrapped && yy < last {
            yy += 1;
        }
        wx = lines[yy].used as usize;
    } else {
        while lines[yy].wrapped && yy < last {
            let u = lines[yy].used as usize;
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
fn reflow_lines(src: Vec<Row>, sx: u16, old_sx: u16, hscrolled: &mut usize) -> Vec<Row> {
    let sxu = sx as usize;
    let n = src.len();
    let mut src: Vec<Option<Row>> = src.into_iter().map(Some).collect();
    let mut target: Vec<Row> = Vec::with_capacity(n + 8);
    for yy in 0..n {
        let Some(line) = src[yy].as_ref() else {
            continue;
        };
        let used = (line.used as usize).min(line.cells.len());
        let mut width = 0;
        let mut at = 0;
        for (i, c) in line.cells[..used].iter().enumerate() {
            let w = cell_width(c);
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
        if line.wrapped {
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
fn set_cell(row: &mut Row, x: usize, c: Cell, old_sx: u16) {
    if x >= u16::MAX as usize {
        return;
    }
    if x >= row.cells.len() {
        row.cells.resize(x + 1, EMPTY);
        row.extent = row.cells.len() as u16;
    }
    row.expand(x + 1, old_sx);
    // tmux copies the cell's content (`grid_get_cell`, `grid_set_cell`): whether it is
    // stored out of line follows from the content and from the cell it lands on.
    let mut c = c;
    c.flags -= CellFlags::TMUX_EXTENDED;
    row.cells[x] = crate::screen::with_tmux_extended(row, x, c, 1);
    if (row.used as usize) < x + 1 {
        row.used = (x + 1) as u16;
    }
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
    let used = (gl.used as usize).min(gl.cells.len());
    let flags_wrapped = gl.wrapped;
    let first_index = target.len();
    let tail: Vec<Cell> = gl.cells[at..used].to_vec();
    gl.cells.truncate(at);
    gl.used = at as u16;
    gl.wrapped = true;
    gl.set_width(sx);
    gl.size = at as u16;
    target.push(gl);
    let mut line = Row::new(sx, Color::DEFAULT);
    let mut width = 0;
    let mut xx = 0;
    let mut lines = 2;
    for c in tail {
        let w = cell_width(&c);
        if width + w > sxu {
            line.wrapped = true;
            target.push(std::mem::replace(&mut line, Row::new(sx, Color::DEFAULT)));
            lines += 1;
            width = 0;
            xx = 0;
        }
        width += w;
        set_cell(&mut line, xx, c, old_sx);
        xx += 1;
    }
    if flags_wrapped {
        line.wrapped = true;
    }
    target.push(line);
    let _ = first_index;
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
    let mut at = target[to].used as usize;
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
        if !l.wrapped {
            wrapped = false;
        }
        if l.used == 0 {
            if !wrapped {
                break;
            }
            lines += 1;
            continue;
        }
        let used = (l.used as usize).min(l.cells.len());
        let c0 = l.cells[0];
        let w0 = cell_width(&c0);
        if width + w0 > sxu {
            break;
        }
        width += w0;
        set_cell(&mut target[to], at, c0, old_sx);
        at += 1;
        from = Some(line);
        want = 1;
        while want < used {
            let c = l.cells[want];
            let w = cell_width(&c);
            if width + w > sxu {
                break;
            }
            width += w;
            set_cell(&mut target[to], at, c, old_sx);
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
        .map_or(0, |l| (l.used as usize).saturating_sub(want));
    if left != 0 {
        if let Some(f) = from {
            if let Some(l) = src[f].as_mut() {
                // grid_move_cells(0, want, left): shift the rest to the start.
                // and tmux then cuts the line to `left` cells (cellsize = cellused = left).
                l.cells.copy_within(want..want + left, 0);
                for c in &mut l.cells[left..] {
                    *c = EMPTY;
                }
                l.used = left as u16;
                l.size = left as u16;
            }
        }
        lines -= 1;
    } else if !wrapped {
        target[to].wrapped = false;
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

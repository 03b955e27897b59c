//! The drawing side of `muxlink attach`: composes the active window and the status line from
//! the client's model into a cell buffer and writes only the cells that changed.

use std::io::{self, Write};

use crossterm::style::{
    Attribute, Color as TColor, SetAttribute, SetBackgroundColor, SetForegroundColor,
};
use crossterm::{cursor, queue, terminal};
use std::collections::HashMap;

use muxlink_runtime::{Client, ClientEvent, ExitReason, Frame, Host, PaneId, WindowId};

/// Packed colour as the emulator stores it: top byte the kind (0 default, 1 one of the 16
/// SGR colours, 2 a 256-palette index, 3 RGB), low 24 bits the value.
type Packed = u32;

const GREEN: Packed = 0x0100_0002;
const BLACK: Packed = 0x0100_0000;

/// Attribute bits as the emulator stores them (bit 0 bold, 1 dim, 2 italic, 3 blink,
/// 4 inverse, 5 hidden, 6 strikethrough, 7 overline, 8..10 underline style).
type AttrBits = u16;

/// A drawn cell: character and style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DrawCell {
    /// The character, then up to two combining marks (`'\0'` when unused).
    ch: [char; 3],
    fg: Packed,
    bg: Packed,
    attrs: AttrBits,
    /// Second half of a wide character: drawn by the first half.
    spacer: bool,
}

impl DrawCell {
    const BLANK: DrawCell = DrawCell {
        ch: [' ', '\0', '\0'],
        fg: 0,
        bg: 0,
        attrs: 0,
        spacer: false,
    };

    fn plain(ch: char) -> Self {
        DrawCell {
            ch: [ch, '\0', '\0'],
            ..Self::BLANK
        }
    }
}

/// The host side: remembers what changed and draws the screen from the client's model.
pub(super) struct Ui {
    cols: u16,
    rows: u16,
    prev: Vec<DrawCell>,
    next: Vec<DrawCell>,
    pub(super) dirty: bool,
    full_redraw: bool,
    pub(super) ready: bool,
    pub(super) exit: Option<ExitReason>,
    /// The last error or message tmux sent, shown when attaching fails.
    pub(super) last_message: Option<String>,
    /// Where each window's label sits on the status line (`x` range, end excluded), as
    /// last drawn: a click there selects the window.
    status_spans: Vec<(u16, u16, WindowId)>,
    /// Local scrollback: lines each pane's view is scrolled up from the bottom (0 or absent:
    /// the live screen).
    scroll: HashMap<PaneId, usize>,
    /// The pane a mouse button was pressed in: drags and the release go there.
    pub(super) grab: Option<PaneId>,
}

impl Ui {
    pub(super) fn new(cols: u16, rows: u16) -> Self {
        let n = cols as usize * rows as usize;
        Ui {
            cols,
            rows,
            prev: vec![DrawCell::BLANK; n],
            next: vec![DrawCell::BLANK; n],
            dirty: true,
            full_redraw: true,
            ready: false,
            exit: None,
            last_message: None,
            status_spans: Vec::new(),
            scroll: HashMap::new(),
            grab: None,
        }
    }

    /// The terminal is now `cols` x `rows`: everything is drawn again.
    pub(super) fn resize(&mut self, cols: u16, rows: u16) {
        let n = cols as usize * rows as usize;
        self.cols = cols;
        self.rows = rows;
        self.prev = vec![DrawCell::BLANK; n];
        self.next = vec![DrawCell::BLANK; n];
        self.dirty = true;
        self.full_redraw = true;
        self.status_spans.clear();
    }

    /// The status line's row.
    pub(super) fn status_row(&self) -> u16 {
        self.rows.saturating_sub(1)
    }

    /// The window whose status-line label covers column `x`.
    pub(super) fn window_at_status(&self, x: u16) -> Option<WindowId> {
        self.status_spans
            .iter()
            .find(|(a, b, _)| (*a..*b).contains(&x))
            .map(|s| s.2)
    }

    /// Windows of the model in tmux's order (by index).
    pub(super) fn window_order(&self, client: &Client) -> Vec<WindowId> {
        client
            .state()
            .windows_by_index()
            .iter()
            .map(|w| w.id)
            .collect()
    }

    /// How far `pane`'s view is scrolled back (0: live).
    pub(super) fn scroll_offset(&self, pane: PaneId) -> usize {
        self.scroll.get(&pane).copied().unwrap_or(0)
    }

    /// Scrolls `pane`'s view back (`lines` > 0) or forward, within `0..=history`.
    pub(super) fn scroll_by(&mut self, pane: PaneId, lines: isize, history: usize) {
        let now = self.scroll_offset(pane).min(history);
        let next = now.saturating_add_signed(lines).min(history);
        if next == 0 {
            self.scroll.remove(&pane);
        } else {
            self.scroll.insert(pane, next);
        }
        self.dirty = true;
    }

    /// Back to the live screen (typing into a pane does this).
    pub(super) fn reset_scroll(&mut self, pane: PaneId) {
        if self.scroll.remove(&pane).is_some() {
            self.dirty = true;
        }
    }

    fn put(&mut self, x: u16, y: u16, c: DrawCell) {
        if x < self.cols && y < self.rows {
            self.next[y as usize * self.cols as usize + x as usize] = c;
        }
    }

    /// Composes the active window (panes, borders) and the status line, then writes the
    /// cells that differ from the last draw.
    pub(super) fn draw(&mut self, client: &Client, out: &mut impl Write) -> io::Result<()> {
        self.dirty = false;
        self.next.fill(DrawCell::BLANK);
        let body_rows = self.rows.saturating_sub(1);
        let model = client.state();
        let win = model.active_window().and_then(|w| model.window(w));
        let active = model.active_pane();
        let mut cursor: Option<(u16, u16)> = None;
        if let Some(win) = win {
            let (wc, wr) = (win.cols.min(self.cols), win.rows.min(body_rows));
            // Coverage: which pane owns each window cell; the gaps are borders.
            let mut owner: Vec<Option<PaneId>> = vec![None; wc as usize * wr as usize];
            // A zoomed window shows its active pane alone.
            for &pid in model.visible_panes(win.id) {
                let Some(p) = model.pane(pid) else { continue };
                for y in p.y..(p.y + p.rows).min(wr) {
                    for x in p.x..(p.x + p.cols).min(wc) {
                        owner[y as usize * wc as usize + x as usize] = Some(pid);
                    }
                }
                let (px, py, pc, pr) = (p.x, p.y, p.cols, p.rows.min(wr.saturating_sub(p.y)));
                let offset = self.scroll_offset(pid).min(p.history_len().unwrap_or(0));
                pane_cells(p, offset, |x, y, cell| {
                    if x < pc && y < pr {
                        self.put(px + x, py + y, cell);
                    }
                });
                if offset > 0 {
                    // Where the view is, as tmux's copy mode shows it: `[offset/history]`.
                    let label = format!("[{}/{}]", offset, p.history_len().unwrap_or(0));
                    let start = pc.saturating_sub(label.len() as u16);
                    for (i, ch) in label.chars().enumerate() {
                        let mut c = DrawCell::plain(ch);
                        c.attrs = 1 << 4; // inverse
                        if start + (i as u16) < pc && pr > 0 {
                            self.put(px + start + i as u16, py, c);
                        }
                    }
                    continue;
                }
                if Some(pid) == active {
                    if let Some(c) = p.cursor() {
                        if c.visible && c.x < p.cols && c.y < p.rows {
                            cursor = Some((p.x + c.x, p.y + c.y));
                        }
                    }
                }
            }
            let at = |x: i32, y: i32| -> Option<PaneId> {
                if x < 0 || y < 0 || x >= wc as i32 || y >= wr as i32 {
                    None
                } else {
                    owner[y as usize * wc as usize + x as usize]
                }
            };
            for y in 0..wr as i32 {
                for x in 0..wc as i32 {
                    if at(x, y).is_some() {
                        continue;
                    }
                    let lr = at(x - 1, y).is_some() || at(x + 1, y).is_some();
                    let tb = at(x, y - 1).is_some() || at(x, y + 1).is_some();
                    let ch = match (lr, tb) {
                        (true, false) => '│',
                        (false, true) => '─',
                        _ => '┼',
                    };
                    let near_active = [(-1, 0), (1, 0), (0, -1), (0, 1)]
                        .iter()
                        .any(|(dx, dy)| active.is_some() && at(x + dx, y + dy) == active);
                    let mut c = DrawCell::plain(ch);
                    if near_active {
                        c.fg = GREEN;
                    }
                    self.put(x as u16, y as u16, c);
                }
            }
        } else if !self.ready {
            for (i, ch) in "attaching...".chars().enumerate() {
                self.put(i as u16, 0, DrawCell::plain(ch));
            }
        }
        // Status line: session name and windows, the current one marked.
        let mut status = String::new();
        if let Some(s) = model.session() {
            status.push('[');
            status.extend(
                String::from_utf8_lossy(s.name.as_deref().unwrap_or_default())
                    .chars()
                    .map(printable),
            );
            status.push_str("] ");
        }
        let cur = model.active_window();
        let mut spans = Vec::new();
        for id in self.window_order(client) {
            let Some(w) = model.window(id) else { continue };
            let start = status.chars().count();
            match w.index {
                Some(i) => status.push_str(&i.to_string()),
                None => status.push('?'),
            }
            status.push(':');
            // Names are tmux's bytes: control characters would reach the outer terminal.
            status.extend(String::from_utf8_lossy(&w.name).chars().map(printable));
            if Some(w.id) == cur {
                status.push('*');
            }
            let end = status.chars().count();
            status.push(' ');
            let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
            spans.push((clamp(start), clamp(end), id));
        }
        self.status_spans = spans;
        let y = self.rows.saturating_sub(1);
        let mut x = 0u16;
        for ch in status.chars() {
            if x >= self.cols {
                break;
            }
            let mut c = DrawCell::plain(ch);
            c.bg = GREEN;
            c.fg = BLACK;
            self.put(x, y, c);
            x += 1;
        }
        while x < self.cols {
            let mut c = DrawCell::plain(' ');
            c.bg = GREEN;
            self.put(x, y, c);
            x += 1;
        }
        self.flush_diff(out, cursor)
    }

    fn flush_diff(&mut self, out: &mut impl Write, cursor: Option<(u16, u16)>) -> io::Result<()> {
        queue!(out, cursor::Hide)?;
        if self.full_redraw {
            queue!(
                out,
                SetAttribute(Attribute::Reset),
                terminal::Clear(terminal::ClearType::All)
            )?;
        }
        let mut style: Option<(Packed, Packed, AttrBits)> = None;
        let cols = self.cols as usize;
        for y in 0..self.rows as usize {
            let mut x = 0usize;
            let mut positioned = false;
            while x < cols {
                let i = y * cols + x;
                let c = self.next[i];
                if !self.full_redraw && c == self.prev[i] {
                    positioned = false;
                    x += 1;
                    continue;
                }
                if c.spacer {
                    x += 1;
                    positioned = false;
                    continue;
                }
                if !positioned {
                    queue!(out, cursor::MoveTo(x as u16, y as u16))?;
                    positioned = true;
                }
                if style != Some((c.fg, c.bg, c.attrs)) {
                    set_style(out, c)?;
                    style = Some((c.fg, c.bg, c.attrs));
                }
                let mut b = [0u8; 4];
                for ch in c.ch.iter().filter(|&&ch| ch != '\0') {
                    out.write_all(ch.encode_utf8(&mut b).as_bytes())?;
                }
                // A wide character moves the terminal's cursor by two.
                if x + 1 < cols && self.next[i + 1].spacer {
                    x += 2;
                } else {
                    x += 1;
                }
            }
        }
        queue!(out, SetAttribute(Attribute::Reset))?;
        if let Some((cx, cy)) = cursor {
            queue!(out, cursor::MoveTo(cx, cy), cursor::Show)?;
        }
        std::mem::swap(&mut self.prev, &mut self.next);
        self.full_redraw = false;
        Ok(())
    }
}

fn to_tcolor(c: Packed) -> TColor {
    let v = c & 0x00ff_ffff;
    match c >> 24 {
        1 | 2 => TColor::AnsiValue(v as u8),
        3 => TColor::Rgb {
            r: (v >> 16) as u8,
            g: (v >> 8) as u8,
            b: v as u8,
        },
        _ => TColor::Reset,
    }
}

fn set_style(out: &mut impl Write, c: DrawCell) -> io::Result<()> {
    queue!(out, SetAttribute(Attribute::Reset))?;
    queue!(
        out,
        SetForegroundColor(to_tcolor(c.fg)),
        SetBackgroundColor(to_tcolor(c.bg))
    )?;
    let pairs = [
        (0, Attribute::Bold),
        (1, Attribute::Dim),
        (2, Attribute::Italic),
        (3, Attribute::SlowBlink),
        (4, Attribute::Reverse),
        (5, Attribute::Hidden),
        (6, Attribute::CrossedOut),
        (7, Attribute::OverLined),
    ];
    for (bit, attr) in pairs {
        if c.attrs & (1 << bit) != 0 {
            queue!(out, SetAttribute(attr))?;
        }
    }
    if (c.attrs >> 8) & 7 != 0 {
        queue!(out, SetAttribute(Attribute::Underlined))?;
    }
    Ok(())
}

impl Host for Ui {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        self.dirty = true;
        // A view into history stays on the same lines while output arrives below it (the
        // draw clamps it to the history there is).
        if let Some(offset) = self.scroll.get_mut(&frame.pane()) {
            *offset = offset.saturating_add(frame.scrolled() as usize);
        }
    }

    fn on_event(&mut self, event: &ClientEvent<'_>) {
        self.dirty = true;
        match event {
            // Every event redraws, `WindowIndexesChanged` too: the status line reads the
            // indexes from the model.
            ClientEvent::Ready => self.ready = true,
            ClientEvent::PaneClosed { pane } => {
                self.scroll.remove(pane);
                if self.grab == Some(*pane) {
                    self.grab = None;
                }
            }
            ClientEvent::Exited { reason } => self.exit = Some((*reason).clone()),
            ClientEvent::CommandFailed { message, .. } => {
                self.last_message = Some(String::from_utf8_lossy(message).into_owned())
            }
            ClientEvent::Notice { kind, text } => {
                self.last_message = Some(format!("{kind}: {}", String::from_utf8_lossy(text)))
            }
            _ => {}
        }
    }
}

/// A character safe to write to the outer terminal: C0 and C1 controls become `?`.
fn printable(c: char) -> char {
    if c < ' ' || ('\u{7f}'..='\u{9f}').contains(&c) {
        '?'
    } else {
        c
    }
}

/// Calls `put(x, y, cell)` for the cells of a pane's view, from the pane's emulator
/// (characters, colours, attributes, wide characters): the visible screen, or the view
/// `offset` lines back into the history. A pane without an emulator yet (still being
/// captured) draws nothing.
fn pane_cells(
    pane: &muxlink_runtime::Pane,
    offset: usize,
    mut put: impl FnMut(u16, u16, DrawCell),
) {
    let Some(term) = pane.terminal() else {
        return;
    };
    let history = term.history_len();
    let offset = offset.min(history);
    let lines = history + usize::from(term.rows());
    for y in 0..pane.rows.min(term.rows()) {
        let line = history - offset + usize::from(y);
        if line >= lines {
            return;
        }
        let row = term.line(line);
        for (x, cell) in row.iter().enumerate() {
            let Ok(x) = u16::try_from(x) else {
                break;
            };
            let mut ch = [' ', '\0', '\0'];
            if cell.flags.contains(muxlink_term::CellFlags::EXTENDED) {
                for (slot, c) in ch.iter_mut().zip(term.combined(cell.ch).chars()) {
                    *slot = if c < ' ' { ' ' } else { printable(c) };
                }
            } else {
                ch[0] = cell.display_char();
                if ch[0] < ' ' {
                    ch[0] = ' ';
                }
                ch[0] = printable(ch[0]);
            }
            put(
                x,
                y,
                DrawCell {
                    ch,
                    fg: cell.fg.0,
                    bg: cell.bg.0,
                    attrs: cell.attrs.bits(),
                    spacer: cell.is_spacer(),
                },
            );
        }
    }
}

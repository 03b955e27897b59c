//! The drawing side of `muxlink attach`: composes the active window and the status line from
//! the client's model into a cell buffer and writes only the cells that changed.
//!
//! A draw may hold panes back: their cells are taken from the last draw, not from the
//! model (see `pacing`): output nobody is waiting for is drawn at most once a frame, while
//! the pane being typed into is drawn at once.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossterm::style::{
    Attribute, Color as TColor, SetAttribute, SetBackgroundColor, SetForegroundColor,
};
use crossterm::{cursor, queue, terminal};

use muxlink_runtime::{Client, ClientEvent, ExitReason, Frame, Host, PaneId, WindowId};

use super::copy_mode::{CopyMode, ModeKeys};
use super::messages::{is_control, push_visible, visible};
use super::selection::{total_lines, Point, Range, Selection};

/// Packed colour as the emulator stores it: top byte the kind (0 default, 1 one of the 16
/// SGR colours, 2 a 256-palette index, 3 RGB), low 24 bits the value.
type Packed = u32;

const GREEN: Packed = 0x0100_0002;
const BLACK: Packed = 0x0100_0000;
const YELLOW: Packed = 0x0100_0003;

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

    /// tmux's `mode-style` (`bg=yellow,fg=black`): selections and copy mode's position.
    fn marked(mut self) -> Self {
        self.fg = BLACK;
        self.bg = YELLOW;
        self.attrs &= !(1 << 4);
        self
    }
}

/// Server options copy mode and selections follow, read from tmux after attaching.
#[derive(Clone, Debug)]
pub(super) struct ServerOptions {
    pub(super) mode_keys: ModeKeys,
    pub(super) word_separators: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            mode_keys: ModeKeys::Emacs,
            // tmux 3.3a's default.
            word_separators: "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~".into(),
        }
    }
}

/// What the current connection told so far.
#[derive(Debug, Default)]
pub(super) struct Link {
    /// The handshake finished.
    pub(super) ready: bool,
    /// Why the client closed.
    pub(super) exit: Option<ExitReason>,
    /// The last error or message tmux sent, shown when attaching fails.
    pub(super) last_message: Option<String>,
    /// When `%sessions-changed` came last (a session went away just before a bare `%exit`).
    pub(super) sessions_changed_at: Option<Instant>,
}

/// A mouse selection in a pane.
#[derive(Clone, Copy, Debug)]
pub(super) struct MouseSelection {
    pub(super) pane: PaneId,
    pub(super) sel: Selection,
    /// A button is held: the selection follows the pointer.
    pub(super) dragging: bool,
    /// The pointer moved since the press (a click without motion selects nothing).
    pub(super) moved: bool,
}

/// The host side: remembers what changed and draws the screen from the client's model.
pub(super) struct Ui {
    cols: u16,
    rows: u16,
    prev: Vec<DrawCell>,
    next: Vec<DrawCell>,
    /// A draw of some rows only: which rows were composed (`next` holds only those; the
    /// others are as in `prev`).
    partial: Option<Vec<bool>>,
    /// Panes with output not drawn yet, and which of their rows.
    pub(super) dirty_panes: HashMap<PaneId, Rows>,
    /// Something other than pane output changed (layout, windows, names, input state):
    /// draw everything now.
    pub(super) dirty_all: bool,
    full_redraw: bool,
    /// Where the last draw left the terminal's cursor (`Some(None)`: hidden; `None`: not
    /// drawn yet). A draw that changes no cell and leaves the cursor there writes nothing.
    drawn_cursor: Option<Option<(u16, u16)>>,
    /// The bytes of one draw, written at once (reused).
    scratch: Vec<u8>,
    pub(super) link: Link,
    /// Whether any connection ever finished its handshake.
    pub(super) ever_ready: bool,
    /// Where each window's label sits on the status line (`x` range, end excluded), as
    /// last drawn: a click there selects the window.
    status_spans: Vec<(u16, u16, WindowId)>,
    /// Local scrollback: lines each pane's view is scrolled up from the bottom (0 or absent:
    /// the live screen).
    scroll: HashMap<PaneId, usize>,
    /// The pane a mouse button was pressed in: drags and the release go there.
    pub(super) grab: Option<PaneId>,
    /// When each pane was last typed into (its echo is awaited: drawn at once).
    typed: HashMap<PaneId, Instant>,
    pub(super) selection: Option<MouseSelection>,
    pub(super) copy: Option<CopyMode>,
    /// A message on the status line, until the instant (or the next key).
    pub(super) note: Option<(String, Instant)>,
    /// A message that stays on the status line (reconnecting).
    pub(super) banner: Option<String>,
    /// Bytes for the outer terminal itself (OSC 52), written before the next draw.
    pub(super) to_terminal: Vec<u8>,
    pub(super) options: Arc<Mutex<ServerOptions>>,
    /// The session attached last, by id and name: reconnect and the detach message use it.
    pub(super) session: Option<(muxlink_runtime::SessionId, Option<Vec<u8>>)>,
}

impl Ui {
    pub(super) fn new(cols: u16, rows: u16) -> Self {
        let n = cols as usize * rows as usize;
        Ui {
            cols,
            rows,
            prev: vec![DrawCell::BLANK; n],
            next: vec![DrawCell::BLANK; n],
            partial: None,
            dirty_panes: HashMap::new(),
            dirty_all: true,
            full_redraw: true,
            drawn_cursor: None,
            scratch: Vec::new(),
            link: Link::default(),
            ever_ready: false,
            status_spans: Vec::new(),
            scroll: HashMap::new(),
            grab: None,
            typed: HashMap::new(),
            selection: None,
            copy: None,
            note: None,
            banner: None,
            to_terminal: Vec::new(),
            options: Arc::new(Mutex::new(ServerOptions::default())),
            session: None,
        }
    }

    /// Whether anything waits to be drawn.
    pub(super) fn dirty(&self) -> bool {
        self.dirty_all || !self.dirty_panes.is_empty()
    }

    /// The server options as last read.
    pub(super) fn options(&self) -> ServerOptions {
        self.options
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The terminal is now `cols` x `rows`: everything is drawn again.
    pub(super) fn resize(&mut self, cols: u16, rows: u16) {
        let n = cols as usize * rows as usize;
        self.cols = cols;
        self.rows = rows;
        self.prev = vec![DrawCell::BLANK; n];
        self.next = vec![DrawCell::BLANK; n];
        self.dirty_all = true;
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

    /// Sets `pane`'s view `offset` lines back (0: live).
    pub(super) fn set_scroll(&mut self, pane: PaneId, offset: usize) {
        let old = self.scroll_offset(pane);
        if offset == 0 {
            self.scroll.remove(&pane);
        } else {
            self.scroll.insert(pane, offset);
        }
        if old != offset {
            self.dirty_all = true;
        }
    }

    /// Scrolls `pane`'s view back (`lines` > 0) or forward, within `0..=history`.
    pub(super) fn scroll_by(&mut self, pane: PaneId, lines: isize, history: usize) {
        let now = self.scroll_offset(pane).min(history);
        let next = now.saturating_add_signed(lines).min(history);
        self.set_scroll(pane, next);
        self.dirty_all = true;
    }

    /// Back to the live screen (typing into a pane does this).
    pub(super) fn reset_scroll(&mut self, pane: PaneId) {
        if self.scroll.remove(&pane).is_some() {
            self.dirty_all = true;
        }
    }

    /// `pane` was just typed into: its output is drawn at once for a while.
    pub(super) fn typed_into(&mut self, pane: PaneId, now: Instant) {
        self.typed.insert(pane, now);
    }

    /// Panes whose output is drawn at once: the active pane and panes typed into since
    /// `since`.
    pub(super) fn hot_panes(&mut self, client: &Client, since: Instant) -> Vec<PaneId> {
        self.typed.retain(|_, t| *t >= since);
        let mut hot: Vec<PaneId> = self.typed.keys().copied().collect();
        if let Some(p) = client.state().active_pane() {
            hot.push(p);
        }
        hot
    }

    /// Shows `text` (already safe to print) on the status line for a while.
    pub(super) fn show_note(&mut self, text: String, until: Instant) {
        self.note = Some((text, until));
        self.dirty_all = true;
    }

    /// In a partial draw, row `y` is about to be composed: start it from the last draw.
    fn touch(&mut self, y: u16) {
        let Some(rows) = self.partial.as_mut() else {
            return;
        };
        let Some(t) = rows.get_mut(usize::from(y)) else {
            return;
        };
        if !*t {
            *t = true;
            let cols = usize::from(self.cols);
            let a = usize::from(y) * cols;
            self.next[a..a + cols].copy_from_slice(&self.prev[a..a + cols]);
        }
    }

    fn put(&mut self, x: u16, y: u16, c: DrawCell) {
        if x < self.cols && y < self.rows {
            self.next[y as usize * self.cols as usize + x as usize] = c;
        }
    }

    /// Copies the last draw's cells of a rectangle (a held pane).
    fn keep(&mut self, x: u16, y: u16, w: u16, h: u16) {
        let cols = self.cols as usize;
        for row in y..(y + h).min(self.rows) {
            let a = row as usize * cols + x as usize;
            let b = row as usize * cols + (x + w).min(self.cols) as usize;
            if a < b {
                self.next[a..b].copy_from_slice(&self.prev[a..b]);
            }
        }
    }

    /// Composes the active window (panes, borders) and the status line, then writes the
    /// cells that differ from the last draw. Panes in `hold` keep what was drawn last.
    ///
    /// When only pane output changed, only the changed rows of those panes are composed
    /// again (an echo costs one row); anything else composes the whole screen.
    pub(super) fn draw(
        &mut self,
        client: &Client,
        hold: &HashSet<PaneId>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        if !self.to_terminal.is_empty() {
            out.write_all(&self.to_terminal)?;
            self.to_terminal.clear();
        }
        let whole = self.dirty_all || self.full_redraw;
        self.dirty_all = false;
        let mut work: Vec<(PaneId, Rows)> = Vec::new();
        let panes: Vec<PaneId> = self.dirty_panes.keys().copied().collect();
        for p in panes {
            if !hold.contains(&p) {
                if let Some(rows) = self.dirty_panes.remove(&p) {
                    work.push((p, rows));
                }
            }
        }
        let model = client.state();
        let win = model.active_window().and_then(|w| model.window(w));
        let active = model.active_pane();
        let body_rows = self.rows.saturating_sub(1);
        // A zoomed window shows its active pane alone.
        let shown: Vec<PaneId> = win.map_or_else(Vec::new, |w| model.visible_panes(w.id).to_vec());
        let (wc, wr) = win.map_or((0, 0), |w| (w.cols.min(self.cols), w.rows.min(body_rows)));
        if whole {
            self.next.fill(DrawCell::BLANK);
            for &pid in &shown {
                if hold.contains(&pid) && !self.full_redraw {
                    if let Some(p) = model.pane(pid) {
                        let h = p.rows.min(wr.saturating_sub(p.y));
                        self.keep(p.x, p.y, p.cols.min(wc.saturating_sub(p.x)), h);
                    }
                    continue;
                }
                self.compose_pane(client, pid, None, (wc, wr));
            }
            if win.is_some() {
                self.compose_borders(client, &shown, active, (wc, wr));
            } else if !self.link.ready {
                for (i, ch) in "attaching...".chars().enumerate() {
                    self.put(i as u16, 0, DrawCell::plain(ch));
                }
            }
            self.draw_status(client);
        } else {
            // Only the rows composed below are compared and written; `touch` brings each
            // one from the last draw first.
            self.partial = Some(vec![false; usize::from(self.rows)]);
            for (pid, rows) in &work {
                if shown.contains(pid) {
                    self.compose_pane(client, *pid, Some(rows), (wc, wr));
                }
            }
        }
        let cursor = self
            .prompt_cursor()
            .map(|x| (x, self.status_row()))
            .or_else(|| {
                let pid = active.filter(|a| shown.contains(a))?;
                self.cursor_of(client, pid, wr)
            });
        self.flush_diff(out, cursor)
    }

    /// Draws rows of pane `pid` (all when `rows` is `None`) from its emulator, within the
    /// window's `(cols, rows)`: the view (live or scrolled back), the selection, copy
    /// mode's position label.
    fn compose_pane(&mut self, client: &Client, pid: PaneId, rows: Option<&Rows>, win: (u16, u16)) {
        let Some(p) = client.state().pane(pid) else {
            return;
        };
        let (wc, wr) = win;
        let (px, py) = (p.x, p.y);
        let pc = p.cols.min(wc.saturating_sub(px));
        let pr = p.rows.min(wr.saturating_sub(py));
        let history = p.history_len().unwrap_or(0);
        let offset = self.scroll_offset(pid).min(history);
        let copy = self.copy.as_ref().filter(|m| m.pane == pid);
        let in_copy = copy.is_some();
        let term = p.terminal();
        // The highlighted range: copy mode's selection, else the mouse's.
        let range: Option<Range> = term.and_then(|t| match copy {
            Some(m) => m.range(t),
            None => self.selection.filter(|s| s.pane == pid).map(|s| {
                let seps = self.options().word_separators;
                s.sel.range(t, &seps)
            }),
        });
        // Rows not drawn from the grid (a pane still being captured) are blank.
        let all = Rows::All;
        let rows = rows.unwrap_or(&all);
        for y in 0..pr {
            if rows.contains(y) {
                self.touch(py + y);
                for x in 0..pc {
                    self.put(px + x, py + y, DrawCell::BLANK);
                }
            }
        }
        let top_line = history - offset;
        pane_cells(p, offset, rows, |x, y, mut cell| {
            if x < pc && y < pr {
                let at = Point {
                    line: top_line + usize::from(y),
                    col: x,
                };
                if range.is_some_and(|r| r.contains(at)) {
                    cell = cell.marked();
                }
                self.put(px + x, py + y, cell);
            }
        });
        if (offset > 0 || in_copy) && rows.contains(0) && pr > 0 {
            // Where the view is, as tmux's copy mode shows it: `[offset/history]`.
            let label = format!("[{offset}/{history}]");
            let start = pc.saturating_sub(label.len() as u16);
            for (i, ch) in label.chars().enumerate() {
                if start + (i as u16) < pc {
                    self.put(px + start + i as u16, py, DrawCell::plain(ch).marked());
                }
            }
        }
    }

    /// Where the terminal's cursor goes for the active pane: copy mode's cursor when it is
    /// in view, else the program's cursor on the live screen.
    fn cursor_of(&self, client: &Client, pid: PaneId, wr: u16) -> Option<(u16, u16)> {
        let p = client.state().pane(pid)?;
        let history = p.history_len().unwrap_or(0);
        let offset = self.scroll_offset(pid).min(history);
        let pr = p.rows.min(wr.saturating_sub(p.y));
        if let Some(m) = self.copy.as_ref().filter(|m| m.pane == pid) {
            let t = p.terminal()?;
            let at = m.cursor.point(total_lines(t));
            let top = history - offset;
            if at.line >= top && at.line < top + usize::from(pr) {
                let x = at.col.min(p.cols.saturating_sub(1));
                return Some((p.x + x, p.y + (at.line - top) as u16));
            }
            return None;
        }
        if offset > 0 {
            return None;
        }
        let c = p.cursor()?;
        (c.visible && c.x < p.cols && c.y < pr).then_some((p.x + c.x, p.y + c.y))
    }

    /// The borders between the shown panes (the gaps of the window), the active pane's
    /// in green.
    fn compose_borders(
        &mut self,
        client: &Client,
        shown: &[PaneId],
        active: Option<PaneId>,
        win: (u16, u16),
    ) {
        let (wc, wr) = win;
        let model = client.state();
        // Coverage: which pane owns each window cell; the gaps are borders.
        let mut owner: Vec<Option<PaneId>> = vec![None; wc as usize * wr as usize];
        for &pid in shown {
            let Some(p) = model.pane(pid) else { continue };
            for y in p.y..(p.y + p.rows).min(wr) {
                for x in p.x..(p.x + p.cols).min(wc) {
                    owner[y as usize * wc as usize + x as usize] = Some(pid);
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
    }

    /// Where the cursor stands in a search prompt on the status line.
    fn prompt_cursor(&self) -> Option<u16> {
        let p = self.copy.as_ref()?.prompt.as_ref()?;
        let text = format!("{}{}", p.label(), visible(p.text.as_bytes()));
        let n: u16 = text.chars().map(cell_width).sum();
        Some(n.min(self.cols.saturating_sub(1)))
    }

    /// Forgets output of panes not on the screen (another window): nothing to draw.
    pub(super) fn retain_shown(&mut self, client: &Client) {
        if self.dirty_panes.is_empty() {
            return;
        }
        let model = client.state();
        let win = model.active_window().and_then(|w| model.window(w));
        match win {
            Some(w) => self.dirty_panes.retain(|p, _| w.panes.contains(p)),
            None => self.dirty_panes.clear(),
        }
    }

    /// The status line: the session name and the windows (the current one marked), the
    /// active pane's title on the right; or a prompt, a note or the reconnect banner
    /// instead. Every name and title is tmux's bytes, shown with control characters made
    /// visible.
    fn draw_status(&mut self, client: &Client) {
        let y = self.status_row();
        let message = match (&self.copy, &self.note, &self.banner) {
            (Some(m), _, _) if m.prompt.is_some() => {
                let p = m.prompt.as_ref().map(|p| (p.label(), p.text.clone()));
                p.map(|(label, text)| format!("{label}{}", visible(text.as_bytes())))
            }
            (_, Some((n, _)), _) => Some(n.clone()),
            (_, _, Some(b)) => Some(b.clone()),
            (Some(m), None, None) => m.note.map(|n| format!("(copy mode: {n})")),
            _ => None,
        };
        if let Some(text) = message {
            self.status_spans.clear();
            let mut x = 0u16;
            for ch in text.chars() {
                x = self.put_status(x, y, ch, BLACK, YELLOW);
            }
            while x < self.cols {
                x = self.put_status(x, y, ' ', BLACK, YELLOW);
            }
            return;
        }
        let model = client.state();
        let mut status = String::new();
        if let Some(s) = model.session() {
            status.push('[');
            status.push_str(&visible(s.name.as_deref().unwrap_or_default()));
            status.push_str("] ");
        }
        let cur = client.state().active_window();
        let mut labels = Vec::new();
        for id in self.window_order(client) {
            let Some(w) = model.window(id) else { continue };
            let mut label = match w.index {
                Some(i) => i.to_string(),
                None => "?".into(),
            };
            label.push(':');
            label.push_str(&visible(&w.name));
            if Some(w.id) == cur {
                label.push('*');
            }
            labels.push((label, id));
        }
        let mut x = 0u16;
        for ch in status.chars() {
            x = self.put_status(x, y, ch, BLACK, GREEN);
        }
        let mut spans = Vec::new();
        for (label, id) in labels {
            let start = x;
            for ch in label.chars() {
                x = self.put_status(x, y, ch, BLACK, GREEN);
            }
            spans.push((start, x, id));
            x = self.put_status(x, y, ' ', BLACK, GREEN);
        }
        self.status_spans = spans;
        // The active pane's title on the right, as tmux's default `status-right` shows
        // it: at most 21 characters.
        let title = client
            .state()
            .active_pane()
            .and_then(|p| model.pane(p))
            .and_then(|p| p.title.clone())
            .map(|t| {
                let v = visible(&t);
                let cut: String = v.chars().take(21).collect();
                format!("\"{cut}\"")
            });
        let right = title.unwrap_or_default();
        let width: u16 = right.chars().map(cell_width).sum();
        let right_x = self.cols.saturating_sub(width + 1);
        let labels_end = x;
        while x < self.cols {
            x = self.put_status(x, y, ' ', BLACK, GREEN);
        }
        if !right.is_empty() && right_x > labels_end {
            let mut rx = right_x;
            for ch in right.chars() {
                rx = self.put_status(rx, y, ch, BLACK, GREEN);
            }
        }
    }

    /// Puts `ch` on the status line at `x` (two cells for a wide character, caret notation
    /// for a control character); returns the next column.
    fn put_status(&mut self, x: u16, y: u16, ch: char, fg: Packed, bg: Packed) -> u16 {
        if is_control(ch) {
            let mut s = String::new();
            push_visible(&mut s, ch);
            let mut x = x;
            for c in s.chars() {
                x = self.put_status(x, y, c, fg, bg);
            }
            return x;
        }
        let w = cell_width(ch);
        if w == 0 || x.saturating_add(w) > self.cols {
            return x.saturating_add(w).min(self.cols);
        }
        let mut c = DrawCell::plain(ch);
        c.fg = fg;
        c.bg = bg;
        self.put(x, y, c);
        if w == 2 {
            let mut s = DrawCell::plain(' ');
            s.spacer = true;
            s.bg = bg;
            self.put(x + 1, y, s);
        }
        x + w
    }

    fn flush_diff(&mut self, to: &mut impl Write, cursor: Option<(u16, u16)>) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let wrote = self.diff_into(&mut scratch, cursor);
        if wrote.is_ok() && !scratch.is_empty() {
            to.write_all(&scratch)?;
        }
        self.scratch = scratch;
        wrote
    }

    /// The bytes that bring the terminal from the last draw to this one, into `out`;
    /// nothing when no cell changed and the cursor stays where it was (a flood whose frames
    /// look alike, a reply that changed nothing).
    fn diff_into(&mut self, out: &mut Vec<u8>, cursor: Option<(u16, u16)>) -> io::Result<()> {
        let full = self.full_redraw;
        queue!(out, cursor::Hide)?;
        let hide_len = out.len();
        if self.full_redraw {
            queue!(
                out,
                SetAttribute(Attribute::Reset),
                terminal::Clear(terminal::ClearType::All)
            )?;
        }
        let mut style: Option<(Packed, Packed, AttrBits)> = None;
        let cols = self.cols as usize;
        let partial = self.partial.take();
        for y in 0..self.rows as usize {
            if partial.as_ref().is_some_and(|p| !p[y]) {
                continue;
            }
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
        let unchanged = !full && out.len() == hide_len && self.drawn_cursor == Some(cursor);
        if unchanged {
            out.clear();
        } else {
            queue!(out, SetAttribute(Attribute::Reset))?;
            if let Some((cx, cy)) = cursor {
                queue!(out, cursor::MoveTo(cx, cy), cursor::Show)?;
            }
            self.drawn_cursor = Some(cursor);
        }
        match partial {
            // Only the composed rows changed: bring them into `prev`.
            Some(rows) => {
                for (y, _) in rows.iter().enumerate().filter(|(_, t)| **t) {
                    let a = y * cols;
                    self.prev[a..a + cols].copy_from_slice(&self.next[a..a + cols]);
                }
            }
            None => std::mem::swap(&mut self.prev, &mut self.next),
        }
        self.full_redraw = false;
        Ok(())
    }
}

/// Cells a status-line character takes (tmux's widths; unprintable ones take none).
fn cell_width(c: char) -> u16 {
    match muxlink_term::char_width(c as u32) {
        muxlink_term::UNPRINTABLE => 0,
        w => u16::from(w),
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
        let pane = frame.pane();
        // A rebuilt pane (a capture, a resize) says nothing about scrolling.
        let scrolled = if frame.is_full() {
            0
        } else {
            frame.scrolled() as usize
        };
        let rows = self
            .dirty_panes
            .entry(pane)
            .or_insert(Rows::Some(Vec::new()));
        if frame.is_full() || scrolled > 0 || self.scroll.contains_key(&pane) {
            // Every row moved (or the view into history did).
            *rows = Rows::All;
        } else {
            rows.add(frame.dirty_rows());
        }
        if scrolled == 0 {
            return;
        }
        // A view into history, a selection and copy mode stay on the same lines while
        // output arrives below them (the draw clamps them to the history there is).
        if let Some(offset) = self.scroll.get_mut(&pane) {
            *offset = offset.saturating_add(scrolled);
        }
        if let Some(s) = self.selection.as_mut().filter(|s| s.pane == pane) {
            s.sel.scrolled(scrolled);
        }
        if let Some(m) = self.copy.as_mut().filter(|m| m.pane == pane) {
            m.scrolled(scrolled);
        }
    }

    fn on_event(&mut self, event: &ClientEvent<'_>) {
        // Replies change nothing shown: a key's `send-keys` succeeding must not redraw the
        // screen (nor let a flood's held output through) before its echo arrives. Pane
        // output reaches the screen through frames.
        let unseen = matches!(
            event,
            ClientEvent::CommandSucceeded { .. }
                | ClientEvent::CommandReply { .. }
                | ClientEvent::UnmatchedReply { .. }
                | ClientEvent::FrameReady { .. }
                | ClientEvent::PaneBytes { .. }
                | ClientEvent::OutputAge { .. }
        );
        if !unseen {
            self.dirty_all = true;
        }
        match event {
            // Every other event redraws, `WindowIndexesChanged` too: the status line reads
            // the indexes from the model.
            ClientEvent::Ready => {
                self.link.ready = true;
                self.ever_ready = true;
            }
            ClientEvent::PaneClosed { pane } => {
                self.scroll.remove(pane);
                self.dirty_panes.remove(pane);
                self.typed.remove(pane);
                if self.grab == Some(*pane) {
                    self.grab = None;
                }
                if self.selection.is_some_and(|s| s.pane == *pane) {
                    self.selection = None;
                }
                if self.copy.as_ref().is_some_and(|m| m.pane == *pane) {
                    self.copy = None;
                }
            }
            ClientEvent::SessionsChanged => self.link.sessions_changed_at = Some(Instant::now()),
            ClientEvent::Exited { reason } => self.link.exit = Some((*reason).clone()),
            ClientEvent::CommandFailed { message, .. } => {
                self.link.last_message = Some(visible(message))
            }
            ClientEvent::Notice { kind, text } => {
                self.link.last_message = Some(format!("{kind}: {}", visible(text)))
            }
            _ => {}
        }
    }
}

/// Rows of a pane to draw again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Rows {
    All,
    /// These rows (unsorted, possibly repeated; a pane has few).
    Some(Vec<u16>),
}

impl Rows {
    fn add(&mut self, rows: &[u16]) {
        if let Rows::Some(v) = self {
            v.extend_from_slice(rows);
            // Past a few dozen rows, all of them is cheaper to test.
            if v.len() > 64 {
                *self = Rows::All;
            }
        }
    }

    fn contains(&self, y: u16) -> bool {
        match self {
            Rows::All => true,
            Rows::Some(v) => v.contains(&y),
        }
    }
}

/// A character safe to write to the outer terminal: C0 and C1 controls become `?` (pane
/// cells never hold them; this is a second fence).
fn printable(c: char) -> char {
    if is_control(c) {
        '?'
    } else {
        c
    }
}

/// Calls `put(x, y, cell)` for the cells of a pane's view in `rows`, from the pane's
/// emulator (characters, colours, attributes, wide characters): the visible screen, or the
/// view `offset` lines back into the history. A pane without an emulator yet (still being
/// captured) draws nothing.
fn pane_cells(
    pane: &muxlink_runtime::Pane,
    offset: usize,
    rows: &Rows,
    mut put: impl FnMut(u16, u16, DrawCell),
) {
    let Some(term) = pane.terminal() else {
        return;
    };
    let history = term.history_len();
    let offset = offset.min(history);
    let lines = history + usize::from(term.rows());
    for y in 0..pane.rows.min(term.rows()) {
        if !rows.contains(y) {
            continue;
        }
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

//! `muxlink attach`: an interactive terminal client on the built-in loop.
//!
//! It starts `tmux -C` (locally or through `ssh`), attaches in grid mode and draws the active
//! window's panes, with borders and a status line, onto the real terminal (raw mode,
//! alternate screen). Keystrokes go to the active pane as `send-keys -H`; the terminal's size
//! becomes the client size (`refresh-client -C`). With no server on the socket it starts one
//! on a private socket (`-L muxlink` unless `-L`/`-S` say otherwise).
//!
//! Keys after the prefix `Ctrl-b`: `d` detach, `c` new window, `n`/`p` next/previous window,
//! `%` split left-right, `"` split top-bottom, `o` next pane, `x` kill pane, `z` zoom,
//! `Ctrl-b` a literal `Ctrl-b`.
//!
//! Threads: the main thread runs the loop and draws; one thread reads standard input and one
//! watches the terminal size. Both talk to the loop through its `LoopHandle` (a channel and a
//! mio waker), so the loop never blocks on the terminal.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use crossterm::style::{
    Attribute, Color as TColor, SetAttribute, SetBackgroundColor, SetForegroundColor,
};
use crossterm::{cursor, queue, terminal};
use muxlink_runtime::drive::Connection;
use muxlink_runtime::mio_loop::{BuiltinLoop, LoopHandle};
use muxlink_runtime::record::Recorder;
use muxlink_runtime::transport::{Action, ChildTransport, Socket, SshCommand, TmuxCommand};
use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, ExitReason, Frame, Host, PaneId, SplitDirection, WindowId,
};

/// The socket name used when neither `-L` nor `-S` is given.
pub const DEFAULT_SOCKET: &str = "muxlink";

/// Arguments of `muxlink attach [-L NAME|-S PATH] [-t SESSION] [--ssh HOST] [--record FILE]`.
#[derive(Args, Debug)]
pub struct AttachArgs {
    /// tmux socket name (as `tmux -L`); default `muxlink`, a private server.
    #[arg(short = 'L', conflicts_with = "socket_path")]
    pub socket_name: Option<String>,
    /// tmux socket path (as `tmux -S`).
    #[arg(short = 'S')]
    pub socket_path: Option<PathBuf>,
    /// Target session (created when missing).
    #[arg(short = 't')]
    pub target: Option<String>,
    /// Run tmux on this host through `ssh HOST -- tmux -C ...`.
    #[arg(long, value_name = "HOST")]
    pub ssh: Option<String>,
    /// The ssh program (default `ssh`).
    #[arg(long, value_name = "PROGRAM", requires = "ssh")]
    pub ssh_program: Option<String>,
    /// Write the raw control stream (every byte tmux sent) to FILE, for `muxlink replay`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// tmux configuration file used when this command starts the server (`-f`).
    #[arg(short = 'f', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs `muxlink attach`.
pub fn run(args: AttachArgs) -> anyhow::Result<()> {
    // A terminal first: without one, start nothing (no stray session on the server).
    let (cols, rows) = terminal::size().context("reading the terminal size (not a terminal?)")?;
    let guard = TerminalGuard::enter()?;
    let socket = match (&args.socket_name, &args.socket_path) {
        (_, Some(p)) => Socket::Path(p.clone()),
        (Some(n), None) => Socket::Name(n.clone()),
        (None, None) if args.ssh.is_some() => Socket::Default,
        (None, None) => Socket::Name(DEFAULT_SOCKET.into()),
    };
    let transport = if let Some(host) = &args.ssh {
        let action = match &args.target {
            Some(t) => Action::AttachOrNew { name: t.clone() },
            None => Action::Attach { target: None },
        };
        let mut tmux = TmuxCommand::with_action(action).socket(socket);
        if let Some(f) = &args.config {
            tmux = tmux.config_file(f);
        }
        let mut ssh = SshCommand::new(host.clone()).remote_tmux(&tmux);
        if let Some(p) = &args.ssh_program {
            ssh = ssh.program(p);
        }
        ChildTransport::spawn_ssh(&ssh)?
    } else {
        let running = server_has_sessions(&socket);
        let action = match (&args.target, running) {
            (Some(t), true) => Action::AttachOrNew { name: t.clone() },
            (None, true) => Action::Attach { target: None },
            (t, false) => Action::New { name: t.clone() },
        };
        let mut tmux = TmuxCommand::with_action(action).socket(socket);
        if let Some(f) = &args.config {
            tmux = tmux.config_file(f);
        }
        ChildTransport::spawn_tmux(&tmux)?
    };

    let config = ClientConfig {
        cols: cols.max(2),
        rows: rows.saturating_sub(1).max(1),
        ..ClientConfig::default()
    };
    let mut conn = Connection::new(Client::new(config), transport);
    if let Some(path) = &args.record {
        let rec = Recorder::create(path)
            .with_context(|| format!("creating the record file {}", path.display()))?;
        conn = conn.with_recorder(rec);
    }

    let mut lp = BuiltinLoop::new().context("creating the event loop")?;
    spawn_input_thread(lp.handle());
    let pending: PendingResize = Arc::new(Mutex::new(None));
    spawn_resize_thread(lp.handle(), (cols, rows), pending.clone());

    let mut ui = Ui::new(cols, rows);
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    const FRAME: Duration = Duration::from_millis(16);
    while !conn.is_finished() {
        // Idle: sleep until tmux, a key or a resize wakes the loop. Dirty but drawn less than
        // a frame ago: wake when the next draw is due.
        let wait = ui.dirty.then(|| FRAME.saturating_sub(last_draw.elapsed()));
        lp.turn(&mut conn, &mut ui, wait)?;
        let resized = pending.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((c, r)) = resized {
            ui.resize(c, r);
        }
        // At most ~60 draws a second; a flood coalesces.
        if ui.dirty && last_draw.elapsed() >= FRAME {
            ui.draw(conn.client(), &mut out)?;
            out.flush()?;
            last_draw = Instant::now();
        }
    }
    drop(guard);
    let transport_end = conn.exit_reason().cloned();
    if !ui.ready {
        // Never attached: say why, as an error (exit status 1).
        let detail = ui.last_message.clone();
        if let Some(ExitReason::Refused(msg)) = &ui.exit {
            anyhow::bail!("tmux: {msg}");
        }
        match (&transport_end, detail) {
            (Some(ExitReason::Transport(msg)), _) => anyhow::bail!("{msg}"),
            (_, Some(m)) => anyhow::bail!("tmux: {m}"),
            (Some(r), None) => anyhow::bail!("could not attach: {}", describe(r)),
            (None, None) => anyhow::bail!("could not attach"),
        }
    }
    // tmux's own reason (`%exit detached`, `server exited`) first, else the transport's.
    if let Some(r) = ui.exit.as_ref().or(transport_end.as_ref()) {
        eprintln!("[{}]", describe(r));
    }
    Ok(())
}

fn describe(r: &ExitReason) -> String {
    match r {
        ExitReason::Exit(Some(s)) | ExitReason::Refused(s) => s.clone(),
        ExitReason::Exit(None) => "exited".into(),
        ExitReason::Eof => "lost server".into(),
        ExitReason::ProcessExited(Some(c)) => format!("tmux exited ({c})"),
        ExitReason::ProcessExited(None) => "tmux was killed".into(),
        ExitReason::Transport(m) => m.clone(),
    }
}

/// Whether a server answers on `socket` with at least one session.
fn server_has_sessions(socket: &Socket) -> bool {
    let mut c = Command::new("tmux");
    match socket {
        Socket::Default => {}
        Socket::Name(n) => {
            c.arg("-L").arg(n);
        }
        Socket::Path(p) => {
            c.arg("-S").arg(p);
        }
    }
    c.arg("list-sessions")
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The terminal size the resize thread saw last, for the drawing thread.
type PendingResize = Arc<Mutex<Option<(u16, u16)>>>;

/// Raw mode and the alternate screen, undone on drop (also when unwinding).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> anyhow::Result<Self> {
        terminal::enable_raw_mode().context("entering raw mode")?;
        let mut out = io::stdout();
        queue!(
            out,
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All)
        )?;
        out.flush()?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let mut out = io::stdout();
        let _ = queue!(
            out,
            SetAttribute(Attribute::Reset),
            cursor::Show,
            terminal::LeaveAlternateScreen
        );
        let _ = out.flush();
        let _ = terminal::disable_raw_mode();
    }
}

/// What the prefix key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command2 {
    Detach,
    NewWindow,
    NextWindow,
    PrevWindow,
    SplitRight,
    SplitDown,
    NextPane,
    KillPane,
    Zoom,
}

/// Splits terminal input into bytes for the active pane and prefix commands.
#[derive(Debug, Default)]
struct KeyReader {
    prefix_pending: bool,
}

/// One step of key handling.
#[derive(Debug, PartialEq, Eq)]
enum KeyAction {
    Input(Vec<u8>),
    Command(Command2),
}

const PREFIX: u8 = 0x02; // Ctrl-b

impl KeyReader {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<KeyAction>) {
        let mut plain = Vec::new();
        for &b in bytes {
            if self.prefix_pending {
                self.prefix_pending = false;
                let cmd = match b {
                    b'd' => Some(Command2::Detach),
                    b'c' => Some(Command2::NewWindow),
                    b'n' => Some(Command2::NextWindow),
                    b'p' => Some(Command2::PrevWindow),
                    b'%' => Some(Command2::SplitRight),
                    b'"' => Some(Command2::SplitDown),
                    b'o' => Some(Command2::NextPane),
                    b'x' => Some(Command2::KillPane),
                    b'z' => Some(Command2::Zoom),
                    PREFIX => {
                        plain.push(PREFIX);
                        None
                    }
                    _ => None,
                };
                if let Some(c) = cmd {
                    if !plain.is_empty() {
                        out.push(KeyAction::Input(std::mem::take(&mut plain)));
                    }
                    out.push(KeyAction::Command(c));
                }
            } else if b == PREFIX {
                self.prefix_pending = true;
            } else {
                plain.push(b);
            }
        }
        if !plain.is_empty() {
            out.push(KeyAction::Input(plain));
        }
    }
}

fn active_window(c: &Client) -> Option<WindowId> {
    c.state().session()?.active_window
}

/// The active pane of the active window; right after a window appears (before tmux said
/// which pane is active) its first pane.
fn active_pane(c: &Client) -> Option<PaneId> {
    let m = c.state();
    let w = m.window(active_window(c)?)?;
    w.active_pane.or_else(|| w.panes.first().copied())
}

/// Windows of the attached session, in id order.
fn session_windows(c: &Client) -> Vec<WindowId> {
    c.state().windows.keys().copied().collect()
}

fn apply(c: &mut Client, action: KeyAction) {
    match action {
        KeyAction::Input(bytes) => {
            if let Some(p) = active_pane(c) {
                let _ = c.send_input(p, &bytes);
            }
        }
        KeyAction::Command(cmd) => {
            let pane = active_pane(c);
            let _ = match cmd {
                Command2::Detach => c.detach().map(|_| ()),
                Command2::NewWindow => c.new_window(None).map(|_| ()),
                Command2::NextWindow | Command2::PrevWindow => {
                    let ws = session_windows(c);
                    let cur = active_window(c).and_then(|w| ws.iter().position(|x| *x == w));
                    if let (Some(i), false) = (cur, ws.is_empty()) {
                        let n = ws.len();
                        let j = if cmd == Command2::NextWindow {
                            (i + 1) % n
                        } else {
                            (i + n - 1) % n
                        };
                        c.select_window(ws[j]).map(|_| ())
                    } else {
                        Ok(())
                    }
                }
                Command2::SplitRight => match pane {
                    Some(p) => c.split(p, SplitDirection::Right).map(|_| ()),
                    None => Ok(()),
                },
                Command2::SplitDown => match pane {
                    Some(p) => c.split(p, SplitDirection::Down).map(|_| ()),
                    None => Ok(()),
                },
                Command2::NextPane => {
                    let next = active_window(c).and_then(|w| {
                        let win = c.state().window(w)?;
                        let i = win.panes.iter().position(|x| Some(*x) == pane)?;
                        win.panes.get((i + 1) % win.panes.len()).copied()
                    });
                    match next {
                        Some(p) => c.select_pane(p).map(|_| ()),
                        None => Ok(()),
                    }
                }
                Command2::KillPane => match pane {
                    Some(p) => c.kill_pane(p).map(|_| ()),
                    None => Ok(()),
                },
                Command2::Zoom => match pane {
                    Some(p) => c.zoom(p).map(|_| ()),
                    None => Ok(()),
                },
            };
        }
    }
}

fn spawn_input_thread(handle: LoopHandle) {
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut keys = KeyReader::default();
        let mut buf = [0u8; 4096];
        let mut actions = Vec::new();
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            keys.feed(&buf[..n], &mut actions);
            for a in actions.drain(..) {
                if handle.submit(move |c, _h| apply(c, a)).is_err() {
                    return;
                }
            }
        }
    });
}

fn spawn_resize_thread(handle: LoopHandle, mut last: (u16, u16), pending: PendingResize) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(100));
        let Ok(size) = terminal::size() else {
            continue;
        };
        if size != last {
            last = size;
            let (cols, rows) = size;
            *pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(size);
            let sent = handle.submit(move |c, _h| {
                let _ = c.set_client_size(cols.max(2), rows.saturating_sub(1).max(1));
            });
            if sent.is_err() {
                return;
            }
        }
    });
}

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
struct Ui {
    cols: u16,
    rows: u16,
    prev: Vec<DrawCell>,
    next: Vec<DrawCell>,
    dirty: bool,
    full_redraw: bool,
    ready: bool,
    exit: Option<ExitReason>,
    /// The last error or message tmux sent, shown when attaching fails.
    last_message: Option<String>,
}

impl Ui {
    fn new(cols: u16, rows: u16) -> Self {
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
        }
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        *self = Ui {
            ready: self.ready,
            exit: self.exit.take(),
            last_message: self.last_message.take(),
            ..Ui::new(cols, rows)
        };
    }

    fn put(&mut self, x: u16, y: u16, c: DrawCell) {
        if x < self.cols && y < self.rows {
            self.next[y as usize * self.cols as usize + x as usize] = c;
        }
    }

    /// Composes the active window (panes, borders) and the status line, then writes the
    /// cells that differ from the last draw.
    fn draw(&mut self, client: &Client, out: &mut impl Write) -> io::Result<()> {
        self.dirty = false;
        self.next.fill(DrawCell::BLANK);
        let body_rows = self.rows.saturating_sub(1);
        let model = client.state();
        let win = active_window(client).and_then(|w| model.window(w));
        let active = active_pane(client);
        let mut cursor: Option<(u16, u16)> = None;
        if let Some(win) = win {
            let (wc, wr) = (win.cols.min(self.cols), win.rows.min(body_rows));
            // Coverage: which pane owns each window cell; the gaps are borders.
            let mut owner: Vec<Option<PaneId>> = vec![None; wc as usize * wr as usize];
            // A zoomed window shows its active pane alone.
            let shown: Vec<PaneId> = match (win.zoomed, active) {
                (true, Some(a)) => vec![a],
                _ => win.panes.clone(),
            };
            for &pid in &shown {
                let Some(p) = model.pane(pid) else { continue };
                for y in p.y..(p.y + p.rows).min(wr) {
                    for x in p.x..(p.x + p.cols).min(wc) {
                        owner[y as usize * wc as usize + x as usize] = Some(pid);
                    }
                }
                let (px, py, pc, pr) = (p.x, p.y, p.cols, p.rows.min(wr.saturating_sub(p.y)));
                pane_cells(p, |x, y, cell| {
                    if x < pc && y < pr {
                        self.put(px + x, py + y, cell);
                    }
                });
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
            status.push_str(&String::from_utf8_lossy(
                s.name.as_deref().unwrap_or_default(),
            ));
            status.push_str("] ");
        }
        let cur = active_window(client);
        for (i, w) in model.windows.values().enumerate() {
            status.push_str(&format!(
                "{}:{}{} ",
                i,
                String::from_utf8_lossy(&w.name),
                if Some(w.id) == cur { "*" } else { "" }
            ));
        }
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
    fn on_frame(&mut self, _frame: &Frame<'_>) {
        self.dirty = true;
    }

    fn on_event(&mut self, event: &ClientEvent<'_>) {
        self.dirty = true;
        match event {
            ClientEvent::Ready => self.ready = true,
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

/// Calls `put(x, y, cell)` for the cells of a pane's visible screen, from the pane's
/// emulator (characters, colours, attributes, wide characters). A pane without an emulator
/// yet (still being captured) draws nothing.
fn pane_cells(pane: &muxlink_runtime::Pane, mut put: impl FnMut(u16, u16, DrawCell)) {
    let term = pane.terminal();
    for y in 0..pane.rows {
        let Some(row) = pane.row(y) else {
            return;
        };
        for (x, cell) in row.iter().enumerate() {
            let Ok(x) = u16::try_from(x) else {
                break;
            };
            let mut ch = [' ', '\0', '\0'];
            if cell.flags.contains(muxlink_term::CellFlags::EXTENDED) {
                if let Some(t) = term {
                    for (slot, c) in ch.iter_mut().zip(t.combined(cell.ch).chars()) {
                        *slot = c;
                    }
                }
            } else {
                ch[0] = cell.display_char();
                if ch[0] < ' ' {
                    ch[0] = ' ';
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(k: &mut KeyReader, b: &[u8]) -> Vec<KeyAction> {
        let mut v = Vec::new();
        k.feed(b, &mut v);
        v
    }

    #[test]
    fn prefix_keys() {
        let mut k = KeyReader::default();
        assert_eq!(
            feed(&mut k, b"ls\x02cx"),
            vec![
                KeyAction::Input(b"ls".to_vec()),
                KeyAction::Command(Command2::NewWindow),
                KeyAction::Input(b"x".to_vec())
            ]
        );
        // Prefix split across reads, then a literal Ctrl-b.
        assert_eq!(feed(&mut k, b"\x02"), vec![]);
        assert_eq!(
            feed(&mut k, b"%"),
            vec![KeyAction::Command(Command2::SplitRight)]
        );
        assert_eq!(feed(&mut k, b"\x02\x02"), vec![KeyAction::Input(vec![2])]);
        assert_eq!(
            feed(&mut k, b"\x02d"),
            vec![KeyAction::Command(Command2::Detach)]
        );
        // Unknown keys after the prefix are swallowed, as tmux does.
        assert_eq!(
            feed(&mut k, b"\x02qa"),
            vec![KeyAction::Input(b"a".to_vec())]
        );
    }
}

//! `muxlink attach`: an interactive terminal client.
//!
//! It starts `tmux -C` (locally or through `ssh`), attaches in grid mode and draws the active
//! window's panes, with borders and a status line, onto the real terminal (raw mode,
//! alternate screen). Keystrokes go to the active pane as `send-keys -H`; the terminal's size
//! becomes the client size (`refresh-client -C`). With no server on the socket it starts one
//! on a private socket (`-L muxlink` unless `-L`/`-S` say otherwise).
//!
//! Keys after the prefix `Ctrl-b`: `d` detach, `c` new window, `n`/`p` next/previous window,
//! `%` split left-right, `"` split top-bottom, `o` next pane, `x` kill pane, `z` zoom,
//! `[` copy mode (see `copy_mode`), `Ctrl-b` a literal `Ctrl-b`. The status line numbers
//! windows with tmux's own indexes.
//!
//! The outer terminal's bracketed pastes go to the active pane as one paste (bracketed again
//! when the pane's program asked for it). The mouse: a click selects the pane or, on the
//! status line, the window under it; a pane that turned mouse reporting on gets the mouse
//! itself (unless Shift is held); elsewhere dragging selects text (a double click a word, a
//! triple click a line), copied on release to the terminal's clipboard (OSC 52) and a tmux
//! paste buffer, and the wheel scrolls the pane's history (see `actions`). Every mode
//! (mouse, bracketed paste, alternate screen, raw mode, cursor) is undone on exit, on error,
//! on panic and on abort (see `outer`).
//!
//! Responsiveness: one thread waits on the terminal, the connection and signals together
//! (see `poller`); a key is sent in the turn it is read, and the pane it went to is drawn in
//! the turn its echo is read (see `pacing`).
//!
//! Endings, in tmux's words (see `messages`): the detach key and a detach from elsewhere
//! print `[detached (from session NAME)]`; a session that ended `[exited]`; a killed server
//! `[server exited]`. The detach key leaves within [`LEAVE_GRACE`] whatever the server does.
//! Signals: SIGTERM, SIGHUP, SIGINT and SIGQUIT detach from tmux, as its own client does when
//! its terminal hangs up, restore the outer terminal, say so (`[terminated]`, `[lost tty]`),
//! and end the process with the signal's default action.
//!
//! Reconnect (`--reconnect`, on by default with `--ssh`): when the connection drops while
//! the server may live on (ssh died, the network went away), attach says so on the status
//! line, keeps showing what it had, retries with backoff (see `connect`), and on success
//! shows the same session again.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use crossterm::terminal;
use muxlink_runtime::drive::{Connection, Readiness};
use muxlink_runtime::record::Recorder;
use muxlink_runtime::transport::{ChildTransport, Pipe, Socket};
use muxlink_runtime::{Client, ClientConfig, ExitReason};

mod actions;
mod clipboard;
mod connect;
mod copy_mode;
mod escapes;
mod input;
mod keys;
mod messages;
mod mouse;
mod outer;
mod pacing;
mod poller;
mod selection;
mod turn_budget;
mod ui;

use actions::{apply, Clicks, Ctx, LateNotes, Request};
use connect::{backoff, Plan};
use copy_mode::ModeKeys;
use escapes::InputSplitter;
use input::KeyReader;
use messages::{bare_exit, visible, Ending};
use outer::TerminalGuard;
use pacing::{Decision, Pacer};
use poller::{read_stdin, Poller, Signals, StdinRead};
use turn_budget::{Budgeted, TurnBudget};
use ui::Ui;

/// The socket name used when neither `-L` nor `-S` is given.
pub const DEFAULT_SOCKET: &str = "muxlink";

/// Arguments of `muxlink attach [-L NAME|-S PATH] [-t SESSION] [--ssh HOST] [--tmux PROGRAM]
/// [--reconnect|--no-reconnect] [--record FILE]`.
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
    /// The tmux program (default `tmux`, on the remote host with `--ssh`).
    #[arg(long, value_name = "PROGRAM")]
    pub tmux: Option<OsString>,
    /// When the connection drops while the server lives on, reconnect (with backoff) and
    /// show the same session again. On by default with `--ssh`.
    #[arg(long, overrides_with = "no_reconnect")]
    pub reconnect: bool,
    /// Do not reconnect (`--ssh` reconnects by default).
    #[arg(long)]
    pub no_reconnect: bool,
    /// Write the raw control stream (every byte tmux sent on the first connection) to FILE,
    /// for `muxlink replay`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// tmux configuration file used when this command starts the server (`-f`).
    #[arg(short = 'f', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// How long leaving (the detach key, a signal, a terminal that went away) waits for tmux to
/// confirm before the connection is dropped anyway.
pub const LEAVE_GRACE: Duration = Duration::from_secs(2);
/// How long "reconnected" stays on the status line.
const NOTE_TIME: Duration = Duration::from_secs(2);
/// Typed and pasted bytes kept while no pane is known to send them to.
const HELD_INPUT_MAX: usize = 1 << 20;

/// Runs `muxlink attach`.
pub fn run(args: AttachArgs) -> anyhow::Result<()> {
    // A terminal first: without one, start nothing (no stray session on the server).
    let (cols, rows) = terminal::size().context("reading the terminal size (not a terminal?)")?;
    // Handlers before the terminal changes: from here on a signal restores it.
    let mut signals = Signals::install().context("installing signal handlers")?;
    let guard = TerminalGuard::enter()?;
    let mut poller = Poller::new(&mut signals)?;
    let socket = match (&args.socket_name, &args.socket_path) {
        (_, Some(p)) => Socket::Path(p.clone()),
        (Some(n), None) => Socket::Name(n.clone()),
        (None, None) if args.ssh.is_some() => Socket::Default,
        (None, None) => Socket::Name(DEFAULT_SOCKET.into()),
    };
    let plan = Plan {
        socket,
        target: args.target.clone(),
        ssh: args.ssh.clone(),
        ssh_program: args.ssh_program.clone(),
        tmux: args.tmux.clone(),
        config: args.config.clone(),
        reconnect: !args.no_reconnect && (args.reconnect || args.ssh.is_some()),
    };
    let transport = plan.first()?;
    let mut app = App::new(cols, rows, plan);
    let mut conn = app.connection(transport);
    if let Some(path) = &args.record {
        let rec = Recorder::create(path)
            .with_context(|| format!("creating the record file {}", path.display()))?;
        conn = conn.with_recorder(rec);
    }
    app.conn = Some(conn);
    let end = app.run(&mut poller, &mut signals);
    // The terminal back first: what follows is printed on it.
    drop(guard);
    drop(app);
    match end? {
        End::Said(ending) => {
            // The terminal may be gone: a failed write is no error.
            let _ = writeln!(io::stderr(), "{}", ending.line());
            Ok(())
        }
        End::Signal(sig) => {
            let ending = if sig == signal_hook::consts::SIGHUP {
                Ending::LostTty
            } else {
                Ending::Terminated
            };
            // Not `eprintln!`: after a hangup the terminal is gone and that would panic.
            let _ = writeln!(io::stderr(), "{}", ending.line());
            // End as the signal would have: the caller sees a death by signal.
            let _ = signal_hook::low_level::emulate_default_handler(sig);
            std::process::exit(128 + sig);
        }
        End::Failed(msg) => anyhow::bail!("{msg}"),
    }
}

/// How the session ended.
enum End {
    /// A normal ending, told in tmux's words.
    Said(Ending),
    /// An ending signal (after detaching).
    Signal(i32),
    /// Attaching failed: the message (made visible) for an error exit.
    Failed(String),
}

/// Why attach is leaving on its own accord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    DetachKey,
    Signal(i32),
    /// The terminal's input ended: nobody can type the detach key any more.
    TerminalGone,
}

/// A reconnect waiting for its turn.
#[derive(Debug)]
struct Retry {
    attempt: u32,
    at: Instant,
}

/// The client and everything around it.
struct App {
    ui: Ui,
    splitter: InputSplitter,
    keys: KeyReader,
    clicks: Clicks,
    notes: LateNotes,
    out: io::BufWriter<io::Stdout>,
    pacer: Pacer,
    plan: Plan,
    cols: u16,
    rows: u16,
    conn: Option<Connection>,
    /// Bumped for every new connection (the poller re-registers its pipes).
    generation: u64,
    /// The last connection, finished, kept for drawing while a new one attaches.
    shown: Option<Connection>,
    /// The current connection's options have been asked for.
    asked_options: bool,
    leaving: Option<(Leave, Instant)>,
    retry: Option<Retry>,
    /// The attempt number of the connection being made (0: the first connection).
    attempt: u32,
    /// The terminal had more input than one turn reads.
    stdin_more: bool,
    /// tmux output read per turn (see `turn_budget`).
    budget: Arc<TurnBudget>,
    /// Writing to the terminal failed: it is gone.
    terminal_gone: bool,
    inputs: Vec<escapes::Input>,
    actions: Vec<input::KeyAction>,
    read_buf: Vec<u8>,
}

impl App {
    fn new(cols: u16, rows: u16, plan: Plan) -> App {
        App {
            ui: Ui::new(cols, rows),
            splitter: InputSplitter::default(),
            keys: KeyReader::default(),
            clicks: Clicks::default(),
            notes: Arc::new(Mutex::new(Vec::new())),
            out: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            pacer: Pacer::default(),
            plan,
            cols,
            rows,
            conn: None,
            generation: 0,
            shown: None,
            asked_options: false,
            leaving: None,
            retry: None,
            attempt: 0,
            stdin_more: false,
            budget: Arc::new(TurnBudget::default()),
            terminal_gone: false,
            inputs: Vec::new(),
            actions: Vec::new(),
            read_buf: Vec::new(),
        }
    }

    /// A connection over `transport` with a client of the terminal's size.
    fn connection(&mut self, transport: ChildTransport) -> Connection {
        let config = ClientConfig::default()
            .with_size(self.cols.max(2), self.rows.saturating_sub(1).max(1))
            // Kept after the end: shown while reconnecting, named in the detach message.
            .with_keep_state_on_exit(true);
        self.generation += 1;
        self.asked_options = false;
        self.ui.link = ui::Link::default();
        Connection::new(
            Client::new(config),
            Budgeted::new(transport, self.budget.clone()),
        )
    }

    fn run(&mut self, poller: &mut Poller, signals: &mut Signals) -> anyhow::Result<End> {
        loop {
            if self.conn.as_ref().is_some_and(|c| c.is_finished()) {
                if let Some(end) = self.connection_ended(Instant::now()) {
                    return Ok(end);
                }
            }
            if self.conn.is_none() && self.retry.is_none() {
                // Left while waiting to reconnect.
                let why = self.leaving.map_or(Leave::DetachKey, |l| l.0);
                return Ok(self.leave_ending(why));
            }
            poller.sync(self.conn.as_ref(), self.generation)?;
            let now = Instant::now();
            let mut wait = [
                self.conn.as_ref().and_then(|c| c.deadline()),
                self.pacer.next_due(&self.ui, now),
                self.splitter.deadline(),
                self.leaving.map(|(_, at)| at + LEAVE_GRACE),
                self.retry.as_ref().map(|r| r.at),
                self.ui.note.as_ref().map(|n| n.1),
            ]
            .into_iter()
            .flatten()
            .min()
            .map(|t| t.saturating_duration_since(now));
            if self.stdin_more
                || self.budget.stopped()
                || self.conn.as_ref().is_some_and(|c| c.has_pending_read())
                || (!self.actions.is_empty() && self.has_target())
            {
                wait = Some(Duration::ZERO);
            }
            let woken = poller.wait(wait)?;
            let now = Instant::now();
            // Output left over by the last turn's budget is read as if the pipe said so.
            let carry = self.budget.next_turn();

            // The terminal first: a key goes to tmux before a flood's output is read.
            if woken.stdin || self.stdin_more {
                self.read_terminal(now);
            }
            self.splitter.expire(now, &mut self.inputs);
            self.handle_input(now);

            if woken.signal {
                let (ending, resized) = signals.take();
                if let Some(sig) = ending {
                    self.leave(Leave::Signal(sig), now);
                }
                if resized {
                    self.resized();
                }
            }

            if let Some(conn) = self.conn.as_mut() {
                // stderr first, so that an exit found on stdout can quote it.
                for pipe in [Pipe::Error, Pipe::Input, Pipe::Output] {
                    let mut r = woken.pipe(pipe);
                    if pipe == Pipe::Output && (carry || conn.has_pending_read()) {
                        r.readable = true;
                    }
                    if r != Readiness::default() {
                        conn.on_ready(pipe, r, now, &mut self.ui);
                    }
                }
                if conn.deadline().is_some_and(|d| d <= now) {
                    conn.on_timer(now, &mut self.ui);
                }
            }
            self.after_dispatch(now);

            if let Some((_, at)) = self.leaving {
                if now >= at + LEAVE_GRACE {
                    // tmux did not confirm in time (a stopped or unreachable server): leave
                    // without it. Closing never blocks; a child that lingers is reaped in
                    // the background.
                    if let Some(conn) = self.conn.as_mut() {
                        conn.close(now, &mut self.ui);
                    }
                }
            }
            if self.retry.as_ref().is_some_and(|r| r.at <= now) && self.leaving.is_none() {
                self.reconnect(now);
            }
            let now = Instant::now();
            if self.ui.note.as_ref().is_some_and(|n| n.1 <= now) {
                self.ui.note = None;
                self.ui.dirty_all = true;
            }
            self.draw(now);
        }
    }

    fn read_terminal(&mut self, now: Instant) {
        self.read_buf.clear();
        let got = read_stdin(&mut self.read_buf);
        self.stdin_more = got == StdinRead::Data && self.read_buf.len() >= 1 << 20;
        if !self.read_buf.is_empty() {
            self.splitter.feed(&self.read_buf, now, &mut self.inputs);
        }
        if got == StdinRead::Closed {
            self.leave(Leave::TerminalGone, now);
        }
    }

    /// Terminal input, in order: pastes and mouse reports cut out, then the prefix key.
    fn handle_input(&mut self, now: Instant) {
        for i in self.inputs.drain(..) {
            self.keys.push(i, &mut self.actions);
        }
        if self.actions.is_empty() {
            return;
        }
        let actions = std::mem::take(&mut self.actions);
        let mut detach = false;
        match self.conn.as_mut() {
            // Keys typed while the handshake runs still count (panes are known early). Until
            // tmux has named the pane they go to, they wait (bounded), in order, rather than
            // being dropped: a person types as soon as the screen appears.
            Some(conn) if !conn.is_finished() => {
                let target = conn.client().state().active_pane().is_some();
                let mut cx = Ctx {
                    ui: &mut self.ui,
                    clicks: &mut self.clicks,
                    notes: &self.notes,
                    now,
                };
                let mut held_bytes = 0usize;
                for a in actions {
                    // The detach key never waits; other commands keep their place behind
                    // held keys.
                    let is_detach = matches!(a, input::KeyAction::Command(input::Command2::Detach));
                    let needs_pane = !matches!(a, input::KeyAction::Command(_));
                    if !target && !is_detach && (needs_pane || !self.actions.is_empty()) {
                        held_bytes += match &a {
                            input::KeyAction::Input(b) | input::KeyAction::Paste(b) => b.len(),
                            _ => 16,
                        };
                        // Beyond the bound, input is dropped as a terminal drops keys typed
                        // into a program that is not reading.
                        if held_bytes <= HELD_INPUT_MAX {
                            self.actions.push(a);
                        }
                        continue;
                    }
                    detach |= apply(conn.client_mut(), &mut cx, a) == Some(Request::Detach);
                }
                conn.flush_writes();
            }
            // Not connected (waiting to reconnect): only the detach key means something.
            _ => {
                detach = actions
                    .iter()
                    .any(|a| matches!(a, input::KeyAction::Command(input::Command2::Detach)));
            }
        }
        if detach {
            self.leave(Leave::DetachKey, now);
        }
    }

    /// Whether typed input has a pane to go to.
    fn has_target(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| !c.is_finished() && c.client().state().active_pane().is_some())
    }

    /// Starts leaving: detach from tmux (the session lives on) and wait for its answer
    /// at most [`LEAVE_GRACE`].
    fn leave(&mut self, why: Leave, now: Instant) {
        if let Some((current, at)) = self.leaving {
            // A hangup closes the input and sends SIGHUP: end as the signal says.
            if matches!(why, Leave::Signal(_)) && !matches!(current, Leave::Signal(_)) {
                self.leaving = Some((why, at));
            }
            return;
        }
        self.leaving = Some((why, now));
        self.retry = None;
        if let Some(conn) = self.conn.as_mut() {
            if conn.client_mut().detach().is_ok() {
                conn.flush_writes();
            } else {
                // Nothing attached to detach: close at once.
                conn.close(now, &mut self.ui);
            }
        }
    }

    fn resized(&mut self) {
        let Ok((cols, rows)) = terminal::size() else {
            return;
        };
        if (cols, rows) == (self.cols, self.rows) {
            return;
        }
        self.cols = cols;
        self.rows = rows;
        self.ui.resize(cols, rows);
        if let Some(conn) = self.conn.as_mut() {
            let _ = conn
                .client_mut()
                .set_client_size(cols.max(2), rows.saturating_sub(1).max(1));
            conn.flush_writes();
        }
    }

    /// Work after the connection's events: ask for options once attached, remember the
    /// session, show late messages.
    fn after_dispatch(&mut self, now: Instant) {
        let notes: Vec<String> =
            std::mem::take(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()));
        for n in notes {
            self.ui.show_note(n, now + NOTE_TIME);
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if let Some(s) = conn.client().state().session() {
            let known = self.ui.session.as_ref();
            if known.is_none_or(|k| k.0 != s.id || k.1 != s.name) {
                self.ui.session = Some((s.id, s.name.clone()));
            }
        }
        if !self.ui.link.ready || self.asked_options {
            return;
        }
        self.asked_options = true;
        if self.shown.take().is_some() {
            // Attached again: the new connection's model replaces the old one.
            self.ui.banner = None;
            self.ui.show_note("reconnected".into(), now + NOTE_TIME);
        }
        ask_options(conn.client_mut(), &self.ui.options);
        conn.flush_writes();
    }

    /// The current connection finished: decide what comes next. `Some` ends attach.
    fn connection_ended(&mut self, now: Instant) -> Option<End> {
        let conn = self.conn.take()?;
        let session = self.ui.session.clone();
        let session_name = session.as_ref().and_then(|s| s.1.clone());
        if let Some((why, _)) = self.leaving {
            return Some(self.leave_ending(why));
        }
        let exit = self.ui.link.exit.clone();
        let transport_end = conn.exit_reason().cloned();
        if !self.ui.link.ready {
            if !self.ui.ever_ready {
                return Some(End::Failed(never_attached(
                    exit.as_ref(),
                    transport_end.as_ref(),
                    self.ui.link.last_message.as_deref(),
                )));
            }
            // A reconnect attempt that did not attach.
            if let Some(ExitReason::Refused(msg)) = &exit {
                // tmux answered: the session or the server is gone.
                return Some(End::Said(refusal_ending(msg)));
            }
            let why = describe(exit.as_ref().or(transport_end.as_ref()));
            self.schedule_retry(&why, now);
            return None;
        }
        match exit {
            Some(ExitReason::Exit(Some(reason))) => Some(End::Said(Ending::Said(reason))),
            Some(ExitReason::Refused(msg)) => Some(End::Said(Ending::Said(msg))),
            Some(ExitReason::Exit(None)) => {
                let model = conn.client().state();
                let others = model
                    .sessions
                    .keys()
                    .any(|id| Some(*id) != session.as_ref().map(|s| s.0));
                let recent = self
                    .ui
                    .link
                    .sessions_changed_at
                    .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1));
                let after = self.plan.after_exit(session.as_ref().map(|s| s.0));
                Some(End::Said(bare_exit(after, recent, others, session_name)))
            }
            other => {
                // The stream ended without tmux saying anything: the connection dropped.
                let why = describe(other.as_ref().or(transport_end.as_ref()));
                if self.plan.reconnect {
                    self.shown = Some(conn);
                    self.schedule_retry(&why, now);
                    return None;
                }
                Some(End::Said(
                    match self.plan.after_exit(session.as_ref().map(|s| s.0)) {
                        messages::ServerAfter::Gone => Ending::LostServer,
                        _ => Ending::Said(format!("lost connection: {why}")),
                    },
                ))
            }
        }
    }

    /// The ending after leaving on purpose.
    fn leave_ending(&self, why: Leave) -> End {
        match why {
            Leave::Signal(sig) => End::Signal(sig),
            Leave::DetachKey | Leave::TerminalGone => End::Said(Ending::Detached {
                session: self.ui.session.as_ref().and_then(|s| s.1.clone()),
            }),
        }
    }

    fn schedule_retry(&mut self, why: &str, now: Instant) {
        self.attempt += 1;
        let delay = backoff(self.attempt);
        self.retry = Some(Retry {
            attempt: self.attempt,
            at: now + delay,
        });
        self.ui.banner = Some(format!(
            "connection lost ({why}); reconnecting in {:.1}s (attempt {}); C-b d to quit",
            delay.as_secs_f64(),
            self.attempt
        ));
        self.ui.dirty_all = true;
    }

    fn reconnect(&mut self, now: Instant) {
        let Some(retry) = self.retry.take() else {
            return;
        };
        let session = self.ui.session.as_ref().map(|s| s.0);
        match self.plan.again(session) {
            Ok(t) => {
                let conn = self.connection(t);
                self.conn = Some(conn);
                self.ui.banner = Some(format!(
                    "connection lost; reconnecting (attempt {})...",
                    retry.attempt
                ));
                self.ui.dirty_all = true;
            }
            Err(e) => self.schedule_retry(&visible(format!("{e:#}").as_bytes()), now),
        }
    }

    fn draw(&mut self, now: Instant) {
        if self.terminal_gone {
            return;
        }
        // The model drawn: the current connection's once attached (or when there is no
        // other), else the last one's.
        let client = match (&self.conn, &self.shown) {
            (Some(_), Some(s)) if !self.ui.link.ready => s.client(),
            (Some(c), _) => c.client(),
            (None, Some(s)) => s.client(),
            (None, None) => return,
        };
        let Decision::Draw { hold } = self.pacer.decide(&mut self.ui, client, now) else {
            return;
        };
        let drawn = self
            .ui
            .draw(client, &hold, &mut self.out)
            .and_then(|_| self.out.flush());
        if drawn.is_err() {
            // The terminal is gone (a hangup): nobody sees anything any more.
            self.terminal_gone = true;
            self.leave(Leave::TerminalGone, now);
            return;
        }
        self.pacer.drew(!hold.is_empty(), now);
    }
}

/// Reads tmux's `mode-keys` and `word-separators` into `options` (the replies arrive later).
/// The commands are constants; the replies are only compared or kept as a character set,
/// never printed.
fn ask_options(client: &mut Client, options: &Arc<Mutex<ui::ServerOptions>>) {
    let o = options.clone();
    let _ = client.raw_command(
        "show-options -gwv mode-keys",
        Box::new(move |reply| {
            if let Some(k) = reply.lines().next().and_then(ModeKeys::parse) {
                o.lock().unwrap_or_else(|e| e.into_inner()).mode_keys = k;
            }
        }),
    );
    let o = options.clone();
    let _ = client.raw_command(
        "show-options -gv word-separators",
        Box::new(move |reply| {
            if !reply.ok {
                return;
            }
            if let Some(line) = reply.lines().next() {
                // A character set, bounded.
                let set: String = String::from_utf8_lossy(line).chars().take(256).collect();
                o.lock().unwrap_or_else(|e| e.into_inner()).word_separators = set;
            }
        }),
    );
}

/// Why a first connection never attached, for the error message (made visible).
fn never_attached(
    exit: Option<&ExitReason>,
    transport: Option<&ExitReason>,
    last_message: Option<&str>,
) -> String {
    match (exit, transport, last_message) {
        (Some(ExitReason::Refused(msg)), _, _) => format!("tmux: {}", visible(msg.as_bytes())),
        (Some(ExitReason::Exit(Some(msg))), _, _) => {
            format!("tmux: {}", visible(msg.as_bytes()))
        }
        // A transport that failed, or a child that said why it ended, explains it best.
        (_, Some(r @ (ExitReason::Transport { .. } | ExitReason::ClosedByHost)), _) => {
            visible(r.to_string().as_bytes())
        }
        (_, Some(r @ ExitReason::ProcessExited { stderr, .. }), _) if !stderr.is_empty() => {
            visible(r.to_string().as_bytes())
        }
        // `last_message` is visible already.
        (_, _, Some(m)) => format!("tmux: {m}"),
        (_, Some(r), None) => format!("could not attach: {}", visible(r.to_string().as_bytes())),
        (_, None, None) => "could not attach".into(),
    }
}

/// A reason for the status line and messages, made visible.
fn describe(reason: Option<&ExitReason>) -> String {
    match reason {
        Some(r) => visible(r.to_string().as_bytes()),
        None => "the connection ended".into(),
    }
}

/// tmux refused a reconnect: in its words, or tmux's own client's words for the usual ones.
fn refusal_ending(msg: &str) -> Ending {
    if msg.starts_with("no server running") || msg.starts_with("error connecting to") {
        Ending::ServerExited
    } else if msg.starts_with("can't find session") || msg.starts_with("no sessions") {
        Ending::Exited
    } else {
        Ending::Said(msg.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_tmux_would_say() {
        assert_eq!(
            refusal_ending("no server running on /tmp/tmux-0/x"),
            Ending::ServerExited
        );
        assert_eq!(refusal_ending("can't find session: $3"), Ending::Exited);
        assert_eq!(
            refusal_ending("access not allowed"),
            Ending::Said("access not allowed".into())
        );
        let m = never_attached(
            Some(&ExitReason::Refused("no sessions\x1b]2;x\x07".into())),
            None,
            None,
        );
        assert_eq!(m, "tmux: no sessions^[]2;x^G");
    }
}

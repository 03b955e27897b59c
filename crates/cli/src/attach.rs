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
//! `Ctrl-b` a literal `Ctrl-b`. The status line numbers windows with tmux's own indexes.
//!
//! The outer terminal's bracketed pastes go to the active pane as one paste (bracketed again
//! when the pane's program asked for it). The mouse: a click selects the pane or, on the
//! status line, the window under it; a pane that turned mouse reporting on gets the mouse
//! itself; elsewhere the wheel scrolls the pane's history (see `actions`). Every mode
//! (mouse, bracketed paste, alternate screen, raw mode, cursor) is undone on exit, on error
//! and on panic (see `outer`).
//!
//! Signals: SIGTERM, SIGHUP, SIGINT and SIGQUIT (the last two only come from `kill` here,
//! since raw mode makes Ctrl-C a key) detach from tmux, as its own client does when its
//! terminal hangs up, restore the outer terminal, say so, and end the process with the
//! signal's default action. Without an answer from tmux within [`SIGNAL_GRACE`] the
//! connection is dropped anyway.
//!
//! Threads: the main thread runs the loop, handles input and draws; one thread reads
//! standard input, one watches the terminal size and one waits for signals. They hand their
//! news over through channels and wake the loop through its `RouterHandle` (a mio waker), so
//! the loop never blocks on the terminal.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use crossterm::terminal;
use muxlink_runtime::drive::Connection;
use muxlink_runtime::mio_loop::BuiltinLoop;
use muxlink_runtime::record::Recorder;
use muxlink_runtime::router::{ClientKey, RouterHandle};
use muxlink_runtime::transport::{Action, ChildTransport, Socket, SshCommand, TmuxCommand};
use muxlink_runtime::{Client, ClientConfig, ExitReason};

mod actions;
mod escapes;
mod input;
mod mouse;
mod outer;
mod ui;

use actions::apply;
use escapes::InputSplitter;
use input::KeyReader;
use outer::TerminalGuard;
use ui::Ui;

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

/// How long a signalled `attach` waits for tmux to confirm the detach.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(2);

/// The signals that end `attach` cleanly.
const ENDING_SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGQUIT,
];

/// Runs `muxlink attach`.
pub fn run(args: AttachArgs) -> anyhow::Result<()> {
    // A terminal first: without one, start nothing (no stray session on the server).
    let (cols, rows) = terminal::size().context("reading the terminal size (not a terminal?)")?;
    // Handlers before the terminal changes: from here on a signal restores it.
    let mut signals = signal_hook::iterator::Signals::new(ENDING_SIGNALS)
        .context("installing signal handlers")?;
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

    let config = ClientConfig::default().with_size(cols.max(2), rows.saturating_sub(1).max(1));
    let mut conn = Connection::new(Client::new(config), transport);
    if let Some(path) = &args.record {
        let rec = Recorder::create(path)
            .with_context(|| format!("creating the record file {}", path.display()))?;
        conn = conn.with_recorder(rec);
    }

    let mut lp: BuiltinLoop<Ui> = BuiltinLoop::builtin().context("creating the event loop")?;
    let key = lp
        .add(conn, Ui::new(cols, rows))
        .context("creating the event loop")?;
    let (input_tx, input_rx) = mpsc::channel();
    spawn_input_thread(lp.handle(), input_tx);
    let pending: PendingResize = Arc::new(Mutex::new(None));
    spawn_resize_thread(lp.handle(), key, (cols, rows), pending.clone());
    let caught = Arc::new(AtomicI32::new(0));
    {
        let (handle, caught) = (lp.handle(), caught.clone());
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                caught.store(sig, Ordering::SeqCst);
                handle.wake();
            }
        });
    }
    // The signal that ended the session, and when it came.
    let mut signalled: Option<(i32, Instant)> = None;

    let mut splitter = InputSplitter::default();
    let mut keys = KeyReader::default();
    let mut inputs = Vec::new();
    let mut actions = Vec::new();
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut last_draw: Option<Instant> = None;
    const FRAME: Duration = Duration::from_millis(16);
    while lp.live() > 0 {
        // Idle: sleep until tmux, a key or a resize wakes the loop. Dirty but drawn less than
        // a frame ago: wake when the next draw is due; an escape sequence cut short: when
        // it is due to be taken as keys.
        let dirty = lp.host(key).is_some_and(|ui| ui.dirty);
        let draw_wait = dirty.then(|| match last_draw {
            Some(t) => FRAME.saturating_sub(t.elapsed()),
            None => Duration::ZERO,
        });
        let key_wait = splitter
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        let grace_wait = signalled.map(|(_, at)| SIGNAL_GRACE.saturating_sub(at.elapsed()));
        let wait = [draw_wait, key_wait, grace_wait]
            .into_iter()
            .flatten()
            .min();
        lp.turn(wait)?;

        match signalled {
            None => {
                let sig = caught.load(Ordering::SeqCst);
                if sig != 0 {
                    signalled = Some((sig, Instant::now()));
                    lp.with_client(key, |c, _| {
                        let _ = c.detach();
                    });
                }
            }
            // tmux did not confirm in time: leave without it (dropping the connection
            // ends the child).
            Some((_, at)) if at.elapsed() >= SIGNAL_GRACE => break,
            Some(_) => {}
        }

        // Terminal input, in order: pastes and mouse reports cut out, then the prefix key.
        let now = Instant::now();
        let mut stdin_closed = false;
        while let Ok(read) = input_rx.try_recv() {
            match read {
                Some(bytes) => splitter.feed(&bytes, now, &mut inputs),
                None => stdin_closed = true,
            }
        }
        splitter.expire(now, &mut inputs);
        for i in inputs.drain(..) {
            keys.push(i, &mut actions);
        }
        if !actions.is_empty() || stdin_closed {
            lp.with_client(key, |c, ui| {
                for a in actions.drain(..) {
                    apply(c, ui, a);
                }
                if stdin_closed {
                    // The terminal is gone: nobody can type `Ctrl-b d` any more.
                    let _ = c.detach();
                }
            });
        }

        let resized = pending.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let (Some((c, r)), Some(ui)) = (resized, lp.host_mut(key)) {
            ui.resize(c, r);
        }
        // At most ~60 draws a second; a flood coalesces.
        let due = match last_draw {
            Some(t) => t.elapsed() >= FRAME,
            None => true,
        };
        if lp.host(key).is_some_and(|ui| ui.dirty) && due {
            if let Some(drawn) = lp.with_client(key, |c, ui| ui.draw(c, &mut out)) {
                drawn?;
            }
            out.flush()?;
            last_draw = Some(Instant::now());
        }
    }
    let (conn, ui) = lp
        .remove(key)
        .context("the event loop lost the connection")?;
    drop(lp);
    drop(guard);
    if let Some((sig, _)) = signalled {
        drop(conn);
        let name = signal_hook::low_level::signal_name(sig).unwrap_or("a signal");
        // Not `eprintln!`: after a hangup the terminal is gone and that would panic.
        let _ = writeln!(io::stderr(), "[detached: {name}]");
        // End as the signal would have: the caller sees a death by signal.
        let _ = signal_hook::low_level::emulate_default_handler(sig);
        std::process::exit(128 + sig);
    }
    let transport_end = conn.exit_reason().cloned();
    if !ui.ready {
        // Never attached: say why, as an error (exit status 1).
        let detail = ui.last_message.clone();
        if let Some(ExitReason::Refused(msg)) = &ui.exit {
            anyhow::bail!("tmux: {msg}");
        }
        // A transport that failed, or a child that said why it ended, explains it best.
        let transport_says = match &transport_end {
            Some(ExitReason::ProcessExited { stderr, .. }) => !stderr.is_empty(),
            Some(ExitReason::Transport { .. } | ExitReason::ClosedByHost) => true,
            _ => false,
        };
        match (&transport_end, detail) {
            (Some(r), _) if transport_says => anyhow::bail!("{r}"),
            (_, Some(m)) => anyhow::bail!("tmux: {m}"),
            (Some(r), None) => anyhow::bail!("could not attach: {r}"),
            (None, None) => anyhow::bail!("could not attach"),
        }
    }
    // tmux's own reason (`%exit detached`, `server exited`) first, else the transport's.
    if let Some(r) = ui.exit.as_ref().or(transport_end.as_ref()) {
        // The terminal may be gone (its input ended): a failed write is no error.
        let _ = writeln!(io::stderr(), "[{r}]");
    }
    Ok(())
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

/// Reads standard input and hands each read to the main thread (`None`: end of input),
/// waking the loop.
fn spawn_input_thread(handle: RouterHandle, tx: mpsc::Sender<Option<Vec<u8>>>) {
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = [0u8; 4096];
        loop {
            let read = match stdin.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => Some(buf[..n].to_vec()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => None,
            };
            let end = read.is_none();
            if tx.send(read).is_err() || end {
                handle.wake();
                return;
            }
            handle.wake();
        }
    });
}

fn spawn_resize_thread(
    handle: RouterHandle,
    key: ClientKey,
    mut last: (u16, u16),
    pending: PendingResize,
) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(100));
        let Ok(size) = terminal::size() else {
            continue;
        };
        if size != last {
            last = size;
            let (cols, rows) = size;
            *pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(size);
            let sent = handle.submit(key, move |c, _h| {
                let _ = c.set_client_size(cols.max(2), rows.saturating_sub(1).max(1));
            });
            if sent.is_err() {
                return;
            }
        }
    });
}

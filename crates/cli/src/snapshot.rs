//! `muxlink snapshot [-L NAME|-S PATH] [-t SESSION] [--follow MS] [--json]`: attaches to a
//! live server read-only (`ignore-size,read-only`: no size change, nothing typed), syncs
//! every pane, optionally keeps applying live output until MS milliseconds pass with none,
//! prints the state document and detaches.
//!
//! It drives the sans-I/O client with a small blocking loop over a `tmux -C attach` child (a
//! reader thread feeding a channel), which is all a one-shot command needs.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use muxlink_runtime::{state_json, Client, ClientConfig, ClientEvent, ExitReason, Frame, Host};

/// Arguments of `muxlink snapshot [-L NAME|-S PATH] [-t SESSION] [--follow MS] [--json]`.
#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// tmux socket name (as `tmux -L`).
    #[arg(short = 'L', conflicts_with = "socket_path")]
    pub socket_name: Option<String>,
    /// tmux socket path (as `tmux -S`).
    #[arg(short = 'S')]
    pub socket_path: Option<std::path::PathBuf>,
    /// Target session.
    #[arg(short = 't')]
    pub target: Option<String>,
    /// Keep applying live output until this many milliseconds pass with none.
    #[arg(long, value_name = "MS")]
    pub follow: Option<u64>,
    /// Print the state document as JSON.
    #[arg(long)]
    pub json: bool,
    /// Scrollback lines captured per pane.
    #[arg(long, default_value_t = 2000)]
    pub history_limit: usize,
    /// Give up if the server has not answered within this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
}

#[derive(Default)]
struct SnapHost {
    ready: bool,
    exited: Option<ExitReason>,
    degraded: Option<String>,
}

impl Host for SnapHost {
    fn on_frame(&mut self, _frame: &Frame<'_>) {}
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        match event {
            ClientEvent::Ready => self.ready = true,
            ClientEvent::Exited { reason } => self.exited = Some((*reason).clone()),
            ClientEvent::Degraded { version, message } => {
                self.degraded = Some(format!("tmux {version}: {message}"))
            }
            _ => {}
        }
    }
}

/// Runs `muxlink snapshot`.
pub fn run(args: SnapshotArgs) -> anyhow::Result<()> {
    let mut cmd = Command::new("tmux");
    if let Some(name) = &args.socket_name {
        cmd.arg("-L").arg(name);
    }
    if let Some(path) = &args.socket_path {
        cmd.arg("-S").arg(path);
    }
    cmd.args(["-C", "attach-session", "-r"]);
    if let Some(t) = &args.target {
        cmd.arg("-t").arg(t);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().context("cannot start tmux")?;
    let mut stdin = child.stdin.take().context("tmux stdin")?;
    let mut stdout = child.stdout.take().context("tmux stdout")?;
    let (tx, rx) = channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });

    let mut client = Client::new(ClientConfig {
        read_only: true,
        history_limit: args.history_limit,
        ..ClientConfig::default()
    });
    let mut host = SnapHost::default();
    let timeout = Duration::from_millis(args.timeout);
    let started = Instant::now();
    let mut last_output = Instant::now();
    let mut eof = false;
    let mut detached = false;
    let mut printed = false;
    loop {
        let out = client.outgoing();
        if !out.is_empty() {
            let n = out.len();
            stdin.write_all(out).context("writing to tmux")?;
            stdin.flush().ok();
            client.consume_outgoing(n);
        }
        if host.ready && !printed {
            let quiet_enough = match args.follow {
                None => true,
                Some(ms) => last_output.elapsed() >= Duration::from_millis(ms),
            };
            if quiet_enough {
                print_state(&client, args.json)?;
                printed = true;
                client.detach().ok();
                detached = true;
                continue;
            }
        }
        if eof || client.is_closed() {
            break;
        }
        if !host.ready && started.elapsed() > timeout {
            let _ = child.kill();
            bail!("tmux did not answer within {} ms", args.timeout);
        }
        if detached && started.elapsed() > timeout + Duration::from_secs(5) {
            break;
        }
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(Some(bytes)) => {
                let now = Instant::now();
                client.receive(&bytes, now, &mut host);
                while let Ok(Some(more)) = rx.try_recv() {
                    client.receive(&more, now, &mut host);
                }
                client.flush_frames(now, &mut host);
                if host.ready {
                    last_output = Instant::now();
                }
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                eof = true;
                client.on_eof(ExitReason::Eof, &mut host);
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    drop(stdin);
    let status = child.wait().ok();
    if !printed {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let err = err.trim();
        if err.is_empty() {
            bail!("tmux exited before the snapshot was taken ({status:?})");
        }
        bail!("tmux: {err}");
    }
    if let Some(d) = host.degraded {
        eprintln!("muxlink: snapshot: {d}");
    }
    Ok(())
}

fn print_state(client: &Client, json: bool) -> anyhow::Result<()> {
    let text = if json {
        let mut s = serde_json::to_string_pretty(&state_json::state_document(client.state()))?;
        s.push('\n');
        s
    } else {
        state_json::state_text(client.state())
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

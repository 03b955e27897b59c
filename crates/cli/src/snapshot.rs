//! `muxlink snapshot [-L NAME|-S PATH] [-t SESSION] [--follow MS] [--json] [--tmux PROGRAM]
//! [--bytes DIR]`: attaches to a live server read-only (`ignore-size,read-only`: no size
//! change, nothing typed), syncs every pane, optionally keeps applying live output until MS
//! milliseconds pass with none, prints the state document and detaches.
//!
//! It runs the client on the built-in loop (the runtime's router over mio) over a
//! `tmux -C attach-session -r` child.
//!
//! Faults end it cleanly: `--timeout` bounds the whole run (a `--follow` that never goes
//! quiet prints what it has at the limit, saying so on stderr); a server that dies after
//! panes were synced still gets its state printed, marked `"incomplete": true`, with exit
//! status 1; and the `tmux -C` child is killed and reaped before the program exits,
//! whatever happened.
//!
//! `--bytes DIR` runs the client in bytes mode and writes, per pane, `DIR/N.vt` (N: the
//! pane's number): exactly the bytes a bytes-mode host receives for it, the rebuild
//! sequence and then the output that arrived before the snapshot ended.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use muxlink_runtime::drive::Connection;
use muxlink_runtime::mio_loop::BuiltinLoop;
use muxlink_runtime::transport::{ChildTransport, Socket, TmuxCommand};
use muxlink_runtime::{Client, ClientConfig, ClientEvent, ExitReason, Host, OutputMode, PaneId};

use crate::state;

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
    /// Give up if the server has not answered within this many milliseconds; with
    /// `--follow`, also the longest the output is followed.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
    /// The tmux program to run (default: `tmux` on PATH).
    #[arg(long, value_name = "PROGRAM", default_value = "tmux")]
    pub tmux: std::ffi::OsString,
    /// Write each pane's bytes-mode bytes (rebuild sequence, then output) to DIR/N.vt.
    #[arg(long, value_name = "DIR")]
    pub bytes: Option<std::path::PathBuf>,
}

#[derive(Default)]
struct SnapHost {
    ready: bool,
    exited: Option<ExitReason>,
    degraded: Option<String>,
    /// Bytes mode: each pane's bytes as a host receives them (rebuild, then output).
    bytes: std::collections::BTreeMap<PaneId, Vec<u8>>,
    /// Panes read at least once (the state is worth printing when tmux dies).
    synced: usize,
}

impl Host for SnapHost {
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        match event {
            ClientEvent::Ready => self.ready = true,
            ClientEvent::Exited { reason } => self.exited = Some((*reason).clone()),
            ClientEvent::Degraded { version, message } => {
                self.degraded = Some(format!("tmux {version}: {message}"))
            }
            ClientEvent::PaneReset { pane, rebuild, .. } => {
                // A later rebuild replaces everything before it, as for a host.
                let b = self.bytes.entry(*pane).or_default();
                b.clear();
                b.extend_from_slice(rebuild);
                self.synced += 1;
            }
            ClientEvent::PaneBytes { pane, bytes } => {
                if let Some(b) = self.bytes.get_mut(pane) {
                    b.extend_from_slice(bytes);
                }
            }
            ClientEvent::FrameReady { .. } => self.synced += 1,
            _ => {}
        }
    }

    fn on_frame(&mut self, _frame: &muxlink_runtime::Frame<'_>) {
        self.synced += 1;
    }
}

/// How the run ended.
enum End {
    /// Printed in time.
    Printed,
    /// `--follow` reached `--timeout` with output still coming: printed as of then.
    PrintedStillBusy,
    /// tmux ended first.
    Ended,
    /// tmux never answered within `--timeout`.
    TimedOut,
}

/// Runs `muxlink snapshot`.
pub fn run(args: SnapshotArgs) -> anyhow::Result<()> {
    let r = snapshot(&args);
    // The child is ours: never left running, whatever happened above.
    muxlink_runtime::drive::finish_children(Duration::from_secs(2));
    r
}

fn snapshot(args: &SnapshotArgs) -> anyhow::Result<()> {
    let socket = match (&args.socket_name, &args.socket_path) {
        (Some(n), _) => Socket::Name(n.clone()),
        (None, Some(p)) => Socket::Path(p.clone()),
        (None, None) => Socket::Default,
    };
    if let Some(dir) = &args.bytes {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut cmd = TmuxCommand::attach(args.target.clone())
        .program(args.tmux.clone())
        .socket(socket)
        .to_command();
    cmd.arg("-r"); // a read-only client from the first byte on
    let transport = ChildTransport::spawn(cmd).context("cannot start tmux")?;
    let mode = if args.bytes.is_some() {
        OutputMode::Bytes
    } else {
        OutputMode::Grid
    };
    let client = Client::new(
        ClientConfig::default()
            .with_read_only(true)
            .with_history_limit(args.history_limit)
            .with_output_mode(mode)
            // A server that dies mid-snapshot leaves what was synced to print.
            .with_keep_state_on_exit(true),
    );
    let mut lp: BuiltinLoop<SnapHost> = BuiltinLoop::builtin().context("event loop")?;
    let key = lp
        .add(Connection::new(client, transport), SnapHost::default())
        .context("event loop")?;
    let timeout = Duration::from_millis(args.timeout);
    let started = Instant::now();
    let mut seen = 0u64;
    let mut last_output = Instant::now();
    let mut end = End::Ended;
    while lp.live() > 0 {
        lp.turn(Some(Duration::from_millis(20)))
            .context("event loop")?;
        let bytes = lp.connection(key).map_or(seen, |c| c.stats().bytes_in);
        if bytes != seen {
            seen = bytes;
            last_output = Instant::now();
        }
        let ready = lp.host(key).is_some_and(|h| h.ready);
        let late = started.elapsed() > timeout;
        if ready {
            let quiet = args
                .follow
                .is_none_or(|ms| last_output.elapsed() >= Duration::from_millis(ms));
            if quiet || late {
                end = if quiet {
                    End::Printed
                } else {
                    End::PrintedStillBusy
                };
                break;
            }
        } else if late {
            end = End::TimedOut;
            break;
        }
    }
    let (mut conn, mut host) = lp.remove(key).context("event loop")?;
    // Detach politely when tmux is still there; the connection's close ends the child
    // (the reaper kills it if it lingers; `run` waits for that).
    if matches!(end, End::Printed | End::PrintedStillBusy) {
        let _ = conn.client_mut().detach();
        let _ = conn.flush_writes();
    }
    conn.close(Instant::now(), &mut host);
    let incomplete = matches!(end, End::Ended | End::TimedOut);
    match end {
        End::Printed => {}
        End::PrintedStillBusy => eprintln!(
            "muxlink: snapshot: output did not stop for {} ms within --timeout {} ms; \
             state as of then",
            args.follow.unwrap_or(0),
            args.timeout
        ),
        End::TimedOut if host.synced == 0 => {
            bail!("tmux did not answer within {} ms", args.timeout)
        }
        End::TimedOut => {}
        End::Ended if host.synced == 0 => {
            // tmux's own words (`%exit` reason, refused startup command) before the
            // transport's.
            let why = match (&host.exited, conn.exit_reason()) {
                (Some(r @ (ExitReason::Refused(_) | ExitReason::Exit(Some(_)))), _) => {
                    r.to_string()
                }
                (_, Some(r)) => r.to_string(),
                (Some(r), None) => r.to_string(),
                (None, None) => "no reason given".into(),
            };
            bail!("tmux ended before the snapshot was taken: {why}");
        }
        End::Ended => {}
    }
    print_state(conn.client(), args.json, incomplete)?;
    if let Some(dir) = &args.bytes {
        write_bytes(dir, &host.bytes)?;
    }
    if let Some(d) = host.degraded {
        eprintln!("muxlink: snapshot: {}", crate::visible::visible(&d));
    }
    match end {
        End::Ended => bail!(
            "tmux ended before every pane was synced: the state printed is incomplete ({})",
            conn.exit_reason()
                .or(host.exited.as_ref())
                .map_or("no reason given".into(), |r| r.to_string())
        ),
        End::TimedOut => bail!(
            "tmux did not finish within {} ms: the state printed is incomplete",
            args.timeout
        ),
        _ => Ok(()),
    }
}

/// Writes `DIR/N.vt` per pane.
fn write_bytes(
    dir: &std::path::Path,
    panes: &std::collections::BTreeMap<PaneId, Vec<u8>>,
) -> anyhow::Result<()> {
    for (pane, bytes) in panes {
        let path = dir.join(format!("{}.vt", pane.0));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn print_state(client: &Client, json: bool, incomplete: bool) -> anyhow::Result<()> {
    let text = if json {
        let mut doc = state::state_document(client.state());
        if incomplete {
            doc["incomplete"] = serde_json::Value::Bool(true);
        }
        let mut s = serde_json::to_string_pretty(&doc)?;
        s.push('\n');
        s
    } else {
        let mut s = state::state_text(client.state());
        if incomplete {
            s.push_str("(incomplete: tmux ended before every pane was synced)\n");
        }
        s
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

//! `muxlink snapshot [-L NAME|-S PATH] [-t SESSION] [--follow MS] [--json]`: attaches to a
//! live server read-only (`ignore-size,read-only`: no size change, nothing typed), syncs
//! every pane, optionally keeps applying live output until MS milliseconds pass with none,
//! prints the state document and detaches.
//!
//! It runs the client on the built-in loop (the runtime's router over mio) over a
//! `tmux -C attach-session -r` child.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use muxlink_runtime::drive::Connection;
use muxlink_runtime::mio_loop::BuiltinLoop;
use muxlink_runtime::transport::{ChildTransport, Socket, TmuxCommand};
use muxlink_runtime::{Client, ClientConfig, ClientEvent, ExitReason, Host};

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
    let socket = match (&args.socket_name, &args.socket_path) {
        (Some(n), _) => Socket::Name(n.clone()),
        (None, Some(p)) => Socket::Path(p.clone()),
        (None, None) => Socket::Default,
    };
    let mut cmd = TmuxCommand::attach(args.target.clone())
        .socket(socket)
        .to_command();
    cmd.arg("-r"); // a read-only client from the first byte on
    let transport = ChildTransport::spawn(cmd).context("cannot start tmux")?;
    let client = Client::new(
        ClientConfig::default()
            .with_read_only(true)
            .with_history_limit(args.history_limit),
    );
    let mut lp: BuiltinLoop<SnapHost> = BuiltinLoop::builtin().context("event loop")?;
    let key = lp
        .add(Connection::new(client, transport), SnapHost::default())
        .context("event loop")?;
    let timeout = Duration::from_millis(args.timeout);
    let started = Instant::now();
    let mut seen = 0u64;
    let mut last_output = Instant::now();
    let mut printed = false;
    while lp.live() > 0 {
        lp.turn(Some(Duration::from_millis(20)))
            .context("event loop")?;
        let bytes = lp.connection(key).map_or(seen, |c| c.stats().bytes_in);
        if bytes != seen {
            seen = bytes;
            last_output = Instant::now();
        }
        let ready = lp.host(key).is_some_and(|h| h.ready);
        if ready && !printed {
            let quiet = args
                .follow
                .is_none_or(|ms| last_output.elapsed() >= Duration::from_millis(ms));
            if quiet {
                if let Some(conn) = lp.connection(key) {
                    print_state(conn.client(), args.json)?;
                }
                printed = true;
                lp.with_client(key, |c, _| {
                    let _ = c.detach();
                });
            }
        }
        let limit = if printed {
            timeout + Duration::from_secs(5)
        } else {
            timeout
        };
        if started.elapsed() > limit {
            if printed {
                break;
            }
            lp.close(key);
            bail!("tmux did not answer within {} ms", args.timeout);
        }
    }
    let (mut conn, mut host) = lp.remove(key).context("event loop")?;
    conn.close(Instant::now(), &mut host);
    if !printed {
        // tmux's own words (`%exit` reason, refused startup command) before the transport's.
        let why = match (&host.exited, conn.exit_reason()) {
            (Some(r @ (ExitReason::Refused(_) | ExitReason::Exit(Some(_)))), _) => r.to_string(),
            (_, Some(r)) => r.to_string(),
            (Some(r), None) => r.to_string(),
            (None, None) => "no reason given".into(),
        };
        bail!("tmux ended before the snapshot was taken: {why}");
    }
    if let Some(d) = host.degraded {
        eprintln!("muxlink: snapshot: {d}");
    }
    Ok(())
}

fn print_state(client: &Client, json: bool) -> anyhow::Result<()> {
    let text = if json {
        let mut s = serde_json::to_string_pretty(&state::state_document(client.state()))?;
        s.push('\n');
        s
    } else {
        state::state_text(client.state())
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

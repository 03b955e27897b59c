//! `muxlink replay --size COLSxROWS [--json] FILE|-`: decodes a recorded `tmux -C` stdout
//! through the whole session model and prints the final state.

use std::io::{Read, Write};
use std::time::Instant;

use clap::Args;
use muxlink_runtime::{Client, ClientConfig, ClientEvent, Host};

use crate::state;

/// Arguments of `muxlink replay --size COLSxROWS [--json] FILE|-`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Client size, COLSxROWS, until a layout says otherwise.
    #[arg(long, value_parser = crate::emulate::parse_size)]
    pub size: (u16, u16),
    /// Scrollback lines kept per pane (tmux's default).
    #[arg(long, default_value_t = 2000)]
    pub history_limit: usize,
    /// Print the state document as JSON.
    #[arg(long)]
    pub json: bool,
    /// The recorded `tmux -C` stdout, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Counts protocol problems so they can be reported on stderr.
#[derive(Default)]
struct ReplayHost {
    errors: u64,
}

impl Host for ReplayHost {
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        if let ClientEvent::ProtocolError { error, line } = event {
            self.errors += 1;
            if self.errors <= 20 {
                eprintln!(
                    "muxlink: replay: {error}: {}",
                    String::from_utf8_lossy(&line[..line.len().min(200)])
                );
            }
        }
    }
}

/// Runs `muxlink replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let (cols, rows) = args.size;
    let mut client = Client::new(
        ClientConfig::replay()
            .with_size(cols, rows)
            .with_history_limit(args.history_limit),
    );
    let mut input = crate::open_input(&args.input)?;
    let mut host = ReplayHost::default();
    let mut buf = vec![0u8; 64 * 1024];
    let now = Instant::now();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        client.receive(&buf[..n], now, &mut host);
        client.flush_frames(now, &mut host);
    }
    let out = if args.json {
        let mut s = serde_json::to_string_pretty(&state::state_document(client.state()))?;
        s.push('\n');
        s
    } else {
        state::state_text(client.state())
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

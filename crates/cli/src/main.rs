//! `muxlink`: the command line of muxlink.
//!
//! `parse` and `emulate` are thin front ends over `muxlink-proto` and `muxlink-term`;
//! `replay`, `snapshot` and `attach` drive the session model in `muxlink-runtime`. Every
//! subcommand module exposes `run(args) -> anyhow::Result<()>` and owns its own clap
//! argument struct.

mod attach;
mod emulate;
mod json;
mod parse;
mod replay;
mod snapshot;
mod state;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Native tmux integration through control mode: decode, emulate, replay and attach.
#[derive(Parser)]
#[command(name = "muxlink", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a control-mode stream into one JSON object per event (JSON Lines).
    Parse(parse::ParseArgs),
    /// Feed raw pane output to one emulator and print the final screen.
    Emulate(emulate::EmulateArgs),
    /// Decode a recorded `tmux -C` stdout through the session model and print the final state.
    Replay(replay::ReplayArgs),
    /// Attach read-only to a live tmux server, sync every pane, print the state, detach.
    Snapshot(snapshot::SnapshotArgs),
    /// The interactive client.
    Attach(attach::AttachArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Emulate(args) => emulate::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Attach(args) => attach::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A reader that went away (`muxlink parse big | head`) is not a failure.
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Not `eprintln!`, which panics when standard error is gone.
            let _ = writeln!(std::io::stderr(), "muxlink: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens FILE, or standard input for `-`, as an unbuffered reader (callers read in chunks).
pub(crate) fn open_input(path: &str) -> anyhow::Result<Box<dyn std::io::Read>> {
    use anyhow::Context;
    if path == "-" {
        Ok(Box::new(std::io::stdin().lock()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
        Ok(Box::new(file))
    }
}

/// Whether the error chain holds an `EPIPE` from writing to stdout.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

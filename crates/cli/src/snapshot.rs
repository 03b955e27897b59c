//! `muxlink snapshot` (placeholder: the runtime engineer replaces this file entirely).

use clap::Args;

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
}

/// Runs `muxlink snapshot`.
pub fn run(_args: SnapshotArgs) -> anyhow::Result<()> {
    anyhow::bail!("snapshot: not implemented yet")
}

//! How `muxlink attach` reaches tmux, the first time and again after the connection dropped,
//! and how it asks a local server what became of a session.
//!
//! Reconnecting attaches to the session by its id (`-t '$N'`: an integer from the model,
//! never a name from tmux), so a session renamed meanwhile is still found. Attempts back off
//! from [`FIRST_RETRY`] doubling to [`MAX_RETRY`] and go on until one attaches, tmux itself
//! answers that the session or the server is gone, or the person detaches.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use muxlink_runtime::transport::{Action, ChildTransport, Socket, SshCommand, TmuxCommand};
use muxlink_runtime::SessionId;

use super::messages::ServerAfter;

/// The wait before the first reconnect attempt.
pub(super) const FIRST_RETRY: Duration = Duration::from_millis(250);
/// The longest wait between attempts.
pub(super) const MAX_RETRY: Duration = Duration::from_secs(10);

/// The wait before attempt `n` (1-based).
pub(super) fn backoff(attempt: u32) -> Duration {
    let shift = attempt.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << shift).min(MAX_RETRY)
}

/// Everything needed to start a `tmux -C` client, locally or over ssh.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) socket: Socket,
    pub(super) target: Option<String>,
    pub(super) ssh: Option<String>,
    pub(super) ssh_program: Option<String>,
    pub(super) tmux: Option<OsString>,
    pub(super) config: Option<PathBuf>,
    /// Reconnect when the connection drops while the server lives on.
    pub(super) reconnect: bool,
}

impl Plan {
    /// Whether tmux runs on this machine (so its server can be asked directly).
    pub(super) fn is_local(&self) -> bool {
        self.ssh.is_none()
    }

    fn tmux_command(&self, action: Action) -> TmuxCommand {
        let mut tmux = TmuxCommand::with_action(action).socket(self.socket.clone());
        if let Some(p) = &self.tmux {
            tmux = tmux.program(p);
        }
        if let Some(f) = &self.config {
            tmux = tmux.config_file(f);
        }
        tmux
    }

    fn spawn(&self, action: Action) -> anyhow::Result<ChildTransport> {
        let tmux = self.tmux_command(action);
        Ok(match &self.ssh {
            Some(host) => {
                let mut ssh = SshCommand::new(host.clone()).remote_tmux(&tmux);
                if let Some(p) = &self.ssh_program {
                    ssh = ssh.program(p);
                }
                ChildTransport::spawn_ssh(&ssh)?
            }
            None => ChildTransport::spawn_tmux(&tmux).context("cannot start tmux")?,
        })
    }

    /// The first connection: attach to the target (creating it when it is missing and the
    /// server runs here), or start a server with a new session when none runs here.
    pub(super) fn first(&self) -> anyhow::Result<ChildTransport> {
        let action = if self.ssh.is_some() {
            match &self.target {
                Some(t) => Action::AttachOrNew { name: t.clone() },
                None => Action::Attach { target: None },
            }
        } else {
            match (&self.target, self.server_has_sessions()) {
                (Some(t), true) => Action::AttachOrNew { name: t.clone() },
                (None, true) => Action::Attach { target: None },
                (t, false) => Action::New { name: t.clone() },
            }
        };
        self.spawn(action)
    }

    /// A later connection: attach to `session` (by id) or, not knowing it, to the target.
    pub(super) fn again(&self, session: Option<SessionId>) -> anyhow::Result<ChildTransport> {
        let target = session
            .map(|s| s.to_string())
            .or_else(|| self.target.clone());
        self.spawn(Action::Attach { target })
    }

    fn list_command(&self) -> Command {
        let mut c = Command::new(self.tmux.clone().unwrap_or_else(|| "tmux".into()));
        match &self.socket {
            Socket::Default => {}
            Socket::Name(n) => {
                c.arg("-L").arg(n);
            }
            Socket::Path(p) => {
                c.arg("-S").arg(p);
            }
        }
        c.args(["list-sessions", "-F", "#{session_id}"])
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    /// The session ids a local server lists; `None` when no server answers (or the server
    /// is remote).
    fn local_sessions(&self) -> Option<Vec<SessionId>> {
        if !self.is_local() {
            return None;
        }
        let out = self.list_command().output().ok()?;
        if !out.status.success() {
            return None;
        }
        Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| SessionId::parse(l.as_bytes()))
                .collect(),
        )
    }

    /// Whether a server answers on the socket with at least one session (local only).
    fn server_has_sessions(&self) -> bool {
        self.local_sessions().is_some_and(|s| !s.is_empty())
    }

    /// What became of `session` (asked of a local server; remote ones are not asked).
    pub(super) fn after_exit(&self, session: Option<SessionId>) -> ServerAfter {
        if !self.is_local() {
            return ServerAfter::Unknown;
        }
        match (self.local_sessions(), session) {
            (None, _) => ServerAfter::Gone,
            (Some(ids), Some(s)) if ids.contains(&s) => ServerAfter::SessionThere,
            (Some(_), Some(_)) => ServerAfter::SessionGone,
            (Some(_), None) => ServerAfter::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(4), Duration::from_secs(2));
        assert_eq!(backoff(7), MAX_RETRY);
        assert_eq!(backoff(1000), MAX_RETRY);
    }
}

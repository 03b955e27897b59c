//! Why a client or a transport ended.

use std::io;

/// Which way bytes were moving when a transport failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoOp {
    /// Reading tmux's output.
    Read,
    /// Writing commands to tmux.
    Write,
}

/// Why the client (or its transport) closed. Grows with new ways to end, so matches need a
/// wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExitReason {
    /// tmux sent `%exit`, with its reason when it gave one (`detached`, `server exited`, ...),
    /// raw text from tmux (control characters included: escape it before showing it).
    Exit(Option<String>),
    /// tmux refused the command it was started with (`attach-session`, `new-session`) and
    /// exited: tmux's own message (`no sessions`, `can't find session: x`, ...).
    Refused(String),
    /// The transport reached end of file without `%exit` (pipe closed).
    Eof,
    /// The child process (tmux or ssh) ended.
    ProcessExited {
        /// The program's name (`tmux`, `ssh`, ...), for messages; empty when unknown.
        program: String,
        /// Its exit status, when it exited by itself.
        code: Option<i32>,
        /// The signal that ended it, when one did (`None` on systems without signals or
        /// when unknown).
        signal: Option<i32>,
        /// What it wrote to standard error (trimmed, at most
        /// [`crate::transport::STDERR_LIMIT`] bytes, invalid UTF-8 replaced).
        stderr: String,
    },
    /// Reading or writing the transport failed.
    Transport {
        /// What the client was doing.
        op: IoOp,
        /// The error's kind.
        kind: io::ErrorKind,
        /// The operating system's error number, when there was one.
        os_error: Option<i32>,
    },
    /// The host closed the connection ([`crate::drive::Connection::close`]).
    ClosedByHost,
}

impl ExitReason {
    /// A child process that ended with `code` (`None`: killed), with nothing on standard
    /// error; for hosts that run tmux themselves (host-fed mode).
    pub fn process_exited(program: impl Into<String>, code: Option<i32>) -> Self {
        ExitReason::ProcessExited {
            program: program.into(),
            code,
            signal: None,
            stderr: String::new(),
        }
    }

    /// A failed read or write, keeping the error's kind and number.
    pub fn transport(op: IoOp, error: &io::Error) -> Self {
        ExitReason::Transport {
            op,
            kind: error.kind(),
            os_error: error.raw_os_error(),
        }
    }
}

impl std::fmt::Display for ExitReason {
    /// One line for a person: tmux's own words when it gave some (raw: escape control
    /// characters before writing it to a terminal).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::Exit(Some(s)) | ExitReason::Refused(s) => f.write_str(s),
            ExitReason::Exit(None) => f.write_str("tmux exited"),
            ExitReason::Eof => f.write_str("the control stream ended"),
            ExitReason::ProcessExited {
                program,
                code,
                signal,
                stderr,
            } => {
                let program = if program.is_empty() { "tmux" } else { program };
                match (code, signal) {
                    (Some(0), _) => write!(f, "{program} exited")?,
                    (Some(c), _) => write!(f, "{program} exited with status {c}")?,
                    (None, Some(s)) => write!(f, "{program} was killed by signal {s}")?,
                    (None, None) => write!(f, "{program} was killed")?,
                }
                if !stderr.is_empty() {
                    write!(f, ": {stderr}")?;
                }
                Ok(())
            }
            ExitReason::Transport { op, kind, os_error } => {
                let what = match op {
                    IoOp::Read => "reading from tmux failed",
                    IoOp::Write => "writing to tmux failed",
                };
                match os_error {
                    Some(n) => write!(f, "{what}: {}", io::Error::from_raw_os_error(*n)),
                    None => write!(f, "{what}: {}", io::Error::from(*kind)),
                }
            }
            ExitReason::ClosedByHost => f.write_str("closed by the host"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_says_who_and_why() {
        let ssh = ExitReason::ProcessExited {
            program: "ssh".into(),
            code: Some(255),
            signal: None,
            stderr: "ssh: connect to host nowhere port 22: Connection refused".into(),
        };
        assert_eq!(
            ssh.to_string(),
            "ssh exited with status 255: ssh: connect to host nowhere port 22: Connection refused"
        );
        assert_eq!(
            ExitReason::process_exited("", None).to_string(),
            "tmux was killed"
        );
        let e = io::Error::from_raw_os_error(5);
        let t = ExitReason::transport(IoOp::Read, &e);
        assert_eq!(
            t,
            ExitReason::Transport {
                op: IoOp::Read,
                kind: e.kind(),
                os_error: Some(5)
            }
        );
        assert!(
            t.to_string().starts_with("reading from tmux failed: "),
            "{t}"
        );
        assert_eq!(ExitReason::ClosedByHost.to_string(), "closed by the host");
    }
}

//! Transports: how bytes get to and from a tmux in control mode.
//!
//! - [`TmuxCommand`] builds a local `tmux -C` command line (socket name or path, config file,
//!   new session or attach).
//! - [`SshCommand`] wraps a remote `tmux -C` in `ssh HOST -- ...` (the program and the remote
//!   command are configurable; every word is quoted for the remote shell).
//! - [`ChildTransport`] runs either as a child process, captures its standard error for error
//!   messages, and always reaps it (in the background when it lingers: nothing blocks).
//!
//! The host-fed transport (no process at all) lives in [`crate::hostfed`].
//!
//! # SIGPIPE
//!
//! Writing to a pipe whose reader has gone raises `SIGPIPE`, which kills a process that has
//! not ignored it (Rust programs ignore it; C hosts often do not). So the child's standard
//! input is not a pipe but one end of a Unix socket pair, and [`ChildTransport::write`]
//! sends with `MSG_NOSIGNAL` (`SO_NOSIGPIPE` on Apple systems): a write to a tmux that died
//! fails with `BrokenPipe` and raises no signal. The library installs no signal handler and
//! changes no signal disposition. Writes it does not make are the host's business: a custom
//! [`crate::drive::Transport`], or a host-fed host writing to its PTY, must ignore
//! `SIGPIPE` or write with `MSG_NOSIGNAL` itself.
//!
//! Nothing here is Linux-only: standard output and error are `std::process` pipes made
//! non-blocking through mio's portable `unix::pipe` types, and file descriptors are exposed
//! as [`std::os::fd`] handles.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use mio::unix::pipe::Receiver;

use crate::exit::ExitReason;

/// How much of a child's standard error is kept for error messages.
pub const STDERR_LIMIT: usize = 8 * 1024;

/// Why a transport could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The program could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program name.
        program: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A pipe could not be set up (made non-blocking).
    #[error("cannot set up the pipes to {program}: {source}")]
    Pipe {
        /// The program name.
        program: String,
        /// The underlying error.
        source: io::Error,
    },
}

/// Which tmux server to talk to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Socket {
    /// tmux's default socket (no `-L`/`-S`).
    #[default]
    Default,
    /// A socket name in tmux's socket directory (`-L NAME`).
    Name(String),
    /// A socket path (`-S PATH`).
    Path(PathBuf),
}

/// What the control client does once connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `attach-session [-t TARGET]`: fails when there is no server or no such session.
    Attach {
        /// The session to attach to; tmux's choice when `None`.
        target: Option<String>,
    },
    /// `new-session [-s NAME]`: starts the server when needed.
    New {
        /// The new session's name; tmux's choice when `None`.
        name: Option<String>,
    },
    /// `new-session -A -s NAME`: attach to `NAME` if it exists, else create it (starting the
    /// server when needed).
    AttachOrNew {
        /// The session name.
        name: String,
    },
}

/// A local `tmux -C ...` command line.
///
/// ```
/// use muxlink_runtime::transport::{TmuxCommand, Socket};
/// let cmd = TmuxCommand::attach(Some("main".into())).socket(Socket::Name("work".into()));
/// assert_eq!(cmd.args(), ["-L", "work", "-C", "attach-session", "-t", "main"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmuxCommand {
    program: OsString,
    socket: Socket,
    config: Option<PathBuf>,
    action: Action,
}

impl TmuxCommand {
    /// `tmux -C attach-session [-t TARGET]`.
    pub fn attach(target: Option<String>) -> Self {
        Self::with_action(Action::Attach { target })
    }

    /// `tmux -C new-session [-s NAME]`.
    pub fn new_session(name: Option<String>) -> Self {
        Self::with_action(Action::New { name })
    }

    /// A command for any [`Action`].
    pub fn with_action(action: Action) -> Self {
        TmuxCommand {
            program: "tmux".into(),
            socket: Socket::Default,
            config: None,
            action,
        }
    }

    /// The tmux binary to run (default `tmux`, looked up in `PATH`).
    pub fn program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }

    /// The server's socket.
    pub fn socket(mut self, socket: Socket) -> Self {
        self.socket = socket;
        self
    }

    /// A configuration file (`-f FILE`, e.g. `/dev/null`), used only when this command starts
    /// the server.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config = Some(path.into());
        self
    }

    /// The socket this command talks to.
    pub fn socket_ref(&self) -> &Socket {
        &self.socket
    }

    /// The action.
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// The arguments after the program name.
    pub fn args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::new();
        match &self.socket {
            Socket::Default => {}
            Socket::Name(n) => {
                a.push("-L".into());
                a.push(n.into());
            }
            Socket::Path(p) => {
                a.push("-S".into());
                a.push(p.into());
            }
        }
        if let Some(f) = &self.config {
            a.push("-f".into());
            a.push(f.into());
        }
        a.push("-C".into());
        match &self.action {
            Action::Attach { target } => {
                a.push("attach-session".into());
                if let Some(t) = target {
                    a.push("-t".into());
                    a.push(t.into());
                }
            }
            Action::New { name } => {
                a.push("new-session".into());
                if let Some(n) = name {
                    a.push("-s".into());
                    a.push(n.into());
                }
            }
            Action::AttachOrNew { name } => {
                a.push("new-session".into());
                a.push("-A".into());
                a.push("-s".into());
                a.push(name.into());
            }
        }
        a
    }

    /// A [`Command`] ready to spawn. `TMUX` is removed from its environment so that a client
    /// started inside tmux may still attach.
    pub fn to_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(self.args());
        c.env_remove("TMUX");
        c
    }

    /// The program and arguments as one line for messages (not for a shell).
    pub fn display(&self) -> String {
        let mut s = self.program.to_string_lossy().into_owned();
        for a in self.args() {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }
}

/// `ssh [OPTIONS] HOST -- REMOTE...`: a tmux control client on another machine.
///
/// The remote words default to `tmux -C attach-session`; [`SshCommand::remote_tmux`] takes
/// them from a [`TmuxCommand`] and [`SshCommand::remote_command`] from any words. Each word is
/// single-quoted for the remote shell, so user-given names never become shell syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshCommand {
    program: OsString,
    host: String,
    options: Vec<OsString>,
    remote: Vec<OsString>,
}

impl SshCommand {
    /// `ssh HOST -- tmux -C attach-session`.
    pub fn new(host: impl Into<String>) -> Self {
        SshCommand {
            program: "ssh".into(),
            host: host.into(),
            options: Vec::new(),
            remote: vec!["tmux".into(), "-C".into(), "attach-session".into()],
        }
    }

    /// The ssh binary (default `ssh`, looked up in `PATH`).
    pub fn program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }

    /// Extra ssh options placed before the host (e.g. `-p 2222`).
    pub fn option(mut self, opt: impl Into<OsString>) -> Self {
        self.options.push(opt.into());
        self
    }

    /// Runs this tmux command line on the remote host (program and arguments).
    pub fn remote_tmux(mut self, tmux: &TmuxCommand) -> Self {
        let mut words = vec![tmux.program.clone()];
        words.extend(tmux.args());
        self.remote = words;
        self
    }

    /// Runs these words on the remote host instead.
    pub fn remote_command<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.remote = words.into_iter().map(Into::into).collect();
        self
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The arguments after the program name.
    pub fn args(&self) -> Vec<OsString> {
        let mut a = self.options.clone();
        a.push(self.host.clone().into());
        a.push("--".into());
        for w in &self.remote {
            a.push(shell_quote(w));
        }
        a
    }

    /// A [`Command`] ready to spawn.
    pub fn to_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(self.args());
        c
    }
}

/// Quotes one word for a POSIX shell: plain words stay as they are, anything else is put in
/// single quotes with `'` written as `'\''`.
pub fn shell_quote(word: &OsStr) -> OsString {
    let s = word.to_string_lossy();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b));
    if plain {
        return word.to_owned();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('\'');
    for ch in s.chars() {
        if ch == '\'' {
            q.push_str("'\\''");
        } else {
            q.push(ch);
        }
    }
    q.push('\'');
    q.into()
}

/// Which of a child's pipes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pipe {
    /// The child's standard input: bytes to tmux.
    Input,
    /// The child's standard output: the control stream.
    Output,
    /// The child's standard error.
    Error,
}

/// A child process (`tmux -C` or `ssh ... tmux -C`): its standard input is a non-blocking
/// Unix socket (writes never raise `SIGPIPE`, see the [module docs](self)), its standard
/// output and error non-blocking pipes.
///
/// Dropping it closes the pipes and, if the child has not been reaped, kills it and reaps
/// it without blocking (in the background when it does not die at once): no zombie is
/// left behind.
#[derive(Debug)]
pub struct ChildTransport {
    program: String,
    pid: u32,
    /// `None` once handed to the background reaper.
    child: Option<Child>,
    stdin: Option<UnixStream>,
    stdout: Option<Receiver>,
    stderr: Option<Receiver>,
    stderr_text: Vec<u8>,
    status: Option<ExitStatus>,
    killed: bool,
}

impl ChildTransport {
    /// Spawns a local `tmux -C`.
    pub fn spawn_tmux(cmd: &TmuxCommand) -> Result<Self, TransportError> {
        Self::spawn(cmd.to_command())
    }

    /// Spawns `ssh HOST -- tmux -C ...`.
    pub fn spawn_ssh(cmd: &SshCommand) -> Result<Self, TransportError> {
        Self::spawn(cmd.to_command())
    }

    /// Spawns any command speaking control mode on its standard output. Its standard input
    /// becomes a non-blocking Unix socket, its standard output and error non-blocking pipes.
    pub fn spawn(mut cmd: Command) -> Result<Self, TransportError> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let pipe_error = |source| TransportError::Pipe {
            program: program.clone(),
            source,
        };
        // Both ends are close-on-exec: the child gets only its own end, as its stdin.
        let (stdin, theirs) = input_socket().map_err(pipe_error)?;
        cmd.stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawned = cmd.spawn();
        // `cmd` holds the child's end of the socket: close it here, or the child would
        // never see end of file on its input.
        drop(cmd);
        let mut child = spawned.map_err(|source| TransportError::Spawn {
            program: program.clone(),
            source,
        })?;
        let pipes = (|| -> io::Result<(Receiver, Receiver)> {
            let missing = || io::Error::other("missing pipe");
            let stdout = Receiver::from(child.stdout.take().ok_or_else(missing)?);
            let stderr = Receiver::from(child.stderr.take().ok_or_else(missing)?);
            stdout.set_nonblocking(true)?;
            stderr.set_nonblocking(true)?;
            Ok((stdout, stderr))
        })();
        match pipes {
            Ok((stdout, stderr)) => Ok(ChildTransport {
                program,
                pid: child.id(),
                child: Some(child),
                stdin: Some(stdin),
                stdout: Some(stdout),
                stderr: Some(stderr),
                stderr_text: Vec::new(),
                status: None,
                killed: false,
            }),
            Err(source) => {
                let _ = child.kill();
                crate::reaper::adopt(child, Duration::ZERO);
                Err(pipe_error(source))
            }
        }
    }

    /// The program name, for messages.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The file descriptor of one pipe, while it is open.
    pub fn fd(&self, pipe: Pipe) -> Option<BorrowedFd<'_>> {
        match pipe {
            Pipe::Input => self.stdin.as_ref().map(|p| p.as_fd()),
            Pipe::Output => self.stdout.as_ref().map(|p| p.as_fd()),
            Pipe::Error => self.stderr.as_ref().map(|p| p.as_fd()),
        }
    }

    /// The raw file descriptor of one pipe, while it is open.
    pub fn raw_fd(&self, pipe: Pipe) -> Option<RawFd> {
        self.fd(pipe).map(|f| f.as_raw_fd())
    }

    /// Reads control-stream bytes. `Ok(0)` is end of file; `WouldBlock` means nothing now.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stdout.as_mut() {
            Some(r) => read_retrying(r, buf),
            None => Ok(0),
        }
    }

    /// Writes bytes to tmux. `WouldBlock` means the socket is full; `BrokenPipe` that the
    /// child closed it. Never raises `SIGPIPE` (see the [module docs](self)).
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.stdin.as_ref() {
            Some(w) => loop {
                match send_no_sigpipe(w, buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => return other,
                }
            },
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Reads what standard error has now into the kept text (capped at [`STDERR_LIMIT`]).
    /// Returns `true` once standard error reached end of file (and is closed).
    pub fn drain_stderr(&mut self) -> bool {
        let Some(r) = self.stderr.as_mut() else {
            return true;
        };
        let mut buf = [0u8; 4096];
        loop {
            match read_retrying(r, &mut buf) {
                Ok(0) => {
                    self.stderr = None;
                    return true;
                }
                Ok(n) => {
                    let room = STDERR_LIMIT.saturating_sub(self.stderr_text.len());
                    self.stderr_text.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => {
                    self.stderr = None;
                    return true;
                }
            }
        }
    }

    /// What the child wrote to standard error so far, trimmed, invalid UTF-8 replaced.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr_text)
            .trim()
            .to_string()
    }

    /// Closes the pipe to the child's standard input (tmux then ends control mode).
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Closes the read side of the control stream.
    pub fn close_output(&mut self) {
        self.stdout = None;
    }

    /// The exit status, once reaped.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Reaps the child without blocking; its status once it has exited.
    pub fn try_reap(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.status = Some(st);
            }
        }
        self.status
    }

    /// Kills the child (`SIGKILL`) unless it has been reaped. Does not wait: reap it with
    /// [`ChildTransport::try_reap`] or [`ChildTransport::end`].
    pub fn kill(&mut self) {
        if self.try_reap().is_none() {
            if let Some(c) = self.child.as_mut() {
                let _ = c.kill();
                self.killed = true;
            }
        }
    }

    /// Ends the child without blocking: closes every pipe (its input first: tmux then ends
    /// control mode) and reaps it if it has exited. A child still running is handed to a
    /// background reaper that gives it `grace` to exit on its own, then kills it, and reaps
    /// it: no zombie is left. Returns the exit status when it was already known.
    pub fn end(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.close_input();
        self.drain_stderr();
        self.stdout = None;
        self.stderr = None;
        if self.try_reap().is_none() {
            if let Some(child) = self.child.take() {
                crate::reaper::adopt(child, grace);
            }
        }
        self.status
    }

    /// Ends the child, waiting for it: closes its input, waits up to `grace` for it to exit
    /// (collecting the rest of its standard error), then kills it, and reaps it. Blocks at
    /// most about `grace` (plus the moment a killed process takes to die); the drive modes
    /// use [`ChildTransport::end`], which never blocks. Returns the exit status.
    pub fn shutdown(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.close_input();
        let deadline = Instant::now() + grace;
        while self.try_reap().is_none() && Instant::now() < deadline {
            self.drain_stderr();
            std::thread::sleep(Duration::from_millis(2));
        }
        if self.status.is_none() {
            if let Some(child) = self.child.as_mut() {
                let _ = child.kill();
                self.killed = true;
                if let Ok(st) = child.wait() {
                    self.status = Some(st);
                }
            }
        }
        self.drain_stderr();
        self.stdout = None;
        self.stderr = None;
        self.status
    }

    /// Why the child ended, as far as known now: its exit status or the signal that ended
    /// it (both `None` while it has not been reaped), and its standard error.
    pub fn exit_reason(&self) -> ExitReason {
        use std::os::unix::process::ExitStatusExt;
        ExitReason::ProcessExited {
            program: self.program.clone(),
            code: self.status.and_then(|s| s.code()),
            signal: self.status.and_then(|s| s.signal()),
            stderr: self.stderr_text(),
        }
    }

    /// A sentence saying why the child ended, from its exit status and standard error.
    pub fn exit_description(&self) -> String {
        let mut s = match self.status {
            Some(st) => match st.code() {
                Some(0) => format!("{} exited", self.program),
                Some(c) => format!("{} exited with status {c}", self.program),
                None => format!("{} was killed ({st})", self.program),
            },
            None if self.killed => format!("{} was killed", self.program),
            None => format!("{} closed its output", self.program),
        };
        let err = self.stderr_text();
        if !err.is_empty() {
            s.push_str(": ");
            s.push_str(&err);
        }
        s
    }
}

impl Drop for ChildTransport {
    fn drop(&mut self) {
        if self.status.is_none() {
            self.kill();
            self.end(Duration::ZERO);
        }
    }
}

/// A connected socket pair for the child's standard input: ours (non-blocking, writes that
/// cannot raise `SIGPIPE`) and the child's.
fn input_socket() -> io::Result<(UnixStream, UnixStream)> {
    let (ours, theirs) = UnixStream::pair()?;
    ours.set_nonblocking(true)?;
    // Apple systems have no MSG_NOSIGNAL; the socket option does the same for every send.
    #[cfg(target_vendor = "apple")]
    rustix::net::sockopt::set_socket_nosigpipe(&ours, true)?;
    Ok((ours, theirs))
}

/// `send` that fails with `EPIPE` instead of raising `SIGPIPE` when the reader is gone.
fn send_no_sigpipe(sock: &UnixStream, buf: &[u8]) -> io::Result<usize> {
    #[cfg(not(target_vendor = "apple"))]
    let flags = rustix::net::SendFlags::NOSIGNAL;
    #[cfg(target_vendor = "apple")]
    let flags = rustix::net::SendFlags::empty(); // SO_NOSIGPIPE is set on the socket
    Ok(rustix::net::send(sock, buf, flags)?)
}

fn read_retrying(r: &mut Receiver, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmux_args() {
        let c = TmuxCommand::new_session(Some("a b".into()))
            .socket(Socket::Path("/tmp/s".into()))
            .config_file("/dev/null");
        assert_eq!(
            c.args(),
            [
                "-S",
                "/tmp/s",
                "-f",
                "/dev/null",
                "-C",
                "new-session",
                "-s",
                "a b"
            ]
        );
        let c = TmuxCommand::with_action(Action::AttachOrNew { name: "m".into() });
        assert_eq!(c.args(), ["-C", "new-session", "-A", "-s", "m"]);
        assert_eq!(TmuxCommand::attach(None).args(), ["-C", "attach-session"]);
    }

    #[test]
    fn ssh_quotes_remote_words() {
        let t = TmuxCommand::attach(Some("it's; rm -rf ~".into())).socket(Socket::Name("x".into()));
        let s = SshCommand::new("box").option("-T").remote_tmux(&t);
        assert_eq!(
            s.args(),
            [
                "-T",
                "box",
                "--",
                "tmux",
                "-L",
                "x",
                "-C",
                "attach-session",
                "-t",
                "'it'\\''s; rm -rf ~'"
            ]
        );
        assert_eq!(
            SshCommand::new("h").args(),
            ["h", "--", "tmux", "-C", "attach-session"]
        );
    }

    #[test]
    fn child_pipes_roundtrip_and_reap() {
        let mut t = ChildTransport::spawn({
            let mut c = Command::new("sh");
            c.arg("-c").arg("cat; echo oops >&2; exit 3");
            c
        })
        .unwrap();
        assert_eq!(t.write(b"hello\n").unwrap(), 6);
        t.close_input();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match t.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "no EOF");
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, b"hello\n");
        let st = t.shutdown(Duration::from_secs(2)).unwrap();
        assert_eq!(st.code(), Some(3));
        assert_eq!(t.stderr_text(), "oops");
        assert_eq!(t.exit_description(), "sh exited with status 3: oops");
    }

    #[test]
    fn spawn_failure_is_typed() {
        let e =
            ChildTransport::spawn(Command::new("/nonexistent/muxlink-no-such-tmux")).unwrap_err();
        assert!(matches!(e, TransportError::Spawn { .. }), "{e}");
    }
}

//! A minimal control-mode client for the tests that run real tmux (included by
//! `hostile_names.rs` and `commands_tmux.rs` through `#[path]`; as a test target of its
//! own it holds no tests).
//!
//! It spawns `tmux -L NAME -f /dev/null -C attach -t main` with piped stdin/stdout, reads
//! stdout lines on a thread, and pairs each command with the next reply block whose
//! `%begin`/`%end`/`%error` lines carry flags 1. It deliberately does not use the crate's
//! parser, so these tests check the encoder on its own.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use muxlink_testkit::TmuxServer;

/// How long one reply may take.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A reply block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `%end` (true) or `%error` (false).
    pub ok: bool,
    /// Body lines, raw bytes, without line terminators.
    pub body: Vec<Vec<u8>>,
}

/// A control-mode client attached to session `main` of a test server.
pub struct ControlClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Vec<u8>>,
    /// Every notification line seen so far (lines outside reply blocks).
    pub notifications: Vec<Vec<u8>>,
}

impl ControlClient {
    /// Attaches to `main` and waits until tmux answers a first command.
    pub fn attach(server: &TmuxServer) -> ControlClient {
        let mut child = server
            .command()
            .args(["-C", "attach", "-t", "main"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tmux -C");
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if line.last() == Some(&b'\n') {
                            line.pop();
                        }
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut c = ControlClient {
            child,
            stdin,
            lines: rx,
            notifications: Vec::new(),
        };
        // Until tmux has run the attach itself (its flags-0 block, then
        // `%session-changed`), commands that need this client can fail with "no current
        // client": wait for the notification, then for the answer to a first command.
        c.wait_notification(REPLY_TIMEOUT, |l| l.starts_with(b"%session-changed "))
            .expect("tmux -C attach: no %session-changed");
        let r = c.send(b"display-message -p muxlink-sync\n");
        assert!(r.ok && r.body == [b"muxlink-sync".to_vec()], "sync: {r:?}");
        c
    }

    fn next_line(&mut self, deadline: Instant) -> Vec<u8> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.lines
            .recv_timeout(left)
            .expect("tmux control client: no line before timeout (or it exited)")
    }

    /// Writes one command line (must end in `\n`) and returns its reply.
    pub fn send(&mut self, line: &[u8]) -> Reply {
        assert_eq!(line.last(), Some(&b'\n'), "a command line ends in \\n");
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line).expect("write command");
        stdin.flush().expect("flush");
        self.read_reply()
    }

    /// Reads up to the next reply block with flags 1.
    pub fn read_reply(&mut self) -> Reply {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let line = self.next_line(deadline);
            if let Some(args) = line.strip_prefix(b"%begin ") {
                let args = args.to_vec();
                let mut body = Vec::new();
                loop {
                    let l = self.next_line(deadline);
                    let ok = if l.strip_prefix(b"%end ") == Some(&args[..]) {
                        Some(true)
                    } else if l.strip_prefix(b"%error ") == Some(&args[..]) {
                        Some(false)
                    } else {
                        None
                    };
                    if let Some(ok) = ok {
                        if args.ends_with(b" 1") {
                            return Reply { ok, body };
                        }
                        break;
                    }
                    body.push(l);
                }
            } else {
                self.notifications.push(line);
            }
        }
    }

    /// Waits until a notification line satisfying `pred` arrives (or was already seen and
    /// not yet taken), and takes it. Only for use while no command is in flight.
    pub fn wait_notification(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        if let Some(i) = self.notifications.iter().position(|l| pred(l)) {
            return Some(self.notifications.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            if pred(&line) {
                return Some(line);
            }
            self.notifications.push(line);
        }
    }

    /// Closes stdin and waits for tmux to exit; returns every line it still wrote.
    pub fn finish(&mut self) -> Vec<Vec<u8>> {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        while let Ok(l) = self.lines.recv_timeout(REPLY_TIMEOUT) {
            rest.push(l);
        }
        rest
    }

    /// Sends and asserts the reply is `%end`; returns the body.
    pub fn ok(&mut self, line: &[u8]) -> Vec<Vec<u8>> {
        let r = self.send(line);
        assert!(
            r.ok,
            "tmux refused {:?}: {:?}",
            String::from_utf8_lossy(line),
            r.body
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect::<Vec<_>>()
        );
        r.body
    }
}

impl Drop for ControlClient {
    fn drop(&mut self) {
        // Closing stdin makes tmux detach the client.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `attach`: keystroke-to-echo latency of `muxlink attach` beside `tmux attach`, through a
//! PTY, against one tmux server on a private socket that this group starts and kills.
//!
//! Each client runs in a PTY of [`COLS`]x[`ROWS`] (its own session, with `setsid -c` when
//! available so the PTY is its controlling terminal, as in a real terminal) attached to the
//! same session, one client at a time. The session's first pane runs `cat` on a raw,
//! non-echoing terminal, so the echo is `cat`'s own write. For each key the harness writes one
//! character to the PTY and reads the client's output until the character's bytes appear;
//! the time between is one sample. Characters are Greek letters (two UTF-8 bytes that no
//! escape sequence, status line or `yes` output holds), cycling, so the echo of one key cannot
//! be mistaken for another's. The harness reads the PTY all the time, as a terminal does, so
//! neither client is ever blocked on its output.
//!
//! Cases:
//! - `idle`: nothing else runs;
//! - `flood`: a second pane of the same window runs `yes`, so both clients draw a flood
//!   beside the pane being typed into.
//!
//! To share the machine's noise fairly, each case runs in rounds; every round attaches each
//! client in turn (the order alternates), waits until it drew the session, sends a few
//! unmeasured keys, then [`keys_per_round`] measured ones with a 4-12 ms pause between
//! them (a typist's pace, never in step with a frame clock), then ends the client.
//!
//! A third subject, `control_floor`, is the least any control-mode client can do: a loop in
//! this process that forwards the PTY's keys to `tmux -C` as `send-keys -H` and writes the
//! typed pane's `%output` back, with no emulation and no drawing. Its latency is the floor
//! set by tmux's control mode itself (the command queue, one more process on the way each
//! way), which `tmux attach` does not pay. Like `muxlink attach`, it shrinks the pipe tmux
//! writes to to a page (Linux).
//!
//! Reported per client and case: `p50_ms`, `p99_ms`, `mean_ms`, `max_ms` and `keys` (keys
//! measured), and for the other clients `p50_vs_tmux`, `p99_vs_tmux` (their percentile over
//! `tmux attach`'s in the same run; the target is <= 1); `mb_per_s` is 0 (not a
//! throughput). A key whose echo never comes within [`ECHO_TIMEOUT`] fails the group. The group is skipped, with a note, when `tmux` or the
//! `muxlink` binary is missing (it looks beside this executable, or at `$MUXLINK_BIN`).

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::Value;

use super::{Context, Group, Row};
use crate::groups::soak::is_quick;

/// The PTY's width.
pub const COLS: u16 = 80;
/// The PTY's height.
pub const ROWS: u16 = 24;
/// Longest wait for one echo before the group fails.
pub const ECHO_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a client to attach and draw.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(20);
/// Keys sent after attaching, not measured (first-use costs).
const WARMUP_KEYS: usize = 3;

/// The clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    Tmux,
    Muxlink,
    /// The least a control-mode client can do (see the module docs).
    Floor,
}

impl Subject {
    const ALL: [Subject; 3] = [Subject::Tmux, Subject::Muxlink, Subject::Floor];

    fn name(self) -> &'static str {
        match self {
            Subject::Tmux => "tmux",
            Subject::Muxlink => "muxlink",
            Subject::Floor => "control_floor",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Measured keys per client per round, and rounds per case.
pub fn keys_per_round(quick: bool) -> (usize, usize) {
    if quick {
        (15, 2)
    } else {
        (50, 4)
    }
}

/// The `attach` group.
pub struct AttachGroup;

impl Group for AttachGroup {
    fn name(&self) -> &'static str {
        "attach"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let Some(muxlink) = muxlink_binary() else {
            notes.push("attach: skipped (no muxlink binary beside muxlink-bench)".into());
            return Ok(Vec::new());
        };
        if !tmux_runs() {
            notes.push("attach: skipped (tmux not found)".into());
            return Ok(Vec::new());
        }
        let quick = is_quick(&ctx.budget);
        let (per_round, rounds) = keys_per_round(quick);
        let server = Server::start()?;
        let mut rows = Vec::new();
        for case in ["idle", "flood"] {
            if !ctx.selected(case) {
                continue;
            }
            if case == "flood" {
                server.tmux(&["split-window", "-h", "-d", "-t", "bench:0.0", "exec yes"])?;
            }
            let mut samples: [Vec<Duration>; 3] = [Vec::new(), Vec::new(), Vec::new()];
            let mut alphabet = Alphabet::default();
            for round in 0..rounds {
                // A different order each round.
                let mut order = Subject::ALL;
                order.rotate_left(round % 3);
                if round % 2 == 1 {
                    order.reverse();
                }
                for subject in order {
                    if ctx
                        .only_impl
                        .as_deref()
                        .is_some_and(|o| o != subject.name())
                    {
                        continue;
                    }
                    let got = measure(&server, &muxlink, subject, per_round, &mut alphabet)
                        .with_context(|| format!("attach/{case}: {}", subject.name()))?;
                    samples[subject.index()].extend(got);
                }
            }
            let tmux = {
                let s = &mut samples[Subject::Tmux.index()];
                (!s.is_empty()).then(|| Stats::of(s))
            };
            for subject in Subject::ALL {
                let s = &mut samples[subject.index()];
                if s.is_empty() {
                    continue;
                }
                let stats = Stats::of(s);
                notes.push(format!(
                    "attach/{case} {:>8}: keystroke to echo p50 {:.3} ms, p99 {:.3} ms \
                     ({} keys)",
                    subject.name(),
                    stats.p50_ms,
                    stats.p99_ms,
                    stats.keys
                ));
                let mut row = stats.row(case, subject.name());
                if let (Some(t), false) = (tmux, subject == Subject::Tmux) {
                    // The target: no worse than `tmux attach` in the same run (<= 1).
                    let ratio = |a: f64, b: f64| Value::from((a / b * 100.0).round() / 100.0);
                    row.extra
                        .insert("p50_vs_tmux".into(), ratio(stats.p50_ms, t.p50_ms));
                    row.extra
                        .insert("p99_vs_tmux".into(), ratio(stats.p99_ms, t.p99_ms));
                }
                rows.push(row);
            }
        }
        Ok(rows)
    }
}

/// Order statistics of one client's samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile (nearest rank), ms.
    pub p99_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
    /// Samples.
    pub keys: usize,
}

impl Stats {
    /// Sorts `samples` and takes nearest-rank percentiles. `samples` must not be empty.
    pub fn of(samples: &mut [Duration]) -> Stats {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let rank = |p: f64| {
            let n = samples.len();
            let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
            ms(samples[i])
        };
        Stats {
            p50_ms: rank(0.50),
            p99_ms: rank(0.99),
            mean_ms: samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64,
            max_ms: ms(samples[samples.len() - 1]),
            keys: samples.len(),
        }
    }

    fn row(&self, case: &str, impl_name: &'static str) -> Row {
        let mut extra = serde_json::Map::new();
        let ms = |x: f64| Value::from((x * 1000.0).round() / 1000.0);
        extra.insert("p50_ms".into(), ms(self.p50_ms));
        extra.insert("p99_ms".into(), ms(self.p99_ms));
        extra.insert("mean_ms".into(), ms(self.mean_ms));
        extra.insert("max_ms".into(), ms(self.max_ms));
        extra.insert("keys".into(), Value::from(self.keys));
        extra.insert("mb_per_s_meaning".into(), Value::from("none (latency)"));
        Row {
            group: "attach",
            workload: case.to_string(),
            impl_name,
            mb_per_s: 0.0,
            extra,
        }
    }
}

/// Greek letters, cycling: each key's echo is told apart from the last 23 keys'.
#[derive(Default)]
struct Alphabet(u32);

impl Alphabet {
    fn next(&mut self) -> char {
        let c = char::from_u32(0x3b1 + self.0 % 24).unwrap_or('α');
        self.0 += 1;
        c
    }
}

/// The `muxlink` binary: `$MUXLINK_BIN`, else beside this executable.
fn muxlink_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MUXLINK_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.join("muxlink");
    p.is_file().then_some(p)
}

fn tmux_runs() -> bool {
    Command::new("tmux")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A tmux server on a private socket with the session `bench` (its first pane runs a raw
/// `cat`); killed on drop.
struct Server {
    socket: String,
}

impl Server {
    fn start() -> Result<Server> {
        let socket = format!("muxlink-bench-attach-{}", std::process::id());
        let server = Server { socket };
        server.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            &COLS.to_string(),
            "-y",
            &(ROWS - 1).to_string(),
            "stty raw -echo; exec cat",
        ])?;
        Ok(server)
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).env_remove("TMUX");
        c
    }

    fn tmux(&self, args: &[&str]) -> Result<String> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("running tmux")?;
        if !out.status.success() {
            bail!(
                "tmux {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn clients(&self) -> usize {
        self.tmux(&["list-clients", "-F", "#{client_pid}"])
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A client running in a PTY: the harness holds the controller side.
struct PtyClient {
    child: Child,
    pty: std::fs::File,
}

impl PtyClient {
    fn spawn(server: &Server, muxlink: &PathBuf, subject: Subject) -> Result<PtyClient> {
        let size = rustix::termios::Winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = rustix_openpty::openpty(None, Some(&size)).context("opening a PTY")?;
        let user: OwnedFd = pty.user;
        if subject == Subject::Floor {
            let child = floor::start(server, user)?;
            let controller = pty.controller;
            rustix::fs::fcntl_setfl(&controller, rustix::fs::OFlags::NONBLOCK)?;
            return Ok(PtyClient {
                child,
                pty: std::fs::File::from(controller),
            });
        }
        let setsid = std::path::Path::new("/usr/bin/setsid").is_file();
        let mut cmd = if setsid {
            let mut c = Command::new("/usr/bin/setsid");
            c.arg("-c");
            c
        } else {
            Command::new("env")
        };
        match subject {
            Subject::Tmux => {
                cmd.arg("tmux").arg("-L").arg(&server.socket).args([
                    "attach-session",
                    "-t",
                    "bench",
                ]);
            }
            Subject::Floor => unreachable!("started above"),
            Subject::Muxlink => {
                cmd.arg(muxlink)
                    .arg("attach")
                    .arg("-L")
                    .arg(&server.socket)
                    .args(["-t", "bench"]);
            }
        }
        cmd.env_remove("TMUX")
            .env("TERM", "xterm-256color")
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::from(user.try_clone()?))
            .stdout(Stdio::from(user.try_clone()?))
            .stderr(Stdio::from(user));
        let child = cmd.spawn().context("starting the client")?;
        let controller = pty.controller;
        rustix::fs::fcntl_setfl(&controller, rustix::fs::OFlags::NONBLOCK)?;
        Ok(PtyClient {
            child,
            pty: std::fs::File::from(controller),
        })
    }

    /// Reads what the client wrote, waiting at most `wait` for the first bytes. Appends to
    /// `out`; returns whether the PTY is still open.
    fn read(&mut self, out: &mut Vec<u8>, wait: Duration) -> Result<bool> {
        let mut fds = [rustix::event::PollFd::new(
            &self.pty,
            rustix::event::PollFlags::IN,
        )];
        let ts = rustix::event::Timespec {
            tv_sec: wait.as_secs() as i64,
            tv_nsec: wait.subsec_nanos() as _,
        };
        match rustix::event::poll(&mut fds, Some(&ts)) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(true),
            Err(e) => return Err(e.into()),
        }
        let mut buf = [0u8; 65536];
        loop {
            match self.pty.read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // EIO: every user side closed (the client ended).
                Err(_) => return Ok(false),
            }
        }
    }

    /// Reads and drops output for `d`.
    fn drain_for(&mut self, d: Duration) -> Result<()> {
        let end = Instant::now() + d;
        let mut sink = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            sink.clear();
            if !self.read(&mut sink, left.min(Duration::from_millis(50)))? {
                bail!("the client ended");
            }
        }
        Ok(())
    }

    /// Types `c` and waits for its bytes in the output; the time between.
    fn key_to_echo(&mut self, c: char) -> Result<Duration> {
        // Whatever is already there is older than this key.
        let mut seen = Vec::new();
        self.read(&mut seen, Duration::ZERO)?;
        seen.clear();
        let mut b = [0u8; 4];
        let key = c.encode_utf8(&mut b).as_bytes().to_vec();
        let t = Instant::now();
        self.pty.write_all(&key)?;
        loop {
            let left = ECHO_TIMEOUT
                .checked_sub(t.elapsed())
                .ok_or_else(|| anyhow!("no echo of {c:?} within {ECHO_TIMEOUT:?}"))?;
            let from = seen.len().saturating_sub(key.len() - 1);
            if !self.read(&mut seen, left)? {
                bail!("the client ended while waiting for an echo");
            }
            if seen[from..].windows(key.len()).any(|w| w == key) {
                return Ok(t.elapsed());
            }
            // Keep the buffer small under a flood: only a cut key's first bytes matter.
            if seen.len() > 1 << 20 {
                seen.drain(..seen.len() - key.len());
            }
        }
    }

    fn end(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let until = Instant::now() + Duration::from_secs(3);
        let mut sink = Vec::new();
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            sink.clear();
            if !self
                .read(&mut sink, Duration::from_millis(20))
                .unwrap_or(false)
            {
                break;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Attaches `subject`, measures `keys` keystrokes, ends the client.
fn measure(
    server: &Server,
    muxlink: &PathBuf,
    subject: Subject,
    keys: usize,
    alphabet: &mut Alphabet,
) -> Result<Vec<Duration>> {
    let mut client = PtyClient::spawn(server, muxlink, subject)?;
    let result = measure_on(server, &mut client, keys, alphabet);
    client.end();
    // The next client attaches alone.
    let until = Instant::now() + Duration::from_secs(5);
    while server.clients() > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    result
}

fn measure_on(
    server: &Server,
    client: &mut PtyClient,
    keys: usize,
    alphabet: &mut Alphabet,
) -> Result<Vec<Duration>> {
    let start = Instant::now();
    while server.clients() == 0 {
        if start.elapsed() > ATTACH_TIMEOUT {
            bail!("the client did not attach");
        }
        client.drain_for(Duration::from_millis(20))?;
    }
    // Attached; the first draw and (muxlink) the capture of every pane follow.
    client.drain_for(Duration::from_millis(300))?;
    for _ in 0..WARMUP_KEYS {
        client.key_to_echo(alphabet.next())?;
    }
    let mut samples = Vec::with_capacity(keys);
    let mut pause = 4u64;
    for _ in 0..keys {
        // 4..12 ms between keys, in a fixed sequence that does not repeat a frame period.
        pause = 4 + (pause * 7 + 3) % 9;
        client.drain_for(Duration::from_millis(pause))?;
        samples.push(client.key_to_echo(alphabet.next())?);
    }
    Ok(samples)
}

/// The control-mode floor client: a thread that forwards between the PTY and `tmux -C`.
mod floor {
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;
    use std::process::{Child, Stdio};

    use anyhow::{Context as _, Result};

    use super::Server;

    /// Starts `tmux -C attach-session -t bench` and a thread that types what the PTY's user
    /// side reads as `send-keys -H` and writes the typed pane's output back to it. The
    /// thread ends when either side closes. Returns the `tmux -C` process.
    pub(super) fn start(server: &Server, user: OwnedFd) -> Result<Child> {
        let pane = server.tmux(&["display-message", "-p", "-t", "bench:0.0", "#{pane_id}"])?;
        let pane = pane.trim().to_owned();
        let mut t = rustix::termios::tcgetattr(&user)?;
        t.make_raw();
        rustix::termios::tcsetattr(&user, rustix::termios::OptionalActions::Now, &t)?;
        let mut child = server
            .command()
            .args(["-C", "attach-session", "-t", "bench"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting tmux -C")?;
        let mut to_tmux = child.stdin.take().context("tmux -C stdin")?;
        let mut from_tmux = child.stdout.take().context("tmux -C stdout")?;
        // As `muxlink attach` does: a page of pipe, so that the flood waits inside tmux,
        // whose output is shared among panes fairly, rather than in the pipe.
        #[cfg(target_os = "linux")]
        let _ = rustix::pipe::fcntl_setpipe_size(&from_tmux, 4096);
        let mut term = std::fs::File::from(user);
        std::thread::spawn(move || {
            let prefix = format!("%output {pane} ");
            let mut line = Vec::new();
            let mut buf = [0u8; 65536];
            loop {
                let mut fds = [
                    rustix::event::PollFd::new(&term, rustix::event::PollFlags::IN),
                    rustix::event::PollFd::new(&from_tmux, rustix::event::PollFlags::IN),
                ];
                if rustix::event::poll(&mut fds, None).is_err() {
                    continue;
                }
                let (keys, out) = (!fds[0].revents().is_empty(), !fds[1].revents().is_empty());
                if keys {
                    let Ok(n @ 1..) = term.read(&mut buf) else {
                        return;
                    };
                    let mut cmd = format!("send-keys -t {pane} -H");
                    for b in &buf[..n] {
                        cmd.push_str(&format!(" {b:02x}"));
                    }
                    cmd.push('\n');
                    if to_tmux.write_all(cmd.as_bytes()).is_err() {
                        return;
                    }
                }
                if out {
                    let Ok(n @ 1..) = from_tmux.read(&mut buf) else {
                        return;
                    };
                    for &b in &buf[..n] {
                        if b != b'\n' {
                            line.push(b);
                            continue;
                        }
                        if let Some(data) = line.strip_prefix(prefix.as_bytes()) {
                            let _ = term.write_all(&unescape(data));
                        }
                        line.clear();
                    }
                }
            }
        });
        Ok(child)
    }

    /// `%output`'s `\ooo` escapes undone, as the protocol crate undoes them.
    fn unescape(data: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        muxlink_proto::unescape_output(data, &mut buf).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let st = Stats::of(&mut s);
        assert_eq!(st.p50_ms, 50.0);
        assert_eq!(st.p99_ms, 99.0);
        assert_eq!(st.max_ms, 100.0);
        assert_eq!(st.keys, 100);
        let mut one = vec![Duration::from_micros(1500)];
        let st = Stats::of(&mut one);
        assert_eq!((st.p50_ms, st.p99_ms), (1.5, 1.5));
    }

    #[test]
    fn alphabet_cycles_through_two_byte_letters() {
        let mut a = Alphabet::default();
        let first: Vec<char> = (0..24).map(|_| a.next()).collect();
        assert_eq!(first[0], 'α');
        assert!(first.iter().all(|c| c.len_utf8() == 2));
        let mut uniq = first.clone();
        uniq.dedup();
        assert_eq!(uniq.len(), 24);
        assert_eq!(a.next(), 'α');
    }
}

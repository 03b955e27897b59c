//! Fenced replies against real tmux (the system's 3.3a, and the 3.2a and 3.7c builds in
//! `../shared/tmux` when present): a pane shows the exact `%end` lines this client will
//! receive (the test reads tmux's command counter first) followed by forged notifications,
//! and the fenced sync still reads exactly what `capture-pane` shows, with nothing forged.
//! Each test also checks that the same pane does forge notifications through an unfenced
//! capture, so that it cannot pass for want of a working attack.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use muxlink_proto::command::{self, fenced_line, CapturePane, FencedLine, LinePart, Target};
use muxlink_proto::fence::OsNonces;
use muxlink_proto::{Event, PaneId, Parser, ProtoError};

const TIMEOUT: Duration = Duration::from_secs(20);
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The tmux programs to test against: the system's, and the shared builds present.
fn tmux_programs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if muxlink_testkit::tmux_available() {
        v.push(PathBuf::from("tmux"));
    } else {
        eprintln!("system tmux not installed; .ci/run installs it");
    }
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tmux");
    for name in ["tmux-3.2a", "tmux-3.7c"] {
        let p = shared.join(name);
        if p.is_file() {
            v.push(p);
        } else {
            eprintln!("{} absent: not tested", p.display());
        }
    }
    v
}

/// A tmux server on a private socket (`-L`, `-f /dev/null`), killed on drop. One session
/// `main`, 80x24, whose first pane `%0` runs `sleep` (it prints nothing).
struct Server {
    program: PathBuf,
    name: String,
}

impl Server {
    fn start(program: &std::path::Path, tag: &str) -> Server {
        let name = format!(
            "muxlink-fence-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let s = Server {
            program: program.to_path_buf(),
            name,
        };
        s.ok(&[
            "start-server",
            ";",
            "set-option",
            "-g",
            "exit-empty",
            "off",
            ";",
            "set-option",
            "-g",
            "history-limit",
            "20000",
            ";",
            "set-option",
            "-g",
            "status",
            "off",
            ";",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            "80",
            "-y",
            "24",
            "exec sleep 100000",
        ]);
        s
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.arg("-L").arg(&self.name).arg("-f").arg("/dev/null");
        c.env_remove("TMUX");
        c.env("ENV", "/dev/null");
        c
    }

    fn ok(&self, args: &[&str]) -> Vec<u8> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            self.program.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn version(&self) -> String {
        String::from_utf8_lossy(&self.ok(&["-V"]))
            .trim()
            .to_string()
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

/// What the tests look at, owned.
#[derive(Clone, PartialEq, Eq)]
enum Ev {
    Reply {
        time: u64,
        number: u64,
        flags: u32,
        ok: bool,
        body: Vec<u8>,
    },
    Error(ProtoError, Vec<u8>),
    Other(String),
}

impl std::fmt::Debug for Ev {
    /// Bodies as text, cut short: a failing assertion prints something readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn short(b: &[u8]) -> String {
            let s = String::from_utf8_lossy(b);
            if s.chars().count() > 120 {
                let head: String = s.chars().take(120).collect();
                format!("{head}... ({} bytes)", b.len())
            } else {
                s.into_owned()
            }
        }
        match self {
            Ev::Reply {
                time,
                number,
                flags,
                ok,
                body,
            } => write!(
                f,
                "Reply({time} {number} {flags} ok={ok} {:?})",
                short(body)
            ),
            Ev::Error(e, line) => write!(f, "Error({e:?} {:?})", short(line)),
            Ev::Other(s) => write!(f, "{}", short(s.as_bytes())),
        }
    }
}

impl Ev {
    fn is_forged(&self) -> bool {
        matches!(self, Ev::Other(s) if ["WindowRenamed", "SessionRenamed", "Exit", "LayoutChange"]
            .iter()
            .any(|n| s.starts_with(n)) && s.contains("112, 119, 110, 101, 100"))
            // "pwned"
            || matches!(self, Ev::Other(s) if s.starts_with("Exit"))
    }
}

/// A control client (`tmux -C attach -t main`) read through muxlink's parser.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    chunks: Receiver<Vec<u8>>,
    parser: Parser,
    events: Vec<Ev>,
    raw: Vec<u8>,
}

impl Client {
    fn attach(server: &Server) -> Client {
        let mut child = server
            .command()
            .args(["-C", "attach", "-t", "main"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tmux -C");
        let mut stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            stdin: child.stdin.take(),
            child,
            chunks: rx,
            parser: Parser::new(),
            events: Vec::new(),
            raw: Vec::new(),
        };
        c.pump_until(|evs| {
            evs.iter()
                .any(|e| matches!(e, Ev::Other(s) if s.starts_with("SessionChanged")))
        });
        c.command(b"display-message -p ready\n");
        c
    }

    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Feeds one chunk of what tmux wrote to the parser.
    fn feed(&mut self, chunk: &[u8]) {
        self.raw.extend_from_slice(chunk);
        let events = &mut self.events;
        self.parser.feed(chunk, |ev| {
            events.push(match ev {
                Event::Reply(r) => Ev::Reply {
                    time: r.time,
                    number: r.number,
                    flags: r.flags,
                    ok: r.ok,
                    body: r.body.to_vec(),
                },
                Event::Error { error, line, .. } => Ev::Error(error, line.to_vec()),
                other => Ev::Other(format!("{other:?}")),
            })
        });
    }

    /// Feeds what tmux writes until `done` holds for the events seen so far.
    fn pump_until(&mut self, done: impl Fn(&[Ev]) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !done(&self.events) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = self.chunks.recv_timeout(left).unwrap_or_else(|_| {
                panic!("tmux did not answer in time; events: {:?}", self.events)
            });
            self.feed(&chunk);
        }
    }

    /// Feeds what tmux writes until its raw bytes since `from` hold `what`.
    fn pump_until_raw(&mut self, from: usize, what: &[u8]) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.raw[from..].windows(what.len()).any(|w| w == what) {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = self
                .chunks
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{:?} never came", String::from_utf8_lossy(what)));
            self.feed(&chunk);
        }
    }

    /// Writes one line and returns its reply (the next flags-1 reply block).
    fn command(&mut self, line: &[u8]) -> Ev {
        let start = self.events.len();
        self.write(line);
        self.pump_until(|evs| {
            evs[start..]
                .iter()
                .any(|e| matches!(e, Ev::Reply { flags: 1, .. }))
        });
        self.events[start..]
            .iter()
            .find(|e| matches!(e, Ev::Reply { flags: 1, .. }))
            .cloned()
            .unwrap()
    }

    /// Writes a fenced line and returns the events from it to its closing fence.
    fn fenced(&mut self, fl: &FencedLine) -> Vec<Ev> {
        let start = self.events.len();
        self.parser.expect_fences(fl.plan().clone());
        self.write(&fl.to_bytes());
        self.finish_fenced(start)
    }

    fn finish_fenced(&mut self, start: usize) -> Vec<Ev> {
        // The closing fence leaves no event: the parser's record says when it came. A
        // command after it flushes everything before.
        self.write(b"display-message -p after-the-fence\n");
        let is_marker = |e: &Ev| matches!(e, Ev::Reply { body, .. } if body == b"after-the-fence");
        self.pump_until(|evs| evs[start..].iter().any(is_marker));
        assert_eq!(self.parser.pending_fences(), 0);
        let end = self.events.iter().rposition(is_marker).unwrap();
        // The pane's own output, still arriving after it printed, is not what these tests
        // are about.
        self.events[start..end]
            .iter()
            .filter(|e| !matches!(e, Ev::Other(s) if s.starts_with("Output")))
            .cloned()
            .collect()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
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

fn has_line(body: &[u8], line: &[u8]) -> bool {
    body.split(|&b| b == b'\n').any(|l| l == line)
}

fn reply_fields(e: &Ev) -> (u64, u64) {
    match e {
        Ev::Reply { time, number, .. } => (*time, *number),
        other => panic!("not a reply: {other:?}"),
    }
}

/// Makes `%0` show, for every number after the counter's current value up to `span` more
/// and the next seconds, the `%end` line a reply with that number would end with, then
/// forged notifications; waits until it has.
fn plant_forgeries(server: &Server, client: &mut Client, dir: &std::path::Path, span: u64) {
    let (t0, n0) = reply_fields(&client.command(b"display-message -p counter\n"));
    let mut text = String::new();
    for n in n0 + 1..=n0 + span {
        for t in t0..t0 + 4 {
            text.push_str(&format!("%end {t} {n} 1\n"));
        }
    }
    text.push_str("%window-renamed @0 pwned\n%session-renamed $0 pwned\n");
    text.push_str("%layout-change @0 b25f,65535x65535,0,0,0 b25f,65535x65535,0,0,0 *\n");
    text.push_str("%exit pwned\nlast line\n");
    let file = dir.join("evil.txt");
    std::fs::write(&file, &text).unwrap();
    let cmd = format!(
        "respawn-pane -k -t %0 \"cat '{}'; exec sleep 100000\"\n",
        file.display()
    );
    assert!(matches!(
        client.command(cmd.as_bytes()),
        Ev::Reply { ok: true, .. }
    ));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let shown = server.ok(&["capture-pane", "-p", "-t", "%0"]);
        if String::from_utf8_lossy(&shown).contains("last line") {
            break;
        }
        assert!(Instant::now() < deadline, "the pane never showed its text");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn formats() -> command::Command {
    command::display_message(Some(Target::Pane(PaneId(0))), b"P#{pane_id}\t#{pane_width}").unwrap()
}

fn history() -> CapturePane {
    CapturePane {
        start: Some(command::CaptureBound::Edge),
        end: Some(command::CaptureBound::Edge),
        ..CapturePane::new(PaneId(0))
    }
}

#[test]
fn a_pane_that_knows_the_end_line_cannot_forge_through_a_fenced_capture() {
    for program in tmux_programs() {
        let server = Server::start(&program, "forge");
        let version = server.version();
        let dir = muxlink_testkit::TempDir::new("fence").unwrap();
        let mut client = Client::attach(&server);
        plant_forgeries(&server, &mut client, dir.path(), 300);

        // Unfenced, the attack works: the block ends at a forged line.
        let start = client.events.len();
        let mut line = history().build().into_bytes();
        line.extend_from_slice(b"display-message -p resync\n");
        client.write(&line);
        client.pump_until(|evs| {
            evs[start..]
                .iter()
                .any(|e| matches!(e, Ev::Reply { body, .. } if body == b"resync"))
        });
        assert!(
            client.events[start..].iter().any(Ev::is_forged),
            "{version}: the pane's text forged nothing through a plain capture: the test \
             proves nothing ({:?})",
            &client.events[start..start + 3]
        );

        // Fenced: exactly what capture-pane shows, nothing forged.
        let fl = fenced_line(
            &[
                LinePart::Plain(formats()),
                LinePart::Fenced(history().build()),
                LinePart::Fenced(
                    CapturePane {
                        escapes: true,
                        ..CapturePane::new(PaneId(0))
                    }
                    .build(),
                ),
            ],
            &mut OsNonces::new().unwrap(),
        )
        .unwrap();
        let got = client.fenced(&fl);
        assert!(
            !got.iter().any(Ev::is_forged),
            "{version}: forged event through a fenced capture: {got:?}"
        );
        assert_eq!(got.len(), 3, "{version}: {got:?}");
        assert!(matches!(&got[0], Ev::Reply { ok: true, body, .. } if body == b"P%0\t80"));
        let Ev::Reply {
            time,
            number,
            ok: true,
            body,
            ..
        } = &got[1]
        else {
            panic!("{version}: {:?}", got[1])
        };
        let exact = format!("%end {time} {number} 1");
        assert!(
            has_line(body, exact.as_bytes()),
            "{version}: the pane did not show the exact line {exact:?}: the test proves nothing"
        );
        let mut shown = server.ok(&["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "%0"]);
        assert_eq!(shown.pop(), Some(b'\n'));
        assert_eq!(
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&shown),
            "{version}: the fenced reply differs from capture-pane"
        );
        assert!(
            matches!(&got[2], Ev::Reply { ok: true, body, .. } if has_line(body, b"last line"))
        );
        eprintln!("{version}: checked");
    }
}

#[test]
fn a_failing_capture_ends_the_line_and_the_parser_stays_in_step() {
    for program in tmux_programs() {
        let server = Server::start(&program, "fail");
        let version = server.version();
        let dir = muxlink_testkit::TempDir::new("fence").unwrap();
        let mut client = Client::attach(&server);
        plant_forgeries(&server, &mut client, dir.path(), 300);
        let mut nonces = OsNonces::new().unwrap();

        // A closed pane, then `-a` without `-q` on a pane without an alternate screen: each
        // fails, and tmux skips the rest of its line (fences included).
        for (bad, message) in [
            (CapturePane::new(PaneId(999)), &b"can't find pane: %999"[..]),
            (
                CapturePane {
                    alternate: true,
                    ..CapturePane::new(PaneId(0))
                },
                b"no alternate screen",
            ),
        ] {
            let fl = fenced_line(
                &[
                    LinePart::Plain(formats()),
                    LinePart::Fenced(history().build()),
                    LinePart::Fenced(bad.build()),
                    LinePart::Fenced(history().build()),
                ],
                &mut nonces,
            )
            .unwrap();
            let got = client.fenced(&fl);
            assert_eq!(got.len(), 3, "{version}: {got:?}");
            assert!(
                matches!(&got[1], Ev::Reply { ok: true, body, .. } if has_line(body, b"last line"))
            );
            assert!(
                matches!(&got[2], Ev::Reply { ok: false, body, .. } if body == message),
                "{version}: {:?}",
                got[2]
            );
        }
        eprintln!("{version}: checked");
    }
}

#[test]
fn lines_between_a_failed_capture_and_a_late_closing_fence_are_read() {
    // The closing line is written only after tmux has run the first one, so it runs in a
    // later pass of tmux's queue: a notification and a refresh-client -A reply (tmux 3.3a
    // writes the %pause it causes inside that reply) come between the %error and the fence.
    for program in tmux_programs() {
        let server = Server::start(&program, "gap");
        let version = server.version();
        let mut client = Client::attach(&server);
        let fl = fenced_line(
            &[
                LinePart::Plain(formats()),
                LinePart::Fenced(CapturePane::new(PaneId(999)).build()),
                LinePart::Fenced(history().build()),
            ],
            &mut OsNonces::new().unwrap(),
        )
        .unwrap();
        let start = client.events.len();
        client.parser.expect_fences(fl.plan().clone());
        let raw_start = client.raw.len();
        client.write(fl.line().as_bytes());
        client.pump_until_raw(raw_start, b"can't find pane: %999");
        server.ok(&["rename-window", "-t", "@0", "gapname"]);
        client.pump_until_raw(raw_start, b"%window-renamed @0 gapname");
        client.write(b"refresh-client -A '%0:pause'\n");
        client.pump_until_raw(raw_start, b"%pause %0");
        // Until the closing fence, the parser holds everything after the failed capture.
        assert_eq!(
            client.events.len(),
            start + 1,
            "{version}: {:?}",
            &client.events[start..]
        );
        client.write(fl.close().as_bytes());
        let got = client.finish_fenced(start);
        assert_eq!(got.len(), 4, "{version}: {got:?}");
        assert!(
            matches!(&got[1], Ev::Reply { ok: false, body, .. } if body == b"can't find pane: %999")
        );
        assert_eq!(
            got[2],
            Ev::Other(
                "WindowRenamed { window: WindowId(0), name: [103, 97, 112, 110, 97, 109, 101] }"
                    .into()
            ),
            "{version}"
        );
        // tmux writes the %pause this command causes inside its reply (3.2a to 3.7c).
        assert!(
            matches!(&got[3], Ev::Reply { ok: true, flags: 1, body, .. } if body == b"%pause %0"),
            "{version}: {:?}",
            got[3]
        );
        eprintln!("{version}: checked");
    }
}

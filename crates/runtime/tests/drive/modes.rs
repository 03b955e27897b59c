//! One suite, every drive mode: the built-in loop (the router over mio, run to the end or
//! turned by a host that interleaves other work), the host loop (the router over a
//! level-triggered poll(2) loop written like a C host's) and host-fed bytes (the test is the
//! host: it runs `tmux -C` itself with blocking pipes and feeds what it reads). Each mode attaches to a real tmux on a private
//! socket, types, resizes, opens a window, and survives tmux being killed mid-stream with an
//! exit event, every resource released and no thread left hanging.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use muxlink_runtime::backend::{Backend, Interest, MioBackend, Readiness, RemoteWaker, Token};
use muxlink_runtime::drive::Connection;
use muxlink_runtime::hostfed::HostFed;
use muxlink_runtime::mio_loop::BuiltinLoop;
use muxlink_runtime::router::Router;
use muxlink_runtime::transport::{ChildTransport, Socket, TmuxCommand};
use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, ExitReason, Frame, Host, PaneId, WindowId,
};
use muxlink_testkit::{tmux_available, TmuxServer};

const WAIT: Duration = Duration::from_secs(15);

/// What the host saw, shared with the test thread.
#[derive(Default, Debug)]
struct Seen {
    ready: bool,
    frames: HashMap<PaneId, u64>,
    windows_added: Vec<WindowId>,
    exited: Option<ExitReason>,
    exit_events: u32,
}

struct RecHost(Arc<Mutex<Seen>>);

impl Host for RecHost {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        *self
            .0
            .lock()
            .unwrap()
            .frames
            .entry(frame.pane())
            .or_default() += 1;
    }
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        let mut s = self.0.lock().unwrap();
        match event {
            ClientEvent::Ready => s.ready = true,
            ClientEvent::WindowAdded { window } => s.windows_added.push(*window),
            ClientEvent::Exited { reason } => {
                s.exited = Some((*reason).clone());
                s.exit_events += 1;
            }
            _ => {}
        }
    }
}

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// How a mode's thread ended.
#[derive(Debug)]
struct Outcome {
    reason: Option<ExitReason>,
    /// Resources still held at the end (empty when everything was released).
    leaks: Vec<String>,
}

struct Running {
    exec: Box<dyn Fn(Job) -> bool + Send>,
    done: mpsc::Receiver<Outcome>,
    seen: Arc<Mutex<Seen>>,
}

impl Running {
    fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut Client) -> R + Send + 'static) -> R {
        let (tx, rx) = mpsc::channel();
        assert!(
            (self.exec)(Box::new(move |c| {
                let _ = tx.send(f(c));
            })),
            "loop gone"
        );
        rx.recv_timeout(WAIT).expect("operation did not run")
    }

    fn wait_seen(&self, what: &str, mut f: impl FnMut(&Seen) -> bool) {
        let start = Instant::now();
        while !f(&self.seen.lock().unwrap()) {
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn wait_state(&self, what: &str, f: impl Fn(&Client) -> bool + Send + Sync + 'static) {
        let f = Arc::new(f);
        let start = Instant::now();
        loop {
            let g = f.clone();
            if self.call(move |c| g(c)) {
                return;
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn finish(&self) -> Outcome {
        self.done
            .recv_timeout(WAIT)
            .expect("drive mode did not end after tmux died")
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Builtin,
    /// The built-in loop turned by a host that interleaves other work (edge-triggered).
    HostLoop,
    /// Router over a poll(2) loop written like a C host's (level-triggered, raw fds).
    HostLoopPoll,
    HostFed,
}

/// What the host-loop modes need from a test backend besides [`Backend`].
trait TestLoop: Backend + Sized + 'static {
    fn create() -> Self;
    fn turn(router: &mut Router<Self>, max_wait: Option<Duration>) -> io::Result<()>;
    fn watched(&self) -> usize;
    fn timer_armed(&self) -> bool;
}

impl TestLoop for MioBackend {
    fn create() -> Self {
        MioBackend::new().expect("mio backend")
    }
    fn turn(router: &mut Router<Self>, max_wait: Option<Duration>) -> io::Result<()> {
        router.turn(max_wait)
    }
    fn watched(&self) -> usize {
        MioBackend::watched(self)
    }
    fn timer_armed(&self) -> bool {
        MioBackend::timer_armed(self)
    }
}

/// A level-triggered host loop on poll(2), shaped like a C host's: raw descriptors and
/// tokens, one timer, a self-pipe waker. Shows the [`Backend`] contract holds for hosts whose
/// readiness is level-triggered (GLib, CFRunLoop sources) as well as for mio's edges.
struct PollBackend {
    watched: Vec<(Token, RawFd, Interest)>,
    timer: Option<Instant>,
    wake_r: OwnedFd,
    wake_w: Arc<OwnedFd>,
    woken: Arc<AtomicBool>,
}

impl Backend for PollBackend {
    fn watch_fd(&mut self, fd: RawFd, interest: Interest, token: Token) -> io::Result<()> {
        self.watched.retain(|w| w.0 != token);
        self.watched.push((token, fd, interest));
        Ok(())
    }
    fn unwatch_fd(&mut self, token: Token) -> io::Result<()> {
        self.watched.retain(|w| w.0 != token);
        Ok(())
    }
    fn set_timer(&mut self, timeout: Option<Duration>) {
        self.timer = timeout.map(|d| Instant::now() + d);
    }
    fn waker(&self) -> RemoteWaker {
        let (w, woken) = (self.wake_w.clone(), self.woken.clone());
        RemoteWaker::new(move || {
            woken.store(true, Ordering::SeqCst);
            // A full pipe already wakes the loop.
            let _ = rustix::io::write(&*w, &[1]);
        })
    }
}

impl TestLoop for PollBackend {
    fn create() -> Self {
        let (r, w) = rustix::pipe::pipe().expect("pipe");
        rustix::io::ioctl_fionbio(&r, true).expect("nonblocking");
        rustix::io::ioctl_fionbio(&w, true).expect("nonblocking");
        PollBackend {
            watched: Vec::new(),
            timer: None,
            wake_r: r,
            wake_w: Arc::new(w),
            woken: Arc::new(AtomicBool::new(false)),
        }
    }

    fn turn(router: &mut Router<Self>, max_wait: Option<Duration>) -> io::Result<()> {
        use rustix::event::{PollFd, PollFlags};
        let b = router.backend_mut();
        let now = Instant::now();
        let wait = match (b.timer.map(|t| t.saturating_duration_since(now)), max_wait) {
            (Some(a), Some(m)) => Some(a.min(m)),
            (a, m) => a.or(m),
        };
        let timeout = wait.map(|d| rustix::event::Timespec {
            tv_sec: d.as_secs() as _,
            tv_nsec: d.subsec_nanos() as _,
        });
        let tokens: Vec<Token> = b.watched.iter().map(|w| w.0).collect();
        let ready: Vec<(Token, Readiness)> = {
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(b.watched.len() + 1);
            fds.push(PollFd::new(&b.wake_r, PollFlags::IN));
            for &(_, fd, interest) in &b.watched {
                let mut flags = PollFlags::empty();
                if interest.readable {
                    flags |= PollFlags::IN;
                }
                if interest.writable {
                    flags |= PollFlags::OUT;
                }
                // SAFETY: the router keeps every watched descriptor open until it calls
                // unwatch_fd, and this borrow ends before control returns to the router.
                let bfd = unsafe { BorrowedFd::borrow_raw(fd) };
                fds.push(PollFd::from_borrowed_fd(bfd, flags));
            }
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            fds[1..]
                .iter()
                .zip(&tokens)
                .filter_map(|(f, &t)| {
                    let r = f.revents();
                    let readiness = Readiness {
                        readable: r.intersects(PollFlags::IN | PollFlags::HUP),
                        writable: r.contains(PollFlags::OUT),
                        error: r.intersects(PollFlags::ERR | PollFlags::NVAL),
                    };
                    (readiness != Readiness::default()).then_some((t, readiness))
                })
                .collect()
        };
        let mut buf = [0u8; 64];
        while let Ok(n) = rustix::io::read(&b.wake_r, &mut buf) {
            if n == 0 {
                break;
            }
        }
        let woken = b.woken.swap(false, Ordering::SeqCst);
        let fired = b.timer.is_some_and(|t| t <= Instant::now());
        if fired {
            b.timer = None;
        }
        for (t, r) in ready {
            router.on_ready(t, r);
        }
        if fired {
            router.on_timer();
        }
        if woken {
            router.on_wake();
        }
        Ok(())
    }

    fn watched(&self) -> usize {
        self.watched.len()
    }
    fn timer_armed(&self) -> bool {
        self.timer.is_some()
    }
}

fn start_router<B: TestLoop>(
    cmd: TmuxCommand,
    host_seen: Arc<Mutex<Seen>>,
    done_tx: mpsc::Sender<Outcome>,
) -> Box<dyn Fn(Job) -> bool + Send> {
    let (htx, hrx) = mpsc::channel();
    std::thread::spawn(move || {
        let transport = ChildTransport::spawn_tmux(&cmd).expect("spawn tmux");
        let conn = Connection::new(Client::new(config()), transport);
        let mut router = Router::new(B::create());
        let key = router
            .add(conn, Box::new(RecHost(host_seen)) as Box<dyn Host>)
            .unwrap();
        htx.send((router.handle(), key)).unwrap();
        let mut leaks = Vec::new();
        while router.live() > 0 {
            if let Err(e) = B::turn(&mut router, Some(Duration::from_secs(1))) {
                leaks.push(format!("backend error {e}"));
                break;
            }
        }
        let reason = router
            .connection(key)
            .and_then(|c| c.exit_reason().cloned());
        if router.backend().watched() != 0 {
            leaks.push(format!("{} fds still watched", router.backend().watched()));
        }
        if router.backend().timer_armed() {
            leaks.push("timer still armed".into());
        }
        if router.stats().finished != 1 {
            leaks.push(format!("finished count {}", router.stats().finished));
        }
        match router.remove(key) {
            Some((c, _)) if c.is_finished() => {}
            _ => leaks.push("connection not finished".into()),
        }
        let _ = done_tx.send(Outcome { reason, leaks });
    });
    let (handle, key) = hrx.recv_timeout(WAIT).unwrap();
    Box::new(move |job: Job| handle.submit(key, move |c, _h| job(c)).is_ok())
}

fn config() -> ClientConfig {
    ClientConfig::default().with_size(80, 24)
}

fn start(mode: Mode, cmd: TmuxCommand) -> Running {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (done_tx, done_rx) = mpsc::channel();
    let host_seen = seen.clone();
    let exec: Box<dyn Fn(Job) -> bool + Send> = match mode {
        Mode::Builtin => {
            let (htx, hrx) = mpsc::channel();
            std::thread::spawn(move || {
                let transport = ChildTransport::spawn_tmux(&cmd).expect("spawn tmux");
                let conn = Connection::new(Client::new(config()), transport);
                let mut lp: BuiltinLoop<RecHost> = BuiltinLoop::builtin().expect("loop");
                let key = lp.add(conn, RecHost(host_seen)).expect("add");
                htx.send((lp.handle(), key)).unwrap();
                let res = lp.run();
                let mut leaks = Vec::new();
                if let Err(e) = res {
                    leaks.push(format!("loop error {e}"));
                }
                if lp.backend().watched() != 0 {
                    leaks.push(format!("{} fds still watched", lp.backend().watched()));
                }
                let (conn, _) = lp.remove(key).expect("the connection");
                if !conn.is_finished() {
                    leaks.push("connection not finished".into());
                }
                let _ = done_tx.send(Outcome {
                    reason: conn.exit_reason().cloned(),
                    leaks,
                });
            });
            let (handle, key) = hrx.recv_timeout(WAIT).unwrap();
            Box::new(move |job: Job| handle.submit(key, move |c, _h| job(c)).is_ok())
        }
        Mode::HostLoop => start_router::<MioBackend>(cmd, host_seen, done_tx),
        Mode::HostLoopPoll => start_router::<PollBackend>(cmd, host_seen, done_tx),
        Mode::HostFed => {
            enum Msg {
                Bytes(Vec<u8>),
                Eof,
                Op(Job),
            }
            let (tx, rx) = mpsc::channel::<Msg>();
            let reader_tx = tx.clone();
            std::thread::spawn(move || {
                // The host's own process handling: plain blocking std pipes.
                let mut child = cmd
                    .to_command()
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn tmux");
                let mut stdout = child.stdout.take().unwrap();
                let mut stdin = child.stdin.take().unwrap();
                let reader = std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    loop {
                        match stdout.read(&mut buf) {
                            Ok(0) | Err(_) => {
                                let _ = reader_tx.send(Msg::Eof);
                                return;
                            }
                            Ok(n) => {
                                if reader_tx.send(Msg::Bytes(buf[..n].to_vec())).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
                let mut fed = HostFed::new(Client::new(config()), move |b: &[u8]| {
                    match stdin.write_all(b) {
                        Ok(()) => b.len(),
                        // tmux is gone: drop the bytes, the EOF reports the exit.
                        Err(_) => b.len(),
                    }
                });
                let mut host = RecHost(host_seen);
                loop {
                    let msg = match fed.poll_timeout() {
                        Some(t) => {
                            match rx.recv_timeout(t.saturating_duration_since(Instant::now())) {
                                Ok(m) => m,
                                Err(mpsc::RecvTimeoutError::Timeout) => {
                                    fed.on_timeout(Instant::now(), &mut host);
                                    continue;
                                }
                                Err(_) => break,
                            }
                        }
                        None => match rx.recv() {
                            Ok(m) => m,
                            Err(_) => break,
                        },
                    };
                    match msg {
                        Msg::Bytes(b) => fed.feed(&b, Instant::now(), &mut host),
                        Msg::Op(job) => fed.apply(job),
                        Msg::Eof => {
                            let code = child.wait().ok().and_then(|s| s.code());
                            fed.on_eof(
                                ExitReason::process_exited("tmux", code),
                                Instant::now(),
                                &mut host,
                            );
                            break;
                        }
                    }
                }
                let mut leaks = Vec::new();
                if reader.join().is_err() {
                    leaks.push("reader panicked".into());
                }
                if !fed.is_closed() {
                    leaks.push("client not closed".into());
                }
                let _ = done_tx.send(Outcome {
                    reason: None,
                    leaks,
                });
            });
            let tx = Mutex::new(tx);
            Box::new(move |job: Job| tx.lock().unwrap().send(Msg::Op(job)).is_ok())
        }
    };
    Running {
        exec,
        done: done_rx,
        seen,
    }
}

fn active_pane(c: &Client) -> Option<PaneId> {
    c.state().active_pane()
}

fn server_or_skip(tag: &str) -> Option<TmuxServer> {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return None;
    }
    Some(TmuxServer::start_with(tag, 80, 24, &["sh"]).expect("tmux server"))
}

fn attach_cmd(server: &TmuxServer) -> TmuxCommand {
    TmuxCommand::attach(Some("main".into()))
        .socket(Socket::Name(server.socket_name().into()))
        .config_file("/dev/null")
}

fn capture(server: &TmuxServer, pane: PaneId) -> String {
    let t = format!("%{}", pane.0);
    String::from_utf8_lossy(&server.tmux_ok(&["capture-pane", "-p", "-t", &t]).unwrap())
        .into_owned()
}

/// Attach, type, see the frame; resize; new window; kill tmux; exit reported, all freed.
fn basic(mode: Mode) {
    let Some(server) = server_or_skip("drive") else {
        return;
    };
    let run = start(mode, attach_cmd(&server));
    run.wait_seen("Ready", |s| s.ready);
    let pane = run
        .call(|c| active_pane(c))
        .expect("active pane known after Ready");
    // Input typed before the shell set up its terminal may be flushed by it.
    server
        .wait_for(WAIT, |s| {
            (!capture(s, pane).trim().is_empty()).then_some(())
        })
        .expect("shell prompt");

    // Input: the shell runs it, tmux shows it, the client gets frames for that pane.
    let frames_before = run
        .seen
        .lock()
        .unwrap()
        .frames
        .get(&pane)
        .copied()
        .unwrap_or(0);
    run.call(move |c| c.send_input(pane, b"echo hi-$((40+2))\r"))
        .expect("send_input");
    server
        .wait_for(WAIT, |s| {
            capture(s, pane).lines().any(|l| l == "hi-42").then_some(())
        })
        .expect("tmux ran the typed command");
    run.wait_seen("frames for the typed pane", |s| {
        s.frames.get(&pane).copied().unwrap_or(0) > frames_before
    });

    // Resize: tmux's window follows the client size, and so does the model.
    run.call(|c| c.set_client_size(100, 30)).expect("resize");
    server
        .wait_for(WAIT, |s| {
            let out = s
                .tmux_ok(&[
                    "list-windows",
                    "-t",
                    "main",
                    "-F",
                    "#{window_width}x#{window_height}",
                ])
                .ok()?;
            (String::from_utf8_lossy(&out).trim() == "100x30").then_some(())
        })
        .expect("tmux window resized to 100x30");
    run.wait_state("model pane resized", move |c| {
        c.state()
            .pane(pane)
            .is_some_and(|p| p.cols == 100 && p.rows == 30)
    });

    // New window: tmux has two, the host was told, the model knows it.
    run.call(|c| c.new_window(None)).expect("new_window");
    server
        .wait_for(WAIT, |s| {
            let out = s
                .tmux_ok(&["list-windows", "-t", "main", "-F", "#{window_id}"])
                .ok()?;
            (String::from_utf8_lossy(&out).lines().count() == 2).then_some(())
        })
        .expect("tmux has two windows");
    run.wait_seen("WindowAdded", |s| !s.windows_added.is_empty());
    run.wait_state("model has two windows", |c| c.state().windows.len() == 2);

    // Kill tmux: the exit is reported once and the mode ends with nothing held.
    server.tmux_ok(&["kill-server"]).unwrap();
    let out = run.finish();
    assert!(out.leaks.is_empty(), "{mode:?}: leaks {:?}", out.leaks);
    let s = run.seen.lock().unwrap();
    assert_eq!(s.exit_events, 1, "exactly one Exited event: {s:?}");
    assert!(s.exited.is_some());
    if matches!(mode, Mode::Builtin | Mode::HostLoop | Mode::HostLoopPoll) {
        assert!(out.reason.is_some(), "the transport's end is known");
    }
}

/// tmux killed while a pane floods output: exit reported, nothing hangs.
fn killed_mid_stream(mode: Mode) {
    let Some(server) = server_or_skip("drivekill") else {
        return;
    };
    let run = start(mode, attach_cmd(&server));
    run.wait_seen("Ready", |s| s.ready);
    server
        .tmux_ok(&["send-keys", "-t", "main", "yes muxlink-flood-line", "Enter"])
        .unwrap();
    run.wait_seen("flood frames", |s| s.frames.values().sum::<u64>() > 3);
    server.tmux_ok(&["kill-server"]).unwrap();
    let out = run.finish();
    assert!(out.leaks.is_empty(), "{mode:?}: leaks {:?}", out.leaks);
    let s = run.seen.lock().unwrap();
    assert_eq!(s.exit_events, 1, "{s:?}");
    assert!(s.exited.is_some());
    if matches!(mode, Mode::Builtin | Mode::HostLoop | Mode::HostLoopPoll) {
        assert!(out.reason.is_some(), "the transport's end is known");
    }
}

/// No session on the socket: `attach` fails; the exit is reported once, with tmux's own
/// message, and the transport's side says tmux exited with an error status.
fn no_server(mode: Mode) {
    if !tmux_available() {
        eprintln!("tmux not installed; skipping");
        return;
    }
    // A socket in a scratch directory: nothing runs there, and nothing is left behind.
    let dir = muxlink_testkit::TempDir::new("nosrv").unwrap();
    let cmd = TmuxCommand::attach(None)
        .socket(Socket::Path(dir.path().join("sock")))
        .config_file("/dev/null");
    let run = start(mode, cmd);
    let out = run.finish();
    assert!(out.leaks.is_empty(), "{mode:?}: leaks {:?}", out.leaks);
    let s = run.seen.lock().unwrap();
    assert_eq!(s.exit_events, 1, "{s:?}");
    assert!(!s.ready);
    assert_eq!(
        s.exited,
        Some(ExitReason::Refused("no sessions".into())),
        "{mode:?}: tmux's words reach the exit event"
    );
    if matches!(mode, Mode::Builtin | Mode::HostLoop | Mode::HostLoopPoll) {
        match &out.reason {
            Some(ExitReason::ProcessExited {
                code: Some(code), ..
            }) => assert_ne!(*code, 0),
            other => panic!("unexpected transport end {other:?}"),
        }
    }
}

macro_rules! every_mode {
    ($($m:ident => $mode:expr),* $(,)?) => {$(
        mod $m {
            use super::*;
            #[test]
            fn attach_input_resize_window_kill() {
                basic($mode)
            }
            #[test]
            fn tmux_killed_mid_stream() {
                killed_mid_stream($mode)
            }
            #[test]
            fn no_server_reports_exit() {
                no_server($mode)
            }
        }
    )*};
}

every_mode! {
    builtin_loop => Mode::Builtin,
    host_loop => Mode::HostLoop,
    host_loop_poll => Mode::HostLoopPoll,
    host_fed => Mode::HostFed,
}

#[test]
fn host_fed_writes_only_after_tmux_spoke() {
    // Without tmux: the handshake waits for the startup command's reply, then reaches the
    // write callback as whole command lines.
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let mut fed = HostFed::new(Client::new(ClientConfig::default()), move |b: &[u8]| {
        g.lock().unwrap().extend_from_slice(b);
        b.len()
    });
    assert!(got.lock().unwrap().is_empty(), "nothing before tmux speaks");
    assert!(fed.client().wants_write(), "the handshake is queued");
    let mut host = RecHost(Arc::new(Mutex::new(Seen::default())));
    fed.feed(b"%begin 1 1 0\n%end 1 1 0\n", Instant::now(), &mut host);
    assert!(
        !fed.client().wants_write(),
        "all queued bytes handed to the host"
    );
    let got = got.lock().unwrap();
    assert!(
        !got.is_empty() && got.ends_with(b"\n"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn command_line_spawns_what_it_says() {
    // The command line a TmuxCommand spawns is exactly what args() reports.
    let cmd = TmuxCommand::attach(Some("x".into())).socket(Socket::Name("n".into()));
    let c = cmd.to_command();
    let args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    assert_eq!(args, cmd.args());
    assert_eq!(c.get_program(), "tmux");
}

//! Transports and drive-mode features beyond the shared suite: `ssh` through a stand-in
//! script, socket paths and new sessions, `--record`, a host stream entering control mode by
//! DCS 1000p (accepted and refused), and a router driving several clients at once.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use muxlink_runtime::drive::Connection;
use muxlink_runtime::hostfed::HostFed;
use muxlink_runtime::mio_loop::BuiltinLoop;
use muxlink_runtime::record::Recorder;
use muxlink_runtime::router::ClientKey;
use muxlink_runtime::transport::{Action, ChildTransport, Socket, SshCommand, TmuxCommand};
use muxlink_runtime::{Client, ClientConfig, ClientEvent, ExitReason, Frame, Host, PaneId};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

const WAIT: Duration = Duration::from_secs(15);

#[derive(Default, Debug)]
struct Seen {
    ready: bool,
    frames: u64,
    exited: Vec<ExitReason>,
    control_requested: u32,
    passthrough: Vec<u8>,
}

#[derive(Clone, Default)]
struct RecHost(Arc<Mutex<Seen>>);

impl Host for RecHost {
    fn on_frame(&mut self, _frame: &Frame<'_>) {
        self.0.lock().unwrap().frames += 1;
    }
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        let mut s = self.0.lock().unwrap();
        match event {
            ClientEvent::Ready => s.ready = true,
            ClientEvent::Exited { reason } => s.exited.push((*reason).clone()),
            ClientEvent::ControlModeRequested => s.control_requested += 1,
            ClientEvent::Passthrough(b) => s.passthrough.extend_from_slice(b),
            _ => {}
        }
    }
}

fn skip() -> bool {
    if tmux_available() {
        false
    } else {
        eprintln!("tmux not installed; skipping");
        true
    }
}

/// One connection on the built-in loop, with a handle on what its host saw.
struct Single {
    lp: BuiltinLoop<RecHost>,
    key: ClientKey,
}

impl Single {
    fn new(conn: Connection, host: &RecHost) -> Single {
        let mut lp = BuiltinLoop::builtin().unwrap();
        let key = lp.add(conn, host.clone()).unwrap();
        Single { lp, key }
    }

    fn conn(&self) -> &Connection {
        self.lp.connection(self.key).unwrap()
    }

    /// Runs an operation on the client; the loop writes what it queued.
    fn op<R>(&mut self, f: impl FnOnce(&mut Client) -> R) -> R {
        self.lp.with_client(self.key, |c, _| f(c)).unwrap()
    }

    fn turn(&mut self, max_wait: Option<Duration>) {
        self.lp.turn(max_wait).unwrap();
    }

    fn run(&mut self) {
        self.lp.run().unwrap();
    }

    fn close(&mut self) {
        self.lp.close(self.key);
    }
}

/// Turns the built-in loop until `done` holds (or fails after WAIT).
fn pump_until(lp: &mut Single, what: &str, mut done: impl FnMut(&Connection, &Seen) -> bool) {
    let start = Instant::now();
    let host = lp.lp.host(lp.key).unwrap().clone();
    loop {
        if done(lp.conn(), &host.0.lock().unwrap()) {
            return;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        lp.turn(Some(Duration::from_millis(20)));
    }
}

/// Waits until the pane's shell printed its prompt: input typed before the shell set up
/// its terminal may be flushed by it.
fn wait_prompt(server: &TmuxServer) {
    server
        .wait_for(WAIT, |s| {
            let out = s.tmux_ok(&["capture-pane", "-p", "-t", "main"]).ok()?;
            (!String::from_utf8_lossy(&out).trim().is_empty()).then_some(())
        })
        .expect("shell prompt");
}

fn active_pane(c: &Client) -> Option<PaneId> {
    let m = c.state();
    m.window(m.session()?.active_window?)?.active_pane
}

/// A stand-in `ssh`: drops its options and the host, then runs the remote words locally
/// through a shell, as sshd would (`exec` so that killing it kills the client, as with ssh).
fn fake_ssh(dir: &Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("ssh");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

const FORWARD: &str = r#"while [ $# -gt 0 ]; do case "$1" in --) shift; break;; *) shift;; esac; done
exec sh -c "exec $*""#;

fn ssh_command(dir: &Path, ssh: &SshCommand) -> std::process::Command {
    let mut c = ssh.to_command();
    let path = std::env::var("PATH").unwrap_or_default();
    c.env("PATH", format!("{}:{path}", dir.display()));
    c
}

#[test]
fn ssh_attaches_types_and_reports_its_death() {
    if skip() {
        return;
    }
    let server = TmuxServer::start_with("ssh", 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new("ssh").unwrap();
    fake_ssh(dir.path(), FORWARD);
    let tmux =
        TmuxCommand::attach(Some("main".into())).socket(Socket::Name(server.socket_name().into()));
    let ssh = SshCommand::new("buildbox").remote_tmux(&tmux);
    let transport = ChildTransport::spawn(ssh_command(dir.path(), &ssh)).unwrap();
    let pid = transport.pid();
    let conn = Connection::new(Client::new(ClientConfig::default()), transport);
    let host = RecHost::default();
    let mut lp = Single::new(conn, &host);
    pump_until(&mut lp, "Ready over ssh", |_, s| s.ready);

    let pane = active_pane(lp.conn().client()).unwrap();
    wait_prompt(&server);
    lp.op(|c| c.send_input(pane, b"echo over-ssh-$((1+1))\r"))
        .unwrap();
    let target = format!("%{}", pane.0);
    let start = Instant::now();
    loop {
        let out = server
            .tmux_ok(&["capture-pane", "-p", "-t", &target])
            .unwrap();
        if String::from_utf8_lossy(&out)
            .lines()
            .any(|l| l == "over-ssh-2")
        {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "typed text never ran: {}",
            String::from_utf8_lossy(&out)
        );
        lp.turn(Some(Duration::from_millis(20)));
    }

    // ssh dies (killed): the loop ends with the exit reported once, the child reaped.
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    pump_until(&mut lp, "exit after ssh died", |c, _| c.is_finished());
    let s = host.0.lock().unwrap();
    assert_eq!(s.exited.len(), 1, "{s:?}");
    assert!(
        matches!(
            &s.exited[0],
            ExitReason::ProcessExited { code: None, signal: Some(9), stderr, .. }
                if stderr.is_empty()
        ),
        "killed by a signal: {:?}",
        s.exited[0]
    );
    // The server is untouched: only the ssh side died.
    assert!(server.tmux_ok(&["has-session", "-t", "main"]).is_ok());
}

#[test]
fn ssh_that_cannot_connect_says_why() {
    let dir = TempDir::new("ssh-fail").unwrap();
    fake_ssh(
        dir.path(),
        "echo 'ssh: connect to host nowhere port 22: Connection refused' >&2\nexit 255",
    );
    let ssh = SshCommand::new("nowhere");
    let transport = ChildTransport::spawn(ssh_command(dir.path(), &ssh)).unwrap();
    let conn = Connection::new(Client::new(ClientConfig::default()), transport);
    let host = RecHost::default();
    let mut lp = Single::new(conn, &host);
    lp.run();
    let s = host.0.lock().unwrap();
    assert_eq!(
        s.exited,
        [ExitReason::ProcessExited {
            program: "ssh".into(),
            code: Some(255),
            signal: None,
            stderr: "ssh: connect to host nowhere port 22: Connection refused".into(),
        }]
    );
    assert_eq!(
        s.exited[0].to_string(),
        "ssh exited with status 255: ssh: connect to host nowhere port 22: Connection refused"
    );
    assert_eq!(lp.conn().exit_reason(), Some(&s.exited[0]));
}

#[test]
fn socket_path_and_new_session_then_detach() {
    if skip() {
        return;
    }
    let dir = TempDir::new("sock").unwrap();
    let sock = dir.path().join("tmux.sock");
    let cmd = TmuxCommand::with_action(Action::New {
        name: Some("fresh one".into()),
    })
    .socket(Socket::Path(sock.clone()))
    .config_file("/dev/null");
    let conn = Connection::new(
        Client::new(ClientConfig::default()),
        ChildTransport::spawn_tmux(&cmd).unwrap(),
    );
    let host = RecHost::default();
    let mut lp = Single::new(conn, &host);
    pump_until(&mut lp, "Ready", |_, s| s.ready);
    let list = std::process::Command::new("tmux")
        .arg("-S")
        .arg(&sock)
        .args(["list-sessions", "-F", "#{session_name}"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "fresh one");
    // Detach: tmux says %exit, the child exits 0, the loop returns.
    lp.op(|c| c.detach()).unwrap();
    lp.run();
    assert!(lp.conn().is_finished());
    assert!(
        matches!(
            lp.conn().exit_reason(),
            Some(ExitReason::ProcessExited { code: Some(0), stderr, .. }) if stderr.is_empty()
        ),
        "{:?}",
        lp.conn().exit_reason()
    );
    let s = host.0.lock().unwrap();
    assert_eq!(s.exited.len(), 1);
    assert!(matches!(s.exited[0], ExitReason::Exit(_)), "{:?}", s.exited);
    let _ = std::process::Command::new("tmux")
        .arg("-S")
        .arg(&sock)
        .arg("kill-server")
        .output();
}

#[test]
fn record_writes_the_raw_stream() {
    if skip() {
        return;
    }
    let server = TmuxServer::start_with("record", 80, 24, &["sh"]).unwrap();
    let dir = TempDir::new("record").unwrap();
    let file = dir.path().join("session.tmux");
    let cmd =
        TmuxCommand::attach(Some("main".into())).socket(Socket::Name(server.socket_name().into()));
    let conn = Connection::new(
        Client::new(ClientConfig::default()),
        ChildTransport::spawn_tmux(&cmd).unwrap(),
    )
    .with_recorder(Recorder::create(&file).unwrap());
    let host = RecHost::default();
    let mut lp = Single::new(conn, &host);
    pump_until(&mut lp, "Ready", |_, s| s.ready);
    let pane = active_pane(lp.conn().client()).unwrap();
    wait_prompt(&server);
    lp.op(|c| c.send_input(pane, b"echo rec\\\\orded\r"))
        .unwrap();
    // Wait until tmux ran it, and the client has read the echo (frames for the pane).
    let target = format!("%{}", pane.0);
    let frames0 = host.0.lock().unwrap().frames;
    let start = Instant::now();
    loop {
        let out = server
            .tmux_ok(&["capture-pane", "-p", "-t", &target])
            .unwrap();
        let ran = String::from_utf8_lossy(&out)
            .lines()
            .any(|l| l == "rec\\orded");
        if ran && host.0.lock().unwrap().frames > frames0 {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "typed text never ran: {}",
            String::from_utf8_lossy(&out)
        );
        lp.turn(Some(Duration::from_millis(20)));
    }
    let until = Instant::now() + Duration::from_millis(200);
    while Instant::now() < until {
        lp.turn(Some(Duration::from_millis(20)));
    }
    server.tmux_ok(&["kill-server"]).unwrap();
    lp.run();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(
        bytes.len() as u64,
        lp.conn().stats().bytes_in,
        "every byte read was recorded"
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("%begin "), "{text:.80}");
    // %output escapes `\` as \134: the raw, escaped stream is what is kept.
    assert!(text.contains("rec\\134orded"), "typed output in the record");
}

/// A host stream: text, then DCS 1000p and a control-mode session (a real `tmux -C`), as
/// `tmux -CC` would print it into the host's PTY.
fn host_stream_child(server: &TmuxServer) -> std::process::Child {
    let script = format!(
        "printf 'plain text\\033P1000p'; exec tmux -L {} -C attach-session -t main",
        server.socket_name()
    );
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .env_remove("TMUX")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn run_host_stream(accept: bool) -> (Seen, Vec<u8>) {
    use std::io::{Read, Write};
    let server = TmuxServer::start_with("dcs", 80, 24, &["sh"]).unwrap();
    let mut child = host_stream_child(&server);
    let mut stdout = child.stdout.take().unwrap();
    let stdin = Arc::new(Mutex::new(child.stdin.take()));
    let written = Arc::new(Mutex::new(Vec::new()));
    let (w, s_in) = (written.clone(), stdin.clone());
    let config = ClientConfig::default().with_host_stream(true);
    let mut fed = HostFed::new(Client::new(config), move |b: &[u8]| {
        w.lock().unwrap().extend_from_slice(b);
        if let Some(i) = s_in.lock().unwrap().as_mut() {
            let _ = i.write_all(b);
        }
        b.len()
    });
    assert!(
        written.lock().unwrap().is_empty(),
        "nothing written before control mode"
    );
    let mut host = RecHost::default();
    let (tx, rx) = std::sync::mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let start = Instant::now();
    let mut decided = false;
    let mut detached = false;
    loop {
        assert!(start.elapsed() < WAIT, "host stream test timed out");
        let msg = rx.recv_timeout(Duration::from_millis(50));
        if let Ok(Some(b)) = &msg {
            fed.feed(b, Instant::now(), &mut host);
        }
        if !decided && host.0.lock().unwrap().control_requested > 0 {
            decided = true;
            if accept {
                fed.accept_control_mode(Instant::now(), &mut host);
            } else {
                fed.decline_control_mode(Instant::now(), &mut host);
                // A refusing host ends that tmux itself.
                *stdin.lock().unwrap() = None;
            }
        }
        if accept && host.0.lock().unwrap().ready && !detached {
            detached = true;
            // Control mode works: end it the way a host would, by detaching.
            fed.apply(|c| c.detach()).unwrap();
        }
        if let Ok(None) = msg {
            fed.on_eof(ExitReason::Eof, Instant::now(), &mut host);
            break;
        }
    }
    let _ = child.wait();
    let seen = std::mem::take(&mut *host.0.lock().unwrap());
    let w = written.lock().unwrap().clone();
    (seen, w)
}

#[test]
fn host_stream_dcs_accepted_enters_control_mode() {
    if skip() {
        return;
    }
    let (seen, written) = run_host_stream(true);
    assert_eq!(seen.control_requested, 1);
    assert!(seen.ready, "handshake completed after the host accepted");
    assert!(
        seen.passthrough.starts_with(b"plain text"),
        "{:?}",
        String::from_utf8_lossy(&seen.passthrough)
    );
    assert!(
        !written.is_empty(),
        "the handshake went through the write callback"
    );
    assert!(!seen.exited.is_empty(), "{:?}", seen.exited);
    assert!(
        matches!(seen.exited[0], ExitReason::Exit(_)),
        "{:?}",
        seen.exited
    );
}

#[test]
fn host_stream_dcs_refused_stays_plain() {
    if skip() {
        return;
    }
    let (seen, written) = run_host_stream(false);
    assert_eq!(seen.control_requested, 1);
    assert!(!seen.ready);
    assert!(
        written.is_empty(),
        "a refusing client writes nothing to the PTY"
    );
    // The DCS and what tmux printed after it reach the host as plain bytes.
    let p = String::from_utf8_lossy(&seen.passthrough);
    assert!(p.starts_with("plain text\u{1b}P1000p"), "{p:?}");
}

#[test]
fn router_drives_several_clients_and_counts() {
    if skip() {
        return;
    }
    let servers: Vec<TmuxServer> = (0..3)
        .map(|i| TmuxServer::start_with(&format!("router{i}"), 80, 24, &["sh"]).unwrap())
        .collect();
    let mut router: BuiltinLoop = BuiltinLoop::builtin().unwrap();
    let mut hosts = Vec::new();
    let mut keys = Vec::new();
    for s in &servers {
        let cmd =
            TmuxCommand::attach(Some("main".into())).socket(Socket::Name(s.socket_name().into()));
        let conn = Connection::new(
            Client::new(ClientConfig::default()),
            ChildTransport::spawn_tmux(&cmd).unwrap(),
        );
        let host = RecHost::default();
        keys.push(router.add(conn, Box::new(host.clone())).unwrap());
        hosts.push(host);
    }
    assert_eq!(router.live(), 3);
    let start = Instant::now();
    while !hosts.iter().all(|h| h.0.lock().unwrap().ready) {
        assert!(start.elapsed() < WAIT, "not all clients ready");
        router.turn(Some(Duration::from_millis(50))).unwrap();
    }
    // Output in each server reaches its own client only.
    for (i, s) in servers.iter().enumerate() {
        s.tmux_ok(&[
            "send-keys",
            "-t",
            "main",
            &format!("echo client-{i}"),
            "Enter",
        ])
        .unwrap();
    }
    let before: Vec<u64> = hosts.iter().map(|h| h.0.lock().unwrap().frames).collect();
    let start = Instant::now();
    while hosts
        .iter()
        .zip(&before)
        .any(|(h, b)| h.0.lock().unwrap().frames <= *b)
    {
        assert!(start.elapsed() < WAIT, "frames missing");
        router.turn(Some(Duration::from_millis(50))).unwrap();
    }
    // Kill the middle server: only that client ends.
    servers[1].tmux_ok(&["kill-server"]).unwrap();
    let start = Instant::now();
    while router.live() != 2 {
        assert!(start.elapsed() < WAIT, "killed client not finished");
        router.turn(Some(Duration::from_millis(50))).unwrap();
    }
    assert!(router.connection(keys[1]).unwrap().is_finished());
    assert!(!router.connection(keys[0]).unwrap().is_finished());
    assert_eq!(hosts[1].0.lock().unwrap().exited.len(), 1);
    assert!(hosts[0].0.lock().unwrap().exited.is_empty());
    // Two live clients: two stdout + two stderr pipes watched.
    assert_eq!(router.backend().watched(), 4);

    let stats = router.stats();
    assert!(stats.ready > 0 && stats.finished == 1, "{stats:?}");
    let h = router.latency();
    // One dispatch in DEFAULT_SAMPLE_EVERY is timed, the first one included.
    let dispatches = stats.ready + stats.timers + stats.wakes;
    let every = u64::from(muxlink_runtime::router::DEFAULT_SAMPLE_EVERY);
    assert_eq!(
        h.samples,
        dispatches.div_ceil(every),
        "sampled dispatches recorded"
    );
    assert!(h.p50 > Duration::ZERO && h.min <= h.p50 && h.p50 <= h.p99 && h.p99 <= h.max);

    // Removing the others ends their tmux clients and unwatches everything.
    for k in keys {
        router.remove(k);
    }
    assert_eq!(router.backend().watched(), 0);
    assert_eq!(router.live(), 0);
}

/// tmux may read stdin commands before its startup command attached the client ("no current
/// client"): the drive modes hold the handshake until tmux spoke. Regression test for a race
/// that lost the initial `refresh-client -C` about one attach in seven; several attaches at
/// once make it show.
#[test]
fn initial_client_size_applies_on_every_attach() {
    if skip() {
        return;
    }
    let servers: Vec<TmuxServer> = (0..8)
        .map(|i| TmuxServer::start_with(&format!("size{i}"), 80, 24, &["sh"]).unwrap())
        .collect();
    let mut router: BuiltinLoop = BuiltinLoop::builtin().unwrap();
    for s in &servers {
        let cmd =
            TmuxCommand::attach(Some("main".into())).socket(Socket::Name(s.socket_name().into()));
        let config = ClientConfig::default().with_size(101, 31);
        let conn = Connection::new(
            Client::new(config),
            ChildTransport::spawn_tmux(&cmd).unwrap(),
        );
        router.add(conn, Box::new(RecHost::default())).unwrap();
    }
    for (i, s) in servers.iter().enumerate() {
        let start = Instant::now();
        loop {
            let out = s
                .tmux_ok(&["list-windows", "-F", "#{window_width}x#{window_height}"])
                .unwrap();
            if String::from_utf8_lossy(&out).trim() == "101x31" {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "server {i} kept {}",
                String::from_utf8_lossy(&out).trim()
            );
            router.turn(Some(Duration::from_millis(20))).unwrap();
        }
    }
}

/// The built-in loop arms the client's timer (`poll_timeout`): with a frame interval, output
/// that arrives while frames are held is delivered by the timer alone, since nothing more is
/// read (the stand-in for tmux goes quiet but stays open).
#[test]
fn builtin_loop_fires_client_timers() {
    let dir = TempDir::new("timers").unwrap();
    let (p1, p2) = (dir.path().join("p1"), dir.path().join("p2"));
    std::fs::write(
        &p1,
        "%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n%output %0 one\\015\\012\n",
    )
    .unwrap();
    std::fs::write(&p2, "%output %0 two\\015\\012\n").unwrap();
    let script = format!(
        "cat '{}'; sleep 0.05; cat '{}'; exec sleep 30",
        p1.display(),
        p2.display()
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(script);
    let config = ClientConfig::default()
        .with_handshake(false)
        .with_frame_interval(Some(Duration::from_millis(400)));
    let conn = Connection::new(Client::new(config), ChildTransport::spawn(cmd).unwrap());
    let host = RecHost::default();
    let mut lp = Single::new(conn, &host);
    let start = Instant::now();
    pump_until(&mut lp, "first frame", |_, s| s.frames >= 1);
    pump_until(&mut lp, "second output read", |c, _| {
        c.client()
            .state()
            .pane(PaneId(0))
            .is_some_and(|p| p.screen_lines().iter().any(|l| l == "two"))
    });
    assert_eq!(
        host.0.lock().unwrap().frames,
        1,
        "second frame held by the interval"
    );
    // Turns without a time limit of their own: only the client's deadline can end the
    // wait (the child stays silent for 30 s).
    while host.0.lock().unwrap().frames < 2 {
        lp.turn(None);
        assert!(!lp.conn().is_finished());
    }
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the loop slept past the deadline"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(350),
        "not before the interval"
    );
    let pane = lp.conn().client().state().pane(PaneId(0)).unwrap();
    assert_eq!(&pane.screen_lines()[..2], ["one", "two"]);
    // Closing from the host side ends the child that would have slept on.
    lp.close();
    assert!(lp.conn().is_finished());
    assert_eq!(host.0.lock().unwrap().exited.len(), 1);
}

/// A child that closes its output but keeps running is reaped without blocking the loop: no
/// turn waits for it, and after the grace period it is killed and the exit reported.
#[test]
fn a_child_that_lingers_is_killed_without_blocking() {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg("exec >&- 2>&-; exec sleep 30");
    let transport = ChildTransport::spawn(cmd).unwrap();
    let conn = Connection::new(Client::new(ClientConfig::default()), transport);
    let host = RecHost::default();
    let mut lp = Single::new(conn, &host);
    let start = Instant::now();
    let mut longest = Duration::ZERO;
    let mut saw_reaping = false;
    while !lp.conn().is_finished() {
        let t = Instant::now();
        lp.turn(None);
        longest = longest.max(t.elapsed());
        saw_reaping |= lp.conn().is_reaping();
        assert!(start.elapsed() < WAIT, "never finished");
    }
    assert!(
        saw_reaping,
        "the connection waited for the child through its deadline"
    );
    assert!(
        longest < muxlink_runtime::drive::REAP_GRACE / 2,
        "a turn blocked for {longest:?}"
    );
    let killed = |r: &ExitReason| {
        matches!(r, ExitReason::ProcessExited { code: None, signal: None | Some(9), stderr, .. }
            if stderr.is_empty())
    };
    assert!(
        lp.conn().exit_reason().is_some_and(killed),
        "killed: {:?}",
        lp.conn().exit_reason()
    );
    let exited = host.0.lock().unwrap().exited.clone();
    assert!(exited.len() == 1 && killed(&exited[0]), "{exited:?}");
}

/// Whether `pid` has been reaped (a zombie keeps its /proc entry until then).
#[cfg(target_os = "linux")]
fn reaped(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Closing a connection whose child will not exit returns at once: the child is left to a
/// background reaper, killed after the grace period and reaped (no zombie). The exit is
/// reported once, at the close.
#[cfg(target_os = "linux")]
#[test]
fn close_returns_at_once_and_the_child_is_reaped_later() {
    // Ignores the end of its input, SIGTERM and SIGHUP, and keeps its output open.
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg("trap '' TERM HUP; exec sleep 30");
    let transport = ChildTransport::spawn(cmd).unwrap();
    let pid = transport.pid();
    let mut conn = Connection::new(Client::new(ClientConfig::default()), transport);
    let mut host = RecHost::default();
    let t = Instant::now();
    conn.close(Instant::now(), &mut host);
    let took = t.elapsed();
    assert!(
        took < Duration::from_millis(100),
        "close blocked for {took:?}"
    );
    assert!(conn.is_finished());
    assert_eq!(host.0.lock().unwrap().exited, [ExitReason::ClosedByHost]);
    assert!(!reaped(pid), "it ignores its input closing: still alive");
    let deadline = Instant::now() + WAIT;
    while !reaped(pid) {
        assert!(Instant::now() < deadline, "child {pid} never reaped");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        t.elapsed() >= muxlink_runtime::drive::REAP_GRACE,
        "killed before its grace"
    );
    drop(conn);
}

/// A child that exits as soon as its input closes is reaped by the close itself or moments
/// later; dropping a transport whose child runs on kills and reaps it without blocking.
#[cfg(target_os = "linux")]
#[test]
fn close_and_drop_leave_no_zombie() {
    let transport = ChildTransport::spawn(std::process::Command::new("cat")).unwrap();
    let pid = transport.pid();
    let mut conn = Connection::new(Client::new(ClientConfig::default()), transport);
    conn.close(Instant::now(), &mut RecHost::default());
    drop(conn);
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg("trap '' TERM HUP; exec sleep 30");
    let transport = ChildTransport::spawn(cmd).unwrap();
    let pid2 = transport.pid();
    let t = Instant::now();
    drop(transport);
    assert!(t.elapsed() < Duration::from_millis(100), "drop blocked");
    let deadline = Instant::now() + WAIT;
    while !(reaped(pid) && reaped(pid2)) {
        assert!(Instant::now() < deadline, "not reaped: {pid} {pid2}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

//! A small blocking driver for the sans-I/O client against a real tmux (tests only): a child
//! `tmux -C attach`, a reader thread, and comparisons of the model with tmux's own answers.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, EventQueue, ExitReason, Frame, Host, PaneId,
};
use muxlink_testkit::TmuxServer;

/// Records what the client told the host.
#[derive(Default)]
pub struct RecHost {
    pub frames: u64,
    pub frame_rows: u64,
    pub ready: bool,
    pub exited: Option<ExitReason>,
    pub paused: Vec<PaneId>,
    pub resumed: Vec<PaneId>,
    pub degraded: bool,
    pub errors: Vec<String>,
    /// Every event but `OutputAge`, as typed values.
    pub events: EventQueue,
    pub pane_bytes: std::collections::HashMap<PaneId, Vec<u8>>,
    pub resets: Vec<(PaneId, u16, u16, Vec<u8>)>,
    /// `%extended-output` ages seen (ms).
    pub ages: Vec<u64>,
}

impl Host for RecHost {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        self.frames += 1;
        self.frame_rows += frame.dirty_rows().len() as u64;
    }
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        match event {
            ClientEvent::Ready => self.ready = true,
            ClientEvent::Exited { reason } => self.exited = Some((*reason).clone()),
            ClientEvent::Paused { pane } => self.paused.push(*pane),
            ClientEvent::Resumed { pane } => self.resumed.push(*pane),
            ClientEvent::Degraded { .. } => self.degraded = true,
            ClientEvent::OutputAge { age_ms, .. } => self.ages.push(*age_ms),
            ClientEvent::ProtocolError { error, line } => self
                .errors
                .push(format!("{error}: {}", String::from_utf8_lossy(line))),
            ClientEvent::CommandFailed { message, .. } => self.errors.push(format!(
                "command failed: {}",
                String::from_utf8_lossy(message)
            )),
            ClientEvent::UnmatchedReply { number } => {
                self.errors.push(format!("unmatched reply {number}"))
            }
            ClientEvent::PaneBytes { pane, bytes } => self
                .pane_bytes
                .entry(*pane)
                .or_default()
                .extend_from_slice(bytes),
            ClientEvent::PaneReset {
                pane,
                cols,
                rows,
                rebuild,
            } => {
                self.pane_bytes.insert(*pane, Vec::new());
                self.resets.push((*pane, *cols, *rows, rebuild.to_vec()));
            }
            _ => {}
        }
        // Pane bytes are kept above; ages would flood the log.
        if !matches!(
            event,
            ClientEvent::OutputAge { .. } | ClientEvent::PaneBytes { .. }
        ) {
            self.events.push(event);
        }
    }
}

/// A client attached to a private tmux server through `tmux -C attach`.
pub struct Live {
    pub child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Option<Vec<u8>>>,
    pub client: Client,
    pub host: RecHost,
    pub bytes_in: u64,
    /// `flush_frames` calls (one per batch of reads).
    pub batches: u64,
    /// When set, the bytes of each batch, in order (a recording to replay).
    pub recorded: Option<Vec<Vec<u8>>>,
    eof: bool,
    /// The last batch stopped at its bound with more output queued.
    behind: bool,
    /// While set, the reader thread stops reading tmux's stdout (a stalled client).
    stall: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Whether tests needing tmux can run; prints why not.
pub fn have_tmux() -> bool {
    if muxlink_testkit::tmux_available() {
        true
    } else {
        eprintln!("tmux not installed; skipping (CI installs it)");
        false
    }
}

impl Live {
    /// Attaches to session `main` of `server`.
    pub fn attach(server: &TmuxServer, config: ClientConfig) -> Live {
        Live::attach_args(server, config, &["-C", "attach", "-t", "main"])
    }

    /// Starts `tmux -L name ARGS` and wires it to a fresh client.
    pub fn attach_args(server: &TmuxServer, config: ClientConfig, args: &[&str]) -> Live {
        let mut child = server
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tmux -C");
        let mut stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        // Bounded, as a real client's pipe is: a flood that outruns the client blocks tmux's
        // writes instead of piling up here (an unbounded queue grew to gigabytes against
        // next-3.8, which writes a flood faster than this debug build reads it).
        let (tx, rx) = sync_channel(16);
        let stall = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stalled = stall.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                while stalled.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
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
        Live {
            child,
            stdin,
            rx,
            client: Client::new(config),
            host: RecHost::default(),
            bytes_in: 0,
            batches: 0,
            recorded: None,
            eof: false,
            behind: false,
            stall,
        }
    }

    fn write_out(&mut self) {
        // tmux speaks first (its startup command's flags-0 block). tmux 3.3a may read stdin
        // before `attach` has attached this client, and then `refresh-client -C/-f` fail with
        // "no current client"; the drive modes wait for tmux's first bytes, and so does this.
        if self.bytes_in == 0 {
            return;
        }
        let out = self.client.outgoing();
        if out.is_empty() {
            return;
        }
        let n = out.len();
        if let Some(stdin) = self.stdin.as_mut() {
            if stdin.write_all(out).and_then(|_| stdin.flush()).is_err() {
                self.stdin = None;
            }
        }
        self.client.consume_outgoing(n);
    }

    /// Reads and applies whatever arrives within `wait` (at least one chunk if any comes).
    pub fn pump(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        loop {
            self.write_out();
            // Wake for the client's timers too (held frames, a nudge), as a drive mode does.
            let wake = self
                .client
                .poll_timeout()
                .map_or(deadline, |t| t.min(deadline));
            let left = wake.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Some(bytes)) => {
                    let now = Instant::now();
                    self.bytes_in += bytes.len() as u64;
                    self.client.receive(&bytes, now, &mut self.host);
                    let mut batch = self.recorded.is_some().then(|| bytes.clone());
                    // Take what is already queued as one batch, but no more than the channel
                    // holds: under a flood the queue never empties, and the client's own
                    // commands must still go out between batches.
                    let mut taken = 0;
                    self.behind = true;
                    while taken < 16 && Instant::now() < deadline {
                        let Ok(Some(more)) = self.rx.try_recv() else {
                            self.behind = false;
                            break;
                        };
                        taken += 1;
                        self.bytes_in += more.len() as u64;
                        self.client.receive(&more, now, &mut self.host);
                        if let Some(b) = batch.as_mut() {
                            b.extend_from_slice(&more);
                        }
                    }
                    if let (Some(r), Some(b)) = (self.recorded.as_mut(), batch) {
                        r.push(b);
                    }
                    self.batches += 1;
                    self.client.flush_frames(now, &mut self.host);
                }
                Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                    if !self.eof {
                        self.eof = true;
                        let status = self.child.wait().ok().and_then(|s| s.code());
                        let reason = if self.client.is_closed() {
                            ExitReason::Eof
                        } else {
                            ExitReason::process_exited("tmux", status)
                        };
                        self.client.on_eof(reason, &mut self.host);
                    }
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.on_timeout(now, &mut self.host);
            }
            self.write_out();
            if Instant::now() >= deadline {
                return;
            }
        }
    }

    /// Pumps until `pred` holds or `timeout` passes; returns whether it held.
    pub fn pump_until(
        &mut self,
        timeout: Duration,
        mut pred: impl FnMut(&Client, &RecHost) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.client, &self.host) {
                return true;
            }
            if Instant::now() >= deadline || self.eof {
                return pred(&self.client, &self.host);
            }
            self.pump(Duration::from_millis(20));
        }
    }

    /// Pumps until the handshake reported Ready.
    pub fn ready(&mut self) {
        assert!(
            self.pump_until(Duration::from_secs(10), |_, h| h.ready),
            "client never became ready: {:?}",
            self.host.events
        );
    }

    /// Pumps until the model equals tmux's (see [`compare`]), failing with the last difference.
    pub fn assert_equal(&mut self, server: &TmuxServer) {
        self.assert_equal_at(server, "");
    }

    /// [`Live::assert_equal`] with a label for the failure message.
    pub fn assert_equal_at(&mut self, server: &TmuxServer, label: &str) {
        // First take what is already queued (after a flood, a debug build may be far behind).
        let catch_up = Instant::now() + Duration::from_secs(120);
        while self.behind && Instant::now() < catch_up {
            self.pump(Duration::from_millis(100));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.pump(Duration::from_millis(30));
            let last = match compare(&self.client, server) {
                Ok(()) => return,
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                panic!(
                    "[{label}] model differs from tmux: {last}\nerrors: {:?}",
                    self.host.errors
                );
            }
        }
    }

    /// Whether the last batch stopped at its bound with more of tmux's output queued (a
    /// debug build reads a flood slower than tmux writes it).
    pub fn is_behind(&self) -> bool {
        self.behind
    }

    /// Stops (or restarts) reading tmux's output, as a client too slow to keep up would.
    pub fn set_stalled(&self, on: bool) {
        self.stall.store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(server: &TmuxServer, args: &[&str]) -> String {
    String::from_utf8_lossy(&server.tmux_ok(args).unwrap_or_default()).into_owned()
}

/// `capture-pane -p` of a pane, as lines.
pub fn tmux_screen(server: &TmuxServer, pane: PaneId) -> Vec<String> {
    let out = text(server, &["capture-pane", "-p", "-t", &pane.to_string()]);
    out.lines().map(|l| l.to_string()).collect()
}

/// Compares the client's model with tmux's answers for the attached session: windows (layout,
/// visible layout, active pane, name), panes (window, geometry, cursor, alternate screen,
/// screen text).
pub fn compare(client: &Client, server: &TmuxServer) -> Result<(), String> {
    let model = client.state();
    let session = model.attached_session.ok_or("no attached session")?;
    let s = session.to_string();
    let wins = text(
        server,
        &[
            "list-windows",
            "-t",
            &s,
            "-F",
            "#{window_id}\t#{window_layout}\t#{window_visible_layout}\t#{pane_id}\t#{window_zoomed_flag}\t#{window_name}",
        ],
    );
    let mut ids = Vec::new();
    for line in wins.lines() {
        let f: Vec<&str> = line.splitn(6, '\t').collect();
        let id = muxlink_runtime::WindowId::parse(f[0].as_bytes()).unwrap();
        ids.push(id);
        let w = model.window(id).ok_or(format!("window {id} missing"))?;
        if w.layout.as_deref() != Some(f[1]) {
            return Err(format!("{id} layout {:?} != tmux {}", w.layout, f[1]));
        }
        if w.visible_layout.as_deref() != Some(f[2]) {
            return Err(format!(
                "{id} visible {:?} != tmux {}",
                w.visible_layout, f[2]
            ));
        }
        if w.active_pane.map(|p| p.to_string()).as_deref() != Some(f[3]) {
            return Err(format!(
                "{id} active pane {:?} != tmux {}",
                w.active_pane, f[3]
            ));
        }
        if w.zoomed != (f[4] == "1") {
            return Err(format!("{id} zoomed {} != tmux {}", w.zoomed, f[4]));
        }
        // tmux 3.4 itself disagrees with itself on a `$` in a name: `%window-renamed` says
        // `\$HOME`, the format `#{window_name}` `\\$HOME`. Backslashes aside, the same.
        let quirk_34 = server.version() == "3.4"
            && String::from_utf8_lossy(&w.name).replace('\\', "") == f[5].replace('\\', "");
        if w.name != f[5].as_bytes() && !quirk_34 {
            return Err(format!(
                "{id} name {:?} != tmux {:?}",
                String::from_utf8_lossy(&w.name),
                f[5]
            ));
        }
    }
    let attached: Vec<_> = model.windows_by_index().iter().map(|w| w.id).collect();
    if attached.len() != ids.len() {
        return Err(format!("windows {attached:?} != tmux {ids:?}"));
    }
    // Every session's windows are in the model, each with a session that holds it.
    let all = text(
        server,
        &["list-windows", "-a", "-F", "#{window_id} #{session_id}"],
    );
    let mut links: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in all.lines() {
        let (w, s) = line.split_once(' ').unwrap();
        links.entry(w.to_string()).or_default().push(s.to_string());
    }
    if model.windows.len() != links.len() {
        return Err(format!(
            "all windows {:?} != tmux {:?}",
            model.windows.keys().collect::<Vec<_>>(),
            links.keys().collect::<Vec<_>>()
        ));
    }
    for (w, sessions) in &links {
        let id = muxlink_runtime::WindowId::parse(w.as_bytes()).unwrap();
        let mw = model
            .window(id)
            .ok_or(format!("window {w} (of {sessions:?}) missing"))?;
        let ms = mw.session.map(|s| s.to_string()).unwrap_or_default();
        if !sessions.contains(&ms) {
            return Err(format!("{w} in session {ms:?}, tmux: {sessions:?}"));
        }
    }
    let panes = text(
        server,
        &[
            "list-panes",
            "-s",
            "-t",
            &s,
            "-F",
            "#{pane_id} #{window_id} #{pane_width} #{pane_height} #{pane_left} #{pane_top} #{cursor_x} #{cursor_y} #{alternate_on}",
        ],
    );
    let mut n = 0;
    for line in panes.lines() {
        n += 1;
        let f: Vec<&str> = line.split(' ').collect();
        let id = PaneId::parse(f[0].as_bytes()).unwrap();
        let p = model.pane(id).ok_or(format!("pane {id} missing"))?;
        let num = |i: usize| f[i].parse::<u16>().unwrap();
        if p.window.map(|w| w.to_string()).as_deref() != Some(f[1]) {
            return Err(format!("{id} window {:?} != {}", p.window, f[1]));
        }
        if (p.cols, p.rows, p.x, p.y) != (num(2), num(3), num(4), num(5)) {
            return Err(format!(
                "{id} geometry {}x{} at {},{} != tmux {}x{} at {},{}",
                p.cols, p.rows, p.x, p.y, f[2], f[3], f[4], f[5]
            ));
        }
        let c = p.cursor().ok_or("no emulator")?;
        let (tx, ty) = (num(6), num(7));
        if (c.x, c.y) != (tx, ty) {
            // The bottom of both screens says most about where the cursor went wrong.
            let tail = |v: Vec<String>| v[v.len().saturating_sub(4)..].to_vec();
            return Err(format!(
                "{id} cursor {},{} != tmux {},{}\nours (last lines):   {:?}\ntheirs (last lines): {:?}",
                c.x,
                c.y,
                tx,
                ty,
                tail(p.screen_lines()),
                tail(tmux_screen(server, id))
            ));
        }
        if p.alternate() != Some(f[8] == "1") {
            return Err(format!(
                "{id} alternate {:?} != tmux {}",
                p.alternate(),
                f[8]
            ));
        }
        let ours = p.screen_lines();
        let theirs = tmux_screen(server, id);
        let trim = |v: &[String]| {
            let mut v: Vec<String> = v.iter().map(|l| l.trim_end().to_string()).collect();
            while v.last().is_some_and(|l| l.is_empty()) {
                v.pop();
            }
            v
        };
        if trim(&ours) != trim(&theirs) {
            return Err(format!(
                "{id} screen differs:\nours:   {ours:?}\ntheirs: {theirs:?}"
            ));
        }
    }
    if model.panes.len() != n {
        return Err(format!(
            "{} panes in model, tmux has {n}",
            model.panes.len()
        ));
    }
    Ok(())
}

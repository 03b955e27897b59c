//! The client's state machine: protocol events in, model updates, commands, frames and host
//! events out. [`crate::Client`] wraps it with the parser.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use muxlink_proto::command::{self, Command};
use muxlink_proto::layout::Layout;
use muxlink_proto::{Event, PaneId, Reply, WindowId};

use crate::bytes_mode::{rebuild_sequence, PaneCapture};
use crate::client::{
    ClientConfig, ClientEvent, CommandId, ExitReason, Host, OutputMode, ReplyCallback, ReplyOutcome,
};
use crate::handshake::{self, PaneFormats, SessionInfo, Version, WindowInfo};
use crate::model::{Model, Pane, Session, Window};
use crate::pane_emu::PaneEmu;
use crate::pool::FramePool;

/// What the reply to a command in flight is for.
pub(crate) enum PendingKind {
    Version,
    /// Handshake and flag commands whose failure only means an older tmux.
    Quiet,
    ListSessions,
    /// `list-windows` of the attached session: replaces the window set and its indexes.
    ListWindows,
    WindowInfo(WindowId),
    /// `list-panes`; `None` = the whole attached session (replaces the pane set).
    ListPanes(Option<WindowId>),
    SyncFormats(PaneId),
    SyncMain(PaneId),
    SyncPartial(PaneId),
    SyncRows(PaneId),
    SyncAlt(PaneId),
    PaneMode(PaneId),
    /// `refresh-client -A '%P:continue'` (ours): tmux 3.3a writes the `%continue %P` it
    /// causes inside this reply's body.
    PaneOutput,
    Op,
    /// The user's text; `refresh` when it is a `refresh-client` command, whose body can
    /// only hold the `%pause`/`%continue` lines tmux writes for `-A` (tmux 3.3a).
    Raw {
        on_reply: ReplyCallback,
        refresh: bool,
    },
}

/// One command in flight.
pub(crate) struct Pending {
    pub(crate) id: CommandId,
    pub(crate) kind: PendingKind,
    /// Last command of its `;`-separated line: after an `%error`, tmux skips the rest of the
    /// line, so the entries up to this one get no reply.
    pub(crate) last_in_line: bool,
}

/// Everything but the parser.
pub(crate) struct Core {
    pub(crate) config: ClientConfig,
    pub(crate) model: Model,
    out: Vec<u8>,
    out_start: usize,
    next_command: u64,
    pub(crate) pending: VecDeque<Pending>,
    pub(crate) closed: bool,
    version: Option<Version>,
    /// The attach handshake is running (Ready not yet reported).
    handshaking: bool,
    /// Handshake list replies still outstanding.
    handshake_lists: u32,
    /// The handshake (or a later resync) has started in this control-mode session.
    control_mode: bool,
    /// `list-windows` of the attached session in flight: one, or two right after a resync.
    windows_listings: u32,
    /// Something may have renumbered the windows since the listing in flight was sent: list
    /// them again when its reply arrives.
    windows_relist: bool,
    changed: Vec<PaneId>,
    /// The startup command's reply (the first block not from this client) has arrived.
    startup_answered: bool,
    /// tmux's message when it refused the startup command; reported with `%exit`.
    startup_error: Option<String>,
    last_flush: Option<Instant>,
    pool: FramePool,
    scratch: Vec<u8>,
}

impl Core {
    pub(crate) fn new(config: ClientConfig) -> Core {
        Core {
            config,
            model: Model::default(),
            out: Vec::with_capacity(4096),
            out_start: 0,
            next_command: 0,
            pending: VecDeque::new(),
            closed: false,
            version: None,
            handshaking: false,
            handshake_lists: 0,
            control_mode: false,
            windows_listings: 0,
            windows_relist: false,
            changed: Vec::new(),
            startup_answered: false,
            startup_error: None,
            last_flush: None,
            pool: FramePool::default(),
            scratch: Vec::new(),
        }
    }

    // ----- outgoing bytes ------------------------------------------------------------------

    pub(crate) fn outgoing(&self) -> &[u8] {
        &self.out[self.out_start..]
    }

    pub(crate) fn consume_outgoing(&mut self, n: usize) {
        self.out_start = (self.out_start + n).min(self.out.len());
        if self.out_start == self.out.len() {
            self.out.clear();
            self.out_start = 0;
        }
    }

    /// Queues one encoded line (a typed command or a [`command::join`] of several) whose
    /// reply blocks are, in order, for `kinds` (one per block). Returns the first's id.
    pub(crate) fn send_line(&mut self, line: &Command, kinds: Vec<PendingKind>) -> CommandId {
        debug_assert!(line.reply_blocks().is_none_or(|n| n == kinds.len()));
        let first = CommandId(self.next_command);
        let n = kinds.len();
        for (i, kind) in kinds.into_iter().enumerate() {
            let id = CommandId(self.next_command);
            self.next_command += 1;
            self.pending.push_back(Pending {
                id,
                kind,
                last_in_line: i + 1 == n,
            });
        }
        self.out.extend_from_slice(line.as_bytes());
        first
    }

    /// Queues one command with one reply block.
    pub(crate) fn send(&mut self, cmd: &Command, kind: PendingKind) -> CommandId {
        debug_assert!(cmd.reply_blocks().is_none_or(|n| n == 1));
        let id = CommandId(self.next_command);
        self.next_command += 1;
        self.pending.push_back(Pending {
            id,
            kind,
            last_in_line: true,
        });
        self.out.extend_from_slice(cmd.as_bytes());
        id
    }

    pub(crate) fn version_at_least(&self, major: u32, minor: u32) -> bool {
        self.version
            .as_ref()
            .is_none_or(|v| v.at_least(major, minor))
    }

    pub(crate) fn version_string(&self) -> String {
        self.model.version.clone().unwrap_or_default()
    }

    // ----- handshake -----------------------------------------------------------------------

    /// Control mode has started (plain stream: at once; host stream: after DCS accepted).
    pub(crate) fn control_mode_started(&mut self) {
        self.control_mode = true;
        if !self.config.handshake {
            return;
        }
        self.handshaking = true;
        self.send(&handshake::version_cmd(), PendingKind::Version);
        if let Some(cmd) =
            handshake::client_flags_cmd(self.config.pause_after, self.config.read_only)
        {
            self.send(&cmd, PendingKind::Quiet);
        }
        if !self.config.read_only {
            let cmd = command::refresh_client_size(
                u32::from(self.config.cols),
                u32::from(self.config.rows),
            );
            self.send(&cmd, PendingKind::Quiet);
        }
        // Renumbering that sends no notification (`swap-window`, `move-window -r`) still
        // changes this subscription's value. Fails harmlessly before tmux 3.2.
        self.send(&handshake::windows_subscription_cmd(), PendingKind::Quiet);
        self.resync_all();
    }

    /// Lists sessions, windows and panes again; panes not yet synced get synced.
    fn resync_all(&mut self) {
        self.send(&handshake::list_sessions_cmd(), PendingKind::ListSessions);
        // Sent even while another listing is in flight: that one may list the session this
        // client just left, and the windows must be known before the panes are listed.
        self.windows_relist = false;
        self.send_list_windows();
        self.send(
            &handshake::list_panes_cmd(None),
            PendingKind::ListPanes(None),
        );
        if self.handshaking {
            self.handshake_lists = 3;
        }
    }

    /// Lists the attached session's windows (their set, layouts, names and indexes), unless a
    /// listing is in flight: then once more when its reply arrives, since it may have been
    /// answered before the change that asks for this one. So at most one is in flight and
    /// one waits, however many notifications ask. Nothing when the client only decodes
    /// (replay) or control mode has not started.
    fn list_windows(&mut self) {
        if !(self.config.handshake && self.control_mode) {
            return;
        }
        if self.windows_listings > 0 {
            self.windows_relist = true;
            return;
        }
        self.send_list_windows();
    }

    fn send_list_windows(&mut self) {
        self.windows_listings += 1;
        self.send(&handshake::list_windows_cmd(), PendingKind::ListWindows);
    }

    /// Queues a sync line for `pane` (formats + captures); its output is dropped until the
    /// answer arrives, because the capture already holds it.
    pub(crate) fn sync_pane(&mut self, pane: PaneId, alternate: bool) {
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
        p.syncs_in_flight += 1;
        let line = handshake::pane_sync_line(pane, self.config.history_limit, alternate);
        let mut kinds = vec![
            PendingKind::SyncFormats(pane),
            PendingKind::SyncMain(pane),
            PendingKind::SyncPartial(pane),
            PendingKind::SyncRows(pane),
        ];
        if alternate {
            kinds.push(PendingKind::SyncAlt(pane));
        }
        self.send_line(&line, kinds);
    }

    /// `%pause %P`: mark the pane paused and tell the host; `automatic` (pause-after, not a
    /// pause this client asked for) resumes at once when `auto_resume` is set.
    fn on_pause(&mut self, pane: PaneId, automatic: bool, host: &mut dyn Host) {
        if let Some(p) = self.model.panes.get_mut(&pane) {
            p.paused = true;
        }
        host.on_event(&ClientEvent::Paused { pane });
        if automatic && self.config.auto_resume && self.config.handshake {
            let _ = self.resume(pane);
        }
    }

    /// `%continue %P`: output skipped while paused: read the pane again, unless a resume
    /// already queued a sync. `paused` clears (and Resumed is reported) when it lands.
    fn on_continue(&mut self, pane: PaneId) {
        let needs = self
            .model
            .panes
            .get(&pane)
            .is_some_and(|p| p.paused && p.syncs_in_flight == 0);
        if needs && self.config.handshake && self.control_mode {
            self.sync_pane(pane, false);
        }
    }

    /// The body of this client's own `refresh-client -A` reply: tmux 3.3a writes the
    /// `%pause %P` / `%continue %P` that command causes there, not as notifications.
    /// Only exact lines are taken; anything else in the body is ignored.
    fn pane_output_body(&mut self, body: &[u8], host: &mut dyn Host) {
        for line in body.split(|&b| b == b'\n') {
            if let Some(pane) = line.strip_prefix(b"%pause ").and_then(PaneId::parse) {
                self.on_pause(pane, false, host);
            } else if let Some(pane) = line.strip_prefix(b"%continue ").and_then(PaneId::parse) {
                self.on_continue(pane);
            }
        }
    }

    fn maybe_ready(&mut self, host: &mut dyn Host) {
        if !self.handshaking || self.handshake_lists > 0 {
            return;
        }
        if self.model.panes.values().any(|p| p.syncs_in_flight > 0) {
            return;
        }
        self.handshaking = false;
        host.on_event(&ClientEvent::Ready);
    }

    // ----- protocol events -----------------------------------------------------------------

    pub(crate) fn on_event(&mut self, ev: Event<'_>, now: Instant, host: &mut dyn Host) {
        let _ = now;
        if self.closed {
            return;
        }
        match ev {
            Event::Passthrough(bytes) => host.on_event(&ClientEvent::Passthrough(bytes)),
            Event::Enter => {}
            Event::Leave => host.on_event(&ClientEvent::ControlModeLeft),
            Event::Output { pane, data } => self.on_output(pane, data, host),
            Event::ExtendedOutput { pane, age, data } => {
                if age > 0 {
                    host.on_event(&ClientEvent::OutputAge { pane, age_ms: age });
                }
                self.on_output(pane, data, host);
            }
            Event::Reply(reply) => self.on_reply(&reply, host),
            Event::LayoutChange {
                window,
                layout,
                visible_layout,
                flags,
            } => {
                let zoomed = flags.is_some_and(|f| f.contains(&b'Z'));
                self.apply_layout(window, layout, visible_layout, Some(zoomed), host);
                host.on_event(&ClientEvent::LayoutChanged { window });
            }
            // A window added anywhere but last shifts the indexes after it (`new-window -a`);
            // `move-window` also sends this for a window already here, at its new index.
            Event::WindowAdd { window } => {
                self.add_window(window, host);
                self.list_windows();
            }
            // tmux 3.3a decides between the two when it delivers the notification, after
            // the command: `%window-close` means the window is still linked into this
            // session (`move-window` links it at its new index, then unlinks the old one),
            // `%unlinked-window-close` that it is not (`kill-window`, its last pane exited).
            // A live client lets the listing decide; a replay cannot ask, and removes it.
            Event::WindowClose { window } => {
                if self.config.handshake && self.control_mode {
                    self.list_windows();
                } else {
                    self.remove_window(window, host);
                }
            }
            Event::UnlinkedWindowClose { window } => {
                self.remove_window(window, host);
                // `renumber-windows` closes the gap it leaves.
                self.list_windows();
            }
            Event::WindowRenamed { window, name } => {
                if let Some(w) = self.model.windows.get_mut(&window) {
                    w.name = name.to_vec();
                    w.name_known = true;
                    host.on_event(&ClientEvent::WindowRenamed { window });
                }
            }
            Event::UnlinkedWindowAdd { window } => notice(host, "unlinked-window-add", &window),
            Event::UnlinkedWindowRenamed { window, .. } => {
                notice(host, "unlinked-window-renamed", &window)
            }
            Event::SessionChanged { session, name } => {
                let previous = self.model.attached_session.replace(session);
                let s = self
                    .model
                    .sessions
                    .entry(session)
                    .or_insert_with(|| Session {
                        id: session,
                        name: None,
                        active_window: None,
                    });
                s.name = Some(name.to_vec());
                host.on_event(&ClientEvent::SessionChanged { session });
                if previous.is_some_and(|p| p != session)
                    && self.config.handshake
                    && self.control_mode
                {
                    self.resync_all();
                }
            }
            Event::SessionRenamed { session, name } => {
                let id = session.or(self.model.attached_session);
                if let Some(s) = id.and_then(|id| self.model.sessions.get_mut(&id)) {
                    s.name = Some(name.to_vec());
                    let session = s.id;
                    host.on_event(&ClientEvent::SessionRenamed { session });
                }
            }
            Event::SessionsChanged => {
                if self.config.handshake && self.control_mode {
                    self.send(&handshake::list_sessions_cmd(), PendingKind::ListSessions);
                }
                host.on_event(&ClientEvent::SessionsChanged);
            }
            Event::SessionWindowChanged { session, window } => {
                let s = self
                    .model
                    .sessions
                    .entry(session)
                    .or_insert_with(|| Session {
                        id: session,
                        name: None,
                        active_window: None,
                    });
                s.active_window = Some(window);
                host.on_event(&ClientEvent::ActiveWindowChanged { session, window });
                // The only notification `swap-window -d` sends (tmux 3.3a).
                if self
                    .model
                    .attached_session
                    .is_none_or(|attached| attached == session)
                {
                    self.list_windows();
                }
            }
            Event::WindowPaneChanged { window, pane } => {
                if let Some(w) = self.model.windows.get_mut(&window) {
                    w.active_pane = Some(pane);
                }
                host.on_event(&ClientEvent::ActivePaneChanged { window, pane });
            }
            Event::PaneModeChanged { pane } => {
                if self.config.handshake && self.control_mode {
                    self.send(&handshake::pane_mode_cmd(pane), PendingKind::PaneMode(pane));
                }
                host.on_event(&ClientEvent::PaneModeChanged { pane });
            }
            Event::Pause { pane } => self.on_pause(pane, true, host),
            Event::Continue { pane } => self.on_continue(pane),
            // This client's own subscription: the windows' indexes changed, possibly by a
            // command that sends no notification. Its value is not read: the listing is.
            Event::SubscriptionChanged { name, .. } if name == handshake::WINDOWS_SUBSCRIPTION => {
                self.list_windows();
            }
            // Notices the model keeps nothing of: the host gets the event's name and its text.
            Event::SubscriptionChanged { name: text, .. }
            | Event::ClientSessionChanged { client: text, .. }
            | Event::ClientDetached { client: text }
            | Event::ConfigError { message: text }
            | Event::Message { message: text }
            | Event::PasteBufferChanged { name: text }
            | Event::PasteBufferDeleted { name: text } => host.on_event(&ClientEvent::Notice {
                kind: ev.name(),
                text,
            }),
            Event::Exit { reason } => {
                let reason =
                    ExitReason::Exit(reason.map(|r| String::from_utf8_lossy(r).into_owned()));
                if self.config.host_stream {
                    // The host's PTY goes on; a later DCS may start control mode again.
                    let reason = self.with_startup_error(reason);
                    self.emit_frames(host);
                    self.reset_session();
                    host.on_event(&ClientEvent::Exited { reason: &reason });
                } else {
                    self.close(reason, host);
                }
            }
            Event::Unknown { line } => host.on_event(&ClientEvent::Unknown { line }),
            Event::Error { error, line, .. } => {
                let message = error.to_string();
                host.on_event(&ClientEvent::ProtocolError {
                    message: &message,
                    line,
                });
            }
        }
    }

    fn on_output(&mut self, pane: PaneId, data: &[u8], host: &mut dyn Host) {
        let live = self.config.handshake;
        let (cols, rows, hl, mode) = (
            self.config.cols,
            self.config.rows,
            self.config.history_limit,
            self.config.output_mode,
        );
        let p = match self.model.panes.get_mut(&pane) {
            Some(p) => p,
            None if live => return, // its sync (queued with its layout) will capture this
            None => {
                // Replay: a pane never announced; the client size until a layout places it.
                let mut p = Pane::new(pane, None, cols, rows);
                if mode == OutputMode::Grid {
                    p.emu = Some(PaneEmu::new(cols, rows, hl));
                }
                p.synced = true;
                host.on_event(&ClientEvent::PaneAdded { pane, window: None });
                self.model.panes.entry(pane).or_insert(p)
            }
        };
        if p.syncs_in_flight > 0 {
            return;
        }
        match mode {
            OutputMode::Bytes => host.on_pane_bytes(pane, data),
            OutputMode::Grid => {
                if let Some(emu) = p.emu.as_mut() {
                    emu.feed(data);
                    if !p.changed {
                        p.changed = true;
                        self.changed.push(pane);
                    }
                    emu.drain_effects(pane, &mut p.title, host);
                }
            }
        }
    }

    // ----- model updates -------------------------------------------------------------------

    fn add_window(&mut self, window: WindowId, host: &mut dyn Host) {
        if self.model.windows.contains_key(&window) {
            return;
        }
        self.model.windows.insert(window, Window::new(window));
        host.on_event(&ClientEvent::WindowAdded { window });
        if self.config.handshake && self.control_mode {
            self.send(
                &handshake::window_info_cmd(window),
                PendingKind::WindowInfo(window),
            );
            self.send(
                &handshake::list_panes_cmd(Some(window)),
                PendingKind::ListPanes(Some(window)),
            );
        }
    }

    fn remove_window(&mut self, window: WindowId, host: &mut dyn Host) {
        if self.model.windows.remove(&window).is_none() {
            return;
        }
        let gone: Vec<PaneId> = self
            .model
            .panes
            .values()
            .filter(|p| p.window == Some(window))
            .map(|p| p.id)
            .collect();
        for pane in gone {
            self.remove_pane(pane, host);
        }
        for s in self.model.sessions.values_mut() {
            if s.active_window == Some(window) {
                s.active_window = None;
            }
        }
        host.on_event(&ClientEvent::WindowClosed { window });
    }

    fn remove_pane(&mut self, pane: PaneId, host: &mut dyn Host) {
        if self.model.panes.remove(&pane).is_some() {
            self.changed.retain(|&p| p != pane);
            host.on_event(&ClientEvent::PaneClosed { pane });
        }
    }

    fn ensure_pane(&mut self, pane: PaneId, window: WindowId, host: &mut dyn Host) -> bool {
        if let Some(p) = self.model.panes.get_mut(&pane) {
            p.window = Some(window);
            return false;
        }
        let (cols, rows) = (self.config.cols, self.config.rows);
        let mut p = Pane::new(pane, Some(window), cols, rows);
        if self.config.output_mode == OutputMode::Grid {
            p.emu = Some(PaneEmu::new(cols, rows, self.config.history_limit));
        }
        p.synced = !self.config.handshake;
        self.model.panes.insert(pane, p);
        host.on_event(&ClientEvent::PaneAdded {
            pane,
            window: Some(window),
        });
        true
    }

    fn set_geometry(&mut self, pane: PaneId, cols: u16, rows: u16, x: u16, y: u16) {
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
        p.x = x;
        p.y = y;
        if (p.cols, p.rows) != (cols, rows) {
            p.cols = cols;
            p.rows = rows;
            if let Some(emu) = p.emu.as_mut() {
                emu.resize(cols, rows);
            }
            p.full = true;
            if !p.changed {
                p.changed = true;
                self.changed.push(pane);
            }
        }
    }

    /// Applies a window's layout (and visible layout): creates panes it names, removes panes
    /// of the window it no longer names, sets geometry (resizing emulators with reflow).
    fn apply_layout(
        &mut self,
        window: WindowId,
        layout: &[u8],
        visible: Option<&[u8]>,
        zoomed: Option<bool>,
        host: &mut dyn Host,
    ) {
        let Ok(parsed) = Layout::parse(layout) else {
            host.on_event(&ClientEvent::ProtocolError {
                message: "bad layout",
                line: layout,
            });
            return;
        };
        // The visible layout equals the layout unless the window is zoomed: parse it only
        // when its bytes differ (`None` then means "same as `parsed`").
        let vis = visible
            .filter(|v| *v != layout)
            .and_then(|v| Layout::parse(v).ok());
        self.model
            .windows
            .entry(window)
            .or_insert_with(|| Window::new(window));
        let geoms = parsed.panes();
        let w = self.model.windows.get_mut(&window).expect("inserted above");
        set_text(&mut w.layout, layout);
        match visible {
            Some(v) => set_text(&mut w.visible_layout, v),
            None => w.visible_layout = None,
        }
        if let Some(z) = zoomed {
            w.zoomed = z;
        }
        let shown = vis.as_ref().unwrap_or(&parsed);
        w.cols = clamp16(shown.cols());
        w.rows = clamp16(shown.rows());
        w.panes = geoms.iter().map(|g| g.pane).collect();
        let ids = w.panes.clone();
        // panes of this window that the layout no longer names
        let gone: Vec<PaneId> = self
            .model
            .panes
            .values()
            .filter(|p| p.window == Some(window) && !ids.contains(&p.id))
            .map(|p| p.id)
            .collect();
        for pane in gone {
            self.remove_pane(pane, host);
        }
        let mut fresh = Vec::new();
        for g in &geoms {
            if self.ensure_pane(g.pane, window, host) {
                fresh.push(g.pane);
            }
            let (mut c, mut r, mut x, mut y) = (g.cols, g.rows, g.x, g.y);
            if let Some(v) = vis.as_ref().and_then(|v| v.find_pane(g.pane)) {
                (c, r, x, y) = (v.cols, v.rows, v.x, v.y);
            }
            self.set_geometry(g.pane, clamp16(c), clamp16(r), clamp16(x), clamp16(y));
        }
        if self.config.handshake && self.control_mode {
            for pane in fresh {
                self.sync_pane(pane, false);
            }
        }
    }

    fn apply_pane_formats(&mut self, f: &PaneFormats, host: &mut dyn Host) -> bool {
        let (Some(pane), Some(window)) = (f.id, f.window) else {
            return false;
        };
        self.model
            .windows
            .entry(window)
            .or_insert_with(|| Window::new(window));
        let fresh = self.ensure_pane(pane, window, host);
        self.set_geometry(pane, f.cols, f.rows, f.x, f.y);
        if let Some(p) = self.model.panes.get_mut(&pane) {
            p.mode = f.mode.clone();
            if f.active {
                if let Some(w) = self.model.windows.get_mut(&window) {
                    w.active_pane = Some(pane);
                }
            }
        }
        fresh
    }

    /// Applies one window's listed fields; `index` is the one to keep (see
    /// [`Window::index`]). Returns whether the index changed.
    fn apply_window_info(
        &mut self,
        info: &WindowInfo,
        index: Option<u32>,
        host: &mut dyn Host,
    ) -> bool {
        let window = info.id;
        if let std::collections::btree_map::Entry::Vacant(e) = self.model.windows.entry(window) {
            e.insert(Window::new(window));
            host.on_event(&ClientEvent::WindowAdded { window });
        }
        self.apply_layout(
            window,
            info.layout.as_bytes(),
            Some(info.visible_layout.as_bytes()),
            Some(info.zoomed),
            host,
        );
        let mut index_changed = false;
        if let Some(w) = self.model.windows.get_mut(&window) {
            w.name = info.name.clone();
            w.name_known = true;
            w.active_pane = info.active_pane.or(w.active_pane);
            if index.is_some() && w.index != index {
                w.index = index;
                index_changed = true;
            }
        }
        if info.active {
            if let Some(s) = self
                .model
                .attached_session
                .and_then(|s| self.model.sessions.get_mut(&s))
            {
                s.active_window = Some(window);
            }
        }
        index_changed
    }

    // ----- replies -------------------------------------------------------------------------

    fn on_reply(&mut self, reply: &Reply<'_>, host: &mut dyn Host) {
        if !reply.is_from_this_client() {
            // The first such block answers the command tmux was started with; when it
            // failed ("no sessions", "can't find session: x") tmux exits next, and its
            // `%exit` carries no reason: keep the message for the exit event.
            if !std::mem::replace(&mut self.startup_answered, true) && !reply.ok {
                let text = String::from_utf8_lossy(reply.body).trim().to_string();
                self.startup_error = Some(text).filter(|t| !t.is_empty());
            }
            return;
        }
        let Some(entry) = self.pending.pop_front() else {
            host.on_event(&ClientEvent::UnmatchedReply {
                number: reply.number,
            });
            return;
        };
        if !reply.ok && !entry.last_in_line {
            // tmux skipped the rest of the line: those commands get no reply.
            while let Some(next) = self.pending.pop_front() {
                let last = next.last_in_line;
                self.line_skipped(next.kind, host);
                if last {
                    break;
                }
            }
        }
        self.dispatch(entry, reply, host);
        self.maybe_ready(host);
    }

    /// A command of a failed line that tmux never ran.
    fn line_skipped(&mut self, kind: PendingKind, _host: &mut dyn Host) {
        if let PendingKind::Raw { on_reply: cb, .. } = kind {
            cb(&ReplyOutcome {
                ok: false,
                body: b"not run: an earlier command on its line failed",
            });
        }
    }

    fn dispatch(&mut self, entry: Pending, reply: &Reply<'_>, host: &mut dyn Host) {
        let body = reply.body;
        match entry.kind {
            PendingKind::Raw { on_reply, refresh } => {
                if refresh && reply.ok {
                    self.pane_output_body(body, host);
                }
                on_reply(&ReplyOutcome { ok: reply.ok, body });
            }
            PendingKind::PaneOutput => {
                if reply.ok {
                    self.pane_output_body(body, host);
                }
            }
            PendingKind::Op => {
                if !reply.ok {
                    host.on_event(&ClientEvent::CommandFailed {
                        id: entry.id,
                        message: body,
                    });
                }
            }
            PendingKind::Quiet => {}
            PendingKind::Version => {
                let text = String::from_utf8_lossy(body).trim().to_string();
                let v = if reply.ok {
                    Version::parse(&text)
                } else {
                    None
                };
                let old = v.as_ref().is_none_or(|v| !v.at_least(3, 2));
                self.model.version = Some(text.clone());
                self.version = v;
                if old {
                    let shown = if text.is_empty() {
                        "unknown (< 2.4)"
                    } else {
                        &text
                    };
                    host.on_event(&ClientEvent::Degraded {
                        version: shown,
                        message: "tmux older than 3.2: no flow control (pause-after), no \
                                  client flags (read-only observers can still resize), \
                                  no per-window sizes, window indexes not updated after \
                                  swap-window or move-window -r until the next notification",
                    });
                }
            }
            PendingKind::ListSessions => {
                self.handshake_lists = self.handshake_lists.saturating_sub(1);
                if !reply.ok {
                    return;
                }
                let infos = SessionInfo::parse_all(body);
                let mut sessions = std::collections::BTreeMap::new();
                for i in infos {
                    sessions.insert(
                        i.id,
                        Session {
                            id: i.id,
                            name: Some(i.name),
                            active_window: i.active_window,
                        },
                    );
                }
                self.model.sessions = sessions;
            }
            PendingKind::ListWindows => {
                self.handshake_lists = self.handshake_lists.saturating_sub(1);
                self.windows_listings = self.windows_listings.saturating_sub(1);
                if self.windows_listings == 0 && std::mem::take(&mut self.windows_relist) {
                    self.list_windows();
                }
                if !reply.ok {
                    return;
                }
                let infos = WindowInfo::parse_all(body);
                let keep: Vec<WindowId> = infos.iter().map(|i| i.id).collect();
                let gone: Vec<WindowId> = self
                    .model
                    .windows
                    .keys()
                    .filter(|w| !keep.contains(w))
                    .copied()
                    .collect();
                for w in gone {
                    self.remove_window(w, host);
                }
                // A window linked at several indexes of the session is listed once per link:
                // applied once, with its lowest index.
                let mut windows: BTreeMap<WindowId, (&WindowInfo, Option<u32>)> = BTreeMap::new();
                for info in &infos {
                    let e = windows.entry(info.id).or_insert((info, info.index));
                    e.1 = match (e.1, info.index) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                let mut reindexed = false;
                for (info, index) in windows.into_values() {
                    reindexed |= self.apply_window_info(info, index, host);
                }
                if reindexed {
                    host.on_event(&ClientEvent::WindowIndexesChanged);
                }
            }
            PendingKind::WindowInfo(window) => {
                if let Some(info) = WindowInfo::parse_all(body).first() {
                    if info.id == window && self.apply_window_info(info, info.index, host) {
                        host.on_event(&ClientEvent::WindowIndexesChanged);
                    }
                }
            }
            PendingKind::ListPanes(scope) => {
                if scope.is_none() {
                    self.handshake_lists = self.handshake_lists.saturating_sub(1);
                }
                if !reply.ok {
                    return;
                }
                let all = PaneFormats::parse_all(body);
                if scope.is_none() {
                    let keep: Vec<PaneId> = all.iter().filter_map(|f| f.id).collect();
                    let gone: Vec<PaneId> = self
                        .model
                        .panes
                        .keys()
                        .filter(|p| !keep.contains(p))
                        .copied()
                        .collect();
                    for p in gone {
                        self.remove_pane(p, host);
                    }
                }
                for f in &all {
                    self.apply_pane_formats(f, host);
                    if let Some(pane) = f.id {
                        let needs = self
                            .model
                            .panes
                            .get(&pane)
                            .is_some_and(|p| !p.synced && p.syncs_in_flight == 0);
                        if needs {
                            self.sync_pane(pane, f.alternate);
                        }
                    }
                }
            }
            PendingKind::PaneMode(pane) => {
                if reply.ok {
                    if let Some(p) = self.model.panes.get_mut(&pane) {
                        let m = String::from_utf8_lossy(body).trim().to_string();
                        p.mode = if m.is_empty() { None } else { Some(m) };
                    }
                }
            }
            PendingKind::SyncFormats(pane) => {
                let Some(p) = self.model.panes.get_mut(&pane) else {
                    return;
                };
                if !reply.ok {
                    // pane gone: the rest of the line was skipped
                    p.syncs_in_flight = p.syncs_in_flight.saturating_sub(1);
                    return;
                }
                let formats = PaneFormats::parse_all(body).into_iter().next();
                p.capture = Some(PaneCapture {
                    formats: formats.unwrap_or_default(),
                    ..PaneCapture::default()
                });
            }
            PendingKind::SyncMain(pane) => {
                if let Some(cap) = self
                    .model
                    .panes
                    .get_mut(&pane)
                    .and_then(|p| p.capture.as_mut())
                {
                    cap.main = body.to_vec();
                }
                if !reply.ok {
                    self.sync_failed(pane);
                }
            }
            PendingKind::SyncPartial(pane) => {
                if !reply.ok {
                    self.sync_failed(pane);
                    return;
                }
                let mut partial = std::mem::take(&mut self.scratch);
                partial.clear();
                handshake::unescape_octal(body, &mut partial);
                if let Some(cap) = self
                    .model
                    .panes
                    .get_mut(&pane)
                    .and_then(|p| p.capture.as_mut())
                {
                    cap.partial.clear();
                    cap.partial.extend_from_slice(&partial);
                }
                self.scratch = partial;
            }
            PendingKind::SyncRows(pane) => {
                if !reply.ok {
                    self.sync_failed(pane);
                    return;
                }
                let alternate_wanted = match self
                    .model
                    .panes
                    .get_mut(&pane)
                    .and_then(|p| p.capture.as_mut())
                {
                    Some(cap) => {
                        cap.rows = body.to_vec();
                        cap.formats.alternate
                    }
                    None => false,
                };
                if !entry.last_in_line {
                    return; // the -a capture follows
                }
                if alternate_wanted {
                    // The alternate screen came on between listing and syncing: again.
                    self.sync_failed(pane);
                    self.sync_pane(pane, true);
                    return;
                }
                self.finish_sync(pane, host);
            }
            PendingKind::SyncAlt(pane) => {
                if !reply.ok {
                    // The alternate screen went off in between: read the pane again.
                    self.sync_failed(pane);
                    self.sync_pane(pane, false);
                    return;
                }
                if let Some(cap) = self
                    .model
                    .panes
                    .get_mut(&pane)
                    .and_then(|p| p.capture.as_mut())
                {
                    cap.alternate = Some(body.to_vec());
                }
                self.finish_sync(pane, host);
            }
        }
    }

    fn sync_failed(&mut self, pane: PaneId) {
        if let Some(p) = self.model.panes.get_mut(&pane) {
            p.syncs_in_flight = p.syncs_in_flight.saturating_sub(1);
            p.capture = None;
        }
    }

    /// A sync line is fully answered: rebuild the pane from it.
    fn finish_sync(&mut self, pane: PaneId, host: &mut dyn Host) {
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
        p.syncs_in_flight = p.syncs_in_flight.saturating_sub(1);
        let Some(cap) = p.capture.take() else {
            return;
        };
        if p.syncs_in_flight > 0 {
            return; // a later sync supersedes this one
        }
        let f = &cap.formats;
        let (cols, rows) = if f.cols > 0 && f.rows > 0 {
            (f.cols, f.rows)
        } else {
            (p.cols, p.rows)
        };
        p.cols = cols;
        p.rows = rows;
        p.x = f.x;
        p.y = f.y;
        p.mode = f.mode.clone();
        p.title = Some(f.title.clone());
        p.synced = true;
        // The emulator keeps as much history as tmux keeps for this pane.
        let limit = f.history_limit.unwrap_or(self.config.history_limit);
        let was_paused = std::mem::replace(&mut p.paused, false);
        let mut seq = std::mem::take(&mut self.scratch);
        seq.clear();
        rebuild_sequence(&cap, &mut seq);
        match self.config.output_mode {
            OutputMode::Grid => {
                let mut emu = PaneEmu::new(cols, rows, limit);
                emu.feed(&seq);
                emu.clear_effects();
                p.emu = Some(emu);
                p.full = true;
                if !p.changed {
                    p.changed = true;
                    self.changed.push(pane);
                }
            }
            OutputMode::Bytes => host.on_pane_reset(pane, cols, rows, &seq),
        }
        self.scratch = seq;
        if was_paused {
            host.on_event(&ClientEvent::Resumed { pane });
        }
    }

    // ----- flow control --------------------------------------------------------------------

    /// `refresh-client -A '%P:continue'` and a re-capture.
    pub(crate) fn resume(&mut self, pane: PaneId) -> bool {
        if !self.model.panes.contains_key(&pane) {
            return false;
        }
        let cmd = command::refresh_client_pane(pane, command::PaneOutputState::Continue);
        self.send(&cmd, PendingKind::PaneOutput);
        self.sync_pane(pane, false);
        true
    }

    // ----- frames --------------------------------------------------------------------------

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let interval = self.config.frame_interval?;
        if self.changed.is_empty() {
            return None;
        }
        // Without a flush yet, the next `flush_frames` sends at once: nothing to wait for.
        self.last_flush.map(|t| t + interval)
    }

    pub(crate) fn flush_frames(&mut self, now: Instant, host: &mut dyn Host) {
        if self.changed.is_empty() {
            return;
        }
        if let (Some(interval), Some(last)) = (self.config.frame_interval, self.last_flush) {
            if now < last + interval {
                return;
            }
        }
        self.last_flush = Some(now);
        self.emit_frames(host);
    }

    /// One frame per changed pane, now, whatever `frame_interval` says.
    fn emit_frames(&mut self, host: &mut dyn Host) {
        let mut changed = std::mem::take(&mut self.changed);
        for &pane in &changed {
            let Some(p) = self.model.panes.get_mut(&pane) else {
                continue;
            };
            p.changed = false;
            let full = std::mem::replace(&mut p.full, false);
            if let Some(emu) = p.emu.as_mut() {
                let title = p.title.as_deref();
                crate::frame::emit(&mut self.pool, pane, p.window, title, emu, full, host);
            }
        }
        changed.clear();
        self.changed = changed;
    }

    // ----- exit ----------------------------------------------------------------------------

    /// Drops the model and commands in flight (their callbacks are not called).
    fn reset_session(&mut self) {
        self.pending.clear();
        self.model = Model::default();
        self.changed.clear();
        self.startup_answered = false;
        self.startup_error = None;
        self.handshaking = false;
        self.handshake_lists = 0;
        self.control_mode = false;
        self.windows_listings = 0;
        self.windows_relist = false;
        self.version = None;
    }

    /// tmux's refusal of the startup command explains an exit that gives no reason of its
    /// own (a bare `%exit`, end of file, an exit status).
    fn with_startup_error(&mut self, reason: ExitReason) -> ExitReason {
        match (self.startup_error.take(), reason) {
            (
                Some(message),
                ExitReason::Exit(None) | ExitReason::Eof | ExitReason::ProcessExited(_),
            ) => ExitReason::Refused(message),
            (_, reason) => reason,
        }
    }

    pub(crate) fn close(&mut self, reason: ExitReason, host: &mut dyn Host) {
        if self.closed {
            return;
        }
        self.closed = true;
        let reason = self.with_startup_error(reason);
        // Frames held back by `frame_interval` are the panes' last state: deliver them
        // before the exit.
        self.emit_frames(host);
        if self.config.keep_state_on_exit {
            self.pending.clear();
            self.changed.clear();
        } else {
            self.reset_session();
        }
        self.out = Vec::new();
        self.out_start = 0;
        self.pool = FramePool::default();
        host.on_event(&ClientEvent::Exited { reason: &reason });
    }
}

/// Stores `src` as text in `dst`, reusing its buffer, and not at all when it is unchanged
/// (a layout is ASCII once it has parsed; anything else is replaced lossily).
fn set_text(dst: &mut Option<String>, src: &[u8]) {
    match dst {
        Some(d) if d.as_bytes() == src => {}
        Some(d) => {
            d.clear();
            d.push_str(&String::from_utf8_lossy(src));
        }
        None => *dst = Some(String::from_utf8_lossy(src).into_owned()),
    }
}

fn clamp16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

fn notice(host: &mut dyn Host, kind: &str, window: &WindowId) {
    let text = window.to_string();
    host.on_event(&ClientEvent::Notice {
        kind,
        text: text.as_bytes(),
    });
}

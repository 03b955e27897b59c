//! Notifications into the model: pane output (the hot path), layouts, windows, sessions,
//! and the notices the model keeps nothing of.

use std::collections::HashSet;

use muxlink_proto::layout::Layout;
use muxlink_proto::{Event, PaneId, SessionId, WindowId};

use super::Core;
use crate::budget;
use crate::config::OutputMode;
use crate::error::ProtocolError;
use crate::events::{ClientEvent, Host, ModelLimit, NoticeKind, RefusalReason};
use crate::exit::ExitReason;
use crate::model::{Model, Pane, Session, Window};
use crate::outbox::LineKind;
use crate::pane_emu::PaneEmu;
use crate::queries::{self, PaneFormats, WindowInfo};

impl Core {
    /// One protocol event.
    pub(crate) fn on_event(&mut self, ev: Event<'_>, host: &mut dyn Host) {
        if self.closed {
            return;
        }
        if !self.refused.is_empty() {
            self.flush_refused(host);
        }
        match ev {
            Event::Output { pane, data } => self.on_output(pane, data, host),
            Event::ExtendedOutput { pane, age, data } => {
                self.note_output_age(age);
                if age > 0 {
                    host.on_event(&ClientEvent::OutputAge { pane, age_ms: age });
                }
                self.on_output(pane, data, host);
            }
            Event::Passthrough(bytes) => host.on_event(&ClientEvent::Passthrough(bytes)),
            Event::Enter => {}
            Event::Leave => host.on_event(&ClientEvent::ControlModeLeft),
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
                self.add_window(window, true, host);
                self.list_windows();
            }
            // tmux 3.3a decides between the two when it delivers the notification, after
            // the command: `%window-close` means the window is still linked into this
            // session (`move-window` links it at its new index, then unlinks the old one),
            // `%unlinked-window-close` that it is not (`kill-window`, its last pane exited).
            // A live client lets the listing decide; a replay cannot ask, and removes it.
            Event::WindowClose { window } => {
                if self.live() {
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
                if self.rename_window(window, name, host) {
                    host.on_event(&ClientEvent::WindowRenamed { window });
                }
            }
            // A window of another session: in the model without panes (tmux sends none of
            // their output). A live client lists it with its session and index.
            Event::UnlinkedWindowAdd { window } => {
                if self.live() {
                    self.list_windows();
                } else {
                    self.add_window(window, false, host);
                }
                host.on_event(&ClientEvent::UnlinkedWindowAdded { window })
            }
            Event::UnlinkedWindowRenamed { window, name } => {
                self.rename_window(window, name, host);
                host.on_event(&ClientEvent::UnlinkedWindowRenamed { window })
            }
            Event::SessionChanged { session, name } => {
                let previous = self.model.attached_session.replace(session);
                if self.session_entry(session, host).is_some() {
                    let s = self.model.sessions.get_mut(&session);
                    if let Some(s) = s {
                        set_name(&mut s.name, name);
                    }
                }
                if previous != Some(session) {
                    self.session_switched(previous, session);
                }
                host.on_event(&ClientEvent::SessionChanged { session });
                if previous.is_some_and(|p| p != session) && self.live() {
                    self.resync_all();
                }
            }
            Event::SessionRenamed { session, name } => {
                let id = session.or(self.model.attached_session);
                if let Some(s) = id.and_then(|id| self.model.sessions.get_mut(&id)) {
                    set_name(&mut s.name, name);
                    let session = s.id;
                    host.on_event(&ClientEvent::SessionRenamed { session });
                }
            }
            Event::SessionsChanged => {
                if self.live() {
                    self.outbox
                        .send(&queries::list_sessions_cmd(), LineKind::ListSessions);
                }
                host.on_event(&ClientEvent::SessionsChanged);
            }
            Event::SessionWindowChanged { session, window } => {
                if self.session_entry(session, host).is_some() {
                    self.set_active_window(session, Some(window));
                }
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
                if self.live() && self.model.panes.contains_key(&pane) {
                    self.outbox
                        .send(&queries::pane_mode_cmd(pane), LineKind::PaneMode(pane));
                }
                host.on_event(&ClientEvent::PaneModeChanged { pane });
            }
            Event::Pause { pane } => self.on_pause(pane, true, host),
            Event::Continue { pane } => self.on_continue(pane),
            // This client's own subscription: the windows' indexes changed, possibly by a
            // command that sends no notification. Its value is not read: the listing is.
            Event::SubscriptionChanged { name, .. } if name == queries::WINDOWS_SUBSCRIPTION => {
                self.list_windows();
            }
            // The width options changed (or were first reported): the grid follows them
            // from the next character on.
            Event::SubscriptionChanged { name, value, .. }
                if name == queries::WIDTHS_SUBSCRIPTION =>
            {
                self.on_options(value, host);
            }
            Event::SubscriptionChanged {
                name,
                pane: Some(pane),
                value,
                ..
            } if name == queries::HISTORY_SUBSCRIPTION => self.on_history_limit(pane, value, host),
            Event::SubscriptionChanged { name, .. } => {
                notice(host, NoticeKind::SubscriptionChanged, name)
            }
            Event::ClientSessionChanged { client, .. } => {
                notice(host, NoticeKind::ClientSessionChanged, client)
            }
            Event::ClientDetached { client } => notice(host, NoticeKind::ClientDetached, client),
            Event::ConfigError { message } => notice(host, NoticeKind::ConfigError, message),
            Event::Message { message } => notice(host, NoticeKind::Message, message),
            Event::PasteBufferChanged { name } => {
                notice(host, NoticeKind::PasteBufferChanged, name)
            }
            Event::PasteBufferDeleted { name } => {
                notice(host, NoticeKind::PasteBufferDeleted, name)
            }
            Event::Exit { reason } => {
                let reason =
                    ExitReason::Exit(reason.map(|r| String::from_utf8_lossy(r).into_owned()));
                if self.config.host_stream {
                    // The host's PTY goes on; a later DCS may start control mode again.
                    self.end_session(reason, host);
                } else {
                    self.close(reason, host);
                }
            }
            Event::Unknown { line } => host.on_event(&ClientEvent::Unknown { line }),
            Event::Error { error, line, .. } => host.on_event(&ClientEvent::ProtocolError {
                error: ProtocolError::Stream(error),
                line,
            }),
        }
    }

    /// `%output`: the hot path. One map lookup, the emulator's feed, and the pane marked
    /// changed (once per frame).
    fn on_output(&mut self, pane: PaneId, data: &[u8], host: &mut dyn Host) {
        let mode = self.config.output_mode;
        if !self.model.panes.contains_key(&pane) {
            // Live: output for a pane not yet listed is in its coming sync's capture.
            if self.config.handshake {
                return;
            }
            // Replay: a pane never announced; the client size until a layout places it.
            // Bounded: a stream naming endless ids keeps only the first few.
            if self.model.orphans >= Model::MAX_ORPHAN_PANES {
                return self.limit_reached(ModelLimit::OrphanPanes, host);
            }
            if !self.insert_pane(pane, None, host) {
                return;
            }
            self.model.orphans += 1;
        }
        if self.sync.is_syncing(pane) {
            return;
        }
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
        match mode {
            OutputMode::Bytes => host.on_event(&ClientEvent::PaneBytes { pane, bytes: data }),
            OutputMode::Grid => {
                if let Some(emu) = p.emu.as_mut() {
                    // Escaped: the parser keeps grid mode's `%output` data as tmux wrote it.
                    emu.feed_escaped(data);
                    if !p.changed {
                        p.changed = true;
                        self.frames.changed.push(pane);
                    }
                    emu.drain_effects(pane, &mut p.title, host);
                    p.fed += data.len();
                    if p.fed >= CHARGE_EVERY {
                        self.charge_pane(pane, host);
                    }
                }
            }
        }
    }

    /// A pane's `history-limit` as tmux 3.7+ reports it (the option changed, and tmux
    /// applied it to the pane at once): the emulator does the same, then is charged again.
    fn on_history_limit(&mut self, pane: PaneId, value: &[u8], host: &mut dyn Host) {
        let Some(limit) = queries::parse_history_limit(value) else {
            return;
        };
        let Some(emu) = self.model.panes.get_mut(&pane).and_then(|p| p.emu.as_mut()) else {
            return;
        };
        if emu.history_limit() != limit.min(muxlink_term::MAX_HISTORY_LIMIT) {
            emu.history_limit_option_changed(limit);
            self.charge_pane(pane, host);
        }
    }

    // ----- the budget ----------------------------------------------------------------------

    /// Charges a pane's current cost. Past the budget, the pane's history limit is halved
    /// (tmux drops the lines over it as the pane scrolls on, and the next charge sees
    /// them gone); a pane with no history left loses its grid (refused).
    pub(super) fn charge_pane(&mut self, pane: PaneId, host: &mut dyn Host) {
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
        p.fed = 0;
        let cost = budget::pane_cost(p);
        self.budget.recharge(p.cost, cost);
        p.cost = cost;
        if self.budget.used() <= self.budget.limit() {
            return;
        }
        let Some(emu) = p.emu.as_mut() else { return };
        let held = emu.history_len().min(emu.history_limit());
        if held > 0 {
            let limit = held / 2;
            emu.set_history_limit(limit);
            host.on_event(&ClientEvent::HistoryTrimmed { pane, limit });
            return;
        }
        let needed = cost;
        p.emu = None;
        p.refused = true;
        let cost = budget::pane_cost(p);
        self.budget.recharge(p.cost, cost);
        p.cost = cost;
        let reason = RefusalReason::MemoryBudget {
            needed,
            available: self.budget.available(),
        };
        host.on_event(&ClientEvent::PaneRefused { pane, reason });
    }

    /// A fresh emulator of `cols` x `rows` when its screen fits in the budget; `Err` with
    /// the refusal otherwise. Costs nothing but the check when refused.
    pub(super) fn new_emu(
        &self,
        cols: u16,
        rows: u16,
        history_limit: usize,
    ) -> Result<PaneEmu, RefusalReason> {
        let needed = PaneEmu::estimate(cols, rows);
        if !self.budget.allows(0, needed) {
            return Err(RefusalReason::MemoryBudget {
                needed,
                available: self.budget.available(),
            });
        }
        Ok(PaneEmu::new(
            cols,
            rows,
            history_limit,
            self.profile.as_ref(),
        ))
    }

    // ----- model updates -------------------------------------------------------------------

    /// Gets or makes the record of `session`; `None` past [`Model::MAX_SESSIONS`].
    pub(super) fn session_entry(
        &mut self,
        session: SessionId,
        host: &mut dyn Host,
    ) -> Option<&mut Session> {
        if !self.model.sessions.contains_key(&session) {
            if self.model.sessions.len() >= Model::MAX_SESSIONS {
                self.limit_reached(ModelLimit::Sessions, host);
                return None;
            }
            let mut s = Session::new(session);
            s.cost = budget::session_cost(&s);
            self.budget.recharge(0, s.cost);
            self.model.sessions.insert(session, s);
        }
        self.model.sessions.get_mut(&session)
    }

    /// Sets a session's current window, keeping [`Window::active_in`] in step.
    pub(super) fn set_active_window(&mut self, session: SessionId, window: Option<WindowId>) {
        let Some(s) = self.model.sessions.get_mut(&session) else {
            return;
        };
        let old = std::mem::replace(&mut s.active_window, window);
        if old == window {
            return;
        }
        if let Some(w) = old.and_then(|w| self.model.windows.get_mut(&w)) {
            w.active_in.retain(|&s| s != session);
        }
        if let Some(w) = window.and_then(|w| self.model.windows.get_mut(&w)) {
            w.active_in.push(session);
        }
    }

    /// The attached session changed (`previous` to `session`). A replay cannot list the
    /// windows: those of the session it left stay in the model as that session's, and each
    /// window comes back into the attached session when tmux sends its layout.
    fn session_switched(&mut self, previous: Option<SessionId>, session: SessionId) {
        if self.live() {
            return;
        }
        for w in self.model.windows.values_mut() {
            self.model.visits += 1;
            if w.attached {
                if previous.is_some() {
                    w.attached = false;
                }
                w.session = w.session.or(previous).or(Some(session));
            }
        }
    }

    fn rename_window(&mut self, window: WindowId, name: &[u8], host: &mut dyn Host) -> bool {
        let Some(w) = self.model.windows.get_mut(&window) else {
            return false;
        };
        w.name.clear();
        w.name.extend_from_slice(bounded_name(name));
        w.name_known = true;
        self.charge_window(window, host);
        true
    }

    /// Charges a window's record; past the budget, its name and layouts go (reported).
    fn charge_window(&mut self, window: WindowId, host: &mut dyn Host) {
        let Some(w) = self.model.windows.get_mut(&window) else {
            return;
        };
        let cost = budget::window_cost(w);
        self.budget.recharge(w.cost, cost);
        w.cost = cost;
        if self.budget.used() > self.budget.limit() {
            w.name = Vec::new();
            w.layout = None;
            w.visible_layout = None;
            let cost = budget::window_cost(w);
            self.budget.recharge(w.cost, cost);
            w.cost = cost;
            self.limit_reached(ModelLimit::MemoryBudget, host);
        }
    }

    /// Adds a window (of the attached session or, `attached` off, of another one) unless it
    /// is known or the model is full. Returns whether it is in the model.
    fn add_window(&mut self, window: WindowId, attached: bool, host: &mut dyn Host) -> bool {
        if let Some(w) = self.model.windows.get_mut(&window) {
            if attached && !w.attached {
                w.attached = true;
                w.session = self.model.attached_session.or(w.session);
            }
            return true;
        }
        if self.model.windows.len() >= Model::MAX_WINDOWS {
            self.limit_reached(ModelLimit::Windows, host);
            return false;
        }
        let mut w = Window::new(window);
        w.attached = attached;
        w.session = if attached {
            self.model.attached_session
        } else {
            None
        };
        w.cost = budget::window_cost(&w);
        self.budget.recharge(0, w.cost);
        self.model.windows.insert(window, w);
        host.on_event(&ClientEvent::WindowAdded { window });
        if attached && self.live() {
            self.send_fenced(
                queries::list_panes_cmd(Some(window)),
                LineKind::ListPanes(Some(window)),
            );
        }
        true
    }

    /// Removes a window and its panes: costs the window's own panes and sessions, not the
    /// model's.
    pub(super) fn remove_window(&mut self, window: WindowId, host: &mut dyn Host) {
        let Some(w) = self.model.windows.remove(&window) else {
            return;
        };
        self.budget.recharge(w.cost, 0);
        self.limit_cleared(ModelLimit::Windows);
        for pane in w.panes {
            self.model.visits += 1;
            if self
                .model
                .panes
                .get(&pane)
                .is_some_and(|p| p.window == Some(window))
            {
                self.remove_pane(pane, host);
            }
        }
        for s in w.active_in {
            self.model.visits += 1;
            if let Some(s) = self.model.sessions.get_mut(&s) {
                if s.active_window == Some(window) {
                    s.active_window = None;
                }
            }
        }
        host.on_event(&ClientEvent::WindowClosed { window });
    }

    pub(super) fn remove_pane(&mut self, pane: PaneId, host: &mut dyn Host) {
        if let Some(p) = self.model.panes.remove(&pane) {
            self.budget.recharge(p.cost, 0);
            if p.window.is_none() {
                self.model.orphans = self.model.orphans.saturating_sub(1);
            }
            self.limit_cleared(ModelLimit::Panes);
            if p.changed {
                self.frames.changed.retain(|&q| q != pane);
            }
            self.sync.forget(pane);
            host.on_event(&ClientEvent::PaneClosed { pane });
        }
    }

    /// Inserts a new pane record (with an emulator in grid mode, when it fits); returns
    /// whether the pane is in the model.
    fn insert_pane(&mut self, pane: PaneId, window: Option<WindowId>, host: &mut dyn Host) -> bool {
        if self.model.panes.len() >= Model::MAX_PANES {
            self.limit_reached(ModelLimit::Panes, host);
            return false;
        }
        let (cols, rows) = (self.config.cols, self.config.rows);
        let mut p = Pane::new(pane, window, cols, rows);
        let mut refusal = None;
        if self.config.output_mode == OutputMode::Grid {
            match self.new_emu(cols, rows, self.config.history_limit) {
                Ok(emu) => p.emu = Some(emu),
                Err(r) => {
                    p.refused = true;
                    refusal = Some(r);
                }
            }
        }
        p.synced = !self.config.handshake;
        p.cost = budget::pane_cost(&p);
        self.budget.recharge(0, p.cost);
        self.model.panes.insert(pane, p);
        host.on_event(&ClientEvent::PaneAdded { pane, window });
        if let Some(reason) = refusal {
            host.on_event(&ClientEvent::PaneRefused { pane, reason });
        }
        true
    }

    /// Makes sure `pane` exists in `window`; returns whether it is new.
    fn ensure_pane(&mut self, pane: PaneId, window: WindowId, host: &mut dyn Host) -> bool {
        if let Some(p) = self.model.panes.get_mut(&pane) {
            if p.window.is_none() {
                self.model.orphans = self.model.orphans.saturating_sub(1);
            }
            p.window = Some(window);
            return false;
        }
        self.insert_pane(pane, Some(window), host)
    }

    fn set_geometry(
        &mut self,
        pane: PaneId,
        cols: u16,
        rows: u16,
        left: i32,
        top: i32,
        host: &mut dyn Host,
    ) {
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
        p.set_position(left, top);
        if (p.cols, p.rows) == (cols, rows) {
            return;
        }
        let (old_cols, old_rows) = (p.cols, p.rows);
        p.cols = cols;
        p.rows = rows;
        // (A paused pane is read again when it is resumed.)
        let synced = p.synced && !p.refused && !p.paused;
        if let Some(emu) = p.emu.as_mut() {
            emu.resize(cols, rows);
        } else if self.config.output_mode == OutputMode::Bytes {
            // A narrower pane is left to the host: tmux's captures cut the saved screen
            // and history at the pane's width, so a rebuild would lose what the host
            // still holds (docs/tmux-releases.md).
            if synced && rows != old_rows && cols >= old_cols {
                self.resized_in_bytes_mode(pane);
            }
        } else if p.refused {
            // Tried again at its new size.
            let limit = self.config.history_limit;
            if let Ok(emu) = self.new_emu(cols, rows, limit) {
                if let Some(p) = self.model.panes.get_mut(&pane) {
                    p.emu = Some(emu);
                    p.refused = false;
                    p.synced = !self.config.handshake;
                }
                if self.live() {
                    self.sync_pane(pane, false);
                }
            }
        }
        self.charge_pane(pane, host);
        self.mark_changed(pane, true);
    }

    /// Bytes mode: `pane` changed height. The host resizes its own emulator, which is
    /// right unless the pane is on the alternate screen: tmux then keeps the saved normal
    /// screen at its old height until the alternate screen goes off
    /// (`crate::rebuild_restored`), and no host emulator can. So ask tmux whether it is on
    /// (one `display-message`), and read the pane again if so (a new `PaneReset` at the new
    /// size). One question per pane in flight: a resize while it is asked is covered by the
    /// sync its answer starts, which tmux runs after it.
    fn resized_in_bytes_mode(&mut self, pane: PaneId) {
        if self.live() && self.alternate_checks.insert(pane) {
            self.outbox.send(
                &queries::alternate_cmd(pane),
                LineKind::AlternateCheck(pane),
            );
        }
    }

    /// Applies a window's layout (and visible layout): creates panes it names, removes panes
    /// of the window it no longer names, sets geometry (resizing emulators with reflow).
    /// Costs the window's panes, old and new, never the model's.
    fn apply_layout(
        &mut self,
        window: WindowId,
        layout: &[u8],
        visible: Option<&[u8]>,
        zoomed: Option<bool>,
        host: &mut dyn Host,
    ) {
        let parsed = match Layout::parse(layout) {
            Ok(l) => l,
            Err(e) => {
                host.on_event(&ClientEvent::ProtocolError {
                    error: ProtocolError::Layout(e),
                    line: layout,
                });
                return;
            }
        };
        // The visible layout equals the layout unless the window is zoomed: parse it only
        // when its bytes differ (`None` then means "same as `parsed`").
        let vis = visible
            .filter(|v| *v != layout)
            .and_then(|v| Layout::parse(v).ok());
        let geoms = parsed.panes();
        // tmux sends layouts only for windows of the attached session.
        if !self.add_window(window, true, host) {
            return;
        }
        let Some(w) = self.model.windows.get_mut(&window) else {
            return;
        };
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
        let old = std::mem::take(&mut w.panes);
        w.panes.extend(geoms.iter().map(|g| g.pane));
        self.model.visits += (old.len() + geoms.len()) as u64;
        // Panes of this window that the layout no longer names (and that no other window
        // took: `join-pane` moves a pane before the old window's layout comes).
        let named: HashSet<PaneId> = geoms.iter().map(|g| g.pane).collect();
        for pane in old {
            let here = self
                .model
                .panes
                .get(&pane)
                .is_some_and(|p| p.window == Some(window));
            if here && !named.contains(&pane) {
                self.remove_pane(pane, host);
            }
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
            self.set_geometry(g.pane, clamp16(c), clamp16(r), x, y, host);
        }
        self.charge_window(window, host);
        if self.live() {
            for pane in fresh {
                self.sync_pane(pane, false);
            }
        }
    }

    /// Applies one `list-panes` record; returns whether the pane is new.
    pub(super) fn apply_pane_formats(&mut self, f: &PaneFormats, host: &mut dyn Host) -> bool {
        let (Some(pane), Some(window)) = (f.id, f.window) else {
            return false;
        };
        if !self.add_window(window, true, host) {
            return false;
        }
        let fresh = self.ensure_pane(pane, window, host);
        if let Some(w) = self.model.windows.get_mut(&window) {
            if !w.panes.contains(&pane) {
                w.panes.push(pane);
            }
            if f.active {
                w.active_pane = Some(pane);
            }
        }
        self.set_geometry(pane, f.cols, f.rows, f.x, f.y, host);
        if let Some(p) = self.model.panes.get_mut(&pane) {
            p.mode = f.mode.clone();
        }
        fresh
    }

    /// Applies one window's listed fields (`attached`: it is linked into the attached
    /// session; else only its name, layout and index are kept); `index` is the one to keep
    /// (see [`Window::index`]). Returns whether the index changed.
    pub(super) fn apply_window_info(
        &mut self,
        info: &WindowInfo,
        index: u32,
        attached: bool,
        host: &mut dyn Host,
    ) -> bool {
        let window = info.id;
        if attached {
            self.apply_layout(
                window,
                info.layout.as_bytes(),
                Some(info.visible_layout.as_bytes()),
                Some(info.zoomed),
                host,
            );
        } else {
            self.detach_window(window, info, host);
        }
        let mut index_changed = false;
        if let Some(w) = self.model.windows.get_mut(&window) {
            w.name.clear();
            w.name.extend_from_slice(bounded_name(&info.name));
            w.name_known = true;
            w.session = Some(if attached {
                self.model.attached_session.unwrap_or(info.session)
            } else {
                info.session
            });
            w.active_pane = info.active_pane.or(w.active_pane);
            if w.index != Some(index) {
                w.index = Some(index);
                index_changed = true;
            }
        }
        self.charge_window(window, host);
        index_changed
    }

    /// A window of another session: its layout's text and size and the ids it names; its
    /// panes leave the model (tmux sends nothing of them; they are read again when the
    /// window comes back).
    fn detach_window(&mut self, window: WindowId, info: &WindowInfo, host: &mut dyn Host) {
        if !self.add_window(window, false, host) {
            return;
        }
        let parsed = Layout::parse(info.layout.as_bytes()).ok();
        let Some(w) = self.model.windows.get_mut(&window) else {
            return;
        };
        w.attached = false;
        let old = std::mem::take(&mut w.panes);
        if let Some(l) = &parsed {
            set_text(&mut w.layout, info.layout.as_bytes());
            set_text(&mut w.visible_layout, info.visible_layout.as_bytes());
            w.zoomed = info.zoomed;
            w.cols = clamp16(l.cols());
            w.rows = clamp16(l.rows());
            w.panes.extend(l.panes().iter().map(|g| g.pane));
        }
        for pane in old {
            if self
                .model
                .panes
                .get(&pane)
                .is_some_and(|p| p.window == Some(window))
            {
                self.remove_pane(pane, host);
            }
        }
    }
}

/// Output bytes a pane takes in between two charges of its emulator to the budget.
const CHARGE_EVERY: usize = 64 << 10;

/// At most [`Model::MAX_NAME`] bytes of a name.
pub(super) fn bounded_name(name: &[u8]) -> &[u8] {
    if name.len() <= Model::MAX_NAME {
        return name;
    }
    let mut end = Model::MAX_NAME;
    // Cut before a UTF-8 continuation byte run.
    while end > 0 && (name[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    &name[..end]
}

/// Stores a bounded name, reusing the buffer.
pub(super) fn set_name(dst: &mut Option<Vec<u8>>, src: &[u8]) {
    let d = dst.get_or_insert_with(Vec::new);
    d.clear();
    d.extend_from_slice(bounded_name(src));
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

fn notice(host: &mut dyn Host, kind: NoticeKind, text: &[u8]) {
    host.on_event(&ClientEvent::Notice { kind, text });
}

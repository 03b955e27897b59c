//! Notifications into the model: pane output (the hot path), layouts, windows, sessions,
//! and the notices the model keeps nothing of.

use std::collections::btree_map::Entry;

use muxlink_proto::layout::Layout;
use muxlink_proto::{Event, PaneId, WindowId};

use super::Core;
use crate::config::OutputMode;
use crate::error::ProtocolError;
use crate::events::{ClientEvent, Host, NoticeKind};
use crate::exit::ExitReason;
use crate::model::{Pane, Session, Window};
use crate::outbox::LineKind;
use crate::pane_emu::PaneEmu;
use crate::queries::{self, PaneFormats, WindowInfo};

impl Core {
    /// One protocol event.
    pub(crate) fn on_event(&mut self, ev: Event<'_>, host: &mut dyn Host) {
        if self.closed {
            return;
        }
        match ev {
            Event::Output { pane, data } => self.on_output(pane, data, host),
            Event::ExtendedOutput { pane, age, data } => {
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
                self.add_window(window, host);
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
                if let Some(w) = self.model.windows.get_mut(&window) {
                    w.name = name.to_vec();
                    w.name_known = true;
                    host.on_event(&ClientEvent::WindowRenamed { window });
                }
            }
            Event::UnlinkedWindowAdd { window } => {
                host.on_event(&ClientEvent::UnlinkedWindowAdded { window })
            }
            Event::UnlinkedWindowRenamed { window, .. } => {
                host.on_event(&ClientEvent::UnlinkedWindowRenamed { window })
            }
            Event::SessionChanged { session, name } => {
                let previous = self.model.attached_session.replace(session);
                let s = self
                    .model
                    .sessions
                    .entry(session)
                    .or_insert_with(|| Session::new(session));
                s.name = Some(name.to_vec());
                host.on_event(&ClientEvent::SessionChanged { session });
                if previous.is_some_and(|p| p != session) && self.live() {
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
                if self.live() {
                    self.outbox
                        .send(&queries::list_sessions_cmd(), LineKind::ListSessions);
                }
                host.on_event(&ClientEvent::SessionsChanged);
            }
            Event::SessionWindowChanged { session, window } => {
                let s = self
                    .model
                    .sessions
                    .entry(session)
                    .or_insert_with(|| Session::new(session));
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
                if self.live() {
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
        let p = match self.model.panes.get_mut(&pane) {
            Some(p) => p,
            // Live: its sync (queued with its layout) will capture this.
            None if self.config.handshake => return,
            None => {
                // Replay: a pane never announced; the client size until a layout places it.
                let (cols, rows) = (self.config.cols, self.config.rows);
                let mut p = Pane::new(pane, None, cols, rows);
                if mode == OutputMode::Grid {
                    p.emu = Some(PaneEmu::new(cols, rows, self.config.history_limit));
                }
                p.synced = true;
                host.on_event(&ClientEvent::PaneAdded { pane, window: None });
                self.model.panes.entry(pane).or_insert(p)
            }
        };
        if self.sync.is_syncing(pane) {
            return;
        }
        match mode {
            OutputMode::Bytes => host.on_event(&ClientEvent::PaneBytes { pane, bytes: data }),
            OutputMode::Grid => {
                if let Some(emu) = p.emu.as_mut() {
                    emu.feed(data);
                    if !p.changed {
                        p.changed = true;
                        self.frames.changed.push(pane);
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
        if self.live() {
            self.outbox.send(
                &queries::window_info_cmd(window),
                LineKind::WindowInfo(window),
            );
            self.outbox.send(
                &queries::list_panes_cmd(Some(window)),
                LineKind::ListPanes(Some(window)),
            );
        }
    }

    pub(super) fn remove_window(&mut self, window: WindowId, host: &mut dyn Host) {
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

    pub(super) fn remove_pane(&mut self, pane: PaneId, host: &mut dyn Host) {
        if self.model.panes.remove(&pane).is_some() {
            self.frames.changed.retain(|&p| p != pane);
            self.sync.forget(pane);
            host.on_event(&ClientEvent::PaneClosed { pane });
        }
    }

    /// Makes sure `pane` exists in `window`; returns whether it is new.
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
            self.mark_changed(pane, true);
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
        let w = self
            .model
            .windows
            .entry(window)
            .or_insert_with(|| Window::new(window));
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
        w.panes.clear();
        w.panes.extend(geoms.iter().map(|g| g.pane));
        let ids = &w.panes;
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
    pub(super) fn apply_window_info(
        &mut self,
        info: &WindowInfo,
        index: Option<u32>,
        host: &mut dyn Host,
    ) -> bool {
        let window = info.id;
        if let Entry::Vacant(e) = self.model.windows.entry(window) {
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

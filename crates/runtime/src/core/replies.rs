//! Reply blocks into the model: the [`crate::outbox::Outbox`] says which command a block
//! answers, and each kind of line is read here (listings, versions, pane syncs, operations).

use std::collections::BTreeMap;

use muxlink_proto::{PaneId, Reply, WindowId};

use super::Core;
use crate::config::OutputMode;
use crate::events::{ClientEvent, Host, ReplyOutcome};
use crate::ids::CommandId;
use crate::model::Session;
use crate::outbox::{Answer, LineKind};
use crate::pane_emu::PaneEmu;
use crate::queries::{PaneFormats, SessionInfo, Version, WindowInfo};
use crate::rebuild::{rebuild_sequence, PaneCapture};
use crate::sync::SyncStep;

impl Core {
    pub(super) fn on_reply(&mut self, reply: &Reply<'_>, host: &mut dyn Host) {
        match self.outbox.on_reply(reply) {
            Answer::NotOurs => {
                // The first such block answers the command tmux was started with; when it
                // failed ("no sessions", "can't find session: x") tmux exits next, and its
                // `%exit` carries no reason: keep the message for the exit event.
                if !std::mem::replace(&mut self.startup_answered, true) && !reply.ok {
                    let text = String::from_utf8_lossy(reply.body).trim().to_string();
                    self.startup_error = Some(text).filter(|t| !t.is_empty());
                }
                return;
            }
            Answer::Unmatched => {
                host.on_event(&ClientEvent::UnmatchedReply {
                    number: reply.number,
                });
                return;
            }
            Answer::Partial { index } => {
                // Only pane syncs hold several commands per line.
                if let Some(&LineKind::PaneSync { pane, alternate }) =
                    self.outbox.front().map(|l| &l.kind)
                {
                    self.sync_block(pane, index, alternate, reply, host);
                }
            }
            Answer::Done { line, index } => {
                let id = CommandId(line.first.0 + index as u64);
                self.dispatch(line.kind, id, index, reply, host);
            }
        }
        self.maybe_ready(host);
    }

    fn dispatch(
        &mut self,
        kind: LineKind,
        id: CommandId,
        index: usize,
        reply: &Reply<'_>,
        host: &mut dyn Host,
    ) {
        let body = reply.body;
        match kind {
            LineKind::PaneSync { pane, alternate } => {
                self.sync_block(pane, index, alternate, reply, host)
            }
            LineKind::Raw { on_reply, refresh } => {
                if refresh && reply.ok {
                    self.pane_output_body(body, host);
                }
                match on_reply {
                    Some(cb) => cb(&ReplyOutcome { ok: reply.ok, body }),
                    None => host.on_event(&ClientEvent::CommandReply {
                        id,
                        ok: reply.ok,
                        body,
                    }),
                }
            }
            LineKind::PaneOutput => {
                if reply.ok {
                    self.pane_output_body(body, host);
                }
            }
            LineKind::Op => {
                if reply.ok {
                    host.on_event(&ClientEvent::CommandSucceeded { id });
                } else {
                    host.on_event(&ClientEvent::CommandFailed { id, message: body });
                }
            }
            LineKind::Quiet => {}
            LineKind::Version => self.on_version(reply, host),
            LineKind::ListSessions => {
                self.handshake_lists = self.handshake_lists.saturating_sub(1);
                if reply.ok {
                    self.on_sessions(body);
                }
            }
            LineKind::ListWindows => {
                self.windows_listed();
                if reply.ok {
                    self.on_windows(body, host);
                }
            }
            LineKind::WindowInfo(window) => {
                if let Some(info) = WindowInfo::parse_all(body).first() {
                    if info.id == window && self.apply_window_info(info, info.index, host) {
                        host.on_event(&ClientEvent::WindowIndexesChanged);
                    }
                }
            }
            LineKind::ListPanes(scope) => {
                if scope.is_none() {
                    self.handshake_lists = self.handshake_lists.saturating_sub(1);
                }
                if reply.ok {
                    self.on_panes(body, scope.is_none(), host);
                }
            }
            LineKind::PaneMode(pane) => {
                if reply.ok {
                    if let Some(p) = self.model.panes.get_mut(&pane) {
                        let m = String::from_utf8_lossy(body).trim().to_string();
                        p.mode = if m.is_empty() { None } else { Some(m) };
                    }
                }
            }
        }
    }

    fn on_version(&mut self, reply: &Reply<'_>, host: &mut dyn Host) {
        let text = String::from_utf8_lossy(reply.body).trim().to_string();
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
                message: "tmux older than 3.2: no flow control (pause-after), no client flags \
                          (read-only observers can still resize), no per-window sizes, window \
                          indexes not updated after swap-window or move-window -r until the \
                          next notification",
            });
        }
    }

    /// A `list-sessions` body replaces the session set.
    fn on_sessions(&mut self, body: &[u8]) {
        let mut sessions = BTreeMap::new();
        for i in SessionInfo::parse_all(body) {
            let mut s = Session::new(i.id);
            s.name = Some(i.name);
            s.active_window = i.active_window;
            sessions.insert(i.id, s);
        }
        self.model.sessions = sessions;
    }

    /// A `list-windows` body of the attached session replaces the window set and indexes.
    fn on_windows(&mut self, body: &[u8], host: &mut dyn Host) {
        let infos = WindowInfo::parse_all(body);
        let gone: Vec<WindowId> = self
            .model
            .windows
            .keys()
            .filter(|w| !infos.iter().any(|i| i.id == **w))
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

    /// A `list-panes` body: `all` (the whole session) replaces the pane set; panes not yet
    /// synced get synced.
    fn on_panes(&mut self, body: &[u8], all: bool, host: &mut dyn Host) {
        let listed = PaneFormats::parse_all(body);
        if all {
            let gone: Vec<PaneId> = self
                .model
                .panes
                .keys()
                .filter(|p| !listed.iter().any(|f| f.id == Some(**p)))
                .copied()
                .collect();
            for p in gone {
                self.remove_pane(p, host);
            }
        }
        for f in &listed {
            self.apply_pane_formats(f, host);
            if let Some(pane) = f.id {
                let needs = self
                    .model
                    .panes
                    .get(&pane)
                    .is_some_and(|p| !p.synced && !self.sync.is_syncing(pane));
                if needs {
                    self.sync_pane(pane, f.alternate);
                }
            }
        }
    }

    /// One block of a pane sync line, through the sync state machine.
    fn sync_block(
        &mut self,
        pane: PaneId,
        index: usize,
        alternate: bool,
        reply: &Reply<'_>,
        host: &mut dyn Host,
    ) {
        match self
            .sync
            .on_block(pane, index, alternate, reply.ok, reply.body)
        {
            SyncStep::Done(capture) => self.apply_capture(pane, &capture, host),
            SyncStep::Retry { alternate } => self.sync_pane(pane, alternate),
            SyncStep::Continue | SyncStep::Superseded | SyncStep::Failed | SyncStep::Ignored => {}
        }
    }

    /// A sync is fully answered: rebuild the pane from its capture.
    fn apply_capture(&mut self, pane: PaneId, cap: &PaneCapture, host: &mut dyn Host) {
        let Some(p) = self.model.panes.get_mut(&pane) else {
            return;
        };
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
        rebuild_sequence(cap, &mut seq);
        match self.config.output_mode {
            OutputMode::Grid => {
                let mut emu = PaneEmu::new(cols, rows, limit);
                emu.feed(&seq);
                emu.clear_effects();
                p.emu = Some(emu);
                self.mark_changed(pane, true);
            }
            OutputMode::Bytes => host.on_event(&ClientEvent::PaneReset {
                pane,
                cols,
                rows,
                rebuild: &seq,
            }),
        }
        self.scratch = seq;
        if was_paused {
            host.on_event(&ClientEvent::Resumed { pane });
        }
    }
}

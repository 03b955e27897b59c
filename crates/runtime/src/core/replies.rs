//! Reply blocks into the model: the [`crate::outbox::Outbox`] says which command a block
//! answers, and each kind of line is read here (listings, versions, pane syncs, operations).

use std::collections::{BTreeMap, HashSet};

use muxlink_proto::{PaneId, Reply, SessionId, WindowId};
use muxlink_term::release::{
    Approximation, ReleaseMatch, ReportedVersion, ServerOptions, TmuxRelease,
};
use muxlink_term::width_tables::probe;

use super::Core;
use crate::budget;
use crate::config::OutputMode;
use crate::events::{ClientEvent, Host, ReplyOutcome};
use crate::ids::CommandId;
use crate::outbox::{Answer, LineKind};
use crate::queries::{self, PaneFormats, SessionInfo, Version, WindowInfo};
use crate::rebuild::{rebuild_sequence, PaneCapture};
use crate::rebuild_restored::rebuild_sequence_bytes;
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
                    self.on_sessions(body, host);
                }
            }
            LineKind::ListWindows => {
                self.windows_listed();
                if reply.ok {
                    self.on_windows(body, host);
                }
            }
            LineKind::Host => {
                if let Some(h) = reply.ok.then(|| queries::parse_host(body)).flatten() {
                    self.model.host = Some(h.to_vec());
                }
            }
            LineKind::Options => {
                if reply.ok {
                    self.on_options(body, host);
                }
            }
            LineKind::Probe(cps) => self.on_probe(&cps, reply, host),
            LineKind::ListPanes(scope) => {
                if scope.is_none() {
                    self.handshake_lists = self.handshake_lists.saturating_sub(1);
                }
                if reply.ok {
                    self.on_panes(body, scope.is_none(), host);
                }
            }
            LineKind::AlternateCheck(pane) => {
                self.alternate_checks.remove(&pane);
                let on = reply.ok && queries::parse_alternate(body) == Some(true);
                let readable = self
                    .model
                    .panes
                    .get(&pane)
                    .is_some_and(|p| p.synced && !p.refused && !p.paused);
                if on && readable {
                    self.sync_pane(pane, true);
                }
            }
            LineKind::PaneMode(pane) => {
                let mode = reply.ok.then(|| queries::parse_pane_mode(body)).flatten();
                if let (Some(mode), Some(p)) = (mode, self.model.panes.get_mut(&pane)) {
                    p.mode = mode.map(|m| {
                        String::from_utf8_lossy(super::notify::bounded_name(m.as_bytes()))
                            .into_owned()
                    });
                }
            }
        }
    }

    fn on_version(&mut self, reply: &Reply<'_>, host: &mut dyn Host) {
        // At most 64 bytes of it, control characters and all: a hostile server's string
        // is only shown, escaped, by whoever prints it.
        let raw = String::from_utf8_lossy(reply.body);
        let text: String = raw.trim().chars().take(64).collect();
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
        self.on_release(&text, host);
    }

    /// The release to emulate, from the version; then the options that change widths and
    /// the width probe, where the server has them.
    fn on_release(&mut self, text: &str, host: &mut dyn Host) {
        let m = match TmuxRelease::from_version(text) {
            Ok(m) => m,
            // Unreadable (empty before 2.4, or not a version): the oldest known release,
            // said so.
            Err(_) => ReleaseMatch {
                reported: ReportedVersion::Master,
                release: TmuxRelease::OLDEST,
                approximation: Some(Approximation::OlderThanKnown),
            },
        };
        if let Some(notice) = m.notice() {
            host.on_event(&ClientEvent::ReleaseApproximated {
                reported: text,
                emulated: m.release,
                notice: &notice,
            });
        }
        self.model.release = Some(m.release);
        self.release = Some(m);
        self.apply_profile();
        if !self.live() {
            return;
        }
        if self.version_at_least(3, 6) {
            self.send_fenced(queries::options_cmd(), LineKind::Options);
            self.outbox
                .send(&queries::options_subscription_cmd(), LineKind::Quiet);
        }
        // From 3.7 a change of `history-limit` reaches existing panes: follow it.
        if self
            .profile
            .as_ref()
            .is_some_and(|p| p.policy.history_limit_live)
        {
            self.outbox
                .send(&queries::history_subscription_cmd(), LineKind::Quiet);
        }
        if probe::probe_is_safe(&m) {
            self.send_probe(probe::FINGERPRINT.to_vec());
        }
    }

    fn send_probe(&mut self, cps: Vec<u32>) {
        for chunk in cps.chunks(probe::PROBE_BATCH) {
            if let Some(cmd) = queries::probe_cmd(chunk) {
                self.probes += 1;
                self.outbox
                    .send(&cmd, LineKind::Probe(chunk.to_vec().into_boxed_slice()));
            }
        }
    }

    /// A probe reply: the code points whose width on the server differs from muxlink's.
    /// The fingerprint decides whether the whole candidate list is worth asking.
    fn on_probe(&mut self, cps: &[u32], reply: &Reply<'_>, host: &mut dyn Host) {
        self.probes = self.probes.saturating_sub(1);
        let (Some(widths), Some(profile), Some(m)) = (
            reply
                .ok
                .then(|| queries::parse_probe(reply.body, cps.len()))
                .flatten(),
            self.profile.as_ref(),
            self.release,
        ) else {
            return;
        };
        let fingerprint = cps == probe::FINGERPRINT;
        let mut differing = 0;
        for (&cp, &w) in cps.iter().zip(&widths) {
            if profile.widths.width(cp) != w && profile.widths.overridable(cp) {
                differing += 1;
                if !fingerprint {
                    let pw = &mut self.model.platform_widths;
                    if let Err(i) = pw.binary_search_by_key(&cp, |e| e.0) {
                        pw.insert(i, (cp, w));
                    }
                }
            }
        }
        if fingerprint {
            if differing > 0 {
                self.send_probe(probe::probe_candidates(m.release));
            }
        } else if self.probes == 0 {
            host.on_event(&ClientEvent::PlatformWidths {
                differing: self.model.platform_widths.len(),
            });
            if !self.model.platform_widths.is_empty() {
                // The emulators take the server's widths from here on, and every pane is
                // read again: what arrived before (the attach's captures among it) was
                // given the table's widths, where tmux gave the platform's. In bytes mode
                // the host's emulator takes them at the event above
                // (`Client::char_width`), and a new `PaneReset` rebuilds each pane with them.
                self.apply_profile();
                let bytes = self.config.output_mode == OutputMode::Bytes;
                let panes: Vec<PaneId> = self
                    .model
                    .panes
                    .iter()
                    .filter(|(_, p)| p.emu.is_some() || (bytes && !p.refused))
                    .map(|(&id, _)| id)
                    .collect();
                for pane in panes {
                    self.sync_pane(pane, false);
                }
            }
        }
    }

    /// The width options (reply or subscription value): kept, and the panes follow them.
    pub(super) fn on_options(&mut self, body: &[u8], host: &mut dyn Host) {
        let Some((wide, items)) = queries::parse_options(body) else {
            return;
        };
        let opts = ServerOptions {
            variation_selector_always_wide: wide,
            codepoint_widths: items,
        };
        if opts != self.model.server_options {
            self.model.server_options = opts;
            self.apply_profile();
        }
        host.on_event(&ClientEvent::ServerOptionsChanged);
    }

    /// The width of `cp` under the current profile (see [`crate::Client::char_width`]).
    pub(crate) fn char_width(&self, cp: u32) -> Option<u8> {
        self.profile.as_ref().map(|p| p.widths.width(cp))
    }

    /// Rebuilds the profile from the release, the server's platform widths and options, and
    /// hands it to every emulator.
    fn apply_profile(&mut self) {
        let Some(m) = self.release else { return };
        let (profile, _rejected) = m
            .release
            .profile_on(&self.model.server_options, &self.model.platform_widths);
        for p in self.model.panes.values_mut() {
            if let Some(emu) = p.emu.as_mut() {
                emu.set_profile(&profile);
            }
        }
        self.profile = Some(profile);
    }

    /// A `list-sessions` body replaces the session set.
    fn on_sessions(&mut self, body: &[u8], host: &mut dyn Host) {
        let infos = SessionInfo::parse_all(body);
        let listed: HashSet<SessionId> = infos.iter().map(|i| i.id).collect();
        let gone: Vec<SessionId> = self
            .model
            .sessions
            .keys()
            .filter(|s| !listed.contains(s))
            .copied()
            .collect();
        for s in gone {
            self.set_active_window(s, None);
            if let Some(s) = self.model.sessions.remove(&s) {
                self.budget.recharge(s.cost, 0);
            }
        }
        for i in infos {
            if let Some(s) = self.session_entry(i.id, host) {
                super::notify::set_name(&mut s.name, &i.name);
                let cost = budget::session_cost(s);
                let old = std::mem::replace(&mut s.cost, cost);
                self.budget.recharge(old, cost);
                self.set_active_window(i.id, i.active_window);
            }
        }
    }

    /// A `list-windows -a` body replaces the window set: every window of every session, its
    /// session and index. A window linked into the attached session is that session's (at
    /// its lowest index there); another one is the session's with the lowest id.
    fn on_windows(&mut self, body: &[u8], host: &mut dyn Host) {
        let infos = WindowInfo::parse_all(body);
        let attached = self.model.attached_session;
        // Per window: the link to keep and whether it is in the attached session.
        let mut windows: BTreeMap<WindowId, (&WindowInfo, bool)> = BTreeMap::new();
        for info in &infos {
            // Unknown attached session (not yet told): every window counts as attached.
            let here = attached.is_none_or(|a| a == info.session);
            let e = windows.entry(info.id).or_insert((info, here));
            let better = match (here, e.1) {
                (true, false) => true,
                (false, true) => false,
                (true, true) => info.index < e.0.index,
                (false, false) => (info.session, info.index) < (e.0.session, e.0.index),
            };
            if better {
                *e = (info, here);
            }
            if info.active {
                if let Some(s) = self.model.sessions.get(&info.session) {
                    if s.active_window != Some(info.id) {
                        self.set_active_window(info.session, Some(info.id));
                    }
                }
            }
        }
        let gone: Vec<WindowId> = self
            .model
            .windows
            .keys()
            .filter(|w| !windows.contains_key(w))
            .copied()
            .collect();
        for w in gone {
            self.remove_window(w, host);
        }
        let mut reindexed = false;
        for (info, here) in windows.into_values() {
            reindexed |= self.apply_window_info(info, info.index, here, host);
        }
        if reindexed {
            host.on_event(&ClientEvent::WindowIndexesChanged);
            // tmux reports the windows subscription only when its value differs from the
            // last one it reported, checked once a second. Indexes learned here, between two
            // checks, would hide a renumbering back to that last value (`move-window -t :6`
            // then `move-window -r`): subscribing again clears it, so the next check
            // reports the value as it is then. The listing that report asks for changes
            // nothing and subscribes no more.
            if self.live() {
                self.outbox
                    .send(&queries::windows_subscription_cmd(), LineKind::Quiet);
            }
        }
    }

    /// A `list-panes` body: `all` (the whole session) replaces the pane set; panes not yet
    /// synced get synced.
    fn on_panes(&mut self, body: &[u8], all: bool, host: &mut dyn Host) {
        let listed = PaneFormats::parse_all(body);
        if all {
            let ids: HashSet<PaneId> = listed.iter().filter_map(|f| f.id).collect();
            let gone: Vec<PaneId> = self
                .model
                .panes
                .keys()
                .filter(|p| !ids.contains(p))
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
        p.set_position(f.x, f.y);
        p.mode = f.mode.clone();
        // tmux shows its host name as the title of a pane no program titled: that is
        // `null`, not a title (a program that set the host name itself cannot be told
        // apart, and reads as untitled too).
        let untitled = f.title.is_empty() || self.model.host.as_deref() == Some(&f.title[..]);
        p.title = (!untitled).then(|| super::notify::bounded_name(&f.title).to_vec());
        p.synced = true;
        // The emulator keeps as much history as tmux keeps for this pane.
        let limit = f.history_limit.unwrap_or(self.config.history_limit);
        let was_paused = std::mem::replace(&mut p.paused, false);
        let mut seq = std::mem::take(&mut self.scratch);
        seq.clear();
        match self.config.output_mode {
            OutputMode::Grid => {
                // The old grid goes first: the new one is charged in its place.
                if let Some(p) = self.model.panes.get_mut(&pane) {
                    p.emu = None;
                }
                // On an alternate screen whose saved normal screen is not the pane's height
                // (the pane was resized since it came on), the grid is built at the saved
                // screen's height, takes the pane's size once the alternate screen is on,
                // and only then gets that screen's lines: as tmux's was, so that leaving it
                // resizes back to the saved screen with its saved cursor and history.
                let saved_rows = crate::rebuild::saved_screen_rows(cap);
                let split = if saved_rows.is_some() {
                    crate::rebuild::rebuild_sequence_saved_size(cap, &mut seq)
                } else {
                    rebuild_sequence(cap, &mut seq);
                    seq.len()
                };
                match self.new_emu(cols, saved_rows.unwrap_or(rows), limit) {
                    Ok(mut emu) => {
                        emu.feed(&seq[..split]);
                        if saved_rows.is_some() {
                            emu.resize(cols, rows);
                        }
                        emu.feed(&seq[split..]);
                        emu.clear_effects();
                        if let Some(p) = self.model.panes.get_mut(&pane) {
                            p.emu = Some(emu);
                            p.refused = false;
                        }
                        self.charge_pane(pane, host);
                        self.mark_changed(pane, true);
                    }
                    Err(reason) => {
                        if let Some(p) = self.model.panes.get_mut(&pane) {
                            p.refused = true;
                        }
                        self.charge_pane(pane, host);
                        host.on_event(&ClientEvent::PaneRefused { pane, reason });
                    }
                }
            }
            OutputMode::Bytes => {
                // A host's emulator has one size: a saved normal screen of another height
                // reaches it as tmux will restore it (`rebuild_restored`).
                let max = self.budget.available();
                let profile = self.profile.as_ref();
                rebuild_sequence_bytes(cap, cols, rows, limit, profile, max, &mut seq);
                host.on_event(&ClientEvent::PaneReset {
                    pane,
                    cols,
                    rows,
                    rebuild: &seq,
                })
            }
        }
        self.scratch = seq;
        if was_paused {
            host.on_event(&ClientEvent::Resumed { pane });
        }
    }
}

//! The attach handshake and the resyncs: version and client flags, the listings of
//! sessions, windows and panes, a sync of every pane, and `Ready` once all are answered.

use muxlink_proto::command;
use muxlink_proto::PaneId;

use super::Core;
use crate::events::{ClientEvent, Host};
use crate::outbox::LineKind;
use crate::queries;
use crate::sync::SyncTable;

impl Core {
    /// Control mode has started (plain stream: at once; host stream: after DCS accepted).
    pub(crate) fn control_mode_started(&mut self) {
        self.control_mode = true;
        if !self.config.handshake {
            return;
        }
        self.handshaking = true;
        self.outbox.send(&queries::version_cmd(), LineKind::Version);
        if let Some(cmd) = queries::client_flags_cmd(self.config.pause_after, self.config.read_only)
        {
            self.outbox.send(&cmd, LineKind::Quiet);
        }
        if !self.config.read_only {
            let cmd = command::refresh_client_size(
                u32::from(self.config.cols),
                u32::from(self.config.rows),
            );
            self.outbox.send(&cmd, LineKind::Quiet);
        }
        // Renumbering that sends no notification (`swap-window`, `move-window -r`) still
        // changes this subscription's value. Fails harmlessly before tmux 3.2.
        self.outbox
            .send(&queries::windows_subscription_cmd(), LineKind::Quiet);
        self.resync_all();
    }

    /// Lists sessions, windows and panes again; panes not yet synced get synced.
    pub(super) fn resync_all(&mut self) {
        self.outbox
            .send(&queries::list_sessions_cmd(), LineKind::ListSessions);
        // Sent even while another listing is in flight: that one may list the session this
        // client just left, and the windows must be known before the panes are listed.
        self.windows_relist = false;
        self.send_list_windows();
        self.outbox
            .send(&queries::list_panes_cmd(None), LineKind::ListPanes(None));
        if self.handshaking {
            self.handshake_lists = 3;
        }
    }

    /// Lists the attached session's windows (their set, layouts, names and indexes), unless a
    /// listing is in flight: then once more when its reply arrives, since it may have been
    /// answered before the change that asks for this one. So at most one is in flight and
    /// one waits, however many notifications ask. Nothing when the client only decodes
    /// (replay) or control mode has not started.
    pub(super) fn list_windows(&mut self) {
        if !self.live() {
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
        self.outbox
            .send(&queries::list_windows_cmd(), LineKind::ListWindows);
    }

    /// A `list-windows` reply arrived: the waiting listing, if any, goes out now.
    pub(super) fn windows_listed(&mut self) {
        self.handshake_lists = self.handshake_lists.saturating_sub(1);
        self.windows_listings = self.windows_listings.saturating_sub(1);
        if self.windows_listings == 0 && std::mem::take(&mut self.windows_relist) {
            self.list_windows();
        }
    }

    /// Queues a sync line for `pane` (formats + captures, see [`crate::sync`]); its output is
    /// dropped until the answer arrives, because the capture already holds it.
    pub(super) fn sync_pane(&mut self, pane: PaneId, alternate: bool) {
        if !self.model.panes.contains_key(&pane) {
            return;
        }
        let line = self.sync.start(pane, self.config.history_limit, alternate);
        self.outbox.send_line(
            &line,
            SyncTable::blocks(alternate),
            LineKind::PaneSync { pane, alternate },
        );
    }

    /// Reports `Ready` once the handshake's listings and every pane sync are answered.
    pub(super) fn maybe_ready(&mut self, host: &mut dyn Host) {
        if !self.handshaking || self.handshake_lists > 0 || self.sync.any() {
            return;
        }
        self.handshaking = false;
        host.on_event(&ClientEvent::Ready);
    }
}

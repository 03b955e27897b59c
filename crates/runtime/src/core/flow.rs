//! Flow control: `%pause` and `%continue` (as notifications, or inside the reply to this
//! client's own `refresh-client -A`), and resuming a paused pane with a re-capture.

use muxlink_proto::command;
use muxlink_proto::PaneId;

use super::Core;
use crate::events::{ClientEvent, Host};
use crate::ids::CommandId;
use crate::outbox::LineKind;

impl Core {
    /// `%pause %P`: mark the pane paused and tell the host; `automatic` (pause-after, not a
    /// pause this client asked for) resumes at once when `auto_resume` is set.
    pub(super) fn on_pause(&mut self, pane: PaneId, automatic: bool, host: &mut dyn Host) {
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
    pub(super) fn on_continue(&mut self, pane: PaneId) {
        let needs = self
            .model
            .panes
            .get(&pane)
            .is_some_and(|p| p.paused && !self.sync.is_syncing(pane));
        if needs && self.live() {
            self.sync_pane(pane, false);
        }
    }

    /// The body of this client's own `refresh-client -A` reply: tmux 3.3a writes the
    /// `%pause %P` / `%continue %P` that command causes there, not as notifications.
    /// Only exact lines are taken; anything else in the body is ignored.
    pub(super) fn pane_output_body(&mut self, body: &[u8], host: &mut dyn Host) {
        for line in body.split(|&b| b == b'\n') {
            if let Some(pane) = line.strip_prefix(b"%pause ").and_then(PaneId::parse) {
                self.on_pause(pane, false, host);
            } else if let Some(pane) = line.strip_prefix(b"%continue ").and_then(PaneId::parse) {
                self.on_continue(pane);
            }
        }
    }

    /// `refresh-client -A '%P:continue'` and a re-capture; `None` for an unknown pane.
    pub(crate) fn resume(&mut self, pane: PaneId) -> Option<CommandId> {
        if !self.model.panes.contains_key(&pane) {
            return None;
        }
        let cmd = command::refresh_client_pane(pane, command::PaneOutputState::Continue);
        let id = self.outbox.send(&cmd, LineKind::PaneOutput);
        self.sync_pane(pane, false);
        Some(id)
    }
}

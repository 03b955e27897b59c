//! The client's state machine: protocol events in, model updates, commands, frames and host
//! events out. [`crate::Client`] wraps it with the parser.
//!
//! One concern per file, all of them `impl Core`:
//! - [`attach`]: the attach handshake and the resyncs (listings, pane syncs, `Ready`);
//! - [`flow`]: flow control (`%pause`, `%continue`, resuming a pane);
//! - [`notify`]: notifications into the model (output, layouts, windows, sessions);
//! - [`replies`]: reply blocks, matched by the [`crate::outbox::Outbox`], into the model;
//! - [`frames`]: frames (pushed or pulled) and the client's exit.

mod attach;
mod flow;
mod frames;
mod notify;
mod replies;

use muxlink_proto::PaneId;

use crate::config::ClientConfig;
use crate::model::Model;
use crate::outbox::Outbox;
use crate::queries::Version;
use crate::sync::SyncTable;

/// Everything but the parser.
pub(crate) struct Core {
    pub(crate) config: ClientConfig,
    pub(crate) model: Model,
    pub(crate) outbox: Outbox,
    pub(crate) closed: bool,
    /// Pane syncs in flight.
    sync: SyncTable,
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
    /// The startup command's reply (the first block not from this client) has arrived.
    startup_answered: bool,
    /// tmux's message when it refused the startup command; reported with `%exit`.
    startup_error: Option<String>,
    /// Panes changed since their last frame, and the frame timer.
    frames: frames::FrameQueue,
    scratch: Vec<u8>,
}

impl Core {
    pub(crate) fn new(config: ClientConfig) -> Core {
        Core {
            config,
            model: Model::default(),
            outbox: Outbox::new(),
            closed: false,
            sync: SyncTable::default(),
            version: None,
            handshaking: false,
            handshake_lists: 0,
            control_mode: false,
            windows_listings: 0,
            windows_relist: false,
            startup_answered: false,
            startup_error: None,
            frames: frames::FrameQueue::default(),
            scratch: Vec::new(),
        }
    }

    /// Whether the connected tmux is at least `major.minor` (unknown counts as new enough).
    pub(crate) fn version_at_least(&self, major: u32, minor: u32) -> bool {
        self.version
            .as_ref()
            .is_none_or(|v| v.at_least(major, minor))
    }

    /// The version tmux reported, for messages.
    pub(crate) fn version_string(&self) -> String {
        self.model.version.clone().unwrap_or_default()
    }

    /// Whether the client asks tmux for anything (a live client whose control mode started;
    /// a replay only decodes).
    fn live(&self) -> bool {
        self.config.handshake && self.control_mode
    }

    /// Marks `pane` as changed since its last frame, once.
    fn mark_changed(&mut self, pane: PaneId, full: bool) {
        if let Some(p) = self.model.panes.get_mut(&pane) {
            p.full |= full;
            if !p.changed {
                p.changed = true;
                self.frames.changed.push(pane);
            }
        }
    }
}

//! The client's state machine: protocol events in, model updates, commands, frames and host
//! events out. [`crate::Client`] wraps it with the parser.
//!
//! One concern per file, all of them `impl Core`:
//! - [`attach`]: the attach handshake and the resyncs (listings, pane syncs, `Ready`);
//! - [`flow`]: flow control (`%pause`, `%continue`, resuming a pane);
//! - [`notify`]: notifications into the model (output, layouts, windows, sessions);
//! - [`replies`]: reply blocks, matched by the [`crate::outbox::Outbox`], into the model;
//! - [`frames`]: frames (pushed or pulled) and the client's exit;
//! - [`stall`]: a nudge when tmux may be holding lines it queued (a tmux bug).

mod attach;
mod flow;
mod frames;
mod notify;
mod replies;
mod stall;

use muxlink_proto::fence::{Nonce, NonceError, NonceSource, OsNonces};
use muxlink_proto::PaneId;
use muxlink_term::release::{ReleaseMatch, ReleaseProfile};
use std::collections::HashSet;

use crate::budget::Budget;
use crate::config::ClientConfig;
use crate::events::{ClientEvent, Host, ModelLimit, RefusalReason};
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
    /// Fence nonces (the OS's random source), opened at the first fenced line; `Err` once
    /// the source failed (then listings go unfenced and panes are refused, see
    /// [`RefusalReason::NoRandomSource`]).
    nonces: Option<Result<Nonces, ()>>,
    /// Panes refused while no host was at hand (a resume from the host's API), reported at
    /// the next event.
    refused: Vec<(PaneId, RefusalReason)>,
    /// Heap bytes charged for grids and records ([`ClientConfig::memory_budget`]).
    budget: Budget,
    /// Model limits reported and not yet cleared (one bit per [`ModelLimit`]).
    limits_hit: u8,
    /// What the server's `#{version}` was taken to mean.
    release: Option<ReleaseMatch>,
    /// The release's grid behaviour with the server's options, handed to every emulator.
    profile: Option<ReleaseProfile>,
    /// Width probe batches in flight.
    probes: u32,
    /// Whether tmux may be holding queued lines ([`stall`]).
    stall: stall::StallWatch,
    /// Bytes mode: panes resized whose `#{alternate_on}` is being asked
    /// (`Core::resized_in_bytes_mode`).
    alternate_checks: HashSet<PaneId>,
}

impl Core {
    pub(crate) fn new(config: ClientConfig) -> Core {
        let config_budget = config.memory_budget;
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
            nonces: None,
            refused: Vec::new(),
            budget: Budget::new(config_budget),
            limits_hit: 0,
            release: None,
            profile: None,
            probes: 0,
            stall: stall::StallWatch::default(),
            alternate_checks: HashSet::new(),
        }
    }

    /// The fence nonce source, opened on first use; `None` when the OS has none.
    fn nonce_source(&mut self) -> Option<&mut Nonces> {
        #[cfg(any(test, feature = "testing"))]
        let seed = self.config.fence_seed;
        #[cfg(not(any(test, feature = "testing")))]
        let seed: Option<u64> = None;
        let n = self.nonces.get_or_insert_with(|| match seed {
            Some(s) => Ok(Nonces::Seeded(s)),
            None => OsNonces::new()
                .map(|o| Nonces::Os(Box::new(o)))
                .map_err(|_| ()),
        });
        n.as_mut().ok()
    }

    /// Reports a model bound once (until [`Core::limit_cleared`]).
    fn limit_reached(&mut self, limit: ModelLimit, host: &mut dyn Host) {
        let bit = 1u8 << (limit_bit(limit));
        if self.limits_hit & bit == 0 {
            self.limits_hit |= bit;
            host.on_event(&ClientEvent::LimitReached { limit });
        }
    }

    /// The model went back under a bound: report it again next time.
    fn limit_cleared(&mut self, limit: ModelLimit) {
        self.limits_hit &= !(1u8 << limit_bit(limit));
    }

    /// Reports refusals made where no host was at hand.
    fn flush_refused(&mut self, host: &mut dyn Host) {
        for (pane, reason) in std::mem::take(&mut self.refused) {
            host.on_event(&ClientEvent::PaneRefused { pane, reason });
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

/// Where fence nonces come from: the operating system, or (tests only, see
/// `ClientConfig::fence_seed`) a seeded sequence.
pub(crate) enum Nonces {
    Os(Box<OsNonces>),
    Seeded(u64),
}

impl NonceSource for Nonces {
    fn next_nonce(&mut self) -> Result<Nonce, NonceError> {
        match self {
            Nonces::Os(o) => o.next_nonce(),
            Nonces::Seeded(state) => {
                // splitmix64, twice.
                let mut bits = [0u8; 16];
                for half in bits.chunks_mut(8) {
                    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut z = *state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    half.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
                }
                Ok(Nonce::from_bits(bits))
            }
        }
    }
}

fn limit_bit(limit: ModelLimit) -> u8 {
    match limit {
        ModelLimit::Sessions => 0,
        ModelLimit::Windows => 1,
        ModelLimit::Panes => 2,
        ModelLimit::OrphanPanes => 3,
        _ => 4,
    }
}

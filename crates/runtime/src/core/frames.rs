//! Frames and the client's end: which panes changed since their last frame, frames pushed
//! at the end of a batch (held by `frame_interval`) or pulled by the host, and closing.

use std::time::Instant;

use muxlink_proto::PaneId;

use super::Core;
use crate::config::FrameDelivery;
use crate::events::{ClientEvent, Host};
use crate::exit::ExitReason;
use crate::frame::Frame;
use crate::model::Model;

/// Panes changed since their last frame, and buffers reused across frames: once warm,
/// building a frame allocates nothing.
#[derive(Debug, Default)]
pub(super) struct FrameQueue {
    /// Push: panes changed since their last frame. Pull: panes changed since the last
    /// [`ClientEvent::FrameReady`] round (each reported once until pulled).
    pub(super) changed: Vec<PaneId>,
    /// When frames were last pushed (`frame_interval`).
    last_flush: Option<Instant>,
    /// Dirty row indices of the frame being built.
    dirty: Vec<u16>,
}

impl Core {
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.config.frames == FrameDelivery::Pull {
            return None;
        }
        let interval = self.config.frame_interval?;
        if self.frames.changed.is_empty() {
            return None;
        }
        // Without a flush yet, the next `flush_frames` sends at once: nothing to wait for.
        self.frames.last_flush.map(|t| t + interval)
    }

    /// The end of a batch: frames for the panes that changed (pushed, unless
    /// `frame_interval` holds them), or [`ClientEvent::FrameReady`] for each (pulled).
    pub(crate) fn flush_frames(&mut self, now: Instant, host: &mut dyn Host) {
        if self.frames.changed.is_empty() {
            return;
        }
        if self.config.frames == FrameDelivery::Pull {
            self.announce_frames(host);
            return;
        }
        if let (Some(interval), Some(last)) = (self.config.frame_interval, self.frames.last_flush) {
            if now < last + interval {
                return;
            }
        }
        self.frames.last_flush = Some(now);
        self.emit_frames(host);
    }

    /// Pull: tells the host which panes have something new since their last pull.
    fn announce_frames(&mut self, host: &mut dyn Host) {
        for pane in self.frames.changed.drain(..) {
            host.on_event(&ClientEvent::FrameReady { pane });
        }
    }

    /// Push: one frame per changed pane, now, whatever `frame_interval` says.
    fn emit_frames(&mut self, host: &mut dyn Host) {
        if self.config.frames == FrameDelivery::Pull {
            return self.announce_frames(host);
        }
        let mut changed = std::mem::take(&mut self.frames.changed);
        for &pane in &changed {
            let Some(p) = self.model.panes.get_mut(&pane) else {
                continue;
            };
            p.changed = false;
            let full = std::mem::replace(&mut p.full, false);
            if let Some(emu) = p.emu.as_mut() {
                let dirty = &mut self.frames.dirty;
                dirty.clear();
                let scrolled = emu.take_damage(dirty, full);
                let frame = Frame {
                    pane,
                    window: p.window,
                    dirty,
                    cursor: emu.cursor(),
                    title: p.title.as_deref(),
                    full,
                    scrolled,
                    term: emu.terminal(),
                };
                host.on_frame(&frame);
            }
        }
        changed.clear();
        self.frames.changed = changed;
    }

    /// The pane's render state: every row dirtied since the last pull (or frame), cursor,
    /// modes, title. `None` for an unknown pane or one without an emulator (bytes mode).
    pub(crate) fn pull_frame(&mut self, pane: PaneId) -> Option<Frame<'_>> {
        let p = self.model.panes.get_mut(&pane)?;
        let emu = p.emu.as_mut()?;
        if p.changed {
            p.changed = false;
            // Pulled before the batch ended: nothing left to announce.
            if let Some(i) = self.frames.changed.iter().position(|&c| c == pane) {
                self.frames.changed.swap_remove(i);
            }
        }
        let full = std::mem::replace(&mut p.full, false);
        let dirty = &mut self.frames.dirty;
        dirty.clear();
        let scrolled = emu.take_damage(dirty, full);
        Some(Frame {
            pane,
            window: p.window,
            dirty,
            cursor: emu.cursor(),
            title: p.title.as_deref(),
            full,
            scrolled,
            term: emu.terminal(),
        })
    }

    // ----- exit ----------------------------------------------------------------------------

    /// Drops the model and commands in flight (their callbacks are not called).
    fn reset_session(&mut self) {
        self.outbox.forget_pending();
        self.model = Model::default();
        self.budget.reset();
        self.limits_hit = 0;
        self.release = None;
        self.profile = None;
        self.probes = 0;
        self.alternate_checks.clear();
        self.frames.changed.clear();
        self.sync.clear();
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
                ExitReason::Exit(None) | ExitReason::Eof | ExitReason::ProcessExited { .. },
            ) => ExitReason::Refused(message),
            (_, reason) => reason,
        }
    }

    /// Host stream: `%exit` ended this control-mode session, the host's PTY goes on.
    pub(super) fn end_session(&mut self, reason: ExitReason, host: &mut dyn Host) {
        let reason = self.with_startup_error(reason);
        self.emit_frames(host);
        self.reset_session();
        host.on_event(&ClientEvent::Exited { reason: &reason });
    }

    /// The client closes for good: held frames first, then everything is dropped (or kept,
    /// with `keep_state_on_exit`) and [`ClientEvent::Exited`] reported, once.
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
            self.outbox.forget_pending();
            self.frames.changed.clear();
            self.sync.clear();
        } else {
            self.reset_session();
        }
        self.outbox.release();
        self.frames.dirty = Vec::new();
        host.on_event(&ClientEvent::Exited { reason: &reason });
    }
}

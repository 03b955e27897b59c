//! tmux's held notifications: a nudge when tmux may be sitting on lines it queued.
//!
//! tmux (3.2 to next-3.8, `control.c`) queues a notification behind a control client's
//! pending pane output. When it pauses a pane for that client (`pause-after`, the oldest
//! output too old) from inside its write callback, it discards the pane's blocks; the lines
//! that were queued behind them (a `%window-renamed`, and then the `%pause` itself) stay in
//! the queue, the write buffer is empty, and tmux stops watching the client for writes.
//! Nothing reaches the client until tmux writes it something else: the client never learns
//! that the pane was paused, and its model stays where the output stopped (seen in the
//! flood test on 3.3a, 3.7c and next-3.8: the stream went quiet mid-flood, and one command
//! later `%window-renamed` and `%pause` arrived at once).
//!
//! So when the last output tmux sent was old (at least a quarter of `pause-after`: tmux is
//! behind and may pause) and then nothing arrives for [`QUIET`], the client sends one
//! harmless command; its reply makes tmux flush what it held. One command per such quiet
//! spell, nothing at all without `pause-after` or while output is fresh.

use std::time::{Duration, Instant};

use super::Core;
use crate::outbox::LineKind;
use crate::queries;

/// How long the stream stays quiet after old output before the client nudges tmux.
pub(crate) const QUIET: Duration = Duration::from_millis(500);

/// Whether tmux was behind at the end of the last batch, and when to nudge it.
#[derive(Debug, Default)]
pub(super) struct StallWatch {
    /// The last `%extended-output` was old enough that tmux may pause the pane.
    behind: bool,
    /// When to nudge, unless more arrives first.
    due: Option<Instant>,
}

impl Core {
    /// An `%extended-output` of `age_ms` arrived.
    pub(super) fn note_output_age(&mut self, age_ms: u64) {
        let Some(secs) = self.config.pause_after else {
            return;
        };
        self.stall.behind = age_ms.saturating_mul(4) >= u64::from(secs).saturating_mul(1000);
    }

    /// A batch of input ended at `now`: the quiet spell starts here.
    pub(crate) fn batch_ended(&mut self, now: Instant) {
        self.stall.due = (self.stall.behind && self.live()).then(|| now + QUIET);
    }

    /// When [`Core::nudge_if_due`] has something to do.
    pub(crate) fn nudge_due(&self) -> Option<Instant> {
        self.stall.due
    }

    /// Sends the nudge if its time has come.
    pub(crate) fn nudge_if_due(&mut self, now: Instant) {
        if self.stall.due.is_some_and(|d| d <= now) {
            self.stall = StallWatch::default();
            if self.live() && !self.closed {
                self.outbox.send(&queries::version_cmd(), LineKind::Quiet);
            }
        }
    }
}

//! The sans-I/O client without tmux: virtual time, scripted replies, recorded streams, push
//! against pull, and no allocation once warm.

mod alloc;
mod bytes_resize;
mod client;
mod fake;
mod hoststream;
mod platform_widths;
mod push_pull;
#[path = "../common/push_pull.rs"]
mod push_pull_common;
mod replay;
mod stall;
mod window_index;

use muxlink_runtime::{ClientEvent, EventQueue, Frame, Host, PaneId};

/// Counts allocations per thread: the allocation test measures its own thread only, so the
/// other tests of this binary running beside it do not disturb it.
#[global_allocator]
static ALLOC: muxlink_testkit::CountingAlloc = muxlink_testkit::CountingAlloc::new();

/// Records what the client pushed: frames (pane, dirty rows, full) and every event, kept as
/// typed values in an [`EventQueue`].
#[derive(Default)]
pub struct Rec {
    pub frames: Vec<(PaneId, Vec<u16>, bool)>,
    pub events: EventQueue,
}

impl Host for Rec {
    fn on_frame(&mut self, f: &Frame<'_>) {
        self.frames
            .push((f.pane(), f.dirty_rows().to_vec(), f.is_full()));
    }
    fn on_event(&mut self, e: &ClientEvent<'_>) {
        self.events.push(e);
    }
}

impl Rec {
    /// How many recorded events `pred` accepts.
    pub fn count(&self, pred: impl Fn(&ClientEvent<'_>) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }

    /// Whether a recorded event equals `event`.
    pub fn saw(&self, event: ClientEvent<'_>) -> bool {
        self.events.iter().any(|e| e == event)
    }

    /// The last recorded event.
    pub fn last(&self) -> Option<ClientEvent<'_>> {
        self.events.iter().last()
    }
}

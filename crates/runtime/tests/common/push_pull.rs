//! Push against pull, shared by the `model` (recorded streams) and `live` (a stream recorded
//! from a real tmux) test binaries: two clients fed the same batches, one pushing events and
//! frames to a host, the other queueing events for the host to poll and leaving frames for
//! it to pull every few batches. The events are equal (the puller's `FrameReady` aside),
//! each pull holds exactly the rows, the `full` flag and the scroll count the pusher's frames
//! held since that pane's previous pull (every current row when one of them was full), with
//! the same cells and cursor, and the final screens are equal.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, EventQueue, Frame, FrameCursor, FrameDelivery, Host, Pane,
    PaneId,
};

/// What the pusher's frames held since a pane's last pull.
#[derive(Debug, Default, Clone, PartialEq)]
struct Pending {
    rows: BTreeSet<u16>,
    full: bool,
    scrolled: u32,
}

#[derive(Default)]
struct Pusher {
    events: EventQueue,
    pending: BTreeMap<PaneId, Pending>,
    frames: u64,
}

impl Host for Pusher {
    fn on_frame(&mut self, f: &Frame<'_>) {
        self.frames += 1;
        let p = self.pending.entry(f.pane()).or_default();
        p.rows.extend(f.dirty_rows());
        p.full |= f.is_full();
        p.scrolled = p.scrolled.saturating_add(f.scrolled());
    }
    fn on_event(&mut self, e: &ClientEvent<'_>) {
        self.events.push(e);
    }
}

fn pane_rows(p: &Pane) -> Option<Vec<String>> {
    let t = p.terminal()?;
    Some(
        (0..t.rows())
            .map(|y| {
                let mut s = String::new();
                for c in p.row(y).unwrap() {
                    t.push_cell_text(c, &mut s);
                }
                s
            })
            .collect(),
    )
}

fn screen_rows(f: &Frame<'_>) -> Vec<String> {
    (0..f.rows())
        .map(|y| {
            let mut s = String::new();
            for c in f.row(y).unwrap() {
                f.terminal().push_cell_text(c, &mut s);
            }
            s
        })
        .collect()
}

/// `batches` through both clients made with `config` (frames pushed; the puller's are
/// pulled), pulling every `every` batches and after the last. Returns how many pulls were
/// compared.
pub fn compare(name: &str, batches: &[&[u8]], config: &ClientConfig, every: usize) -> usize {
    let config = config.clone().with_frames(FrameDelivery::Push);
    let mut push = Client::new(config.clone());
    let mut pull = Client::new(config.with_frames(FrameDelivery::Pull));
    let mut pusher = Pusher::default();
    let mut queue = EventQueue::new();
    let mut pulled_events = EventQueue::new();
    let mut announced: BTreeSet<PaneId> = BTreeSet::new();
    let now = Instant::now();
    let mut pulls = 0;
    for (i, c) in batches.iter().enumerate() {
        push.receive(c, now, &mut pusher);
        push.flush_frames(now, &mut pusher);
        pull.receive(c, now, &mut queue);
        pull.flush_frames(now, &mut queue);
        // Commands a live client would have sent (their replies are in the stream).
        assert_eq!(push.outgoing(), pull.outgoing(), "{name}: batch {i}");
        push.consume_outgoing(push.outgoing().len());
        pull.consume_outgoing(pull.outgoing().len());
        while let Some(e) = queue.poll_event() {
            match e {
                ClientEvent::FrameReady { pane } => {
                    assert!(announced.insert(pane), "{name}: {pane} announced twice");
                }
                other => pulled_events.push(&other),
            }
        }
        if i % every != every - 1 && i + 1 != batches.len() {
            continue;
        }
        // Pull every announced pane; the others must have had no pushed frame either.
        for pane in std::mem::take(&mut announced) {
            let want = pusher.pending.remove(&pane).unwrap_or_default();
            let pushed_now = push
                .state()
                .pane(pane)
                .and_then(|p| Some((pane_rows(p)?, p.cursor()?)));
            let Some(f) = pull.pull_frame(pane) else {
                assert!(
                    pushed_now.is_none(),
                    "{name}: {pane} gone from the puller only"
                );
                continue;
            };
            pulls += 1;
            let got = Pending {
                rows: f.dirty_rows().iter().copied().collect(),
                full: f.is_full(),
                scrolled: f.scrolled(),
            };
            if want.full {
                // A resize or rebuild in between: every row of the pane as it is now
                // (rows the pusher framed before a shrink are gone).
                let all: BTreeSet<u16> = (0..f.rows()).collect();
                assert!(got.full, "{name}: pull of {pane} after batch {i} not full");
                assert_eq!(got.rows, all, "{name}: pull of {pane} after batch {i}");
                assert_eq!(got.scrolled, want.scrolled, "{name}: {pane} scrolled");
            } else {
                assert_eq!(got, want, "{name}: pull of {pane} after batch {i}");
            }
            let (screen, cursor): (Vec<String>, FrameCursor) =
                pushed_now.expect("the pusher has the pane");
            assert_eq!(screen_rows(&f), screen, "{name}: cells of {pane}");
            assert_eq!(f.cursor(), cursor, "{name}: cursor of {pane}");
        }
        for (pane, p) in &pusher.pending {
            assert!(
                p.rows.is_empty() && !p.full,
                "{name}: {pane} had frames but no FrameReady"
            );
        }
    }
    assert!(
        pusher.events.iter().eq(pulled_events.iter()),
        "{name}: the events differ"
    );
    assert!(
        !pusher.events.is_empty() && pusher.frames > 0,
        "{name}: nothing happened"
    );
    assert!(pulls > 0, "{name}: nothing pulled");
    let (a, b) = (push.state(), pull.state());
    assert_eq!(
        a.panes.keys().collect::<Vec<_>>(),
        b.panes.keys().collect::<Vec<_>>(),
        "{name}"
    );
    for (id, p) in &a.panes {
        assert_eq!(p.screen_lines(), b.panes[id].screen_lines(), "{name}: {id}");
    }
    pulls
}

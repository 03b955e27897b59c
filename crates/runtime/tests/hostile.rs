//! Hostile streams through the whole client (issue 10), each under a memory cap measured by
//! a global allocator: sizes tmux never allows, ids without end, strings without end. A
//! binary of its own, with one test, so that the peak it measures is this test's alone.

use std::time::Instant;

use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, EventQueue, Host, ModelLimit, OutputMode, PaneId,
};

#[global_allocator]
static ALLOC: muxlink_testkit::CountingAlloc = muxlink_testkit::CountingAlloc::new();

/// The budget the clients here get, and the cap their memory must stay under (the budget
/// plus the parser's buffers and the test's own input).
const BUDGET: usize = 32 << 20;
const CAP: usize = 96 << 20;

#[derive(Default)]
struct Seen {
    refused: usize,
    trimmed: usize,
    limits: Vec<ModelLimit>,
    errors: usize,
    events: EventQueue,
}

impl Host for Seen {
    fn on_event(&mut self, e: &ClientEvent<'_>) {
        match e {
            ClientEvent::PaneRefused { .. } => self.refused += 1,
            ClientEvent::HistoryTrimmed { .. } => self.trimmed += 1,
            ClientEvent::LimitReached { limit } => self.limits.push(*limit),
            ClientEvent::ProtocolError { .. } => self.errors += 1,
            _ => {}
        }
        // Only a few, to keep the test's own memory out of the measure.
        if self.events.len() < 64 {
            self.events.push(e);
        }
    }
}

/// Feeds `stream` (made by `make`, outside the measure) to a replay client in pieces and
/// returns what it reported and the peak memory above what was live before.
fn run(name: &str, mode: OutputMode, make: impl FnOnce() -> Vec<u8>) -> (Client, Seen) {
    let stream = make();
    let config = ClientConfig::replay()
        .with_size(80, 24)
        .with_memory_budget(BUDGET)
        .with_output_mode(mode);
    let before = ALLOC.live_bytes();
    ALLOC.reset_peak();
    let mut client = Client::new(config);
    let mut seen = Seen::default();
    let now = Instant::now();
    for piece in stream.chunks(64 << 10) {
        client.receive(piece, now, &mut seen);
    }
    client.flush_frames(now, &mut seen);
    let peak = ALLOC.peak_bytes().saturating_sub(before);
    eprintln!("{name}: peak {} KiB", peak >> 10);
    assert!(
        peak < CAP,
        "{name}: {} MiB at the peak (cap {} MiB)",
        peak >> 20,
        CAP >> 20
    );
    (client, seen)
}

/// `%layout-change` of one window holding `panes` panes side by side.
fn layout_line(window: u32, first_pane: u32, panes: u32, cols: u32, rows: u32) -> Vec<u8> {
    use muxlink_proto::layout::{Layout, LayoutKind, LayoutNode};
    use muxlink_proto::WindowId;
    let leaves: Vec<LayoutNode> = (0..panes)
        .map(|i| {
            LayoutNode::pane(
                cols,
                rows,
                (i * (cols + 1)).min(10_000) as i32,
                0,
                PaneId(first_pane + i),
            )
        })
        .collect();
    let root = if panes == 1 {
        leaves.into_iter().next().unwrap()
    } else {
        LayoutNode {
            cols: (cols + 1) * panes - 1,
            rows,
            x: 0,
            y: 0,
            kind: LayoutKind::LeftRight(leaves),
        }
    };
    let l = Layout::new(root, vec![]).to_string();
    format!("%layout-change {} {l} {l} *\n", WindowId(window)).into_bytes()
}

#[test]
fn hostile_streams_stay_within_the_budget() {
    // A window larger than tmux allows: refused by the layout's bounds, nothing sized by it.
    let (c, seen) = run("65535x65535 layout", OutputMode::Grid, || {
        b"%layout-change @0 0000,65535x65535,0,0,0 0000,65535x65535,0,0,0 *\n".to_vec()
    });
    assert!(seen.errors >= 1 && c.state().panes.is_empty());

    // 4,000 panes of 1000x1000 in one layout of about 150 KB: beyond tmux's area bound.
    let (c, seen) = run("4000 panes of 1000x1000", OutputMode::Grid, || {
        layout_line(0, 0, 4000, 1000, 1000)
    });
    assert!(seen.errors >= 1, "refused as a whole");
    assert!(c.state().panes.is_empty());

    // 2,000 windows of 2000x2000, each then written full: the budget refuses grids and
    // trims history before it runs out.
    let (c, seen) = run("2000 windows of 2000x2000", OutputMode::Grid, || {
        let mut s = Vec::new();
        for w in 0..2000 {
            s.extend(layout_line(w, w, 1, 2000, 2000));
        }
        for w in 0..200u32 {
            let line = format!("%output %{w} {}\\015\\012\n", "x".repeat(2000));
            for _ in 0..50 {
                s.extend_from_slice(line.as_bytes());
            }
        }
        s
    });
    assert_eq!(c.state().windows.len(), 2000);
    assert!(seen.refused + seen.trimmed > 0, "the budget acted");

    // Output to 100,000 panes nobody announced: at most MAX_ORPHAN_PANES kept.
    let (c, seen) = run("output to 100,000 unknown panes", OutputMode::Grid, || {
        let mut s = Vec::new();
        for p in 0..100_000 {
            s.extend_from_slice(format!("%output %{p} hello\\015\\012\n").as_bytes());
        }
        s
    });
    assert!(c.state().panes.len() <= muxlink_runtime::Model::MAX_ORPHAN_PANES);
    assert!(seen.limits.contains(&ModelLimit::OrphanPanes));

    // A million `%window-add`: at most MAX_WINDOWS windows.
    let (c, seen) = run("1,000,000 window-add", OutputMode::Bytes, || {
        let mut s = Vec::new();
        for w in 0..1_000_000 {
            s.extend_from_slice(format!("%window-add @{w}\n").as_bytes());
        }
        s
    });
    assert!(c.state().windows.len() <= muxlink_runtime::Model::MAX_WINDOWS);
    assert!(seen.limits.contains(&ModelLimit::Windows));

    // 16 MB of OSC 2 and of OSC 52: dropped as tmux drops them, nothing kept.
    let (c, _) = run("16 MB OSC 2 and OSC 52", OutputMode::Grid, || {
        let mut s = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n".to_vec();
        s.extend_from_slice(b"%output %0 \\033]2;");
        let chunk = "A".repeat(1 << 16);
        for _ in 0..256 {
            s.extend_from_slice(b"\n%output %0 ");
            s.extend_from_slice(chunk.as_bytes());
        }
        s.extend_from_slice(b"\\007\\033]52;c;");
        for _ in 0..256 {
            s.extend_from_slice(b"\n%output %0 ");
            s.extend_from_slice(chunk.as_bytes());
        }
        s.extend_from_slice(b"\\007\n");
        s
    });
    let title = c.state().pane(PaneId(0)).and_then(|p| p.title.clone());
    assert!(title.is_none_or(|t| t.len() < 1 << 20), "title bounded");
}

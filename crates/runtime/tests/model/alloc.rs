//! Once warm, decoding `%output`, emulating and building frames allocates nothing: a counting
//! global allocator watches a steady stream of batches through the whole client.

use std::time::Instant;

use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, EventQueue, Frame, FrameDelivery, Host, PaneId,
};

use super::ALLOC;

/// Touches every cell of every dirty row, as a host drawing them would.
#[derive(Default)]
struct DrawHost {
    frames: u64,
    cells: u64,
}

impl Host for DrawHost {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        self.frames += 1;
        for &y in frame.dirty_rows() {
            for c in frame.row(y).unwrap() {
                self.cells += u64::from(c.ch != 0);
            }
        }
    }
    fn on_event(&mut self, _event: &ClientEvent<'_>) {}
}

#[test]
fn steady_state_frames_allocate_nothing() {
    let mut client = Client::new(ClientConfig::default().with_handshake(false));
    let mut host = DrawHost::default();
    let now = Instant::now();
    let setup = b"%layout-change @0 8205,80x24,0,0{40x24,0,0,0,39x24,41,0,1} 8205,80x24,0,0{40x24,0,0,0,39x24,41,0,1} *\n";
    client.receive(setup, now, &mut host);
    assert_eq!(client.state().panes.len(), 2, "the layout names two panes");
    let mut batch = Vec::new();
    for i in 0..50 {
        batch.extend_from_slice(
            format!("%output %0 line {i} \\033[1;32mcolour\\033[0m and \\134 text\\015\\012\n")
                .as_bytes(),
        );
        batch.extend_from_slice(format!("%output %1 {i}\\015\\012\\033[2Kx\n").as_bytes());
    }
    // Warm up: history (2000 lines) is allocated as it fills, in blocks that are recycled once
    // it is full; the block ring and its spares reach their largest extent only after several
    // collections of the oldest lines, so the warm-up runs well past the first fill.
    for _ in 0..300 {
        client.receive(&batch, now, &mut host);
        client.flush_frames(now, &mut host);
    }
    let widths: Vec<u16> = client.state().panes.values().map(|p| p.cols).collect();
    assert_eq!(widths, vec![40, 39], "the layout placed both panes");
    let frames_before = host.frames;
    let ((), allocs) = ALLOC.allocations_during(|| {
        for _ in 0..200 {
            client.receive(&batch, now, &mut host);
            client.flush_frames(now, &mut host);
        }
    });
    assert_eq!(
        host.frames - frames_before,
        400,
        "one frame per changed pane per batch"
    );
    assert!(host.cells > 0);
    assert_eq!(allocs, 0, "allocations in 200 warm batches");
}

/// The same for a host that pulls: events taken from an [`EventQueue`] (bells among them)
/// and each pane's render state pulled once per batch allocate nothing once warm.
#[test]
fn pulled_events_and_frames_allocate_nothing() {
    let mut client = Client::new(
        ClientConfig::default()
            .with_handshake(false)
            .with_frames(FrameDelivery::Pull),
    );
    let mut queue = EventQueue::new();
    let now = Instant::now();
    let setup = b"%layout-change @0 8205,80x24,0,0{40x24,0,0,0,39x24,41,0,1} 8205,80x24,0,0{40x24,0,0,0,39x24,41,0,1} *\n";
    client.receive(setup, now, &mut queue);
    let mut batch = Vec::new();
    for i in 0..50 {
        batch.extend_from_slice(
            format!("%output %0 line {i} \\033[1;32mcolour\\033[0m\\007\\015\\012\n").as_bytes(),
        );
        batch.extend_from_slice(format!("%output %1 {i}\\015\\012\\033[2Kx\n").as_bytes());
    }
    let mut ready: Vec<PaneId> = Vec::with_capacity(8);
    let (mut bells, mut pulls, mut cells) = (0u64, 0u64, 0u64);
    let mut round = |client: &mut Client, queue: &mut EventQueue| {
        client.receive(&batch, now, queue);
        client.flush_frames(now, queue);
        while let Some(ev) = queue.poll_event() {
            match ev {
                ClientEvent::FrameReady { pane } => ready.push(pane),
                ClientEvent::Bell { .. } => bells += 1,
                _ => {}
            }
        }
        for pane in ready.drain(..) {
            let f = client.pull_frame(pane).expect("a pane with an emulator");
            pulls += 1;
            for &y in f.dirty_rows() {
                cells += f.row(y).unwrap().iter().filter(|c| c.ch != 0).count() as u64;
            }
        }
    };
    for _ in 0..300 {
        round(&mut client, &mut queue);
    }
    let ((), allocs) = ALLOC.allocations_during(|| {
        for _ in 0..200 {
            round(&mut client, &mut queue);
        }
    });
    assert_eq!(
        pulls,
        2 * 500,
        "each pane announced and pulled once per batch"
    );
    assert_eq!(bells, 50 * 500);
    assert!(cells > 0);
    assert_eq!(allocs, 0, "allocations in 200 warm batches");
}

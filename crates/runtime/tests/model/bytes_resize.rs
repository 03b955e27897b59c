//! Bytes mode, a pane resized: the host resizes its own emulator, except for a pane on the
//! alternate screen made taller or shorter, which is read again (tmux keeps its saved
//! normal screen at the old height, which no host emulator can; see `rebuild_restored`).
//! One `#{alternate_on}` question per pane in flight; a narrower pane is left to the host.

use std::time::Instant;

use muxlink_proto::layout::layout_checksum;
use muxlink_runtime::{Client, ClientConfig, ClientEvent, OutputMode, PaneId};

use super::fake::Fake;
use super::Rec;

fn attached() -> (Client, Rec, Fake) {
    let mut f = Fake::new(vec![(0, 0)]);
    let (c, h) = f.attach(ClientConfig::default().with_output_mode(OutputMode::Bytes));
    (c, h, f)
}

fn resize(c: &mut Client, h: &mut Rec, cols: u16, rows: u16) {
    let body = format!("{cols}x{rows},0,0,0");
    let l = format!("{:04x},{body}", layout_checksum(body.as_bytes()));
    let line = format!("%layout-change @0 {l} {l} *\n");
    c.receive(line.as_bytes(), Instant::now(), h);
}

fn outgoing(c: &Client, what: &str) -> usize {
    String::from_utf8_lossy(c.outgoing()).matches(what).count()
}

fn resets(h: &Rec) -> usize {
    h.count(|e| matches!(e, ClientEvent::PaneReset { .. }))
}

#[test]
fn a_pane_on_the_alternate_screen_is_read_again_when_its_height_changes() {
    let (mut c, mut h, mut f) = attached();
    assert_eq!(resets(&h), 1);
    assert!(c.outgoing().is_empty());
    f.alternate = true;
    resize(&mut c, &mut h, 80, 12);
    assert_eq!(outgoing(&c, "A#{alternate_on}"), 1);
    // Asked once while the question is in flight: the sync its answer starts comes after.
    resize(&mut c, &mut h, 80, 10);
    assert_eq!(outgoing(&c, "A#{alternate_on}"), 1);
    f.answer(&mut c, &mut h);
    assert_eq!(
        outgoing(&c, "capture-pane"),
        5,
        "a sync with the saved screen"
    );
    assert!(String::from_utf8_lossy(c.outgoing()).contains(" -a "));
    // (The fake reports the normal screen in the formats: the sync is taken again
    // without `-a`, and the pane is rebuilt once.)
    for _ in 0..3 {
        f.answer(&mut c, &mut h);
    }
    assert_eq!(resets(&h), 2, "{:?}", h.events);

    // Not on the alternate screen: asked, nothing read.
    f.alternate = false;
    resize(&mut c, &mut h, 80, 8);
    assert_eq!(outgoing(&c, "A#{alternate_on}"), 1);
    f.answer(&mut c, &mut h);
    assert!(
        c.outgoing().is_empty(),
        "{}",
        String::from_utf8_lossy(c.outgoing())
    );
    assert_eq!(resets(&h), 2);

    // Narrower (tmux's captures would cut it), or only wider: left to the host.
    f.alternate = true;
    resize(&mut c, &mut h, 60, 6);
    resize(&mut c, &mut h, 70, 6);
    assert!(
        c.outgoing().is_empty(),
        "{}",
        String::from_utf8_lossy(c.outgoing())
    );
    // Paused: read again when it is resumed, not before (that would report it resumed).
    c.receive(b"%pause %0\n", Instant::now(), &mut h);
    assert!(h.saw(ClientEvent::Paused { pane: PaneId(0) }));
    resize(&mut c, &mut h, 70, 9);
    assert!(
        c.outgoing().is_empty(),
        "{}",
        String::from_utf8_lossy(c.outgoing())
    );
}

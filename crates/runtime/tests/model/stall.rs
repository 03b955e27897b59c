//! The nudge for tmux's held notifications (`core/stall.rs`), on virtual time: output that
//! tmux sent late, then a quiet stream, makes the client send one harmless command; fresh
//! output, or no `pause-after`, sends nothing.

use std::time::{Duration, Instant};

use muxlink_runtime::{Client, ClientConfig};

use super::fake::Fake;
use super::Rec;

fn attached(pause_after: Option<u32>) -> (Client, Rec, Fake) {
    let mut f = Fake::new(vec![(0, 0)]);
    let (c, h) = f.attach(ClientConfig::default().with_pause_after(pause_after));
    (c, h, f)
}

fn outgoing(c: &Client) -> String {
    String::from_utf8_lossy(c.outgoing()).into_owned()
}

#[test]
fn late_output_then_quiet_sends_one_nudge() {
    let (mut c, mut h, mut f) = attached(Some(1));
    let t = Instant::now();
    c.receive(b"%extended-output %0 600 : late\n", t, &mut h);
    c.flush_frames(t, &mut h);
    assert!(outgoing(&c).is_empty());
    let due = c.poll_timeout().expect("a nudge is due");
    assert!(due > t && due <= t + Duration::from_secs(1), "{due:?}");
    // More late output moves it on.
    let t2 = t + Duration::from_millis(300);
    c.receive(b"%extended-output %0 700 : later\n", t2, &mut h);
    c.flush_frames(t2, &mut h);
    let due2 = c.poll_timeout().unwrap();
    assert!(due2 > due);
    c.on_timeout(due2 - Duration::from_millis(1), &mut h);
    assert!(outgoing(&c).is_empty(), "not before its time");
    c.on_timeout(due2, &mut h);
    let sent = outgoing(&c);
    assert!(sent.contains("display-message"), "{sent:?}");
    // Its reply is taken quietly, and one nudge is all.
    f.answer(&mut c, &mut h);
    assert!(c.poll_timeout().is_none());
    assert!(!h
        .events
        .iter()
        .any(|e| format!("{e:?}").contains("Unmatched")));
}

#[test]
fn fresh_output_or_no_pause_after_sends_nothing() {
    let (mut c, mut h, _f) = attached(Some(1));
    let t = Instant::now();
    c.receive(b"%extended-output %0 0 : fresh\n", t, &mut h);
    c.flush_frames(t, &mut h);
    assert!(c.poll_timeout().is_none());
    // Late, then fresh again: tmux caught up.
    c.receive(b"%extended-output %0 900 : late\n", t, &mut h);
    c.flush_frames(t, &mut h);
    assert!(c.poll_timeout().is_some());
    c.receive(b"%extended-output %0 3 : fresh\n", t, &mut h);
    c.flush_frames(t, &mut h);
    assert!(c.poll_timeout().is_none());

    let (mut c, mut h, _f) = attached(None);
    c.receive(b"%extended-output %0 5000 : late\n", t, &mut h);
    c.flush_frames(t, &mut h);
    assert!(c.poll_timeout().is_none());
    c.on_timeout(t + Duration::from_secs(5), &mut h);
    assert!(outgoing(&c).is_empty());
}

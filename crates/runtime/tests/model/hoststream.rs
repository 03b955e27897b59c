//! A host PTY stream: control mode starts only when the host accepts the DCS `1000p` it was
//! told about; bytes outside control mode come back untouched; declining passes the DCS on.

use std::time::Instant;

use muxlink_runtime::{Client, ClientConfig, ClientEvent, Frame, Host, WindowId};

#[derive(Default)]
struct Rec {
    passthrough: Vec<u8>,
    requested: u32,
    left: u32,
    windows: Vec<WindowId>,
}

impl Host for Rec {
    fn on_frame(&mut self, _frame: &Frame<'_>) {}
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        match event {
            ClientEvent::Passthrough(b) => self.passthrough.extend_from_slice(b),
            ClientEvent::ControlModeRequested => self.requested += 1,
            ClientEvent::ControlModeLeft => self.left += 1,
            ClientEvent::WindowAdded { window } => self.windows.push(*window),
            _ => {}
        }
    }
}

const STREAM: &[u8] =
    b"$ tmux -CC\r\n\x1bP1000p%begin 1 1 0\n%end 1 1 0\n%window-add @7\n%exit\n\x1b\\after";

fn config() -> ClientConfig {
    ClientConfig::default().with_host_stream(true)
}

#[test]
fn accepted_control_mode_runs_the_handshake() {
    let now = Instant::now();
    let mut c = Client::new(config());
    let mut h = Rec::default();
    assert!(
        c.outgoing().is_empty(),
        "nothing written before control mode"
    );
    c.receive(STREAM, now, &mut h);
    assert_eq!(h.requested, 1);
    assert_eq!(h.passthrough, b"$ tmux -CC\r\n");
    assert!(
        h.windows.is_empty(),
        "nothing applied before the host decides"
    );
    assert!(c.outgoing().is_empty());
    c.accept_control_mode(now, &mut h);
    assert_eq!(h.windows, vec![WindowId(7)]);
    assert!(
        String::from_utf8_lossy(c.outgoing()).contains("display-message -p -- \"#{version}\"\n")
    );
    assert_eq!(h.left, 1);
    assert!(h.passthrough.ends_with(b"after"));
    assert!(!c.is_closed(), "the host's PTY goes on after %exit");
}

#[test]
fn declined_control_mode_passes_everything_through() {
    let now = Instant::now();
    let mut c = Client::new(config());
    let mut h = Rec::default();
    for chunk in STREAM.chunks(3) {
        c.receive(chunk, now, &mut h);
        if h.requested == 1 && c.outgoing().is_empty() {
            c.decline_control_mode(now, &mut h);
        }
    }
    assert_eq!(h.requested, 1);
    assert!(h.windows.is_empty());
    assert!(c.outgoing().is_empty());
    assert_eq!(h.passthrough, STREAM, "declined: every byte passed through");
}

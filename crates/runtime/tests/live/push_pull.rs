//! Push and pull against a real tmux: a client that pulls its frames attaches to a live
//! session while panes print, split and open windows (done through tmux, so that every
//! reply in the stream answers a command the client sent on its own); its pulled frames
//! follow its model and the model ends equal to tmux. Then the exact batches it read are
//! replayed into a pushing and a pulling client with the same configuration, which must
//! deliver the same (see `common/push_pull.rs`).

use std::collections::BTreeSet;
use std::time::Duration;

use muxlink_runtime::{ClientConfig, ClientEvent, FrameDelivery, PaneId};
use muxlink_testkit::TmuxServer;

use crate::push_pull_common::compare;
use crate::support::{have_tmux, Live};

/// Pulls every pane announced since the last call; checks each frame against the model.
fn pull_announced(live: &mut Live, seen: &mut usize) -> usize {
    let mut panes = BTreeSet::new();
    for e in live.host.events.iter().skip(*seen) {
        if let ClientEvent::FrameReady { pane } = e {
            assert!(panes.insert(pane), "{pane} announced twice before a pull");
        }
    }
    *seen = live.host.events.len();
    let mut pulled = 0;
    for pane in panes {
        let model_lines = match live.client.state().pane(pane) {
            Some(p) => p.screen_lines(),
            None => continue, // closed since
        };
        let f = live
            .client
            .pull_frame(pane)
            .expect("an announced pane has an emulator");
        let mut lines = Vec::new();
        for y in 0..f.rows() {
            let mut s = String::new();
            for c in f.row(y).unwrap() {
                f.terminal().push_cell_text(c, &mut s);
            }
            lines.push(s.trim_end_matches(' ').to_string());
        }
        assert_eq!(lines, model_lines, "pulled frame of {pane}");
        pulled += 1;
    }
    pulled
}

#[test]
fn pulled_frames_follow_tmux_and_replay_equal_to_pushed() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with("rc-pull", 80, 24, &["sh"]).unwrap();
    let config = ClientConfig::default()
        .with_size(80, 24)
        .with_frames(FrameDelivery::Pull);
    let mut live = Live::attach(&server, config.clone());
    live.recorded = Some(Vec::new());
    live.ready();
    let mut seen = 0;
    let mut pulled = pull_announced(&mut live, &mut seen);
    let steps: [&[&str]; 4] = [
        &[
            "send-keys",
            "-t",
            "%0",
            "seq 1 300; printf '\\033[1;31mred\\033[0m\\n'",
            "Enter",
        ],
        &[
            "split-window",
            "-h",
            "-t",
            "%0",
            "sh",
            "-c",
            "seq 1 40; exec sleep 1000",
        ],
        &[
            "new-window",
            "-d",
            "sh",
            "-c",
            "printf 'second window\\n'; exec sleep 1000",
        ],
        &["send-keys", "-t", "%0", "clear; echo done", "Enter"],
    ];
    for step in steps {
        server.tmux_ok(step).unwrap();
        live.pump(Duration::from_millis(300));
        pulled += pull_announced(&mut live, &mut seen);
        live.assert_equal_at(&server, &step.join(" "));
        pulled += pull_announced(&mut live, &mut seen);
    }
    assert!(pulled >= 4, "pulled {pulled} frames");
    assert!(live.host.errors.is_empty(), "{:?}", live.host.errors);
    assert!(
        live.client.state().pane(PaneId(1)).is_some(),
        "the split is known"
    );

    let batches = live.recorded.take().unwrap();
    let refs: Vec<&[u8]> = batches.iter().map(Vec::as_slice).collect();
    assert!(refs.len() > 4, "{} batches", refs.len());
    for every in [1, 3] {
        assert!(compare("live session", &refs, &config, every) > 0);
    }
}

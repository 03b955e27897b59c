//! Attaching while a pane prints: output that tmux sent before a pane's capture reply is
//! already in that capture (tmux queues pane output and command replies in one ordered
//! stream), so the client drops it and applies only what follows. Checked on the whole
//! history, where a lost or doubled line would show.

use std::time::Duration;

use crate::support::{have_tmux, Live};
use muxlink_runtime::{ClientConfig, PaneId};
use muxlink_testkit::TmuxServer;

#[test]
fn history_has_every_line_once_when_attaching_mid_output() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-midout",
        60,
        10,
        &["sh", "-c", "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo line $i; [ $((i % 5)) = 0 ] && sleep 0.001; done; echo more 1500; exec sleep 1000"],
    )
    .unwrap();
    server
        .tmux_ok(&["set-option", "-g", "history-limit", "5000"])
        .ok();
    std::thread::sleep(Duration::from_millis(100));
    let mut live = Live::attach(
        &server,
        ClientConfig::default()
            .with_size(60, 10)
            .with_history_limit(5000),
    );
    std::thread::sleep(Duration::from_millis(150));
    live.ready();
    let at_ready = server.tmux_ok(&["capture-pane", "-p", "-t", "%0"]).unwrap();
    let mid = !String::from_utf8_lossy(&at_ready).contains("more 1500");
    eprintln!("attached while the pane was still printing: {mid}");
    assert!(
        mid,
        "the pane finished before attach; the test proves nothing"
    );
    server
        .wait_for(Duration::from_secs(20), |s| {
            let out = s.tmux_ok(&["capture-pane", "-p", "-t", "%0"]).ok()?;
            String::from_utf8_lossy(&out)
                .contains("more 1500")
                .then_some(())
        })
        .unwrap();
    live.pump(Duration::from_millis(500));
    live.assert_equal_at(&server, "screen");
    let theirs = server
        .tmux_ok(&["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "%0"])
        .unwrap();
    let theirs: Vec<String> = String::from_utf8_lossy(&theirs)
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    let pane = live.client.state().pane(PaneId(0)).unwrap();
    let t = pane.terminal().unwrap();
    let ours: Vec<String> = (0..t.history_len() + usize::from(t.rows()))
        .map(|i| {
            let mut s = String::new();
            for c in t.line(i) {
                t.push_cell_text(c, &mut s);
            }
            s.trim_end().to_string()
        })
        .collect();
    let strip = |v: &[String]| {
        let mut v = v.to_vec();
        while v.last().is_some_and(|l| l.is_empty()) {
            v.pop();
        }
        v
    };
    let (ours, theirs) = (strip(&ours), strip(&theirs));
    assert_eq!(ours.len(), theirs.len(), "history length");
    assert_eq!(ours, theirs);
}

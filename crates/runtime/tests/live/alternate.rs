//! Programs on the alternate screen (vim, less): attaching while they run rebuilds both
//! screens, the cursor and modes; live redraws after attach and leaving the program (back to
//! the saved normal screen) stay equal to tmux.

use std::time::Duration;

use crate::support::{have_tmux, Live};
use muxlink_runtime::{ClientConfig, PaneId};
use muxlink_testkit::TmuxServer;

fn cfg() -> ClientConfig {
    ClientConfig::default().with_size(80, 24)
}

fn wait_alt(server: &TmuxServer, pane: &str, on: bool) {
    server
        .wait_for(Duration::from_secs(10), |s| {
            let out = s
                .tmux_ok(&["display-message", "-p", "-t", pane, "#{alternate_on}"])
                .ok()?;
            (String::from_utf8_lossy(&out).trim() == if on { "1" } else { "0" }).then_some(())
        })
        .expect("alternate screen state");
}

#[test]
fn vim_before_and_after_attach() {
    if !have_tmux() || !std::path::Path::new("/usr/bin/vim").exists() {
        eprintln!("vim not installed; skipping");
        return;
    }
    let server = TmuxServer::start_with("rc-vim", 80, 24, &["sh"]).unwrap();
    server
        .tmux_ok(&["send-keys", "-t", "%0", "seq 1 40; cp /etc/passwd /tmp/muxlink-vim-$$.txt; TERM=screen vim -n -u NONE -N -c 'set nu' /tmp/muxlink-vim-$$.txt; rm -f /tmp/muxlink-vim-$$.txt", "Enter"])
        .unwrap();
    wait_alt(&server, "%0", true);
    std::thread::sleep(Duration::from_millis(500));
    let mut live = Live::attach(&server, cfg());
    live.ready();
    let p = live.client.state().pane(PaneId(0)).unwrap();
    assert_eq!(p.alternate(), Some(true));
    live.assert_equal_at(&server, "vim after attach");
    // live redraw inside vim
    live.client.send_input(PaneId(0), b"10Gdd").unwrap();
    live.pump(Duration::from_millis(500));
    live.assert_equal_at(&server, "vim after edit");
    // quit: the saved normal screen (seq output) comes back
    live.client.send_input(PaneId(0), b"\x1b:q!\r").unwrap();
    live.pump(Duration::from_millis(100));
    wait_alt(&server, "%0", false);
    live.pump(Duration::from_millis(500));
    live.assert_equal_at(&server, "after quitting vim");
    let lines = live.client.state().pane(PaneId(0)).unwrap().screen_lines();
    assert!(lines.iter().any(|l| l == "40"), "{lines:?}");
}

#[test]
fn less_before_and_after_attach() {
    if !have_tmux() || !std::path::Path::new("/usr/bin/less").exists() {
        eprintln!("less not installed; skipping");
        return;
    }
    let server = TmuxServer::start_with("rc-less", 80, 24, &["sh"]).unwrap();
    server
        .tmux_ok(&[
            "send-keys",
            "-t",
            "%0",
            "printf 'before less\\n'; seq 1 500 | TERM=screen less",
            "Enter",
        ])
        .unwrap();
    wait_alt(&server, "%0", true);
    std::thread::sleep(Duration::from_millis(300));
    let mut live = Live::attach(&server, cfg());
    live.ready();
    live.assert_equal_at(&server, "less after attach");
    live.client.send_input(PaneId(0), b" ").unwrap();
    live.pump(Duration::from_millis(400));
    live.assert_equal_at(&server, "less next page");
    live.client.send_input(PaneId(0), b"q").unwrap();
    live.pump(Duration::from_millis(100));
    wait_alt(&server, "%0", false);
    live.pump(Duration::from_millis(400));
    live.assert_equal_at(&server, "after less");
}

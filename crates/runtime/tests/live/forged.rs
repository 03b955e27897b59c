//! Pane text that forges replies and notifications (issue 10): a pane prints the exact
//! `%end` lines the client will receive (the counter read from tmux, the seconds around
//! now) and then notifications, while the client syncs it. The fenced captures keep all of
//! it pane text: no rename, no layout, no exit, and the screen equals tmux's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use muxlink_runtime::{ClientConfig, PaneId, WindowId};
use muxlink_testkit::{TempDir, TmuxServer};

use crate::support::{have_tmux, Live};

/// The last `%begin TIME NUMBER 1` a client saw: tmux's command counter, server-wide.
fn last_begin(recorded: &[Vec<u8>]) -> (u64, u64) {
    let all: Vec<u8> = recorded.concat();
    let text = String::from_utf8_lossy(&all);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("%begin ") && l.ends_with(" 1"))
        .expect("a reply to this client");
    let f: Vec<u64> = line
        .split(' ')
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    (f[0], f[1])
}

#[test]
fn pane_text_that_forges_end_lines_and_notifications_stays_text() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with("forged", 80, 24, &["exec sleep 100000"]).unwrap();
    // A first client reads the counter.
    let mut probe = Live::attach(&server, ClientConfig::default().with_size(80, 24));
    probe.recorded = Some(Vec::new());
    probe.ready();
    let (time, number) = last_begin(probe.recorded.as_ref().unwrap());
    drop(probe);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Every `%end` the next client's replies can carry: the seconds from the counter's to
    // a few past now, the numbers the commands of this test and that client will take.
    let mut attack = String::new();
    for t in time..=now + 4 {
        for n in number..number + 400 {
            attack.push_str(&format!("%end {t} {n} 1\n"));
        }
    }
    attack.push_str(
        "%window-renamed @0 pwned\n%session-renamed pwned\n\
         %layout-change @0 0000,65535x65535,0,0,0 0000,65535x65535,0,0,0 *\n\
         %unlinked-window-add @99\n%exit forged\n",
    );
    let dir = TempDir::new("forged").unwrap();
    let file = dir.path().join("attack.txt");
    std::fs::write(&file, &attack).unwrap();
    server
        .tmux_ok(&["set-option", "-g", "history-limit", "20000"])
        .unwrap();
    let cmd = format!("cat '{}'; exec sleep 100000", file.display());
    server
        .tmux_ok(&["new-window", "-d", "-n", "victim", &cmd])
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let cap = server
            .tmux_ok(&["capture-pane", "-p", "-t", "victim"])
            .unwrap();
        if String::from_utf8_lossy(&cap).contains("%exit forged") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pane never printed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut live = Live::attach(&server, ClientConfig::default().with_size(80, 24));
    live.ready();
    live.pump(Duration::from_millis(300));
    assert!(live.host.exited.is_none(), "{:?}", live.host.exited);
    let model = live.client.state();
    for w in model.windows.values() {
        assert_ne!(w.name, b"pwned", "window {} renamed by pane text", w.id);
        assert!(
            w.cols <= 10_000 && w.rows <= 10_000,
            "{}x{}",
            w.cols,
            w.rows
        );
    }
    for s in model.sessions.values() {
        assert_ne!(s.name.as_deref(), Some(&b"pwned"[..]), "session renamed");
    }
    assert!(model.window(WindowId(99)).is_none(), "a forged window");
    // The victim's history holds every line, the last ones on its screen.
    let victim = model
        .windows
        .values()
        .find(|w| w.name == b"victim")
        .expect("the victim window");
    let pane = victim.panes[0];
    let p = model.pane(pane).unwrap();
    assert!(p.synced);
    let screen = p.screen_lines().join("\n");
    assert!(screen.contains("%exit forged"), "{screen}");
    assert!(pane != PaneId(0));
    live.assert_equal(&server);
}

//! After attach, and after each operation, the client's model equals tmux's: windows,
//! layouts, panes, cursors, screens (compared with `list-*` formats and `capture-pane -p`).

use std::time::Duration;

use crate::support::{have_tmux, Live};
use muxlink_runtime::{ClientConfig, ClientEvent, PaneId, SplitDirection, WindowId};
use muxlink_testkit::TmuxServer;

fn cfg(cols: u16, rows: u16) -> ClientConfig {
    ClientConfig::default().with_size(cols, rows)
}

fn pane_ids(live: &Live) -> Vec<PaneId> {
    live.client.state().panes.keys().copied().collect()
}

#[test]
fn attach_equals_tmux_with_history_colours_and_splits() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-attach",
        80,
        24,
        &["sh", "-c", "seq 1 100; printf '\\033[1;31mred\\033[0m plain \\033[44mblue bg\\033[0m\\n'; printf 'a%.0s' $(seq 1 170); echo; exec sleep 1000"],
    )
    .unwrap();
    server
        .tmux_ok(&[
            "split-window",
            "-h",
            "-t",
            "%0",
            "sh",
            "-c",
            "printf 'right pane\\n\\tTab\\n'; printf '\\033[5;10Hmoved'; exec sleep 1000",
        ])
        .unwrap();
    server
        .tmux_ok(&["split-window", "-v", "-t", "%1", "sh", "-c", "printf '\\033]2;my title\\007'; printf 'caf\\303\\251 \\344\\270\\255 x\\n'; exec sleep 1000"])
        .unwrap();
    server
        .tmux_ok(&[
            "new-window",
            "-n",
            "second",
            "sh",
            "-c",
            "echo second; exec sleep 1000",
        ])
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut live = Live::attach(&server, cfg(80, 24));
    live.ready();
    assert_eq!(live.client.state().panes.len(), 4);
    live.assert_equal_at(&server, "step 1");
    // history was captured too
    let p0 = live.client.state().pane(PaneId(0)).unwrap();
    assert!(
        p0.history_len().unwrap() > 50,
        "history {:?}",
        p0.history_len()
    );
    let title = &live.client.state().pane(PaneId(2)).unwrap().title;
    assert_eq!(title.as_deref(), Some(&b"my title"[..]));
    assert!(live.host.errors.is_empty(), "{:?}", live.host.errors);
}

#[test]
fn live_output_and_every_operation_keep_the_model_equal() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with("rc-ops", 80, 24, &["sh"]).unwrap();
    let mut live = Live::attach(&server, cfg(100, 30));
    live.ready();
    live.assert_equal_at(&server, "step 2");
    let p0 = PaneId(0);
    // input, live output
    // short enough not to wrap at any width used below (reflow has its own test)
    live.client
        .send_input(p0, b"echo hello;printf '\\033[32mg\\n'\r")
        .unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state()
            .pane(p0)
            .unwrap()
            .screen_lines()
            .iter()
            .any(|l| l == "hello")
    });
    live.assert_equal_at(&server, "step 3");
    // split both ways
    live.client.split(p0, SplitDirection::Right).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.state().panes.len() == 2);
    live.assert_equal_at(&server, "step 4");
    let p1 = *pane_ids(&live).iter().find(|&&p| p != p0).unwrap();
    live.client.split(p1, SplitDirection::Down).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.state().panes.len() == 3);
    live.assert_equal_at(&server, "step 5");
    live.client.send_input(p1, b"seq 1 60\r").unwrap();
    live.pump(Duration::from_millis(300));
    live.assert_equal_at(&server, "step 6");
    // select pane, zoom, unzoom
    live.client.select_pane(p0).unwrap();
    live.assert_equal_at(&server, "step 7");
    live.client.zoom(p0).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().window(WindowId(0)).unwrap().zoomed
    });
    live.assert_equal_at(&server, "step 8");
    live.client.zoom(p0).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| {
        !c.state().window(WindowId(0)).unwrap().zoomed
    });
    live.assert_equal_at(&server, "step 9");
    // client size
    live.client.set_client_size(90, 20).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().window(WindowId(0)).unwrap().cols == 90
    });
    live.assert_equal_at(&server, "step 10");
    // new window, rename, select, kill
    live.client.new_window(Some("w two")).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.state().windows.len() == 2);
    live.assert_equal_at(&server, "step 11");
    let w1 = *live
        .client
        .state()
        .windows
        .keys()
        .find(|&&w| w != WindowId(0))
        .unwrap();
    live.client
        .rename_window(w1, "re\"named $HOME #{x} ;")
        .unwrap();
    live.pump(Duration::from_millis(200));
    // tmux stores names through stravis, and a command-line client prints them escaped
    // again, both differently by release (3.3a lists `\$HOME`, 3.4 `\\$HOME`, 3.5a
    // `$HOME`): the model holds what tmux holds up to those backslashes, and nothing was
    // expanded (#{x}, $HOME) on the way.
    let listed = server
        .tmux_ok(&[
            "list-windows",
            "-t",
            "main",
            "-F",
            "#{window_id} #{window_name}",
        ])
        .unwrap();
    let listed = String::from_utf8_lossy(&listed).into_owned();
    let stored = listed
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{w1} ")))
        .unwrap_or_else(|| panic!("{w1} not listed: {listed}"));
    let ours = String::from_utf8_lossy(&live.client.state().window(w1).unwrap().name).into_owned();
    let unescaped = |s: &str| s.replace('\\', "");
    assert_eq!(unescaped(&ours), "re\"named $HOME #{x} ;", "{ours:?}");
    assert_eq!(unescaped(stored), unescaped(&ours), "{stored:?} {ours:?}");
    live.assert_equal_at(&server, "step 12");
    live.client.select_window(WindowId(0)).unwrap();
    live.pump(Duration::from_millis(200));
    let s = live.client.state().attached_session.unwrap();
    assert_eq!(
        live.client.state().sessions[&s].active_window,
        Some(WindowId(0))
    );
    live.assert_equal_at(&server, "step 13");
    live.client.kill_pane(p1).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.state().panes.len() == 3);
    live.assert_equal_at(&server, "step 14");
    live.client.kill_window(w1).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.state().windows.len() == 1);
    live.assert_equal_at(&server, "step 15");
    // per-window size (tmux 3.3+; refused, typed, by older ones), then back to following
    // the client size
    match live.client.set_window_size(WindowId(0), 70, 18) {
        Ok(_) => {
            live.pump_until(Duration::from_secs(5), |c, _| {
                c.state()
                    .window(WindowId(0))
                    .is_some_and(|w| (w.cols, w.rows) == (70, 18))
            });
            live.assert_equal_at(&server, "window size");
        }
        Err(e) => assert!(
            muxlink_testkit::tmux_version().is_some_and(|v| v < (3, 3)),
            "{e}"
        ),
    }
    // copy-mode: the pane's mode follows tmux
    let pane = *live.client.state().panes.keys().next().unwrap();
    live.client
        .raw_command(
            &format!("copy-mode -t '{pane}'"),
            Box::new(|r| assert!(r.ok)),
        )
        .unwrap();
    assert!(live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().pane(pane).unwrap().mode.as_deref() == Some("copy-mode")
    }));
    live.client
        .raw_command(
            &format!("send-keys -X -t '{pane}' cancel"),
            Box::new(|r| assert!(r.ok)),
        )
        .unwrap();
    assert!(live.pump_until(Duration::from_secs(5), |c, _| c
        .state()
        .pane(pane)
        .unwrap()
        .mode
        .is_none()));
    let sid = live.client.state().attached_session.unwrap();
    live.client.rename_session(sid, "renamed").unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().sessions[&sid].name.as_deref() == Some(&b"renamed"[..])
    });
    // raw command with a reply callback
    let got = std::sync::Arc::new(std::sync::Mutex::new(None));
    let g = got.clone();
    live.client
        .raw_command(
            "display-message -p 'x#{session_name}y'",
            Box::new(move |r| {
                *g.lock().unwrap() = Some((r.ok, r.body.to_vec()));
            }),
        )
        .unwrap();
    live.pump_until(Duration::from_secs(5), |_, _| got.lock().unwrap().is_some());
    assert_eq!(
        got.lock().unwrap().clone(),
        Some((true, b"xrenamedy".to_vec()))
    );
    assert!(live.host.errors.is_empty(), "{:?}", live.host.errors);
    // detach: %exit, closed, model freed
    live.client.detach().unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.is_closed());
    assert!(live.client.is_closed());
    assert!(live.client.state().panes.is_empty());
    assert!(matches!(
        live.host.exited,
        Some(muxlink_runtime::ExitReason::Exit(_))
    ));
}

#[test]
fn several_sessions_and_switching() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-sess",
        80,
        24,
        &["sh", "-c", "echo in main; exec sleep 1000"],
    )
    .unwrap();
    server
        .tmux_ok(&[
            "new-session",
            "-d",
            "-s",
            "other",
            "-x",
            "60",
            "-y",
            "20",
            "sh",
            "-c",
            "echo in other; exec sleep 1000",
        ])
        .unwrap();
    server
        .tmux_ok(&[
            "split-window",
            "-t",
            "other",
            "sh",
            "-c",
            "echo lower; exec sleep 1000",
        ])
        .unwrap();
    let mut live = Live::attach(&server, cfg(80, 24));
    live.ready();
    assert_eq!(live.client.state().sessions.len(), 2);
    live.assert_equal_at(&server, "step 16");
    let other = *live
        .client
        .state()
        .sessions
        .values()
        .find(|s| s.name.as_deref() == Some(&b"other"[..]))
        .map(|s| &s.id)
        .unwrap();
    live.client.switch_session(other).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().attached_session == Some(other) && c.state().panes.len() == 2
    });
    live.assert_equal_at(&server, "step 17");
}

#[test]
fn twenty_four_panes() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-many",
        200,
        60,
        &["sh", "-c", "echo pane zero; exec sleep 1000"],
    )
    .unwrap();
    for i in 1..24 {
        let cmd = format!("echo pane {i}; seq 1 {}; exec sleep 1000", i * 3);
        server
            .tmux_ok(&["split-window", "-t", "main", "sh", "-c", &cmd])
            .unwrap();
        server
            .tmux_ok(&["select-layout", "-t", "main", "tiled"])
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut live = Live::attach(&server, cfg(200, 60));
    live.ready();
    assert_eq!(live.client.state().panes.len(), 24);
    live.assert_equal_at(&server, "step 18");
}

#[test]
fn tmux_killed_mid_stream_reports_exit() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-kill",
        80,
        24,
        &["sh", "-c", "while :; do echo flood; done"],
    )
    .unwrap();
    let mut live = Live::attach(&server, cfg(80, 24));
    live.ready();
    live.pump(Duration::from_millis(200));
    server.tmux_ok(&["kill-server"]).ok();
    assert!(
        live.pump_until(Duration::from_secs(10), |c, h| c.is_closed()
            && h.exited.is_some())
    );
    assert!(live.client.state().panes.is_empty());
    assert_eq!(
        live.host
            .events
            .iter()
            .filter(|e| matches!(e, ClientEvent::Exited { .. }))
            .count(),
        1,
        "exactly one exit event"
    );
}

/// A pane whose lines wrap differently after a split: tmux reflows them (and pushes rows into
/// history); the emulator must do the same.
#[test]
fn resize_reflow_matches_tmux() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with("rc-reflow", 100, 30, &["sh"]).unwrap();
    let mut live = Live::attach(&server, cfg(100, 30));
    live.ready();
    let p0 = PaneId(0);
    live.client
        .send_input(
            p0,
            b"echo hello from muxlink; printf '\\033[32mgreen\\033[0m\\n'\r",
        )
        .unwrap();
    live.pump(Duration::from_millis(300));
    live.assert_equal_at(&server, "before split");
    live.client.split(p0, SplitDirection::Right).unwrap();
    live.pump_until(Duration::from_secs(5), |c, _| c.state().panes.len() == 2);
    live.assert_equal_at(&server, "after split");
}

/// A pane whose program stopped in the middle of an escape sequence when the client
/// attached: the rest arriving after attach must complete that sequence, not print as text.
#[test]
fn pending_partial_escape_survives_attach() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-partial",
        40,
        6,
        &[
            "sh",
            "-c",
            "printf 'ab\\033[3'; sleep 1.5; printf '1mX\\033[0m end'; exec sleep 1000",
        ],
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut live = Live::attach(&server, cfg(40, 6));
    live.ready();
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().pane(PaneId(0)).unwrap().screen_lines()[0].contains("end")
    });
    assert_eq!(
        live.client.state().pane(PaneId(0)).unwrap().screen_lines()[0],
        "abX end"
    );
    live.assert_equal_at(&server, "after the rest of the sequence");
}

/// The cursor waits after the last column (wrap pending) when the client attaches: the next
/// character printed after attach goes to the next row, as in tmux.
#[test]
fn pending_wrap_survives_attach() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-wrap",
        20,
        5,
        &["sh", "-c", "printf '\\033[1;31mabcdefghijklmnopqrst'; sleep 1.5; printf 'Z\\033[0m'; exec sleep 1000"],
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let cx = server
        .tmux_ok(&["display-message", "-p", "-t", "%0", "#{cursor_x}"])
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&cx).trim(),
        "20",
        "tmux holds a pending wrap"
    );
    let mut live = Live::attach(&server, cfg(20, 5));
    live.ready();
    let c = live
        .client
        .state()
        .pane(PaneId(0))
        .unwrap()
        .cursor()
        .unwrap();
    assert_eq!((c.x, c.y), (20, 0), "pending wrap rebuilt");
    live.pump_until(Duration::from_secs(5), |c, _| {
        c.state().pane(PaneId(0)).unwrap().screen_lines()[1] == "Z"
    });
    let lines = live.client.state().pane(PaneId(0)).unwrap().screen_lines();
    assert_eq!(
        &lines[..2],
        &["abcdefghijklmnopqrst".to_string(), "Z".to_string()]
    );
    live.assert_equal_at(&server, "after the wrap");
}

//! tmux's window indexes in the model: after each operation that numbers windows (an
//! explicit index, `new-window -a`, `move-window`, `swap-window` with and without `-d`,
//! `kill-window` under `renumber-windows`, `move-window -r`), the model's indexes equal
//! `list-windows -F '#{window_id} #{window_index}'`, and the rest of the model equals tmux's.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{have_tmux, Live};
use muxlink_runtime::{Client, ClientConfig, ClientEvent, EventQueue, WindowId};
use muxlink_testkit::TmuxServer;

/// tmux's own numbering of session `main`.
fn tmux_indexes(server: &TmuxServer) -> BTreeMap<WindowId, u32> {
    let out = server
        .tmux_ok(&[
            "list-windows",
            "-t",
            "main",
            "-F",
            "#{window_id} #{window_index}",
        ])
        .unwrap_or_default();
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| {
            let (id, n) = l.split_once(' ')?;
            Some((WindowId::parse(id.as_bytes())?, n.parse().ok()?))
        })
        .collect()
}

/// The model's windows and their indexes; `None` for a window whose index is unknown.
fn model_indexes(client: &Client) -> BTreeMap<WindowId, Option<u32>> {
    client
        .state()
        .windows
        .values()
        .map(|w| (w.id, w.index))
        .collect()
}

fn as_known(m: &BTreeMap<WindowId, u32>) -> BTreeMap<WindowId, Option<u32>> {
    m.iter().map(|(w, n)| (*w, Some(*n))).collect()
}

/// Runs `args` on the server, then pumps until the model's indexes equal tmux's (they may
/// take up to a second where tmux sends no notification and the subscription reports the
/// change), and checks the rest of the model too. Returns the events seen meanwhile.
fn step(live: &mut Live, server: &TmuxServer, args: &[&str]) -> EventQueue {
    let label = args.join(" ");
    let before = live.host.events.len();
    server.tmux_ok(args).unwrap();
    let want = tmux_indexes(server);
    let ok = live.pump_until(Duration::from_secs(10), |c, _| {
        model_indexes(c) == as_known(&want)
    });
    assert!(
        ok,
        "[{label}] model indexes {:?} != tmux {want:?}\nerrors: {:?}",
        model_indexes(&live.client),
        live.host.errors
    );
    live.assert_equal_at(server, &label);
    // tmux did not renumber again behind the test's back.
    assert_eq!(tmux_indexes(server), want, "[{label}]");
    assert!(
        live.host.errors.is_empty(),
        "[{label}] {:?}",
        live.host.errors
    );
    let mut seen = EventQueue::new();
    for e in live.host.events.iter().skip(before) {
        seen.push(&e);
    }
    seen
}

fn has(events: &EventQueue, pred: impl Fn(&ClientEvent<'_>) -> bool) -> bool {
    events.iter().any(|e| pred(&e))
}

#[test]
fn window_indexes_follow_every_renumbering() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start("winidx", 80, 24).unwrap();
    let mut live = Live::attach(&server, ClientConfig::default());
    live.ready();
    assert_eq!(
        model_indexes(&live.client),
        BTreeMap::from([(WindowId(0), Some(0))]),
        "the handshake's listing gives the index"
    );

    // An explicit index leaves a gap.
    let ev = step(&mut live, &server, &["new-window", "-d", "-t", ":7"]);
    assert!(
        has(&ev, |e| e
            == &ClientEvent::WindowAdded {
                window: WindowId(1)
            }),
        "{ev:?}"
    );
    assert!(
        has(&ev, |e| e == &ClientEvent::WindowIndexesChanged),
        "{ev:?}"
    );
    assert_eq!(
        live.client.state().window(WindowId(1)).unwrap().index,
        Some(7)
    );

    // `new-window -a` shifts the windows after it.
    let ev = step(&mut live, &server, &["new-window", "-d", "-a", "-t", ":0"]);
    assert!(
        has(&ev, |e| e
            == &ClientEvent::WindowAdded {
                window: WindowId(2)
            }),
        "{ev:?}"
    );
    assert_eq!(
        live.client.state().window(WindowId(2)).unwrap().index,
        Some(1)
    );

    // tmux 3.3a reports a move as `%window-add` and `%window-close` of a window that stays:
    // the window and its panes must not be closed and reopened.
    let ev = step(&mut live, &server, &["move-window", "-s", ":7", "-t", ":9"]);
    assert!(
        !has(&ev, |e| matches!(e, ClientEvent::WindowClosed { .. })),
        "a move closes nothing: {ev:?}"
    );
    assert!(
        !has(&ev, |e| matches!(e, ClientEvent::PaneClosed { .. })),
        "a move closes nothing: {ev:?}"
    );
    assert_eq!(
        live.client.state().window(WindowId(1)).unwrap().index,
        Some(9)
    );
    let ev = step(
        &mut live,
        &server,
        &["move-window", "-d", "-s", ":0", "-t", ":4"],
    );
    assert!(
        !has(&ev, |e| matches!(e, ClientEvent::WindowClosed { .. })),
        "a move closes nothing: {ev:?}"
    );
    assert_eq!(
        live.client.state().window(WindowId(0)).unwrap().index,
        Some(4)
    );

    // A plain swap-window sends no notification at all in tmux 3.3a (the subscription
    // reports it); with -d it sends `%session-window-changed`.
    let ev = step(&mut live, &server, &["swap-window", "-s", ":4", "-t", ":9"]);
    assert!(
        has(&ev, |e| e == &ClientEvent::WindowIndexesChanged),
        "{ev:?}"
    );
    assert_eq!(
        as_known(&tmux_indexes(&server)),
        model_indexes(&live.client)
    );
    assert_eq!(
        live.client.state().window(WindowId(0)).unwrap().index,
        Some(9)
    );
    step(
        &mut live,
        &server,
        &["swap-window", "-d", "-s", ":1", "-t", ":9"],
    );
    assert_eq!(
        live.client.state().window(WindowId(0)).unwrap().index,
        Some(1)
    );

    // kill-window under renumber-windows closes the gap.
    server
        .tmux_ok(&["set-option", "-g", "renumber-windows", "on"])
        .unwrap();
    let before = tmux_indexes(&server);
    assert_eq!(before.len(), 3, "{before:?}");
    let ev = step(&mut live, &server, &["kill-window", "-t", ":1"]);
    assert!(
        has(&ev, |e| e
            == &ClientEvent::WindowClosed {
                window: WindowId(0)
            }),
        "{ev:?}"
    );
    let after: Vec<u32> = tmux_indexes(&server).values().copied().collect();
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|n| *n < 2), "renumbered: {after:?}");

    // move-window -r renumbers silently too.
    server
        .tmux_ok(&["set-option", "-g", "renumber-windows", "off"])
        .unwrap();
    step(
        &mut live,
        &server,
        &["move-window", "-d", "-s", ":1", "-t", ":6"],
    );
    step(&mut live, &server, &["move-window", "-r"]);
    let mut idx: Vec<u32> = tmux_indexes(&server).values().copied().collect();
    idx.sort_unstable();
    assert_eq!(idx, [0, 1]);
}

#[test]
fn window_indexes_of_a_read_only_observer() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start("winidx-ro", 80, 24).unwrap();
    server.tmux_ok(&["new-window", "-d", "-t", ":5"]).unwrap();
    let mut live = Live::attach(&server, ClientConfig::default().with_read_only(true));
    live.ready();
    assert_eq!(
        model_indexes(&live.client),
        as_known(&tmux_indexes(&server))
    );
    // Silent renumbering reaches an observer as well (the subscription is not refused).
    step(&mut live, &server, &["swap-window", "-s", ":0", "-t", ":5"]);
    assert_eq!(
        live.client.state().window(WindowId(1)).unwrap().index,
        Some(0)
    );
}

//! Every command builder against real tmux 3.3a: tmux accepts the line (`%end`, flags 1)
//! and the intended effect is visible afterwards.

#[path = "commands_client.rs"]
mod client;

use std::time::Duration;

use client::ControlClient;
use muxlink_proto::command::{
    self, CaptureBound, CapturePane, ClientFlag, NewWindow, PaneOutputState, PaneScope, Resize,
    SplitDirection, SplitSize, SplitWindow, SubscriptionTarget, Target, WindowScope,
};
use muxlink_proto::layout::Layout;
use muxlink_proto::{PaneId, SessionId, WindowId};
use muxlink_testkit::{tmux_available, TempDir, TmuxServer};

fn one(c: &mut ControlClient, cmd: command::Command) -> Vec<u8> {
    let mut body = c.ok(cmd.as_bytes());
    assert_eq!(body.len(), 1, "{cmd}: one line expected, got {body:?}");
    body.remove(0)
}

fn fmt(c: &mut ControlClient, target: Target, f: &str) -> String {
    let b = one(
        c,
        command::display_message(Some(target), f.as_bytes()).unwrap(),
    );
    String::from_utf8(b).unwrap()
}

fn start(tag: &str, shell: &[&str]) -> Option<(TmuxServer, ControlClient)> {
    if !tmux_available() {
        eprintln!("tmux not installed; .ci/run installs it");
        return None;
    }
    let server = TmuxServer::start_with(tag, 80, 24, shell).expect("tmux server");
    let client = ControlClient::attach(&server);
    Some((server, client))
}

#[test]
fn windows_panes_and_layouts() {
    let Some((_server, mut c)) = start("cmds", &[]) else {
        return;
    };
    let s =
        SessionId::parse(fmt(&mut c, Target::Pane(PaneId(0)), "#{session_id}").as_bytes()).unwrap();
    let w0 = WindowId(0);
    let p0 = PaneId(0);

    // split-window with sizes; the reply prints the new pane id.
    let p1 = PaneId::parse(&one(
        &mut c,
        SplitWindow {
            size: Some(SplitSize::Cells(30)),
            detached: true,
            print_format: Some(b"#{pane_id}"),
            ..SplitWindow::new(p0, SplitDirection::Horizontal)
        }
        .build()
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(fmt(&mut c, Target::Pane(p1), "#{pane_width}"), "30");
    let p2 = PaneId::parse(&one(
        &mut c,
        SplitWindow {
            size: Some(SplitSize::Percent(25)),
            before: true,
            print_format: Some(b"#{pane_id}"),
            ..SplitWindow::new(p1, SplitDirection::Vertical)
        }
        .build()
        .unwrap(),
    ))
    .unwrap();
    // Not detached: the new pane is active.
    assert_eq!(
        fmt(&mut c, Target::Window(w0), "#{pane_id}"),
        p2.to_string()
    );

    // list-panes and the layout agree.
    let panes = c.ok(command::list_panes(
        PaneScope::Window(w0),
        b"#{pane_id} #{pane_width}x#{pane_height},#{pane_left},#{pane_top}",
    )
    .unwrap()
    .as_bytes());
    assert_eq!(panes.len(), 3);
    let layout = fmt(&mut c, Target::Window(w0), "#{window_layout}");
    let l = Layout::parse(layout.as_bytes()).unwrap();
    for line in &panes {
        let line = std::str::from_utf8(line).unwrap();
        let (id, geo) = line.split_once(' ').unwrap();
        let n = l.find_pane(PaneId::parse(id.as_bytes()).unwrap()).unwrap();
        assert_eq!(format!("{}x{},{},{}", n.cols, n.rows, n.x, n.y), geo);
    }
    // -b put p2 above p1: same column, smaller y.
    let (n1, n2) = (l.find_pane(p1).unwrap(), l.find_pane(p2).unwrap());
    assert!(n2.y < n1.y && n2.x == n1.x);

    // select-pane, resize-pane (absolute, relative, zoom).
    c.ok(command::select_pane(p0).as_bytes());
    assert_eq!(fmt(&mut c, Target::Pane(p0), "#{pane_active}"), "1");
    c.ok(command::resize_pane(
        p0,
        Resize::To {
            cols: Some(40),
            rows: None,
        },
    )
    .unwrap()
    .as_bytes());
    assert_eq!(fmt(&mut c, Target::Pane(p0), "#{pane_width}"), "40");
    c.ok(command::resize_pane(p0, Resize::Right(3))
        .unwrap()
        .as_bytes());
    assert_eq!(fmt(&mut c, Target::Pane(p0), "#{pane_width}"), "43");
    c.ok(command::resize_pane(p0, Resize::ToggleZoom)
        .unwrap()
        .as_bytes());
    assert_eq!(
        fmt(&mut c, Target::Window(w0), "#{window_zoomed_flag}"),
        "1"
    );
    let visible = fmt(&mut c, Target::Window(w0), "#{window_visible_layout}");
    let v = Layout::parse(visible.as_bytes()).unwrap();
    assert_eq!(v.panes().len(), 1);
    assert_eq!(v.root.pane_id(), Some(p0));
    c.ok(command::resize_pane(p0, Resize::ToggleZoom)
        .unwrap()
        .as_bytes());
    assert_eq!(
        fmt(&mut c, Target::Window(w0), "#{window_zoomed_flag}"),
        "0"
    );

    // new-window in the session and after a window; select-window; kill-window.
    let w1 = WindowId::parse(&one(
        &mut c,
        NewWindow {
            session: Some(s),
            name: Some(b"second"),
            detached: true,
            print_format: Some(b"#{window_id}"),
            ..NewWindow::new()
        }
        .build()
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(fmt(&mut c, Target::Window(w1), "#{window_name}"), "second");
    assert_eq!(fmt(&mut c, Target::Window(w0), "#{window_active}"), "1");
    let w2 = WindowId::parse(&one(
        &mut c,
        NewWindow {
            after: Some(w0),
            detached: true,
            print_format: Some(b"#{window_id}"),
            ..NewWindow::new()
        }
        .build()
        .unwrap(),
    ))
    .unwrap();
    let order = c.ok(
        command::list_windows(WindowScope::Session(s), b"#{window_id}")
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(
        order,
        [w0.to_string(), w2.to_string(), w1.to_string()].map(String::into_bytes)
    );
    c.ok(command::select_window(w1).as_bytes());
    assert_eq!(fmt(&mut c, Target::Window(w1), "#{window_active}"), "1");
    c.ok(command::kill_window(w2).as_bytes());
    c.ok(command::kill_pane(p2).as_bytes());
    let all = c.ok(command::list_panes(PaneScope::Session(s), b"#{pane_id}")
        .unwrap()
        .as_bytes());
    assert_eq!(all.len(), 3, "p0, p1 and the pane of w1: {all:?}");
    let all = c.ok(command::list_panes(PaneScope::All, b"#{pane_id}")
        .unwrap()
        .as_bytes());
    assert_eq!(all.len(), 3);
    let windows = c.ok(command::list_windows(WindowScope::All, b"#{window_id}")
        .unwrap()
        .as_bytes());
    assert_eq!(windows.len(), 2);

    // A command tmux refuses is an %error block, not a hang.
    assert!(!c.send(command::select_pane(PaneId(999)).as_bytes()).ok);
}

#[test]
fn client_size_flags_and_subscriptions() {
    let Some((_server, mut c)) = start("client", &[]) else {
        return;
    };
    let p0 = PaneId(0);
    c.ok(command::refresh_client_size(100, 30).as_bytes());
    // (tmux 3.3a leaves #{client_height} empty for control clients; the window follows.)
    let size = |c: &mut ControlClient| {
        fmt(
            c,
            Target::Window(WindowId(0)),
            "#{window_width}x#{window_height}",
        )
    };
    assert_eq!(size(&mut c), "100x30");
    c.ok(command::refresh_client_window_size(WindowId(0), 90, 20).as_bytes());
    assert_eq!(size(&mut c), "90x20");

    c.ok(
        command::refresh_client_flags(&[ClientFlag::PauseAfter(3), ClientFlag::IgnoreSize], &[])
            .unwrap()
            .as_bytes(),
    );
    let flags = String::from_utf8(one(
        &mut c,
        command::display_message(None, b"#{client_flags}").unwrap(),
    ))
    .unwrap();
    assert!(flags.contains("pause-after=3"), "{flags}");
    assert!(flags.contains("ignore-size"), "{flags}");
    c.ok(
        command::refresh_client_flags(&[], &[ClientFlag::PauseAfter(0), ClientFlag::IgnoreSize])
            .unwrap()
            .as_bytes(),
    );
    let flags = String::from_utf8(one(
        &mut c,
        command::display_message(None, b"#{client_flags}").unwrap(),
    ))
    .unwrap();
    assert!(
        !flags.contains("pause-after") && !flags.contains("ignore-size"),
        "{flags}"
    );

    // Pause and continue a pane by hand: tmux confirms with %pause / %continue.
    c.ok(
        command::refresh_client_flags(&[ClientFlag::PauseAfter(5)], &[])
            .unwrap()
            .as_bytes(),
    );
    // tmux 3.3a writes these notifications inside the command's own %begin/%end block.
    let body = c.ok(command::refresh_client_pane(p0, PaneOutputState::Pause).as_bytes());
    assert!(
        body.iter().any(|l| l == b"%pause %0")
            || c.wait_notification(Duration::from_secs(5), |l| l == b"%pause %0")
                .is_some()
    );
    let body = c.ok(command::refresh_client_pane(p0, PaneOutputState::Continue).as_bytes());
    assert!(
        body.iter().any(|l| l == b"%continue %0")
            || c.wait_notification(Duration::from_secs(5), |l| l == b"%continue %0")
                .is_some()
    );
    c.ok(command::refresh_client_pane(p0, PaneOutputState::Off).as_bytes());
    c.ok(command::refresh_client_pane(p0, PaneOutputState::On).as_bytes());

    // A subscription reports its value (tmux checks subscriptions once a second).
    c.ok(command::subscribe(
        b"mlsub",
        SubscriptionTarget::Pane(p0),
        b"#{pane_id}:#{pane_width}",
    )
    .unwrap()
    .as_bytes());
    let n = c
        .wait_notification(Duration::from_secs(5), |l| {
            l.starts_with(b"%subscription-changed mlsub ")
        })
        .expect("subscription notification");
    assert!(n.ends_with(b" : %0:90"), "{}", String::from_utf8_lossy(&n));
    c.ok(command::unsubscribe(b"mlsub").unwrap().as_bytes());
    c.ok(
        command::subscribe(b"all", SubscriptionTarget::AllPanes, b"#{pane_id}")
            .unwrap()
            .as_bytes(),
    );
    c.ok(
        command::subscribe(b"wins", SubscriptionTarget::AllWindows, b"#{window_id}")
            .unwrap()
            .as_bytes(),
    );
    c.ok(
        command::subscribe(b"sess", SubscriptionTarget::Session, b"#{session_id}")
            .unwrap()
            .as_bytes(),
    );
    c.ok(command::subscribe(
        b"w0",
        SubscriptionTarget::Window(WindowId(0)),
        b"#{window_id}",
    )
    .unwrap()
    .as_bytes());

    // raw: the user's own text, one block per command of a list.
    assert_eq!(
        c.ok(command::raw(b"display-message -p raw-ok")
            .unwrap()
            .as_bytes()),
        [b"raw-ok".to_vec()]
    );
}

#[test]
fn send_keys_and_capture() {
    let dir = TempDir::new("keys").unwrap();
    let out = dir.path().join("typed");
    // A raw tty: every byte the pane receives reaches `cat` unchanged.
    let shell = format!("stty raw -echo; cat > {}", out.display());
    let Some((server, mut c)) = start("keys", &["sh", "-c", &shell]) else {
        return;
    };
    let p0 = PaneId(0);
    // Wait for stty to have run (cat has created the file).
    server
        .wait_for(Duration::from_secs(10), |_| out.exists().then_some(()))
        .unwrap();
    // Every byte value, many times over: many chunked send-keys lines.
    let typed: Vec<u8> = (0..6000u32).map(|i| (i * 7 % 256) as u8).collect();
    let mut n = 0;
    for cmd in command::send_keys_hex_chunks(p0, &typed, 512).unwrap() {
        assert!(cmd.as_bytes().len() <= 512);
        c.ok(cmd.as_bytes());
        n += 1;
    }
    assert!(n > 30);
    server
        .wait_for(Duration::from_secs(10), |_| {
            (std::fs::read(&out).ok()?.len() >= typed.len()).then_some(())
        })
        .ok();
    let got = std::fs::read(&out).unwrap();
    assert_eq!(got.len(), typed.len());
    assert!(
        got == typed,
        "first difference at {:?}",
        got.iter().zip(&typed).position(|(a, b)| a != b)
    );

    // capture-pane variants are accepted; the plain one shows the screen rows.
    let rows = c.ok(CapturePane::new(p0).build().as_bytes());
    assert_eq!(rows.len(), 24);
    let rows = c.ok(CapturePane::restore(p0, 2000).build().as_bytes());
    assert!(rows.len() >= 24);
    c.ok(CapturePane {
        alternate: true,
        quiet: true,
        ..CapturePane::new(p0)
    }
    .build()
    .as_bytes());
    c.ok(CapturePane {
        pending: true,
        octal: true,
        ..CapturePane::new(p0)
    }
    .build()
    .as_bytes());
    let rows = c.ok(CapturePane {
        start: Some(CaptureBound::Edge),
        end: Some(CaptureBound::Line(2)),
        ..CapturePane::new(p0)
    }
    .build()
    .as_bytes());
    assert_eq!(rows.len(), 3);
}

#[test]
fn switch_and_detach() {
    let Some((server, mut c)) = start("switch", &[]) else {
        return;
    };
    server
        .tmux_ok(&["new-session", "-d", "-s", "other"])
        .unwrap();
    let other = SessionId::parse(
        server
            .tmux_ok(&["display-message", "-p", "-t", "other", "#{session_id}"])
            .unwrap()
            .trim_ascii(),
    )
    .unwrap();
    c.ok(command::switch_client(other).as_bytes());
    let now = one(
        &mut c,
        command::display_message(None, b"#{session_id}").unwrap(),
    );
    assert_eq!(now, other.to_string().into_bytes());
    assert!(c
        .wait_notification(Duration::from_secs(5), |l| l
            .starts_with(format!("%session-changed {other} other").as_bytes()))
        .is_some());
    let sessions = c.ok(command::list_sessions(b"#{session_name}")
        .unwrap()
        .as_bytes());
    assert_eq!(sessions.len(), 2);

    c.ok(command::detach_client().as_bytes());
    let rest = c.finish();
    assert!(rest.iter().any(|l| l.starts_with(b"%exit")), "{rest:?}");
}

//! Bytes mode (the host's own emulator gets a rebuild sequence and then the pane's bytes)
//! and read-only observers (ignore-size: no size change, nothing typed).

use std::time::Duration;

use crate::support::{have_tmux, tmux_screen, Live};
use muxlink_runtime::{ClientConfig, ClientError, OutputMode, PaneId};
use muxlink_term::Terminal;
use muxlink_testkit::TmuxServer;

fn screen_of(t: &Terminal) -> Vec<String> {
    let h = t.history_len();
    let mut v: Vec<String> = (0..t.rows())
        .map(|y| {
            let mut s = String::new();
            for c in t.line(h + usize::from(y)) {
                t.push_cell_text(c, &mut s);
            }
            s.trim_end().to_string()
        })
        .collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn trimmed(mut v: Vec<String>) -> Vec<String> {
    for l in v.iter_mut() {
        *l = l.trim_end().to_string();
    }
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

#[test]
fn bytes_mode_rebuild_then_live_bytes_equal_tmux() {
    if !have_tmux() {
        return;
    }
    let server = TmuxServer::start_with(
        "rc-bytes",
        80,
        24,
        &[
            "sh",
            "-c",
            "seq 1 50; printf '\\033[?1h\\033[1;33mbold\\033[0m\\033[5;3r'; exec sh",
        ],
    )
    .unwrap();
    server
        .tmux_ok(&["split-window", "-h", "sh", "-c", "printf 'x\\n'; exec sh"])
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut live = Live::attach(
        &server,
        ClientConfig::default().with_output_mode(OutputMode::Bytes),
    );
    live.ready();
    assert_eq!(live.host.resets.len(), 2, "one rebuild per pane");
    live.client
        .send_input(PaneId(1), b"echo live bytes\r")
        .unwrap();
    live.pump(Duration::from_millis(400));
    for (pane, cols, rows, rebuild) in live.host.resets.clone() {
        let mut t = Terminal::new(cols, rows);
        t.feed(&rebuild);
        t.feed(
            live.host
                .pane_bytes
                .get(&pane)
                .map(Vec::as_slice)
                .unwrap_or(b""),
        );
        assert_eq!(screen_of(&t), trimmed(tmux_screen(&server, pane)), "{pane}");
        let formats = server
            .tmux_ok(&[
                "display-message",
                "-p",
                "-t",
                &pane.to_string(),
                "#{cursor_x} #{cursor_y} #{history_size} #{keypad_cursor_flag}",
            ])
            .unwrap();
        let c = t.cursor();
        let ours = format!(
            "{} {} {} {}",
            c.x,
            c.y,
            t.history_len(),
            u8::from(t.modes().contains(muxlink_term::Modes::APP_CURSOR))
        );
        assert_eq!(
            ours,
            String::from_utf8_lossy(&formats).trim(),
            "{pane} cursor/history/modes"
        );
        // grid mode holds no emulator in bytes mode
        assert!(live.client.state().pane(pane).unwrap().terminal().is_none());
    }
}

#[test]
fn read_only_observer_changes_nothing() {
    if !have_tmux() {
        return;
    }
    let server =
        TmuxServer::start_with("rc-ro", 91, 27, &["sh", "-c", "echo observed; exec sh"]).unwrap();
    server.tmux_ok(&["split-window", "-v"]).unwrap();
    let before = server
        .tmux_ok(&["list-windows", "-a", "-F", "#{window_layout}"])
        .unwrap();
    let mut live = Live::attach_args(
        &server,
        ClientConfig::default()
            .with_size(40, 10)
            .with_read_only(true),
        &["-C", "attach", "-r", "-t", "main"],
    );
    live.ready();
    live.assert_equal_at(&server, "observer");
    assert_eq!(
        live.client.send_input(PaneId(0), b"x"),
        Err(ClientError::ReadOnly)
    );
    assert_eq!(
        live.client.set_client_size(50, 20),
        Err(ClientError::ReadOnly)
    );
    assert!(!String::from_utf8_lossy(live.client.outgoing()).contains("send-keys"));
    live.pump(Duration::from_millis(300));
    let after = server
        .tmux_ok(&["list-windows", "-a", "-F", "#{window_layout}"])
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&before),
        String::from_utf8_lossy(&after)
    );
    live.client.detach().unwrap();
    assert!(live.pump_until(Duration::from_secs(5), |c, _| c.is_closed()));
    let after = server
        .tmux_ok(&["list-windows", "-a", "-F", "#{window_layout}"])
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&before),
        String::from_utf8_lossy(&after)
    );
}

//! The sans-I/O core on virtual time: frame timer, old-tmux degrade, reply matching, exit.

use std::time::{Duration, Instant};

use muxlink_runtime::{
    Client, ClientConfig, ClientError, ClientEvent, CommandId, ExitReason, Frame, Host, PaneId,
    WindowId,
};

use super::Rec;

const LAYOUT: &[u8] = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n";

/// A client that only decodes (no handshake), as the tests here feed it by hand.
fn bare_client() -> Client {
    Client::new(ClientConfig::default().with_handshake(false))
}

#[test]
fn frame_interval_holds_frames_until_the_timer() {
    let t0 = Instant::now();
    let mut c = Client::new(
        ClientConfig::default()
            .with_handshake(false)
            .with_frame_interval(Some(Duration::from_millis(16))),
    );
    let mut h = Rec::default();
    c.receive(LAYOUT, t0, &mut h);
    c.receive(b"%output %0 hello\n", t0, &mut h);
    c.flush_frames(t0, &mut h);
    assert_eq!(h.frames.len(), 1);
    assert!(h.frames[0].2, "first frame of a pane is full");
    assert_eq!(c.poll_timeout(), None, "nothing pending");
    let t1 = t0 + Duration::from_millis(2);
    c.receive(b"%output %0 \\015\\012second line\n", t1, &mut h);
    c.flush_frames(t1, &mut h);
    assert_eq!(h.frames.len(), 1, "held: interval not over");
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(16)));
    c.on_timeout(t0 + Duration::from_millis(16), &mut h);
    assert_eq!(h.frames.len(), 2);
    let (pane, rows, full) = &h.frames[1];
    assert_eq!(*pane, PaneId(0));
    assert!(!full);
    assert_eq!(rows, &vec![1], "only the rows that changed");
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn old_tmux_is_reported_degraded() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default());
    let mut h = Rec::default();
    let sent = String::from_utf8_lossy(c.outgoing()).into_owned();
    assert!(
        sent.starts_with("display-message -p -- \"#{version}\"\n"),
        "{sent}"
    );
    c.consume_outgoing(c.outgoing().len());
    c.receive(
        b"%begin 1 10 0\n%end 1 10 0\n%begin 1 11 1\n3.1c\n%end 1 11 1\n",
        t0,
        &mut h,
    );
    assert_eq!(
        h.count(|e| matches!(
            e,
            ClientEvent::Degraded {
                version: "3.1c",
                ..
            }
        )),
        1,
        "{:?}",
        h.events
    );
    assert_eq!(c.state().version.as_deref(), Some("3.1c"));
}

#[test]
fn replies_match_in_order_and_strays_are_reported() {
    let t0 = Instant::now();
    let mut c = bare_client();
    let mut h = Rec::default();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for i in 0..3 {
        let g = got.clone();
        c.raw_command(
            &format!("display-message -p {i}"),
            Box::new(move |r| g.lock().unwrap().push((i, r.ok, r.body.to_vec()))),
        )
        .unwrap();
    }
    assert!(matches!(
        c.raw_command("a\nb", Box::new(|_| {})),
        Err(ClientError::InvalidCommand(_))
    ));
    c.receive(
        b"%begin 1 1 1\nzero\n%end 1 1 1\n%begin 1 2 1\nbad\n%error 1 2 1\n%begin 1 3 1\n%end 1 3 1\n%begin 1 4 1\n%end 1 4 1\n",
        t0,
        &mut h,
    );
    assert_eq!(
        *got.lock().unwrap(),
        vec![
            (0, true, b"zero".to_vec()),
            (1, false, b"bad".to_vec()),
            (2, true, vec![])
        ]
    );
    assert!(
        h.saw(ClientEvent::UnmatchedReply { number: 4 }),
        "{:?}",
        h.events
    );
}

/// Typed operations report their outcome with the id they returned; a raw command sent
/// without a callback gets its reply as an event.
#[test]
fn operations_report_success_and_failure_by_id() {
    let t0 = Instant::now();
    let mut c = bare_client();
    let mut h = Rec::default();
    c.receive(LAYOUT, t0, &mut h);
    let a = c.select_pane(PaneId(0)).unwrap();
    let b = c.kill_window(WindowId(0)).unwrap();
    let r = c.send_command("display-message -p hi").unwrap();
    assert!(a < b && b < r, "{a} {b} {r}");
    c.receive(
        b"%begin 1 1 1\n%end 1 1 1\n%begin 1 2 1\ncan't find window: @0\n%error 1 2 1\n\
          %begin 1 3 1\nhi\n%end 1 3 1\n",
        t0,
        &mut h,
    );
    assert!(
        h.saw(ClientEvent::CommandSucceeded { id: a }),
        "{:?}",
        h.events
    );
    assert!(h.saw(ClientEvent::CommandFailed {
        id: b,
        message: b"can't find window: @0"
    }));
    assert!(h.saw(ClientEvent::CommandReply {
        id: r,
        ok: true,
        body: b"hi"
    }));
    assert_eq!(
        h.count(|e| matches!(
            e,
            ClientEvent::CommandSucceeded { .. } | ClientEvent::CommandFailed { .. }
        )),
        2,
        "one outcome per operation"
    );
    // Input in several lines: consecutive ids, the last one returned.
    let long = vec![b'x'; 5000];
    let last = c.send_input(PaneId(0), &long).unwrap().unwrap();
    assert_eq!(
        last,
        CommandId(r.0 + 5),
        "at most 1024 key bytes per send-keys line: five lines"
    );
    assert_eq!(c.send_input(PaneId(0), b""), Ok(None), "nothing to send");
}

#[test]
fn exit_frees_everything_once() {
    let t0 = Instant::now();
    let mut c = bare_client();
    let mut h = Rec::default();
    c.receive(LAYOUT, t0, &mut h);
    c.receive(b"%output %0 x\n", t0, &mut h);
    assert_eq!(c.state().panes.len(), 1);
    c.receive(b"%exit server exited\n", t0, &mut h);
    assert!(c.is_closed());
    assert!(c.state().panes.is_empty() && c.state().windows.is_empty());
    c.on_eof(ExitReason::Eof, &mut h);
    assert_eq!(h.count(|e| matches!(e, ClientEvent::Exited { .. })), 1);
    assert!(h.saw(ClientEvent::Exited {
        reason: &ExitReason::Exit(Some("server exited".into()))
    }));
    assert_eq!(c.send_input(PaneId(0), b"x"), Err(ClientError::Closed));
    c.receive(b"%output %0 ignored\n", t0, &mut h);
    assert!(c.state().panes.is_empty());
}

/// A frame (its pane and first row's text) or an exit, in the order the host saw them.
#[derive(Debug, PartialEq)]
enum Seen {
    Frame(PaneId, String),
    Exit(ExitReason),
}

fn frame(pane: u32, text: &str) -> Seen {
    Seen::Frame(PaneId(pane), text.into())
}

#[derive(Default)]
struct Log(Vec<Seen>);

impl Host for Log {
    fn on_frame(&mut self, f: &Frame<'_>) {
        let mut text = String::new();
        for cell in f.row(0).unwrap() {
            f.terminal().push_cell_text(cell, &mut text);
        }
        self.0
            .push(Seen::Frame(f.pane(), text.trim_end().to_string()));
    }
    fn on_event(&mut self, e: &ClientEvent<'_>) {
        if let ClientEvent::Exited { reason } = e {
            self.0.push(Seen::Exit((*reason).clone()));
        }
    }
}

/// A frame the interval still holds when the stream ends is the pane's last state: it is
/// delivered, before the exit, whether tmux said `%exit` or the transport just ended.
#[test]
fn held_frames_are_delivered_before_the_exit() {
    for end in ["%exit", "eof"] {
        let t0 = Instant::now();
        let mut c = Client::new(
            ClientConfig::default()
                .with_handshake(false)
                .with_frame_interval(Some(Duration::from_secs(1))),
        );
        let mut h = Log::default();
        c.receive(LAYOUT, t0, &mut h);
        c.receive(b"%output %0 first\n", t0, &mut h);
        c.flush_frames(t0, &mut h);
        let t1 = t0 + Duration::from_millis(5);
        c.receive(b"%output %0 \\015final\n", t1, &mut h);
        c.flush_frames(t1, &mut h);
        assert_eq!(h.0, [frame(0, "first")], "{end}: held by the interval");
        match end {
            "%exit" => c.receive(b"%exit\n", t1, &mut h),
            _ => c.on_eof(ExitReason::Eof, &mut h),
        }
        let reason = if end == "eof" {
            ExitReason::Eof
        } else {
            ExitReason::Exit(None)
        };
        assert_eq!(
            h.0,
            [frame(0, "first"), frame(0, "final"), Seen::Exit(reason)],
            "{end}"
        );
    }
}

/// Output in the same read as `%exit` reaches the host as a frame even without an interval
/// (the exit comes before the read's `flush_frames`).
#[test]
fn output_just_before_exit_is_framed() {
    let t0 = Instant::now();
    let mut c = bare_client();
    let mut h = Log::default();
    c.receive(LAYOUT, t0, &mut h);
    c.receive(b"%output %0 bye\n%exit detached\n", t0, &mut h);
    c.flush_frames(t0, &mut h);
    assert_eq!(
        h.0,
        [
            frame(0, "bye"),
            Seen::Exit(ExitReason::Exit(Some("detached".into())))
        ]
    );
}

/// tmux answers a startup command it refuses (`attach-session` with no sessions) with an
/// `%error` block not flagged as this client's, then a bare `%exit`: the exit event carries
/// tmux's message. After a startup command that worked, a bare `%exit` stays reasonless.
#[test]
fn refused_startup_command_gives_tmux_message() {
    let t0 = Instant::now();
    let mut c = Client::new(ClientConfig::default());
    let mut h = Rec::default();
    c.receive(
        b"%begin 1796583699 260 0\ncan't find session: nosuch\n%error 1796583699 260 0\n%exit\n",
        t0,
        &mut h,
    );
    assert!(c.is_closed());
    assert_eq!(
        h.last(),
        Some(ClientEvent::Exited {
            reason: &ExitReason::Refused("can't find session: nosuch".into())
        })
    );
    assert_eq!(
        h.count(|e| matches!(e, ClientEvent::UnmatchedReply { .. })),
        0
    );

    // The stream ends without `%exit`: the refusal still explains it.
    let mut c = Client::new(ClientConfig::default());
    let mut h = Rec::default();
    c.receive(b"%begin 1 2 0\nno sessions\n%error 1 2 0\n", t0, &mut h);
    c.on_eof(ExitReason::process_exited("tmux", Some(1)), &mut h);
    assert_eq!(
        h.last(),
        Some(ClientEvent::Exited {
            reason: &ExitReason::Refused("no sessions".into())
        }),
        "{:?}",
        h.events
    );

    // A startup command that worked: a later foreign error is not a refusal.
    let mut c = Client::new(ClientConfig::default());
    let mut h = Rec::default();
    c.receive(
        b"%begin 1 2 0\n%end 1 2 0\n%begin 1 3 0\nhook failed\n%error 1 3 0\n%exit\n",
        t0,
        &mut h,
    );
    assert_eq!(
        h.last(),
        Some(ClientEvent::Exited {
            reason: &ExitReason::Exit(None)
        }),
        "{:?}",
        h.events
    );
}

/// `Frame::scrolled` counts the lines a pane pushed into history since its last frame:
/// with nothing dropped from history, exactly its growth, whether a full-screen scroll, a
/// region scroll (tmux 3.3a keeps the region's top line) or a clear did it.
#[test]
fn frames_count_lines_pushed_into_history() {
    #[derive(Default)]
    struct Scrolls(Vec<(u32, usize)>);
    impl Host for Scrolls {
        fn on_frame(&mut self, f: &Frame<'_>) {
            self.0.push((f.scrolled(), f.terminal().history_len()));
        }
        fn on_event(&mut self, _: &ClientEvent<'_>) {}
    }
    let t0 = Instant::now();
    let mut c = bare_client();
    let mut h = Scrolls::default();
    c.receive(LAYOUT, t0, &mut h);
    c.flush_frames(t0, &mut h);
    let line = "x\\015\\012";
    let steps = [
        // 30 lines on 24 rows: 7 scroll off the top.
        line.repeat(30),
        // A region (rows 5-10) scrolled twice from its bottom row.
        format!("\\033[5;10r\\033[10;1H{}", line.repeat(2)),
        // Home and clear to the end: the used lines go into history.
        "\\033[r\\033[H\\033[J".to_string(),
    ];
    let mut history = 0;
    for (i, step) in steps.iter().enumerate() {
        h.0.clear();
        c.receive(format!("%output %0 {step}\n").as_bytes(), t0, &mut h);
        c.flush_frames(t0, &mut h);
        let [(scrolled, now)] = h.0[..] else {
            panic!("step {i}: frames {:?}", h.0);
        };
        assert!(scrolled > 0, "step {i}");
        assert_eq!(scrolled as usize, now - history, "step {i}");
        history = now;
    }
    // The clear keeps the 23 used rows (the bottom one, under the cursor, is empty).
    assert_eq!(history, 7 + 2 + 23);
}

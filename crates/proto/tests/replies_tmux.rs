//! Reply matching against a live tmux: pipelined command lines, including `;`-separated
//! lines, a failing command in the middle of a line, and a line that does not parse.

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use muxlink_proto::{Event, Parser, ReplyMatch, ReplyMatcher};
use muxlink_testkit::{tmux_available, TmuxServer};

#[test]
fn matcher_pairs_live_replies_with_lines() {
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let server = TmuxServer::start("proto-replies", 80, 24).expect("start tmux");
    let mut child = server
        .command()
        .args(["-C", "attach", "-t", "main"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn control client");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });

    // (line, commands on it, expected (ok, body) of the block that completes it)
    let lines: &[(&str, usize, bool, &str)] = &[
        (
            "display-message -p one ; display-message -p two",
            2,
            true,
            "two",
        ),
        (
            "select-window -t @99 ; display-message -p skipped",
            2,
            false,
            "can't find window: @99",
        ),
        (
            "bogus-command ; display-message -p x",
            2,
            false,
            "parse error: unknown command: bogus-command",
        ),
        (
            "display-message -p 'a;b' ; display-message -p c ; display-message -p d",
            3,
            true,
            "d",
        ),
        ("list-windows -F '#{window_id}'", 1, true, "@0"),
    ];
    let mut matcher = ReplyMatcher::new();
    let mut parser = Parser::new();
    let mut done: Vec<(usize, bool, String)> = Vec::new();
    let mut partial_bodies: Vec<String> = Vec::new();
    let mut not_ours = 0;
    let mut errors = Vec::new();

    // tmux speaks first: its startup command's flags-0 block. tmux 3.3a may read stdin before
    // that command has run, and the block would then come after ours; write only once it is in.
    let deadline = Instant::now() + Duration::from_secs(10);
    while not_ours == 0 && Instant::now() < deadline {
        let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        parser.feed(&chunk, |ev| match ev {
            Event::Reply(r) => match matcher.on_reply(&r) {
                ReplyMatch::NotOurs => not_ours += 1,
                other => panic!("reply #{} before any command: {other:?}", r.number),
            },
            Event::Error { error, .. } => errors.push(error.to_string()),
            _ => {}
        });
    }
    assert_eq!(not_ours, 1, "the attach's own flags-0 block comes first");

    let mut stdin = child.stdin.take().unwrap();
    for (i, (line, n, _, _)) in lines.iter().enumerate() {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        matcher.push_line(i, *n);
    }
    stdin.flush().unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    while matcher.pending() > 0 && Instant::now() < deadline {
        let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        parser.feed(&chunk, |ev| match ev {
            Event::Reply(r) => match matcher.on_reply(&r) {
                ReplyMatch::Matched(i) => {
                    done.push((i, r.ok, String::from_utf8_lossy(r.body).into_owned()))
                }
                ReplyMatch::Partial { .. } => {
                    partial_bodies.push(String::from_utf8_lossy(r.body).into_owned())
                }
                ReplyMatch::NotOurs => not_ours += 1,
                ReplyMatch::Unmatched => panic!("unmatched reply #{}", r.number),
            },
            Event::Error { error, .. } => errors.push(error.to_string()),
            _ => {}
        });
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();

    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(matcher.pending(), 0, "timed out; got {done:?}");
    assert_eq!(not_ours, 1, "no other flags-0 block");
    let want: Vec<(usize, bool, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.2, l.3.to_string()))
        .collect();
    assert_eq!(done, want);
    // The blocks before the last of each line: "one", then "a;b" and "c".
    assert_eq!(partial_bodies, ["one", "a;b", "c"]);
}

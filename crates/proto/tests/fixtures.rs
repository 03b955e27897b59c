//! Recorded tmux streams (3.3a recorded here by scripts/record-control-fixtures.sh; 3.5a and
//! 3.7c from ../shared/fixtures) parse into the events those sessions produced.

mod common;

use std::collections::BTreeMap;

use muxlink_proto::layout::Layout;
use muxlink_proto::{Event, Parser, ReplyMatch, ReplyMatcher, WindowId};

/// An owned `%layout-change`: window, layout, visible layout, flags.
type OwnedLayout = (WindowId, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// What a stream said, in owned form.
#[derive(Default, Debug)]
struct Summary {
    counts: BTreeMap<&'static str, usize>,
    errors: Vec<String>,
    unknown: Vec<Vec<u8>>,
    replies: Vec<(u64, u32, bool, Vec<u8>)>,
    layouts: Vec<OwnedLayout>,
    output: BTreeMap<u32, Vec<u8>>,
}

fn kind(ev: &Event<'_>) -> &'static str {
    ev.name()
}

fn summarize(input: &[u8]) -> Summary {
    let mut s = Summary::default();
    let mut on = |ev: Event<'_>| {
        *s.counts.entry(kind(&ev)).or_default() += 1;
        match ev {
            Event::Error {
                line_number,
                error,
                line,
            } => s.errors.push(format!(
                "line {line_number}: {error}: {:?}",
                String::from_utf8_lossy(line)
            )),
            Event::Unknown { line } => s.unknown.push(line.to_vec()),
            Event::Reply(r) => s.replies.push((r.number, r.flags, r.ok, r.body.to_vec())),
            Event::LayoutChange {
                window,
                layout,
                visible_layout,
                flags,
            } => s.layouts.push((
                window,
                layout.to_vec(),
                visible_layout.map(<[u8]>::to_vec),
                flags.map(<[u8]>::to_vec),
            )),
            Event::Output { pane, data } | Event::ExtendedOutput { pane, data, .. } => {
                s.output.entry(pane.0).or_default().extend_from_slice(data)
            }
            _ => {}
        }
    };
    let mut p = Parser::new();
    p.feed(input, &mut on);
    p.finish(&mut on);
    s
}

fn count(s: &Summary, k: &str) -> usize {
    s.counts.get(k).copied().unwrap_or(0)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn tmux_33a_windows_session() {
    let input = common::own_fixture("tmux-3.3a-windows.stream");
    let s = summarize(&input);
    assert!(s.errors.is_empty(), "errors: {:?}", s.errors);
    assert!(s.unknown.is_empty());
    assert_eq!(count(&s, "exit"), 1);
    assert_eq!(count(&s, "reply"), 38);
    assert_eq!(count(&s, "layout-change"), 6);
    assert_eq!(count(&s, "window-add"), 2);
    assert_eq!(count(&s, "window-renamed"), 2);
    assert_eq!(count(&s, "session-renamed"), 1);
    assert_eq!(count(&s, "session-window-changed"), 2);
    assert_eq!(count(&s, "window-pane-changed"), 2);
    assert_eq!(count(&s, "subscription-changed"), 5);
    assert_eq!(count(&s, "pane-mode-changed"), 2);
    assert_eq!(count(&s, "client-session-changed"), 2);
    assert_eq!(count(&s, "client-detached"), 1);
    assert_eq!(count(&s, "unlinked-window-add"), 1);
    assert_eq!(count(&s, "unlinked-window-renamed"), 1);
    assert_eq!(count(&s, "unlinked-window-close"), 1);
    assert_eq!(count(&s, "extended-output"), 2);
    // Every layout is for @0 and passes the checksum; the zoomed one differs from its visible
    // layout and carries the Z flag.
    assert!(s.layouts.iter().all(|l| l.0 == WindowId(0)));
    let zoomed: Vec<_> = s
        .layouts
        .iter()
        .filter(|l| l.3.as_deref() == Some(b"*Z"))
        .collect();
    assert_eq!(zoomed.len(), 1);
    assert_eq!(zoomed[0].2.as_deref(), Some(&b"b25f,80x24,0,0,2"[..]));
    assert!(s
        .layouts
        .iter()
        .any(|l| l.1.starts_with(b"77dd,100x30,0,0{")));
    // Output unescaped: `\134` is a backslash, `\011` a tab, `\015\012` CR LF.
    assert!(contains(&s.output[&1], b"tab\there\\back\r\n"));
    assert!(contains(&s.output[&0], b"hello from pane zero\r\n"));
    // Body lines that imitate a terminator or a notification stay body.
    let bodies: Vec<&[u8]> = s.replies.iter().map(|r| &r.3[..]).collect();
    assert!(bodies.contains(&&b"%end 1 2 1"[..]));
    assert!(bodies.contains(&&b"%output %0 not output"[..]));
    // tmux 3.3a writes the %pause / %continue that this client's refresh-client -A causes
    // inside that command's block.
    assert!(bodies.contains(&&b"%pause %0"[..]));
    assert!(bodies.contains(&&b"%continue %0"[..]));
}

/// The command lines scripts/record-control-fixtures.sh wrote in the `windows` scenario, in
/// order, with how many `;`-separated commands each held.
const WINDOWS_LINES: &[(&str, usize)] = &[
    ("set-option status", 1),
    ("set-option default-command", 1),
    ("send-keys echo", 1),
    ("split-window -h", 1),
    ("send-keys printf", 1),
    ("split-window -v", 1),
    ("zoom", 1),
    ("unzoom", 1),
    ("refresh-client -C", 1),
    ("new-window", 1),
    ("rename-window", 1),
    ("rename-session", 1),
    ("select-window", 1),
    ("list-windows", 1),
    ("one ; two", 2),
    ("select-window @99 ; display-message", 2),
    ("bogus-command", 1),
    ("set-buffer fake", 1),
    ("show-buffer fake", 1),
    ("set-buffer fake2", 1),
    ("show-buffer fake2", 1),
    ("pause-after=5", 1),
    ("send-keys echo flow", 1),
    ("pause", 1),
    ("continue", 1),
    ("pause-after=none", 1),
    ("subscribe cmd", 1),
    ("subscribe sess", 1),
    ("unsubscribe cmd", 1),
    ("unsubscribe sess", 1),
    ("copy-mode", 1),
    ("cancel", 1),
    ("new-session -d", 1),
    ("kill-pane", 1),
    ("kill-window", 1),
    ("detach-client", 1),
];

#[test]
fn tmux_33a_replies_match_the_lines_written() {
    let input = common::own_fixture("tmux-3.3a-windows.stream");
    let s = summarize(&input);
    let mut m = ReplyMatcher::new();
    for &(name, n) in WINDOWS_LINES {
        m.push_line(name, n);
    }
    let mut matched: Vec<(&str, bool, Vec<u8>)> = Vec::new();
    let mut partial = 0;
    let mut not_ours = 0;
    for (number, flags, ok, body) in &s.replies {
        let r = muxlink_proto::Reply {
            time: 0,
            number: *number,
            flags: *flags,
            ok: *ok,
            body,
        };
        match m.on_reply(&r) {
            ReplyMatch::Matched(name) => matched.push((name, *ok, body.clone())),
            ReplyMatch::Partial { index } => {
                assert_eq!(index, 0);
                assert_eq!(body, b"one");
                partial += 1;
            }
            ReplyMatch::NotOurs => not_ours += 1,
            ReplyMatch::Unmatched => panic!("unmatched reply #{number}"),
        }
    }
    assert_eq!(not_ours, 1, "tmux's initial flags-0 block");
    assert_eq!(partial, 1);
    assert_eq!(m.pending(), 0);
    assert_eq!(matched.len(), WINDOWS_LINES.len());
    let find = |name: &str| matched.iter().find(|m| m.0 == name).unwrap();
    assert!(find("list-windows").2.starts_with(b"@0 bash 77dd,"));
    assert_eq!(find("list-windows").2.split(|&b| b == b'\n').count(), 2);
    assert_eq!(find("one ; two").2, b"two");
    let failed = find("select-window @99 ; display-message");
    assert!(!failed.1);
    assert_eq!(failed.2, b"can't find window: @99");
    assert!(!find("bogus-command").1);
    assert_eq!(find("show-buffer fake").2, b"%end 1 2 1");
    assert_eq!(find("pause").2, b"%pause %0");
}

#[test]
fn tmux_33a_flood() {
    let input = common::own_fixture("tmux-3.3a-flood.stream");
    let s = summarize(&input);
    assert!(s.errors.is_empty(), "errors: {:?}", s.errors);
    assert_eq!(count(&s, "exit"), 1);
    assert!(count(&s, "output") > 500);
    // Every number of `seq 1 200000` arrives, in order, in pane 0's unescaped output.
    let out = &s.output[&0];
    let start = out
        .windows(5)
        .position(|w| w == b"\r1\n2\n")
        .expect("seq starts")
        + 1;
    let mut expected = Vec::new();
    for i in 1..=200_000 {
        expected.extend_from_slice(format!("{i}\n").as_bytes());
    }
    assert_eq!(&out[start..start + expected.len()], &expected[..]);
    assert!(s.replies.iter().any(|r| r.3 == b"done"));
}

#[test]
fn tmux_33a_vim() {
    let input = common::own_fixture("tmux-3.3a-vim.stream");
    let s = summarize(&input);
    assert!(s.errors.is_empty(), "errors: {:?}", s.errors);
    assert_eq!(count(&s, "exit"), 1);
    assert_eq!(count(&s, "layout-change"), 1);
    let out = &s.output[&0];
    // vim switched to the alternate screen and back, and drew the file.
    assert!(contains(out, b"\x1b[?1049h"));
    assert!(contains(out, b"\x1b[?1049l"));
    assert!(contains(out, b"line 38 of a file for vim"));
    assert!(contains(out, b"\x1b[35m#include \x1b[0m"));
    // No escape is left undecoded.
    assert!(!contains(out, b"\\033"));
}

#[test]
fn tmux_35a_splits() {
    let Some(input) = common::shared_fixture("tmux-3.5a-splits.stream") else {
        return;
    };
    let s = summarize(&input);
    assert!(s.errors.is_empty(), "errors: {:?}", s.errors);
    assert_eq!(count(&s, "exit"), 1);
    assert_eq!(count(&s, "reply"), 8);
    assert_eq!(count(&s, "layout-change"), 2);
    assert_eq!(count(&s, "output"), 15);
    assert!(s.layouts.iter().all(|l| l.0 == WindowId(0)));
}

#[test]
fn tmux_37c_floating() {
    let Some(input) = common::shared_fixture("tmux-3.7c-floating.stream") else {
        return;
    };
    let s = summarize(&input);
    assert!(s.errors.is_empty(), "errors: {:?}", s.errors);
    assert_eq!(count(&s, "exit"), 1);
    assert_eq!(count(&s, "layout-change"), 5);
    assert_eq!(count(&s, "paste-buffer-changed"), 1);
    assert_eq!(count(&s, "paste-buffer-deleted"), 1);
    assert_eq!(count(&s, "window-add"), 2);
    // Floating layouts (`<...>`) were accepted, and they do parse.
    let floating: Vec<_> = s.layouts.iter().filter(|l| l.1.contains(&b'<')).collect();
    assert_eq!(floating.len(), 4);
    assert!(floating.iter().any(|l| l.0 == WindowId(1)));
    for l in &s.layouts {
        Layout::parse(&l.1).expect("layout parses");
    }
    // Output with `\134` (a backslash) decoded.
    assert!(contains(&s.output[&2], b"printf \"float\\n\""));
}

/// A newer tmux's lines that this parser does not know come out as `Unknown`, and the known
/// lines around them still parse.
#[test]
fn newer_tmux_lines_are_unknown() {
    let input = b"%window-add @1\n%pane-floated %3 @1\n%some-future-thing\n%output %3 x\n";
    let s = summarize(input);
    assert!(s.errors.is_empty());
    assert_eq!(
        s.unknown,
        vec![
            b"%pane-floated %3 @1".to_vec(),
            b"%some-future-thing".to_vec()
        ]
    );
    assert_eq!(count(&s, "window-add"), 1);
    assert_eq!(s.output[&3], b"x");
}

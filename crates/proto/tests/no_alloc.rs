//! Once its buffers are warm, the parser allocates nothing per line: plain and escaped
//! `%output`, `%extended-output`, reply blocks, lines split across chunks, notifications,
//! `%layout-change` (validated without building a tree), refused layouts, unknown and bad
//! lines, and fenced blocks with their fences.

use muxlink_proto::command::{fenced_line, CapturePane, LinePart};
use muxlink_proto::{Event, PaneId, Parser};
use muxlink_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

#[test]
fn no_allocation_per_line_once_warm() {
    let mut stream = Vec::new();
    for i in 0..200 {
        stream.extend_from_slice(format!("%output %{} plain text line {i}\n", i % 4).as_bytes());
        stream.extend_from_slice(b"%output %1 \\033[1mbold\\033[0m\\015\\012\n");
        stream.extend_from_slice(b"%extended-output %2 15 : x\\134y\n");
        stream.extend_from_slice(b"%begin 1 2 1\nbody line\n%end 1 1 1\n%end 1 2 1\n");
        stream.extend_from_slice(b"%window-renamed @1 name\n%unknown-thing\nbad line\n");
        stream.extend_from_slice(b"%subscription-changed s $1 @1 1 %1 : v\n");
        stream.extend_from_slice(
            b"%layout-change @1 d67e,80x24,0,0{40x24,0,0,0,39x24,41,0[39x12,41,0,1,39x11,41,13,2]} \
              d67e,80x24,0,0{40x24,0,0,0,39x24,41,0[39x12,41,0,1,39x11,41,13,2]} *\n",
        );
        stream.extend_from_slice(b"%layout-change @1 0000,65535x65535,0,0,0\n");
    }
    let mut parser = Parser::new();
    let mut seen = 0usize;
    let mut sink = |ev: Event<'_>| {
        if matches!(ev, Event::Error { .. }) {
            seen += 1000;
        }
        seen += 1;
    };
    // Warm up with the same stream, cut the same way.
    for c in stream.chunks(333) {
        parser.feed(c, &mut sink);
    }
    let ((), allocs) = ALLOC.allocations_during(|| {
        for c in stream.chunks(333) {
            parser.feed(c, &mut sink);
        }
    });
    assert_eq!(allocs, 0, "allocations while parsing a warm stream");
    // 10 events per round, two of them errors: the counter saw every event.
    assert_eq!(seen, 2 * 200 * (2 * 1000 + 10));
}

/// What tmux writes for `line`: every `display-message` prints its nonce, every capture
/// `lines` lines (with a forged terminator among them) and succeeds.
fn answer(fl: &muxlink_proto::command::FencedLine, first: u64, lines: usize) -> Vec<u8> {
    let nonces: Vec<String> = fl.plan().nonces().map(|n| n.to_string()).collect();
    let mut out = Vec::new();
    let text = fl.line().to_string();
    let close = fl.close().to_string();
    for (n, cmd) in (first..).zip(text.split(" ; ").chain([&close[..]])) {
        out.extend_from_slice(format!("%begin 1 {n} 1\n").as_bytes());
        match nonces.iter().find(|x| cmd.contains(&x[..])) {
            Some(x) => out.extend_from_slice(format!("{x}\n").as_bytes()),
            None => {
                for i in 0..lines {
                    out.extend_from_slice(format!("line {i} %end 1 {n} 1\n").as_bytes());
                    out.extend_from_slice(format!("%end 1 {n} 1\n").as_bytes());
                }
            }
        }
        out.extend_from_slice(format!("%end 1 {n} 1\n").as_bytes());
    }
    out
}

#[test]
fn fenced_blocks_allocate_nothing_once_warm() {
    let mut nonces = muxlink_proto::fence::OsNonces::new().unwrap();
    let parts = [
        LinePart::Fenced(CapturePane::new(PaneId(1)).build()),
        LinePart::Fenced(CapturePane::new(PaneId(2)).build()),
    ];
    let mut parser = Parser::new();
    let mut replies = 0;
    let mut sink = |ev: Event<'_>| {
        assert!(matches!(ev, Event::Reply(_)), "{ev:?}");
        replies += 1;
    };
    for round in 0..3 {
        let fl = fenced_line(&parts, &mut nonces).unwrap();
        let stream = answer(&fl, 10 * round, 50);
        parser.expect_fences(fl.into_plan());
        let ((), allocs) = ALLOC.allocations_during(|| {
            for c in stream.chunks(333) {
                parser.feed(c, &mut sink);
            }
        });
        if round > 0 {
            assert_eq!(
                allocs, 0,
                "allocations while reading fenced blocks, round {round}"
            );
        }
    }
    assert_eq!(replies, 3 * 2);
}

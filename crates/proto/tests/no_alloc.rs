//! Once its buffers are warm, the parser allocates nothing per line: plain and escaped
//! `%output`, `%extended-output`, reply blocks, lines split across chunks, notifications,
//! unknown and bad lines. (`%layout-change` is the exception: the layout is parsed into a
//! tree to validate it.)

use muxlink_proto::{Event, Parser};
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
    // 8 events per round, one of them an error: the counter saw every event.
    assert_eq!(seen, 2 * 200 * (1000 + 8));
}

//! Steady-state printing and scrolling with full scrollback allocate nothing: history rows
//! are reused from the ring once the limit is reached.

use muxlink_term::Terminal;
use muxlink_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

fn workload() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..500u32 {
        v.extend_from_slice(format!("\x1b[3{}mline {i} ", i % 8).as_bytes());
        v.extend_from_slice(
            b"plain ascii text that is long enough to wrap around the edge \x1b[1;4m bold \x1b[0m",
        );
        v.extend_from_slice("wide 中文 and é combining e\u{301}\r\n".as_bytes());
        if i % 50 == 0 {
            // Scroll region work, erase, insert/delete, cursor motion.
            v.extend_from_slice(
                b"\x1b[5;20r\x1b[20;1H\n\n\n\x1b[2L\x1b[3M\x1b[r\x1b[10;10H\x1b[K\x1b[2J",
            );
        }
    }
    v
}

/// One test function so the counting window is not shared with other tests' threads.
#[test]
fn steady_state_feed_allocates_nothing() {
    let mut t = Terminal::with_history_limit(80, 24, 300);
    let w = workload();
    // Warm up: fill the history ring past its limit (and the combined-character table).
    t.feed(&w);
    t.feed(&w);
    assert!(
        t.history_len() > 200,
        "history must be full: {}",
        t.history_len()
    );

    let ((), n) = ALLOC.allocations_during(|| {
        t.feed(&w);
        t.feed(&w);
        t.reset_damage();
    });
    assert_eq!(n, 0, "steady-state feed allocated {n} times");

    // The counter does see allocations (the test would catch a regression).
    let ((), n) = ALLOC.allocations_during(|| {
        let mut fresh = Terminal::with_history_limit(80, 24, 300);
        fresh.feed(&w);
    });
    assert!(n > 0);
}

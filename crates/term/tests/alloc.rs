//! What the emulator allocates, measured by a counting allocator:
//! - steady-state printing and scrolling with full scrollback allocate nothing;
//! - hostile streams (issue 10) stay within a memory cap: overlong OSC strings and
//!   clipboards, millions of distinct combining clusters, huge panes, huge resizes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell as StdCell;

use muxlink_term::{TermEvent, Terminal, MAX_SIZE};

/// Counts, for the thread that asked ([`measure`]), allocations and live bytes (with their
/// peak). Other threads (the test harness's) are not counted.
struct Meter;

#[global_allocator]
static METER: Meter = Meter;

#[derive(Clone, Copy, Default, Debug)]
struct Counts {
    allocations: u64,
    live: i64,
    peak: i64,
}

thread_local! {
    // Const-initialised and without a destructor, so the allocator may touch it.
    static COUNTS: StdCell<Option<Counts>> = const { StdCell::new(None) };
}

fn note(delta: i64, allocation: bool) {
    let _ = COUNTS.try_with(|c| {
        if let Some(mut n) = c.get() {
            n.allocations += u64::from(allocation);
            n.live += delta;
            n.peak = n.peak.max(n.live);
            c.set(Some(n));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as i64, true);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as i64), false);
        // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as i64 - layout.size() as i64, true);
        // SAFETY: as for `alloc` and `dealloc`: the caller's contract, passed on to `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f`, counting this thread's allocations: (result, counts). `live` is what `f` left
/// allocated, `peak` the most it held at once.
fn measure<R>(f: impl FnOnce() -> R) -> (R, Counts) {
    COUNTS.with(|c| c.set(Some(Counts::default())));
    let r = f();
    let n = COUNTS.with(|c| c.replace(None)).unwrap_or_default();
    (r, n)
}

const MIB: i64 = 1 << 20;

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

#[test]
fn steady_state_feed_allocates_nothing() {
    let mut t = Terminal::with_history_limit(80, 24, 300);
    let w = workload();
    // Warm up: fill the history past its limit (and the combined-character table).
    t.feed(&w);
    t.feed(&w);
    assert!(
        t.history_len() > 200,
        "history must be full: {}",
        t.history_len()
    );

    let ((), n) = measure(|| {
        t.feed(&w);
        t.feed(&w);
        t.reset_damage();
    });
    assert_eq!(
        n.allocations, 0,
        "steady-state feed allocated {} times",
        n.allocations
    );

    // The counter does see allocations (the test would catch a regression).
    let ((), n) = measure(|| {
        let mut fresh = Terminal::with_history_limit(80, 24, 300);
        fresh.feed(&w);
    });
    assert!(n.allocations > 0);
}

/// Feeds `total` bytes of `head`, then `body` repeated, then `tail`, in 64 KiB pieces (as a
/// pipe delivers them) without building the whole input.
fn feed_stream(t: &mut Terminal, head: &[u8], body: &[u8], total: usize, tail: &[u8]) {
    t.feed(head);
    let chunk: Vec<u8> = body.iter().copied().cycle().take(64 << 10).collect();
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len());
        t.feed(&chunk[..n]);
        left -= n;
    }
    t.feed(tail);
}

/// 64 MB of OSC 2 (the stream is 400 MB of it): tmux drops a string whose buffer
/// reaches 1 MiB, so the title stays what it was and memory stays near that bound.
#[test]
fn overlong_osc_title_is_dropped_within_a_memory_cap() {
    let mut t = Terminal::new(80, 24);
    t.feed(b"\x1b]2;before\x07");
    let ((), n) = measure(|| feed_stream(&mut t, b"\x1b]2;", b"title ", 64 << 20, b"\x07ok"));
    eprintln!("64 MB of OSC 2: {n:?}");
    assert!(n.peak < 2 * MIB, "peak {} bytes", n.peak);
    assert!(n.live < 64 << 10, "left {} bytes", n.live);
    assert_eq!(t.title(), "before", "tmux drops the overlong title");
    assert_eq!(muxlink_term::capture::plain(&t).lines().next(), Some("ok"));
    // The longest title tmux keeps: its buffer holds "2;" and the rest, 2^20 - 1 bytes.
    let mut t = Terminal::new(80, 24);
    let longest = [b"\x1b]2;".as_slice(), &vec![b'a'; (1 << 20) - 3], b"\x07"].concat();
    t.feed(&longest);
    assert_eq!(t.title().len(), (1 << 20) - 3);
    t.feed(&[b"\x1b]2;".as_slice(), &vec![b'b'; (1 << 20) - 2], b"\x07"].concat());
    assert_eq!(t.title().len(), (1 << 20) - 3, "one byte more is dropped");
}

/// 16 MB of OSC 52 (the is 100 MB): no clipboard event (tmux drops the string);
/// one within the bound arrives whole. Events queued between drains stay bounded too.
#[test]
fn overlong_clipboard_is_dropped_within_a_memory_cap() {
    let mut t = Terminal::new(80, 24);
    let ((), n) = measure(|| feed_stream(&mut t, b"\x1b]52;c;", b"QUJD", 16 << 20, b"\x07"));
    eprintln!("16 MB of OSC 52: {n:?}");
    assert!(n.peak < 2 * MIB, "peak {} bytes", n.peak);
    assert_eq!(t.take_events().count(), 0);
    let data = "QUJD".repeat(100_000);
    t.feed(format!("\x1b]52;c;{data}\x07").as_bytes());
    let got: Vec<TermEvent> = t.take_events().collect();
    assert_eq!(
        got,
        [TermEvent::Clipboard {
            selection: "c".into(),
            data: data.clone()
        }]
    );
    // A program flooding clipboards and bells between two drains queues a bounded amount.
    let one = format!("\x1b]52;c;{data}\x07\x07");
    let ((), n) = measure(|| {
        for _ in 0..100 {
            t.feed(one.as_bytes());
        }
    });
    assert!(n.live < 2 * MIB, "queued {} bytes", n.live);
    let got: Vec<TermEvent> = t.take_events().collect();
    assert_eq!(got.len(), 2, "the latest clipboard and one bell");
}

/// A million distinct combining clusters (the 4 million held 727 MB): the table
/// keeps what the grid still shows, not everything ever printed.
#[test]
fn combining_clusters_are_reclaimed() {
    let mut t = Terminal::with_history_limit(80, 24, 100);
    let mut stream = Vec::new();
    // 1,048,576 distinct clusters: a base letter and two marks each.
    for i in 0..(1u32 << 20) {
        let base = char::from_u32(0x4e00 + (i >> 8)).unwrap_or('a');
        let m1 = char::from_u32(0x300 + (i & 0x3f)).unwrap_or('\u{301}');
        let m2 = char::from_u32(0x340 + ((i >> 6) & 3)).unwrap_or('\u{301}');
        let mut b = [0u8; 4];
        stream.extend_from_slice(base.encode_utf8(&mut b).as_bytes());
        stream.extend_from_slice(m1.encode_utf8(&mut b).as_bytes());
        stream.extend_from_slice(m2.encode_utf8(&mut b).as_bytes());
        if i % 40 == 39 {
            stream.extend_from_slice(b"\r\n");
        }
    }
    let ((), n) = measure(|| {
        for c in stream.chunks(64 << 10) {
            t.feed(c);
        }
    });
    eprintln!("2^20 distinct clusters: {n:?}");
    // What the grid can hold: 124 lines of 40 wide characters, each a distinct cluster.
    assert!(n.live < 4 * MIB, "left {} bytes", n.live);
    assert!(n.peak < 8 * MIB, "peak {} bytes", n.peak);
    // The clusters on screen are still there and right.
    let mut last = String::new();
    for cell in t.screen_row(t.rows() - 2) {
        t.push_cell_text(cell, &mut last);
    }
    assert_eq!(last.chars().count(), 120, "{last:?}");
}

/// A 10000x10000 pane (tmux's largest; 4.4 MB inside tmux) with a shell's worth of output
/// costs the rows that hold something, not its area.
#[test]
fn huge_pane_costs_what_it_holds() {
    let ((), n) = measure(|| {
        let mut t = Terminal::new(MAX_SIZE, MAX_SIZE);
        for i in 0..50 {
            t.feed(format!("user@host:~$ ls\r\nfile{i}  other  third\r\n").as_bytes());
        }
        assert_eq!(t.history_len(), 0);
        std::hint::black_box(&t);
    });
    eprintln!("10000x10000 pane, 100 lines: {n:?}");
    assert!(n.peak < 32 * MIB, "peak {} bytes", n.peak);
}

/// Sizes asked of the emulator are cut to tmux's: a 65535x65535 resize, as a hostile layout
/// would ask, costs no more than a 10000x10000 pane.
#[test]
fn sizes_are_cut_to_tmux_limits() {
    let ((), n) = measure(|| {
        let mut t = Terminal::new(65535, 65535);
        assert_eq!((t.cols(), t.rows()), (MAX_SIZE, MAX_SIZE));
        t.resize(80, 24);
        t.feed(b"hello");
        t.resize(65535, 65535);
        assert_eq!((t.cols(), t.rows()), (MAX_SIZE, MAX_SIZE));
        t.resize(0, 0);
        assert_eq!((t.cols(), t.rows()), (1, 1));
        let t = Terminal::with_history_limit(10, 10, usize::MAX);
        assert_eq!(t.history_limit(), i32::MAX as usize);
    });
    assert!(n.peak < 8 * MIB, "peak {} bytes", n.peak);
}

/// `Terminal::heap_bytes` (what a host's memory budget counts) agrees with what the
/// allocator sees.
#[test]
fn heap_bytes_matches_the_allocator() {
    let w = workload();
    for (cols, rows, limit) in [(80, 24, 2000), (200, 50, 100), (MAX_SIZE, MAX_SIZE, 10)] {
        let (t, n) = measure(|| {
            let mut t = Terminal::with_history_limit(cols, rows, limit);
            t.feed(&w);
            t
        });
        let (est, got) = (t.heap_bytes() as f64, n.live as f64);
        eprintln!("{cols}x{rows}: heap_bytes {est}, allocator {got}");
        assert!(
            (est - got).abs() <= 0.25 * got,
            "{cols}x{rows}: heap_bytes {est}, allocator {got}"
        );
    }
}

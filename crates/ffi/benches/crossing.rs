//! What crossing the C ABI costs: the same work done through the exported functions (as a C
//! host calls them) and through the Rust API, side by side in one process, on the same bytes.
//!
//! - `call`: the smallest host-to-muxlink call (`muxlink_client_is_closed`: panic boundary,
//!   pointer and poison checks) against `Client::is_closed`.
//! - `feed`: one `%output` line of 64 bytes fed and its events drained, through
//!   `muxlink_client_feed` + `muxlink_client_next_event` against `Client::receive` +
//!   `flush_frames` + `EventQueue::poll_event`.
//! - `pull`: a pane's render state pulled and its dirty rows read, through
//!   `muxlink_client_pull_frame` + `muxlink_frame_row` against `Client::pull_frame` +
//!   `Frame::row`.
//! - `callback`: a muxlink-to-host callback: bytes mode pushing each line's bytes to a C
//!   `on_event` against a Rust `Host` receiving the same event.
//! - `remote`: input queued from another handle (`muxlink_remote_send_input`, wake included)
//!   and run by `muxlink_client_on_wake`, against `Client::send_input`.
//! - `pipeline`: a recorded tmux session (crates/bench/workloads/recorded/mixed.stream) fed in
//!   4 KiB pieces, events drained and every dirty row of every pane read, both ways.
//!
//! Each pair checks once, before measuring, that both sides did the same work (same rows,
//! same event counts).
#![allow(clippy::undocumented_unsafe_blocks)] // every block is a call into the C ABI, with
                                              // pointers to live locals

use std::ffi::c_void;
use std::hint::black_box;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use muxlink::*;
use muxlink_runtime::{
    Client, ClientConfig, ClientEvent, EventQueue, FrameDelivery, Host, OutputMode, PaneId,
};

const LAYOUT: &[u8] = b"%layout-change @0 b25d,80x24,0,0,0 b25d,80x24,0,0,0 *\n";

fn line(i: usize) -> Vec<u8> {
    // 64 bytes of pane output: text, a colour, CR LF (escaped as tmux escapes them).
    let body = format!(
        "\\033[3{}mline {i:06} of the crossing benchmark xxxxxxxxxxx\\015\\012",
        i % 8
    );
    format!("%output %0 {body}\n").into_bytes()
}

fn c_config(mode: u32) -> muxlink_client_config {
    let mut cfg = unsafe { std::mem::zeroed::<muxlink_client_config>() };
    unsafe { muxlink_client_config_init(&mut cfg) };
    cfg.handshake = 0;
    cfg.output_mode = mode;
    cfg
}

fn c_client(mode: u32) -> *mut muxlink_client {
    let cfg = c_config(mode);
    let mut c = ptr::null_mut();
    assert_eq!(
        unsafe { muxlink_client_new(&cfg, &mut c) },
        muxlink_result::MUXLINK_OK
    );
    c
}

fn rust_config(mode: OutputMode) -> ClientConfig {
    ClientConfig::default()
        .with_size(80, 24)
        .with_output_mode(mode)
        .with_frames(FrameDelivery::Pull)
        .with_handshake(false)
}

fn c_feed(c: *mut muxlink_client, bytes: &[u8], ev: &mut muxlink_event) -> usize {
    assert_eq!(
        unsafe { muxlink_client_feed(c, bytes.as_ptr(), bytes.len()) },
        muxlink_result::MUXLINK_OK
    );
    let mut n = 0;
    loop {
        unsafe { muxlink_client_next_event(c, ev) };
        if ev.kind == MUXLINK_EVENT_NONE {
            return n;
        }
        n += 1;
    }
}

fn rust_feed(c: &mut Client, q: &mut EventQueue, bytes: &[u8]) -> usize {
    let now = Instant::now();
    c.receive(bytes, now, q);
    c.flush_frames(now, q);
    let mut n = 0;
    while q.poll_event().is_some() {
        n += 1;
    }
    n
}

fn new_event() -> muxlink_event {
    let mut ev = unsafe { std::mem::zeroed::<muxlink_event>() };
    unsafe { muxlink_event_init(&mut ev) };
    ev
}

/// Reads every dirty row of pane %0 through C; returns a checksum of the cells read.
fn c_pull(c: *mut muxlink_client, rs: &mut muxlink_render_state) -> u64 {
    unsafe { muxlink_client_pull_frame(c, 0, rs) };
    let dirty = unsafe { std::slice::from_raw_parts(rs.dirty_rows, rs.dirty_len) };
    let mut sum = 0u64;
    for &y in dirty {
        let mut cells = ptr::null();
        let mut len = 0;
        unsafe { muxlink_frame_row(rs.frame, y, &mut cells, &mut len) };
        let row = unsafe { std::slice::from_raw_parts(cells, len) };
        sum = sum.wrapping_add(row.iter().map(|c| u64::from(c.ch)).sum::<u64>());
    }
    sum
}

fn rust_pull(c: &mut Client) -> u64 {
    let Some(frame) = c.pull_frame(PaneId(0)) else {
        return 0;
    };
    let mut sum = 0u64;
    for &y in frame.dirty_rows() {
        let row = frame.row(y).expect("a dirty row exists");
        sum = sum.wrapping_add(row.iter().map(|c| u64::from(c.ch)).sum::<u64>());
    }
    sum
}

fn bench_call(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("ffi/call");
    g.throughput(Throughput::Elements(1));
    let c = c_client(MUXLINK_OUTPUT_GRID);
    let mut closed = 0u8;
    g.bench_function("c", |b| {
        b.iter(|| unsafe { muxlink_client_is_closed(black_box(c), &mut closed) })
    });
    let rust = Client::new(rust_config(OutputMode::Grid));
    g.bench_function("rust", |b| b.iter(|| black_box(&rust).is_closed()));
    unsafe { muxlink_client_free(c) };
    g.finish();
}

fn bench_feed(cr: &mut Criterion) {
    let lines: Vec<Vec<u8>> = (0..1024).map(line).collect();
    let mut g = cr.benchmark_group("ffi/feed");
    g.throughput(Throughput::Elements(1));

    let c = c_client(MUXLINK_OUTPUT_GRID);
    let mut ev = new_event();
    let mut rust = Client::new(rust_config(OutputMode::Grid));
    let mut q = EventQueue::new();
    // The same work: the same events from the layout and from a line, the same rows.
    assert_eq!(
        c_feed(c, LAYOUT, &mut ev),
        rust_feed(&mut rust, &mut q, LAYOUT)
    );
    assert_eq!(
        c_feed(c, &lines[0], &mut ev),
        rust_feed(&mut rust, &mut q, &lines[0])
    );
    let mut rs = unsafe { std::mem::zeroed::<muxlink_render_state>() };
    unsafe { muxlink_render_state_init(&mut rs) };
    assert_eq!(c_pull(c, &mut rs), rust_pull(&mut rust));

    let mut i = 0;
    g.bench_function("c", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            c_feed(c, &lines[i], &mut ev)
        })
    });
    g.bench_function("rust", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            rust_feed(&mut rust, &mut q, &lines[i])
        })
    });
    g.finish();

    let mut g = cr.benchmark_group("ffi/pull");
    g.throughput(Throughput::Elements(1));
    g.bench_function("c", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            c_feed(c, &lines[i], &mut ev);
            c_pull(c, &mut rs)
        })
    });
    g.bench_function("rust", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            rust_feed(&mut rust, &mut q, &lines[i]);
            rust_pull(&mut rust)
        })
    });
    g.finish();
    unsafe { muxlink_client_free(c) };
}

static PUSHED: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" fn on_event(_ud: *mut c_void, ev: *const muxlink_event) {
    // Reads what a host reads: the kind and the bytes' length.
    let ev = unsafe { &*ev };
    PUSHED.fetch_add(ev.data_len as u64 + u64::from(ev.kind), Ordering::Relaxed);
}

/// The Rust host counting the same thing.
struct Counting(u64);

impl Host for Counting {
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        if let ClientEvent::PaneBytes { bytes, .. } = event {
            self.0 += bytes.len() as u64 + u64::from(MUXLINK_EVENT_PANE_BYTES);
        }
    }
}

fn bench_callback(cr: &mut Criterion) {
    let lines: Vec<Vec<u8>> = (0..1024).map(line).collect();
    let mut g = cr.benchmark_group("ffi/callback");
    g.throughput(Throughput::Elements(1));
    let c = c_client(MUXLINK_OUTPUT_BYTES);
    let mut cb = unsafe { std::mem::zeroed::<muxlink_callbacks>() };
    unsafe { muxlink_callbacks_init(&mut cb) };
    cb.on_event = Some(on_event);
    assert_eq!(
        unsafe { muxlink_client_set_callbacks(c, &cb) },
        muxlink_result::MUXLINK_OK
    );
    let feed_c = |bytes: &[u8]| unsafe { muxlink_client_feed(c, bytes.as_ptr(), bytes.len()) };
    feed_c(LAYOUT);
    let mut rust = Client::new(rust_config(OutputMode::Bytes));
    let mut host = Counting(0);
    let now = Instant::now();
    rust.receive(LAYOUT, now, &mut host);
    // The same work: one PANE_BYTES event of the same length per line.
    PUSHED.store(0, Ordering::Relaxed);
    host.0 = 0;
    feed_c(&lines[0]);
    rust.receive(&lines[0], now, &mut host);
    rust.flush_frames(now, &mut host);
    assert!(host.0 > 0);
    assert_eq!(PUSHED.load(Ordering::Relaxed), host.0);

    let mut i = 0;
    g.bench_function("c", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            feed_c(&lines[i])
        })
    });
    g.bench_function("rust", |b| {
        b.iter(|| {
            i = (i + 1) % lines.len();
            let now = Instant::now();
            rust.receive(&lines[i], now, &mut host);
            rust.flush_frames(now, &mut host);
        })
    });
    g.finish();
    unsafe { muxlink_client_free(c) };
}

static WAKES: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" fn wake(_ud: *mut c_void) {
    WAKES.fetch_add(1, Ordering::Relaxed);
}

fn bench_remote(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("ffi/remote");
    g.throughput(Throughput::Elements(1));
    let c = c_client(MUXLINK_OUTPUT_GRID);
    let mut ev = new_event();
    c_feed(c, LAYOUT, &mut ev);
    unsafe { muxlink_client_set_waker(c, Some(wake), ptr::null_mut(), None) };
    let mut remote = ptr::null_mut();
    unsafe { muxlink_client_remote(c, &mut remote) };
    let mut out = ptr::null();
    let mut out_len = 0;
    let key = b"x";
    // Queue from the handle (wake included), run on the client's side, drop the bytes.
    let mut once = || unsafe {
        muxlink_remote_send_input(remote, 0, key.as_ptr(), key.len());
        muxlink_client_on_wake(c);
        muxlink_client_outgoing(c, &mut out, &mut out_len);
        muxlink_client_consume_outgoing(c, out_len);
        out_len
    };
    let c_bytes = once();
    assert!(WAKES.load(Ordering::Relaxed) >= 1);
    let mut rust = Client::new(rust_config(OutputMode::Grid));
    let mut q = EventQueue::new();
    rust_feed(&mut rust, &mut q, LAYOUT);
    let mut rust_once = || {
        rust.send_input(PaneId(0), key).expect("pane %0 exists");
        let n = rust.outgoing().len();
        rust.consume_outgoing(n);
        n
    };
    // The same work: the same command bytes for tmux.
    assert_eq!(c_bytes, rust_once());
    g.bench_function("c", |b| b.iter(&mut once));
    g.bench_function("rust", |b| b.iter(&mut rust_once));
    g.finish();
    unsafe {
        muxlink_remote_free(remote);
        muxlink_client_free(c);
    }
}

fn bench_pipeline(cr: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bench/workloads/recorded/mixed.stream"
    );
    let stream = std::fs::read(path).expect("the recorded stream");
    let chunks: Vec<&[u8]> = stream.chunks(4096).collect();
    let mut g = cr.benchmark_group("ffi/pipeline");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.sample_size(20);

    let run_c = || {
        let c = c_client(MUXLINK_OUTPUT_GRID);
        let mut ev = new_event();
        let mut rs = unsafe { std::mem::zeroed::<muxlink_render_state>() };
        unsafe { muxlink_render_state_init(&mut rs) };
        let (mut events, mut sum) = (0usize, 0u64);
        for chunk in &chunks {
            unsafe { muxlink_client_feed(c, chunk.as_ptr(), chunk.len()) };
            loop {
                unsafe { muxlink_client_next_event(c, &mut ev) };
                match ev.kind {
                    MUXLINK_EVENT_NONE => break,
                    MUXLINK_EVENT_FRAME_READY => {
                        let pane = ev.pane;
                        let r = unsafe { muxlink_client_pull_frame(c, pane, &mut rs) };
                        if r == muxlink_result::MUXLINK_OK {
                            let dirty =
                                unsafe { std::slice::from_raw_parts(rs.dirty_rows, rs.dirty_len) };
                            for &y in dirty {
                                let (mut cells, mut len) = (ptr::null(), 0);
                                unsafe { muxlink_frame_row(rs.frame, y, &mut cells, &mut len) };
                                sum = sum.wrapping_add(len as u64);
                            }
                        }
                    }
                    _ => {}
                }
                events += 1;
            }
        }
        unsafe { muxlink_client_free(c) };
        (events, sum)
    };
    let run_rust = || {
        let mut c = Client::new(rust_config(OutputMode::Grid).with_keep_state_on_exit(false));
        let mut q = EventQueue::new();
        let (mut events, mut sum) = (0usize, 0u64);
        for chunk in &chunks {
            let now = Instant::now();
            c.receive(chunk, now, &mut q);
            c.flush_frames(now, &mut q);
            while let Some(e) = q.poll_event() {
                if let ClientEvent::FrameReady { pane } = e {
                    if let Some(frame) = c.pull_frame(pane) {
                        for &y in frame.dirty_rows() {
                            sum = sum.wrapping_add(frame.row(y).map_or(0, |r| r.len() as u64));
                        }
                    }
                }
                events += 1;
            }
        }
        (events, sum)
    };
    // The same work: the same number of events and of cells read.
    let (ce, cs) = run_c();
    let (re, rsum) = run_rust();
    assert_eq!((ce, cs), (re, rsum), "C and Rust did different work");
    assert!(cs > 0);
    g.bench_function("c", |b| {
        b.iter_batched(|| (), |_| run_c(), BatchSize::SmallInput)
    });
    g.bench_function("rust", |b| {
        b.iter_batched(|| (), |_| run_rust(), BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_call,
    bench_feed,
    bench_callback,
    bench_remote,
    bench_pipeline
);
criterion_main!(benches);

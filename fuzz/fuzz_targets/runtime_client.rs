//! Arbitrary notification streams through the whole client (session model, emulators,
//! budget), in grid and bytes mode, live (handshake) or replay.
//!
//! Input layout: byte 0 picks the configuration; the rest is a program of ops, each an op
//! byte and its arguments, that writes control-mode lines: `%output` with arbitrary data,
//! layouts with arbitrary sizes and ids (tmux's bounds and beyond), window and session
//! notifications, reply blocks (with forged terminators inside), `%exit`, raw bytes. The
//! stream is fed in pieces cut by the same bytes. Checks:
//! - nothing panics, whatever the stream;
//! - the memory held stays under the client's budget plus the parser's bounded buffers.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use muxlink_runtime::{Client, ClientConfig, NoopHost, OutputMode};

/// Counts live heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: allocated by `System` through this wrapper with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let now = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const BUDGET: usize = 8 << 20;
/// The budget, the parser's line and block buffers (1 MiB lines, blocks at the 1 MiB floor
/// of a quarter of the budget), frames, and the stream itself (at most libFuzzer's input).
const CAP: usize = BUDGET + (16 << 20);

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// A size: mostly small, sometimes at or past tmux's bound.
fn size(b: &mut Bytes<'_>) -> u32 {
    match b.u8() % 8 {
        0 => 10_000,
        1 => 10_001,
        2 => u32::from(b.u16()),
        _ => u32::from(b.u8() % 100),
    }
}

fn program(b: &mut Bytes<'_>) -> Vec<u8> {
    let mut s = Vec::new();
    let mut number = 0u32;
    while !b.0.is_empty() {
        let op = b.u8();
        let id = b.u8() % 16;
        match op % 16 {
            0..=3 => {
                let n = b.u8() as usize;
                s.extend_from_slice(format!("%output %{id} ").as_bytes());
                for &c in b.take(n) {
                    if c < 0x20 || c == b'\\' {
                        s.extend_from_slice(format!("\\{c:03o}").as_bytes());
                    } else {
                        s.push(c);
                    }
                }
                s.push(b'\n');
            }
            4 => {
                // A leaf or a split of two leaves, checksum right or wrong.
                let (c, r) = (size(b), size(b));
                let (p, q) = (id, b.u8() % 16);
                let body = if b.u8() % 2 == 0 {
                    format!("{c}x{r},0,0,{p}")
                } else {
                    let half = c / 2;
                    format!(
                        "{c}x{r},0,0{{{half}x{r},0,0,{p},{}x{r},{},0,{q}}}",
                        c.saturating_sub(half + 1),
                        half + 1
                    )
                };
                let csum = muxlink_proto::layout::layout_checksum(body.as_bytes());
                let w = b.u8() % 8;
                s.extend_from_slice(
                    format!("%layout-change @{w} {csum:04x},{body} {csum:04x},{body} *\n")
                        .as_bytes(),
                );
            }
            5 => s.extend_from_slice(format!("%window-add @{id}\n").as_bytes()),
            6 => s.extend_from_slice(format!("%window-close @{id}\n").as_bytes()),
            7 => s.extend_from_slice(format!("%unlinked-window-add @{id}\n").as_bytes()),
            8 => s.extend_from_slice(format!("%unlinked-window-close @{id}\n").as_bytes()),
            9 => s.extend_from_slice(format!("%session-changed ${} s{id}\n", id % 4).as_bytes()),
            10 => s.extend_from_slice(
                format!("%session-window-changed ${} @{id}\n", id % 4).as_bytes(),
            ),
            11 => s.extend_from_slice(format!("%window-renamed @{id} n{op}\n").as_bytes()),
            12 => {
                // A reply block with a forged terminator inside, flags 0 or 1.
                number += 1;
                let flags = b.u8() % 2;
                s.extend_from_slice(format!("%begin 1 {number} {flags}\n").as_bytes());
                s.extend_from_slice(
                    format!("%end 1 {} 1\n%window-add @{id}\n", number + 1).as_bytes(),
                );
                s.extend_from_slice(format!("%end 1 {number} {flags}\n").as_bytes());
            }
            13 => s.extend_from_slice(format!("%pause %{id}\n%continue %{id}\n").as_bytes()),
            14 => s.extend_from_slice(b"%exit\n"),
            _ => {
                let n = b.u8() as usize % 64;
                s.extend_from_slice(b.take(n));
            }
        }
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let mode = b.u8();
    let seed = b.u16();
    let stream = program(&mut b);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    {
        let mut config = if mode & 1 == 0 {
            ClientConfig::replay()
        } else {
            // Live: the handshake's commands go unanswered (or answered by forged blocks).
            ClientConfig::default()
        };
        config = config
            .with_size(80, 24)
            .with_memory_budget(BUDGET)
            .with_output_mode(if mode & 2 == 0 {
                OutputMode::Grid
            } else {
                OutputMode::Bytes
            });
        let mut client = Client::new(config);
        let now = Instant::now();
        let mut rest = &stream[..];
        let mut cut = u32::from(seed) | 1;
        while !rest.is_empty() {
            cut ^= cut << 13;
            cut ^= cut >> 17;
            cut ^= cut << 5;
            let n = (cut as usize % 4096).clamp(1, rest.len());
            client.receive(&rest[..n], now, &mut NoopHost);
            client.flush_frames(now, &mut NoopHost);
            let _ = client.outgoing();
            let len = client.outgoing().len();
            client.consume_outgoing(len);
            rest = &rest[n..];
        }
        client.on_eof(muxlink_runtime::ExitReason::Eof, &mut NoopHost);
    }
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    assert!(peak < CAP + stream.len(), "{} MiB at the peak", peak >> 20);
});

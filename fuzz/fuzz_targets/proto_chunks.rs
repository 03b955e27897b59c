//! Arbitrary bytes, cut into arbitrary chunks, fed to the control-mode parser.
//!
//! Input layout: byte 0 picks the mode (plain or host stream, DCS policy, tight limits),
//! bytes 1..=4 seed the chunk cutter, the rest is the stream. Checks:
//! - nothing panics, whatever the bytes and the cuts;
//! - the events equal those of feeding the whole stream at once (passthrough bytes may be
//!   split differently, so consecutive passthrough events are joined before comparing);
//! - event invariants: error line numbers are 1-based, borrowed lines respect the line limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxlink_proto::{EnterPolicy, Event, Parser, ParserConfig};

/// An event in owned form, comparable across runs.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Passthrough(Vec<u8>),
    Other(String),
}

struct Recorder {
    seen: Vec<Seen>,
    max_line_len: usize,
}

impl Recorder {
    fn push(&mut self, ev: Event<'_>) {
        match ev {
            Event::Passthrough(bytes) => {
                if let Some(Seen::Passthrough(last)) = self.seen.last_mut() {
                    last.extend_from_slice(bytes);
                } else {
                    self.seen.push(Seen::Passthrough(bytes.to_vec()));
                }
            }
            other => {
                if let Event::Error {
                    line_number, line, ..
                } = &other
                {
                    assert!(*line_number >= 1, "line numbers are 1-based: {other:?}");
                    assert!(
                        line.len() <= self.max_line_len + 2,
                        "error line longer than the limit: {}",
                        line.len()
                    );
                }
                if let Event::Unknown { line } = &other {
                    assert!(line.len() <= self.max_line_len + 2);
                }
                self.seen.push(Seen::Other(format!("{other:?}")));
            }
        }
    }
}

/// A tiny deterministic generator for cut points.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

fn config(mode: u8) -> ParserConfig {
    let mut cfg = ParserConfig::default();
    cfg.host_stream = mode & 1 != 0;
    cfg.enter_policy = match (mode >> 1) & 3 {
        0 | 1 => EnterPolicy::Accept,
        2 => EnterPolicy::Refuse,
        _ => EnterPolicy::Ask,
    };
    if mode & 8 != 0 {
        // Tight limits make the too-long paths reachable with small inputs.
        cfg.max_line_len = 32;
        cfg.max_block_len = 64;
    }
    cfg
}

/// Feeds `chunks` and returns what came out. Under `EnterPolicy::Ask` the DCS decision is
/// `accept` (the same for both runs).
fn run<'a>(cfg: &ParserConfig, accept: bool, chunks: impl Iterator<Item = &'a [u8]>) -> Vec<Seen> {
    let mut parser = Parser::with_config(cfg.clone());
    let mut rec = Recorder {
        seen: Vec::new(),
        max_line_len: cfg.max_line_len,
    };
    for chunk in chunks {
        let mut rest = chunk;
        loop {
            let used = parser.feed(rest, |ev| rec.push(ev));
            assert!(used <= rest.len());
            if used == rest.len() {
                break;
            }
            assert!(
                parser.enter_pending(),
                "feed stopped short with no decision pending"
            );
            if accept {
                parser.accept_enter(|ev| rec.push(ev));
            } else {
                parser.refuse_enter(|ev| rec.push(ev));
            }
            rest = &rest[used..];
        }
    }
    parser.finish(|ev| rec.push(ev));
    rec.seen
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let mode = data[0];
    let seed = u32::from_le_bytes([data[1], data[2], data[3], data[4]]) | 1;
    let stream = &data[5..];
    let cfg = config(mode);
    let accept = mode & 16 != 0;

    let whole = run(&cfg, accept, std::iter::once(stream));

    // Cut points: mostly small pieces (1..=16 bytes) so that every boundary case
    // (inside `\r\n`, inside an escape, inside the DCS) is hit, sometimes large ones.
    let mut rng = XorShift(seed);
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let r = rng.next();
        let len = if r & 0x100 != 0 {
            1 + (r as usize % 16)
        } else {
            1 + (r as usize % 4096)
        };
        let end = (at + len).min(stream.len());
        cuts.push(&stream[at..end]);
        at = end;
    }
    let chunked = run(&cfg, accept, cuts.into_iter());
    assert_eq!(whole, chunked, "chunked feeding changed the events");

    // One byte at a time, for short inputs (cheap enough there).
    if stream.len() <= 512 {
        let bytewise = run(&cfg, accept, stream.chunks(1));
        assert_eq!(whole, bytewise, "byte-by-byte feeding changed the events");
    }
});

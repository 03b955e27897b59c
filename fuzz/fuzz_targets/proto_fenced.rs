//! Arbitrary pane lines inside fenced captures, in a stream modelled on what tmux writes for
//! a line built by `fenced_line` (blocks numbered from one counter, the rest of a line skipped
//! after an `%error`, a hook's flags-0 block after each command, notifications between a
//! failed capture and a late closing fence), cut into arbitrary chunks.
//!
//! Input layout: byte 0 picks the shape (captures, which command fails, hooks, a gap, tight
//! limits), bytes 1..=4 seed the chunk cutter, the rest are the pane's lines (split at `\n`,
//! dealt to the captures in turn). Checks:
//! - nothing panics;
//! - the events equal those of feeding the whole stream at once;
//! - nothing from a pane comes out as anything but the text of its capture's reply: every
//!   event is a reply to a command of the line (a capture's holds exactly its lines, or a
//!   prefix of them when the limit cut it), a hook's reply, the model's own two
//!   notifications, or a limit error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muxlink_proto::command::{self, fenced_line, CapturePane, FencedLine, LinePart, Target};
use muxlink_proto::{Event, PaneId, Parser, ParserConfig, ProtoError};

const HOOK: &[u8] = b"hook";

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Reply {
        number: u64,
        flags: u32,
        ok: bool,
        body: Vec<u8>,
    },
    Error(ProtoError),
    Other(String),
}

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

/// Writes a block, returns its number.
fn block(out: &mut Vec<u8>, number: &mut u64, flags: u32, ok: bool, body: &[&[u8]]) -> u64 {
    *number += 1;
    let n = *number;
    out.extend_from_slice(format!("%begin 1 {n} {flags}\n").as_bytes());
    for l in body {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    let end = if ok { "end" } else { "error" };
    out.extend_from_slice(format!("%{end} 1 {n} {flags}\n").as_bytes());
    n
}

/// The model's stream, and for every command run (not fences): its number, whether it
/// succeeded, and its body.
fn stream(
    fl: &FencedLine,
    bodies: &[Vec<&[u8]>],
    failing: Option<usize>,
    hook: bool,
    gap: bool,
) -> (Vec<u8>, Vec<(u64, bool, Vec<u8>)>) {
    let nonces: Vec<String> = fl.plan().nonces().map(|n| n.to_string()).collect();
    let mut out = Vec::new();
    let mut number = 0;
    let mut ran = Vec::new();
    let text = fl.line().to_string();
    let mut index = 0;
    for cmd in text.split(" ; ") {
        let mut failed = false;
        match nonces.iter().find(|n| cmd.contains(&n[..])) {
            Some(n) => {
                block(&mut out, &mut number, 1, true, &[n.as_bytes()]);
            }
            None => {
                let (ok, body): (bool, Vec<&[u8]>) = if failing == Some(index) {
                    (false, vec![b"can't find pane: %1"])
                } else if index == 0 {
                    (true, vec![b"%1\t80"])
                } else {
                    (true, bodies[index - 1].clone())
                };
                let n = block(&mut out, &mut number, 1, ok, &body);
                ran.push((n, ok, body.join(&b"\n"[..])));
                failed = !ok;
                index += 1;
            }
        }
        if hook {
            block(&mut out, &mut number, 0, true, &[HOOK]);
        }
        if failed {
            break;
        }
    }
    if gap {
        out.extend_from_slice(b"%window-add @5\n");
    }
    let close = nonces.last().unwrap();
    block(&mut out, &mut number, 1, true, &[close.as_bytes()]);
    out.extend_from_slice(b"%sessions-changed\n");
    (out, ran)
}

fn run<'a>(
    cfg: &ParserConfig,
    fl: &FencedLine,
    chunks: impl Iterator<Item = &'a [u8]>,
) -> Vec<Seen> {
    let mut parser = Parser::with_config(cfg.clone());
    parser.expect_fences(fl.plan().clone());
    let mut seen = Vec::new();
    let mut sink = |ev: Event<'_>| {
        seen.push(match ev {
            Event::Reply(r) => Seen::Reply {
                number: r.number,
                flags: r.flags,
                ok: r.ok,
                body: r.body.to_vec(),
            },
            Event::Error { error, .. } => Seen::Error(error),
            other => Seen::Other(format!("{other:?}")),
        })
    };
    for c in chunks {
        parser.feed(c, &mut sink);
    }
    parser.finish(&mut sink);
    seen
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let shape = data[0];
    let seed = u32::from_le_bytes([data[1], data[2], data[3], data[4]]) | 1;
    let captures = 1 + usize::from(shape & 3) % 3;
    let failing = match (shape >> 2) & 7 {
        f @ 0..=3 => Some(usize::from(f)).filter(|&f| f <= captures),
        _ => None,
    };
    let hook = shape & 0x20 != 0;
    let gap = shape & 0x40 != 0;
    let tight = shape & 0x80 != 0;

    let mut n = 0u8;
    let mut nonces = || {
        n = n.wrapping_add(1);
        [n; 16]
    };
    let mut parts = vec![LinePart::Plain(
        command::display_message(Some(Target::Pane(PaneId(1))), b"#{pane_id}").unwrap(),
    )];
    for _ in 0..captures {
        parts.push(LinePart::Fenced(CapturePane::new(PaneId(1)).build()));
    }
    let fl = fenced_line(&parts, &mut nonces).unwrap();
    let forbidden: Vec<String> = fl.plan().nonces().map(|n| n.to_string()).collect();

    // The pane's lines: a pane cannot know the nonces, and framing drops a final `\r`.
    let mut bodies: Vec<Vec<&[u8]>> = vec![Vec::new(); captures];
    for (i, mut line) in data[5..].split(|&b| b == b'\n').enumerate() {
        while let Some((b'\r', rest)) = line.split_last() {
            line = rest;
        }
        if forbidden.iter().any(|f| f.as_bytes() == line) {
            continue;
        }
        bodies[i % captures].push(line);
    }
    let (input, ran) = stream(&fl, &bodies, failing, hook, gap);

    let mut cfg = ParserConfig::default();
    if tight {
        cfg.max_block_len = 96;
    }
    let whole = run(&cfg, &fl, std::iter::once(&input[..]));

    let mut rng = XorShift(seed);
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < input.len() {
        let r = rng.next();
        let len = if r & 0x100 != 0 {
            1 + (r as usize % 16)
        } else {
            1 + (r as usize % 2048)
        };
        let end = (at + len).min(input.len());
        cuts.push(&input[at..end]);
        at = end;
    }
    assert_eq!(
        whole,
        run(&cfg, &fl, cuts.into_iter()),
        "chunking changed the events"
    );

    let mut expected = ran.iter();
    for ev in &whole {
        match ev {
            Seen::Reply { flags: 0, body, .. } => assert_eq!(body, HOOK),
            Seen::Reply {
                number, ok, body, ..
            } => {
                let (n, want_ok, want) = expected.next().expect("a reply per command run");
                assert_eq!((number, ok), (n, want_ok), "{whole:?}");
                if want.len() <= cfg.max_block_len {
                    assert_eq!(body, want);
                } else {
                    assert!(tight && want.starts_with(body));
                }
            }
            Seen::Error(
                ProtoError::BlockTooLong { .. }
                | ProtoError::FencedTailDropped { .. }
                | ProtoError::UnterminatedBlock { .. },
            ) => assert!(tight, "{ev:?}"),
            Seen::Other(s) => assert!(
                s == "SessionsChanged" || s == "WindowAdd { window: WindowId(5) }",
                "a pane line came out as {s}"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(expected.next().is_none(), "a reply is missing: {whole:?}");
    if !tight {
        assert_eq!(whole.last(), Some(&Seen::Other("SessionsChanged".into())));
    }
});

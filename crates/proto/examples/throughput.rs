//! Rough parser throughput on synthetic and recorded workloads (a sanity check while
//! developing; the benchmark suite proper lives in crates/proto/benches and muxlink-bench).
//!
//! `cargo run --release -p muxlink-proto --example throughput`

use std::hint::black_box;
use std::time::Instant;

use muxlink_proto::{Event, Parser};

fn plain(line_len: usize, total: usize) -> Vec<u8> {
    let text: Vec<u8> = (0..line_len)
        .map(|i| b"abcdefghij klmnopqrstuvwxyz"[i % 27])
        .collect();
    let mut s = Vec::with_capacity(total + line_len);
    while s.len() < total {
        s.extend_from_slice(b"%output %12 ");
        s.extend_from_slice(&text);
        s.push(b'\n');
    }
    s
}

fn escaped(total: usize) -> Vec<u8> {
    // Colour-heavy output as tmux escapes it: ESC as \033, CR LF as \015\012.
    let unit = b"\\033[38;5;196mred\\033[0m \\033[1;32mgreen\\033[0m x\\015\\012";
    let mut s = Vec::with_capacity(total + 4096);
    while s.len() < total {
        s.extend_from_slice(b"%output %3 ");
        for _ in 0..40 {
            s.extend_from_slice(unit);
        }
        s.push(b'\n');
    }
    s
}

/// Best of 7 timed runs of ~128 MB each (the machine is shared: the best run is the least
/// disturbed one).
fn measure(name: &str, input: &[u8], chunk: usize) {
    let mut parser = Parser::new();
    let mut sum = 0usize;
    let rounds = (128usize << 20).div_ceil(input.len()).max(1);
    let mut best = f64::MAX;
    for _ in 0..8 {
        let start = Instant::now();
        for _ in 0..rounds {
            for c in input.chunks(chunk) {
                parser.feed(black_box(c), |ev| match ev {
                    Event::Output { data, .. } | Event::ExtendedOutput { data, .. } => {
                        sum += black_box(data).len()
                    }
                    _ => sum += 1,
                });
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mb = (input.len() * rounds) as f64 / 1e6;
    println!(
        "{name:<36} chunk {chunk:>7}: {:>8.0} MB/s  ({sum})",
        mb / best
    );
}

fn main() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let flood = std::fs::read(format!("{fixtures}tmux-3.3a-flood.stream")).unwrap();
    let vim = std::fs::read(format!("{fixtures}tmux-3.3a-vim.stream")).unwrap();
    let windows = std::fs::read(format!("{fixtures}tmux-3.3a-windows.stream")).unwrap();
    let mut mixed = Vec::new();
    while mixed.len() < 8 << 20 {
        mixed.extend_from_slice(&vim);
        mixed.extend_from_slice(&windows);
    }
    let workloads: Vec<(&str, Vec<u8>)> = vec![
        ("plain %output, 80-byte lines", plain(80, 16 << 20)),
        ("plain %output, 1 KiB lines", plain(1024, 16 << 20)),
        ("plain %output, 4 KiB lines", plain(4096, 16 << 20)),
        ("escape-heavy %output (synthetic)", escaped(16 << 20)),
        ("recorded flood (seq, \\012 escapes)", flood),
        ("recorded mixed (vim + windows)", mixed),
    ];
    // `throughput once N`: parse workload N a single time (for instruction counting under
    // `valgrind --tool=callgrind`, which a loaded machine does not disturb).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("once") {
        let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
        let (name, input) = &workloads[n];
        let mut parser = Parser::new();
        let mut sum = 0usize;
        for c in input.chunks(65536) {
            parser.feed(black_box(c), |ev| {
                if let Event::Output { data, .. } = ev {
                    sum += black_box(data).len()
                }
            });
        }
        println!("{name}: {} bytes ({sum})", input.len());
        return;
    }
    for chunk in [65536, 1 << 20] {
        for (name, input) in &workloads {
            measure(name, input, chunk);
        }
    }
}

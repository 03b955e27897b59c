//! Criterion: the `emulator` workloads through muxlink's terminal, alacritty_terminal and vt100
//! at 80x24 with a 2000-line history, throughput in bytes.
//! `cargo bench -p muxlink-bench --bench emulator`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use muxlink_bench::groups::emulator::subjects;
use muxlink_bench::workloads::{default_dir, load, SPECS};

fn emulator(c: &mut Criterion) {
    let dir = default_dir();
    for spec in SPECS.iter().filter(|s| s.group == "emulator") {
        let w = load(&dir, spec).expect("workload");
        let mut g = c.benchmark_group(format!("emulator/{}", spec.name));
        g.throughput(Throughput::Bytes(w.bytes.len() as u64));
        g.sample_size(10);
        for mut s in subjects(80, 24) {
            g.bench_function(BenchmarkId::from_parameter(s.name()), |b| {
                b.iter(|| {
                    s.reset();
                    s.feed(&w.bytes)
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, emulator);
criterion_main!(benches);

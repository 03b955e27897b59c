//! Criterion: the `proto` workloads through muxlink's parser and termwiz's, throughput in bytes.
//! `cargo bench -p muxlink-bench --bench proto`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use muxlink_bench::groups::proto::{Muxlink, Termwiz};
use muxlink_bench::measure::Subject;
use muxlink_bench::workloads::{default_dir, load, SPECS};

fn proto(c: &mut Criterion) {
    let dir = default_dir();
    for spec in SPECS.iter().filter(|s| s.group == "proto") {
        let w = load(&dir, spec).expect("workload");
        let mut g = c.benchmark_group(format!("proto/{}", spec.name));
        g.throughput(Throughput::Bytes(w.bytes.len() as u64));
        g.sample_size(10);
        let subjects: Vec<Box<dyn Subject>> =
            vec![Box::new(Muxlink::new()), Box::new(Termwiz::new())];
        for mut s in subjects {
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

criterion_group!(benches, proto);
criterion_main!(benches);

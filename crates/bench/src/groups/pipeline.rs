//! `pipeline`: control streams through the whole client (parse, session model, pane
//! emulators, frame building) to a host that only counts what it is handed, beside the
//! emulators alone doing the same emulation.
//!
//! The client runs in grid mode with the handshake off (it only decodes, as `muxlink replay`
//! does). A sample feeds the stream in read-sized chunks ([`CHUNK`], the drive modes' read
//! size): `receive(chunk)`, then `flush_frames` (the end of a batch). Every round times one
//! pipeline sample and one sample of the same stream's emulator work alone
//! ([`super::pane_ops`]: the same unescaped bytes in the same `%output`-sized pieces, the
//! same pane sizes, creations, resizes and drops, on bare terminals), in alternating order.
//! Reported per workload:
//!
//! - `mb_per_s`: stream bytes per second at the median sample (the suite's clock: thread CPU
//!   time by default);
//! - `output_mb_per_s`: pane output (the unescaped `%output` bytes) per second through the
//!   pipeline, at its median; `emulator_mb_per_s`: the same bytes through the emulators
//!   alone, at theirs; `vs_emulator` = `output_mb_per_s / emulator_mb_per_s` (target at
//!   least 0.8): what parsing, unescaping, the session model and frames leave of the
//!   emulator's speed. Both sides' final screens are compared before timing;
//! - `notifications_per_s`: the events the protocol parser makes of the stream (every
//!   `%output`, layout change, reply block, ...; counted once, untimed, with the same
//!   chunking) per second at the median sample;
//! - `p99_frame_us`: per batch, the wall time from the moment `receive` of the batch's last
//!   chunk returned to the return of `flush_frames`, i.e. of the last frame callback
//!   (99th percentile over every batch of every sample, HDR histogram). Wall time, because
//!   this is the latency a host sees.
//!
//! Workloads: recorded by `workloads/pipeline/record.sh` (tmux 3.3a), derived from a
//! recording (`many_panes_steady`), or generated ([`crate::gen::keystrokes`]); see [`SPECS`].

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use hdrhistogram::Histogram;
use muxlink_runtime::{Client, ClientConfig, ClientEvent, Frame, Host};
use serde_json::Value;

use super::pane_ops::Script;
use super::{round2, Context, Group, Row, CHUNK};
use crate::measure::{Budget, Measurement};
use crate::workloads::MIN_SAMPLE_BYTES;

/// Where a workload's stream comes from.
#[derive(Clone, Copy, Debug)]
pub enum StreamSource {
    /// A recording under the workloads folder.
    Recorded(&'static str),
    /// A recording in steady state: the last layout of each of its windows first (every pane
    /// created once, at its final size), then all its `%output` lines.
    Steady(&'static str),
    /// Made by a seeded generator at load time.
    Generated(fn() -> Vec<u8>),
}

/// One control stream.
#[derive(Clone, Copy, Debug)]
pub struct StreamSpec {
    /// Workload name as reported.
    pub name: &'static str,
    /// Where the bytes come from.
    pub source: StreamSource,
    /// The recorded client size: panes that output before any layout names them get it.
    pub cols: u16,
    /// See `cols`.
    pub rows: u16,
    /// What it is.
    pub about: &'static str,
}

/// Target: pane output through the pipeline at least this share of the emulators' alone
/// (for these workloads).
pub const VS_EMULATOR: f64 = 0.8;
/// The workloads [`VS_EMULATOR`] applies to.
pub const VS_EMULATOR_WORKLOADS: &[&str] = &["flood", "vim", "many_panes", "many_panes_steady"];
/// Target: notifications per second through the pipeline, `keystrokes` workload.
pub const NOTIFICATIONS_PER_S: f64 = 1_000_000.0;
/// Target: 99th percentile of the frame latency below this, microseconds.
pub const P99_FRAME_US: f64 = 50.0;

/// Notifications in the `keystrokes` workload.
pub const KEYSTROKES: usize = 120_000;

fn keystrokes() -> Vec<u8> {
    crate::gen::keystrokes(KEYSTROKES)
}

/// The workloads, in report order.
pub const SPECS: &[StreamSpec] = &[
    StreamSpec {
        name: "flood",
        source: StreamSource::Recorded("pipeline/flood.stream"),
        cols: 120,
        rows: 40,
        about: "one 120x40 pane printing `seq 1 250000`",
    },
    StreamSpec {
        name: "vim",
        source: StreamSource::Recorded("pipeline/vim.stream"),
        cols: 120,
        rows: 40,
        about: "vim with syntax on paging, scrolling and searching two Rust files, then a split",
    },
    StreamSpec {
        name: "many_panes",
        source: StreamSource::Recorded("pipeline/many_panes.stream"),
        cols: 240,
        rows: 66,
        about: "24 tiled panes of a 240x66 window, all printing coloured ls, grep, seq \
                (split afresh each repetition)",
    },
    StreamSpec {
        name: "many_panes_steady",
        source: StreamSource::Steady("pipeline/many_panes.stream"),
        cols: 240,
        rows: 66,
        about: "many_panes in steady state: the 24 panes created once, then their output",
    },
    StreamSpec {
        name: "keystrokes",
        source: StreamSource::Generated(keystrokes),
        cols: 160,
        rows: 48,
        about: "120,000 %output of 1..64 bytes in four panes: typed keys echoed, a spinner, \
                a progress bar, a test log",
    },
];

/// A loaded stream: the recording without its `%exit` line (so that it can be repeated and
/// read as one long session), repeated whole to at least [`MIN_SAMPLE_BYTES`].
#[derive(Clone, Debug)]
pub struct Stream {
    /// Which one.
    pub spec: StreamSpec,
    /// The recording once (without `%exit`).
    pub once: Vec<u8>,
    /// What one sample feeds.
    pub bytes: Vec<u8>,
}

/// Loads one stream from `dir`.
pub fn load(dir: &Path, spec: &StreamSpec) -> Result<Stream> {
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read(&path).with_context(|| {
            format!(
                "reading workload {} (run workloads/pipeline/record.sh?)",
                path.display()
            )
        })
    };
    let once = match spec.source {
        StreamSource::Recorded(file) => without_exit(&read(file)?),
        StreamSource::Steady(file) => steady(&without_exit(&read(file)?)),
        StreamSource::Generated(f) => f(),
    };
    if once.is_empty() {
        bail!("workload {} is empty", spec.name);
    }
    let repeats = MIN_SAMPLE_BYTES.div_ceil(once.len());
    Ok(Stream {
        spec: *spec,
        bytes: once.repeat(repeats),
        once,
    })
}

/// The last `%layout-change` of each window, then every `%output` line, in order.
pub fn steady(stream: &[u8]) -> Vec<u8> {
    let mut layouts: Vec<(&[u8], &[u8])> = Vec::new();
    let mut out = Vec::with_capacity(stream.len());
    for line in stream.split_inclusive(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"%layout-change ") {
            let window = rest.split(|&b| b == b' ').next().unwrap_or_default();
            match layouts.iter_mut().find(|(w, _)| *w == window) {
                Some(l) => l.1 = line,
                None => layouts.push((window, line)),
            }
        }
    }
    for (_, line) in &layouts {
        out.extend_from_slice(line);
    }
    out.extend_from_slice(&crate::gen::output_lines_only(stream));
    out
}

/// The stream without `%exit` lines (and without a last line cut short).
pub fn without_exit(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"%exit") || !line.ends_with(b"\n") {
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

/// The client every pipeline sample uses: grid mode, handshake off (decode only), the
/// recorded size.
pub fn client_config(spec: &StreamSpec) -> ClientConfig {
    ClientConfig::default()
        .with_size(spec.cols, spec.rows)
        .with_handshake(false)
}

/// Events the protocol parser makes of `bytes` fed in `chunk`-sized pieces.
pub fn count_notifications(bytes: &[u8], chunk: usize) -> u64 {
    let mut parser = muxlink_proto::Parser::new();
    let mut n = 0u64;
    for c in bytes.chunks(chunk) {
        parser.feed(c, |_| n += 1);
    }
    parser.finish(|_| n += 1);
    n
}

/// A host that does nothing with what it is handed but count it (so the calls happen and
/// the frame's borrowed data is looked at).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingHost {
    /// Frames delivered.
    pub frames: u64,
    /// Dirty rows in them.
    pub dirty_rows: u64,
    /// Events delivered.
    pub events: u64,
    /// Protocol errors among them (a recorded stream should have none).
    pub errors: u64,
}

impl Host for CountingHost {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        self.frames += 1;
        self.dirty_rows += frame.dirty_rows().len() as u64;
    }
    fn on_event(&mut self, event: &ClientEvent<'_>) {
        self.events += 1;
        if matches!(event, ClientEvent::ProtocolError { .. }) {
            self.errors += 1;
        }
    }
}

/// A fresh histogram for microsecond-scale latencies, in nanoseconds (1 ns .. 10 s).
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("static histogram bounds are valid")
}

/// One pass of `bytes` through a fresh client: `receive` per chunk, then `flush_frames`,
/// whose wall time (the frame latency of the batch) goes into `frame_ns`. Returns the host's
/// counts; the client is dropped untimed by the caller through `keep`.
pub fn run_once(
    spec: &StreamSpec,
    bytes: &[u8],
    chunk: usize,
    frame_ns: &mut Histogram<u64>,
    keep: &mut Option<Client>,
) -> CountingHost {
    let mut client = Client::new(client_config(spec));
    let mut host = CountingHost::default();
    for c in bytes.chunks(chunk) {
        let now = Instant::now();
        client.receive(c, now, &mut host);
        let t = Instant::now();
        client.flush_frames(now, &mut host);
        let ns = t.elapsed().as_nanos() as u64;
        frame_ns.saturating_record(ns.max(1));
    }
    // Dropping a client with 24 emulators is not part of the pipeline: hand it out.
    *keep = Some(client);
    host
}

/// What a measured workload gives.
#[derive(Clone, Debug)]
pub struct PipelineResult {
    /// Throughput samples (suite clock).
    pub measurement: Measurement,
    /// The emulators alone on the same work, samples sorted (suite clock).
    pub emulator: Vec<Duration>,
    /// Unescaped pane output bytes per sample.
    pub output_bytes: u64,
    /// Parser events per sample.
    pub notifications: u64,
    /// Batches (chunks) per sample.
    pub batches: u64,
    /// Host counts of the last sample.
    pub host: CountingHost,
    /// Frame latency over every batch of every measured sample, ns.
    pub frame_ns: Histogram<u64>,
}

impl PipelineResult {
    /// Pane output per second through the whole pipeline, MB/s at its median.
    pub fn output_mb_per_s(&self) -> f64 {
        per_second(self.output_bytes, self.measurement.median()) / 1e6
    }

    /// The same bytes through the emulators alone, MB/s at their median.
    pub fn emulator_mb_per_s(&self) -> f64 {
        per_second(self.output_bytes, self.emulator[self.emulator.len() / 2]) / 1e6
    }

    /// `output_mb_per_s / emulator_mb_per_s`.
    pub fn vs_emulator(&self) -> f64 {
        self.output_mb_per_s() / self.emulator_mb_per_s().max(1e-12)
    }
}

/// The emulator work of `stream`'s sample, checked against a client's result: both must
/// leave the same panes with the same screens.
pub fn emulator_script(stream: &Stream) -> Result<Script> {
    let spec = &stream.spec;
    let config = client_config(spec);
    let script = Script::derive(&stream.bytes, spec.cols, spec.rows, config.history_limit);
    let mut keep = None;
    run_once(
        spec,
        &stream.bytes,
        CHUNK,
        &mut latency_histogram(),
        &mut keep,
    );
    let client = keep.expect("run_once keeps its client");
    script
        .check(&script.run(), &client)
        .map_err(|e| anyhow::anyhow!("pipeline/{}: emulators alone differ: {e}", spec.name))?;
    Ok(script)
}

/// Measures one stream: warm-up, then rounds of one pipeline sample and one emulator
/// sample (in alternating order) until the budget is spent.
pub fn measure_stream(stream: &Stream, budget: Budget) -> Result<PipelineResult> {
    let script = emulator_script(stream)?;
    let mut frame_ns = latency_histogram();
    let mut keep = None;
    let mut host = CountingHost::default();
    for _ in 0..budget.warmup_rounds {
        host = run_once(&stream.spec, &stream.bytes, CHUNK, &mut frame_ns, &mut keep);
        keep = None;
        drop(script.run());
    }
    frame_ns.reset();
    let (mut samples, mut emulator) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while samples.len() < budget.max_rounds
        && (samples.len() < budget.min_rounds || start.elapsed() < budget.time)
    {
        let round = samples.len();
        for side in 0..2 {
            if (side + round) % 2 == 0 {
                let t = budget.clock.now();
                host = run_once(
                    &stream.spec,
                    black_box(&stream.bytes),
                    CHUNK,
                    &mut frame_ns,
                    &mut keep,
                );
                samples.push(t.elapsed());
                keep = None;
            } else {
                let t = budget.clock.now();
                let terms = black_box(&script).run();
                emulator.push(t.elapsed());
                // Dropping the terminals is not part of the sample (nor is the client's).
                drop(terms);
            }
        }
    }
    samples.sort_unstable();
    emulator.sort_unstable();
    Ok(PipelineResult {
        measurement: Measurement {
            name: "muxlink",
            bytes: stream.bytes.len(),
            samples,
            check: host.frames,
        },
        emulator,
        output_bytes: script.output_bytes() as u64,
        notifications: count_notifications(&stream.bytes, CHUNK),
        batches: stream.bytes.len().div_ceil(CHUNK) as u64,
        host,
        frame_ns,
    })
}

fn us(ns: u64) -> Value {
    round2(ns as f64 / 1000.0)
}

fn round3(x: f64) -> Value {
    Value::from((x * 1000.0).round() / 1000.0)
}

/// Per second, at a duration.
pub fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-12)
}

/// The `pipeline` group.
pub struct PipelineGroup;

impl Group for PipelineGroup {
    fn name(&self) -> &'static str {
        "pipeline"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        if ctx.only_impl.as_deref().is_some_and(|i| i != "muxlink") {
            return Ok(rows);
        }
        for spec in SPECS.iter().filter(|s| ctx.selected(s.name)) {
            let stream = load(&ctx.dir, spec)?;
            // p99 needs a few hundred batches even in `--quick` (about 1 s per workload).
            let mut budget = ctx.budget;
            budget.time = budget.time.max(Duration::from_secs(1));
            let r = measure_stream(&stream, budget)?;
            let m = &r.measurement;
            let mut row = Row::from_measurement("pipeline", spec.name, m);
            let e = &mut row.extra;
            e.insert("output_mb_per_s".into(), round2(r.output_mb_per_s()));
            e.insert("emulator_mb_per_s".into(), round2(r.emulator_mb_per_s()));
            e.insert("vs_emulator".into(), round3(r.vs_emulator()));
            e.insert("output_bytes".into(), Value::from(r.output_bytes));
            e.insert(
                "notifications_per_s".into(),
                Value::from(per_second(r.notifications, m.median()).round()),
            );
            e.insert(
                "p99_frame_us".into(),
                us(r.frame_ns.value_at_quantile(0.99)),
            );
            e.insert("p50_frame_us".into(), us(r.frame_ns.value_at_quantile(0.5)));
            e.insert("max_frame_us".into(), us(r.frame_ns.max()));
            e.insert("notifications".into(), Value::from(r.notifications));
            e.insert("batches".into(), Value::from(r.batches));
            e.insert("frames".into(), Value::from(r.host.frames));
            e.insert("chunk_bytes".into(), Value::from(CHUNK));
            let notifications_per_s = per_second(r.notifications, m.median());
            let p99_us = r.frame_ns.value_at_quantile(0.99) as f64 / 1000.0;
            let mut targets = vec![("p99_frame_us", p99_us, P99_FRAME_US, false)];
            if VS_EMULATOR_WORKLOADS.contains(&spec.name) {
                targets.push(("vs_emulator", r.vs_emulator(), VS_EMULATOR, true));
            }
            if spec.name == "keystrokes" {
                targets.push((
                    "notifications_per_s",
                    notifications_per_s,
                    NOTIFICATIONS_PER_S,
                    true,
                ));
            }
            let mut verdicts = serde_json::Map::new();
            for (what, measured, wanted, at_least) in targets {
                let met = if at_least {
                    measured >= wanted
                } else {
                    measured < wanted
                };
                verdicts.insert(what.into(), Value::from(met));
                notes.push(format!(
                    "target pipeline/{}: {what} {measured:.3} ({} {wanted}) {}",
                    spec.name,
                    if at_least { ">=" } else { "<" },
                    if met { "met" } else { "MISSED" }
                ));
            }
            e.insert("targets_met".into(), Value::Object(verdicts));
            if r.host.errors > 0 {
                notes.push(format!(
                    "pipeline/{}: {} protocol errors in the recorded stream",
                    spec.name, r.host.errors
                ));
            }
            notes.push(format!(
                "pipeline/{}: pane output {:.1} MB/s through the pipeline, {:.1} MB/s through \
                 the emulators alone (vs_emulator {:.3}); {} notifications, {} batches, {} \
                 frames ({} dirty rows), frame p50 {:.2} us, p99 {:.2} us, max {:.2} us",
                spec.name,
                r.output_mb_per_s(),
                r.emulator_mb_per_s(),
                r.vs_emulator(),
                r.notifications,
                r.batches,
                r.host.frames,
                r.host.dirty_rows,
                r.frame_ns.value_at_quantile(0.5) as f64 / 1000.0,
                r.frame_ns.value_at_quantile(0.99) as f64 / 1000.0,
                r.frame_ns.max() as f64 / 1000.0,
            ));
            rows.push(row);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::default_dir;

    #[test]
    fn exit_lines_are_dropped_and_the_rest_kept() {
        let raw = b"%begin 1 2 0\n%end 1 2 0\n%output %0 a\\015\\012\n%exit\n%output %0 cut";
        assert_eq!(
            without_exit(raw),
            b"%begin 1 2 0\n%end 1 2 0\n%output %0 a\\015\\012\n".to_vec()
        );
    }

    #[test]
    fn the_flood_ends_on_tmux_last_line_and_makes_frames() {
        let spec = &SPECS[0];
        let stream = load(&default_dir(), spec).expect("committed stream");
        let mut h = latency_histogram();
        let mut keep = None;
        let host = run_once(spec, &stream.once, CHUNK, &mut h, &mut keep);
        assert_eq!(host.errors, 0);
        assert!(host.frames > 0 && host.frames <= stream.once.len().div_ceil(CHUNK) as u64);
        assert_eq!(h.len(), stream.once.len().div_ceil(CHUNK) as u64);
        let client = keep.expect("client kept");
        let pane = client.state().panes.values().next().expect("a pane");
        let screen = pane.screen_lines();
        assert!(
            screen.iter().any(|l| l == "250000"),
            "last seq line not on screen: {screen:?}"
        );
    }

    #[test]
    fn every_recorded_stream_decodes_without_errors_and_counts_notifications() {
        for spec in SPECS {
            let stream = load(&default_dir(), spec).expect("committed stream");
            let n = count_notifications(&stream.once, CHUNK);
            assert!(n > 100, "{}: {n} notifications", spec.name);
            // The count does not depend on where the chunks are cut.
            assert_eq!(n, count_notifications(&stream.once, 4096), "{}", spec.name);
            let mut h = latency_histogram();
            let mut keep = None;
            let host = run_once(spec, &stream.once, CHUNK, &mut h, &mut keep);
            assert_eq!(host.errors, 0, "{}", spec.name);
            assert!(host.frames > 0, "{}", spec.name);
        }
    }

    #[test]
    fn many_panes_has_more_than_twenty_panes() {
        let spec = SPECS.iter().find(|s| s.name == "many_panes").expect("spec");
        let stream = load(&default_dir(), spec).expect("committed stream");
        let mut h = latency_histogram();
        let mut keep = None;
        run_once(spec, &stream.once, CHUNK, &mut h, &mut keep);
        let client = keep.expect("client kept");
        assert!(
            client.state().panes.len() >= 20,
            "{}",
            client.state().panes.len()
        );
    }

    #[test]
    fn recorded_streams_stay_under_8_mib() {
        for spec in SPECS {
            let StreamSource::Recorded(file) = spec.source else {
                continue;
            };
            let len = std::fs::metadata(default_dir().join(file))
                .expect("committed stream")
                .len();
            assert!(len < 8 << 20, "{file} is {len} bytes");
        }
    }

    #[test]
    fn steady_many_panes_creates_every_pane_once() {
        let spec = SPECS
            .iter()
            .find(|s| s.name == "many_panes_steady")
            .expect("spec");
        let stream = load(&default_dir(), spec).expect("committed stream");
        let layouts = stream
            .once
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"%layout-change"))
            .count();
        assert_eq!(layouts, 1, "one window, one layout");
        // Twice through: the second pass creates nothing.
        let mut client = Client::new(client_config(spec));
        let mut host = CountingHost::default();
        let now = Instant::now();
        client.receive(&stream.once, now, &mut host);
        let panes = client.state().panes.len();
        assert_eq!(panes, 24);
        let mut adds = muxlink_runtime::EventQueue::new();
        client.receive(&stream.once, now, &mut adds);
        assert!(
            !adds.iter().any(|e| matches!(
                e,
                ClientEvent::PaneAdded { .. } | ClientEvent::PaneClosed { .. }
            )),
            "{adds:?}"
        );
    }

    #[test]
    fn keystrokes_has_enough_short_notifications() {
        let spec = SPECS.iter().find(|s| s.name == "keystrokes").expect("spec");
        let stream = load(&default_dir(), spec).expect("generated");
        // The layout line, then one notification per %output line.
        assert_eq!(
            count_notifications(&stream.once, CHUNK),
            KEYSTROKES as u64 + 1
        );
        const { assert!(KEYSTROKES >= 100_000) };
    }

    #[test]
    fn the_emulators_alone_do_the_pipeline_s_emulation() {
        for spec in SPECS {
            let mut stream = load(&default_dir(), spec).expect("stream");
            // One pass (and a second for the repeated streams) is enough here.
            stream.bytes = stream.once.repeat(2);
            let script = emulator_script(&stream).unwrap_or_else(|e| panic!("{e}"));
            assert!(script.feeds > 100, "{}", spec.name);
            assert!(script.output_bytes() > 0, "{}", spec.name);
        }
    }
}

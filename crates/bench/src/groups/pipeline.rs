//! `pipeline`: recorded `tmux -C` streams through the whole client (parse, session model,
//! pane emulators, frame building) to a host that only counts what it is handed.
//!
//! The client runs in grid mode with the handshake off (it only decodes, as `muxlink replay`
//! does). A sample feeds the stream in read-sized chunks ([`CHUNK`], the drive modes' read
//! size): `receive(chunk)`, then `flush_frames` (the end of a batch). Reported per workload:
//!
//! - `mb_per_s`: stream bytes per second at the median sample (the suite's clock: thread CPU
//!   time by default);
//! - `notifications_per_s`: the events the protocol parser makes of the stream (every
//!   `%output`, layout change, reply block, ...; counted once, untimed, with the same
//!   chunking) per second at the median sample;
//! - `p99_frame_us`: per batch, the wall time from the moment `receive` of the batch's last
//!   chunk returned to the return of `flush_frames`, i.e. of the last frame callback
//!   (99th percentile over every batch of every sample, HDR histogram). Wall time, because
//!   this is the latency a host sees.
//!
//! Workloads are recorded by `workloads/pipeline/record.sh` (tmux 3.3a); see [`SPECS`].

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use hdrhistogram::Histogram;
use muxlink_runtime::{Client, ClientConfig, ClientEvent, Frame, Host};
use serde_json::Value;

use super::{round2, Context, Group, Row, CHUNK};
use crate::measure::{Budget, Measurement};
use crate::workloads::MIN_SAMPLE_BYTES;

/// One recorded control stream.
#[derive(Clone, Copy, Debug)]
pub struct StreamSpec {
    /// Workload name as reported.
    pub name: &'static str,
    /// Path under the workloads folder.
    pub file: &'static str,
    /// The recorded client size: panes that output before any layout names them get it.
    pub cols: u16,
    /// See `cols`.
    pub rows: u16,
    /// What it is.
    pub about: &'static str,
}

/// The recorded streams, in report order.
pub const SPECS: &[StreamSpec] = &[
    StreamSpec {
        name: "flood",
        file: "pipeline/flood.stream",
        cols: 120,
        rows: 40,
        about: "one 120x40 pane printing `seq 1 250000`",
    },
    StreamSpec {
        name: "vim",
        file: "pipeline/vim.stream",
        cols: 120,
        rows: 40,
        about: "vim with syntax on paging, scrolling and searching two Rust files, then a split",
    },
    StreamSpec {
        name: "many_panes",
        file: "pipeline/many_panes.stream",
        cols: 240,
        rows: 66,
        about: "24 tiled panes of a 240x66 window, all printing coloured ls, grep, seq",
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

/// Loads one recorded stream from `dir`.
pub fn load(dir: &Path, spec: &StreamSpec) -> Result<Stream> {
    let path = dir.join(spec.file);
    let raw = std::fs::read(&path).with_context(|| {
        format!(
            "reading workload {} (run workloads/pipeline/record.sh?)",
            path.display()
        )
    })?;
    let once = without_exit(&raw);
    if once.is_empty() {
        bail!("workload {} is empty", path.display());
    }
    let repeats = MIN_SAMPLE_BYTES.div_ceil(once.len());
    Ok(Stream {
        spec: *spec,
        bytes: once.repeat(repeats),
        once,
    })
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
    /// Parser events per sample.
    pub notifications: u64,
    /// Batches (chunks) per sample.
    pub batches: u64,
    /// Host counts of the last sample.
    pub host: CountingHost,
    /// Frame latency over every batch of every measured sample, ns.
    pub frame_ns: Histogram<u64>,
}

/// Measures one stream: warm-up, then samples until the budget is spent.
pub fn measure_stream(stream: &Stream, budget: Budget) -> PipelineResult {
    let mut frame_ns = latency_histogram();
    let mut keep = None;
    let mut host = CountingHost::default();
    for _ in 0..budget.warmup_rounds {
        host = run_once(&stream.spec, &stream.bytes, CHUNK, &mut frame_ns, &mut keep);
        keep = None;
    }
    frame_ns.reset();
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < budget.max_rounds
        && (samples.len() < budget.min_rounds || start.elapsed() < budget.time)
    {
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
    }
    samples.sort_unstable();
    PipelineResult {
        measurement: Measurement {
            name: "muxlink",
            bytes: stream.bytes.len(),
            samples,
            check: host.frames,
        },
        notifications: count_notifications(&stream.bytes, CHUNK),
        batches: stream.bytes.len().div_ceil(CHUNK) as u64,
        host,
        frame_ns,
    }
}

fn us(ns: u64) -> Value {
    round2(ns as f64 / 1000.0)
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
            let r = measure_stream(&stream, budget);
            let m = &r.measurement;
            let mut row = Row::from_measurement("pipeline", spec.name, m);
            let e = &mut row.extra;
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
            if r.host.errors > 0 {
                notes.push(format!(
                    "pipeline/{}: {} protocol errors in the recorded stream",
                    spec.name, r.host.errors
                ));
            }
            notes.push(format!(
                "pipeline/{}: {} notifications, {} batches, {} frames ({} dirty rows), \
                 frame p50 {:.2} us, p99 {:.2} us, max {:.2} us",
                spec.name,
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
            let len = std::fs::metadata(default_dir().join(spec.file))
                .expect("committed stream")
                .len();
            assert!(len < 8 << 20, "{} is {len} bytes", spec.file);
        }
    }
}

//! `router`: what the host-loop indirection costs. The same recorded stream is pumped through
//! a [`Connection`] twice: once by calling `Connection::on_ready` directly (the baseline), once
//! through a [`Router`] over a [`NullBackend`] (`Router::on_ready(token, ..)`: slab lookup,
//! counters, watch and timer bookkeeping, the sampled latency histogram). Both read the stream
//! from a [`MemoryTransport`] one [`DISPATCH_CHUNK`] per readiness (like a pipe), so both make
//! the same number of dispatches and do the same client work (runtime-drive's unit test in
//! `router.rs` checks they deliver the same events and frames).
//!
//! Timing: rounds of three fresh runs of the whole stream (direct, routed, and direct again),
//! in an order that rotates every round, each timed on the suite's clock (thread CPU time
//! by default) from the first dispatch to the connection's end. `overhead_pct` =
//! (min routed - min direct) / min direct * 100 over N rounds: min-of-N, because on a shared
//! machine noise only ever adds time. Beside it:
//! - `noise_pct`: the same between the two direct sets (an A/A check): how far apart this
//!   method puts two identical sides on this machine. An `overhead_pct` inside it is noise.
//! - `overhead_pct_model`: the pure per-dispatch indirection (empty readiness, many
//!   dispatches, min of several batches: `indirection_ns`) times the run's dispatch count,
//!   over the direct run's time. Precise where whole runs are not.
//!
//! Reported per workload: `mb_per_s` and `ops_per_s` (dispatches per second) of the routed
//! runs at their median, `overhead_pct`, `noise_pct`, `overhead_pct_model`,
//! `direct_mb_per_s`, `dispatches`, `indirection_ns` and the router's own
//! `p99_dispatch_us` (its sampled histogram).

use std::hint::black_box;
use std::time::Duration;
use std::time::Instant;

use anyhow::{anyhow, Result};
use muxlink_runtime::drive::{Connection, Readiness};
use muxlink_runtime::router::Router;
use muxlink_runtime::testing::{MemoryTransport, NullBackend};
use muxlink_runtime::transport::Pipe;
use muxlink_runtime::{Client, NoopHost};
use serde_json::Value;

use super::pipeline::{self, client_config, Stream, StreamSpec};
use super::{round2, Context, Group, Row};
use crate::measure::Budget;

/// Target: the router's indirection below this share of the run, percent (by the
/// per-dispatch model; the timed comparison is reported beside it with its noise).
pub const OVERHEAD_PCT: f64 = 0.5;

/// Bytes a dispatch reads: a typical pipe read from tmux under load. Smaller chunks mean more
/// dispatches for the same work, so the indirection weighs more.
pub const DISPATCH_CHUNK: usize = 4096;

/// One timed end-to-end run.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Time from the first dispatch to the end (suite clock).
    pub time: Duration,
    /// Dispatches made.
    pub dispatches: u64,
}

fn connection(spec: &StreamSpec, bytes: &[u8]) -> Connection {
    Connection::new(
        Client::new(client_config(spec)),
        MemoryTransport::chunk_per_ready(bytes.to_vec(), DISPATCH_CHUNK),
    )
}

/// Pumps `bytes` through a connection by direct calls.
pub fn run_direct(spec: &StreamSpec, bytes: &[u8], budget: &Budget) -> Run {
    let mut conn = connection(spec, bytes);
    let mut host = NoopHost;
    let mut n = 0u64;
    let t = budget.clock.now();
    while !conn.is_finished() {
        conn.on_ready(Pipe::Output, Readiness::READABLE, Instant::now(), &mut host);
        n += 1;
    }
    let time = t.elapsed();
    black_box(&conn);
    Run {
        time,
        dispatches: n,
    }
}

/// Pumps `bytes` through a connection owned by a router over a backend that watches nothing.
/// Returns the run and the router (for its counters and histogram).
pub fn run_routed(
    spec: &StreamSpec,
    bytes: &[u8],
    budget: &Budget,
) -> Result<(Run, Router<NullBackend, NoopHost>)> {
    let mut router = Router::new(NullBackend::new());
    let key = router.add(connection(spec, bytes), NoopHost)?;
    let token = Router::<NullBackend, NoopHost>::token(key, Pipe::Output);
    let t = budget.clock.now();
    while router.live() > 0 {
        router.on_ready(token, Readiness::READABLE);
    }
    let time = t.elapsed();
    let dispatches = router.stats().ready;
    Ok((Run { time, dispatches }, router))
}

/// Nanoseconds per dispatch that does no client work (empty readiness), direct and routed:
/// the minimum over `batches` batches of `per_batch` dispatches each.
pub fn empty_dispatch_ns(spec: &StreamSpec, per_batch: u32, batches: u32) -> Result<(f64, f64)> {
    let mut conn = connection(spec, b"%output %0 x\n");
    let mut host = NoopHost;
    let mut router = Router::new(NullBackend::new());
    let key = router.add(connection(spec, b"%output %0 x\n"), NoopHost)?;
    let token = Router::<NullBackend, NoopHost>::token(key, Pipe::Output);
    let (mut direct, mut routed) = (f64::MAX, f64::MAX);
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..per_batch {
            conn.on_ready(
                Pipe::Output,
                Readiness::default(),
                Instant::now(),
                &mut host,
            );
        }
        direct = direct.min(t.elapsed().as_nanos() as f64 / f64::from(per_batch));
        let t = Instant::now();
        for _ in 0..per_batch {
            router.on_ready(token, Readiness::default());
        }
        routed = routed.min(t.elapsed().as_nanos() as f64 / f64::from(per_batch));
    }
    if conn.is_finished() || router.live() != 1 {
        return Err(anyhow!("empty dispatches changed the connection"));
    }
    Ok((direct, routed))
}

/// The result of one workload.
#[derive(Clone, Debug)]
pub struct RouterResult {
    /// Direct runs, sorted by time.
    pub direct: Vec<Run>,
    /// Routed runs, sorted by time.
    pub routed: Vec<Run>,
    /// The second set of direct runs (A/A check), sorted by time.
    pub again: Vec<Run>,
    /// Router p99 dispatch latency (ns) of the last routed run.
    pub p99_dispatch_ns: u64,
    /// Stream bytes per run.
    pub bytes: usize,
}

fn pct(base: Duration, other: Duration) -> f64 {
    let b = base.as_secs_f64();
    (other.as_secs_f64() - b) / b.max(1e-12) * 100.0
}

impl RouterResult {
    /// (min routed - min direct) / min direct, in percent.
    pub fn overhead_pct(&self) -> f64 {
        pct(self.direct[0].time, self.routed[0].time)
    }

    /// The same between the two sets of direct runs: how far apart the method puts two
    /// identical sides (its noise floor here).
    pub fn noise_pct(&self) -> f64 {
        pct(self.direct[0].time, self.again[0].time)
    }
}

fn median(runs: &[Run]) -> Duration {
    runs[runs.len() / 2].time
}

/// Rounds of three runs (direct, routed, direct again) in a rotating order until `time` is
/// spent (at least `min_rounds`, at most `max_rounds`).
pub fn measure_stream(
    stream: &Stream,
    budget: &Budget,
    min_rounds: usize,
    max_rounds: usize,
    time: Duration,
) -> Result<RouterResult> {
    let spec = &stream.spec;
    // Warm-up: one of each.
    run_direct(spec, &stream.bytes, budget);
    run_routed(spec, &stream.bytes, budget)?;
    let (mut direct, mut routed, mut again) = (Vec::new(), Vec::new(), Vec::new());
    let mut p99 = 0;
    let start = Instant::now();
    let mut i = 0;
    while i < max_rounds && (i < min_rounds || start.elapsed() < time) {
        // Rotate the order so that no side always runs first, second or third.
        for slot in 0..3 {
            match (slot + i) % 3 {
                0 => direct.push(run_direct(spec, &stream.bytes, budget)),
                1 => {
                    let (run, router) = run_routed(spec, &stream.bytes, budget)?;
                    p99 = router.latency().p99.as_nanos() as u64;
                    routed.push(run);
                }
                _ => again.push(run_direct(spec, &stream.bytes, budget)),
            }
        }
        i += 1;
    }
    if let Some((d, r)) = direct
        .iter()
        .zip(&routed)
        .find(|(d, r)| d.dispatches != r.dispatches)
    {
        return Err(anyhow!(
            "router/{}: {} direct dispatches but {} routed",
            spec.name,
            d.dispatches,
            r.dispatches
        ));
    }
    direct.sort_by_key(|r| r.time);
    routed.sort_by_key(|r| r.time);
    again.sort_by_key(|r| r.time);
    Ok(RouterResult {
        direct,
        routed,
        again,
        p99_dispatch_ns: p99,
        bytes: stream.bytes.len(),
    })
}

/// The `router` group.
pub struct RouterGroup;

impl Group for RouterGroup {
    fn name(&self) -> &'static str {
        "router"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        if ctx.only_impl.as_deref().is_some_and(|i| i != "muxlink") {
            return Ok(rows);
        }
        let quick = super::soak::is_quick(&ctx.budget);
        let (min_rounds, max_rounds, time) = if quick {
            (6, 40, Duration::from_millis(1200))
        } else {
            (20, 400, Duration::from_secs(8))
        };
        for spec in pipeline::SPECS.iter().filter(|s| ctx.selected(s.name)) {
            let stream = pipeline::load(&ctx.dir, spec)?;
            let r = measure_stream(&stream, &ctx.budget, min_rounds, max_rounds, time)?;
            let dispatches = r.routed[0].dispatches;
            let (direct_ns, routed_ns) = empty_dispatch_ns(spec, 200_000, 7)?;
            let indirection_ns = (routed_ns - direct_ns).max(0.0);
            let direct_min = r.direct[0].time.as_secs_f64();
            let model_pct = indirection_ns * dispatches as f64 / 1e9 / direct_min * 100.0;
            let routed_median = median(&r.routed);
            let mut row = Row {
                group: "router",
                workload: spec.name.to_string(),
                impl_name: "muxlink",
                mb_per_s: pipeline::per_second(r.bytes as u64, routed_median) / 1e6,
                extra: serde_json::Map::new(),
            };
            let e = &mut row.extra;
            e.insert(
                "ops_per_s".into(),
                Value::from(pipeline::per_second(dispatches, routed_median).round()),
            );
            e.insert("overhead_pct".into(), round3(r.overhead_pct()));
            e.insert("noise_pct".into(), round3(r.noise_pct()));
            e.insert("overhead_pct_model".into(), round3(model_pct));
            let met = model_pct < OVERHEAD_PCT;
            e.insert("overhead_met".into(), Value::from(met));
            notes.push(format!(
                "target router/{}: overhead_pct_model {model_pct:.3} (< {OVERHEAD_PCT}) {}",
                spec.name,
                if met { "met" } else { "MISSED" }
            ));
            e.insert(
                "direct_mb_per_s".into(),
                round2(pipeline::per_second(r.bytes as u64, median(&r.direct)) / 1e6),
            );
            e.insert(
                "best_mb_per_s".into(),
                round2(pipeline::per_second(r.bytes as u64, r.routed[0].time) / 1e6),
            );
            e.insert("dispatches".into(), Value::from(dispatches));
            e.insert("rounds".into(), Value::from(r.routed.len()));
            e.insert("bytes".into(), Value::from(r.bytes));
            e.insert("chunk_bytes".into(), Value::from(DISPATCH_CHUNK));
            e.insert("indirection_ns".into(), round2(indirection_ns));
            e.insert(
                "p99_dispatch_us".into(),
                round2(r.p99_dispatch_ns as f64 / 1000.0),
            );
            notes.push(format!(
                "router/{}: {} dispatches of {} B, min of {} rotating rounds: direct {:.2} ms, \
                 routed {:.2} ms ({:+.3}%), direct again {:+.3}% (A/A); empty dispatch \
                 direct {:.1} ns, routed {:.1} ns (x dispatches = {:+.3}%)",
                spec.name,
                dispatches,
                DISPATCH_CHUNK,
                r.routed.len(),
                direct_min * 1e3,
                r.routed[0].time.as_secs_f64() * 1e3,
                r.overhead_pct(),
                r.noise_pct(),
                direct_ns,
                routed_ns,
                model_pct
            ));
            rows.push(row);
        }
        Ok(rows)
    }
}

fn round3(x: f64) -> Value {
    Value::from((x * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Clock;
    use crate::workloads::default_dir;

    #[test]
    fn direct_and_routed_runs_make_the_same_dispatches() {
        let spec = &pipeline::SPECS[1];
        let stream = pipeline::load(&default_dir(), spec).expect("stream");
        let budget = Budget {
            clock: Clock::Wall,
            ..Budget::quick()
        };
        let d = run_direct(spec, &stream.once, &budget);
        let (r, router) = run_routed(spec, &stream.once, &budget).expect("router");
        assert_eq!(d.dispatches, r.dispatches);
        // One chunk per readiness: a dispatch per chunk, plus the one that reads end-of-file.
        assert_eq!(
            d.dispatches as usize,
            stream.once.len().div_ceil(DISPATCH_CHUNK) + 1
        );
        assert_eq!(router.stats().finished, 1);
        assert_eq!(router.live(), 0);
        assert!(router.latency().samples > 0);
    }

    #[test]
    fn rounds_give_three_sets_and_finite_percentages() {
        let spec = &pipeline::SPECS[1];
        let stream = pipeline::load(&default_dir(), spec).expect("stream");
        let r = measure_stream(&stream, &Budget::quick(), 2, 2, Duration::ZERO).expect("runs");
        assert_eq!(r.direct.len(), 2);
        assert_eq!(r.routed.len(), 2);
        assert_eq!(r.again.len(), 2);
        assert!(r.overhead_pct().is_finite() && r.noise_pct().is_finite());
        let (direct_ns, routed_ns) = empty_dispatch_ns(spec, 1000, 2).expect("empty");
        assert!(direct_ns > 0.0 && routed_ns > 0.0);
    }
}

//! `router`: what the host-loop indirection costs. The same recorded stream is pumped through
//! a [`Connection`] twice: once by calling `Connection::on_ready` directly (the baseline), once
//! through a [`Router`] over a [`NullBackend`] (`Router::on_ready(token, ..)`: slab lookup,
//! counters, watch and timer bookkeeping, the sampled latency histogram). Both read the stream
//! from a [`MemoryTransport`] one [`DISPATCH_CHUNK`] per readiness (like a pipe), so both make
//! the same number of dispatches and do the same client work (runtime-drive's unit test in
//! `router.rs` checks they deliver the same events and frames).
//!
//! Timing ([`lockstep`]): both connections live at once and advance in lockstep, [`BLOCK`]
//! dispatches at a time, alternating which side goes first; every block is timed on the
//! suite's clock (thread CPU time by default). Block `k` does the same client work on both
//! sides, so over N runs the per-block minimum of each side is the block's cost with the
//! noise of a shared machine taken out (noise only ever adds time), and
//! `overhead_pct` = (sum of routed block minima - sum of direct block minima) / direct * 100.
//! Two cross-checks are reported beside it: `overhead_pct_runs`, the same from whole-run
//! minima (min-of-N over interleaved runs; noisier), and `overhead_pct_model`, the pure
//! per-dispatch indirection (empty readiness, many dispatches, min of several batches)
//! times the run's dispatch count, over the direct run's time.
//!
//! Reported per workload: `mb_per_s` and `ops_per_s` (dispatches per second) of the routed
//! side at its median run, `overhead_pct`, the cross-checks, `direct_mb_per_s`, `dispatches`,
//! `indirection_ns` and the router's own `p99_dispatch_us` (its sampled histogram).

use std::hint::black_box;
use std::time::Duration;
use std::time::Instant;

use anyhow::{anyhow, Result};
use muxlink_runtime::backend::NullBackend;
use muxlink_runtime::drive::{Connection, MemoryTransport, Readiness};
use muxlink_runtime::router::Router;
use muxlink_runtime::transport::Pipe;
use muxlink_runtime::{Client, NoopHost};
use serde_json::Value;

use super::pipeline::{self, client_config, Stream, StreamSpec};
use super::{round2, Context, Group, Row};
use crate::measure::Budget;

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
) -> Result<(Run, Router<NullBackend>)> {
    let mut router = Router::new(NullBackend::new());
    let key = router.add(connection(spec, bytes), Box::new(NoopHost))?;
    let token = Router::<NullBackend>::token(key, Pipe::Output);
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
    let key = router.add(connection(spec, b"%output %0 x\n"), Box::new(NoopHost))?;
    let token = Router::<NullBackend>::token(key, Pipe::Output);
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

/// Dispatches per timed block of a lockstep run.
pub const BLOCK: u64 = 16;

/// One lockstep run: a direct connection and a routed one fed the same stream, advanced
/// block by block ([`BLOCK`] dispatches each), alternating which goes first; every block
/// timed on the suite's clock. Block `k` does the same client work on both sides.
#[derive(Clone, Debug)]
pub struct Lockstep {
    /// Time of each direct block.
    pub direct: Vec<Duration>,
    /// Time of each routed block.
    pub routed: Vec<Duration>,
    /// Dispatches on each side (equal, or the run is refused).
    pub dispatches: u64,
    /// The router's p99 dispatch latency (its own sampled histogram), ns.
    pub p99_dispatch_ns: u64,
}

/// Runs one lockstep pass of `bytes`.
pub fn lockstep(spec: &StreamSpec, bytes: &[u8], budget: &Budget) -> Result<Lockstep> {
    let mut conn = connection(spec, bytes);
    let mut host = NoopHost;
    let mut router = Router::new(NullBackend::new());
    let key = router.add(connection(spec, bytes), Box::new(NoopHost))?;
    let token = Router::<NullBackend>::token(key, Pipe::Output);
    let (mut direct, mut routed) = (Vec::new(), Vec::new());
    let (mut nd, mut nr) = (0u64, 0u64);
    let mut k = 0usize;
    while !conn.is_finished() || router.live() > 0 {
        for side in [k % 2, 1 - k % 2] {
            if side == 0 {
                let t = budget.clock.now();
                let mut i = 0;
                while i < BLOCK && !conn.is_finished() {
                    conn.on_ready(
                        Pipe::Output,
                        Readiness::READABLE,
                        Instant::now(),
                        &mut host,
                    );
                    i += 1;
                }
                direct.push(t.elapsed());
                nd += i;
            } else {
                let t = budget.clock.now();
                let mut i = 0;
                while i < BLOCK && router.live() > 0 {
                    router.on_ready(token, Readiness::READABLE);
                    i += 1;
                }
                routed.push(t.elapsed());
                nr += i;
            }
        }
        k += 1;
    }
    if nd != nr || nr != router.stats().ready {
        return Err(anyhow!(
            "router/{}: {nd} direct dispatches but {nr} routed",
            spec.name
        ));
    }
    Ok(Lockstep {
        direct,
        routed,
        dispatches: nr,
        p99_dispatch_ns: router.latency().value_at_quantile(0.99),
    })
}

/// The result of one workload.
#[derive(Clone, Debug)]
pub struct RouterResult {
    /// Per block, the fastest direct time over every run.
    pub direct_min: Vec<Duration>,
    /// Per block, the fastest routed time over every run.
    pub routed_min: Vec<Duration>,
    /// Whole-run direct totals (sum of blocks), sorted.
    pub direct_runs: Vec<Duration>,
    /// Whole-run routed totals, sorted.
    pub routed_runs: Vec<Duration>,
    /// Dispatches per run.
    pub dispatches: u64,
    /// Router p99 dispatch latency (ns) of the last run.
    pub p99_dispatch_ns: u64,
    /// Stream bytes per run.
    pub bytes: usize,
}

impl RouterResult {
    /// Sum over blocks of the per-block minimum: the run with the noise taken out.
    pub fn floor(blocks: &[Duration]) -> Duration {
        blocks.iter().sum()
    }

    /// (routed floor - direct floor) / direct floor, in percent.
    pub fn overhead_pct(&self) -> f64 {
        let d = Self::floor(&self.direct_min).as_secs_f64();
        let r = Self::floor(&self.routed_min).as_secs_f64();
        (r - d) / d.max(1e-12) * 100.0
    }

    /// The same from whole runs: (min routed run - min direct run) / min direct run.
    pub fn overhead_pct_runs(&self) -> f64 {
        let d = self.direct_runs[0].as_secs_f64();
        let r = self.routed_runs[0].as_secs_f64();
        (r - d) / d.max(1e-12) * 100.0
    }
}

fn median(runs: &[Duration]) -> Duration {
    runs[runs.len() / 2]
}

/// Lockstep runs until the time is spent (at least `min_runs`, at most `max_runs`).
pub fn measure_stream(
    stream: &Stream,
    budget: &Budget,
    min_runs: usize,
    max_runs: usize,
    time: Duration,
) -> Result<RouterResult> {
    let spec = &stream.spec;
    lockstep(spec, &stream.bytes, budget)?; // warm-up
    let mut direct_min: Vec<Duration> = Vec::new();
    let mut routed_min: Vec<Duration> = Vec::new();
    let (mut direct_runs, mut routed_runs) = (Vec::new(), Vec::new());
    let (mut dispatches, mut p99) = (0, 0);
    let start = Instant::now();
    let mut i = 0;
    while i < max_runs && (i < min_runs || start.elapsed() < time) {
        let run = lockstep(spec, &stream.bytes, budget)?;
        if i == 0 {
            direct_min = run.direct.clone();
            routed_min = run.routed.clone();
        } else if run.direct.len() != direct_min.len() || run.routed.len() != routed_min.len() {
            return Err(anyhow!("router/{}: runs differ in blocks", spec.name));
        }
        for (m, t) in direct_min.iter_mut().zip(&run.direct) {
            *m = (*m).min(*t);
        }
        for (m, t) in routed_min.iter_mut().zip(&run.routed) {
            *m = (*m).min(*t);
        }
        direct_runs.push(run.direct.iter().sum::<Duration>());
        routed_runs.push(run.routed.iter().sum::<Duration>());
        dispatches = run.dispatches;
        p99 = run.p99_dispatch_ns;
        i += 1;
    }
    direct_runs.sort_unstable();
    routed_runs.sort_unstable();
    Ok(RouterResult {
        direct_min,
        routed_min,
        direct_runs,
        routed_runs,
        dispatches,
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
        let (min_runs, max_runs, time) = if quick {
            (7, 40, Duration::from_millis(1200))
        } else {
            (21, 400, Duration::from_secs(8))
        };
        for spec in pipeline::SPECS.iter().filter(|s| ctx.selected(s.name)) {
            let stream = pipeline::load(&ctx.dir, spec)?;
            let r = measure_stream(&stream, &ctx.budget, min_runs, max_runs, time)?;
            let dispatches = r.dispatches;
            let (direct_ns, routed_ns) = empty_dispatch_ns(spec, 200_000, 7)?;
            let indirection_ns = (routed_ns - direct_ns).max(0.0);
            let direct_floor = RouterResult::floor(&r.direct_min).as_secs_f64();
            let model_pct = indirection_ns * dispatches as f64 / 1e9 / direct_floor * 100.0;
            let routed_median = median(&r.routed_runs);
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
            e.insert("overhead_pct_runs".into(), round3(r.overhead_pct_runs()));
            e.insert("overhead_pct_model".into(), round3(model_pct));
            e.insert(
                "direct_mb_per_s".into(),
                round2(pipeline::per_second(r.bytes as u64, median(&r.direct_runs)) / 1e6),
            );
            e.insert(
                "best_mb_per_s".into(),
                round2(pipeline::per_second(r.bytes as u64, r.routed_runs[0]) / 1e6),
            );
            e.insert("dispatches".into(), Value::from(dispatches));
            e.insert("runs".into(), Value::from(r.routed_runs.len()));
            e.insert("bytes".into(), Value::from(r.bytes));
            e.insert("chunk_bytes".into(), Value::from(DISPATCH_CHUNK));
            e.insert("indirection_ns".into(), round2(indirection_ns));
            e.insert(
                "p99_dispatch_us".into(),
                round2(r.p99_dispatch_ns as f64 / 1000.0),
            );
            notes.push(format!(
                "router/{}: {} dispatches of {} B in blocks of {BLOCK}, {} lockstep runs; \
                 per-block min: direct {:.2} ms, routed {:.2} ms ({:+.3}%); whole-run min \
                 {:+.3}%; empty dispatch direct {:.1} ns, routed {:.1} ns (x dispatches = \
                 {:+.3}%)",
                spec.name,
                dispatches,
                DISPATCH_CHUNK,
                r.routed_runs.len(),
                direct_floor * 1e3,
                RouterResult::floor(&r.routed_min).as_secs_f64() * 1e3,
                r.overhead_pct(),
                r.overhead_pct_runs(),
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
        // One chunk per readiness, then a WouldBlock dispatch... each read is one dispatch
        // plus the final end-of-file read.
        assert!(d.dispatches as usize >= stream.once.len().div_ceil(DISPATCH_CHUNK));
        assert_eq!(router.stats().finished, 1);
        assert_eq!(router.live(), 0);
        assert!(router.latency().len() > 0);
    }

    #[test]
    fn lockstep_blocks_pair_up_and_the_overhead_is_finite() {
        let spec = &pipeline::SPECS[1];
        let stream = pipeline::load(&default_dir(), spec).expect("stream");
        let budget = Budget::quick();
        let run = lockstep(spec, &stream.once, &budget).expect("lockstep");
        assert_eq!(run.direct.len(), run.routed.len());
        assert_eq!(
            run.direct.len() as u64,
            run.dispatches.div_ceil(BLOCK),
            "blocks of {BLOCK}"
        );
        let r = measure_stream(&stream, &budget, 2, 2, Duration::ZERO).expect("measure");
        assert_eq!(r.routed_runs.len(), 2);
        assert!(r.overhead_pct().is_finite());
        assert!(RouterResult::floor(&r.direct_min) <= r.direct_runs[0]);
    }
}

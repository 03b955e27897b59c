//! `soak`: 10 million notifications through the pipeline (parse, session model, emulators,
//! frames, a counting host) in one long-lived client, and how much resident memory grows after
//! warm-up.
//!
//! The recorded `many_panes` stream (24 panes printing, with the layout changes of 23 splits;
//! `%exit` dropped) is fed again and again to the same client in read-sized chunks, so panes
//! are created, resized, filled to their history limit and closed over and over. Resident
//! memory (`/proc/self/statm`, resident pages) is sampled at stream boundaries: once after
//! warm-up (the first tenth of the notifications, at least two passes: every pane's history
//! has reached its limit and the allocator has seen the whole cycle) and at the end.
//! `rss_growth_pct` = (end - warm) / warm * 100; the target is < 1%.
//!
//! Length: 10,000,000 notifications in the full run (about 1,500 passes, 2.8 GB of stream;
//! tens of seconds here). `--quick` runs 1,000,000 (a few seconds) and says so in the row's
//! `notifications` field; `MUXLINK_BENCH_SOAK_NOTIFICATIONS=N` sets any count. Run the soak
//! alone with `muxlink-bench --group soak` (without `--quick` for the full 10 million).

use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use muxlink_runtime::Client;
use serde_json::Value;

use super::pipeline::{self, client_config, count_notifications, CountingHost};
use super::{round2, Context, Group, Row, CHUNK};
use crate::measure::Budget;

/// Notifications in a full soak.
pub const FULL_NOTIFICATIONS: u64 = 10_000_000;
/// Notifications in a `--quick` soak.
pub const QUICK_NOTIFICATIONS: u64 = 1_000_000;

/// Whether the budget is a `--quick` one (shorter than the full run's).
pub fn is_quick(budget: &Budget) -> bool {
    budget.time < Budget::full().time
}

/// Resident pages of this process (`/proc/self/statm`, second field).
pub fn resident_pages() -> Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("reading /proc/self/statm")?;
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| anyhow!("unexpected /proc/self/statm: {statm:?}"))
}

/// Resident memory in KiB (`VmRSS` of `/proc/self/status`), for the report.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a soak measured.
#[derive(Clone, Debug)]
pub struct SoakResult {
    /// Notifications fed in all.
    pub notifications: u64,
    /// Stream bytes fed in all.
    pub bytes: u64,
    /// Passes over the stream.
    pub passes: u64,
    /// Resident pages after warm-up.
    pub warm_pages: u64,
    /// Resident pages at the end.
    pub end_pages: u64,
    /// Most resident pages seen at a pass boundary after warm-up.
    pub max_pages: u64,
    /// Resident KiB after warm-up and at the end.
    pub warm_kib: Option<u64>,
    /// See `warm_kib`.
    pub end_kib: Option<u64>,
    /// Time from the end of warm-up to the end (suite clock).
    pub time: Duration,
    /// Notifications timed in `time`.
    pub timed_notifications: u64,
    /// Bytes timed in `time`.
    pub timed_bytes: u64,
    /// Frames the host got.
    pub frames: u64,
    /// Protocol errors the host got.
    pub errors: u64,
}

impl SoakResult {
    /// Resident memory growth after warm-up, percent.
    pub fn growth_pct(&self) -> f64 {
        (self.end_pages as f64 - self.warm_pages as f64) / (self.warm_pages as f64).max(1.0) * 100.0
    }
}

/// Feeds `once` (a stream without `%exit`) again and again to one client until `target`
/// notifications have gone through.
pub fn soak(
    spec: &pipeline::StreamSpec,
    once: &[u8],
    target: u64,
    budget: &Budget,
) -> Result<SoakResult> {
    let per_pass = count_notifications(once, CHUNK);
    if per_pass == 0 {
        return Err(anyhow!("soak stream has no notifications"));
    }
    let warm_until = (target / 10).max(2 * per_pass);
    let mut client = Client::new(client_config(spec));
    let mut host = CountingHost::default();
    let (mut notifications, mut bytes, mut passes) = (0u64, 0u64, 0u64);
    let mut warm: Option<(u64, Option<u64>, crate::measure::Stamp, u64, u64)> = None;
    let mut max_pages = 0;
    while notifications < target {
        for c in once.chunks(CHUNK) {
            let now = Instant::now();
            client.receive(c, now, &mut host);
            client.flush_frames(now, &mut host);
        }
        notifications += per_pass;
        bytes += once.len() as u64;
        passes += 1;
        if client.is_closed() {
            return Err(anyhow!("the client closed during the soak"));
        }
        match warm {
            None if notifications >= warm_until => {
                warm = Some((
                    resident_pages()?,
                    resident_kib(),
                    budget.clock.now(),
                    notifications,
                    bytes,
                ));
            }
            Some(_) => max_pages = max_pages.max(resident_pages()?),
            None => {}
        }
    }
    let end_pages = resident_pages()?;
    let end_kib = resident_kib();
    let (warm_pages, warm_kib, t, warm_n, warm_b) =
        warm.ok_or_else(|| anyhow!("soak ended before warm-up"))?;
    let time = t.elapsed();
    drop(client);
    Ok(SoakResult {
        notifications,
        bytes,
        passes,
        warm_pages,
        end_pages,
        max_pages: max_pages.max(end_pages),
        warm_kib,
        end_kib,
        time,
        timed_notifications: notifications - warm_n,
        timed_bytes: bytes - warm_b,
        frames: host.frames,
        errors: host.errors,
    })
}

/// The `soak` group.
pub struct SoakGroup;

impl Group for SoakGroup {
    fn name(&self) -> &'static str {
        "soak"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        if ctx.only_impl.as_deref().is_some_and(|i| i != "muxlink") {
            return Ok(rows);
        }
        let target = match std::env::var("MUXLINK_BENCH_SOAK_NOTIFICATIONS") {
            Ok(v) => v
                .parse()
                .with_context(|| format!("MUXLINK_BENCH_SOAK_NOTIFICATIONS={v:?}"))?,
            Err(_) if is_quick(&ctx.budget) => QUICK_NOTIFICATIONS,
            Err(_) => FULL_NOTIFICATIONS,
        };
        let Some(spec) = pipeline::SPECS
            .iter()
            .find(|s| s.name == "many_panes" && ctx.selected(s.name))
        else {
            return Ok(rows);
        };
        let stream = pipeline::load(&ctx.dir, spec)?;
        let r = soak(spec, &stream.once, target, &ctx.budget)?;
        let mut row = Row {
            group: "soak",
            workload: spec.name.to_string(),
            impl_name: "muxlink",
            mb_per_s: pipeline::per_second(r.timed_bytes, r.time) / 1e6,
            extra: serde_json::Map::new(),
        };
        let e = &mut row.extra;
        e.insert(
            "rss_growth_pct".into(),
            Value::from((r.growth_pct() * 1000.0).round() / 1000.0),
        );
        e.insert("notifications".into(), Value::from(r.notifications));
        e.insert(
            "notifications_per_s".into(),
            Value::from(pipeline::per_second(r.timed_notifications, r.time).round()),
        );
        e.insert("passes".into(), Value::from(r.passes));
        e.insert("bytes".into(), Value::from(r.bytes));
        e.insert("rss_warm_pages".into(), Value::from(r.warm_pages));
        e.insert("rss_end_pages".into(), Value::from(r.end_pages));
        e.insert("rss_max_pages".into(), Value::from(r.max_pages));
        if let (Some(w), Some(x)) = (r.warm_kib, r.end_kib) {
            e.insert("rss_warm_kib".into(), Value::from(w));
            e.insert("rss_end_kib".into(), Value::from(x));
        }
        e.insert("seconds".into(), round2(r.time.as_secs_f64()));
        if r.errors > 0 {
            notes.push(format!("soak: {} protocol errors", r.errors));
        }
        notes.push(format!(
            "soak/{}: {} notifications in {} passes ({:.1} GB), {} frames; resident {} -> {} \
             pages after warm-up (max {}): {:+.3}%",
            spec.name,
            r.notifications,
            r.passes,
            r.bytes as f64 / 1e9,
            r.frames,
            r.warm_pages,
            r.end_pages,
            r.max_pages,
            r.growth_pct()
        ));
        rows.push(row);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::default_dir;

    #[test]
    fn statm_reports_resident_pages() {
        let before = resident_pages().expect("statm");
        assert!(before > 0);
        // Touch every page of 64 MiB: the resident count must see it.
        let mut v = vec![0u8; 64 << 20];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&mut v);
        let after = resident_pages().expect("statm");
        assert!(after >= before + (32 << 20) / 4096, "{before} -> {after}");
        drop(v);
    }

    #[test]
    fn a_short_soak_counts_its_notifications_and_keeps_the_client_open() {
        let spec = pipeline::SPECS
            .iter()
            .find(|s| s.name == "vim")
            .expect("spec");
        let stream = pipeline::load(&default_dir(), spec).expect("stream");
        let per_pass = count_notifications(&stream.once, CHUNK);
        let r = soak(spec, &stream.once, 3 * per_pass, &Budget::quick()).expect("soak");
        assert_eq!(r.passes, 3);
        assert_eq!(r.notifications, 3 * per_pass);
        assert_eq!(r.errors, 0);
        assert!(r.frames > 0);
        assert!(r.warm_pages > 0 && r.end_pages > 0);
    }
}

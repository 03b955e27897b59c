//! Benchmark groups, one module each. A group loads its workloads, measures muxlink and its
//! peers on each, and returns rows; `main` prints them. Later groups (`pipeline`, `router`) plug
//! in by adding a module and a line to [`all`].

use std::path::PathBuf;

use anyhow::Result;
use serde_json::{Map, Value};

use crate::measure::{Budget, Measurement};

pub mod attach;
pub mod emulator;
pub mod ffi;
pub mod memory;
pub mod pane_ops;
pub mod pipeline;
pub mod proto;
pub mod router;
pub mod soak;

/// Bytes handed to a parser or emulator per call: what one `read` of a pipe returns at most.
pub const CHUNK: usize = 64 * 1024;

/// What every group is given.
#[derive(Clone, Debug)]
pub struct Context {
    /// The workloads folder.
    pub dir: PathBuf,
    /// How long to measure.
    pub budget: Budget,
    /// Terminal sizes for the emulator group (the first is reported without a suffix).
    pub sizes: Vec<(usize, usize)>,
    /// Bytes per `feed` call for the emulator group, each measured in turn (64 KiB is
    /// reported without a suffix).
    pub feeds: Vec<usize>,
    /// Only workloads whose name contains this.
    pub filter: Option<String>,
    /// Only implementations named this (for profiling one side alone).
    pub only_impl: Option<String>,
}

impl Context {
    /// Whether workload `name` is selected.
    pub fn selected(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }

    /// Drops the subjects `--impl` did not select.
    pub fn keep_selected(&self, subjects: &mut Vec<Box<dyn crate::measure::Subject>>) {
        if let Some(only) = self.only_impl.as_deref() {
            subjects.retain(|s| s.name() == only);
        }
    }
}

/// One line of the report: a group, a workload, an implementation and its throughput.
#[derive(Clone, Debug)]
pub struct Row {
    /// Group name.
    pub group: &'static str,
    /// Workload name.
    pub workload: String,
    /// Implementation (`muxlink` or a peer).
    pub impl_name: &'static str,
    /// Throughput at the median sample, MB/s (10^6 bytes per second).
    pub mb_per_s: f64,
    /// Further fields for the JSON row (best_mb_per_s, bytes, samples, group-specific metrics).
    pub extra: Map<String, Value>,
}

impl Row {
    /// A row from a throughput measurement.
    pub fn from_measurement(group: &'static str, workload: &str, m: &Measurement) -> Row {
        let mut extra = Map::new();
        extra.insert("best_mb_per_s".into(), round2(m.best_mb_per_s()));
        extra.insert("bytes".into(), Value::from(m.bytes));
        extra.insert("samples".into(), Value::from(m.samples.len()));
        Row {
            group,
            workload: workload.to_string(),
            impl_name: m.name,
            mb_per_s: m.mb_per_s(),
            extra,
        }
    }
}

/// A number rounded to two decimals, as JSON.
pub fn round2(x: f64) -> Value {
    Value::from((x * 100.0).round() / 100.0)
}

/// A benchmark group.
pub trait Group {
    /// Its name in the report (`proto`, `emulator`, ...).
    fn name(&self) -> &'static str;
    /// Runs every selected workload. `notes` collects remarks for the human report (such as a
    /// peer rejecting lines of a workload).
    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>>;
}

/// Every group, in report order.
pub fn all() -> Vec<Box<dyn Group>> {
    vec![
        Box::new(proto::ProtoGroup),
        Box::new(emulator::EmulatorGroup),
        Box::new(memory::MemoryGroup),
        Box::new(pipeline::PipelineGroup),
        Box::new(router::RouterGroup),
        Box::new(ffi::FfiGroup),
        Box::new(soak::SoakGroup),
        Box::new(attach::AttachGroup),
    ]
}

//! `muxlink-bench [--json] [--quick]`: the benchmark suite (see the crate docs of
//! `muxlink_bench`).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use clap::Parser;
use serde_json::{json, Map};

use muxlink_bench::groups::{self, Context, CHUNK};
use muxlink_bench::measure::{Budget, Clock};
use muxlink_bench::{report, workloads};

/// muxlink's benchmarks, with termwiz, alacritty_terminal and vt100 fed the same bytes in the
/// same process.
#[derive(Parser, Debug)]
#[command(name = "muxlink-bench", version)]
struct Args {
    /// Print `{"results": [{"group","workload","impl","mb_per_s",...}], "ratios": [...]}`.
    #[arg(long)]
    json: bool,
    /// Print Markdown tables (for the README) instead of the plain table.
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Fewer rounds on the same workloads (every group together well under a minute).
    #[arg(long)]
    quick: bool,
    /// Run only these groups (repeatable; default all).
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
    /// Run only workloads whose name contains this.
    #[arg(long, value_name = "TEXT")]
    workload: Option<String>,
    /// Emulator sizes, comma separated (the first is reported without a suffix).
    #[arg(long, default_value = "80x24", value_name = "COLSxROWS,...")]
    sizes: String,
    /// Emulator feed sizes in bytes, comma separated (each workload is measured at each).
    #[arg(long, default_value = "65536,1024,256,64", value_name = "BYTES,...")]
    feeds: String,
    /// Run only this implementation (`muxlink`, `termwiz`, `alacritty_terminal`, `vt100`),
    /// e.g. under a profiler.
    #[arg(long = "impl", value_name = "NAME")]
    only_impl: Option<String>,
    /// Clock for samples: `cpu` (this thread's CPU time: on a shared machine, leaves out time
    /// spent waiting for a core) or `wall`.
    #[arg(long, default_value = "cpu", value_parser = ["cpu", "wall"])]
    clock: String,
    /// Do not reset parsers/terminals between samples (diagnostic: leaves out first-use costs
    /// such as allocating history).
    #[arg(long)]
    keep_state: bool,
    /// The workloads folder (default: $MUXLINK_BENCH_WORKLOADS or the crate's `workloads/`).
    #[arg(long, value_name = "DIR")]
    workloads: Option<PathBuf>,
}

fn parse_sizes(s: &str) -> Result<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let (c, r) = part
            .split_once('x')
            .with_context(|| format!("size {part:?} is not COLSxROWS"))?;
        let (c, r): (usize, usize) = (c.trim().parse()?, r.trim().parse()?);
        if c == 0 || r == 0 || c > 1000 || r > 1000 {
            bail!("size {part:?} out of range");
        }
        out.push((c, r));
    }
    Ok(out)
}

fn parse_feeds(s: &str) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let n: usize = part
            .trim()
            .parse()
            .with_context(|| format!("feed size {part:?} is not a number"))?;
        if n == 0 || n > 16 << 20 {
            bail!("feed size {part:?} out of range (1..=16 MiB)");
        }
        out.push(n);
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut budget = if args.quick {
        Budget::quick()
    } else {
        Budget::full()
    };
    budget.reset_each_sample = !args.keep_state;
    if args.clock == "wall" {
        budget.clock = Clock::Wall;
    }
    let ctx = Context {
        dir: args
            .workloads
            .clone()
            .unwrap_or_else(workloads::default_dir),
        budget,
        sizes: parse_sizes(&args.sizes)?,
        feeds: parse_feeds(&args.feeds)?,
        filter: args.workload.clone(),
        only_impl: args.only_impl.clone(),
    };
    let all = groups::all();
    for g in &args.groups {
        if !all.iter().any(|x| x.name() == g) {
            bail!("unknown group {g:?}");
        }
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let started = Instant::now();
    for group in all
        .iter()
        .filter(|g| args.groups.is_empty() || args.groups.iter().any(|n| n == g.name()))
    {
        let t = Instant::now();
        if !args.json {
            eprint!("running {} ...", group.name());
        }
        rows.extend(group.run(&ctx, &mut notes)?);
        if !args.json {
            eprintln!(" {:.1}s", t.elapsed().as_secs_f64());
        }
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut config = Map::new();
        config.insert("quick".into(), json!(args.quick));
        config.insert("chunk_bytes".into(), json!(CHUNK));
        config.insert("clock".into(), json!(budget.clock.name()));
        config.insert("reset_each_sample".into(), json!(budget.reset_each_sample));
        config.insert("sizes".into(), json!(args.sizes));
        config.insert("feeds".into(), json!(ctx.feeds));
        config.insert("history_limit".into(), json!(groups::emulator::HISTORY));
        config.insert(
            "seconds".into(),
            json!((started.elapsed().as_secs_f64() * 10.0).round() / 10.0),
        );
        writeln!(stdout, "{}", report::json(&rows, config))?;
    } else if args.markdown {
        write!(stdout, "{}", report::markdown(&rows))?;
        write!(stdout, "{}", report::targets_markdown(&rows))?;
    } else {
        write!(stdout, "{}", report::table(&rows))?;
        for v in report::verdicts(&rows) {
            writeln!(
                stdout,
                "target {:<48} {:>10.2} (>= {}) {}",
                v.what,
                v.measured,
                v.wanted,
                if v.met() { "met" } else { "MISSED" }
            )?;
        }
        for n in &notes {
            writeln!(stdout, "note: {n}")?;
        }
        writeln!(stdout, "total {:.1}s", started.elapsed().as_secs_f64())?;
    }
    Ok(())
}

//! The report: JSON (`{"results": [...], "ratios": [...]}`) and a human table with ratios of
//! muxlink against each peer.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::groups::{round2, Row};

/// The implementation every ratio is taken for.
pub const SELF: &str = "muxlink";

/// muxlink's throughput divided by a peer's, for one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    /// Group name.
    pub group: &'static str,
    /// Workload name.
    pub workload: String,
    /// The peer.
    pub vs: &'static str,
    /// muxlink MB/s / peer MB/s (> 1: muxlink is faster).
    pub ratio: f64,
}

/// Ratios of muxlink against every other implementation measured on the same workload.
pub fn ratios(rows: &[Row]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for ours in rows.iter().filter(|r| r.impl_name == SELF) {
        for peer in rows
            .iter()
            .filter(|r| r.group == ours.group && r.workload == ours.workload && r.impl_name != SELF)
        {
            if peer.mb_per_s > 0.0 {
                out.push(Ratio {
                    group: ours.group,
                    workload: ours.workload.clone(),
                    vs: peer.impl_name,
                    ratio: ours.mb_per_s / peer.mb_per_s,
                });
            }
        }
    }
    out
}

/// The JSON document. Every `results` entry has `group`, `workload`, `impl`, `mb_per_s` and
/// may carry further fields; `ratios` holds muxlink's ratio against each peer.
pub fn json(rows: &[Row], config: Map<String, Value>) -> Value {
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("group".into(), json!(r.group));
            o.insert("workload".into(), json!(r.workload));
            o.insert("impl".into(), json!(r.impl_name));
            o.insert("mb_per_s".into(), round2(r.mb_per_s));
            for (k, v) in &r.extra {
                o.insert(k.clone(), v.clone());
            }
            Value::Object(o)
        })
        .collect();
    let ratios: Vec<Value> = ratios(rows)
        .iter()
        .map(|r| {
            json!({"group": r.group, "workload": r.workload, "impl": SELF, "vs": r.vs,
                   "ratio": round2(r.ratio)})
        })
        .collect();
    let targets: Vec<Value> = verdicts(rows)
        .iter()
        .map(|v| {
            json!({"target": v.what, "measured": round2(v.measured), "wanted": v.wanted,
                   "met": v.met()})
        })
        .collect();
    json!({"results": results, "ratios": ratios, "targets": targets, "config": config})
}

/// What a target asks of a workload.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// muxlink's MB/s at least this.
    MbPerS(f64),
    /// muxlink's MB/s at least this many times the peer's.
    RatioVs(&'static str, f64),
    /// muxlink's `bytes_per_line` at most tmux's (measured: tmux's / muxlink's, >= 1).
    BelowTmux,
}

/// A performance target from the issues.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Group.
    pub group: &'static str,
    /// Workload (without a `@COLSxROWS` suffix); `None`: every workload of the group.
    pub workload: Option<&'static str>,
    /// What is asked.
    pub goal: Goal,
}

/// The targets of issues 2 (proto), 3 and 13 (emulator). Ratio targets hold at every feed
/// size; MB/s targets are stated for 64 KiB feeds.
pub const TARGETS: &[Target] = &[
    Target {
        group: "proto",
        workload: Some("plain_output"),
        goal: Goal::MbPerS(2000.0),
    },
    Target {
        group: "proto",
        workload: Some("escape_heavy"),
        goal: Goal::MbPerS(500.0),
    },
    Target {
        group: "proto",
        workload: None,
        goal: Goal::RatioVs("termwiz", 20.0),
    },
    Target {
        group: "emulator",
        workload: None,
        goal: Goal::RatioVs("alacritty_terminal", 1.5),
    },
    Target {
        group: "emulator",
        workload: Some("unicode"),
        goal: Goal::RatioVs("alacritty_terminal", 2.0),
    },
    Target {
        group: "emulator",
        workload: Some("cursor_motion"),
        goal: Goal::RatioVs("alacritty_terminal", 2.0),
    },
    Target {
        group: "emulator",
        workload: Some("plain_ascii"),
        goal: Goal::MbPerS(700.0),
    },
    Target {
        group: "emulator",
        workload: Some("real_session"),
        goal: Goal::MbPerS(340.0),
    },
    Target {
        group: "memory",
        workload: None,
        goal: Goal::BelowTmux,
    },
];

/// A row's `bytes_per_line` (the `memory` group's measure).
fn bytes_per_line(r: &Row) -> Option<f64> {
    r.extra.get("bytes_per_line").and_then(Value::as_f64)
}

/// What a table shows for a row: MB/s, or bytes per history line in the `memory` group.
fn shown(r: &Row) -> f64 {
    bytes_per_line(r).unwrap_or(r.mb_per_s)
}

/// The ratio a table shows for muxlink against `peer` on workload `w`: throughput over the
/// peer's, or in the `memory` group bytes per line over the peer's (below 1: muxlink keeps
/// less).
fn ratio_in(rows: &[Row], ratios: &[Ratio], group: &str, w: &str, peer: &str) -> Option<f64> {
    if group == "memory" {
        let find = |name: &str| {
            rows.iter()
                .find(|r| r.group == group && r.workload == w && r.impl_name == name)
                .and_then(bytes_per_line)
        };
        let (ours, theirs) = (find(SELF)?, find(peer)?);
        return (theirs > 0.0).then(|| ours / theirs);
    }
    ratios
        .iter()
        .find(|r| r.group == group && r.workload == w && r.vs == peer)
        .map(|r| r.ratio)
}

/// muxlink's `bytes_per_line` over tmux's for the workload of `ours` (`memory` rows).
fn ratio_to_tmux(rows: &[Row], ours: &Row) -> Option<f64> {
    let t = rows
        .iter()
        .find(|r| r.group == ours.group && r.workload == ours.workload && r.impl_name == "tmux")
        .and_then(bytes_per_line)?;
    Some(bytes_per_line(ours)? / t).filter(|_| t > 0.0)
}

/// One target checked against one measured workload.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// `group/workload: what`.
    pub what: String,
    /// The measured value (MB/s or ratio).
    pub measured: f64,
    /// The value asked for.
    pub wanted: f64,
}

impl Verdict {
    /// Whether the target is met.
    pub fn met(&self) -> bool {
        self.measured >= self.wanted
    }
}

/// Checks every target that applies to the measured rows.
pub fn verdicts(rows: &[Row]) -> Vec<Verdict> {
    let ratios = ratios(rows);
    let mut out = Vec::new();
    for ours in rows.iter().filter(|r| r.impl_name == SELF) {
        // Without the size (`@COLSxROWS`) and feed (`/NB`) suffixes.
        let base = ours
            .workload
            .split(['@', '/'])
            .next()
            .unwrap_or(&ours.workload);
        for t in TARGETS {
            if t.group != ours.group || t.workload.is_some_and(|w| w != base) {
                continue;
            }
            let name = format!("{}/{}", ours.group, ours.workload);
            match t.goal {
                Goal::MbPerS(_) if ours.workload.contains('/') => {}
                Goal::MbPerS(min) => out.push(Verdict {
                    what: format!("{name}: MB/s"),
                    measured: ours.mb_per_s,
                    wanted: min,
                }),
                Goal::BelowTmux => {
                    if let Some(r) = ratio_to_tmux(rows, ours) {
                        out.push(Verdict {
                            what: format!("{name}: tmux bytes/line / muxlink's"),
                            measured: 1.0 / r,
                            wanted: 1.0,
                        });
                    }
                }
                Goal::RatioVs(peer, min) => {
                    if let Some(r) = ratios.iter().find(|r| {
                        r.group == ours.group && r.workload == ours.workload && r.vs == peer
                    }) {
                        out.push(Verdict {
                            what: format!("{name}: x {peer}"),
                            measured: r.ratio,
                            wanted: min,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The target verdicts as a Markdown table.
pub fn targets_markdown(rows: &[Row]) -> String {
    let mut out = String::from("\n| target | measured | wanted | |\n|---|---:|---:|---|\n");
    for v in verdicts(rows) {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {} | {} |",
            v.what,
            v.measured,
            v.wanted,
            if v.met() { "met" } else { "**missed**" }
        );
    }
    out
}

/// A table per group: one line per workload, MB/s per implementation, then muxlink's ratio
/// against each peer.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut groups: Vec<&'static str> = Vec::new();
    for r in rows {
        if !groups.contains(&r.group) {
            groups.push(r.group);
        }
    }
    let ratios = ratios(rows);
    for group in groups {
        let in_group: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        let mut impls: Vec<&'static str> = Vec::new();
        let mut workloads: Vec<&str> = Vec::new();
        for r in &in_group {
            if !impls.contains(&r.impl_name) {
                impls.push(r.impl_name);
            }
            if !workloads.contains(&r.workload.as_str()) {
                workloads.push(&r.workload);
            }
        }
        let peers: Vec<&str> = impls.iter().copied().filter(|i| *i != SELF).collect();
        let unit = if group == "memory" {
            "bytes per history line"
        } else {
            "MB/s, median"
        };
        let _ = write!(out, "\n{group} ({unit})\n{:<24}", "workload");
        for i in &impls {
            let _ = write!(out, "{i:>20}");
        }
        for p in &peers {
            let _ = write!(out, "{:>22}", format!("x vs {p}"));
        }
        out.push('\n');
        for w in workloads {
            let _ = write!(out, "{w:<24}");
            for i in &impls {
                match in_group
                    .iter()
                    .find(|r| r.workload == w && r.impl_name == *i)
                {
                    Some(r) => {
                        let _ = write!(out, "{:>20.1}", shown(r));
                    }
                    None => {
                        let _ = write!(out, "{:>20}", "-");
                    }
                }
            }
            for p in &peers {
                match ratio_in(rows, &ratios, group, w, p) {
                    Some(r) => {
                        let _ = write!(out, "{r:>21.2}x");
                    }
                    None => {
                        let _ = write!(out, "{:>22}", "-");
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}

/// The same table in Markdown (for the README): one table per group.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    let ratios = ratios(rows);
    let mut groups: Vec<&'static str> = Vec::new();
    for r in rows {
        if !groups.contains(&r.group) {
            groups.push(r.group);
        }
    }
    for group in groups {
        let in_group: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        let mut impls: Vec<&'static str> = Vec::new();
        let mut workloads: Vec<&str> = Vec::new();
        for r in &in_group {
            if !impls.contains(&r.impl_name) {
                impls.push(r.impl_name);
            }
            if !workloads.contains(&r.workload.as_str()) {
                workloads.push(&r.workload);
            }
        }
        let peers: Vec<&str> = impls.iter().copied().filter(|i| *i != SELF).collect();
        let unit = if group == "memory" {
            "bytes per history line"
        } else {
            "MB/s"
        };
        let _ = write!(out, "\n`{group}` ({unit})\n\n| workload |");
        for i in &impls {
            let _ = write!(out, " {i} |");
        }
        for p in &peers {
            let _ = write!(out, " muxlink / {p} |");
        }
        out.push_str("\n|---|");
        for _ in 0..impls.len() + peers.len() {
            out.push_str("---:|");
        }
        out.push('\n');
        for w in workloads {
            let _ = write!(out, "| {w} |");
            for i in &impls {
                match in_group
                    .iter()
                    .find(|r| r.workload == w && r.impl_name == *i)
                {
                    Some(r) => {
                        let _ = write!(out, " {:.0} |", shown(r));
                    }
                    None => out.push_str(" - |"),
                }
            }
            for p in &peers {
                match ratio_in(rows, &ratios, group, w, p) {
                    Some(r) => {
                        let _ = write!(out, " {r:.2}x |");
                    }
                    None => out.push_str(" - |"),
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &'static str, workload: &str, impl_name: &'static str, mb: f64) -> Row {
        Row {
            group,
            workload: workload.into(),
            impl_name,
            mb_per_s: mb,
            extra: Map::new(),
        }
    }

    #[test]
    fn json_keeps_the_contract_shape_and_ratios() {
        let rows = vec![
            row("proto", "plain_output", "muxlink", 3000.0),
            row("proto", "plain_output", "termwiz", 30.0),
        ];
        let v = json(&rows, Map::new());
        let r = &v["results"][0];
        assert_eq!(r["group"], "proto");
        assert_eq!(r["workload"], "plain_output");
        assert_eq!(r["impl"], "muxlink");
        assert_eq!(r["mb_per_s"], 3000.0);
        assert_eq!(v["results"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["ratios"][0]["vs"], "termwiz");
        assert_eq!(v["ratios"][0]["ratio"], 100.0);
        assert!(table(&rows).contains("100.00x"));
        assert!(markdown(&rows).contains("| plain_output | 3000 | 30 | 100.00x |"));
        assert_eq!(v["targets"][0]["target"], "proto/plain_output: MB/s");
        assert_eq!(v["targets"][0]["met"], true);
    }

    #[test]
    fn targets_fail_when_missed() {
        let rows = vec![
            row("emulator", "plain_ascii@200x50", "muxlink", 600.0),
            row(
                "emulator",
                "plain_ascii@200x50",
                "alacritty_terminal",
                500.0,
            ),
        ];
        let v = verdicts(&rows);
        assert_eq!(v.len(), 2);
        assert!(v.iter().all(|v| !v.met()), "{v:?}");
    }
}

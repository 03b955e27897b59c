//! The committed workloads: where each lives, how it was made, how it is loaded.
//!
//! Synthetic workloads are produced by [`crate::gen`] (run `muxlink-bench-gen` to rewrite the
//! files; a test checks the committed bytes equal the generator's). Recorded ones come from
//! `workloads/record.sh` (real programs in a private tmux server) and are data.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::gen;

/// Size of each generated file on disk. The benchmark repeats a workload in memory up to
/// [`MIN_SAMPLE_BYTES`], so a small committed file still gives long enough samples.
pub const GENERATED_BYTES: usize = 1 << 20;

/// Each measured sample feeds at least this many bytes (the workload repeated whole).
pub const MIN_SAMPLE_BYTES: usize = 4 << 20;

/// How a workload's bytes came to be.
#[derive(Clone, Copy)]
pub enum Source {
    /// Written by a seeded generator; reproducible byte for byte.
    Generated(fn(usize) -> Vec<u8>),
    /// Computed by the generator from recorded files (recorded data, deterministic transform).
    Derived,
    /// The `%output` lines of a recorded control stream, filtered at load time (so the
    /// recording is not committed twice).
    OutputLinesOf,
    /// Recorded from real programs by `record.sh`.
    Recorded,
}

/// One workload of one group.
#[derive(Clone, Copy)]
pub struct Spec {
    /// Group name (`proto`, `emulator`).
    pub group: &'static str,
    /// Workload name as reported.
    pub name: &'static str,
    /// Path under the workloads folder.
    pub file: &'static str,
    /// Where the bytes come from.
    pub source: Source,
    /// One line saying what it is.
    pub about: &'static str,
}

/// Every workload, in report order.
pub const SPECS: &[Spec] = &[
    Spec {
        group: "proto",
        name: "plain_output",
        file: "proto/plain_output.stream",
        source: Source::Generated(gen::proto_plain_output),
        about: "(a) %output lines without escapes, 64..1024 bytes of text, 8 panes",
    },
    Spec {
        group: "proto",
        name: "escape_heavy",
        file: "recorded/colour.stream",
        source: Source::OutputLinesOf,
        about: "(b) the %output lines tmux 3.3a sent for ls/grep/diff --color, vim, less, top",
    },
    Spec {
        group: "proto",
        name: "mixed",
        file: "proto/mixed.stream",
        source: Source::Derived,
        about:
            "(c) recorded control streams: replies, layouts, window/session notifications, output",
    },
    Spec {
        group: "emulator",
        name: "dense_cells",
        file: "emulator/dense_cells.vt",
        source: Source::Generated(gen::dense_cells),
        about: "every cell a new char, 256/RGB colours and an attribute",
    },
    Spec {
        group: "emulator",
        name: "light_cells",
        file: "emulator/light_cells.vt",
        source: Source::Generated(gen::light_cells),
        about: "full screens of plain chars from home",
    },
    Spec {
        group: "emulator",
        name: "medium_cells",
        file: "recorded/colour.raw",
        source: Source::Recorded,
        about: "recorded ls/grep/diff --color output (pipe-pane)",
    },
    Spec {
        group: "emulator",
        name: "scrolling",
        file: "emulator/scrolling.vt",
        source: Source::Generated(gen::scrolling),
        about: "text lines scrolling the whole screen",
    },
    Spec {
        group: "emulator",
        name: "scrolling_in_region",
        file: "emulator/scrolling_in_region.vt",
        source: Source::Generated(gen::scrolling_in_region),
        about: "lines scrolling inside DECSTBM 2..23, with reverse index",
    },
    Spec {
        group: "emulator",
        name: "cursor_motion",
        file: "emulator/cursor_motion.vt",
        source: Source::Generated(gen::cursor_motion),
        about: "CUP/CUU..CUB/CHA/VPA then a short write",
    },
    Spec {
        group: "emulator",
        name: "unicode",
        file: "emulator/unicode.vt",
        source: Source::Generated(gen::unicode),
        about: "Latin/Greek/Cyrillic/box/CJK/emoji/combining text lines",
    },
    Spec {
        group: "emulator",
        name: "plain_ascii",
        file: "emulator/plain_ascii.vt",
        source: Source::Generated(gen::plain_ascii),
        about: "ASCII text lines as cat prints them",
    },
    Spec {
        group: "emulator",
        name: "real_session",
        file: "recorded/session.raw",
        source: Source::Recorded,
        about: "recorded vim (syntax, splits), less -R, top, ls, seq (pipe-pane)",
    },
];

/// The workloads folder: `$MUXLINK_BENCH_WORKLOADS`, else the one beside this crate's sources.
pub fn default_dir() -> PathBuf {
    match std::env::var_os("MUXLINK_BENCH_WORKLOADS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads"),
    }
}

/// A loaded workload: its committed bytes, and those bytes repeated whole up to at least
/// [`MIN_SAMPLE_BYTES`] (what one measured sample feeds).
pub struct Workload {
    /// What it is.
    pub spec: Spec,
    /// The committed file's bytes.
    pub file_bytes: usize,
    /// The bytes one sample feeds.
    pub bytes: Vec<u8>,
}

/// Loads one workload from `dir`.
pub fn load(dir: &Path, spec: &Spec) -> Result<Workload> {
    let path = dir.join(spec.file);
    let mut once = std::fs::read(&path).with_context(|| {
        format!(
            "reading workload {} (run muxlink-bench-gen / record.sh?)",
            path.display()
        )
    })?;
    if let Source::OutputLinesOf = spec.source {
        once = gen::output_lines_only(&once);
    }
    if once.is_empty() {
        bail!("workload {} is empty", path.display());
    }
    let repeats = MIN_SAMPLE_BYTES.div_ceil(once.len());
    Ok(Workload {
        spec: *spec,
        file_bytes: once.len(),
        bytes: once.repeat(repeats),
    })
}

/// Writes every generated and derived workload under `dir`. `fixtures` are extra recorded
/// control streams appended to the mixed workload (the shared tmux 3.5a/3.7c recordings and the
/// proto crate's fixtures).
pub fn write_all(dir: &Path, fixtures: &[PathBuf]) -> Result<Vec<(PathBuf, usize)>> {
    let mut written = Vec::new();
    for spec in SPECS {
        let bytes = match spec.source {
            Source::Generated(f) => f(GENERATED_BYTES),
            Source::Recorded | Source::OutputLinesOf => continue,
            Source::Derived => match spec.name {
                "mixed" => mixed_stream(dir, fixtures)?,
                other => bail!("no derivation for {other}"),
            },
        };
        let path = dir.join(spec.file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push((path, bytes.len()));
    }
    Ok(written)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// At most this much of each fixture goes into the mixed workload.
const MIXED_FIXTURE_CAP: usize = 32 << 10;

/// The recorded mixed session followed by each fixture stream; `%exit` lines are dropped so
/// the concatenation (and its repetition in memory) reads as one long session.
fn mixed_stream(dir: &Path, fixtures: &[PathBuf]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut sources = vec![dir.join("recorded/mixed.stream")];
    sources.extend(fixtures.iter().cloned());
    for (i, path) in sources.iter().enumerate() {
        let bytes = read(path)?;
        let start = out.len();
        let mut in_block = false;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            // A long fixture (a flood) is cut, between blocks, so output does not drown the mix.
            if i > 0 && !in_block && out.len() - start >= MIXED_FIXTURE_CAP {
                break;
            }
            if line.starts_with(b"%exit") || !line.ends_with(b"\n") {
                continue;
            }
            if line.starts_with(b"%begin ") {
                in_block = true;
            } else if line.starts_with(b"%end ") || line.starts_with(b"%error ") {
                in_block = false;
            }
            out.extend_from_slice(line);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_generated_workloads_match_the_generator() {
        let dir = default_dir();
        for spec in SPECS {
            if let Source::Generated(f) = spec.source {
                let committed = std::fs::read(dir.join(spec.file)).expect("committed workload");
                assert!(
                    committed == f(GENERATED_BYTES),
                    "{} is stale: run muxlink-bench-gen",
                    spec.file
                );
            }
        }
    }

    #[test]
    fn every_workload_loads_and_is_repeated_to_sample_size() {
        let dir = default_dir();
        for spec in SPECS {
            let w = load(&dir, spec).expect("load");
            assert!(w.bytes.len() >= MIN_SAMPLE_BYTES);
            assert_eq!(w.bytes.len() % w.file_bytes, 0);
        }
    }

    #[test]
    fn committed_workloads_stay_under_20_mib() {
        fn size(path: &Path) -> u64 {
            match std::fs::read_dir(path) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .map(|e| size(&e.path()))
                    .sum(),
                Err(_) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            }
        }
        let total = size(&default_dir());
        assert!(
            total > 0 && total < 20 << 20,
            "{total} bytes under workloads/"
        );
    }

    #[test]
    fn escape_heavy_is_only_output_lines_with_escapes() {
        let spec = SPECS
            .iter()
            .find(|s| s.name == "escape_heavy")
            .expect("spec");
        let w = load(&default_dir(), spec).expect("load");
        let once = &w.bytes[..w.file_bytes];
        let lines: Vec<&[u8]> = once
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert!(lines.len() > 1000);
        assert!(lines.iter().all(|l| l.starts_with(b"%output %")));
        let escaped = lines.iter().filter(|l| l.contains(&b'\\')).count();
        assert!(
            escaped * 10 > lines.len() * 9,
            "{escaped} of {} lines escape",
            lines.len()
        );
    }
}

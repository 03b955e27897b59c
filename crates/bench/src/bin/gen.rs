//! `muxlink-bench-gen [--out DIR] [FIXTURE.stream ...]`: writes the generated and derived
//! workloads (seeded, so the same bytes every time). Recorded ones come from
//! `workloads/record.sh`. FIXTURE streams are appended to the mixed proto workload; by default
//! the shared tmux 3.5a/3.7c recordings beside the repository and the proto crate's fixtures.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

fn default_fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in [
        root.join("../shared/fixtures"),
        root.join("crates/proto/tests/fixtures"),
    ] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "stream"))
                .collect();
            found.sort();
            out.extend(found);
        }
    }
    out
}

fn main() -> Result<()> {
    let mut dir = muxlink_bench::workloads::default_dir();
    let mut fixtures = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => match args.next() {
                Some(d) => dir = PathBuf::from(d),
                None => bail!("--out needs a folder"),
            },
            "-h" | "--help" => {
                println!("muxlink-bench-gen [--out DIR] [FIXTURE.stream ...]");
                return Ok(());
            }
            _ => fixtures.push(PathBuf::from(a)),
        }
    }
    if fixtures.is_empty() {
        fixtures = default_fixtures();
    }
    for f in &fixtures {
        eprintln!("mixed: appending {}", f.display());
    }
    for (path, len) in muxlink_bench::workloads::write_all(&dir, &fixtures)? {
        println!("{:>9} {}", len, path.display());
    }
    Ok(())
}

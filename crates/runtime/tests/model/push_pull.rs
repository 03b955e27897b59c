//! Push and pull deliver the same on recorded streams (see `common/push_pull.rs`).

use std::path::PathBuf;

use muxlink_runtime::ClientConfig;

use crate::push_pull_common::compare;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The recorded streams: control-mode fixtures and the pipeline benchmark's recordings.
fn streams() -> Vec<(PathBuf, u16, u16)> {
    let r = root();
    let mut v = vec![
        (
            r.join("crates/proto/tests/fixtures/tmux-3.3a-windows.stream"),
            80,
            24,
        ),
        (
            r.join("crates/proto/tests/fixtures/tmux-3.3a-vim.stream"),
            80,
            24,
        ),
        (
            r.join("crates/proto/tests/fixtures/tmux-3.3a-flood.stream"),
            80,
            24,
        ),
        (
            r.join("crates/bench/workloads/pipeline/vim.stream"),
            120,
            40,
        ),
        (
            r.join("crates/bench/workloads/pipeline/many_panes.stream"),
            240,
            66,
        ),
    ];
    let shared = r.join("../shared/fixtures");
    for name in ["tmux-3.5a-splits.stream", "tmux-3.7c-floating.stream"] {
        if shared.join(name).exists() {
            v.push((shared.join(name), 80, 24));
        }
    }
    v
}

#[test]
fn push_and_pull_deliver_the_same_on_recorded_streams() {
    for (path, cols, rows) in streams() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let stream = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let config = ClientConfig::replay().with_size(cols, rows);
        for (chunk, every) in [(4096, 3), (1000, 1)] {
            let batches: Vec<&[u8]> = stream.chunks(chunk).collect();
            assert!(
                compare(&name, &batches, &config, every) > 0,
                "{name}: nothing pulled"
            );
        }
    }
}

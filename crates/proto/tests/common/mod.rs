//! Helpers shared by the integration tests: owned copies of events, fixture lookup.
#![allow(dead_code)]

use std::path::PathBuf;

use muxlink_proto::{Event, Parser};

/// An owned, comparable copy of an event. Passthrough bytes are kept apart so that adjacent
/// pieces can be joined (their boundaries depend on chunking by design).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owned {
    Passthrough(Vec<u8>),
    Other(String),
}

/// Appends an owned copy of `ev`, joining adjacent passthrough pieces.
pub fn push_owned(out: &mut Vec<Owned>, ev: &Event<'_>) {
    match ev {
        Event::Passthrough(b) => {
            if let Some(Owned::Passthrough(prev)) = out.last_mut() {
                prev.extend_from_slice(b);
            } else {
                out.push(Owned::Passthrough(b.to_vec()));
            }
        }
        other => out.push(Owned::Other(format!("{other:?}"))),
    }
}

/// Feeds `input` split at the given (sorted, in-range) cut points, then finishes.
pub fn parse_split(mut parser: Parser, input: &[u8], cuts: &[usize]) -> Vec<Owned> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.clamp(start, input.len());
        let n = parser.feed(&input[start..c], |ev| push_owned(&mut out, &ev));
        assert_eq!(n, c - start, "feed consumed everything");
        start = c;
    }
    parser.finish(|ev| push_owned(&mut out, &ev));
    out
}

/// Parses `input` in one chunk.
pub fn parse_whole(parser: Parser, input: &[u8]) -> Vec<Owned> {
    parse_split(parser, input, &[])
}

/// Parses `input` one byte at a time.
pub fn parse_bytewise(parser: Parser, input: &[u8]) -> Vec<Owned> {
    let cuts: Vec<usize> = (1..input.len()).collect();
    parse_split(parser, input, &cuts)
}

/// This crate's recorded fixtures directory.
pub fn own_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The shared fixtures directory (tmux 3.5a / 3.7c recordings), if present: `<checkout>/../shared`
/// in CI, `/work/shared` beside `/work/main` here.
pub fn shared_fixtures() -> Option<PathBuf> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        base.join("../../../shared/fixtures"),
        base.join("../../shared/fixtures"),
    ];
    candidates.into_iter().find(|p| p.is_dir())
}

/// Reads a shared fixture, or prints why the test skips and returns `None`.
pub fn shared_fixture(name: &str) -> Option<Vec<u8>> {
    match shared_fixtures() {
        Some(dir) => Some(std::fs::read(dir.join(name)).expect("read shared fixture")),
        None => {
            eprintln!("skipping: shared fixtures directory (../shared/fixtures) not found");
            None
        }
    }
}

/// Reads one of this crate's fixtures.
pub fn own_fixture(name: &str) -> Vec<u8> {
    std::fs::read(own_fixtures().join(name)).expect("read fixture")
}

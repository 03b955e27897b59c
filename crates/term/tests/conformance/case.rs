//! A conformance case: bytes fed to a pane of a given size, possibly with resizes between
//! segments, and the committed corpus on disk.
//!
//! Corpus layout: `tests/corpus/NAME.bin` holds the raw pane output; `tests/corpus/NAME.case`
//! is a small sidecar of `key = value` lines:
//!
//! ```text
//! size = 80x24            # pane size the bytes start at (required)
//! history-limit = 2000    # tmux's history-limit for the pane (default 2000)
//! resize = 4096 40x10     # after byte 4096, resize the pane to 40x10 (any number, in order)
//! source = ...            # free text: how it was recorded
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One thing to do to the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Feed these bytes.
    Feed(Vec<u8>),
    /// Resize the pane.
    Resize(u16, u16),
}

/// A case to run on both sides.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub cols: u16,
    pub rows: u16,
    pub history_limit: u32,
    pub steps: Vec<Step>,
}

impl Case {
    /// All bytes fed, in order (for writing a reproduction file).
    pub fn all_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        for s in &self.steps {
            if let Step::Feed(b) = s {
                v.extend_from_slice(b);
            }
        }
        v
    }

    /// The steps as a sidecar would describe them.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "size = {}x{}\nhistory-limit = {}\n",
            self.cols, self.rows, self.history_limit
        );
        let mut off = 0;
        for st in &self.steps {
            match st {
                Step::Feed(b) => off += b.len(),
                Step::Resize(c, r) => {
                    let _ = writeln!(s, "resize = {off} {c}x{r}");
                }
            }
        }
        s
    }
}

fn parse_size(s: &str) -> Option<(u16, u16)> {
    let (c, r) = s.trim().split_once('x')?;
    let c: u16 = c.trim().parse().ok()?;
    let r: u16 = r.trim().parse().ok()?;
    (c > 0 && r > 0).then_some((c, r))
}

/// Parses a sidecar and splits `bytes` at the resize offsets.
pub fn from_sidecar(name: &str, sidecar: &str, bytes: Vec<u8>) -> Result<Case, String> {
    let mut size = None;
    let mut history_limit = 2000u32;
    let mut resizes: Vec<(usize, u16, u16)> = Vec::new();
    for (n, line) in sidecar.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| format!("{name}.case:{}: expected key = value", n + 1))?;
        let (k, v) = (k.trim(), v.trim());
        match k {
            "size" => size = Some(parse_size(v).ok_or(format!("{name}: bad size {v:?}"))?),
            "history-limit" => {
                history_limit = v
                    .parse()
                    .map_err(|_| format!("{name}: bad history-limit {v:?}"))?
            }
            "resize" => {
                let (off, sz) = v
                    .split_once(' ')
                    .ok_or(format!("{name}: resize wants OFFSET COLSxROWS"))?;
                let off: usize = off.parse().map_err(|_| format!("{name}: bad offset"))?;
                let (c, r) = parse_size(sz).ok_or(format!("{name}: bad size {sz:?}"))?;
                resizes.push((off, c, r));
            }
            "source" | "note" => {}
            other => return Err(format!("{name}: unknown key {other:?}")),
        }
    }
    let (cols, rows) = size.ok_or(format!("{name}: no size"))?;
    let mut steps = Vec::new();
    let mut at = 0usize;
    for (off, c, r) in resizes {
        if off < at || off > bytes.len() {
            return Err(format!(
                "{name}: resize offset {off} out of order or past the end"
            ));
        }
        if off > at {
            steps.push(Step::Feed(bytes[at..off].to_vec()));
        }
        steps.push(Step::Resize(c, r));
        at = off;
    }
    if at < bytes.len() {
        steps.push(Step::Feed(bytes[at..].to_vec()));
    }
    Ok(Case {
        name: name.to_string(),
        cols,
        rows,
        history_limit,
        steps,
    })
}

/// Whether a parser that has read `bytes` is back in its ground state (not inside an escape
/// sequence, a string or a UTF-8 character). The oracle needs every segment to end there:
/// otherwise its own sync query would complete the pending sequence in tmux only.
/// Checked with vte: a probe `A` must come out as exactly one printed `A`.
pub fn ends_in_ground(bytes: &[u8]) -> bool {
    #[derive(Default)]
    struct Probe {
        events: Vec<String>,
    }
    impl vte::Perform for Probe {
        fn print(&mut self, c: char) {
            self.events.push(format!("print {c}"));
        }
        fn execute(&mut self, b: u8) {
            self.events.push(format!("execute {b}"));
        }
        fn hook(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
            self.events.push("hook".into());
        }
        fn osc_dispatch(&mut self, _: &[&[u8]], _: bool) {
            self.events.push("osc".into());
        }
        fn csi_dispatch(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
            self.events.push("csi".into());
        }
        fn esc_dispatch(&mut self, _: &[u8], _: bool, _: u8) {
            self.events.push("esc".into());
        }
    }
    let mut parser = vte::Parser::new();
    let mut sink = Probe::default();
    parser.advance(&mut sink, bytes);
    let mut probe = Probe::default();
    parser.advance(&mut probe, b"A");
    probe.events == ["print A"]
}

/// The committed corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Loads every `*.case` in the corpus (sorted by name).
pub fn load_corpus() -> Result<Vec<Case>, String> {
    let dir = corpus_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let sidecar = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let bin = p.with_extension("bin");
        let bytes = std::fs::read(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
        let case = from_sidecar(&format!("corpus/{stem}"), &sidecar, bytes)?;
        for st in &case.steps {
            if let Step::Feed(b) = st {
                if !ends_in_ground(b) {
                    return Err(format!(
                        "{}: a segment ends inside an escape sequence",
                        case.name
                    ));
                }
                if b.windows(4).any(|w| w == b"\x1b[5n") {
                    return Err(format!(
                        "{}: contains ESC [ 5 n (the oracle's sync)",
                        case.name
                    ));
                }
            }
        }
        out.push(case);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_splits_at_resizes() {
        let c = from_sidecar(
            "t",
            "size = 10x4\nhistory-limit = 5 # small\nresize = 3 4x2\nresize = 3 9x9\n",
            b"abcdef".to_vec(),
        )
        .unwrap();
        assert_eq!((c.cols, c.rows, c.history_limit), (10, 4, 5));
        assert_eq!(
            c.steps,
            vec![
                Step::Feed(b"abc".to_vec()),
                Step::Resize(4, 2),
                Step::Resize(9, 9),
                Step::Feed(b"def".to_vec())
            ]
        );
        assert!(from_sidecar("t", "size = 0x4", vec![]).is_err());
        assert!(ends_in_ground(b"ab\x1b[31mc\x1b]2;t\x07\xc3\xa9"));
        for bad in [&b"\x1b"[..], b"\x1b[3", b"\x1b]2;t", b"\xc3", b"\x1bP1q"] {
            assert!(!ends_in_ground(bad), "{bad:?}");
        }
        assert!(from_sidecar("t", "size = 4x4\nresize = 9 2x2", vec![1]).is_err());
    }
}

//! `memory`: what a line of history costs. muxlink, `alacritty_terminal` and `vt100` are fed
//! the same lines of plain text (counting allocator, [`crate::meter`]), and so is a tmux
//! server (its resident growth: `VmRSS` of the server process), for 70- and 20-character
//! lines at 200x50 and 80x24, history limit 2000 (tmux's default).
//!
//! Each emulator first takes `rows - 1` lines (the screen full, no history yet: the
//! baseline), then [`LINES`] more, which all go into history (under the limit, so nothing is
//! dropped). `bytes_per_line` = growth between the two / history lines added;
//! `ratio_to_tmux` = that / tmux's (below 1: less than the server spends on the same lines).
//! Growth includes everything the emulator allocates as history fills (its index, blocks,
//! rows, chunks reserved ahead), amortised over the lines.
//!
//! tmux runs on a private socket (`tmux -L <unique> -f /dev/null`, killed afterwards); its
//! pane reads the two batches from FIFOs (`cat`), and the server's history size and cursor
//! are waited on (they must equal muxlink's) before each reading. Without tmux the rows have no ratio and a
//! note says why.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::term::test::TermSize;
use alacritty_terminal::term::{Config, Term};
use alacritty_terminal::vte::ansi::Processor;
use anyhow::{anyhow, bail, Context as _, Result};
use muxlink_term::Terminal;
use muxlink_testkit::TmuxServer;
use serde_json::{Map, Value};

use super::{round2, Context, Group, Row};
use crate::meter::Meter;

/// History limit of every emulator and of the tmux server.
pub const HISTORY: usize = 2000;

/// Lines measured (after the baseline), all kept in history.
pub const LINES: usize = 1900;

/// (cols, rows) measured.
pub const SIZES: &[(u16, u16)] = &[(200, 50), (80, 24)];

/// Characters per line measured.
pub const LINE_CHARS: &[usize] = &[70, 20];

/// How long tmux may take to show a batch.
const TMUX_TIMEOUT: Duration = Duration::from_secs(60);

/// The `memory` group.
pub struct MemoryGroup;

/// `n` lines of `chars` printable ASCII characters, each ended by CR LF; line numbers start
/// at `first` (each line differs from the ones around it).
pub fn lines(chars: usize, first: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * (chars + 2));
    for i in first..first + n {
        out.extend((0..chars).map(|k| b'!' + ((i * 7 + k) % 94) as u8));
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What one implementation's history grew by.
#[derive(Clone, Copy, Debug)]
pub struct Growth {
    /// Bytes the history lines added.
    pub bytes: i64,
    /// History lines added.
    pub lines: usize,
}

impl Growth {
    /// Bytes per history line.
    pub fn per_line(&self) -> f64 {
        self.bytes as f64 / self.lines.max(1) as f64
    }
}

/// Runs `warm` then `more` through an emulator built by `make`, counting this thread's
/// allocations; `history` reads its history length.
fn counted<T>(
    make: impl FnOnce() -> T,
    mut feed: impl FnMut(&mut T, &[u8]),
    history: impl Fn(&mut T) -> usize,
    warm: &[u8],
    more: &[u8],
) -> Growth {
    Meter::start();
    let mut t = make();
    feed(&mut t, warm);
    let (b0, h0) = (Meter::live(), history(&mut t));
    feed(&mut t, more);
    let b1 = Meter::live();
    Meter::stop();
    let h1 = history(&mut t);
    Growth {
        bytes: b1 - b0,
        lines: h1.saturating_sub(h0),
    }
}

/// Where an emulator stands after a batch: history lines and cursor row.
pub type Mark = (usize, u16);

/// muxlink's growth, and its history length and cursor row after `warm` and after both.
pub fn muxlink(cols: u16, rows: u16, warm: &[u8], more: &[u8]) -> (Growth, Mark, Mark) {
    let g = counted(
        || Terminal::with_history_limit(cols, rows, HISTORY as _),
        |t, b| t.feed(b),
        |t| t.history_len(),
        warm,
        more,
    );
    let mut t = Terminal::with_history_limit(cols, rows, HISTORY as _);
    t.feed(warm);
    let m0 = (t.history_len(), t.cursor().y);
    t.feed(more);
    (g, m0, (t.history_len(), t.cursor().y))
}

/// alacritty_terminal's growth.
pub fn alacritty(cols: u16, rows: u16, warm: &[u8], more: &[u8]) -> Growth {
    counted(
        || {
            let config = Config {
                scrolling_history: HISTORY,
                ..Config::default()
            };
            let size = TermSize::new(cols as usize, rows as usize);
            (Term::new(config, &size, VoidListener), Processor::new())
        },
        |(term, parser): &mut (Term<VoidListener>, Processor), b| parser.advance(term, b),
        |(term, _)| term.grid().history_size(),
        warm,
        more,
    )
}

/// vt100's growth.
pub fn vt100(cols: u16, rows: u16, warm: &[u8], more: &[u8]) -> Growth {
    counted(
        || {
            let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN);
            vt100::Parser::new(nz(rows), nz(cols), HISTORY)
        },
        |p, b| p.process(b),
        |p| {
            // The scrollback offset is clamped to the lines held: asking for all shows how
            // many there are.
            p.screen_mut().set_scrollback(usize::MAX);
            let n = p.screen().scrollback();
            p.screen_mut().set_scrollback(0);
            n
        },
        warm,
        more,
    )
}

/// The tmux server's resident growth over `more`, its pane first fed `warm`; `m0`, `m1`:
/// the history sizes and cursor rows to wait for (muxlink's).
pub fn tmux(cols: u16, rows: u16, warm: &[u8], more: &[u8], m0: Mark, m1: Mark) -> Result<Growth> {
    let dir = TempDir::new()?;
    let (f0, f1) = (dir.0.join("warm"), dir.0.join("more"));
    for f in [&f0, &f1] {
        let ok = Command::new("mkfifo")
            .arg(f)
            .status()
            .context("running mkfifo")?
            .success();
        if !ok {
            bail!("mkfifo {} failed", f.display());
        }
    }
    let cmd = format!(
        "cat '{}'; cat '{}'; exec sleep 1000000",
        f0.display(),
        f1.display()
    );
    let server = TmuxServer::start_with("bench-memory", cols, rows, &[&cmd])?;
    let limit = display(&server, "#{history_limit}")?;
    if limit != HISTORY.to_string() {
        bail!("tmux history-limit is {limit}, not {HISTORY}");
    }
    let pid: u32 = display(&server, "#{pid}")?
        .parse()
        .context("tmux server pid")?;
    write_fifo(&f0, warm)?;
    wait_mark(&server, m0)?;
    let r0 = resident_bytes(pid)?;
    write_fifo(&f1, more)?;
    wait_mark(&server, m1)?;
    let r1 = resident_bytes(pid)?;
    drop(server);
    Ok(Growth {
        bytes: r1 as i64 - r0 as i64,
        lines: m1.0 - m0.0,
    })
}

fn display(server: &TmuxServer, format: &str) -> Result<String> {
    let out = server.tmux_ok(&["display-message", "-p", "-t", "main", format])?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Waits until the pane's history size and cursor row are `want` (the batch was read: the
/// last line of a batch moves one or the other).
fn wait_mark(server: &TmuxServer, want: Mark) -> Result<()> {
    let text = format!("{} {}", want.0, want.1);
    let got = server.wait_for(TMUX_TIMEOUT, |s| {
        let h = display(s, "#{history_size} #{cursor_y}").ok()?;
        (h == text).then_some(())
    });
    got.map_err(|e| anyhow!("tmux did not reach history and cursor {text}: {e}"))
}

/// Writes `bytes` to a FIFO once its reader (the pane's `cat`) has it open.
fn write_fifo(path: &Path, bytes: &[u8]) -> Result<()> {
    let start = Instant::now();
    let mut f = loop {
        // Non-blocking: an open without a reader fails (ENXIO) rather than hanging.
        match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => break f,
            Err(e) if start.elapsed() < TMUX_TIMEOUT && e.raw_os_error() == Some(libc::ENXIO) => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
        }
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        match f.write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock && start.elapsed() < TMUX_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e).with_context(|| format!("writing {}", path.display())),
        }
    }
    Ok(())
}

/// A process's resident memory (`VmRSS`), in bytes.
fn resident_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS for pid {pid}"))?;
    Ok(kib * 1024)
}

/// A folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("muxlink-bench-memory-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn row(
    workload: &str,
    impl_name: &'static str,
    g: Growth,
    tmux: Option<f64>,
    cols: u16,
    chars: usize,
) -> Row {
    let mut extra = Map::new();
    extra.insert("bytes_per_line".into(), round2(g.per_line()));
    extra.insert("history_lines".into(), Value::from(g.lines));
    extra.insert("line_chars".into(), Value::from(chars));
    extra.insert("cols".into(), Value::from(cols));
    match tmux {
        Some(t) if t > 0.0 => {
            extra.insert("ratio_to_tmux".into(), round2(g.per_line() / t));
        }
        _ => {
            extra.insert("ratio_to_tmux".into(), Value::Null);
        }
    }
    Row {
        group: "memory",
        workload: workload.to_string(),
        impl_name,
        // Not a throughput: the report shows `bytes_per_line` for this group.
        mb_per_s: 0.0,
        extra,
    }
}

impl Group for MemoryGroup {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut out = Vec::new();
        let tmux_ok = muxlink_testkit::tmux_available();
        if !tmux_ok {
            notes.push("memory: no tmux here, so no tmux rows and no ratios".into());
        }
        for &(cols, rows) in SIZES {
            for &chars in LINE_CHARS {
                let name = format!("lines{chars}@{cols}x{rows}");
                if !ctx.selected(&name) {
                    continue;
                }
                let warm = lines(chars, 0, rows as usize - 1);
                let more = lines(chars, rows as usize, LINES);
                let (ours, m0, m1) = muxlink(cols, rows, &warm, &more);
                if m1.0 - m0.0 != LINES {
                    bail!(
                        "memory/{name}: muxlink kept {} history lines of {LINES}",
                        m1.0 - m0.0
                    );
                }
                let theirs = if tmux_ok {
                    match tmux(cols, rows, &warm, &more, m0, m1) {
                        Ok(g) => Some(g),
                        Err(e) => {
                            notes.push(format!("memory/{name}: tmux not measured: {e:#}"));
                            None
                        }
                    }
                } else {
                    None
                };
                let t = theirs.map(|g| g.per_line());
                let keep = |n: &str| ctx.only_impl.as_deref().is_none_or(|o| o == n);
                if keep("muxlink") {
                    out.push(row(&name, "muxlink", ours, t, cols, chars));
                }
                if keep("alacritty_terminal") {
                    let g = alacritty(cols, rows, &warm, &more);
                    out.push(row(&name, "alacritty_terminal", g, t, cols, chars));
                }
                if keep("vt100") {
                    let g = vt100(cols, rows, &warm, &more);
                    out.push(row(&name, "vt100", g, t, cols, chars));
                }
                if let Some(g) = theirs {
                    out.push(row(&name, "tmux", g, t, cols, chars));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn muxlink_history_costs_less_than_a_full_width_row() {
        let warm = lines(70, 0, 9);
        let more = lines(70, 9, 500);
        let (g, m0, m1) = muxlink(200, 10, &warm, &more);
        assert_eq!((m0.0, m1.0), (0, 500));
        // A full-width row is 200 cells of 16 bytes: packed history stays far below.
        assert!(g.per_line() < 200.0, "{} bytes per line", g.per_line());
        assert!(g.per_line() > 70.0, "{} bytes per line", g.per_line());
    }
}

//! `emulator`: raw pane output into a terminal grid. muxlink's `Terminal` against
//! `alacritty_terminal` (through `vte::ansi::Processor`, as Alacritty drives it) and `vt100`,
//! all at the same size with a 2000-line history (tmux's default), fed the same bytes in the
//! same pieces. Each sample starts from a fresh terminal (built outside the timed part).
//!
//! Every workload runs at each feed size of [`Context::feeds`]: 64 KiB (what one `read` of a
//! pipe returns at most) and the sizes of tmux's `%output` payloads (64, 256 and 1,024
//! bytes), which cut escape sequences and UTF-8 characters anywhere. Results carry
//! `feed_bytes`; a workload fed in pieces other than 64 KiB is named `NAME/<feed>B`.
//!
//! The group checks itself: after each workload, the final screen text of muxlink and of each
//! peer is compared where their behaviour is meant to agree ([`agreement`]), and the result
//! goes into each peer's row (`screen_matches_muxlink`, or `screen_compared: false` with the
//! reason).

use std::num::NonZeroU16;

use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::cell::Flags;
use alacritty_terminal::term::test::TermSize;
use alacritty_terminal::term::{Config, Term};
use alacritty_terminal::vte::ansi::Processor;
use anyhow::Result;
use muxlink_term::Terminal;
use serde_json::Value;

use super::{Context, Group, Row, CHUNK};
use crate::measure::{measure, Subject};
use crate::workloads::{self, SPECS};

/// History kept by every emulator (tmux's default `history-limit`).
pub const HISTORY: usize = 2000;

/// Feed sizes measured by default: 64 KiB, then `%output`-sized pieces.
pub const FEEDS: &[usize] = &[CHUNK, 1024, 256, 64];

/// The `emulator` group.
pub struct EmulatorGroup;

/// muxlink's emulator.
pub struct Muxlink {
    cols: usize,
    rows: usize,
    feed: usize,
    term: Terminal,
}

impl Muxlink {
    /// A terminal of `cols` x `rows`, fed 64 KiB at a time.
    pub fn new(cols: usize, rows: usize) -> Self {
        Self::with_feed(cols, rows, CHUNK)
    }

    /// A terminal of `cols` x `rows`, fed `feed` bytes at a time.
    pub fn with_feed(cols: usize, rows: usize, feed: usize) -> Self {
        Muxlink {
            cols,
            rows,
            feed: feed.max(1),
            term: Terminal::with_history_limit(cols as _, rows as _, HISTORY as _),
        }
    }

    /// The terminal.
    pub fn terminal(&self) -> &Terminal {
        &self.term
    }

    /// The visible rows as text, trailing blanks trimmed.
    pub fn screen_text(&self) -> Vec<String> {
        muxlink_term::capture::plain(&self.term)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Subject for Muxlink {
    fn name(&self) -> &'static str {
        "muxlink"
    }
    fn reset(&mut self) {
        self.term = Terminal::with_history_limit(self.cols as _, self.rows as _, HISTORY as _);
    }
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        for chunk in bytes.chunks(self.feed) {
            self.term.feed(chunk);
        }
        let c = self.term.cursor();
        c.x as u64 + ((c.y as u64) << 16) + ((self.term.history_len() as u64) << 32)
    }
}

/// `alacritty_terminal` 0.26.
pub struct Alacritty {
    cols: usize,
    rows: usize,
    feed: usize,
    term: Term<VoidListener>,
    parser: Processor,
}

fn alacritty_term(cols: usize, rows: usize) -> Term<VoidListener> {
    let config = Config {
        scrolling_history: HISTORY,
        ..Config::default()
    };
    Term::new(config, &TermSize::new(cols, rows), VoidListener)
}

impl Alacritty {
    /// A terminal of `cols` x `rows`, fed 64 KiB at a time.
    pub fn new(cols: usize, rows: usize) -> Self {
        Self::with_feed(cols, rows, CHUNK)
    }

    /// A terminal of `cols` x `rows`, fed `feed` bytes at a time.
    pub fn with_feed(cols: usize, rows: usize, feed: usize) -> Self {
        Alacritty {
            cols,
            rows,
            feed: feed.max(1),
            term: alacritty_term(cols, rows),
            parser: Processor::new(),
        }
    }

    /// The terminal.
    pub fn terminal(&self) -> &Term<VoidListener> {
        &self.term
    }

    /// The visible rows as text (wide-character spacers skipped, zero-width characters
    /// kept), trailing blanks trimmed.
    pub fn screen_text(&self) -> Vec<String> {
        let grid = self.term.grid();
        (0..grid.screen_lines())
            .map(|y| {
                let row = &grid[Line(y as i32)];
                let mut s = String::new();
                for x in 0..grid.columns() {
                    let cell = &row[Column(x)];
                    if cell
                        .flags
                        .intersects(Flags::WIDE_CHAR_SPACER | Flags::LEADING_WIDE_CHAR_SPACER)
                    {
                        continue;
                    }
                    s.push(cell.c);
                    if let Some(z) = cell.zerowidth() {
                        s.extend(z);
                    }
                }
                s.truncate(s.trim_end_matches(' ').len());
                s
            })
            .collect()
    }
}

impl Subject for Alacritty {
    fn name(&self) -> &'static str {
        "alacritty_terminal"
    }
    fn reset(&mut self) {
        self.term = alacritty_term(self.cols, self.rows);
        self.parser = Processor::new();
    }
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        for chunk in bytes.chunks(self.feed) {
            self.parser.advance(&mut self.term, chunk);
        }
        let p = self.term.grid().cursor.point;
        p.column.0 as u64
            + ((p.line.0 as u64) << 16)
            + ((self.term.grid().history_size() as u64) << 32)
    }
}

/// `vt100` 0.18.
pub struct Vt100 {
    cols: NonZeroU16,
    rows: NonZeroU16,
    feed: usize,
    parser: vt100::Parser,
}

impl Vt100 {
    /// A terminal of `cols` x `rows`, fed 64 KiB at a time.
    pub fn new(cols: usize, rows: usize) -> Self {
        Self::with_feed(cols, rows, CHUNK)
    }

    /// A terminal of `cols` x `rows`, fed `feed` bytes at a time.
    pub fn with_feed(cols: usize, rows: usize, feed: usize) -> Self {
        let nz = |n: usize| {
            NonZeroU16::new(n.clamp(1, u16::MAX as usize) as u16).unwrap_or(NonZeroU16::MIN)
        };
        let (cols, rows) = (nz(cols), nz(rows));
        Vt100 {
            cols,
            rows,
            feed: feed.max(1),
            parser: vt100::Parser::new(rows, cols, HISTORY),
        }
    }

    /// The parser.
    pub fn parser(&self) -> &vt100::Parser {
        &self.parser
    }

    /// The visible rows as text, trailing blanks trimmed.
    pub fn screen_text(&self) -> Vec<String> {
        self.parser
            .screen()
            .rows(0, self.cols.get())
            .map(|s| s.trim_end_matches(' ').to_string())
            .collect()
    }
}

impl Subject for Vt100 {
    fn name(&self) -> &'static str {
        "vt100"
    }
    fn reset(&mut self) {
        self.parser = vt100::Parser::new(self.rows, self.cols, HISTORY);
    }
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        for chunk in bytes.chunks(self.feed) {
            self.parser.process(chunk);
        }
        let (row, col) = self.parser.screen().cursor_position();
        u64::from(col) + (u64::from(row) << 16)
    }
}

/// The three emulators at one size, muxlink first, fed 64 KiB at a time.
pub fn subjects(cols: usize, rows: usize) -> Vec<Box<dyn Subject>> {
    subjects_fed(cols, rows, CHUNK)
}

/// The three emulators at one size, muxlink first, fed `feed` bytes at a time.
pub fn subjects_fed(cols: usize, rows: usize, feed: usize) -> Vec<Box<dyn Subject>> {
    vec![
        Box::new(Muxlink::with_feed(cols, rows, feed)),
        Box::new(Alacritty::with_feed(cols, rows, feed)),
        Box::new(Vt100::with_feed(cols, rows, feed)),
    ]
}

/// Whether a peer's screen is expected to equal muxlink's after a workload: `Ok(())` when it
/// is, `Err(reason)` when their documented behaviours differ there (so a difference says
/// nothing about either).
pub fn agreement(workload: &str, peer: &str) -> Result<(), &'static str> {
    match (workload, peer) {
        // Character widths: muxlink follows tmux (glibc's wcwidth), alacritty_terminal and
        // vt100 the Unicode width tables of their crates; emoji and some symbols differ.
        ("unicode", _) => Err("character widths follow different tables (tmux: glibc wcwidth)"),
        // tmux keeps the pending-wrap cursor in column `cols` and moves from there (a BS
        // lands in the last column); xterm-style emulators keep it in the last column with a
        // wrap flag (a BS lands one further left), so every later write shifts.
        ("cursor_motion", _) => {
            Err("motion from the pending-wrap column differs (tmux: column `cols`)")
        }
        _ => Ok(()),
    }
}

/// Feeds `bytes` (in `feed`-byte pieces) to a fresh terminal of each kind and compares the
/// final screen texts with muxlink's. Returns, per peer, `Some(matches)` or `None` when not
/// compared (see [`agreement`]), with the first differing row for the report.
pub fn compare_screens(
    workload: &str,
    bytes: &[u8],
    cols: usize,
    rows: usize,
    feed: usize,
) -> Vec<ScreenCheck> {
    let mut m = Muxlink::with_feed(cols, rows, feed);
    m.feed(bytes);
    let ours = m.screen_text();
    let mut a = Alacritty::with_feed(cols, rows, feed);
    a.feed(bytes);
    let mut v = Vt100::with_feed(cols, rows, feed);
    v.feed(bytes);
    [
        ("alacritty_terminal", a.screen_text()),
        ("vt100", v.screen_text()),
    ]
    .into_iter()
    .map(|(peer, theirs)| {
        let first_difference = ours
            .iter()
            .zip(&theirs)
            .position(|(x, y)| x != y)
            .or((ours.len() != theirs.len()).then_some(ours.len().min(theirs.len())));
        ScreenCheck {
            peer,
            expected: agreement(workload, peer),
            first_difference,
        }
    })
    .collect()
}

/// One peer's final screen against muxlink's.
#[derive(Clone, Debug)]
pub struct ScreenCheck {
    /// The peer.
    pub peer: &'static str,
    /// Whether the screens are meant to agree (`Err`: why not).
    pub expected: Result<(), &'static str>,
    /// The first row whose text differs, if any.
    pub first_difference: Option<usize>,
}

impl ScreenCheck {
    /// Whether the check failed: the screens should agree and do not.
    pub fn failed(&self) -> bool {
        self.expected.is_ok() && self.first_difference.is_some()
    }
}

/// The suffix naming a feed size in a workload name ("" for 64 KiB).
pub fn feed_suffix(feed: usize) -> String {
    if feed == CHUNK {
        String::new()
    } else {
        format!("/{feed}B")
    }
}

impl Group for EmulatorGroup {
    fn name(&self) -> &'static str {
        "emulator"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        for (i, &(cols, lines)) in ctx.sizes.iter().enumerate() {
            for spec in SPECS
                .iter()
                .filter(|s| s.group == "emulator" && ctx.selected(s.name))
            {
                let w = workloads::load(&ctx.dir, spec)?;
                for &feed in &ctx.feeds {
                    let size = if i == 0 {
                        String::new()
                    } else {
                        format!("@{cols}x{lines}")
                    };
                    let name = format!("{}{size}{}", spec.name, feed_suffix(feed));
                    let mut subjects = subjects_fed(cols, lines, feed);
                    ctx.keep_selected(&mut subjects);
                    let checks = compare_screens(spec.name, &w.bytes, cols, lines, feed);
                    for meas in measure(&w.bytes, &mut subjects, ctx.budget) {
                        let mut row = Row::from_measurement("emulator", &name, &meas);
                        row.extra.insert("feed_bytes".into(), Value::from(feed));
                        if let Some(c) = checks.iter().find(|c| c.peer == meas.name) {
                            match c.expected {
                                Ok(()) => {
                                    row.extra.insert("screen_compared".into(), true.into());
                                    row.extra.insert(
                                        "screen_matches_muxlink".into(),
                                        c.first_difference.is_none().into(),
                                    );
                                    if let Some(y) = c.first_difference {
                                        notes.push(format!(
                                            "emulator/{name}: {}'s screen differs from muxlink's from row {y}",
                                            c.peer
                                        ));
                                    }
                                }
                                Err(why) => {
                                    row.extra.insert("screen_compared".into(), false.into());
                                    row.extra
                                        .insert("screen_not_compared_because".into(), why.into());
                                }
                            }
                        }
                        rows.push(row);
                    }
                }
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_emulator_ends_with_the_cursor_where_plain_text_leaves_it() {
        // 30 lines of "abc" on a 80x24 screen: cursor at column 0 of the last row, 7 lines in
        // history (30 lines + the empty one under the cursor = 31 rows).
        let bytes = b"abc\r\n".repeat(30);
        for feed in [CHUNK, 3] {
            for mut s in subjects_fed(80, 24, feed) {
                s.reset();
                let check = s.feed(&bytes);
                assert_eq!(check & 0xffff, 0, "{}: column", s.name());
                assert_eq!((check >> 16) & 0xffff, 23, "{}: row", s.name());
            }
        }
    }

    #[test]
    fn screen_comparison_sees_agreement_and_difference() {
        let same = b"one\r\ntwo\x1b[31m red\x1b[m\r\n";
        for c in compare_screens("plain_ascii", same, 20, 4, 5) {
            assert!(!c.failed(), "{c:?}");
        }
        // A deliberate difference: tmux reads `ESC k ... ST` as a window name (muxlink shows
        // nothing); the peers print its text.
        let rename = b"\x1bkname\x1b\\text";
        for c in compare_screens("plain_ascii", rename, 20, 4, CHUNK) {
            assert!(c.failed(), "{c:?}");
        }
        for c in compare_screens("unicode", rename, 20, 4, CHUNK) {
            assert!(!c.failed() && c.expected.is_err(), "{c:?}");
        }
    }
}

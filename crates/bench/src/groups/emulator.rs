//! `emulator`: raw pane output into a terminal grid. muxlink's `Terminal` against
//! `alacritty_terminal` (through `vte::ansi::Processor`, as Alacritty drives it) and `vt100`,
//! all at the same size with a 2000-line history (tmux's default), fed the same bytes in 64 KiB
//! chunks. Each sample starts from a fresh terminal (built outside the timed part).

use std::num::NonZeroU16;

use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::term::test::TermSize;
use alacritty_terminal::term::{Config, Term};
use alacritty_terminal::vte::ansi::Processor;
use anyhow::Result;
use muxlink_term::Terminal;

use super::{Context, Group, Row, CHUNK};
use crate::measure::{measure, Subject};
use crate::workloads::{self, SPECS};

/// History kept by every emulator (tmux's default `history-limit`).
pub const HISTORY: usize = 2000;

/// The `emulator` group.
pub struct EmulatorGroup;

/// muxlink's emulator.
pub struct Muxlink {
    cols: usize,
    rows: usize,
    term: Terminal,
}

impl Muxlink {
    /// A terminal of `cols` x `rows`.
    pub fn new(cols: usize, rows: usize) -> Self {
        Muxlink {
            cols,
            rows,
            term: Terminal::with_history_limit(cols as _, rows as _, HISTORY as _),
        }
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
        for chunk in bytes.chunks(CHUNK) {
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
    /// A terminal of `cols` x `rows`.
    pub fn new(cols: usize, rows: usize) -> Self {
        Alacritty {
            cols,
            rows,
            term: alacritty_term(cols, rows),
            parser: Processor::new(),
        }
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
        for chunk in bytes.chunks(CHUNK) {
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
    parser: vt100::Parser,
}

impl Vt100 {
    /// A terminal of `cols` x `rows`.
    pub fn new(cols: usize, rows: usize) -> Self {
        let nz = |n: usize| {
            NonZeroU16::new(n.clamp(1, u16::MAX as usize) as u16).unwrap_or(NonZeroU16::MIN)
        };
        let (cols, rows) = (nz(cols), nz(rows));
        Vt100 {
            cols,
            rows,
            parser: vt100::Parser::new(rows, cols, HISTORY),
        }
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
        for chunk in bytes.chunks(CHUNK) {
            self.parser.process(chunk);
        }
        let (row, col) = self.parser.screen().cursor_position();
        u64::from(col) + (u64::from(row) << 16)
    }
}

/// The three emulators at one size, muxlink first.
pub fn subjects(cols: usize, rows: usize) -> Vec<Box<dyn Subject>> {
    vec![
        Box::new(Muxlink::new(cols, rows)),
        Box::new(Alacritty::new(cols, rows)),
        Box::new(Vt100::new(cols, rows)),
    ]
}

impl Group for EmulatorGroup {
    fn name(&self) -> &'static str {
        "emulator"
    }

    fn run(&self, ctx: &Context, _notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        for (i, &(cols, lines)) in ctx.sizes.iter().enumerate() {
            for spec in SPECS
                .iter()
                .filter(|s| s.group == "emulator" && ctx.selected(s.name))
            {
                let w = workloads::load(&ctx.dir, spec)?;
                let name = if i == 0 {
                    spec.name.to_string()
                } else {
                    format!("{}@{cols}x{lines}", spec.name)
                };
                let mut subjects = subjects(cols, lines);
                ctx.keep_selected(&mut subjects);
                for meas in measure(&w.bytes, &mut subjects, ctx.budget) {
                    rows.push(Row::from_measurement("emulator", &name, &meas));
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
        for mut s in subjects(80, 24) {
            s.reset();
            let check = s.feed(&bytes);
            assert_eq!(check & 0xffff, 0, "{}: column", s.name());
            assert_eq!((check >> 16) & 0xffff, 23, "{}: row", s.name());
        }
    }
}

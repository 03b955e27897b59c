//! History: lines that scrolled off the screen, packed ([`super::packed`]) at the width
//! they use, as tmux keeps each history line at its own `cellsize`.
//!
//! Packed lines are appended to blocks of [`BLOCK`] bytes; a line's place is (block, start,
//! length). Dropping the oldest lines frees the blocks no line uses any more, which are kept
//! as spares (a few) for the lines that follow: once history is full, scrolling allocates
//! nothing, and memory follows what history holds, not its limit. Nothing is reserved:
//! the index and the blocks grow as history fills.

use std::collections::VecDeque;

use super::packed::{self, Unpack};
use super::row::Row;
use crate::cell::Cell;

/// Bytes per block (a line longer than that gets a block of its own).
const BLOCK: usize = 8 << 10;

/// Spare blocks kept beyond this many (plus one per eight in use) are freed.
const SPARE_MIN: usize = 4;

/// Where a line is and what a row needs besides its cells.
#[derive(Clone, Copy, Debug)]
struct Meta {
    /// Block sequence number (wrapping).
    block: u32,
    start: u32,
    len: u32,
    /// Cells stored; the rest read as `EMPTY`.
    width: u16,
    used: u16,
    size: u16,
    ext_end: u16,
    wrapped: bool,
}

/// The history lines, oldest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    lines: VecDeque<Meta>,
    blocks: VecDeque<Vec<u8>>,
    /// Sequence number of `blocks[0]`.
    first_block: u32,
    spare: Vec<Vec<u8>>,
    /// Packing buffer.
    scratch: Vec<u8>,
    /// Lines pushed so far (debug builds sample which ones they check after packing).
    #[cfg(debug_assertions)]
    pushed: u64,
}

/// One history line, to read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packed<'a> {
    bytes: &'a [u8],
    meta: Meta,
}

impl<'a> Packed<'a> {
    /// tmux's `cellused`.
    pub fn used(&self) -> u16 {
        self.meta.used
    }

    /// Whether the line continues on the next one.
    pub fn wrapped(&self) -> bool {
        self.meta.wrapped
    }

    /// tmux's `cellsize`.
    pub fn size(&self) -> u16 {
        self.meta.size
    }

    /// The stored cells, in order.
    pub fn cells(&self) -> Unpack<'a> {
        Unpack::new(self.bytes)
    }
}

impl History {
    /// Lines held.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Line `i` (0 = oldest).
    #[inline]
    pub fn get(&self, i: usize) -> Packed<'_> {
        let meta = self.lines[i];
        let block = &self.blocks[meta.block.wrapping_sub(self.first_block) as usize];
        Packed {
            bytes: &block[meta.start as usize..(meta.start + meta.len) as usize],
            meta,
        }
    }

    /// Clears the newest line's wrapped flag (tmux's "line above" the screen).
    pub fn unwrap_newest(&mut self) {
        if let Some(m) = self.lines.back_mut() {
            m.wrapped = false;
        }
    }

    /// Appends `row` as the newest line.
    #[inline]
    pub fn push(&mut self, row: &Row) {
        let (start, end, width) = match row.shadow().get() {
            // Printed text: its runs and characters are the packed line.
            Some((end, units, runs)) => {
                // Packed into the scratch buffer (sized once, never cleared), then copied:
                // a copy of what was written costs less than clearing room for the most
                // that could be.
                let mut scratch = std::mem::take(&mut self.scratch);
                let need = packed::units_bound(units.len(), runs.len());
                if scratch.len() < need {
                    scratch.resize(need, 0);
                }
                let n = packed::encode_units(units, runs, &mut scratch);
                let block = self.block_with_room(n);
                let start = block.len();
                block.extend_from_slice(&scratch[..n]);
                self.scratch = scratch;
                (start, start + n, end as usize)
            }
            None => {
                let cells = row.stored();
                let width = packed::stored_width(cells);
                let mut scratch = std::mem::take(&mut self.scratch);
                let need = packed::bound(width);
                if scratch.len() < need {
                    // Grows to the widest line seen, once; written over after that.
                    scratch.resize(need, 0);
                }
                let n = packed::encode_into(&cells[..width], &mut scratch);
                let block = self.block_with_room(n);
                let start = block.len();
                block.extend_from_slice(&scratch[..n]);
                let end = block.len();
                self.scratch = scratch;
                (start, end, width)
            }
        };
        #[cfg(debug_assertions)]
        {
            self.pushed += 1;
        }
        // The shadow's promise and the packing, checked where tests run: every line of a
        // short history, then one in 16 (unpacking every line made long tests slow).
        #[cfg(debug_assertions)]
        if let Some(block) = self
            .blocks
            .back()
            .filter(|_| self.pushed <= 256 || self.pushed.is_multiple_of(16))
        {
            let stored = row.stored();
            let want = &stored[..packed::stored_width(stored)];
            debug_assert!(
                Unpack::new(&block[start..end]).eq(want.iter().copied()),
                "packed history line differs from its row"
            );
        }
        let seq = self.first_block.wrapping_add(self.blocks.len() as u32 - 1);
        self.lines.push_back(Meta {
            block: seq,
            start: start as u32,
            len: (end - start) as u32,
            width: width as u16,
            used: row.used(),
            size: row.size(),
            ext_end: row.ext_end(),
            wrapped: row.wrapped(),
        });
    }

    /// The block being filled, with room for `need` more bytes (a new one if not).
    #[inline]
    fn block_with_room(&mut self, need: usize) -> &mut Vec<u8> {
        let fits = self
            .blocks
            .back()
            .is_some_and(|b| b.capacity() - b.len() >= need);
        if !fits || self.blocks.is_empty() {
            self.new_block(need);
        }
        let last = self.blocks.len() - 1;
        &mut self.blocks[last]
    }

    #[cold]
    fn new_block(&mut self, need: usize) {
        let block = match self.spare.iter().position(|b| b.capacity() >= need) {
            Some(i) => self.spare.swap_remove(i),
            None => Vec::with_capacity(need.max(BLOCK)),
        };
        if self.blocks.is_empty() {
            // Numbering restarts with the first block.
            self.first_block = 0;
        }
        self.blocks.push_back(block);
    }

    /// Drops the `n` oldest lines; blocks no line uses any more become spares.
    pub fn drop_oldest(&mut self, n: usize) {
        let n = n.min(self.lines.len());
        self.lines.drain(..n);
        let keep_from = self.lines.front().map(|m| m.block);
        while let Some(b) = self.blocks.front() {
            let seq = self.first_block;
            // Keep the block the oldest line is in (and the one being filled).
            if keep_from == Some(seq) || (keep_from.is_none() && self.blocks.len() == 1) {
                break;
            }
            let _ = b;
            if let Some(mut b) = self.blocks.pop_front() {
                self.first_block = self.first_block.wrapping_add(1);
                b.clear();
                self.keep_spare(b);
            }
        }
        if self.lines.is_empty() {
            if let Some(b) = self.blocks.back_mut() {
                b.clear();
            }
        }
    }

    fn keep_spare(&mut self, b: Vec<u8>) {
        if b.capacity() <= BLOCK && self.spare.len() < SPARE_MIN + self.blocks.len() / 8 {
            self.spare.push(b);
        }
    }

    /// Drops every line, and the memory they held.
    pub fn clear(&mut self) {
        self.lines = VecDeque::new();
        self.blocks = VecDeque::new();
        self.spare = Vec::new();
        self.first_block = 0;
    }

    /// Removes the newest line and returns it as a row of `cols` cells.
    pub fn pop_newest(&mut self, cols: u16) -> Option<Row> {
        let row = self.row(self.lines.len().checked_sub(1)?, cols);
        self.lines.pop_back();
        // Its block may now be empty; it stays as the block being filled.
        if let Some(back) = self.lines.back() {
            let last = self.first_block.wrapping_add(self.blocks.len() as u32 - 1);
            if back.block != last {
                if let Some(mut b) = self.blocks.pop_back() {
                    b.clear();
                    self.keep_spare(b);
                }
            } else if let Some(b) = self.blocks.back_mut() {
                b.truncate((back.start + back.len) as usize);
            }
        } else {
            self.clear_keeping_blocks();
        }
        Some(row)
    }

    fn clear_keeping_blocks(&mut self) {
        while self.blocks.len() > 1 {
            if let Some(mut b) = self.blocks.pop_front() {
                b.clear();
                self.keep_spare(b);
            }
        }
        if let Some(b) = self.blocks.back_mut() {
            b.clear();
        }
        self.first_block = 0;
    }

    /// Line `i` as a row: its stored cells (padded to `cols` when it has any) and its
    /// bookkeeping.
    pub fn row(&self, i: usize, cols: u16) -> Row {
        let p = self.get(i);
        let mut cells: Vec<Cell> = Vec::new();
        if p.meta.width > 0 {
            cells.reserve((p.meta.width as usize).max(cols as usize));
            cells.extend(p.cells());
        }
        Row::from_parts(
            cells,
            cols,
            p.meta.used,
            p.meta.size,
            p.meta.ext_end,
            p.meta.wrapped,
        )
    }

    /// Every line as a row (oldest first), history left empty (reflow rebuilds it).
    pub fn take_rows(&mut self, cols: u16) -> Vec<Row> {
        let rows = (0..self.len()).map(|i| self.row(i, cols)).collect();
        self.clear_keeping_blocks();
        self.lines.clear();
        rows
    }

    /// Calls `f` with the combined-table index of every `EXTENDED` cell, to read or rewrite
    /// (to an index no larger).
    pub fn extended_indices(&mut self, f: &mut impl FnMut(&mut u32)) {
        for m in &self.lines {
            if m.ext_end == 0 {
                continue;
            }
            let block = &mut self.blocks[m.block.wrapping_sub(self.first_block) as usize];
            let bytes = &mut block[m.start as usize..(m.start + m.len) as usize];
            Unpack::extended_indices(bytes, f);
        }
    }

    /// Heap bytes held (index, blocks, spares).
    pub fn heap_bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<Meta>()
            + self.blocks.capacity() * std::mem::size_of::<Vec<u8>>()
            + self.blocks.iter().map(Vec::capacity).sum::<usize>()
            + self.spare.iter().map(Vec::capacity).sum::<usize>()
            + self.spare.capacity() * std::mem::size_of::<Vec<u8>>()
            + self.scratch.capacity()
    }
}

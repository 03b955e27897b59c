//! Combined characters (a base character plus combining marks) stored outside the cell.
//!
//! Cells flagged `EXTENDED` hold an index into this table. The table keeps each distinct
//! text once, inline (tmux keeps at most [`COMBINED_MAX_BYTES`] bytes per cell), and is
//! compacted to what the grid still references once it has doubled since the last
//! compaction ([`Combined::wants_compaction`], [`Combined::compact`]): its size follows the
//! grid, not the input (a stream of distinct clusters cannot grow it past what the screen
//! and history hold).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Longest combining sequence any tmux release keeps in one cell (`UTF8_SIZE`: 21 before
/// 3.6, 32 from 3.6; `GridPolicy::max_cell_bytes` says which), in UTF-8 bytes.
pub(crate) const COMBINED_MAX_BYTES: usize = 32;

/// The table is not compacted below this many entries.
const COMPACT_FLOOR: usize = 1024;

/// FNV-1a: the combined-character keys are a few bytes long, where SipHash costs more
/// than the rest of printing the character.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// One text, inline: its length, then its UTF-8 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Text {
    len: u8,
    bytes: [u8; COMBINED_MAX_BYTES],
}

impl Text {
    fn new(s: &str) -> Option<Text> {
        let b = s.as_bytes();
        let mut bytes = [0; COMBINED_MAX_BYTES];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(Text {
            len: b.len() as u8,
            bytes,
        })
    }

    fn as_str(&self) -> &str {
        // Built from a `&str` only.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

/// The table.
#[derive(Clone, Debug)]
pub(crate) struct Combined {
    texts: Vec<Text>,
    index: HashMap<Text, u32, BuildHasherDefault<Fnv>>,
    /// Compact when the table reaches this many entries.
    next_compaction: usize,
}

impl Default for Combined {
    fn default() -> Self {
        Combined {
            texts: Vec::new(),
            index: HashMap::default(),
            next_compaction: COMPACT_FLOOR,
        }
    }
}

impl Combined {
    /// The index of `s` (at most [`COMBINED_MAX_BYTES`] bytes), added if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let Some(t) = Text::new(s) else {
            return u32::MAX;
        };
        if let Some(&i) = self.index.get(&t) {
            return i;
        }
        let i = self.texts.len() as u32;
        self.texts.push(t);
        self.index.insert(t, i);
        i
    }

    /// The text at `i` ("" for an index the table does not hold).
    pub fn get(&self, i: u32) -> &str {
        self.texts.get(i as usize).map_or("", Text::as_str)
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether the table has grown enough since the last compaction to compact it now.
    #[inline]
    pub fn wants_compaction(&self) -> bool {
        self.texts.len() >= self.next_compaction
    }

    /// Keeps only the entries `live` marks (indexed by entry), renumbered in their order.
    /// Returns the new index of every old one (`u32::MAX` for those dropped); every old
    /// index still referenced becomes one no larger. The next compaction waits until the
    /// table has doubled again.
    pub fn compact(&mut self, live: &[bool]) -> Vec<u32> {
        let mut remap = vec![u32::MAX; self.texts.len()];
        let mut kept = Vec::new();
        for (i, t) in self.texts.iter().enumerate() {
            if live.get(i).copied().unwrap_or(false) {
                remap[i] = kept.len() as u32;
                kept.push(*t);
            }
        }
        self.index = kept
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, i as u32))
            .collect();
        kept.shrink_to_fit();
        self.texts = kept;
        self.index.shrink_to_fit();
        self.next_compaction = (2 * self.texts.len()).max(COMPACT_FLOOR);
        remap
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.texts.capacity() * std::mem::size_of::<Text>()
            + self.index.capacity() * (std::mem::size_of::<(Text, u32)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_compacts_to_what_is_live() {
        let mut c = Combined::default();
        let a = c.intern("e\u{301}");
        let b = c.intern("a\u{300}");
        assert_eq!(c.intern("e\u{301}"), a);
        assert_eq!(c.get(b), "a\u{300}");
        assert_eq!(c.intern(&"x".repeat(COMBINED_MAX_BYTES + 1)), u32::MAX);
        let remap = c.compact(&[false, true]);
        assert_eq!(remap, [u32::MAX, 0]);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(0), "a\u{300}");
        assert_eq!(c.intern("a\u{300}"), 0);
        assert_eq!(c.intern("e\u{301}"), 1);
    }
}

//! Combined characters (a base character plus combining marks) stored outside the cell.

/// Longest combining sequence tmux keeps in one cell (`UTF8_SIZE`), in UTF-8 bytes.
pub(crate) const COMBINED_MAX_BYTES: usize = 21;

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

/// The table: cells flagged `EXTENDED` hold an index into it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Combined {
    strings: Vec<String>,
    index: std::collections::HashMap<String, u32, std::hash::BuildHasherDefault<Fnv>>,
}

impl Combined {
    /// The index of `s`, added if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }

    /// The text at `i` ("" for an index the table does not hold).
    pub fn get(&self, i: u32) -> &str {
        self.strings
            .get(i as usize)
            .map(|s| s.as_str())
            .unwrap_or("")
    }
}

//! What changed since the host last looked: dirty screen rows and a few flags.

/// Changes since the last [`crate::Terminal::reset_damage`] / [`crate::Terminal::take_damage`].
///
/// Marking is a bit set per screen row plus flags, so it costs a few instructions per
/// operation; reading and resetting cost O(rows / 64).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Damage {
    words: Vec<u64>,
    rows: u16,
    /// The cursor moved or changed visibility.
    pub cursor_changed: bool,
    /// A mode in [`crate::Modes`] or the alternate-screen state changed.
    pub modes_changed: bool,
    /// The title changed.
    pub title_changed: bool,
    /// Lines pushed into history since the reset: by a scroll of the whole screen or (as
    /// tmux 3.3a does) of a region, or by a clear that keeps the screen in history. A host
    /// showing history keeps its view on the same lines by moving it up this many (the
    /// oldest lines may have been dropped meanwhile: history stays within its limit).
    pub scrolled: u32,
    /// The grid was resized; every row is dirty.
    pub resized: bool,
}

impl Damage {
    pub(crate) fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    pub(crate) fn new(rows: u16) -> Damage {
        let mut d = Damage {
            words: vec![0; (rows as usize).div_ceil(64)],
            rows,
            ..Damage::default()
        };
        d.mark_all();
        d
    }

    /// Whether screen row `y` changed.
    pub fn is_row_dirty(&self, y: u16) -> bool {
        self.words
            .get(y as usize / 64)
            .is_some_and(|w| w & (1u64 << (y % 64)) != 0)
    }

    /// The dirty screen rows, in order.
    pub fn dirty_rows(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.rows).filter(move |&y| self.is_row_dirty(y))
    }

    /// Whether anything at all changed.
    pub fn is_empty(&self) -> bool {
        !self.cursor_changed
            && !self.modes_changed
            && !self.title_changed
            && !self.resized
            && self.scrolled == 0
            && self.words.iter().all(|&w| w == 0)
    }

    #[inline(always)]
    pub(crate) fn mark(&mut self, y: u16) {
        if let Some(w) = self.words.get_mut(y as usize / 64) {
            *w |= 1u64 << (y % 64);
        }
    }

    pub(crate) fn mark_range(&mut self, from: u16, to_inclusive: u16) {
        for y in from..=to_inclusive.min(self.rows.saturating_sub(1)) {
            self.mark(y);
        }
    }

    #[inline]
    pub(crate) fn mark_all(&mut self) {
        if let [w] = self.words.as_mut_slice() {
            // Up to 64 rows (the common case, hit at every scroll): one store, no memset.
            *w = u64::MAX >> (64 - self.rows as u32);
            return;
        }
        for w in &mut self.words {
            *w = u64::MAX;
        }
        let extra = self.words.len() * 64 - self.rows as usize;
        if extra > 0 {
            if let Some(last) = self.words.last_mut() {
                *last >>= extra;
            }
        }
    }

    pub(crate) fn reset(&mut self) {
        for w in &mut self.words {
            *w = 0;
        }
        self.cursor_changed = false;
        self.modes_changed = false;
        self.title_changed = false;
        self.scrolled = 0;
        self.resized = false;
    }

    pub(crate) fn resize(&mut self, rows: u16) {
        self.rows = rows;
        self.words.clear();
        self.words.resize((rows as usize).div_ceil(64), 0);
        self.mark_all();
        self.resized = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_resets() {
        let mut d = Damage::new(70);
        assert!(d.is_row_dirty(69));
        assert!(!d.is_row_dirty(70));
        d.reset();
        assert!(d.is_empty());
        d.mark(65);
        assert_eq!(d.dirty_rows().collect::<Vec<_>>(), vec![65]);
        d.mark_range(1, 2);
        assert_eq!(d.dirty_rows().collect::<Vec<_>>(), vec![1, 2, 65]);
    }
}

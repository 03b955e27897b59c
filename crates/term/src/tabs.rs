//! Tab stops (tmux's `s->tabs` bit string).

/// The tab stops of a screen: one flag per column.
#[derive(Clone, Debug)]
pub(crate) struct TabStops {
    stops: Vec<bool>,
}

impl TabStops {
    /// The default stops for a `cols`-wide screen: every eighth column, not column 0
    /// (tmux's `screen_reset_tabs`, used when a screen is made, reset or resized).
    pub fn new(cols: u16) -> TabStops {
        TabStops {
            stops: (0..cols).map(|x| x % 8 == 0 && x != 0).collect(),
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.stops.capacity()
    }

    /// Whether column `x` has a stop.
    #[inline]
    pub fn is_set(&self, x: u16) -> bool {
        self.stops.get(x as usize).copied().unwrap_or(false)
    }

    /// HTS: a stop at column `x` (nothing past the right edge).
    pub fn set(&mut self, x: u16) {
        if let Some(t) = self.stops.get_mut(x as usize) {
            *t = true;
        }
    }

    /// TBC 0: no stop at column `x`.
    pub fn clear(&mut self, x: u16) {
        if let Some(t) = self.stops.get_mut(x as usize) {
            *t = false;
        }
    }

    /// TBC 3: no stops at all.
    pub fn clear_all(&mut self) {
        self.stops.iter_mut().for_each(|t| *t = false);
    }

    /// HT from column `x` (tmux's `input_c0_dispatch`): the next stop, or the last column
    /// when there is none; `None` when already at or past the last column (tmux does not
    /// tab beyond the end of the line).
    pub fn next(&self, x: u16, cols: u16) -> Option<u16> {
        if x >= cols.saturating_sub(1) {
            return None;
        }
        let mut x = x;
        loop {
            x += 1;
            if self.is_set(x) || x >= cols - 1 {
                return Some(x);
            }
        }
    }

    /// CBT from column `x` (`x < cols`), `n` times: each back to the previous stop, or to
    /// column 0 (tmux's `INPUT_CSI_CBT`).
    pub fn back(&self, x: u16, n: i32) -> u16 {
        let (mut x, mut n) = (x, n);
        while x > 0 && n > 0 {
            n -= 1;
            loop {
                x -= 1;
                if x == 0 || self.is_set(x) {
                    break;
                }
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_stops_and_motion() {
        let t = TabStops::new(20);
        assert!(!t.is_set(0) && t.is_set(8) && t.is_set(16) && !t.is_set(20));
        assert_eq!(t.next(0, 20), Some(8));
        assert_eq!(t.next(16, 20), Some(19), "no stop left: the last column");
        assert_eq!(t.next(19, 20), None);
        assert_eq!(t.back(17, 1), 16);
        assert_eq!(t.back(17, 2), 8);
        assert_eq!(t.back(17, 9), 0);
        let mut t = t;
        t.clear_all();
        t.set(3);
        assert_eq!(t.next(0, 20), Some(3));
        t.clear(3);
        assert_eq!(t.next(0, 20), Some(19));
    }
}

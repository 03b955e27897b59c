//! The client's memory budget ([`crate::ClientConfig::memory_budget`]): what the model's
//! records and the panes' grids cost, kept in one place so that every size the stream sets
//! is checked here before memory is spent on it.
//!
//! Costs are estimates of heap bytes: a record's fixed size plus the capacity of its
//! strings, and for a pane's emulator [`crate::pane_emu::PaneEmu::heap_bytes`] (the one
//! function that knows what an emulator holds). The budget only ever charges what a record
//! holds now; [`Budget::recharge`] moves a record from its old cost to its new one.

use std::mem::size_of;

use crate::model::{Pane, Session, Window};

/// A map entry's overhead beside the value (a B-tree slot, amortised).
const ENTRY: usize = 48;

/// Bytes spent and allowed.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: usize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Budget {
        Budget { limit, used: 0 }
    }

    /// The budget.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes charged now.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// Bytes still free.
    pub(crate) fn available(&self) -> usize {
        self.limit.saturating_sub(self.used)
    }

    /// Whether a record that costs `old` now may grow to cost `new`.
    pub(crate) fn allows(&self, old: usize, new: usize) -> bool {
        new <= old || new - old <= self.available()
    }

    /// A record's cost went from `old` to `new` (may take the total past the limit: the
    /// caller decides what to give back).
    pub(crate) fn recharge(&mut self, old: usize, new: usize) {
        self.used = self.used.saturating_sub(old).saturating_add(new);
    }

    /// Forgets every charge (the model was dropped).
    pub(crate) fn reset(&mut self) {
        self.used = 0;
    }
}

fn vec_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * size_of::<T>()
}

fn string_bytes(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::capacity)
}

/// What a window's record costs.
pub(crate) fn window_cost(w: &Window) -> usize {
    size_of::<Window>()
        + ENTRY
        + vec_bytes(&w.name)
        + string_bytes(&w.layout)
        + string_bytes(&w.visible_layout)
        + vec_bytes(&w.panes)
        + vec_bytes(&w.active_in)
}

/// What a pane's record costs, its emulator included.
pub(crate) fn pane_cost(p: &Pane) -> usize {
    size_of::<Pane>()
        + ENTRY
        + p.title.as_ref().map_or(0, vec_bytes)
        + string_bytes(&p.mode)
        + p.emu.as_ref().map_or(0, |e| e.heap_bytes())
}

/// What a session's record costs.
pub(crate) fn session_cost(s: &Session) -> usize {
    size_of::<Session>() + ENTRY + s.name.as_ref().map_or(0, vec_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_move_with_the_record() {
        let mut b = Budget::new(1000);
        assert!(b.allows(0, 1000));
        assert!(!b.allows(0, 1001));
        b.recharge(0, 600);
        assert_eq!(b.available(), 400);
        assert!(b.allows(600, 1000) && !b.allows(600, 1001));
        assert!(b.allows(600, 10), "shrinking always fits");
        b.recharge(600, 1200);
        assert_eq!((b.used(), b.available()), (1200, 0));
        b.recharge(1200, 0);
        assert_eq!(b.used(), 0);
        b.recharge(5, 7);
        b.reset();
        assert_eq!(b.used(), 0);
    }
}

//! The runtime's view of a pane emulator: the few calls the client and frames need, kept in
//! one place so the emulator crate's API touches one file.

/// One pane's emulator.
#[derive(Debug)]
pub(crate) struct PaneEmu {
    cols: u16,
    rows: u16,
}

impl PaneEmu {
    pub(crate) fn new(cols: u16, rows: u16, _history_limit: usize) -> Self {
        PaneEmu { cols, rows }
    }

    pub(crate) fn feed(&mut self, _bytes: &[u8]) {}

    pub(crate) fn resize(&mut self, cols: u16, rows: u16) {
        self.cols = cols;
        self.rows = rows;
    }

    pub(crate) fn size(&self) -> (u16, u16) {
        (self.cols, self.rows)
    }
}

impl PaneEmu {
    /// Reports title and bell changes since the last call to the host.
    pub(crate) fn drain_effects(
        &mut self,
        _pane: muxlink_proto::PaneId,
        _title: &mut Vec<u8>,
        _host: &mut dyn crate::Host,
    ) {
    }

    /// Forgets effects (after a rebuild, whose title is not news).
    pub(crate) fn clear_effects(&mut self) {}

    /// Appends the damaged rows (all rows when `full`) and resets the damage.
    pub(crate) fn take_damage(&mut self, out: &mut Vec<u16>, full: bool) {
        if full {
            out.extend(0..self.rows);
        }
    }

    pub(crate) fn cursor(&self) -> crate::FrameCursor {
        crate::FrameCursor {
            x: 0,
            y: 0,
            visible: true,
        }
    }
}

impl PaneEmu {
    /// Whether the program asked for bracketed paste (mode 2004).
    pub(crate) fn bracketed_paste(&self) -> bool {
        false
    }
}

impl PaneEmu {
    /// Whether the alternate screen is on.
    pub(crate) fn alternate(&self) -> bool {
        false
    }

    /// Lines of scrollback.
    pub(crate) fn history_len(&self) -> usize {
        0
    }

    /// The visible rows as `capture-pane -p` prints them.
    pub(crate) fn screen_lines(&self) -> Vec<String> {
        vec![String::new(); usize::from(self.rows)]
    }
}

//! The runtime's view of a pane emulator: the few calls the client and frames need, kept in
//! one place so the emulator crate's API touches one file.

use muxlink_proto::PaneId;
use muxlink_term::{Cell, Modes, TermEvent, Terminal};

use crate::events::{ClientEvent, Host};
use crate::frame::FrameCursor;

/// One pane's emulator.
#[derive(Debug)]
pub(crate) struct PaneEmu {
    term: Terminal,
}

impl PaneEmu {
    pub(crate) fn new(cols: u16, rows: u16, history_limit: usize) -> Self {
        PaneEmu {
            term: Terminal::with_history_limit(cols.max(1), rows.max(1), history_limit),
        }
    }

    pub(crate) fn terminal(&self) -> &Terminal {
        &self.term
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.term.feed(bytes);
    }

    pub(crate) fn resize(&mut self, cols: u16, rows: u16) {
        if (cols, rows) != self.size() && cols > 0 && rows > 0 {
            self.term.resize(cols, rows);
        }
    }

    pub(crate) fn size(&self) -> (u16, u16) {
        (self.term.cols(), self.term.rows())
    }

    /// Reports title, bell and clipboard effects since the last call to the host; keeps the
    /// model's title in step.
    pub(crate) fn drain_effects(
        &mut self,
        pane: PaneId,
        title: &mut Option<Vec<u8>>,
        host: &mut dyn Host,
    ) {
        for ev in self.term.take_events() {
            match ev {
                TermEvent::Bell => host.on_event(&ClientEvent::Bell { pane }),
                TermEvent::TitleChanged(t) => {
                    let title = title.get_or_insert_with(Vec::new);
                    title.clear();
                    title.extend_from_slice(t.as_bytes());
                    host.on_event(&ClientEvent::Title {
                        pane,
                        title: t.as_bytes(),
                    });
                }
                TermEvent::Clipboard { selection, data } => {
                    host.on_event(&ClientEvent::Clipboard {
                        pane,
                        selection: &selection,
                        data: data.as_bytes(),
                    })
                }
            }
        }
    }

    /// Forgets effects (after a rebuild, whose title is not news).
    pub(crate) fn clear_effects(&mut self) {
        for _ in self.term.take_events() {}
    }

    /// Appends the damaged rows (all rows when `full`) to `out`, resets the damage and
    /// returns the lines pushed into history meanwhile. No allocation once `out` has grown to
    /// the pane's height.
    pub(crate) fn take_damage(&mut self, out: &mut Vec<u16>, full: bool) -> u32 {
        let rows = self.term.rows();
        let d = self.term.damage();
        if full || d.resized {
            out.extend(0..rows);
        } else {
            out.extend(d.dirty_rows());
        }
        let scrolled = d.scrolled;
        self.term.reset_damage();
        scrolled
    }

    pub(crate) fn cursor(&self) -> FrameCursor {
        let c = self.term.cursor();
        FrameCursor {
            x: c.x,
            y: c.y,
            visible: c.visible,
        }
    }

    /// Visible row `y`'s cells, or `None` past the bottom.
    pub(crate) fn row(&self, y: u16) -> Option<&[Cell]> {
        (y < self.term.rows()).then(|| self.term.screen_row(y))
    }

    /// Whether the program asked for bracketed paste (mode 2004).
    pub(crate) fn bracketed_paste(&self) -> bool {
        self.term.modes().contains(Modes::BRACKETED_PASTE)
    }

    /// Whether the alternate screen is on.
    pub(crate) fn alternate(&self) -> bool {
        self.term.is_alternate_screen()
    }

    /// Lines of scrollback.
    pub(crate) fn history_len(&self) -> usize {
        self.term.history_len()
    }

    /// The visible rows as `capture-pane -p` prints them (trailing blanks trimmed).
    pub(crate) fn screen_lines(&self) -> Vec<String> {
        let h = self.term.history_len();
        (0..self.term.rows())
            .map(|y| {
                let mut s = String::new();
                let line = self.term.line(h + usize::from(y));
                for cell in line {
                    self.term.push_cell_text(cell, &mut s);
                }
                s.truncate(s.trim_end_matches(' ').len());
                s
            })
            .collect()
    }
}

//! The runtime's view of a pane emulator: the few calls the client and frames need, kept in
//! one place so the emulator crate's API touches one file. This is also the one place that
//! knows what an emulator costs ([`PaneEmu::heap_bytes`]) and how a tmux release's profile
//! reaches it ([`PaneEmu::set_profile`]).

use muxlink_proto::PaneId;
use muxlink_term::release::ReleaseProfile;
use muxlink_term::{Cell, Modes, TermEvent, Terminal};

use crate::events::{ClientEvent, Host};
use crate::frame::FrameCursor;

/// One pane's emulator.
#[derive(Debug)]
pub(crate) struct PaneEmu {
    term: Terminal,
}

/// Bytes a grid row's record holds before it has cells.
const ROW_OVERHEAD: usize = 64;
/// Bytes an emulator holds whatever its size (parser, buffers, tables).
const FIXED: usize = 16 << 10;

impl PaneEmu {
    /// A blank emulator following `profile` (the tmux release and server options) when
    /// known. Allocates the screen: check [`PaneEmu::estimate`] against the budget first.
    pub(crate) fn new(
        cols: u16,
        rows: u16,
        history_limit: usize,
        profile: Option<&ReleaseProfile>,
    ) -> Self {
        let mut emu = PaneEmu {
            term: Terminal::with_history_limit(cols.max(1), rows.max(1), history_limit),
        };
        if let Some(p) = profile {
            emu.set_profile(p);
        }
        emu
    }

    /// Makes the emulator behave as the release and server options in `profile` do
    /// (widths, combining, tabs; `docs/tmux-releases.md`), from the next byte on, as tmux
    /// applies an option change to characters parsed after it.
    pub(crate) fn set_profile(&mut self, profile: &ReleaseProfile) {
        self.term.set_profile(profile);
    }

    /// Heap bytes a fresh emulator of `cols` x `rows` takes before anything is written
    /// (its rows get cells when first written, so a blank screen costs its row records),
    /// an estimate made before anything is allocated. What it costs once written is
    /// [`PaneEmu::heap_bytes`], charged as output arrives.
    pub(crate) fn estimate(cols: u16, rows: u16) -> usize {
        let _ = cols;
        usize::from(rows.max(1)) * ROW_OVERHEAD + FIXED
    }

    /// Heap bytes this emulator holds (the emulator's own count). O(rows + history).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.term.heap_bytes()
    }

    /// The history limit.
    pub(crate) fn history_limit(&self) -> usize {
        self.term.history_limit()
    }

    /// Lowers the history limit (as tmux, the lines over it go at the next scroll).
    pub(crate) fn set_history_limit(&mut self, limit: usize) {
        self.term.set_history_limit(limit);
    }

    /// The server's `history-limit` for this pane changed: what the release does with it
    /// (3.7+ applies it at once, dropping the oldest history over it; see
    /// [`Terminal::history_limit_option_changed`]).
    pub(crate) fn history_limit_option_changed(&mut self, limit: usize) {
        self.term.history_limit_option_changed(limit);
    }

    pub(crate) fn terminal(&self) -> &Terminal {
        &self.term
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.term.feed(bytes);
    }

    /// Feeds one `%output` line's data as tmux escaped it (`\ooo`), reading it once: the
    /// same as [`PaneEmu::feed`] of the unescaped bytes.
    pub(crate) fn feed_escaped(&mut self, escaped: &[u8]) {
        self.term.feed_escaped(escaped);
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

//! Pane sync: reading one pane's whole state from tmux as one command line (its formats, its
//! history and screen, a pending partial escape sequence, its visible rows one by one, and
//! the saved normal screen while the alternate one is on), and the state machine that follows
//! the line's replies through explicit phases to a [`PaneCapture`].
//!
//! The line's commands run back to back in tmux, with no pane output in between, so output
//! that arrives while a sync is in flight is already in its capture and is dropped
//! ([`SyncTable::is_syncing`]). Lines for one pane are answered in order; a later line
//! supersedes an earlier one still in flight.
//!
//! The captures are fenced ([`queries::pane_sync_line`]): whatever the pane shows, its reply
//! blocks end where tmux ended them, and no line of it is read as a notification.

use std::collections::HashMap;

use muxlink_proto::command::{CommandError, FencedLine};
use muxlink_proto::fence::NonceSource;
use muxlink_proto::PaneId;

use crate::queries::{self, PaneFormats};
use crate::rebuild::PaneCapture;

/// Which reply block of a sync line comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncPhase {
    /// The pane's formats (`display-message`): size, cursor, modes, title.
    Formats,
    /// `capture-pane -e -J -N -S -LIMIT`: history and screen (history only, `-E -1`, in
    /// lines that ask for the saved normal screen).
    Main,
    /// `capture-pane -P -C`: the pending partial escape sequence, octal-escaped.
    Pending,
    /// `capture-pane -e -N`: the visible rows, not joined.
    Rows,
    /// `capture-pane -a`: the saved normal screen (only in lines that asked for it).
    Alternate,
    /// `capture-pane -a`, not joined: the saved normal screen's rows (after `Alternate`).
    AlternateRows,
}

impl SyncPhase {
    /// The block's position in the line.
    fn index(self) -> usize {
        match self {
            SyncPhase::Formats => 0,
            SyncPhase::Main => 1,
            SyncPhase::Pending => 2,
            SyncPhase::Rows => 3,
            SyncPhase::Alternate => 4,
            SyncPhase::AlternateRows => 5,
        }
    }
}

/// What one reply block of a sync line leads to.
#[derive(Debug)]
pub(crate) enum SyncStep {
    /// More blocks of the line follow.
    Continue,
    /// The line is fully answered and no later one is in flight: rebuild the pane from it.
    Done(Box<PaneCapture>),
    /// The line is answered, but a later sync of the pane is in flight and supersedes it.
    Superseded,
    /// The line failed (the pane is gone): nothing to apply; tmux skipped the rest of it.
    Failed,
    /// The alternate screen came on or went off between listing and capture: sync again,
    /// asking for the saved normal screen or not.
    Retry {
        /// Whether the new line captures the saved normal screen.
        alternate: bool,
    },
    /// A block for a pane no sync is tracked for (it was removed meanwhile).
    Ignored,
}

/// The line being answered.
#[derive(Debug)]
struct Reading {
    phase: SyncPhase,
    /// The line asked for the saved normal screen.
    alternate: bool,
    capture: PaneCapture,
}

/// One pane's syncs.
#[derive(Debug, Default)]
struct PaneSync {
    /// Lines sent and not fully answered.
    in_flight: u32,
    /// The oldest of them, once its first block arrived.
    reading: Option<Reading>,
}

/// The syncs in flight, by pane. A pane has an entry exactly while a sync of it is in flight.
#[derive(Debug, Default)]
pub(crate) struct SyncTable {
    panes: HashMap<PaneId, PaneSync>,
}

impl SyncTable {
    /// Registers a new sync of `pane` and returns its fenced command line, whose reply
    /// blocks are [`Self::blocks`]`(alternate)`. Fails (registering nothing) only when the
    /// nonce source does.
    pub(crate) fn start(
        &mut self,
        pane: PaneId,
        history_limit: usize,
        alternate: bool,
        nonces: &mut impl NonceSource,
    ) -> Result<FencedLine, CommandError> {
        let line = queries::pane_sync_line(pane, history_limit, alternate, nonces)?;
        self.panes.entry(pane).or_default().in_flight += 1;
        Ok(line)
    }

    /// The number of commands (reply blocks) in a sync line.
    pub(crate) fn blocks(alternate: bool) -> usize {
        if alternate {
            6
        } else {
            4
        }
    }

    /// Whether a sync of `pane` is in flight (its output is then dropped). A map lookup only
    /// while some sync is in flight.
    #[inline]
    pub(crate) fn is_syncing(&self, pane: PaneId) -> bool {
        !self.panes.is_empty() && self.panes.contains_key(&pane)
    }

    /// Whether any sync is in flight.
    pub(crate) fn any(&self) -> bool {
        !self.panes.is_empty()
    }

    /// The pane is gone: blocks still to come for it are ignored.
    pub(crate) fn forget(&mut self, pane: PaneId) {
        self.panes.remove(&pane);
    }

    /// Forgets every sync (the session was reset).
    pub(crate) fn clear(&mut self) {
        self.panes.clear();
    }

    /// Block `index` of a sync line of `pane` (which asked for the saved normal screen when
    /// `alternate`) arrived: `%end` when `ok`, with `body`.
    pub(crate) fn on_block(
        &mut self,
        pane: PaneId,
        index: usize,
        alternate: bool,
        ok: bool,
        body: &[u8],
    ) -> SyncStep {
        let Some(sync) = self.panes.get_mut(&pane) else {
            return SyncStep::Ignored;
        };
        if index == 0 {
            sync.reading = Some(Reading {
                phase: SyncPhase::Formats,
                alternate,
                capture: PaneCapture::default(),
            });
        }
        let Some(reading) = sync.reading.as_mut() else {
            return SyncStep::Ignored;
        };
        let phase = reading.phase;
        debug_assert_eq!(phase.index(), index, "sync blocks arrive in order");
        if !ok {
            // tmux skipped the rest of the line. A failed `-a` capture means the alternate
            // screen went off in between: read the pane again without it.
            self.end_line(pane);
            return if matches!(phase, SyncPhase::Alternate | SyncPhase::AlternateRows) {
                SyncStep::Retry { alternate: false }
            } else {
                SyncStep::Failed
            };
        }
        let cap = &mut reading.capture;
        match phase {
            SyncPhase::Formats => {
                cap.formats = PaneFormats::parse_all(body)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                reading.phase = SyncPhase::Main;
                SyncStep::Continue
            }
            SyncPhase::Main => {
                cap.main = body.to_vec();
                reading.phase = SyncPhase::Pending;
                SyncStep::Continue
            }
            SyncPhase::Pending => {
                cap.partial.clear();
                queries::unescape_octal(body, &mut cap.partial);
                reading.phase = SyncPhase::Rows;
                SyncStep::Continue
            }
            SyncPhase::Rows => {
                cap.rows = body.to_vec();
                if reading.alternate && !cap.formats.alternate {
                    // The alternate screen went off between listing and syncing, and the
                    // main capture holds the history only: again, without `-a` (the
                    // line's last blocks are ignored).
                    self.end_line(pane);
                    return SyncStep::Retry { alternate: false };
                }
                if reading.alternate {
                    reading.phase = SyncPhase::Alternate;
                    return SyncStep::Continue;
                }
                if cap.formats.alternate {
                    // The alternate screen came on between listing and syncing: again.
                    self.end_line(pane);
                    return SyncStep::Retry { alternate: true };
                }
                self.finish(pane)
            }
            SyncPhase::Alternate => {
                cap.alternate = Some(body.to_vec());
                reading.phase = SyncPhase::AlternateRows;
                SyncStep::Continue
            }
            SyncPhase::AlternateRows => {
                cap.alternate_rows = Some(body.split(|&b| b == b'\n').count());
                self.finish(pane)
            }
        }
    }

    /// The line being read is fully answered.
    fn finish(&mut self, pane: PaneId) -> SyncStep {
        let Some(sync) = self.panes.get_mut(&pane) else {
            return SyncStep::Ignored;
        };
        let reading = sync.reading.take();
        sync.in_flight = sync.in_flight.saturating_sub(1);
        if sync.in_flight > 0 {
            return SyncStep::Superseded;
        }
        self.panes.remove(&pane);
        match reading {
            Some(r) => SyncStep::Done(Box::new(r.capture)),
            None => SyncStep::Ignored,
        }
    }

    /// The line being read ended without a capture to apply.
    fn end_line(&mut self, pane: PaneId) {
        if let Some(sync) = self.panes.get_mut(&pane) {
            sync.reading = None;
            sync.in_flight = sync.in_flight.saturating_sub(1);
            if sync.in_flight == 0 {
                self.panes.remove(&pane);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMATS: &[u8] = b"%3\t@1\t80\t24\t0\t0\t5\t7\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t1\t0\t0\t23\t0\t12\t1\t\t2000\ttitle";

    fn feed(
        t: &mut SyncTable,
        pane: PaneId,
        alternate: bool,
        blocks: &[(bool, &[u8])],
    ) -> Vec<String> {
        blocks
            .iter()
            .enumerate()
            .map(
                |(i, (ok, body))| match t.on_block(pane, i, alternate, *ok, body) {
                    SyncStep::Done(c) => format!("done {}", String::from_utf8_lossy(&c.main)),
                    other => format!("{other:?}"),
                },
            )
            .collect()
    }

    fn nonces() -> impl FnMut() -> [u8; 16] {
        let mut n = 0u8;
        move || {
            n = n.wrapping_add(1);
            [n; 16]
        }
    }

    #[test]
    fn phases_end_in_a_capture_and_superseded_lines_do_not_apply() {
        let p = PaneId(3);
        let mut t = SyncTable::default();
        let mut n = nonces();
        let line = t.start(p, 2000, false, &mut n).unwrap();
        assert_eq!(line.reply_blocks(), SyncTable::blocks(false));
        t.start(p, 2000, false, &mut n).unwrap();
        assert!(t.is_syncing(p) && t.any());
        let blocks: [(bool, &[u8]); 4] = [
            (true, FORMATS),
            (true, b"one"),
            (true, b"\\033["),
            (true, b"r"),
        ];
        assert_eq!(
            feed(&mut t, p, false, &blocks),
            ["Continue", "Continue", "Continue", "Superseded"]
        );
        assert!(t.is_syncing(p), "the second line is still in flight");
        let blocks: [(bool, &[u8]); 4] =
            [(true, FORMATS), (true, b"two"), (true, b""), (true, b"r")];
        assert_eq!(
            feed(&mut t, p, false, &blocks),
            ["Continue", "Continue", "Continue", "done two"]
        );
        assert!(!t.is_syncing(p) && !t.any());
    }

    #[test]
    fn failures_and_retries() {
        let p = PaneId(3);
        let mut t = SyncTable::default();
        let mut n = nonces();
        // The pane is gone: the formats fail and tmux skips the rest.
        t.start(p, 10, false, &mut n).unwrap();
        assert_eq!(
            feed(&mut t, p, false, &[(false, b"can't find pane")]),
            ["Failed"]
        );
        assert!(!t.any());
        // The alternate screen came on after listing: retry with `-a`.
        t.start(p, 10, false, &mut n).unwrap();
        let alt_on = String::from_utf8_lossy(FORMATS).replacen(
            "\t1\t0\t0\t0\t0\t1",
            "\t1\t1\t0\t0\t0\t1",
            1,
        );
        let blocks: [(bool, &[u8]); 4] = [
            (true, alt_on.as_bytes()),
            (true, b"m"),
            (true, b""),
            (true, b"r"),
        ];
        assert_eq!(
            feed(&mut t, p, false, &blocks)[3],
            "Retry { alternate: true }"
        );
        assert!(!t.any());
        // ... and the `-a` capture failed: retry without.
        t.start(p, 10, true, &mut n).unwrap();
        let blocks: [(bool, &[u8]); 5] = [
            (true, alt_on.as_bytes()),
            (true, b"m"),
            (true, b""),
            (true, b"r"),
            (false, b"no alternate screen"),
        ];
        assert_eq!(
            feed(&mut t, p, true, &blocks)[4],
            "Retry { alternate: false }"
        );
        // Asked with `-a`, but off by the time tmux ran the line (`-q`: no error): again
        // without, and the line's last blocks are ignored.
        t.start(p, 10, true, &mut n).unwrap();
        let blocks: [(bool, &[u8]); 6] = [
            (true, FORMATS),
            (true, b"history"),
            (true, b""),
            (true, b"r"),
            (true, b""),
            (true, b""),
        ];
        assert_eq!(
            feed(&mut t, p, true, &blocks),
            [
                "Continue",
                "Continue",
                "Continue",
                "Retry { alternate: false }",
                "Ignored",
                "Ignored"
            ]
        );
        assert!(!t.any());
        // On it throughout: the saved screen, and how many rows it has (not its joined
        // lines).
        t.start(p, 10, true, &mut n).unwrap();
        let blocks: [(bool, &[u8]); 6] = [
            (true, alt_on.as_bytes()),
            (true, b"history"),
            (true, b""),
            (true, b"r"),
            (true, b"saved, one line wrapped"),
            (true, b"saved, one line\nwrapped"),
        ];
        let mut steps = Vec::new();
        for (i, (ok, body)) in blocks.iter().enumerate() {
            match t.on_block(p, i, true, *ok, body) {
                SyncStep::Done(c) => {
                    assert_eq!(
                        c.alternate.as_deref(),
                        Some(&b"saved, one line wrapped"[..])
                    );
                    assert_eq!(c.alternate_rows, Some(2));
                    steps.push("done".to_string());
                }
                other => steps.push(format!("{other:?}")),
            }
        }
        assert_eq!(steps.last().map(String::as_str), Some("done"), "{steps:?}");
        assert!(!t.any());
        // A forgotten pane's blocks are ignored.
        t.start(p, 10, false, &mut n).unwrap();
        t.forget(p);
        assert_eq!(feed(&mut t, p, false, &[(true, FORMATS)]), ["Ignored"]);
    }
}

//! When `muxlink attach` draws.
//!
//! tmux draws a client as soon as a pane has output for it, and backs off only when the
//! terminal does not keep up (tmux 3.3a `tty.c`, `tty_block_maybe`; `server-client.c`,
//! `server_client_check_redraw`). Drawing every read of a flood would waste the terminal's
//! time on output nobody can read, and waiting a frame for every echo makes typing feel slow
//! (one frame interval per key under a flood). So:
//!
//! - the active pane, and a pane typed into within [`TYPED_HOT`], are drawn at once;
//! - anything else that changes in the model (layout, windows, the status line, the view)
//!   is drawn at once too: it follows a person's action;
//! - other panes' output is drawn at most once per [`FRAME`]; a draw made earlier for a
//!   hot pane keeps their last drawn cells (they are "held").

use std::collections::HashSet;
use std::time::{Duration, Instant};

use muxlink_runtime::{Client, PaneId};

use super::ui::Ui;

/// The shortest time between two draws of output nobody is waiting for (~60 a second).
pub(super) const FRAME: Duration = Duration::from_millis(16);
/// How long after a key a pane counts as typed into (its echo is awaited).
pub(super) const TYPED_HOT: Duration = Duration::from_millis(500);

/// What to do now.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// Nothing to draw.
    Idle,
    /// Draw now, keeping these panes as they were drawn last.
    Draw { hold: HashSet<PaneId> },
    /// Draw at this instant (held output becomes due).
    At(Instant),
}

/// The pacing state: when output nobody waits for was last drawn.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    last_paced: Option<Instant>,
}

impl Pacer {
    /// Decides whether to draw now, given what is dirty in `ui`.
    pub(super) fn decide(&self, ui: &mut Ui, client: &Client, now: Instant) -> Decision {
        ui.retain_shown(client);
        if !ui.dirty() {
            return Decision::Idle;
        }
        let due_at = self.last_paced.map(|t| t + FRAME);
        let due = due_at.is_none_or(|t| t <= now);
        if ui.dirty_all || due {
            return Decision::Draw {
                hold: HashSet::new(),
            };
        }
        let hot = ui.hot_panes(client, now.checked_sub(TYPED_HOT).unwrap_or(now));
        let cold: HashSet<PaneId> = ui
            .dirty_panes
            .keys()
            .copied()
            .filter(|p| !hot.contains(p))
            .collect();
        if cold.len() < ui.dirty_panes.len() {
            Decision::Draw { hold: cold }
        } else {
            Decision::At(due_at.unwrap_or(now))
        }
    }

    /// A draw was made; `held` says whether some output was left for later.
    pub(super) fn drew(&mut self, held: bool, now: Instant) {
        if !held {
            self.last_paced = Some(now);
        }
    }

    /// When held output becomes due, if any is held.
    pub(super) fn next_due(&self, ui: &Ui, now: Instant) -> Option<Instant> {
        if ui.dirty_panes.is_empty() && !ui.dirty_all {
            return None;
        }
        Some(self.last_paced.map_or(now, |t| t + FRAME))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use muxlink_runtime::ClientConfig;

    /// A client that sees session `$0` with window `@0` split into `%0` (active) and `%1`,
    /// as a replay would (no handshake).
    fn client(ui: &mut Ui, now: Instant) -> Client {
        let mut c = Client::new(ClientConfig::default().with_handshake(false));
        let body = "80x24,0,0{40x24,0,0,0,39x24,41,0,1}";
        let sum = muxlink_proto::layout::layout_checksum(body.as_bytes());
        let stream = format!(
            "%session-changed $0 main\n%session-window-changed $0 @0\n\
             %layout-change @0 {sum:04x},{body} {sum:04x},{body} *\n\
             %window-pane-changed @0 %0\n"
        );
        c.receive(stream.as_bytes(), now, ui);
        c.flush_frames(now, ui);
        c
    }

    #[test]
    fn the_active_pane_draws_at_once_others_wait_for_their_frame() {
        let t0 = Instant::now();
        let mut ui = Ui::new(80, 25);
        let mut c = client(&mut ui, t0);
        let mut pacer = Pacer::default();
        // The first draw (everything).
        assert!(
            matches!(pacer.decide(&mut ui, &c, t0), Decision::Draw { ref hold } if hold.is_empty())
        );
        pacer.drew(false, t0);
        ui.dirty_all = false;
        ui.dirty_panes.clear();

        // Output in the other pane a moment later: it waits for the frame interval.
        let t1 = t0 + Duration::from_millis(2);
        c.receive(b"%output %1 flood\\015\\012\n", t1, &mut ui);
        c.flush_frames(t1, &mut ui);
        assert_eq!(pacer.decide(&mut ui, &c, t1), Decision::At(t0 + FRAME));

        // The echo in the active pane: drawn now, the other pane held.
        c.receive(b"%output %0 x\n", t1, &mut ui);
        c.flush_frames(t1, &mut ui);
        let Decision::Draw { hold } = pacer.decide(&mut ui, &c, t1) else {
            panic!("the active pane waits");
        };
        assert_eq!(hold.into_iter().collect::<Vec<_>>(), [PaneId(1)]);
        pacer.drew(true, t1);

        // Once the frame interval has passed, the held output is drawn.
        let t2 = t0 + FRAME;
        assert_eq!(pacer.next_due(&ui, t1), Some(t2));
        ui.dirty_panes.remove(&PaneId(0));
        assert!(
            matches!(pacer.decide(&mut ui, &c, t2), Decision::Draw { ref hold } if hold.is_empty())
        );

        // A pane typed into counts as hot too (a program that has the mouse, say).
        pacer.drew(false, t2);
        ui.dirty_panes.clear();
        let t3 = t2 + Duration::from_millis(1);
        ui.typed_into(PaneId(1), t3);
        c.receive(b"%output %1 more\n", t3, &mut ui);
        c.flush_frames(t3, &mut ui);
        assert!(
            matches!(pacer.decide(&mut ui, &c, t3), Decision::Draw { ref hold } if hold.is_empty())
        );
    }

    /// The reply to a key (`send-keys` succeeded) changes nothing shown: it draws nothing,
    /// so it neither writes to the terminal nor lets held output through early.
    #[test]
    fn a_command_reply_draws_nothing() {
        let t0 = Instant::now();
        let mut ui = Ui::new(80, 25);
        let mut c = client(&mut ui, t0);
        let mut pacer = Pacer::default();
        pacer.drew(false, t0);
        ui.dirty_all = false;
        ui.dirty_panes.clear();
        let t1 = t0 + Duration::from_millis(1);
        c.send_input(PaneId(0), b"x").unwrap();
        let _ = c.outgoing();
        c.receive(b"%begin 1 1 1\n%end 1 1 1\n", t1, &mut ui);
        c.flush_frames(t1, &mut ui);
        assert_eq!(pacer.decide(&mut ui, &c, t1), Decision::Idle);
        // Output of the other pane meanwhile waits for its frame, reply or not.
        c.receive(b"%output %1 flood\n", t1, &mut ui);
        c.send_input(PaneId(0), b"y").unwrap();
        c.receive(b"%begin 1 2 1\n%end 1 2 1\n", t1, &mut ui);
        c.flush_frames(t1, &mut ui);
        assert_eq!(pacer.decide(&mut ui, &c, t1), Decision::At(t0 + FRAME));
    }

    /// A draw that changes no cell and leaves the cursor where it was writes nothing (a
    /// flood of `yes` looks the same every frame); a change writes it.
    #[test]
    fn a_draw_that_changes_nothing_writes_nothing() {
        let t0 = Instant::now();
        let mut ui = Ui::new(80, 25);
        let mut c = client(&mut ui, t0);
        let none = HashSet::new();
        let mut out = Vec::new();
        ui.draw(&c, &none, &mut out).unwrap();
        assert!(!out.is_empty());
        out.clear();
        ui.dirty_all = true;
        ui.draw(&c, &none, &mut out).unwrap();
        assert_eq!(String::from_utf8_lossy(&out), "");
        c.receive(b"%output %0 x\n", t0, &mut ui);
        c.flush_frames(t0, &mut ui);
        ui.draw(&c, &none, &mut out).unwrap();
        assert!(String::from_utf8_lossy(&out).contains('x'));
    }
}

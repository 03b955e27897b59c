//! What the pipeline's emulators do, without the pipeline: a control stream turned into the
//! sequence of emulator operations a replaying client performs (panes created at the client
//! size or by a layout, resized by layouts, fed each `%output`'s unescaped bytes, dropped
//! when a layout or a window close removes them), replayed on bare [`Terminal`]s. The
//! `pipeline` group times this beside the whole client (`vs_emulator`): same unescaped
//! bytes, same `%output`-sized pieces, same sizes, same run.
//!
//! The derivation follows the runtime's replay rules (handshake off); [`Script::check`]
//! compares the resulting screens with a client's, so a rule that drifted shows as an error
//! rather than as a skewed ratio.

use std::collections::HashMap;
use std::ops::Range;

use muxlink_proto::layout::Layout;
use muxlink_proto::{Event, PaneId, Parser, WindowId};
use muxlink_runtime::Client;
use muxlink_term::Terminal;

/// One emulator operation; `slot` names a terminal of the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A fresh terminal.
    Create {
        /// The terminal.
        slot: usize,
        /// Width.
        cols: u16,
        /// Height.
        rows: u16,
    },
    /// `feed` of the script's bytes in `range`.
    Feed {
        /// The terminal.
        slot: usize,
        /// Where the bytes are in [`Script::data`].
        range: Range<usize>,
    },
    /// A resize (with reflow).
    Resize {
        /// The terminal.
        slot: usize,
        /// Width.
        cols: u16,
        /// Height.
        rows: u16,
    },
    /// The pane is gone.
    Drop {
        /// The terminal.
        slot: usize,
    },
}

/// A control stream's emulator work.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// The operations, in order.
    pub ops: Vec<Op>,
    /// Every `%output`'s unescaped bytes, back to back.
    pub data: Vec<u8>,
    /// Terminals created in all.
    pub slots: usize,
    /// `%output` notifications fed.
    pub feeds: u64,
    /// The panes alive at the end and their terminals.
    pub live: Vec<(PaneId, usize)>,
    /// History lines per terminal (the client's limit).
    pub history_limit: usize,
}

struct PaneState {
    slot: usize,
    window: Option<WindowId>,
    size: (u16, u16),
}

fn clamp16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

impl Script {
    /// The operations a replaying client of size `cols` x `rows` performs for `stream`.
    pub fn derive(stream: &[u8], cols: u16, rows: u16, history_limit: usize) -> Script {
        let mut s = Script {
            history_limit,
            ..Script::default()
        };
        let mut panes: HashMap<PaneId, PaneState> = HashMap::new();
        let mut parser = Parser::new();
        let mut on_event = |ev: Event<'_>| match ev {
            Event::Output { pane, data } | Event::ExtendedOutput { pane, data, .. } => {
                let slot = match panes.get(&pane) {
                    Some(p) => p.slot,
                    None => {
                        let slot = s.create(cols, rows);
                        panes.insert(
                            pane,
                            PaneState {
                                slot,
                                window: None,
                                size: (cols.max(1), rows.max(1)),
                            },
                        );
                        slot
                    }
                };
                let start = s.data.len();
                s.data.extend_from_slice(data);
                s.ops.push(Op::Feed {
                    slot,
                    range: start..s.data.len(),
                });
                s.feeds += 1;
            }
            Event::LayoutChange {
                window,
                layout,
                visible_layout,
                ..
            } => {
                let Ok(parsed) = Layout::parse(layout) else {
                    return;
                };
                let vis = visible_layout
                    .filter(|v| *v != layout)
                    .and_then(|v| Layout::parse(v).ok());
                let geoms = parsed.panes();
                let named: Vec<PaneId> = geoms.iter().map(|g| g.pane).collect();
                let gone: Vec<PaneId> = panes
                    .iter()
                    .filter(|(id, p)| p.window == Some(window) && !named.contains(id))
                    .map(|(id, _)| *id)
                    .collect();
                for id in gone {
                    if let Some(p) = panes.remove(&id) {
                        s.ops.push(Op::Drop { slot: p.slot });
                    }
                }
                for g in &geoms {
                    let p = match panes.entry(g.pane) {
                        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                        std::collections::hash_map::Entry::Vacant(e) => {
                            let slot = s.slots;
                            s.slots += 1;
                            s.ops.push(Op::Create { slot, cols, rows });
                            e.insert(PaneState {
                                slot,
                                window: None,
                                size: (cols.max(1), rows.max(1)),
                            })
                        }
                    };
                    p.window = Some(window);
                    let (mut c, mut r) = (g.cols, g.rows);
                    if let Some(v) = vis.as_ref().and_then(|v| v.find_pane(g.pane)) {
                        (c, r) = (v.cols, v.rows);
                    }
                    let size = (clamp16(c), clamp16(r));
                    if size != p.size && size.0 > 0 && size.1 > 0 {
                        p.size = size;
                        s.ops.push(Op::Resize {
                            slot: p.slot,
                            cols: size.0,
                            rows: size.1,
                        });
                    }
                }
            }
            // A replay cannot ask tmux which windows remain: a closed window goes.
            Event::WindowClose { window } | Event::UnlinkedWindowClose { window } => {
                let gone: Vec<PaneId> = panes
                    .iter()
                    .filter(|(_, p)| p.window == Some(window))
                    .map(|(id, _)| *id)
                    .collect();
                for id in gone {
                    if let Some(p) = panes.remove(&id) {
                        s.ops.push(Op::Drop { slot: p.slot });
                    }
                }
            }
            _ => {}
        };
        parser.feed(stream, &mut on_event);
        parser.finish(&mut on_event);
        let mut live: Vec<(PaneId, usize)> = panes.iter().map(|(id, p)| (*id, p.slot)).collect();
        live.sort();
        s.live = live;
        s
    }

    fn create(&mut self, cols: u16, rows: u16) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.ops.push(Op::Create { slot, cols, rows });
        slot
    }

    /// Pane output bytes the script feeds.
    pub fn output_bytes(&self) -> usize {
        self.data.len()
    }

    /// Runs every operation on fresh terminals; returns them (dropped ones as `None`) so that
    /// the caller can drop them outside a timed section.
    pub fn run(&self) -> Vec<Option<Terminal>> {
        let mut terms: Vec<Option<Terminal>> = Vec::with_capacity(self.slots);
        terms.resize_with(self.slots, || None);
        for op in &self.ops {
            match op {
                Op::Create { slot, cols, rows } => {
                    terms[*slot] = Some(Terminal::with_history_limit(
                        (*cols).max(1),
                        (*rows).max(1),
                        self.history_limit,
                    ));
                }
                Op::Feed { slot, range } => {
                    if let Some(t) = terms[*slot].as_mut() {
                        t.feed(&self.data[range.clone()]);
                    }
                }
                Op::Resize { slot, cols, rows } => {
                    if let Some(t) = terms[*slot].as_mut() {
                        t.resize(*cols, *rows);
                    }
                }
                Op::Drop { slot } => terms[*slot] = None,
            }
        }
        terms
    }

    /// Whether the terminals of [`Script::run`] hold what `client`'s panes hold (the same
    /// panes, sizes, cursors and screens): both did the same work.
    pub fn check(&self, terms: &[Option<Terminal>], client: &Client) -> Result<(), String> {
        let model = client.state();
        let ids: Vec<PaneId> = self.live.iter().map(|(id, _)| *id).collect();
        let client_ids: Vec<PaneId> = model.panes.keys().copied().collect();
        if ids != client_ids {
            return Err(format!("panes {ids:?} != the client's {client_ids:?}"));
        }
        for &(id, slot) in &self.live {
            let (Some(t), Some(p)) = (terms[slot].as_ref(), model.pane(id)) else {
                return Err(format!("{id}: no terminal"));
            };
            let c = t.cursor();
            let cursor = p.cursor().map(|k| (k.x, k.y));
            if (t.cols(), t.rows()) != (p.cols, p.rows) || Some((c.x, c.y)) != cursor {
                return Err(format!(
                    "{id}: {}x{} cursor {:?} != the client's {}x{} cursor {cursor:?}",
                    t.cols(),
                    t.rows(),
                    (c.x, c.y),
                    p.cols,
                    p.rows
                ));
            }
            let h = t.history_len();
            let theirs = p.screen_lines();
            for y in 0..t.rows() {
                let mut line = String::new();
                for cell in t.line(h + usize::from(y)) {
                    t.push_cell_text(cell, &mut line);
                }
                let line = line.trim_end_matches(' ');
                if theirs.get(usize::from(y)).map(String::as_str) != Some(line) {
                    return Err(format!(
                        "{id} row {y}: {line:?} != {:?}",
                        theirs.get(usize::from(y))
                    ));
                }
            }
        }
        Ok(())
    }
}

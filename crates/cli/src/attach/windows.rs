//! tmux's window indexes (`#{window_index}`), which the session model does not keep.
//!
//! The status line and next/previous window follow tmux's numbering (`base-index`, gaps left
//! by closed windows, `move-window`), so the client asks tmux with a `list-windows` of the
//! attached session and keeps the answer. The command is built by the typed builder from a
//! constant format and the session's numeric id; only integers are read back from the reply.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use muxlink_proto::command::{self, WindowScope};
use muxlink_proto::ids::parse_u32;
use muxlink_runtime::{Client, ReplyOutcome, WindowId};

const FORMAT: &[u8] = b"#{window_id} #{window_index}";

/// Window id to tmux's index, for the attached session, from the last `list-windows` reply.
#[derive(Debug, Default)]
pub(super) struct WindowIndex {
    index: BTreeMap<WindowId, u32>,
    /// A reply arrived since the last [`WindowIndex::take_changed`].
    changed: bool,
}

/// The index shared between the drawing side and the reply callbacks (same thread).
pub(super) type SharedIndex = Rc<RefCell<WindowIndex>>;

impl WindowIndex {
    /// tmux's index of `w`, when the last listing had it.
    pub(super) fn get(&self, w: WindowId) -> Option<u32> {
        self.index.get(&w).copied()
    }

    /// Whether a reply changed what is known since the last call.
    pub(super) fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Replaces what is known with a `list-windows -F FORMAT` reply body. Lines that are not
    /// `@ID INDEX` are skipped.
    pub(super) fn apply_reply(&mut self, reply: &ReplyOutcome<'_>) {
        if !reply.ok {
            return;
        }
        let mut index = BTreeMap::new();
        for line in reply.lines() {
            let mut words = line.split(|&b| b == b' ');
            let (Some(id), Some(n), None) = (words.next(), words.next(), words.next()) else {
                continue;
            };
            if let (Some(id), Some(n)) = (WindowId::parse(id), parse_u32(n)) {
                index.insert(id, n);
            }
        }
        self.index = index;
        self.changed = true;
    }
}

/// Windows `ids` in tmux's order: by index where known, the others (not listed yet) after
/// them by id.
pub(super) fn ordered(index: &WindowIndex, ids: impl Iterator<Item = WindowId>) -> Vec<WindowId> {
    let mut v: Vec<WindowId> = ids.collect();
    v.sort_by_key(|w| (index.get(*w).unwrap_or(u32::MAX), *w));
    v
}

/// Asks tmux for the attached session's window indexes; the reply updates `shared`.
pub(super) fn request(client: &mut Client, shared: &SharedIndex) {
    let scope = match client.state().attached_session {
        Some(s) => WindowScope::Session(s),
        None => WindowScope::Current,
    };
    let Ok(cmd) = command::list_windows(scope, FORMAT) else {
        return;
    };
    // The typed builder's line, sent through the one API that hands back the reply body.
    let Ok(text) = std::str::from_utf8(cmd.as_bytes()) else {
        return;
    };
    let shared = Rc::clone(shared);
    let _ = client.raw_command(
        text.trim_end_matches('\n'),
        Box::new(move |reply| {
            // Nothing else holds the index while the loop dispatches replies.
            if let Ok(mut index) = shared.try_borrow_mut() {
                index.apply_reply(reply);
            }
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_gives_indexes_and_order() {
        let mut ix = WindowIndex::default();
        ix.apply_reply(&ReplyOutcome {
            ok: true,
            body: b"@0 1\n@4 7\nnot a line\n@2 3 extra\n@3 x",
        });
        assert!(ix.take_changed());
        assert!(!ix.take_changed());
        assert_eq!(ix.get(WindowId(0)), Some(1));
        assert_eq!(ix.get(WindowId(4)), Some(7));
        assert_eq!(ix.get(WindowId(2)), None);
        let order = ordered(&ix, [WindowId(9), WindowId(4), WindowId(0)].into_iter());
        assert_eq!(order, [WindowId(0), WindowId(4), WindowId(9)]);
        // An error reply keeps what was known.
        ix.apply_reply(&ReplyOutcome {
            ok: false,
            body: b"no such session",
        });
        assert_eq!(ix.get(WindowId(4)), Some(7));
    }
}

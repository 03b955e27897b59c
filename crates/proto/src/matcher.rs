//! Pairing reply blocks with the command lines this client wrote.
//!
//! tmux answers the command lines of one control client in the order they were written, one
//! `%begin`..`%end`/`%error` block with flags bit 0 set per command. Facts checked against
//! tmux 3.3a:
//!
//! - A line with several `;`-separated commands (`a ; b`) gives one block per command.
//! - When a command of such a line fails (its block ends with `%error`), the commands after it
//!   on the same line are skipped and give no block at all.
//! - A line that does not parse (unknown command, bad arguments) gives a single `%error`
//!   block, whatever the number of commands on it.
//! - Blocks with flags 0 come from elsewhere: tmux opens every control client with an empty
//!   `%begin .. 0` / `%end .. 0` block (the attach itself), and those match nothing here.
//!
//! So the simplest robust client writes one command per line and uses [`ReplyMatcher::push`].
//! For multi-command lines, [`ReplyMatcher::push_line`] says how many commands the line holds;
//! the line is answered by that many `%end` blocks or by the first `%error`.

use std::collections::VecDeque;

use crate::command::FencedLine;
use crate::event::Reply;

/// The outcome of [`ReplyMatcher::on_reply`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyMatch<T> {
    /// The block is the last answer to the oldest pending line, whose token is given back.
    Matched(T),
    /// The block answers command `index` (0-based) of the oldest pending line, which expects
    /// more blocks; its token stays at [`ReplyMatcher::front`].
    Partial {
        /// Which command of the line this block answers.
        index: usize,
    },
    /// A block with flags 0: not the answer to anything this client wrote.
    NotOurs,
    /// A block with flags 1 while no line is pending. Worth reporting; not fatal.
    Unmatched,
}

#[derive(Debug)]
struct Pending<T> {
    token: T,
    commands: usize,
    answered: usize,
}

/// Pairs reply blocks with written command lines, in order. `T` is whatever the caller wants
/// back (a request id, a oneshot sender). Costs one `VecDeque` slot per pending line.
#[derive(Debug)]
pub struct ReplyMatcher<T> {
    pending: VecDeque<Pending<T>>,
    unmatched: u64,
}

impl<T> Default for ReplyMatcher<T> {
    fn default() -> Self {
        ReplyMatcher::new()
    }
}

impl<T> ReplyMatcher<T> {
    /// An empty matcher.
    pub fn new() -> Self {
        ReplyMatcher {
            pending: VecDeque::new(),
            unmatched: 0,
        }
    }

    /// Records that a line holding one command was written.
    pub fn push(&mut self, token: T) {
        self.push_line(token, 1);
    }

    /// Records that a line holding `commands` `;`-separated commands was written (`0` is taken
    /// as `1`: tmux answers even an empty command list with one block).
    pub fn push_line(&mut self, token: T, commands: usize) {
        self.pending.push_back(Pending {
            token,
            commands: commands.max(1),
            answered: 0,
        });
    }

    /// Records that a line built by [`crate::command::fenced_line`] was written (its line and
    /// its closing line): it is answered by [`FencedLine::reply_blocks`] blocks, or fewer
    /// when one fails. Fence blocks never reach the matcher.
    pub fn push_fenced(&mut self, token: T, line: &FencedLine) {
        self.push_line(token, line.reply_blocks());
    }

    /// Classifies one reply block; see [`ReplyMatch`].
    pub fn on_reply(&mut self, reply: &Reply<'_>) -> ReplyMatch<T> {
        if !reply.is_from_this_client() {
            return ReplyMatch::NotOurs;
        }
        let Some(front) = self.pending.front_mut() else {
            self.unmatched += 1;
            return ReplyMatch::Unmatched;
        };
        let index = front.answered;
        front.answered += 1;
        if reply.ok && front.answered < front.commands {
            return ReplyMatch::Partial { index };
        }
        match self.pending.pop_front() {
            Some(p) => ReplyMatch::Matched(p.token),
            None => ReplyMatch::Unmatched,
        }
    }

    /// The token of the oldest line still waiting for (more) blocks.
    pub fn front(&self) -> Option<&T> {
        self.pending.front().map(|p| &p.token)
    }

    /// How many written lines still wait for their answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// How many flags-1 blocks arrived with nothing pending, since creation.
    pub fn unmatched_count(&self) -> u64 {
        self.unmatched
    }

    /// Forgets every pending line (after the connection is gone), returning their tokens in
    /// order.
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.pending.drain(..).map(|p| p.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(number: u64, flags: u32, ok: bool) -> Reply<'static> {
        Reply {
            time: 1,
            number,
            flags,
            ok,
            body: b"",
        }
    }

    #[test]
    fn matches_in_order_and_reports_strays() {
        let mut m = ReplyMatcher::new();
        assert_eq!(m.on_reply(&reply(1, 0, true)), ReplyMatch::NotOurs);
        assert_eq!(m.on_reply(&reply(2, 1, true)), ReplyMatch::Unmatched);
        assert_eq!(m.unmatched_count(), 1);
        m.push("a");
        m.push("b");
        assert_eq!(m.pending(), 2);
        assert_eq!(m.on_reply(&reply(3, 0, true)), ReplyMatch::NotOurs);
        assert_eq!(m.on_reply(&reply(4, 1, false)), ReplyMatch::Matched("a"));
        assert_eq!(m.on_reply(&reply(5, 1, true)), ReplyMatch::Matched("b"));
        assert_eq!(m.pending(), 0);
        assert_eq!(m.on_reply(&reply(6, 1, true)), ReplyMatch::Unmatched);
    }

    #[test]
    fn multi_command_lines() {
        let mut m = ReplyMatcher::new();
        m.push_line("two", 2);
        m.push_line("three", 3);
        m.push("one");
        assert_eq!(
            m.on_reply(&reply(1, 1, true)),
            ReplyMatch::Partial { index: 0 }
        );
        assert_eq!(m.front(), Some(&"two"));
        assert_eq!(m.on_reply(&reply(2, 1, true)), ReplyMatch::Matched("two"));
        // The second command of "three" fails: the third is skipped by tmux.
        assert_eq!(
            m.on_reply(&reply(3, 1, true)),
            ReplyMatch::Partial { index: 0 }
        );
        assert_eq!(
            m.on_reply(&reply(4, 1, false)),
            ReplyMatch::Matched("three")
        );
        assert_eq!(m.on_reply(&reply(5, 1, true)), ReplyMatch::Matched("one"));
        m.push("x");
        assert_eq!(m.drain().collect::<Vec<_>>(), vec!["x"]);
    }
}

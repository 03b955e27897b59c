//! The outbox: bytes queued for tmux's stdin, the number given to each command, which reply
//! block answers which command (proto's [`ReplyMatcher`], one entry per line), and the fence
//! plans of fenced lines, which [`crate::Client`] hands to its parser before it feeds the
//! next byte from tmux (a line's replies cannot come before the line is written, and it is
//! written only after the client returns).

use muxlink_proto::command::{Command, FencedLine};
use muxlink_proto::fence::FencePlan;
use muxlink_proto::{PaneId, Reply, ReplyMatch, ReplyMatcher, WindowId};

use crate::events::ReplyCallback;
use crate::ids::CommandId;

/// What the replies to a command line are for.
pub(crate) enum LineKind {
    /// `#{version}`.
    Version,
    /// Handshake and flag commands whose failure only means an older tmux.
    Quiet,
    /// `list-sessions`.
    ListSessions,
    /// `list-windows -a`: replaces the window set, their sessions and indexes.
    ListWindows,
    /// `#{host}`.
    Host,
    /// The width options (`variation-selector-always-wide`, `codepoint-widths`).
    Options,
    /// A width probe of these code points.
    Probe(Box<[u32]>),
    /// `list-panes`; `None` = the whole attached session (replaces the pane set).
    ListPanes(Option<WindowId>),
    /// A pane sync line ([`crate::sync`]); `alternate`: it captures the saved normal screen.
    PaneSync {
        /// The pane.
        pane: PaneId,
        /// The line holds the `-a` capture.
        alternate: bool,
    },
    /// `#{pane_mode}` after `%pane-mode-changed`.
    PaneMode(PaneId),
    /// `#{alternate_on}` after a bytes-mode pane was resized: one on the alternate screen
    /// is read again (`Core::resized_in_bytes_mode`).
    AlternateCheck(PaneId),
    /// `refresh-client -A '%P:continue'` (ours): tmux 3.3a writes the `%continue %P` it
    /// causes inside this reply's body.
    PaneOutput,
    /// A typed operation the host asked for: its success or failure is reported.
    Op,
    /// The user's text; `refresh` when it is a `refresh-client` command, whose body can
    /// only hold the `%pause`/`%continue` lines tmux writes for `-A` (tmux 3.3a). Without a
    /// callback the reply becomes [`crate::ClientEvent::CommandReply`].
    Raw {
        on_reply: Option<ReplyCallback>,
        refresh: bool,
    },
}

/// One line in flight.
pub(crate) struct Line {
    /// The id of its first command (the others follow in order).
    pub(crate) first: CommandId,
    pub(crate) kind: LineKind,
}

/// What a reply block answers.
pub(crate) enum Answer {
    /// Not a block of this client (flags 0): the startup command's, or another client's.
    NotOurs,
    /// A block of this client while nothing is pending.
    Unmatched,
    /// Block `index` of the oldest line, which expects more: the line stays at
    /// [`Outbox::front`].
    Partial {
        /// Which command of the line.
        index: usize,
    },
    /// The last block the line gets (its last command, or a failure after which tmux skips
    /// the rest of the line): the line, done.
    Done {
        /// The line.
        line: Line,
        /// Which command of the line this block answers.
        index: usize,
    },
}

/// Outgoing bytes and reply bookkeeping.
pub(crate) struct Outbox {
    out: Vec<u8>,
    start: usize,
    next_id: u64,
    matcher: ReplyMatcher<Line>,
    /// Blocks already answered of the oldest line.
    answered: usize,
    /// Plans of fenced lines queued since the parser last took them, in send order.
    plans: Vec<FencePlan>,
}

impl Outbox {
    pub(crate) fn new() -> Outbox {
        Outbox {
            out: Vec::with_capacity(4096),
            start: 0,
            next_id: 0,
            matcher: ReplyMatcher::new(),
            answered: 0,
            plans: Vec::new(),
        }
    }

    /// Bytes waiting to be written.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.out[self.start..]
    }

    /// Marks `n` bytes as written.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.out.len());
        if self.start == self.out.len() {
            self.out.clear();
            self.start = 0;
        }
    }

    /// Queues one encoded line of `commands` commands (a typed command, or a
    /// `command::join` of several); returns its first command's id.
    pub(crate) fn send_line(
        &mut self,
        line: &Command,
        commands: usize,
        kind: LineKind,
    ) -> CommandId {
        debug_assert!(line.reply_blocks().is_none_or(|n| n == commands));
        let first = CommandId(self.next_id);
        self.next_id += commands.max(1) as u64;
        self.matcher.push_line(Line { first, kind }, commands);
        self.out.extend_from_slice(line.as_bytes());
        first
    }

    /// Queues one command with one reply block.
    pub(crate) fn send(&mut self, cmd: &Command, kind: LineKind) -> CommandId {
        self.send_line(cmd, 1, kind)
    }

    /// Queues a fenced line (its line and closing line, back to back) and keeps its plan
    /// for the parser ([`Outbox::take_plans`]); returns its first command's id. Its replies
    /// are [`FencedLine::reply_blocks`] blocks, one per part (fences never reach the
    /// matcher).
    pub(crate) fn send_fenced(&mut self, line: FencedLine, kind: LineKind) -> CommandId {
        let commands = line.reply_blocks();
        let first = CommandId(self.next_id);
        self.next_id += commands.max(1) as u64;
        self.matcher.push_fenced(Line { first, kind }, &line);
        self.out.extend_from_slice(line.line().as_bytes());
        self.out.extend_from_slice(line.close().as_bytes());
        self.plans.push(line.into_plan());
        first
    }

    /// The plans of fenced lines queued since the last call, in send order: the parser must
    /// have them before it reads any reply to those lines.
    pub(crate) fn take_plans(&mut self) -> std::vec::Drain<'_, FencePlan> {
        self.plans.drain(..)
    }

    /// Classifies one reply block.
    pub(crate) fn on_reply(&mut self, reply: &Reply<'_>) -> Answer {
        match self.matcher.on_reply(reply) {
            ReplyMatch::NotOurs => Answer::NotOurs,
            ReplyMatch::Unmatched => Answer::Unmatched,
            ReplyMatch::Partial { index } => {
                self.answered = index + 1;
                Answer::Partial { index }
            }
            ReplyMatch::Matched(line) => Answer::Done {
                line,
                index: std::mem::take(&mut self.answered),
            },
        }
    }

    /// The oldest line still waiting for blocks.
    pub(crate) fn front(&self) -> Option<&Line> {
        self.matcher.front()
    }

    /// Lines waiting for their answer.
    pub(crate) fn pending(&self) -> usize {
        self.matcher.pending()
    }

    /// Forgets every line in flight (their callbacks are dropped uncalled).
    pub(crate) fn forget_pending(&mut self) {
        self.matcher.drain().for_each(drop);
        self.answered = 0;
        self.plans.clear();
    }

    /// Drops the queued bytes and frees the buffer (the client closed).
    pub(crate) fn release(&mut self) {
        self.out = Vec::new();
        self.start = 0;
    }
}

//! Pulling events instead of receiving them: an [`EventQueue`] is a [`Host`] that keeps what
//! the client reports, for the host to take one at a time when it is ready (the way quinn's
//! `poll()` works), with no callback re-entering the host's code.
//!
//! Events are stored compactly: a fixed-size record per event in one vector, and the bytes
//! they borrow (titles, messages, pane bytes) copied into one shared buffer. Both are reused
//! once everything queued has been taken, so a warm queue allocates nothing per event. An
//! event handed out by [`EventQueue::poll_event`] borrows the queue, so it stays valid until
//! the next call on the queue: the rule a C header can state.

use std::ops::Range;

use muxlink_proto::{PaneId, SessionId, WindowId};

use crate::error::ProtocolError;
use crate::events::{ClientEvent, Host, ModelLimit, NoticeKind, RefusalReason};
use crate::exit::ExitReason;
use crate::frame::Frame;
use crate::ids::CommandId;
use muxlink_term::release::TmuxRelease;

/// A span of [`EventQueue`]'s byte buffer.
type Span = Range<usize>;

/// One queued event; byte and string fields are spans of the shared buffer.
#[derive(Debug, Clone)]
enum Stored {
    ControlModeRequested,
    ControlModeLeft,
    Passthrough(Span),
    Ready,
    Degraded {
        version: Span,
        message: Span,
    },
    SessionChanged(SessionId),
    SessionsChanged,
    SessionRenamed(SessionId),
    WindowAdded(WindowId),
    WindowClosed(WindowId),
    WindowRenamed(WindowId),
    WindowIndexesChanged,
    LayoutChanged(WindowId),
    UnlinkedWindowAdded(WindowId),
    UnlinkedWindowRenamed(WindowId),
    PaneAdded(PaneId, Option<WindowId>),
    PaneClosed(PaneId),
    ActiveWindowChanged(SessionId, WindowId),
    ActivePaneChanged(WindowId, PaneId),
    PaneModeChanged(PaneId),
    Paused(PaneId),
    Resumed(PaneId),
    OutputAge(PaneId, u64),
    Title(PaneId, Span),
    Bell(PaneId),
    Clipboard {
        pane: PaneId,
        selection: Span,
        data: Span,
    },
    FrameReady(PaneId),
    PaneBytes(PaneId, Span),
    PaneReset {
        pane: PaneId,
        cols: u16,
        rows: u16,
        rebuild: Span,
    },
    PaneRefused(PaneId, RefusalReason),
    HistoryTrimmed(PaneId, usize),
    LimitReached(ModelLimit),
    ReleaseApproximated {
        reported: Span,
        emulated: TmuxRelease,
        notice: Span,
    },
    ServerOptionsChanged,
    PlatformWidths(usize),
    Notice(NoticeKind, Span),
    CommandSucceeded(CommandId),
    CommandFailed(CommandId, Span),
    CommandReply {
        id: CommandId,
        ok: bool,
        body: Span,
    },
    UnmatchedReply(u64),
    ProtocolError(ProtocolError, Span),
    Unknown(Span),
    /// Index into the queue's exit reasons.
    Exited(usize),
}

/// Events kept for the host to pull. Pass it wherever a `&mut dyn Host` is asked for (the
/// client, a connection, a router's client), then take the events with
/// [`EventQueue::poll_event`]. Frames are not queued: with pulled frames
/// ([`crate::FrameDelivery::Pull`]) the queue holds a [`ClientEvent::FrameReady`] per pane
/// to pull with [`crate::Client::pull_frame`].
///
/// Memory: every queued event and the bytes it carries stay until the host takes them; a
/// host that stops polling lets the queue grow.
#[derive(Default)]
pub struct EventQueue {
    items: Vec<Stored>,
    /// The next item `poll_event` hands out.
    head: usize,
    bytes: Vec<u8>,
    exits: Vec<ExitReason>,
}

impl EventQueue {
    /// An empty queue (allocates nothing until the first event).
    pub fn new() -> Self {
        Self::default()
    }

    /// The next event, or `None` when every queued event has been taken. The event borrows
    /// the queue: it is valid until the next call on the queue. No allocation.
    #[inline]
    pub fn poll_event(&mut self) -> Option<ClientEvent<'_>> {
        if self.head >= self.items.len() {
            self.reset();
            return None;
        }
        self.head += 1;
        Some(self.view(&self.items[self.head - 1]))
    }

    /// The events not taken yet, oldest first, without taking them.
    pub fn iter(&self) -> impl Iterator<Item = ClientEvent<'_>> + '_ {
        self.items[self.head..].iter().map(|s| self.view(s))
    }

    /// How many events wait to be taken.
    pub fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// Whether no event waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every waiting event (keeping the buffers for reuse).
    pub fn clear(&mut self) {
        self.reset();
    }

    fn reset(&mut self) {
        self.items.clear();
        self.bytes.clear();
        self.exits.clear();
        self.head = 0;
    }

    fn span(&mut self, b: &[u8]) -> Span {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(b);
        start..self.bytes.len()
    }

    fn b(&self, s: &Span) -> &[u8] {
        &self.bytes[s.clone()]
    }

    /// The bytes of a span that was copied from a `&str`.
    fn s(&self, s: &Span) -> &str {
        // Copied whole from a `str`, so always valid; the fallback is never taken.
        std::str::from_utf8(self.b(s)).unwrap_or_default()
    }

    fn view<'q>(&'q self, s: &Stored) -> ClientEvent<'q> {
        match s {
            Stored::ControlModeRequested => ClientEvent::ControlModeRequested,
            Stored::ControlModeLeft => ClientEvent::ControlModeLeft,
            Stored::Passthrough(b) => ClientEvent::Passthrough(self.b(b)),
            Stored::Ready => ClientEvent::Ready,
            Stored::Degraded { version, message } => ClientEvent::Degraded {
                version: self.s(version),
                message: self.s(message),
            },
            Stored::SessionChanged(session) => ClientEvent::SessionChanged { session: *session },
            Stored::SessionsChanged => ClientEvent::SessionsChanged,
            Stored::SessionRenamed(session) => ClientEvent::SessionRenamed { session: *session },
            Stored::WindowAdded(window) => ClientEvent::WindowAdded { window: *window },
            Stored::WindowClosed(window) => ClientEvent::WindowClosed { window: *window },
            Stored::WindowRenamed(window) => ClientEvent::WindowRenamed { window: *window },
            Stored::WindowIndexesChanged => ClientEvent::WindowIndexesChanged,
            Stored::LayoutChanged(window) => ClientEvent::LayoutChanged { window: *window },
            Stored::UnlinkedWindowAdded(window) => {
                ClientEvent::UnlinkedWindowAdded { window: *window }
            }
            Stored::UnlinkedWindowRenamed(window) => {
                ClientEvent::UnlinkedWindowRenamed { window: *window }
            }
            Stored::PaneAdded(pane, window) => ClientEvent::PaneAdded {
                pane: *pane,
                window: *window,
            },
            Stored::PaneClosed(pane) => ClientEvent::PaneClosed { pane: *pane },
            Stored::ActiveWindowChanged(session, window) => ClientEvent::ActiveWindowChanged {
                session: *session,
                window: *window,
            },
            Stored::ActivePaneChanged(window, pane) => ClientEvent::ActivePaneChanged {
                window: *window,
                pane: *pane,
            },
            Stored::PaneModeChanged(pane) => ClientEvent::PaneModeChanged { pane: *pane },
            Stored::Paused(pane) => ClientEvent::Paused { pane: *pane },
            Stored::Resumed(pane) => ClientEvent::Resumed { pane: *pane },
            Stored::OutputAge(pane, age_ms) => ClientEvent::OutputAge {
                pane: *pane,
                age_ms: *age_ms,
            },
            Stored::Title(pane, t) => ClientEvent::Title {
                pane: *pane,
                title: self.b(t),
            },
            Stored::Bell(pane) => ClientEvent::Bell { pane: *pane },
            Stored::Clipboard {
                pane,
                selection,
                data,
            } => ClientEvent::Clipboard {
                pane: *pane,
                selection: self.s(selection),
                data: self.b(data),
            },
            Stored::FrameReady(pane) => ClientEvent::FrameReady { pane: *pane },
            Stored::PaneBytes(pane, b) => ClientEvent::PaneBytes {
                pane: *pane,
                bytes: self.b(b),
            },
            Stored::PaneReset {
                pane,
                cols,
                rows,
                rebuild,
            } => ClientEvent::PaneReset {
                pane: *pane,
                cols: *cols,
                rows: *rows,
                rebuild: self.b(rebuild),
            },
            Stored::Notice(kind, text) => ClientEvent::Notice {
                kind: *kind,
                text: self.b(text),
            },
            Stored::PaneRefused(pane, reason) => ClientEvent::PaneRefused {
                pane: *pane,
                reason: *reason,
            },
            Stored::HistoryTrimmed(pane, limit) => ClientEvent::HistoryTrimmed {
                pane: *pane,
                limit: *limit,
            },
            Stored::LimitReached(limit) => ClientEvent::LimitReached { limit: *limit },
            Stored::ReleaseApproximated {
                reported,
                emulated,
                notice,
            } => ClientEvent::ReleaseApproximated {
                reported: self.s(reported),
                emulated: *emulated,
                notice: self.s(notice),
            },
            Stored::ServerOptionsChanged => ClientEvent::ServerOptionsChanged,
            Stored::PlatformWidths(differing) => ClientEvent::PlatformWidths {
                differing: *differing,
            },
            Stored::CommandSucceeded(id) => ClientEvent::CommandSucceeded { id: *id },
            Stored::CommandFailed(id, m) => ClientEvent::CommandFailed {
                id: *id,
                message: self.b(m),
            },
            Stored::CommandReply { id, ok, body } => ClientEvent::CommandReply {
                id: *id,
                ok: *ok,
                body: self.b(body),
            },
            Stored::UnmatchedReply(number) => ClientEvent::UnmatchedReply { number: *number },
            Stored::ProtocolError(error, line) => ClientEvent::ProtocolError {
                error: error.clone(),
                line: self.b(line),
            },
            Stored::Unknown(line) => ClientEvent::Unknown { line: self.b(line) },
            Stored::Exited(i) => ClientEvent::Exited {
                reason: &self.exits[*i],
            },
        }
    }

    /// Stores `event` (copying what it borrows).
    pub fn push(&mut self, event: &ClientEvent<'_>) {
        if self.head > 0 && self.head >= self.items.len() {
            // Everything queued was taken: reuse the buffers from the start.
            self.reset();
        }
        let stored = match *event {
            ClientEvent::ControlModeRequested => Stored::ControlModeRequested,
            ClientEvent::ControlModeLeft => Stored::ControlModeLeft,
            ClientEvent::Passthrough(b) => Stored::Passthrough(self.span(b)),
            ClientEvent::Ready => Stored::Ready,
            ClientEvent::Degraded { version, message } => Stored::Degraded {
                version: self.span(version.as_bytes()),
                message: self.span(message.as_bytes()),
            },
            ClientEvent::SessionChanged { session } => Stored::SessionChanged(session),
            ClientEvent::SessionsChanged => Stored::SessionsChanged,
            ClientEvent::SessionRenamed { session } => Stored::SessionRenamed(session),
            ClientEvent::WindowAdded { window } => Stored::WindowAdded(window),
            ClientEvent::WindowClosed { window } => Stored::WindowClosed(window),
            ClientEvent::WindowRenamed { window } => Stored::WindowRenamed(window),
            ClientEvent::WindowIndexesChanged => Stored::WindowIndexesChanged,
            ClientEvent::LayoutChanged { window } => Stored::LayoutChanged(window),
            ClientEvent::UnlinkedWindowAdded { window } => Stored::UnlinkedWindowAdded(window),
            ClientEvent::UnlinkedWindowRenamed { window } => Stored::UnlinkedWindowRenamed(window),
            ClientEvent::PaneAdded { pane, window } => Stored::PaneAdded(pane, window),
            ClientEvent::PaneClosed { pane } => Stored::PaneClosed(pane),
            ClientEvent::ActiveWindowChanged { session, window } => {
                Stored::ActiveWindowChanged(session, window)
            }
            ClientEvent::ActivePaneChanged { window, pane } => {
                Stored::ActivePaneChanged(window, pane)
            }
            ClientEvent::PaneModeChanged { pane } => Stored::PaneModeChanged(pane),
            ClientEvent::Paused { pane } => Stored::Paused(pane),
            ClientEvent::Resumed { pane } => Stored::Resumed(pane),
            ClientEvent::OutputAge { pane, age_ms } => Stored::OutputAge(pane, age_ms),
            ClientEvent::Title { pane, title } => Stored::Title(pane, self.span(title)),
            ClientEvent::Bell { pane } => Stored::Bell(pane),
            ClientEvent::Clipboard {
                pane,
                selection,
                data,
            } => Stored::Clipboard {
                pane,
                selection: self.span(selection.as_bytes()),
                data: self.span(data),
            },
            ClientEvent::FrameReady { pane } => Stored::FrameReady(pane),
            ClientEvent::PaneBytes { pane, bytes } => Stored::PaneBytes(pane, self.span(bytes)),
            ClientEvent::PaneReset {
                pane,
                cols,
                rows,
                rebuild,
            } => Stored::PaneReset {
                pane,
                cols,
                rows,
                rebuild: self.span(rebuild),
            },
            ClientEvent::Notice { kind, text } => Stored::Notice(kind, self.span(text)),
            ClientEvent::PaneRefused { pane, reason } => Stored::PaneRefused(pane, reason),
            ClientEvent::HistoryTrimmed { pane, limit } => Stored::HistoryTrimmed(pane, limit),
            ClientEvent::LimitReached { limit } => Stored::LimitReached(limit),
            ClientEvent::ReleaseApproximated {
                reported,
                emulated,
                notice,
            } => Stored::ReleaseApproximated {
                reported: self.span(reported.as_bytes()),
                emulated,
                notice: self.span(notice.as_bytes()),
            },
            ClientEvent::ServerOptionsChanged => Stored::ServerOptionsChanged,
            ClientEvent::PlatformWidths { differing } => Stored::PlatformWidths(differing),
            ClientEvent::CommandSucceeded { id } => Stored::CommandSucceeded(id),
            ClientEvent::CommandFailed { id, message } => {
                Stored::CommandFailed(id, self.span(message))
            }
            ClientEvent::CommandReply { id, ok, body } => Stored::CommandReply {
                id,
                ok,
                body: self.span(body),
            },
            ClientEvent::UnmatchedReply { number } => Stored::UnmatchedReply(number),
            ClientEvent::ProtocolError { ref error, line } => {
                Stored::ProtocolError(error.clone(), self.span(line))
            }
            ClientEvent::Unknown { line } => Stored::Unknown(self.span(line)),
            ClientEvent::Exited { reason } => {
                self.exits.push(reason.clone());
                Stored::Exited(self.exits.len() - 1)
            }
        };
        self.items.push(stored);
    }
}

impl std::fmt::Debug for EventQueue {
    /// The waiting events.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Host for EventQueue {
    /// Frames are not queued (pull them with [`crate::Client::pull_frame`]).
    fn on_frame(&mut self, _frame: &Frame<'_>) {}

    fn on_event(&mut self, event: &ClientEvent<'_>) {
        self.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use muxlink_proto::ProtoError;

    fn sample() -> Vec<ExitReason> {
        vec![ExitReason::Exit(Some("detached".into()))]
    }

    #[test]
    fn events_come_back_equal_in_order_and_buffers_are_reused() {
        let exits = sample();
        let events = [
            ClientEvent::Ready,
            ClientEvent::Title {
                pane: PaneId(1),
                title: b"t\x1b",
            },
            ClientEvent::Clipboard {
                pane: PaneId(2),
                selection: "c",
                data: b"aGk=",
            },
            ClientEvent::Degraded {
                version: "3.1c",
                message: "old",
            },
            ClientEvent::ProtocolError {
                error: ProtocolError::Stream(ProtoError::PartialLine),
                line: b"%out",
            },
            ClientEvent::CommandFailed {
                id: CommandId(7),
                message: b"no such pane",
            },
            ClientEvent::Exited { reason: &exits[0] },
        ];
        let mut q = EventQueue::new();
        for round in 0..3 {
            for e in &events {
                q.on_event(e);
            }
            assert_eq!(q.len(), events.len());
            assert!(q.iter().eq(events.iter().cloned()), "round {round}");
            let mut n = 0;
            while let Some(e) = q.poll_event() {
                assert_eq!(e, events[n]);
                n += 1;
            }
            assert_eq!(n, events.len());
            assert!(q.is_empty());
        }
        // The buffers hold one round's worth: reused, not grown per round.
        assert!(q.bytes.capacity() < 64, "{}", q.bytes.capacity());
    }
}

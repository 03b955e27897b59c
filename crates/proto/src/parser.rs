//! The control-mode stream parser: DCS entry and exit, line framing, reply blocks, limits.
//!
//! The rules are documented on [`Parser`].

use std::mem;

use memchr::memchr;

use crate::event::{Event, Reply};
use crate::fence::{FenceBook, FencePlan};
use crate::ids::{parse_u32, parse_u64, PaneId};
use crate::notification::parse_notification;
use crate::unescape::unescape_line;
use crate::ProtoError;

/// What `tmux -CC` prints to enter control mode.
const DCS_ENTER: &[u8] = b"\x1bP1000p";
const ESC: u8 = 0x1b;
/// How an `%output` line starts, up to its pane id's digits.
const OUTPUT_PANE: &[u8] = b"%output %";

/// What a host-stream parser does when it sees DCS `ESC P 1000 p`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnterPolicy {
    /// Enter control mode at once and emit [`Event::Enter`].
    #[default]
    Accept,
    /// Stay outside control mode: the DCS bytes are passed through as [`Event::Passthrough`]
    /// like any other bytes.
    Refuse,
    /// Stop right after the DCS: [`Parser::feed`] returns the number of bytes consumed (the
    /// DCS included), [`Parser::enter_pending`] is `true`, and further `feed` calls consume
    /// nothing (return 0) until the host calls [`Parser::accept_enter`] or
    /// [`Parser::refuse_enter`]; then it feeds the rest of the chunk.
    Ask,
}

/// Parser limits and mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParserConfig {
    /// Longest line accepted, in bytes before the `\n` (default 1 MiB).
    pub max_line_len: usize,
    /// Largest reply body kept, in bytes (default 64 MiB).
    pub max_block_len: usize,
    /// Start outside control mode and look for DCS `ESC P 1000 p` (a host terminal's stream).
    pub host_stream: bool,
    /// What to do on DCS `ESC P 1000 p` in a host stream.
    pub enter_policy: EnterPolicy,
    /// Hand `%output` and `%extended-output` data on as tmux wrote it (every byte below
    /// 0x20 and every `\` as `\ooo`) instead of unescaped (default off): for a reader that
    /// decodes the escapes itself while it reads the bytes (`muxlink_term`'s
    /// `Terminal::feed_escaped`), so that they are read once. Framing, limits and errors are
    /// unchanged.
    pub output_escaped: bool,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            max_line_len: 1 << 20,
            max_block_len: 64 << 20,
            host_stream: false,
            enter_policy: EnterPolicy::Accept,
            output_escaped: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Host stream outside control mode.
    Passthrough,
    /// DCS seen under [`EnterPolicy::Ask`], waiting for the host.
    EnterPending,
    /// Inside control mode.
    Control,
}

/// An open `%begin` block.
#[derive(Debug)]
struct Block {
    time: u64,
    number: u64,
    flags: u32,
    /// The body outgrew `max_block_len`; dropping lines until the terminator.
    overflow: bool,
    /// At least one body line was taken (distinguishes "no lines" from the first line).
    has_line: bool,
    role: Role,
}

/// What an open block is to the parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Ends at its exact terminator and becomes an [`Event::Reply`].
    Plain,
    /// A fence's own block (its first line is an expected nonce): ends at its terminator and
    /// is swallowed.
    Fence,
    /// A fenced block: every line is held in `body` until a fence decides where it ended
    /// (see [`Region`]).
    Fenced,
}

/// Bookkeeping of the open fenced block (valid while the block's role is [`Role::Fenced`]).
/// Offsets are into `Parser::body`, where the held lines are joined with `\n`.
#[derive(Debug, Default)]
struct Region {
    /// The last held line that is exactly this block's terminator.
    term: Option<Term>,
    /// The last line held.
    last: Last,
    /// A line did not fit in `max_block_len`: nothing more is stored (the stored lines stay
    /// a prefix), only terminators are still recognised.
    full: bool,
    /// Lines were dropped before the last terminator: the reply, if that terminator is the
    /// real one, is truncated.
    dropped_before_term: bool,
    /// Lines dropped after the last terminator.
    dropped_after_term: u64,
    /// A copy of the last line when it was dropped (the fence's `%begin` may be that line).
    dropped_last: Vec<u8>,
}

impl Region {
    /// Ready for a new fenced block, keeping the copy buffer's allocation.
    fn reset(&mut self) {
        let mut dropped_last = mem::take(&mut self.dropped_last);
        dropped_last.clear();
        *self = Region {
            dropped_last,
            ..Region::default()
        };
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Term {
    /// Stored at `body[start..end]`.
    Stored { start: usize, end: usize, ok: bool },
    /// Seen after the body was full.
    Dropped { ok: bool },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Last {
    #[default]
    None,
    /// Stored, starting at this offset.
    Stored(usize),
    /// Dropped (a copy is in [`Region::dropped_last`]).
    Dropped,
}

/// Sans-I/O parser for a tmux control-mode stream.
///
/// # Framing
///
/// Lines end with `\n`; a `\r` right before it is dropped. A line is dispatched as soon as its
/// `\n` arrives; a line that is wholly inside one input chunk is handled in place (borrowed),
/// otherwise its pieces are gathered in a buffer the parser keeps and reuses.
///
/// Any split of the input into chunks gives the same events as feeding it at once, with one
/// exception: [`Event::Passthrough`] slices are cut where chunks end (and where a possible DCS
/// start is held back), so only their concatenation is chunking-independent.
///
/// # Lines outside reply blocks
///
/// - `%begin TIME NUMBER FLAGS` opens a reply block; every following line is body until a line
///   that is exactly `%end` or `%error` followed by the same three fields, byte for byte.
/// - `%end`/`%error` outside a block: [`ProtoError::UnexpectedTerminator`].
/// - Known notifications become their [`Event`]; a malformed one is an [`Event::Error`].
/// - `%name ...` with an unknown lowercase name is [`Event::Unknown`] (a newer tmux).
/// - Anything else, including empty lines and lines not starting with `%`, is an
///   [`Event::Error`] with [`ProtoError::NotANotification`]: tmux never writes such lines.
///
/// # Fenced blocks
///
/// A block that can hold a pane's text is fenced when the caller says so
/// ([`Parser::expect_fences`] with the plan of a line built by
/// [`crate::command::fenced_line`]). The fence before it arms the parser; the next `%begin`
/// with flags 1 opens the fenced block, and its lines are held, not read, until a line that
/// is an expected fence nonce arrives. Then the block is taken to end at the **last** held
/// line that is exactly its terminator (pane text comes before the real terminator, never
/// after it): the lines before it are the [`Reply`]; the lines after it (tmux's own, written
/// between the block and the fence) are parsed as if they came now; the fence's own block is
/// swallowed. A held line beyond [`ParserConfig::max_block_len`] is dropped (the reply is
/// then truncated, with [`ProtoError::BlockTooLong`]; lost lines after it are reported with
/// [`ProtoError::FencedTailDropped`]). Error events for lines held back carry the line number
/// of the fence that released them. `crates/proto/FRAMING.md` has the tmux facts this rests
/// on.
///
/// # Host streams
///
/// [`Parser::host_stream`] starts outside control mode: bytes pass through as
/// [`Event::Passthrough`] until DCS `ESC P 1000 p` (which `tmux -CC` prints), then
/// [`Event::Enter`]. In control mode, `ESC \` at the start of a line (the client prints it after
/// `%exit`) gives [`Event::Leave`] and passthrough resumes right after it. `ESC \` leaves even
/// inside a reply block (reporting [`ProtoError::UnterminatedBlock`] first): the tmux client
/// prints it itself, after whatever a dying server left half written, and tmux never starts a
/// body line with `ESC \`.
///
/// Any program can print `ESC P 1000 p`, so entering is the host's decision, see
/// [`EnterPolicy`].
///
/// # Limits
///
/// A line longer than [`ParserConfig::max_line_len`] bytes (counted before the `\n`) gives one
/// [`ProtoError::LineTooLong`] error holding the line cut to the limit; its remaining bytes are
/// dropped up to the next `\n`. A reply body larger than [`ParserConfig::max_block_len`] gives
/// one [`ProtoError::BlockTooLong`] error; further body lines are dropped until the terminator,
/// and the [`Reply`] then holds only the lines that fit. Memory held by the parser is bounded by
/// `max_line_len` (line and unescape buffers) plus `max_block_len` (reply body) whatever the
/// input.
///
/// # Use
///
/// Feed bytes with [`Parser::feed`] and call [`Parser::finish`] at the end of the input. Events
/// borrow from the input chunk or from buffers inside the parser; they are valid only during
/// the sink call. Once its buffers have grown to the sizes the stream needs, the parser does
/// not allocate per line.
///
/// ```
/// use muxlink_proto::{Event, PaneId, Parser};
///
/// let mut parser = Parser::new();
/// let mut got = Vec::new();
/// // A line may arrive in pieces; events come once it is whole.
/// for chunk in [&b"%output %1 hi\\015"[..], b"\\012\n%begin 1 7 1\nok\n%end 1 7 1\n"] {
///     parser.feed(chunk, |ev| match ev {
///         Event::Output { pane, data } => got.push((pane, data.to_vec())),
///         Event::Reply(r) => assert_eq!((r.number, r.ok, r.body), (7, true, &b"ok"[..])),
///         other => panic!("{other:?}"),
///     });
/// }
/// parser.finish(|ev| panic!("{ev:?}"));
/// assert_eq!(got, [(PaneId(1), b"hi\r\n".to_vec())]);
/// ```
#[derive(Debug)]
pub struct Parser {
    cfg: ParserConfig,
    mode: Mode,
    /// DCS bytes matched at the end of the previous chunk (passthrough mode), held back.
    dcs_matched: usize,
    /// Start of a line whose `\n` has not arrived yet.
    line: Vec<u8>,
    /// Dropping the rest of an overlong line up to the next `\n`.
    discarding: bool,
    line_number: u64,
    block: Option<Block>,
    /// The `TIME NUMBER FLAGS` bytes of the open block's `%begin`, to match its terminator.
    block_fields: Vec<u8>,
    body: Vec<u8>,
    unescape_buf: Vec<u8>,
    exited: bool,
    /// Fenced lines written and not yet closed.
    fences: FenceBook,
    /// The open fenced block's bookkeeping.
    region: Region,
    /// A second body buffer, for the fence's own block while a fenced block's lines are
    /// read (kept small: the larger of the two buffers becomes `body`).
    spare: Vec<u8>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    /// A parser for a plain `tmux -C` stream (already in control mode), default limits.
    pub fn new() -> Self {
        Parser::with_config(ParserConfig::default())
    }

    /// A parser for a host terminal's stream: outside control mode until DCS `ESC P 1000 p`.
    pub fn host_stream() -> Self {
        Parser::with_config(ParserConfig {
            host_stream: true,
            ..ParserConfig::default()
        })
    }

    /// A parser with the given limits and mode.
    pub fn with_config(cfg: ParserConfig) -> Self {
        let mode = if cfg.host_stream {
            Mode::Passthrough
        } else {
            Mode::Control
        };
        Parser {
            cfg,
            mode,
            dcs_matched: 0,
            line: Vec::new(),
            discarding: false,
            line_number: 0,
            block: None,
            block_fields: Vec::new(),
            body: Vec::new(),
            unescape_buf: Vec::new(),
            exited: false,
            fences: FenceBook::default(),
            region: Region::default(),
            spare: Vec::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ParserConfig {
        &self.cfg
    }

    /// Changes what happens on the next DCS `ESC P 1000 p` (host streams). Takes effect at once.
    pub fn set_enter_policy(&mut self, policy: EnterPolicy) {
        self.cfg.enter_policy = policy;
    }

    /// Whether the parser is inside control mode (always, for a plain stream, until the end).
    pub fn in_control_mode(&self) -> bool {
        self.mode == Mode::Control
    }

    /// Whether a DCS is waiting for [`Parser::accept_enter`] / [`Parser::refuse_enter`].
    pub fn enter_pending(&self) -> bool {
        self.mode == Mode::EnterPending
    }

    /// Enters control mode after a DCS held under [`EnterPolicy::Ask`]; emits [`Event::Enter`].
    /// Does nothing when no decision is pending.
    pub fn accept_enter<F: FnMut(Event<'_>)>(&mut self, mut sink: F) {
        if self.mode == Mode::EnterPending {
            self.enter(&mut sink);
        }
    }

    /// Stays outside control mode after a DCS held under [`EnterPolicy::Ask`]; the DCS bytes
    /// are emitted as [`Event::Passthrough`]. Does nothing when no decision is pending.
    pub fn refuse_enter<F: FnMut(Event<'_>)>(&mut self, mut sink: F) {
        if self.mode == Mode::EnterPending {
            self.mode = Mode::Passthrough;
            sink(Event::Passthrough(DCS_ENTER));
        }
    }

    /// The number of control-mode lines completed so far (counted from the last
    /// [`Event::Enter`] in a host stream). [`Event::Error::line_number`] uses the same count.
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// Whether a `%begin` block (fenced or not) is open.
    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    /// Registers the fences of a line just written to tmux (`plan` from
    /// [`crate::command::FencedLine::plan`]), in the order lines were written. Call it before
    /// feeding any byte that may hold the line's replies: at the latest, right after writing.
    /// Until the line's closing fence arrives, the parser looks for its nonces: a length
    /// check per line inside blocks, nothing on `%output` lines.
    pub fn expect_fences(&mut self, plan: FencePlan) {
        self.fences.push(plan);
    }

    /// How many fenced lines registered with [`Parser::expect_fences`] still wait for their
    /// closing fence.
    pub fn pending_fences(&self) -> usize {
        self.fences.pending()
    }

    /// Bytes of memory the parser's buffers hold (their capacities). Bounded by about
    /// `3 * max_line_len + max_block_len` whatever the input.
    pub fn buffered_capacity(&self) -> usize {
        self.line.capacity()
            + self.body.capacity()
            + self.unescape_buf.capacity()
            + self.block_fields.capacity()
            + self.region.dropped_last.capacity()
            + self.spare.capacity()
    }

    /// Whether `%exit` was seen in the current control-mode session.
    pub fn exited(&self) -> bool {
        self.exited
    }

    /// Parses `input`, calling `sink` for every event, in order. Returns the number of bytes
    /// consumed: always `input.len()`, except under [`EnterPolicy::Ask`] when a DCS stops the
    /// parser (see there).
    pub fn feed<F: FnMut(Event<'_>)>(&mut self, input: &[u8], mut sink: F) -> usize {
        let mut pos = 0;
        while pos < input.len() {
            pos = match self.mode {
                Mode::Passthrough => self.passthrough(input, pos, &mut sink),
                Mode::EnterPending => return pos,
                Mode::Control => self.control(input, pos, &mut sink),
            };
        }
        input.len()
    }

    /// Ends the input: a held-back partial DCS is passed through; a partial line gives
    /// [`ProtoError::PartialLine`], an open block [`ProtoError::UnterminatedBlock`] (the lines
    /// of an open fenced block are dropped unread). Registered fences are forgotten. The
    /// parser stays in its mode with empty buffers and may be fed again. A pending
    /// [`EnterPolicy::Ask`] decision stays pending.
    pub fn finish<F: FnMut(Event<'_>)>(&mut self, mut sink: F) {
        if self.dcs_matched > 0 {
            sink(Event::Passthrough(&DCS_ENTER[..self.dcs_matched]));
            self.dcs_matched = 0;
        }
        if self.mode != Mode::Control {
            return;
        }
        if self.discarding {
            self.discarding = false;
        } else if !self.line.is_empty() {
            self.line_number += 1;
            sink(Event::Error {
                line_number: self.line_number,
                error: ProtoError::PartialLine,
                line: &self.line,
            });
        }
        self.line.clear();
        self.close_unterminated(&mut sink);
        self.fences.clear();
    }

    fn enter<F: FnMut(Event<'_>)>(&mut self, sink: &mut F) {
        self.mode = Mode::Control;
        self.line_number = 0;
        self.exited = false;
        sink(Event::Enter);
    }

    fn leave<F: FnMut(Event<'_>)>(&mut self, sink: &mut F) {
        self.line.clear();
        self.close_unterminated(sink);
        self.fences.clear();
        self.mode = Mode::Passthrough;
        sink(Event::Leave);
    }

    fn close_unterminated<F: FnMut(Event<'_>)>(&mut self, sink: &mut F) {
        if let Some(block) = self.block.take() {
            let mut exit = None;
            if block.role == Role::Fenced {
                // Held lines may be pane text: never read them, with one exception. After
                // the block's last exact terminator, the lines are tmux's if that terminator
                // is the real one, which it is when tmux wrote the capture whole before it
                // ended (it writes a command's reply in one piece). A `%exit` there is the
                // server's last word: kept. Were the terminator forged (tmux died within the
                // capture), that line is pane text, but the stream ends here anyway and the
                // reason is only ever shown, never obeyed.
                if let Some(Term::Stored { end, .. }) = self.region.term {
                    let held = &self.body[(end + 1).min(self.body.len())..];
                    exit = held
                        .split(|&b| b == b'\n')
                        .rfind(|l| *l == b"%exit" || l.starts_with(b"%exit "))
                        .map(<[u8]>::to_vec);
                }
                self.region.reset();
            }
            self.body.clear();
            sink(Event::Error {
                line_number: self.line_number,
                error: ProtoError::UnterminatedBlock {
                    number: block.number,
                },
                line: b"",
            });
            if let Some(line) = exit {
                self.dispatch(&line, sink);
            }
        }
    }

    /// Host stream outside control mode: pass bytes through, look for the DCS.
    fn passthrough<F: FnMut(Event<'_>)>(
        &mut self,
        input: &[u8],
        mut pos: usize,
        sink: &mut F,
    ) -> usize {
        if self.dcs_matched > 0 {
            let need = &DCS_ENTER[self.dcs_matched..];
            let avail = &input[pos..];
            let n = need.len().min(avail.len());
            if avail[..n] == need[..n] {
                if n == need.len() {
                    self.dcs_matched = 0;
                    return self.on_dcs(pos + n, sink);
                }
                self.dcs_matched += n;
                return input.len();
            }
            // Not a DCS after all: the held bytes are ordinary output. They hold no other ESC,
            // so no DCS can start inside them.
            sink(Event::Passthrough(&DCS_ENTER[..self.dcs_matched]));
            self.dcs_matched = 0;
        }
        let start = pos;
        loop {
            let Some(off) = memchr(ESC, &input[pos..]) else {
                if start < input.len() {
                    sink(Event::Passthrough(&input[start..]));
                }
                return input.len();
            };
            let esc = pos + off;
            let avail = &input[esc..];
            let n = DCS_ENTER.len().min(avail.len());
            if avail[..n] == DCS_ENTER[..n] {
                if esc > start {
                    sink(Event::Passthrough(&input[start..esc]));
                }
                if n == DCS_ENTER.len() {
                    return self.on_dcs(esc + n, sink);
                }
                // A possible DCS cut by the chunk end: hold it back.
                self.dcs_matched = n;
                return input.len();
            }
            pos = esc + 1;
        }
    }

    /// A whole DCS was read; `after` is the position right after it.
    fn on_dcs<F: FnMut(Event<'_>)>(&mut self, after: usize, sink: &mut F) -> usize {
        match self.cfg.enter_policy {
            EnterPolicy::Accept => self.enter(sink),
            EnterPolicy::Refuse => sink(Event::Passthrough(DCS_ENTER)),
            EnterPolicy::Ask => self.mode = Mode::EnterPending,
        }
        after
    }

    /// Inside control mode: frame lines.
    fn control<F: FnMut(Event<'_>)>(
        &mut self,
        input: &[u8],
        mut pos: usize,
        sink: &mut F,
    ) -> usize {
        let host = self.cfg.host_stream;
        let max = self.cfg.max_line_len;

        // Finish what the previous chunk left.
        if self.discarding {
            match memchr(b'\n', &input[pos..]) {
                None => return input.len(),
                Some(off) => {
                    self.discarding = false;
                    pos += off + 1;
                }
            }
        } else if !self.line.is_empty() {
            if host && self.line == [ESC] && input[pos] == b'\\' {
                self.leave(sink);
                return pos + 1;
            }
            match memchr(b'\n', &input[pos..]) {
                None => {
                    self.carry(&input[pos..], sink);
                    return input.len();
                }
                Some(off) => {
                    let part = &input[pos..pos + off];
                    pos += off + 1;
                    self.line_number += 1;
                    if self.line.len() + part.len() > max {
                        let take = max.saturating_sub(self.line.len());
                        self.line.extend_from_slice(&part[..take]);
                        self.too_long(false, sink);
                    } else {
                        self.line.extend_from_slice(part);
                        let line = mem::take(&mut self.line);
                        self.dispatch(strip_cr(&line), sink);
                        self.line = line;
                        self.line.clear();
                    }
                }
            }
        }

        // Whole lines inside this chunk, handled in place.
        // (`dispatch` never changes the mode; only `ESC \` below does, and it returns.)
        while pos < input.len() {
            if host && input[pos] == ESC {
                match input.get(pos + 1) {
                    None => {
                        // Maybe `ESC \` cut by the chunk end: keep it as a line start.
                        self.carry(&input[pos..], sink);
                        return input.len();
                    }
                    Some(b'\\') => {
                        self.leave(sink);
                        return pos + 2;
                    }
                    Some(_) => {}
                }
            }
            if self.block.is_none() {
                if let Some(next) = self.output_line(input, pos, sink) {
                    pos = next;
                    continue;
                }
            }
            match memchr(b'\n', &input[pos..]) {
                Some(off) => {
                    let raw = &input[pos..pos + off];
                    pos += off + 1;
                    self.line_number += 1;
                    if raw.len() > max {
                        self.report(ProtoError::LineTooLong { limit: max }, &raw[..max], sink);
                    } else {
                        self.dispatch(strip_cr(raw), sink);
                    }
                }
                None => {
                    self.carry(&input[pos..], sink);
                    return input.len();
                }
            }
        }
        pos
    }

    /// The hot path: an `%output %N DATA` line outside any block, whole in `input` at `pos`,
    /// framed and unescaped in one pass over its bytes (finding the `\n` first and
    /// unescaping after would read them twice). Returns the position after the line, or
    /// `None` when the bytes at `pos` are anything else, or the line's `\n` is not in
    /// `input` within the line limit: the general path then takes the line from `pos` (and
    /// gives the same events, errors included).
    #[inline]
    fn output_line<F: FnMut(Event<'_>)>(
        &mut self,
        input: &[u8],
        pos: usize,
        sink: &mut F,
    ) -> Option<usize> {
        let rest = input[pos..].strip_prefix(OUTPUT_PANE)?;
        let digits = rest.iter().position(|b| !b.is_ascii_digit())?;
        if rest[digits] != b' ' {
            return None;
        }
        let pane = PaneId(parse_u32(&rest[..digits])?);
        let start = pos + OUTPUT_PANE.len() + digits + 1;
        // A `\n` before `end` leaves at most `max_line_len` bytes before it.
        let end = input
            .len()
            .min(pos.saturating_add(self.cfg.max_line_len).saturating_add(1));
        let (data, nl) = if self.cfg.output_escaped {
            let line = input.get(start..end)?;
            let nl = memchr(b'\n', line)?;
            (&line[..nl], nl)
        } else {
            unescape_line(input.get(start..end)?, &mut self.unescape_buf)?
        };
        // A raw `\r` before the `\n` is the line terminator's (an escape never ends in one):
        // it is the data's last byte.
        let data = match nl.checked_sub(1) {
            Some(i) if input[start + i] == b'\r' => &data[..data.len() - 1],
            _ => data,
        };
        self.line_number += 1;
        sink(Event::Output { pane, data });
        Some(start + nl + 1)
    }

    /// Keeps the start of a line whose `\n` has not arrived, within the line limit.
    fn carry<F: FnMut(Event<'_>)>(&mut self, bytes: &[u8], sink: &mut F) {
        let room = self.cfg.max_line_len.saturating_sub(self.line.len());
        if bytes.len() > room {
            self.line.extend_from_slice(&bytes[..room]);
            self.line_number += 1;
            self.too_long(true, sink);
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    /// Reports the gathered (already cut) line as too long; with `discard`, its `\n` has not
    /// arrived yet and the bytes up to it are dropped.
    fn too_long<F: FnMut(Event<'_>)>(&mut self, discard: bool, sink: &mut F) {
        sink(Event::Error {
            line_number: self.line_number,
            error: ProtoError::LineTooLong {
                limit: self.cfg.max_line_len,
            },
            line: &self.line,
        });
        self.line.clear();
        self.discarding = discard;
    }

    fn report<F: FnMut(Event<'_>)>(&self, error: ProtoError, line: &[u8], sink: &mut F) {
        sink(Event::Error {
            line_number: self.line_number,
            error,
            line,
        });
    }

    /// One complete control-mode line, terminator stripped.
    fn dispatch<F: FnMut(Event<'_>)>(&mut self, line: &[u8], sink: &mut F) {
        if let Some(block) = &mut self.block {
            if block.role == Role::Fenced {
                self.fenced_line(line, sink);
                return;
            }
            if let Some(ok) = terminator(line, &self.block_fields) {
                if block.role == Role::Plain {
                    let reply = Reply {
                        time: block.time,
                        number: block.number,
                        flags: block.flags,
                        ok,
                        body: &self.body,
                    };
                    sink(Event::Reply(reply));
                }
                self.body.clear();
                self.block = None;
                return;
            }
            if block.overflow {
                return;
            }
            if !block.has_line && !self.fences.is_empty() {
                if let Some(found) = self.fences.find(line) {
                    // A fence's block: swallowed at its terminator.
                    block.role = Role::Fence;
                    let applied = self.fences.apply(found);
                    self.report_abandoned(applied.abandoned, line, sink);
                    return;
                }
            }
            let Some(block) = &mut self.block else {
                return;
            };
            let sep = usize::from(block.has_line);
            if self.body.len() + sep + line.len() > self.cfg.max_block_len {
                block.overflow = true;
                let number = block.number;
                self.report(
                    ProtoError::BlockTooLong {
                        number,
                        limit: self.cfg.max_block_len,
                    },
                    line,
                    sink,
                );
                return;
            }
            if block.has_line {
                self.body.push(b'\n');
            }
            block.has_line = true;
            self.body.extend_from_slice(line);
            return;
        }

        if line.len() > 1 && line[1] != b'o' {
            if let Some(rest) = line.strip_prefix(b"%begin ") {
                match parse_fields(rest) {
                    Some((time, number, flags)) => {
                        // Only a block of this client (flags 1) is the fenced command's: a
                        // hook's block (flags 0) may come first.
                        let role = if flags & 1 == 1 && self.fences.take_armed() {
                            self.region.reset();
                            Role::Fenced
                        } else {
                            Role::Plain
                        };
                        self.open_block(rest, (time, number, flags), role);
                    }
                    None => self.report(
                        ProtoError::BadNotification {
                            name: "begin",
                            what: "expected TIME NUMBER FLAGS",
                        },
                        line,
                        sink,
                    ),
                }
                return;
            }
            let name = line.split(|&b| b == b' ').next().unwrap_or(b"");
            if matches!(name, b"%begin" | b"%end" | b"%error") {
                let error = if name == b"%begin" {
                    ProtoError::BadNotification {
                        name: "begin",
                        what: "expected TIME NUMBER FLAGS",
                    }
                } else {
                    ProtoError::UnexpectedTerminator
                };
                self.report(error, line, sink);
                return;
            }
        }

        match parse_notification(line, &mut self.unescape_buf, self.cfg.output_escaped) {
            Ok(ev) => {
                if let Event::Exit { .. } = ev {
                    self.exited = true;
                }
                sink(ev)
            }
            Err(error) => sink(Event::Error {
                line_number: self.line_number,
                error,
                line,
            }),
        }
    }

    fn open_block(&mut self, fields: &[u8], (time, number, flags): (u64, u64, u32), role: Role) {
        self.block_fields.clear();
        self.block_fields.extend_from_slice(fields);
        self.body.clear();
        self.block = Some(Block {
            time,
            number,
            flags,
            overflow: false,
            has_line: false,
            role,
        });
    }

    #[cold]
    fn report_abandoned<F: FnMut(Event<'_>)>(&self, lines: usize, line: &[u8], sink: &mut F) {
        if lines > 0 {
            self.report(ProtoError::UnclosedFence { lines }, line, sink);
        }
    }

    /// One line inside a fenced block: held (or dropped, past the limit) until a fence.
    /// Kept out of line: the `%output` path through `dispatch` stays as small as it was.
    #[inline(never)]
    fn fenced_line<F: FnMut(Event<'_>)>(&mut self, line: &[u8], sink: &mut F) {
        if self.fences.find(line).is_some() {
            self.close_fenced(line, sink);
            return;
        }
        let ok = terminator(line, &self.block_fields);
        let Some(block) = &mut self.block else {
            return;
        };
        let r = &mut self.region;
        let sep = usize::from(block.has_line);
        if !r.full && self.body.len() + sep + line.len() <= self.cfg.max_block_len {
            if block.has_line {
                self.body.push(b'\n');
            }
            block.has_line = true;
            let start = self.body.len();
            self.body.extend_from_slice(line);
            r.last = Last::Stored(start);
            if let Some(ok) = ok {
                r.term = Some(Term::Stored {
                    start,
                    end: self.body.len(),
                    ok,
                });
            }
        } else {
            r.full = true;
            r.last = Last::Dropped;
            r.dropped_last.clear();
            r.dropped_last.extend_from_slice(line);
            if let Some(ok) = ok {
                r.term = Some(Term::Dropped { ok });
            } else {
                r.dropped_after_term += 1;
                return;
            }
        }
        if ok.is_some() {
            r.dropped_before_term |= r.dropped_after_term > 0;
            r.dropped_after_term = 0;
        }
    }

    /// A fence nonce arrived inside a fenced block: the block ended at its last exact
    /// terminator. Emits the reply, parses the lines tmux wrote after that terminator, opens
    /// the fence's own block (from the held line before the nonce) and records the fence.
    #[inline(never)]
    fn close_fenced<F: FnMut(Event<'_>)>(&mut self, nonce: &[u8], sink: &mut F) {
        let Some(block) = self.block.take() else {
            return;
        };
        let mut region = mem::take(&mut self.region);
        let mut held = mem::replace(&mut self.body, mem::take(&mut self.spare));
        let number = block.number;
        let limit = self.cfg.max_block_len;

        // Where the fence's `%begin` (the line right before the nonce) is, if it came after
        // the terminator; and which held lines lie between the two.
        enum Cand {
            None,
            Stored(usize),
            Dropped,
        }
        let mut cand = Cand::None;
        let mut tail = 0..0;
        let mut has_tail = false;
        let mut lost = 0;
        match region.term {
            None => {
                // No terminator at all: every held line may be pane text. Drop them.
                self.report(ProtoError::UnterminatedBlock { number }, b"", sink);
            }
            Some(term) => {
                if region.dropped_before_term {
                    self.report(ProtoError::BlockTooLong { number, limit }, b"", sink);
                }
                let (body_end, ok) = match term {
                    Term::Stored { start, ok, .. } => (start.saturating_sub(1), ok),
                    Term::Dropped { ok } => (held.len(), ok),
                };
                sink(Event::Reply(Reply {
                    time: block.time,
                    number,
                    flags: block.flags,
                    ok,
                    body: &held[..body_end],
                }));
                lost = region.dropped_after_term;
                match (term, region.last) {
                    (Term::Stored { start, end, .. }, Last::Stored(s)) if s > start => {
                        cand = Cand::Stored(s);
                        has_tail = s > end + 1;
                        tail = end + 1..s - 1;
                    }
                    (Term::Stored { end, .. }, Last::Dropped) => {
                        // The dropped last line came after the stored terminator.
                        cand = Cand::Dropped;
                        lost = lost.saturating_sub(1);
                        has_tail = end < held.len();
                        tail = (end + 1).min(held.len())..held.len();
                    }
                    (Term::Dropped { .. }, Last::Dropped) if lost > 0 => {
                        cand = Cand::Dropped;
                        lost -= 1;
                    }
                    _ => {}
                }
            }
        }
        if lost > 0 {
            self.report(
                ProtoError::FencedTailDropped {
                    number,
                    lines: lost,
                },
                b"",
                sink,
            );
        }
        if has_tail {
            for line in held[tail].split(|&b| b == b'\n') {
                self.dispatch(line, sink);
            }
        }
        if self.block.is_some() {
            // The lines after the terminator left a block open (never seen from tmux).
            self.close_unterminated(sink);
        }

        let begin: &[u8] = match cand {
            Cand::None => b"",
            Cand::Stored(s) => &held[s..],
            Cand::Dropped => &region.dropped_last,
        };
        let fields = begin
            .strip_prefix(b"%begin ")
            .and_then(|rest| parse_fields(rest).map(|f| (rest, f)));
        match fields {
            Some((rest, f)) => {
                self.open_block(rest, f, Role::Fence);
                if let Some(b) = &mut self.block {
                    b.has_line = true;
                }
                self.body.extend_from_slice(nonce);
            }
            None => {
                if !matches!(cand, Cand::None) {
                    // Written by tmux after the terminator: an ordinary line.
                    self.dispatch(begin, sink);
                }
                self.report(ProtoError::MisplacedFence, nonce, sink);
            }
        }
        // Found again: the lines parsed above may have moved the record on.
        if let Some(found) = self.fences.find(nonce) {
            let applied = self.fences.apply(found);
            self.report_abandoned(applied.abandoned, nonce, sink);
        }

        // Keep the larger allocation as the body, the smaller as the spare, and the copy
        // buffer: no allocation for the next fenced block once warm.
        held.clear();
        if held.capacity() > self.body.capacity() {
            held.extend_from_slice(&self.body);
            mem::swap(&mut held, &mut self.body);
            held.clear();
        }
        self.spare = held;
        if self.region.dropped_last.capacity() == 0 {
            region.dropped_last.clear();
            self.region.dropped_last = region.dropped_last;
        }
    }
}

/// Whether `line` is exactly `%end FIELDS` (`Some(true)`) or `%error FIELDS` (`Some(false)`).
#[inline]
fn terminator(line: &[u8], fields: &[u8]) -> Option<bool> {
    if line.first() != Some(&b'%') {
        return None;
    }
    if let Some(rest) = line.strip_prefix(b"%end ") {
        (rest == fields).then_some(true)
    } else if let Some(rest) = line.strip_prefix(b"%error ") {
        (rest == fields).then_some(false)
    } else {
        None
    }
}

/// `TIME NUMBER FLAGS`, exactly three numeric fields.
fn parse_fields(rest: &[u8]) -> Option<(u64, u64, u32)> {
    let mut it = rest.split(|&b| b == b' ');
    let time = parse_u64(it.next()?)?;
    let number = parse_u64(it.next()?)?;
    let flags = parse_u32(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    Some((time, number, flags))
}

#[inline]
fn strip_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    }
}

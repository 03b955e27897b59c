//! Outgoing commands: typed builders that produce one complete control-mode command line.
//!
//! Every builder returns a [`Command`]: the bytes of exactly one line ending in `\n`, ready
//! to be written to tmux's stdin. Targets come only from numeric ids ([`PaneId`],
//! [`WindowId`], [`SessionId`]); no string that came from tmux is ever put into a command.
//!
//! # Quoting (tmux 3.3a `cmd-parse.y`, verified against tmux 3.3a)
//!
//! A control-mode line is parsed by tmux's command lexer as a C string. What matters:
//!
//! - Outside quotes, whitespace ends a word, `;` ends a command, `{`/`}` open and close
//!   blocks, `#` at the start of a word starts a comment, a word starting with `%` that is not
//!   all digits is a `%if`-style directive, `$NAME`/`${NAME}` are expanded from tmux's global
//!   environment, `~` at the start of a word becomes a home directory, `\` escapes.
//! - Single quotes take bytes literally but cannot hold `'` or a line break.
//! - Double quotes still expand `$`, `~` (as their first byte) and `\` escapes: `\ooo` octal
//!   (first digit 0-3), `\n`, `\t`, `\r`, `\e`, `\uXXXX`, ..., any other `\c` is `c`.
//! - The line is read as signed `char`s: a raw byte 0xff reads as EOF and cuts the line.
//! - The line is a C string: a NUL byte ends it, and `\000` inside a word ends that word's
//!   value. **NUL cannot be represented at all**; [`quote_arg`] returns
//!   [`CommandError::Nul`] rather than truncate.
//!
//! [`quote_arg`] therefore writes every argument in double quotes, with every byte outside
//! printable ASCII, and each of `"` `\` `$` `~`, as a three-digit octal escape. The line it
//! produces is plain ASCII, and tmux reads back exactly the bytes given, for every byte
//! string without NUL (newlines, CR, `;`, quotes, `#{}`, `$(...)`, bytes >= 0x80, empty).
//! Arguments that could start with `-` are preceded by `--` so they are not read as flags.
//!
//! # Formats in names
//!
//! tmux expands formats (`#{...}`, `#(shell command)`, `#W`) in the argument of
//! `rename-window`, `rename-session` and `new-window -n` before storing the name; `#(...)`
//! runs a shell command on the server. Names are passed through [`format_literal`] first,
//! which makes format expansion yield the original bytes.
//!
//! # What tmux itself does to names (tmux 3.3a, by design)
//!
//! - `rename-window` and `rename-session` store the name through `utf8_stravis`
//!   (`VIS_OCTAL|VIS_CSTYLE|VIS_TAB|VIS_NL`): valid UTF-8 is kept; `\` becomes `\\`;
//!   newline, tab, CR, BEL, BS, VT, FF become `\n` `\t` `\r` `\a` `\b` `\v` `\f`; other
//!   control bytes, DEL and bytes that are not valid UTF-8 become `\ooo`; a `$` followed by
//!   a letter, `_` or `{` becomes `\$`. Everything else (quotes, `;`, `#`, `{}`, `~`,
//!   spaces, leading `-`, the empty name) is stored exactly. `tests/hostile_names.rs`
//!   asserts this transform byte for byte.
//! - `rename-session` also replaces `:` and `.` with `_`, and rejects an empty name.
//! - `new-window -n` stores the name without that treatment, so a line break would reach
//!   control-mode output raw and break line framing for every client: [`NewWindow`]
//!   rejects names containing `\n` or `\r` ([`CommandError::LineBreak`]).

use std::fmt;

use crate::fence::{FenceMark, FencePlan, NonceError, NonceSource};
use crate::ids::{PaneId, SessionId, WindowId};

/// Most key bytes [`send_keys_hex`] puts on one line (a line is then at most
/// `27 + 3 * 1024 + 1` bytes).
pub const SEND_KEYS_MAX_BYTES: usize = 1024;

/// Why a command could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A NUL byte: tmux's command parser works on C strings and cannot carry it.
    #[error("NUL byte at offset {offset}: tmux commands cannot carry NUL")]
    Nul {
        /// Offset of the NUL in the offending argument.
        offset: usize,
    },
    /// A line break where tmux would not store it safely, or in raw command text.
    #[error("line break at offset {offset}")]
    LineBreak {
        /// Offset of the `\n` or `\r`.
        offset: usize,
    },
    /// An empty value where tmux requires one (session names, key input, raw commands).
    #[error("empty {what}")]
    Empty {
        /// What was empty.
        what: &'static str,
    },
    /// Raw command text that tmux would not answer with a reply block (blank or comment).
    #[error("raw command is blank or only a comment: tmux would not reply to it")]
    NoCommand,
    /// A value tmux would misread.
    #[error("invalid {what}: {why}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        why: &'static str,
    },
    /// More input than fits on one line.
    #[error("{len} bytes of key input exceed {max} per line")]
    TooLong {
        /// Bytes given.
        len: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// The nonce source of [`fenced_line`] failed.
    #[error(transparent)]
    Nonce(#[from] NonceError),
}

/// One complete command line (ends in `\n`), ready to write to tmux.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    name: &'static str,
    line: Vec<u8>,
    /// Reply blocks tmux answers the line with; `None` for raw text.
    blocks: Option<usize>,
}

impl Command {
    fn start(name: &'static str) -> Command {
        let mut line = Vec::with_capacity(64);
        line.extend_from_slice(name.as_bytes());
        Command {
            name,
            line,
            blocks: Some(1),
        }
    }

    /// Appends ` WORD`; `word` must be a literal that needs no quoting.
    fn word(mut self, word: &str) -> Command {
        self.line.push(b' ');
        self.line.extend_from_slice(word.as_bytes());
        self
    }

    /// Appends ` -t %N` / ` -t @N` / ` -t '$N'`.
    fn target(self, t: Target) -> Command {
        self.word("-t").word(&t.to_arg())
    }

    /// Appends ` "ARG"` through [`quote_arg`].
    fn arg(mut self, arg: &[u8]) -> Result<Command, CommandError> {
        self.line.push(b' ');
        quote_arg(&mut self.line, arg)?;
        Ok(self)
    }

    fn finish(mut self) -> Command {
        self.line.push(b'\n');
        self
    }

    /// The whole line, `\n` included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.line
    }

    /// The whole line, `\n` included, without a copy.
    pub fn into_bytes(self) -> Vec<u8> {
        self.line
    }

    /// The tmux command name (`"send-keys"`, ...; `"raw"` for [`raw`]).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many `%begin`..`%end`/`%error` blocks tmux answers this line with: `Some(1)` for
    /// every typed builder, `Some(n)` for [`join`] of `n` commands. `None` for [`raw`]
    /// text: tmux answers one block per command of a `;`-separated list (or one `%error`
    /// block if the line does not parse). When a command of a joined line fails, tmux
    /// skips the rest of the line: fewer blocks come (see `ReplyMatcher::push_line`).
    pub fn reply_blocks(&self) -> Option<usize> {
        self.blocks
    }
}

impl fmt::Display for Command {
    /// The line without its `\n` (lossy for non-UTF-8 bytes, which builders never emit
    /// except through [`raw`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
        f.write_str(&String::from_utf8_lossy(l))
    }
}

impl AsRef<[u8]> for Command {
    fn as_ref(&self) -> &[u8] {
        &self.line
    }
}

/// A command target, always a numeric id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `%N`.
    Pane(PaneId),
    /// `@N`.
    Window(WindowId),
    /// `$N`.
    Session(SessionId),
}

impl Target {
    /// The argument as written after `-t`. `$N` is single-quoted so it can never be read
    /// as an environment variable.
    fn to_arg(self) -> String {
        match self {
            Target::Pane(p) => p.to_string(),
            Target::Window(w) => w.to_string(),
            Target::Session(s) => format!("'{s}'"),
        }
    }
}

impl From<PaneId> for Target {
    fn from(p: PaneId) -> Self {
        Target::Pane(p)
    }
}
impl From<WindowId> for Target {
    fn from(w: WindowId) -> Self {
        Target::Window(w)
    }
}
impl From<SessionId> for Target {
    fn from(s: SessionId) -> Self {
        Target::Session(s)
    }
}

/// Appends `arg` to `out` as one tmux command-language word that tmux reads back as exactly
/// `arg`: double-quoted, with every byte other than printable ASCII, and each of `"` `\`
/// `$` `~`, written as a `\ooo` octal escape. The output is printable ASCII.
///
/// Fails only on NUL, which tmux cannot represent; `out` is left unchanged then.
/// Costs one pass and at most `4 * len + 2` bytes.
pub fn quote_arg(out: &mut Vec<u8>, arg: &[u8]) -> Result<(), CommandError> {
    if let Some(offset) = memchr::memchr(0, arg) {
        return Err(CommandError::Nul { offset });
    }
    out.reserve(arg.len() + 2);
    out.push(b'"');
    for &b in arg {
        let plain = (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'$' | b'~');
        if plain {
            out.push(b);
        } else {
            out.extend_from_slice(&[
                b'\\',
                b'0' + (b >> 6),
                b'0' + ((b >> 3) & 7),
                b'0' + (b & 7),
            ]);
        }
    }
    out.push(b'"');
    Ok(())
}

/// Escapes `text` so that tmux's format expansion (`format_expand` in 3.3a) yields `text`
/// unchanged: `#` becomes `##`, and a `[` that follows a `#` becomes `#{l:[}` (tmux keeps
/// `##[` verbatim, as a style, instead of reducing it to `#[`). Nothing else is special to
/// format expansion. Used for names, which tmux expands before storing.
pub fn format_literal(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 8);
    let mut prev_hash = false;
    for &b in text {
        match b {
            b'#' => out.extend_from_slice(b"##"),
            b'[' if prev_hash => out.extend_from_slice(b"#{l:[}"),
            _ => out.push(b),
        }
        prev_hash = b == b'#';
    }
    out
}

fn check_no_nul(s: &[u8]) -> Result<(), CommandError> {
    match memchr::memchr(0, s) {
        Some(offset) => Err(CommandError::Nul { offset }),
        None => Ok(()),
    }
}

fn hex_byte(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b' ');
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 15)]);
}

/// `send-keys -t %P -H XX XX ...`: the bytes as hex, so tmux writes them to the pane
/// unchanged (no key-name lookup, no quoting). At most [`SEND_KEYS_MAX_BYTES`] bytes; use
/// [`send_keys_hex_chunks`] for longer input.
pub fn send_keys_hex(pane: PaneId, keys: &[u8]) -> Result<Command, CommandError> {
    if keys.is_empty() {
        return Err(CommandError::Empty { what: "key input" });
    }
    if keys.len() > SEND_KEYS_MAX_BYTES {
        return Err(CommandError::TooLong {
            len: keys.len(),
            max: SEND_KEYS_MAX_BYTES,
        });
    }
    let mut c = Command::start("send-keys").target(pane.into()).word("-H");
    c.line.reserve(keys.len() * 3 + 1);
    for &b in keys {
        hex_byte(&mut c.line, b);
    }
    Ok(c.finish())
}

/// Splits `keys` into `send-keys -H` lines of at most `max_line` bytes each (`\n`
/// included), in order. Empty input yields no command. Fails if `max_line` cannot hold
/// even one key byte for this pane.
pub fn send_keys_hex_chunks(
    pane: PaneId,
    keys: &[u8],
    max_line: usize,
) -> Result<SendKeysChunks<'_>, CommandError> {
    let header = Command::start("send-keys")
        .target(pane.into())
        .word("-H")
        .line
        .len();
    let per_line = max_line.saturating_sub(header + 1) / 3;
    if per_line == 0 {
        return Err(CommandError::Invalid {
            what: "max_line",
            why: "too small for one key byte",
        });
    }
    Ok(SendKeysChunks {
        pane,
        rest: keys,
        per_line: per_line.min(SEND_KEYS_MAX_BYTES),
    })
}

/// Iterator returned by [`send_keys_hex_chunks`]; allocates one line per item.
#[derive(Clone, Debug)]
pub struct SendKeysChunks<'a> {
    pane: PaneId,
    rest: &'a [u8],
    per_line: usize,
}

impl Iterator for SendKeysChunks<'_> {
    type Item = Command;

    fn next(&mut self) -> Option<Command> {
        if self.rest.is_empty() {
            return None;
        }
        let n = self.per_line.min(self.rest.len());
        let (now, rest) = self.rest.split_at(n);
        self.rest = rest;
        // Cannot fail: `now` is non-empty and at most SEND_KEYS_MAX_BYTES long.
        send_keys_hex(self.pane, now).ok()
    }
}

/// `refresh-client -C COLSxROWS`: the size of this client.
pub fn refresh_client_size(cols: u32, rows: u32) -> Command {
    Command::start("refresh-client")
        .word("-C")
        .word(&format!("{cols}x{rows}"))
        .finish()
}

/// `refresh-client -C @W:COLSxROWS` (tmux 3.3+): this client's size for one window.
pub fn refresh_client_window_size(window: WindowId, cols: u32, rows: u32) -> Command {
    Command::start("refresh-client")
        .word("-C")
        .word(&format!("{window}:{cols}x{rows}"))
        .finish()
}

/// A control-client flag for [`refresh_client_flags`] (tmux 3.2+).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientFlag {
    /// `active-pane`: the client has its own active pane.
    ActivePane,
    /// `ignore-size`: the client's size does not count (read-only observers).
    IgnoreSize,
    /// `no-output`: no `%output` at all.
    NoOutput,
    /// `pause-after=N`: pause a pane whose output is N seconds behind (3.2+).
    PauseAfter(u32),
    /// `read-only`: the client may not change anything.
    ReadOnly,
    /// `wait-exit`: wait for an empty line after `%exit` before exiting.
    WaitExit,
    /// `no-detach-on-destroy` (3.4+).
    NoDetachOnDestroy,
}

impl ClientFlag {
    fn write(self, out: &mut String, on: bool) {
        if !on {
            out.push('!');
        }
        match self {
            ClientFlag::ActivePane => out.push_str("active-pane"),
            ClientFlag::IgnoreSize => out.push_str("ignore-size"),
            ClientFlag::NoOutput => out.push_str("no-output"),
            ClientFlag::PauseAfter(n) if on => out.push_str(&format!("pause-after={n}")),
            ClientFlag::PauseAfter(_) => out.push_str("pause-after"),
            ClientFlag::ReadOnly => out.push_str("read-only"),
            ClientFlag::WaitExit => out.push_str("wait-exit"),
            ClientFlag::NoDetachOnDestroy => out.push_str("no-detach-on-destroy"),
        }
    }
}

/// `refresh-client -f 'FLAG,...,!FLAG'`: sets the flags in `set` and clears those in
/// `clear` (for `PauseAfter` the value is ignored when clearing).
pub fn refresh_client_flags(
    set: &[ClientFlag],
    clear: &[ClientFlag],
) -> Result<Command, CommandError> {
    if set.is_empty() && clear.is_empty() {
        return Err(CommandError::Empty {
            what: "client flag list",
        });
    }
    let mut s = String::new();
    for (i, (f, on)) in set
        .iter()
        .map(|f| (*f, true))
        .chain(clear.iter().map(|f| (*f, false)))
        .enumerate()
    {
        if i > 0 {
            s.push(',');
        }
        f.write(&mut s, on);
    }
    Ok(Command::start("refresh-client")
        .word("-f")
        .arg(s.as_bytes())?
        .finish())
}

/// What [`refresh_client_pane`] asks for a pane (tmux 3.2+).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaneOutputState {
    /// `continue`: resume a pane paused by `pause-after` (`%continue` follows).
    Continue,
    /// `pause`: stop output for the pane.
    Pause,
    /// `on`: send output for the pane.
    On,
    /// `off`: send no output for the pane.
    Off,
}

/// `refresh-client -A '%P:STATE'`.
pub fn refresh_client_pane(pane: PaneId, state: PaneOutputState) -> Command {
    let state = match state {
        PaneOutputState::Continue => "continue",
        PaneOutputState::Pause => "pause",
        PaneOutputState::On => "on",
        PaneOutputState::Off => "off",
    };
    // A bare word starting with `%` that is not all digits is a parse error in tmux.
    Command::start("refresh-client")
        .word("-A")
        .word(&format!("'{pane}:{state}'"))
        .finish()
}

/// What a format subscription watches ([`subscribe`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionTarget {
    /// The attached session (empty target).
    Session,
    /// One pane, `%P`.
    Pane(PaneId),
    /// Every pane of the session, `%*`.
    AllPanes,
    /// One window, `@W`.
    Window(WindowId),
    /// Every window of the session, `@*`.
    AllWindows,
}

fn check_subscription_name(name: &[u8]) -> Result<(), CommandError> {
    if name.is_empty() {
        return Err(CommandError::Empty {
            what: "subscription name",
        });
    }
    if name.contains(&b':') {
        return Err(CommandError::Invalid {
            what: "subscription name",
            why: "contains ':'",
        });
    }
    check_no_nul(name)
}

/// `refresh-client -B 'NAME:TARGET:FORMAT'` (tmux 3.2+): tmux sends
/// `%subscription-changed NAME ...` when the format's value changes. `name` must be
/// non-empty without `:`; `format` is a format muxlink chose, quoted as is.
pub fn subscribe(
    name: &[u8],
    target: SubscriptionTarget,
    format: &[u8],
) -> Result<Command, CommandError> {
    check_subscription_name(name)?;
    let mut spec = name.to_vec();
    spec.push(b':');
    match target {
        SubscriptionTarget::Session => {}
        SubscriptionTarget::Pane(p) => spec.extend_from_slice(p.to_string().as_bytes()),
        SubscriptionTarget::AllPanes => spec.extend_from_slice(b"%*"),
        SubscriptionTarget::Window(w) => spec.extend_from_slice(w.to_string().as_bytes()),
        SubscriptionTarget::AllWindows => spec.extend_from_slice(b"@*"),
    }
    spec.push(b':');
    spec.extend_from_slice(format);
    Ok(Command::start("refresh-client")
        .word("-B")
        .arg(&spec)?
        .finish())
}

/// `refresh-client -B NAME`: removes a subscription.
pub fn unsubscribe(name: &[u8]) -> Result<Command, CommandError> {
    check_subscription_name(name)?;
    Ok(Command::start("refresh-client")
        .word("-B")
        .arg(name)?
        .finish())
}

/// A line bound for [`CapturePane`] `-S`/`-E`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaptureBound {
    /// A line number: 0 is the first visible line, negative numbers are history.
    Line(i64),
    /// `-`: the start of history (for `-S`) or the end of the visible screen (for `-E`).
    Edge,
}

impl CaptureBound {
    fn to_arg(self) -> String {
        match self {
            CaptureBound::Line(n) => n.to_string(),
            CaptureBound::Edge => "-".to_string(),
        }
    }
}

/// `capture-pane -p -t %P [-e] [-C] [-J] [-N] [-q] [-a] [-P] [-S ..] [-E ..]`: the pane's
/// contents, printed into the reply block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapturePane {
    /// The pane.
    pub pane: PaneId,
    /// `-e`: include SGR escapes for text and background attributes.
    pub escapes: bool,
    /// `-C`: escape non-printable characters as octal `\ooo`.
    pub octal: bool,
    /// `-J`: join wrapped lines and keep trailing spaces.
    pub join: bool,
    /// `-N`: keep trailing spaces at each line's end.
    pub trailing_spaces: bool,
    /// `-q`: no error if the alternate screen is asked for but not active.
    pub quiet: bool,
    /// `-a`: the alternate screen.
    pub alternate: bool,
    /// `-P`: only the start of an incomplete escape sequence the pane is holding.
    pub pending: bool,
    /// `-S`: first line.
    pub start: Option<CaptureBound>,
    /// `-E`: last line.
    pub end: Option<CaptureBound>,
}

impl CapturePane {
    /// Just `capture-pane -p -t %P` (the visible screen, plain text).
    pub fn new(pane: PaneId) -> CapturePane {
        CapturePane {
            pane,
            escapes: false,
            octal: false,
            join: false,
            trailing_spaces: false,
            quiet: false,
            alternate: false,
            pending: false,
            start: None,
            end: None,
        }
    }

    /// The capture used to restore a pane on attach:
    /// `capture-pane -p -e -q -J -N -S -<history_limit> -t %P`.
    pub fn restore(pane: PaneId, history_limit: u32) -> CapturePane {
        CapturePane {
            escapes: true,
            quiet: true,
            join: true,
            trailing_spaces: true,
            start: Some(CaptureBound::Line(-i64::from(history_limit))),
            ..CapturePane::new(pane)
        }
    }

    /// The command line.
    pub fn build(&self) -> Command {
        let mut c = Command::start("capture-pane").word("-p");
        for (on, flag) in [
            (self.escapes, "-e"),
            (self.octal, "-C"),
            (self.join, "-J"),
            (self.trailing_spaces, "-N"),
            (self.quiet, "-q"),
            (self.alternate, "-a"),
            (self.pending, "-P"),
        ] {
            if on {
                c = c.word(flag);
            }
        }
        if let Some(s) = self.start {
            c = c.word("-S").word(&s.to_arg());
        }
        if let Some(e) = self.end {
            c = c.word("-E").word(&e.to_arg());
        }
        c.target(self.pane.into()).finish()
    }
}

/// `list-sessions -F FORMAT`. `format` is a constant muxlink chose; it is quoted as is.
pub fn list_sessions(format: &[u8]) -> Result<Command, CommandError> {
    Ok(Command::start("list-sessions")
        .word("-F")
        .arg(format)?
        .finish())
}

/// Which windows [`list_windows`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowScope {
    /// `-a`: every window on the server.
    All,
    /// No target: the windows of the client's current session.
    Current,
    /// `-t $S`: the windows of one session.
    Session(SessionId),
}

/// `list-windows [-a | -t $S] -F FORMAT`.
pub fn list_windows(scope: WindowScope, format: &[u8]) -> Result<Command, CommandError> {
    let c = Command::start("list-windows");
    let c = match scope {
        WindowScope::All => c.word("-a"),
        WindowScope::Current => c,
        WindowScope::Session(s) => c.target(s.into()),
    };
    Ok(c.word("-F").arg(format)?.finish())
}

/// Which panes [`list_panes`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaneScope {
    /// `-a`: every pane on the server.
    All,
    /// `-s`: every pane of the client's current session.
    CurrentSession,
    /// `-s -t $S`: every pane of one session.
    Session(SessionId),
    /// `-t @W`: the panes of one window.
    Window(WindowId),
}

/// `list-panes (-a | -s | -s -t $S | -t @W) -F FORMAT`.
pub fn list_panes(scope: PaneScope, format: &[u8]) -> Result<Command, CommandError> {
    let c = Command::start("list-panes");
    let c = match scope {
        PaneScope::All => c.word("-a"),
        PaneScope::CurrentSession => c.word("-s"),
        PaneScope::Session(s) => c.word("-s").target(s.into()),
        PaneScope::Window(w) => c.target(w.into()),
    };
    Ok(c.word("-F").arg(format)?.finish())
}

fn check_window_name(name: &[u8]) -> Result<(), CommandError> {
    check_no_nul(name)?;
    match name.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(offset) => Err(CommandError::LineBreak { offset }),
        None => Ok(()),
    }
}

/// `new-window [-d] [-a] -t TARGET [-n NAME] [-P -F FORMAT]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NewWindow<'a> {
    /// Create in this session (`-t '$S:'`, the next free index). Ignored when `after` is set.
    pub session: Option<SessionId>,
    /// Insert right after this window (`-a -t @W`).
    pub after: Option<WindowId>,
    /// The window's name (the user's own bytes; see the module docs for what is refused).
    pub name: Option<&'a [u8]>,
    /// `-d`: do not make it the current window.
    pub detached: bool,
    /// `-P -F FORMAT`: print this format (e.g. `#{window_id}`) in the reply.
    pub print_format: Option<&'a [u8]>,
}

impl<'a> NewWindow<'a> {
    /// A new window in the current session, nothing else set.
    pub fn new() -> NewWindow<'a> {
        NewWindow {
            session: None,
            after: None,
            name: None,
            detached: false,
            print_format: None,
        }
    }

    /// The command line. Fails on a name with NUL, `\n` or `\r`, or a format with NUL.
    pub fn build(&self) -> Result<Command, CommandError> {
        let mut c = Command::start("new-window");
        if self.detached {
            c = c.word("-d");
        }
        if let Some(w) = self.after {
            c = c.word("-a").target(w.into());
        } else if let Some(s) = self.session {
            c = c.word("-t").word(&format!("'{s}:'"));
        }
        if let Some(name) = self.name {
            check_window_name(name)?;
            c = c.word("-n").arg(&format_literal(name))?;
        }
        if let Some(f) = self.print_format {
            c = c.word("-P").word("-F").arg(f)?;
        }
        Ok(c.finish())
    }
}

impl Default for NewWindow<'_> {
    fn default() -> Self {
        NewWindow::new()
    }
}

/// Split direction for [`SplitWindow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SplitDirection {
    /// `-h`: the new pane beside the old one (a left-right split).
    Horizontal,
    /// `-v`: the new pane below the old one (a top-bottom split).
    Vertical,
}

/// The new pane's size for [`SplitWindow`] (`-l`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SplitSize {
    /// Cells (columns for `-h`, rows for `-v`).
    Cells(u32),
    /// Percent of the split pane, `N%` (tmux 3.1+).
    Percent(u8),
}

/// `split-window (-h|-v) [-b] [-f] [-d] [-l SIZE] -t %P [-P -F FORMAT]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SplitWindow<'a> {
    /// The pane to split.
    pub pane: PaneId,
    /// Direction.
    pub direction: SplitDirection,
    /// `-b`: put the new pane left of / above the old one.
    pub before: bool,
    /// `-f`: span the full window width/height.
    pub full: bool,
    /// `-d`: do not make the new pane active.
    pub detached: bool,
    /// `-l`: the new pane's size.
    pub size: Option<SplitSize>,
    /// `-P -F FORMAT`: print this format (e.g. `#{pane_id}`) in the reply.
    pub print_format: Option<&'a [u8]>,
}

impl<'a> SplitWindow<'a> {
    /// Splits `pane` in `direction`, nothing else set.
    pub fn new(pane: PaneId, direction: SplitDirection) -> SplitWindow<'a> {
        SplitWindow {
            pane,
            direction,
            before: false,
            full: false,
            detached: false,
            size: None,
            print_format: None,
        }
    }

    /// The command line. Fails on a format with NUL or a percentage above 100.
    pub fn build(&self) -> Result<Command, CommandError> {
        let mut c = Command::start("split-window").word(match self.direction {
            SplitDirection::Horizontal => "-h",
            SplitDirection::Vertical => "-v",
        });
        for (on, flag) in [
            (self.before, "-b"),
            (self.full, "-f"),
            (self.detached, "-d"),
        ] {
            if on {
                c = c.word(flag);
            }
        }
        match self.size {
            Some(SplitSize::Cells(n)) => c = c.word("-l").word(&n.to_string()),
            Some(SplitSize::Percent(p)) if p <= 100 => c = c.word("-l").word(&format!("{p}%")),
            Some(SplitSize::Percent(_)) => {
                return Err(CommandError::Invalid {
                    what: "split size",
                    why: "percentage above 100",
                })
            }
            None => {}
        }
        c = c.target(self.pane.into());
        if let Some(f) = self.print_format {
            c = c.word("-P").word("-F").arg(f)?;
        }
        Ok(c.finish())
    }
}

/// `select-window -t @W`.
pub fn select_window(window: WindowId) -> Command {
    Command::start("select-window")
        .target(window.into())
        .finish()
}

/// `select-pane -t %P`.
pub fn select_pane(pane: PaneId) -> Command {
    Command::start("select-pane").target(pane.into()).finish()
}

/// `kill-pane -t %P`.
pub fn kill_pane(pane: PaneId) -> Command {
    Command::start("kill-pane").target(pane.into()).finish()
}

/// `kill-window -t @W`.
pub fn kill_window(window: WindowId) -> Command {
    Command::start("kill-window").target(window.into()).finish()
}

/// What [`resize_pane`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resize {
    /// `-Z`: toggle zoom.
    ToggleZoom,
    /// `-x COLS` and/or `-y ROWS`: absolute size (at least one should be set).
    To {
        /// New width.
        cols: Option<u32>,
        /// New height.
        rows: Option<u32>,
    },
    /// `-U N`: move the border up by N rows.
    Up(u32),
    /// `-D N`.
    Down(u32),
    /// `-L N`.
    Left(u32),
    /// `-R N`.
    Right(u32),
}

/// `resize-pane -t %P ...`.
pub fn resize_pane(pane: PaneId, how: Resize) -> Result<Command, CommandError> {
    let mut c = Command::start("resize-pane").target(pane.into());
    c = match how {
        Resize::ToggleZoom => c.word("-Z"),
        Resize::To {
            cols: None,
            rows: None,
        } => {
            return Err(CommandError::Empty {
                what: "resize (neither cols nor rows)",
            })
        }
        Resize::To { cols, rows } => {
            if let Some(x) = cols {
                c = c.word("-x").word(&x.to_string());
            }
            if let Some(y) = rows {
                c = c.word("-y").word(&y.to_string());
            }
            c
        }
        Resize::Up(n) => c.word("-U").word(&n.to_string()),
        Resize::Down(n) => c.word("-D").word(&n.to_string()),
        Resize::Left(n) => c.word("-L").word(&n.to_string()),
        Resize::Right(n) => c.word("-R").word(&n.to_string()),
    };
    Ok(c.finish())
}

/// `rename-window -t @W -- NAME`: `name` is the user's bytes, passed through
/// [`format_literal`] and [`quote_arg`]. tmux stores it visualised (see the module docs).
/// Fails only on NUL.
pub fn rename_window(window: WindowId, name: &[u8]) -> Result<Command, CommandError> {
    check_no_nul(name)?;
    Ok(Command::start("rename-window")
        .target(window.into())
        .word("--")
        .arg(&format_literal(name))?
        .finish())
}

/// `rename-session -t $S -- NAME`, like [`rename_window`]. Fails on NUL or an empty name
/// (which tmux rejects).
pub fn rename_session(session: SessionId, name: &[u8]) -> Result<Command, CommandError> {
    if name.is_empty() {
        return Err(CommandError::Empty {
            what: "session name",
        });
    }
    check_no_nul(name)?;
    Ok(Command::start("rename-session")
        .target(session.into())
        .word("--")
        .arg(&format_literal(name))?
        .finish())
}

/// `switch-client -t $S`: attach this client to another session.
pub fn switch_client(session: SessionId) -> Command {
    Command::start("switch-client")
        .target(session.into())
        .finish()
}

/// `detach-client`: detach this client (tmux answers, then sends `%exit`).
pub fn detach_client() -> Command {
    Command::start("detach-client").finish()
}

/// `display-message -p [-t TARGET] FORMAT`: the expanded format as the reply body.
/// `format` is a format muxlink chose (it is expanded by design), quoted as is.
pub fn display_message(target: Option<Target>, format: &[u8]) -> Result<Command, CommandError> {
    let mut c = Command::start("display-message").word("-p");
    if let Some(t) = target {
        c = c.target(t);
    }
    Ok(c.word("--").arg(format)?.finish())
}

/// The user's own command text, sent as typed (one line, tmux's syntax, their
/// responsibility). Refused: NUL, `\n` or `\r` anywhere (a second line would be a second,
/// unchecked command), and text that is blank or only a comment (tmux sends no reply block
/// for it, and an empty line detaches a control client). See [`Command::reply_blocks`].
pub fn raw(text: &[u8]) -> Result<Command, CommandError> {
    check_no_nul(text)?;
    if let Some(offset) = text.iter().position(|&b| b == b'\n' || b == b'\r') {
        return Err(CommandError::LineBreak { offset });
    }
    if text.is_empty() {
        return Err(CommandError::Empty {
            what: "raw command",
        });
    }
    // Blank and comment-only lines parse to no command at all: no reply block (verified,
    // tmux 3.3a); an empty line makes tmux detach the control client.
    match text.iter().find(|&&b| !matches!(b, b' ' | b'\t')) {
        None | Some(b'#') => return Err(CommandError::NoCommand),
        _ => {}
    }
    let mut line = Vec::with_capacity(text.len() + 1);
    line.extend_from_slice(text);
    line.push(b'\n');
    Ok(Command {
        name: "raw",
        line,
        blocks: None,
    })
}

/// Joins typed commands into one line, `A ; B ; C\n`, which tmux runs back to back (no
/// other client's command and no pane output of this client in between) and answers with
/// one reply block per command, in order. [`Command::reply_blocks`] of the result is the
/// total; [`Command::name`] is the first command's name.
///
/// Refused: an empty list ([`CommandError::Empty`]) and [`raw`] text
/// ([`CommandError::Invalid`]): the user's text could end in `\` or open a quote, which
/// would swallow the separator, and its block count is unknown.
pub fn join(commands: &[Command]) -> Result<Command, CommandError> {
    let first = commands.first().ok_or(CommandError::Empty {
        what: "command list",
    })?;
    let mut blocks = 0;
    let mut len = 0;
    for c in commands {
        blocks += c.blocks.ok_or(CommandError::Invalid {
            what: "command list",
            why: "raw command text cannot be joined",
        })?;
        len += c.line.len() + 3;
    }
    let mut line = Vec::with_capacity(len);
    for (i, c) in commands.iter().enumerate() {
        if i > 0 {
            line.extend_from_slice(b" ; ");
        }
        line.extend_from_slice(c.line.strip_suffix(b"\n").unwrap_or(&c.line));
    }
    line.push(b'\n');
    Ok(Command {
        name: first.name,
        line,
        blocks: Some(blocks),
    })
}

/// One command of a [`fenced_line`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinePart {
    /// A command whose reply cannot hold text from a pane, a name or a title with a line
    /// break (a `-F` format of ours, say): read as usual.
    Plain(Command),
    /// A command whose reply can hold such text (`capture-pane -p`): fenced. Must be a typed
    /// command answered by exactly one block.
    Fenced(Command),
}

/// A command line with fenced commands, from [`fenced_line`]: write [`FencedLine::line`]
/// and [`FencedLine::close`] back to back (nothing else between them), then hand
/// [`FencedLine::plan`] to [`crate::Parser::expect_fences`] before feeding any reply byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FencedLine {
    line: Command,
    close: Command,
    plan: FencePlan,
    replies: usize,
}

impl FencedLine {
    /// The commands and their fences, one `;`-separated line.
    pub fn line(&self) -> &Command {
        &self.line
    }

    /// The closing fence, a line of its own: tmux runs it even when a command of
    /// [`FencedLine::line`] failed and the rest of that line was skipped.
    pub fn close(&self) -> &Command {
        &self.close
    }

    /// Both lines, to be written as one piece. Allocates.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.line.line.len() + self.close.line.len());
        v.extend_from_slice(&self.line.line);
        v.extend_from_slice(&self.close.line);
        v
    }

    /// What the parser must know to read the replies ([`crate::Parser::expect_fences`]).
    pub fn plan(&self) -> &FencePlan {
        &self.plan
    }

    /// The plan, without a copy.
    pub fn into_plan(self) -> FencePlan {
        self.plan
    }

    /// How many [`crate::Event::Reply`] blocks the parser yields for the two lines when
    /// every command succeeds: one per [`LinePart`], in order (a plain part made by [`join`]
    /// counts its commands). Fence blocks never reach the caller. As with any
    /// `;`-separated line, a command that fails (`%error`) ends the replies early. This is
    /// the count to give [`crate::ReplyMatcher::push_line`].
    pub fn reply_blocks(&self) -> usize {
        self.replies
    }
}

/// Builds a line whose [`LinePart::Fenced`] commands no pane text can break out of, with
/// nonces from `nonces`.
///
/// Every fenced command gets a fence (`display-message -p -- "NONCE"`, a fresh nonce each)
/// right before it and right after it (one fence between two adjacent fenced commands
/// serves both); the line's closing fence is a line of its own. For `[P, A, B]`:
/// `P ; fence1 ; A ; fence2 ; B ; fence3` and `fence4`. See `crates/proto/FRAMING.md`
/// for why each fence is where it is.
///
/// Fails on an empty list, a list without a fenced command, a fenced part that is not
/// answered by exactly one block, [`raw`] text anywhere ([`CommandError::Invalid`]), or a
/// failing nonce source. Costs one allocation per command and fence.
pub fn fenced_line(
    parts: &[LinePart],
    nonces: &mut impl NonceSource,
) -> Result<FencedLine, CommandError> {
    if parts.is_empty() {
        return Err(CommandError::Empty {
            what: "command list",
        });
    }
    let mut fenced = 0;
    let mut replies = 0;
    for p in parts {
        match p {
            LinePart::Plain(c) => {
                replies += c.blocks.ok_or(CommandError::Invalid {
                    what: "fenced line",
                    why: "raw command text cannot be joined",
                })?;
            }
            LinePart::Fenced(c) => {
                if c.blocks != Some(1) {
                    return Err(CommandError::Invalid {
                        what: "fenced command",
                        why: "must be one typed command answered by one block",
                    });
                }
                fenced += 1;
                replies += 1;
            }
        }
    }
    if fenced == 0 {
        return Err(CommandError::Invalid {
            what: "fenced line",
            why: "no fenced command",
        });
    }

    let mut cmds: Vec<Command> = Vec::with_capacity(parts.len() + 2 * fenced);
    let mut marks: Vec<FenceMark> = Vec::with_capacity(2 * fenced + 1);
    // Whether the last command written is a fence (the one a fenced command can share).
    let mut after_fence = false;
    for p in parts {
        match p {
            LinePart::Plain(c) => {
                cmds.push(c.clone());
                after_fence = false;
            }
            LinePart::Fenced(c) => {
                if after_fence {
                    if let Some(m) = marks.last_mut() {
                        m.opens = true;
                    }
                } else {
                    push_fence(&mut cmds, &mut marks, nonces, true, false)?;
                }
                cmds.push(c.clone());
                push_fence(&mut cmds, &mut marks, nonces, false, false)?;
                after_fence = true;
            }
        }
    }
    let mut close = Vec::with_capacity(1);
    push_fence(&mut close, &mut marks, nonces, false, true)?;
    let line = join(&cmds)?;
    let close = close.pop().ok_or(CommandError::Empty {
        what: "closing fence",
    })?;
    Ok(FencedLine {
        line,
        close,
        plan: FencePlan { marks },
        replies,
    })
}

fn push_fence(
    cmds: &mut Vec<Command>,
    marks: &mut Vec<FenceMark>,
    nonces: &mut impl NonceSource,
    opens: bool,
    closes_line: bool,
) -> Result<(), CommandError> {
    let nonce = nonces.next_nonce()?;
    cmds.push(display_message(None, nonce.as_bytes())?);
    marks.push(FenceMark {
        nonce,
        opens,
        closes_line,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of tmux 3.3a's lexer for one double-quoted word without `$`/`~` (which
    /// [`quote_arg`] never leaves bare): `\ooo` octal and `\c` for anything else.
    fn unquote(word: &[u8]) -> Vec<u8> {
        assert_eq!(word.first(), Some(&b'"'));
        assert_eq!(word.last(), Some(&b'"'));
        let inner = &word[1..word.len() - 1];
        let mut out = Vec::new();
        let mut i = 0;
        while i < inner.len() {
            match inner[i] {
                b'\\' => {
                    let d = &inner[i + 1..i + 4];
                    assert!(d.iter().all(|c| (b'0'..=b'7').contains(c)) && d[0] <= b'3');
                    out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                    i += 4;
                }
                b'"' | b'$' | b'~' => panic!("bare special byte in quoted word"),
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }

    fn q(arg: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        quote_arg(&mut v, arg).unwrap();
        v
    }

    #[test]
    fn quote_arg_is_printable_and_reversible_for_every_byte() {
        let all: Vec<u8> = (1u8..=255).collect();
        let w = q(&all);
        assert!(w.iter().all(|b| (0x20..0x7f).contains(b)));
        assert_eq!(unquote(&w), all);
        assert_eq!(q(b""), b"\"\"");
        assert_eq!(q(b"plain name"), b"\"plain name\"");
        assert_eq!(q(b"$HOME ~"), b"\"\\044HOME \\176\"");
        assert_eq!(q(b"a\"b\\c"), b"\"a\\042b\\134c\"");
        assert_eq!(q(b"\n\xff"), b"\"\\012\\377\"");
        // `;`, `#`, `{`, `}` and `'` are literal inside double quotes.
        assert_eq!(q(b"a;#{x}'"), b"\"a;#{x}'\"");
    }

    #[test]
    fn quote_arg_refuses_nul() {
        let mut v = b"keep".to_vec();
        assert_eq!(
            quote_arg(&mut v, b"ab\0c"),
            Err(CommandError::Nul { offset: 2 })
        );
        assert_eq!(v, b"keep");
    }

    /// tmux 3.3a's `format_expand` on text without `#{`/`#(` produced by
    /// [`format_literal`]: `##` is `#` unless a run of `#`s ends in `[` (kept verbatim),
    /// `#{l:[}` is `[`.
    fn expand_model(f: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < f.len() {
            if f[i] != b'#' {
                out.push(f[i]);
                i += 1;
                continue;
            }
            if f[i..].starts_with(b"#{l:[}") {
                out.push(b'[');
                i += 6;
                continue;
            }
            assert_eq!(f.get(i + 1), Some(&b'#'), "lone # in {f:?}");
            let run = f[i..].iter().take_while(|&&b| b == b'#').count();
            assert_ne!(f.get(i + run), Some(&b'['), "##[ would be kept as a style");
            out.push(b'#');
            i += 2;
        }
        out
    }

    #[test]
    fn format_literal_survives_expansion() {
        for s in [
            &b"#{window_id}"[..],
            b"#(touch x)",
            b"#[fg=red]",
            b"##[",
            b"#",
            b"###",
            b"a#b[c]",
            b"[#[",
            b"#W",
            b"",
        ] {
            let lit = format_literal(s);
            assert_eq!(expand_model(&lit), s, "{:?}", String::from_utf8_lossy(s));
        }
        assert_eq!(format_literal(b"#[x"), b"###{l:[}x");
        assert_eq!(format_literal(b"a[b"), b"a[b");
    }

    #[test]
    fn builders_produce_exact_lines() {
        let p = PaneId(3);
        let w = WindowId(7);
        let s = SessionId(2);
        let cases: Vec<(Command, &str)> = vec![
            (
                send_keys_hex(p, b"ls\r").unwrap(),
                "send-keys -t %3 -H 6c 73 0d",
            ),
            (refresh_client_size(80, 24), "refresh-client -C 80x24"),
            (
                refresh_client_window_size(w, 100, 30),
                "refresh-client -C @7:100x30",
            ),
            (
                refresh_client_flags(
                    &[ClientFlag::PauseAfter(2), ClientFlag::IgnoreSize],
                    &[ClientFlag::NoOutput, ClientFlag::PauseAfter(9)],
                )
                .unwrap(),
                "refresh-client -f \"pause-after=2,ignore-size,!no-output,!pause-after\"",
            ),
            (
                refresh_client_pane(p, PaneOutputState::Continue),
                "refresh-client -A '%3:continue'",
            ),
            (
                subscribe(
                    b"cwd",
                    SubscriptionTarget::AllPanes,
                    b"#{pane_current_path}",
                )
                .unwrap(),
                "refresh-client -B \"cwd:%*:#{pane_current_path}\"",
            ),
            (
                subscribe(b"n", SubscriptionTarget::Session, b"#{session_name}").unwrap(),
                "refresh-client -B \"n::#{session_name}\"",
            ),
            (unsubscribe(b"cwd").unwrap(), "refresh-client -B \"cwd\""),
            (CapturePane::new(p).build(), "capture-pane -p -t %3"),
            (
                CapturePane::restore(p, 2000).build(),
                "capture-pane -p -e -J -N -q -S -2000 -t %3",
            ),
            (
                CapturePane {
                    alternate: true,
                    pending: true,
                    octal: true,
                    start: Some(CaptureBound::Edge),
                    end: Some(CaptureBound::Line(5)),
                    ..CapturePane::new(p)
                }
                .build(),
                "capture-pane -p -C -a -P -S - -E 5 -t %3",
            ),
            (
                list_sessions(b"#{session_id}").unwrap(),
                "list-sessions -F \"#{session_id}\"",
            ),
            (
                list_windows(WindowScope::Session(s), b"#{window_id}").unwrap(),
                "list-windows -t '$2' -F \"#{window_id}\"",
            ),
            (
                list_windows(WindowScope::All, b"#{window_id}").unwrap(),
                "list-windows -a -F \"#{window_id}\"",
            ),
            (
                list_panes(PaneScope::Session(s), b"#{pane_id}").unwrap(),
                "list-panes -s -t '$2' -F \"#{pane_id}\"",
            ),
            (
                list_panes(PaneScope::Window(w), b"#{pane_id}").unwrap(),
                "list-panes -t @7 -F \"#{pane_id}\"",
            ),
            (
                NewWindow {
                    session: Some(s),
                    name: Some(b"#x"),
                    detached: true,
                    print_format: Some(b"#{window_id}"),
                    ..NewWindow::new()
                }
                .build()
                .unwrap(),
                "new-window -d -t '$2:' -n \"##x\" -P -F \"#{window_id}\"",
            ),
            (
                NewWindow {
                    after: Some(w),
                    ..NewWindow::new()
                }
                .build()
                .unwrap(),
                "new-window -a -t @7",
            ),
            (
                SplitWindow {
                    size: Some(SplitSize::Percent(30)),
                    detached: true,
                    print_format: Some(b"#{pane_id}"),
                    ..SplitWindow::new(p, SplitDirection::Horizontal)
                }
                .build()
                .unwrap(),
                "split-window -h -d -l 30% -t %3 -P -F \"#{pane_id}\"",
            ),
            (
                SplitWindow {
                    size: Some(SplitSize::Cells(5)),
                    before: true,
                    full: true,
                    ..SplitWindow::new(p, SplitDirection::Vertical)
                }
                .build()
                .unwrap(),
                "split-window -v -b -f -l 5 -t %3",
            ),
            (select_window(w), "select-window -t @7"),
            (select_pane(p), "select-pane -t %3"),
            (kill_pane(p), "kill-pane -t %3"),
            (kill_window(w), "kill-window -t @7"),
            (
                resize_pane(p, Resize::ToggleZoom).unwrap(),
                "resize-pane -t %3 -Z",
            ),
            (
                resize_pane(
                    p,
                    Resize::To {
                        cols: Some(20),
                        rows: Some(5),
                    },
                )
                .unwrap(),
                "resize-pane -t %3 -x 20 -y 5",
            ),
            (
                resize_pane(p, Resize::Left(2)).unwrap(),
                "resize-pane -t %3 -L 2",
            ),
            (
                rename_window(w, b"-a'b").unwrap(),
                "rename-window -t @7 -- \"-a'b\"",
            ),
            (
                rename_session(s, b"x$y").unwrap(),
                "rename-session -t '$2' -- \"x\\044y\"",
            ),
            (switch_client(s), "switch-client -t '$2'"),
            (detach_client(), "detach-client"),
            (
                display_message(Some(Target::Pane(p)), b"#{pane_id}").unwrap(),
                "display-message -p -t %3 -- \"#{pane_id}\"",
            ),
            (raw(b"list-keys ; show -g").unwrap(), "list-keys ; show -g"),
            // A syntax error is still one (%error) block: not refused.
            (raw(b" ; ;").unwrap(), " ; ;"),
        ];
        for (c, want) in cases {
            assert_eq!(c.as_bytes().last(), Some(&b'\n'));
            assert_eq!(c.to_string(), want);
            assert_eq!(
                c.as_bytes().iter().filter(|&&b| b == b'\n').count(),
                1,
                "exactly one line: {want}"
            );
            assert_eq!(
                c.reply_blocks(),
                if c.name() == "raw" { None } else { Some(1) }
            );
        }
    }

    #[test]
    fn builder_errors() {
        assert!(matches!(
            send_keys_hex(PaneId(1), b""),
            Err(CommandError::Empty { .. })
        ));
        assert!(matches!(
            send_keys_hex(PaneId(1), &[b'a'; SEND_KEYS_MAX_BYTES + 1]),
            Err(CommandError::TooLong { .. })
        ));
        assert!(refresh_client_flags(&[], &[]).is_err());
        assert!(subscribe(b"a:b", SubscriptionTarget::Session, b"x").is_err());
        assert!(subscribe(b"", SubscriptionTarget::Session, b"x").is_err());
        assert!(subscribe(b"a", SubscriptionTarget::Session, b"x\0").is_err());
        assert!(rename_session(SessionId(0), b"").is_err());
        assert!(rename_window(WindowId(0), b"a\0").is_err());
        assert!(matches!(
            NewWindow {
                name: Some(b"a\nb"),
                ..NewWindow::new()
            }
            .build(),
            Err(CommandError::LineBreak { offset: 1 })
        ));
        assert!(SplitWindow {
            size: Some(SplitSize::Percent(101)),
            ..SplitWindow::new(PaneId(0), SplitDirection::Vertical)
        }
        .build()
        .is_err());
        assert!(resize_pane(
            PaneId(0),
            Resize::To {
                cols: None,
                rows: None
            }
        )
        .is_err());
        assert!(list_sessions(b"\0").is_err());
        for bad in [
            &b""[..],
            b"   ",
            b"# comment",
            b"  #x",
            b"a\nb",
            b"a\r",
            b"a\0",
        ] {
            assert!(raw(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn chunks_cover_the_input_in_order_within_the_bound() {
        let input: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        for max in [40usize, 100, 1000, 100_000] {
            let mut got = Vec::new();
            for c in send_keys_hex_chunks(PaneId(12), &input, max).unwrap() {
                let line = c.as_bytes();
                assert!(line.len() <= max, "{} > {max}", line.len());
                let text = std::str::from_utf8(line).unwrap();
                let hex = text.strip_prefix("send-keys -t %12 -H").unwrap().trim_end();
                for h in hex.split_whitespace() {
                    got.push(u8::from_str_radix(h, 16).unwrap());
                }
            }
            assert_eq!(got, input);
        }
        assert!(send_keys_hex_chunks(PaneId(12), b"x", 22).is_err());
        assert_eq!(
            send_keys_hex_chunks(PaneId(1), b"", 100).unwrap().count(),
            0
        );
    }

    #[test]
    fn join_separates_commands_and_counts_their_blocks() {
        let a = display_message(Some(Target::Pane(PaneId(3))), b"#{pane_id}").unwrap();
        let b = CapturePane::new(PaneId(3)).build();
        let c = select_window(WindowId(2));
        let j = join(&[a.clone(), b.clone(), c.clone()]).unwrap();
        let expected = [a.as_bytes(), b.as_bytes(), c.as_bytes()]
            .iter()
            .map(|l| std::str::from_utf8(l.strip_suffix(b"\n").unwrap()).unwrap())
            .collect::<Vec<_>>()
            .join(" ; ")
            + "\n";
        assert_eq!(j.as_bytes(), expected.as_bytes());
        assert_eq!(j.as_bytes().iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(j.reply_blocks(), Some(3));
        assert_eq!(j.name(), "display-message");
        // A joined line joins again, and counts every block.
        let jj = join(&[j.clone(), a.clone()]).unwrap();
        assert_eq!(jj.reply_blocks(), Some(4));
        assert!(jj
            .as_bytes()
            .starts_with(j.as_bytes().strip_suffix(b"\n").unwrap()));
        // One command: unchanged.
        assert_eq!(
            join(std::slice::from_ref(&b)).unwrap().as_bytes(),
            b.as_bytes()
        );
    }

    #[test]
    fn join_refuses_empty_lists_and_raw_text() {
        assert!(matches!(join(&[]), Err(CommandError::Empty { .. })));
        let r = raw(b"display-message -p 'x \\").unwrap();
        assert!(matches!(
            join(&[select_pane(PaneId(1)), r]),
            Err(CommandError::Invalid { .. })
        ));
    }

    #[test]
    fn current_scopes_have_no_target() {
        assert_eq!(
            list_windows(WindowScope::Current, b"#{window_id}")
                .unwrap()
                .as_bytes(),
            b"list-windows -F \"#{window_id}\"\n"
        );
        assert_eq!(
            list_panes(PaneScope::CurrentSession, b"#{pane_id}")
                .unwrap()
                .as_bytes(),
            b"list-panes -s -F \"#{pane_id}\"\n"
        );
    }
}

//! Reading a pane's bytes, following tmux 3.3a's `input.c`: the ground state (text, C0
//! controls, UTF-8), escape sequences and strings, handed on to the dispatch in
//! `dispatch.rs` and the screen's printing and editing.
//!
//! Runs of ground-state text (printable ASCII above all) and complete simple sequences
//! are handled here in bulk, which is where the time goes. Strings (OSC, APC, DCS, the
//! rename string, SOS/PM) are read here too, with tmux's rules and bounds (`strings.rs`).
//! `vte`'s state machine takes the escape and control sequences the fast paths do not:
//! [`VteState`] mirrors its state so that vte gets the bytes of a sequence in progress and
//! nothing else, and an ESC or a string introducer inside such a sequence takes it back
//! from vte (as tmux's "anywhere" transitions do).
//!
//! A sequence (or a UTF-8 character) cut by the end of a feed is kept, up to
//! [`CARRY_MAX`] bytes, and completed from the next feed, so that it takes the same fast
//! path as an uncut one: tmux cuts `%output` anywhere.

mod dispatch;
mod escaped;
mod sgr;
mod strings;

use crate::params::{self, CsiParams};
use crate::release::RepRule;
use crate::screen::Screen;
use crate::vte_state::VteState;
use strings::Pre;

/// Longest cut sequence kept for the next feed (a plain CSI with tmux's 63 bytes of
/// parameters fits); a longer one takes vte's path.
const CARRY_MAX: usize = 80;

/// tmux's partial UTF-8 state (`utf8_open` / `utf8_append`).
#[derive(Clone, Copy, Debug, Default)]
struct Utf8 {
    buf: [u8; 4],
    have: u8,
    size: u8,
    bad: bool,
}

/// The input parser of one pane.
pub(crate) struct Input {
    parser: vte::Parser,
    /// Scratch parameters for the CSI fast path.
    csi_params: CsiParams,
    /// A sequence or character cut by the end of the last feed (`carry[..carry_len]`).
    carry: [u8; CARRY_MAX],
    carry_len: usize,
    ctx: Ctx,
}

/// Everything of the parser but vte's own state (so vte can be advanced while dispatching
/// with this).
struct Ctx {
    /// vte's parser state, tracked alongside it so ground-state bytes never reach vte.
    shadow: VteState,
    /// Parameter bytes of the CSI sequence vte is parsing.
    csi_text: usize,
    /// Its current parameter index, and whether that parameter is still empty.
    csi_group: usize,
    csi_group_empty: bool,
    /// The CSI vte is about to dispatch had too much parameter text (tmux drops it).
    csi_discard: bool,
    /// Empty parameters of that CSI (bit per parameter).
    csi_missing: u32,
    /// The string being read, if any.
    pre: Pre,
    /// Its bytes (OSC, APC), at most [`strings::STRING_MAX`].
    string: Vec<u8>,
    /// It grew past tmux's bound: it is dropped when it ends.
    string_discard: bool,
    utf8: Utf8,
    /// Last printed character for REP: (code point, width) (tmux's `ictx->last`).
    last: Option<(u32, u8)>,
}

/// Does nothing: takes vte back to its ground state when the parse is taken from it.
struct Mute;

impl vte::Perform for Mute {}

impl Input {
    /// A parser in the ground state.
    pub fn new() -> Input {
        Input {
            parser: vte::Parser::new(),
            csi_params: CsiParams::new(),
            carry: [0; CARRY_MAX],
            carry_len: 0,
            ctx: Ctx {
                shadow: VteState::Ground,
                csi_text: 0,
                csi_group: 0,
                csi_group_empty: true,
                csi_discard: false,
                csi_missing: 0,
                pre: Pre::None,
                string: Vec::new(),
                string_discard: false,
                utf8: Utf8::default(),
                last: None,
            },
        }
    }

    /// Heap bytes held (the string being read).
    pub fn heap_bytes(&self) -> usize {
        self.ctx.string.capacity()
    }

    /// Feeds bytes the pane printed to `s`.
    pub fn feed(&mut self, s: &mut Screen, mut bytes: &[u8]) {
        while self.carry_len > 0 {
            if bytes.is_empty() {
                return;
            }
            bytes = self.finish_carry(s, bytes);
        }
        self.run(s, bytes, true);
    }

    /// Completes the carried sequence from the start of `bytes` and processes it (or
    /// carries it on when `bytes` still does not complete it); returns the rest of `bytes`.
    #[cold]
    fn finish_carry<'b>(&mut self, s: &mut Screen, bytes: &'b [u8]) -> &'b [u8] {
        let c = self.carry_len;
        self.carry_len = 0;
        let take = bytes.len().min(2 * CARRY_MAX - c);
        let mut tmp = [0u8; 2 * CARRY_MAX];
        tmp[..c].copy_from_slice(&self.carry[..c]);
        tmp[c..c + take].copy_from_slice(&bytes[..take]);
        let buf = &tmp[..c + take];
        match extent(buf) {
            Some(n) => {
                // `n >= c`: the carried part alone was incomplete.
                let n = n.max(c);
                self.run(s, &buf[..n], false);
                &bytes[n - c..]
            }
            None => {
                // Still incomplete, so shorter than `CARRY_MAX` and all of `bytes` is in it.
                self.carry[..buf.len()].copy_from_slice(buf);
                self.carry_len = buf.len();
                &[]
            }
        }
    }

    /// Keeps `rest` (an incomplete sequence or character, at most `CARRY_MAX` bytes) for
    /// the next feed.
    fn keep(&mut self, rest: &[u8]) {
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carry_len = rest.len();
    }

    /// Processes `bytes`; `may_carry`: an incomplete sequence at the end is kept for the
    /// next feed (else it goes the slow way at once).
    fn run(&mut self, s: &mut Screen, mut bytes: &[u8], may_carry: bool) {
        let c = &mut self.ctx;
        while !bytes.is_empty() {
            if c.shadow != VteState::Ground {
                // Not a printable byte in the ground state: tmux's collect item ends.
                s.end_item();
                let (k, take_back) = c.vte_extent(bytes);
                c.csi_discard = c.csi_text > params::MAX_PARAM_BYTES;
                self.parser.advance(&mut Performer { s, c }, &bytes[..k]);
                bytes = &bytes[k..];
                if take_back {
                    // An ESC or a string introducer: the sequence in progress is over (tmux
                    // abandons it); vte goes back to ground without acting, the rest is ours.
                    self.parser.advance(&mut Mute, b"\x18");
                    c.shadow = VteState::Ground;
                    if bytes[0] != 0x1b {
                        c.start_string(bytes[0]);
                        bytes = &bytes[1..];
                    }
                }
                continue;
            }
            if c.pre != Pre::None {
                s.end_item();
                let n = c.string_bytes(s, bytes);
                bytes = &bytes[n..];
                continue;
            }
            let (n, cut) = c.ground(s, bytes, may_carry);
            bytes = &bytes[n..];
            if cut {
                self.keep(bytes);
                return;
            }
            if bytes.is_empty() {
                break;
            }
            // bytes[0] is ESC. A complete CSI the fast paths take is dispatched before
            // asking whether the feed cut the sequence short (near the end of a feed, which
            // for `%output`-sized feeds is always): it is not, and asking scans it again.
            let n = match c.escape_csi(s, &mut self.csi_params, bytes) {
                Some(n) => n,
                None => {
                    if bytes.len() < CARRY_MAX
                        && extent(bytes).is_none()
                        && (may_carry || bytes.len() == 1)
                    {
                        self.keep(bytes);
                        return;
                    }
                    c.escape(s, &mut self.parser, bytes)
                }
            };
            bytes = &bytes[n..];
        }
    }
}

/// How many bytes at the start of `b` (an ESC or a UTF-8 lead byte first) make one unit the
/// fast paths take whole, or decide that they cannot (then the slow way takes them): `None`
/// when `b` ends before that is known. Consistent on prefixes: once `Some(n)` for a prefix,
/// `Some(n)` for every longer input, and `None` for a prefix means `Some(m)` with `m` at
/// least its length later.
fn extent(b: &[u8]) -> Option<usize> {
    let first = *b.first()?;
    if first != 0x1b {
        // A UTF-8 lead byte: complete, or cut short by a byte that cannot continue it.
        let size = match first {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return Some(1),
        };
        for (i, &c) in b.iter().enumerate().take(size).skip(1) {
            if c & 0xc0 != 0x80 {
                return Some(i);
            }
        }
        return (b.len() >= size).then_some(size);
    }
    match *b.get(1)? {
        b'[' => {
            for (i, &c) in b.iter().enumerate().skip(2) {
                match c {
                    0x20..=0x3f => {}
                    0x40..=0x7e => return Some(i + 1),
                    _ => return Some(i),
                }
            }
            (b.len() >= CARRY_MAX).then_some(b.len())
        }
        0x20..=0x2f => (b.len() >= 3).then_some(3),
        _ => Some(2),
    }
}

impl Ctx {
    fn close_csi_group(&mut self) {
        if self.csi_group_empty && self.csi_group < 32 {
            self.csi_missing |= 1 << self.csi_group;
        }
        self.csi_group += 1;
        self.csi_group_empty = true;
    }

    /// How many bytes of `bytes` to give vte: those of the sequence in progress, up to and
    /// including the byte that returns vte to its ground state; or, when an ESC or (after an
    /// ESC) a string introducer comes first, the bytes before it, and `true`: tmux's
    /// "anywhere" transitions end the sequence there, and the rest is read here.
    fn vte_extent(&mut self, bytes: &[u8]) -> (usize, bool) {
        let mut k = 0;
        while k < bytes.len() {
            let b = bytes[k];
            let before = self.shadow;
            if b == 0x1b || (before == VteState::Escape && strings::introduces(b)) {
                return (k, true);
            }
            self.shadow = before.next(b);
            k += 1;
            // Track what vte does not tell: how long the CSI parameter text is (tmux's
            // buffer holds 63 bytes) and which parameters were empty.
            if self.shadow == VteState::CsiEntry && before != VteState::CsiEntry {
                self.csi_text = 0;
                self.csi_group = 0;
                self.csi_group_empty = true;
                self.csi_missing = 0;
            } else if matches!(before, VteState::CsiEntry | VteState::CsiParam) {
                match b {
                    b'0'..=b'9' | b':' => {
                        self.csi_text += 1;
                        self.csi_group_empty = false;
                    }
                    b';' => {
                        self.csi_text += 1;
                        self.close_csi_group();
                    }
                    0x20..=0x2f | 0x40..=0x7e => self.close_csi_group(),
                    _ => {}
                }
            }
            if self.shadow == VteState::Ground {
                break;
            }
        }
        (k, false)
    }

    /// The complete CSI sequence at the start of `bytes` (which starts with ESC) when it
    /// has a form the fast paths take (see `parse_plain_csi`, `params::parse_fast_csi`):
    /// dispatched, and its length returned; else `None` and nothing done.
    #[inline(always)]
    fn escape_csi(
        &mut self,
        s: &mut Screen,
        csi_params: &mut CsiParams,
        bytes: &[u8],
    ) -> Option<usize> {
        if bytes.len() >= 3 && bytes[1] == b'[' {
            let mut values = [0u16; PLAIN_CSI_MAX];
            if let Some((len, n, action)) = parse_plain_csi(bytes, &mut values) {
                s.end_item();
                self.csi_values(s, &values[..n], action as char);
                return Some(len);
            }
            if let Some(f) = params::parse_fast_csi(bytes, csi_params) {
                s.end_item();
                self.csi(s, csi_params, &f.inter[..f.ninter], false, f.action as char);
                return Some(f.len);
            }
        }
        None
    }

    /// The escape sequence at the start of `bytes` (which starts with ESC) when
    /// `escape_csi` (the hot path for colour and cursor-motion heavy output) did not take
    /// it: simple ESC sequences are dispatched here directly, strings are started here; vte
    /// takes the rest. Returns the bytes consumed.
    #[inline]
    fn escape(&mut self, s: &mut Screen, parser: &mut vte::Parser, bytes: &[u8]) -> usize {
        s.end_item();
        if bytes.len() >= 2 {
            let b = bytes[1];
            if strings::introduces(b) {
                self.start_string(b);
                return 2;
            }
            if matches!(b, 0x30..=0x4f | 0x51..=0x57 | 0x59 | 0x5a | 0x5c | 0x60..=0x7e) {
                self.esc(s, &[], false, b);
                return 2;
            }
            if bytes.len() >= 3 && (0x20..=0x2f).contains(&b) && (0x30..=0x7e).contains(&bytes[2]) {
                self.esc(s, &[b], false, bytes[2]);
                return 3;
            }
        }
        self.shadow = VteState::Escape;
        parser.advance(&mut Performer { s, c: self }, &bytes[..1]);
        1
    }

    /// Handles ground-state bytes up to (not including) the next ESC; returns how many
    /// were consumed, and whether it stopped at a UTF-8 character cut by the end of `bytes`
    /// (with `may_carry`; the character is then kept for the next feed).
    #[inline]
    fn ground(&mut self, s: &mut Screen, bytes: &[u8], may_carry: bool) -> (usize, bool) {
        let mut i = 0;
        let len = bytes.len();
        while i < len {
            let b = bytes[i];
            if (0x20..0x7f).contains(&b) {
                let start = i;
                i += 1 + printable_prefix(&bytes[i + 1..]);
                self.print_ascii_run(s, &bytes[start..i]);
            } else if b == 0x1b {
                return (i, false);
            } else if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                // CR LF, the end of almost every line: both at once.
                s.end_item();
                self.cut_utf8(s);
                self.last = None;
                i += 2;
                if i < len && (0x20..0x7f).contains(&bytes[i]) {
                    // The next line's text: printed with the line feed (see
                    // `Screen::crlf_print_ascii_run`).
                    let start = i;
                    i += 1 + printable_prefix(&bytes[i + 1..]);
                    s.crlf_print_ascii_run(&bytes[start..i]);
                    self.last = Some((bytes[i - 1] as u32, 1));
                } else {
                    s.carriage_return_linefeed();
                }
            } else if b < 0x20 {
                s.end_item();
                self.execute(s, b);
                i += 1;
            } else if b == 0x7f {
                s.end_item();
                i += 1;
            } else {
                s.end_item();
                if self.utf8.have == 0 {
                    let (n, (cp, w)) = s.print_utf8_run(&bytes[i..]);
                    if n > 0 {
                        self.last = None;
                        self.printed(s, cp, w);
                        i += n;
                        continue;
                    }
                    if let Some((cp, n)) = decode_utf8(&bytes[i..]) {
                        self.last = None;
                        let w = s.width_of(cp);
                        s.print_char(cp, w);
                        self.printed(s, cp, w);
                        i += n;
                        continue;
                    }
                    if may_carry && extent(&bytes[i..]).is_none() {
                        return (i, true);
                    }
                }
                self.top_bit(s, b);
                i += 1;
            }
        }
        (len, false)
    }

    /// A run of printable ASCII (tmux `input_print` for each).
    #[inline]
    fn print_ascii_run(&mut self, s: &mut Screen, run: &[u8]) {
        self.cut_utf8(s);
        s.print_ascii_run(run);
        if let Some(&b) = run.last() {
            self.last = Some((b as u32, 1));
        }
    }

    /// A character tmux keeps for REP (3.5+: any character; before, only ASCII).
    fn printed(&mut self, s: &Screen, cp: u32, width: u8) {
        if s.policy().rep != RepRule::AsciiOnly {
            self.last = Some((cp, width));
        }
    }

    /// A printable ASCII byte or a C0 control ends a UTF-8 sequence in progress: from 3.6
    /// tmux prints U+FFFD for it (`input_stop_utf8`), before that it is forgotten.
    #[inline]
    pub(super) fn cut_utf8(&mut self, s: &mut Screen) {
        if self.utf8.have != 0 {
            self.utf8.have = 0;
            if s.policy().invalid_utf8_placeholder {
                s.print_char(0xfffd, 1);
            }
        }
    }

    /// Feeds one byte >= 0x80 in the ground state (tmux `input_top_bit_set`).
    fn top_bit(&mut self, s: &mut Screen, b: u8) {
        self.last = None;
        let placeholder = s.policy().invalid_utf8_placeholder;
        let u = &mut self.utf8;
        if u.have == 0 {
            let size = match b {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => {
                    if placeholder {
                        s.print_char(0xfffd, 1);
                    }
                    return;
                }
            };
            u.buf[0] = b;
            u.have = 1;
            u.size = size;
            u.bad = false;
            return;
        }
        if b & 0xc0 != 0x80 {
            u.bad = true;
        }
        u.buf[u.have as usize] = b;
        u.have += 1;
        if u.have < u.size {
            return;
        }
        u.have = 0;
        let decoded = if u.bad {
            None
        } else {
            decode_any(&u.buf[..u.size as usize])
        };
        match decoded {
            Some(cp) if cp > 0x10ffff => {
                // glibc decodes F4 90 80 80 .. F4 BF BF BF and tmux keeps those bytes in
                // the cell (3.3a drops them: unprintable). They are no character a host
                // can draw: the cell holds U+FFFD with their width.
                let w = s.width_of(cp);
                s.print_char(0xfffd, w);
                self.printed(s, 0xfffd, w);
            }
            Some(cp) => {
                let w = s.width_of(cp);
                s.print_char(cp, w);
                self.printed(s, cp, w);
            }
            None if placeholder => s.print_char(0xfffd, 1),
            None => {}
        }
    }
}

/// The code point of a complete, well-formed UTF-8 sequence as glibc's `mbtowc()` decodes
/// it (up to U+13FFFF: F4 90..BF are taken), or `None` for an overlong form or a surrogate.
fn decode_any(b: &[u8]) -> Option<u32> {
    let (init, min) = match b.len() {
        2 => ((b[0] & 0x1f) as u32, 0x80),
        3 => ((b[0] & 0x0f) as u32, 0x800),
        _ => ((b[0] & 0x07) as u32, 0x10000),
    };
    let cp = b[1..]
        .iter()
        .fold(init, |cp, &c| (cp << 6) | (c & 0x3f) as u32);
    (cp >= min && !(0xd800..=0xdfff).contains(&cp) && cp <= crate::width_tables::LAST_DECODED)
        .then_some(cp)
}

/// What vte calls while it parses a sequence: the screen and the parser's context.
struct Performer<'a> {
    s: &'a mut Screen,
    c: &'a mut Ctx,
}

impl vte::Perform for Performer<'_> {
    fn print(&mut self, ch: char) {
        // Not reached: vte is never given ground-state bytes (see `Input::feed`).
        let cp = ch as u32;
        if (0x20..0x7f).contains(&cp) {
            self.c.cut_utf8(self.s);
            self.s.print_ascii(cp as u8);
            self.c.last = Some((cp, 1));
        } else if cp >= 0x80 {
            self.c.last = None;
            let w = self.s.width_of(cp);
            self.s.print_char(cp, w);
            self.c.printed(self.s, cp, w);
        }
    }

    fn execute(&mut self, byte: u8) {
        if byte < 0x20 {
            self.c.execute(self.s, byte);
        }
    }

    fn csi_dispatch(&mut self, params: &vte::Params, inter: &[u8], ignore: bool, action: char) {
        let mut p = CsiParams::from_vte(params);
        p.discard = self.c.csi_discard;
        p.set_missing(self.c.csi_missing);
        self.c.csi(self.s, &p, inter, ignore, action);
    }

    fn esc_dispatch(&mut self, inter: &[u8], ignore: bool, byte: u8) {
        self.c.esc(self.s, inter, ignore, byte);
    }
}

/// Most parameters [`parse_plain_csi`] takes: 16 of at most 3 digits with their `;` are 63
/// bytes of parameter text, the most tmux keeps (a longer sequence is discarded).
const PLAIN_CSI_MAX: usize = 16;

/// `ESC [ n (; n)* F` at the start of `bytes`: every `n` 1-3 digits, at most
/// [`PLAIN_CSI_MAX`] of them, `F` a final byte (0x40..=0x7e); or `ESC [ m`. Returns the
/// sequence's length, the number of values written to `values` and the final byte. Anything
/// else (empty parameters, `:`, a private marker, an intermediate, a cut-off sequence) is
/// `None` and takes the general CSI path. (`ESC [ m` has no values: for SGR that is the same
/// as one empty parameter; other finals without parameters go the general way.)
#[inline]
fn parse_plain_csi(bytes: &[u8], values: &mut [u16; PLAIN_CSI_MAX]) -> Option<(usize, usize, u8)> {
    let mut n = 0;
    let mut cur: u16 = 0;
    let mut digits = 0;
    for (i, &b) in bytes.iter().enumerate().skip(2) {
        match b {
            b'0'..=b'9' if digits < 3 => {
                cur = cur * 10 + (b - b'0') as u16;
                digits += 1;
            }
            b';' if digits > 0 && n + 1 < PLAIN_CSI_MAX => {
                values[n] = cur;
                n += 1;
                cur = 0;
                digits = 0;
            }
            0x40..=0x7e if digits > 0 => {
                values[n] = cur;
                return Some((i + 1, n + 1, b));
            }
            b'm' if n == 0 => return Some((i + 1, 0, b)),
            _ => return None,
        }
    }
    None
}

/// Decodes one complete UTF-8 character at the start of `b` when every byte of it is
/// there and well-formed; returns `None` otherwise (the byte-at-a-time path then applies
/// tmux's exact handling of partial and malformed input). A sequence that is complete but
/// names no character (overlong, surrogate, past U+10FFFF) is `None` too: such input goes
/// the slow way, which drops it as tmux does.
#[inline]
pub(crate) fn decode_utf8(b: &[u8]) -> Option<(u32, usize)> {
    let lead = b[0];
    let (n, init) = match lead {
        0xc2..=0xdf => (2, (lead & 0x1f) as u32),
        0xe0..=0xef => (3, (lead & 0x0f) as u32),
        0xf0..=0xf4 => (4, (lead & 0x07) as u32),
        _ => return None,
    };
    if b.len() < n {
        return None;
    }
    let mut cp = init;
    for &c in &b[1..n] {
        if c & 0xc0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (c & 0x3f) as u32;
    }
    let ok = match n {
        2 => true,
        3 => cp >= 0x800 && !(0xd800..=0xdfff).contains(&cp),
        _ => (0x10000..=0x10ffff).contains(&cp),
    };
    if ok {
        Some((cp, n))
    } else {
        None
    }
}

/// Length of the run of printable ASCII (0x20..=0x7e) at the start of `b`, eight bytes
/// at a time.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn printable_prefix(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(w);
        // A byte is outside 0x20..=0x7e if it is < 0x20, or >= 0x7f (0x7f + 1 sets bit 7,
        // as does any byte that already has it).
        let low = w.wrapping_sub(LO * 0x20) & !w;
        let high = w.wrapping_add(LO) | w;
        let bad = (low | high) & HI;
        if bad != 0 {
            return i + (bad.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && (0x20..0x7f).contains(&b[i]) {
        i += 1;
    }
    i
}

#[cfg(target_arch = "x86_64")]
use crate::fill::printable_prefix;

/// [`decode_utf8`] of the character at the start of four bytes, with the same answers,
/// without branching on the character's length: text that mixes scripts (one, two, three
/// and four-byte characters in no order) would mispredict those branches.
#[inline(always)]
pub(crate) fn decode_utf8_4(b: [u8; 4]) -> Option<(u32, usize)> {
    let n = b[0].leading_ones();
    if !(2..=4).contains(&n) {
        return None;
    }
    let v = u32::from_be_bytes(b);
    // The top two bits of bytes 1..n must be 10.
    let cont = 0x00c0_c0c0 & (u32::MAX << (8 * (4 - n)));
    let payload = ((b[0] & (0x7f >> n)) as u32) << 18
        | ((b[1] & 0x3f) as u32) << 12
        | ((b[2] & 0x3f) as u32) << 6
        | (b[3] & 0x3f) as u32;
    let cp = payload >> (6 * (4 - n));
    // The least code point each length may encode (shorter is overlong).
    let least = [0x80, 0x800, 0x1_0000][n as usize - 2];
    let ok = (v & cont == cont & 0x0080_8080)
        & (cp >= least)
        & (cp <= 0x10_ffff)
        & !(0xd800..=0xdfff).contains(&cp);
    ok.then_some((cp, n as usize))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_four_byte_decoder_answers_as_the_other() {
        let check = |b: [u8; 4]| assert_eq!(decode_utf8_4(b), decode_utf8(&b), "{b:02x?}");
        // Every lead byte with every second byte, and edge values after.
        let edge = [
            0x00, 0x3f, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff,
        ];
        for b0 in 0..=255u8 {
            for b1 in 0..=255u8 {
                for b2 in edge {
                    for b3 in edge {
                        check([b0, b1, b2, b3]);
                    }
                }
            }
        }
        // Every character, followed by each kind of byte.
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let mut b = [0u8; 4];
            let len = c.encode_utf8(&mut b).len();
            for tail in [0x00, 0x80, 0xc3] {
                for t in &mut b[len..] {
                    *t = tail;
                }
                check(b);
            }
        }
    }
    use super::{decode_utf8, decode_utf8_4, parse_plain_csi, printable_prefix, PLAIN_CSI_MAX};

    #[test]
    fn plain_csi_takes_only_plain_sequences() {
        let mut v = [0u16; PLAIN_CSI_MAX];
        assert_eq!(parse_plain_csi(b"\x1b[mx", &mut v), Some((3, 0, b'm')));
        assert_eq!(parse_plain_csi(b"\x1b[0m", &mut v), Some((4, 1, b'm')));
        assert_eq!(
            parse_plain_csi(b"\x1b[38;5;208m", &mut v),
            Some((11, 3, b'm'))
        );
        assert_eq!(v[..3], [38, 5, 208]);
        assert_eq!(parse_plain_csi(b"\x1b[12;40H", &mut v), Some((8, 2, b'H')));
        assert_eq!(v[..2], [12, 40]);
        assert_eq!(parse_plain_csi(b"\x1b[7A", &mut v), Some((4, 1, b'A')));
        let long = format!("\x1b[{}999m", "999;".repeat(PLAIN_CSI_MAX - 1));
        assert_eq!(long.len(), 2 + 63 + 1);
        assert_eq!(
            parse_plain_csi(long.as_bytes(), &mut v),
            Some((long.len(), PLAIN_CSI_MAX, b'm'))
        );
        let too_many = format!("\x1b[{}1m", "1;".repeat(PLAIN_CSI_MAX));
        for no in [
            "\x1b[H",
            "\x1b[;1m",
            "\x1b[1;m",
            "\x1b[1::2m",
            "\x1b[38:5:1m",
            "\x1b[?1m",
            "\x1b[?25l",
            "\x1b[>1c",
            "\x1b[1000m",
            "\x1b[1;2",
            "\x1b[1\x08m",
            "\x1b[1 q",
            "\x1b[1$p",
            too_many.as_str(),
        ] {
            assert_eq!(parse_plain_csi(no.as_bytes(), &mut v), None, "{no:?}");
        }
    }

    #[test]
    fn printable_prefix_matches_bytewise_scan() {
        for len in 0..40usize {
            for bad_at in 0..=len {
                for bad in [0x00u8, 0x1b, 0x1f, 0x7f, 0x80, 0xff, b'\n'] {
                    let mut v = vec![b'a'; len];
                    if bad_at < len {
                        v[bad_at] = bad;
                    }
                    v.iter_mut().enumerate().for_each(|(i, c)| {
                        if *c == b'a' {
                            *c = 0x20 + ((i * 7) % 0x5f) as u8;
                        }
                    });
                    let want = v.iter().take_while(|b| (0x20..0x7f).contains(*b)).count();
                    assert_eq!(printable_prefix(&v), want, "{v:?}");
                }
            }
        }
    }
}

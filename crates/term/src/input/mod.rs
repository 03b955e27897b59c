//! Reading a pane's bytes, following tmux 3.3a's `input.c`: the ground state (text, C0
//! controls, UTF-8), escape sequences and strings, handed on to the dispatch in
//! `dispatch.rs` and the screen's printing and editing.
//!
//! Parsing uses `vte`'s state machine for escape sequences it cannot take whole; runs of
//! ground-state text (printable ASCII above all) and complete simple sequences are handled
//! here in bulk, which is where the time goes. vte is never given ground-state bytes:
//! [`VteState`] mirrors its state so the bytes of a sequence in progress go to it and
//! nothing else does.

mod dispatch;
mod sgr;

use crate::params::{self, CsiParams};
use crate::screen::Screen;
use crate::vte_state::VteState;

/// tmux's partial UTF-8 state (`utf8_open` / `utf8_append`).
#[derive(Clone, Copy, Debug, Default)]
struct Utf8 {
    buf: [u8; 4],
    have: u8,
    size: u8,
    bad: bool,
}

/// Escape-level state handled before bytes reach vte (strings vte does not deliver).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pre {
    /// Nothing special.
    None,
    /// The previous feed ended with ESC in the ground state.
    EscPending,
    /// Inside `ESC k ... ST` (window rename; content ignored).
    Rename,
    /// Inside `ESC _ ... ST` (APC; tmux sets the pane title from it).
    Apc,
}

/// The input parser of one pane.
pub(crate) struct Input {
    parser: vte::Parser,
    /// Scratch parameters for the CSI fast path.
    csi_params: CsiParams,
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
    pre: Pre,
    string: Vec<u8>,
    string_discard: bool,
    utf8: Utf8,
    /// Last printed character for REP: (code point, width) (tmux's `ictx->last`).
    last: Option<(u32, u8)>,
}

impl Input {
    /// A parser in the ground state.
    pub fn new() -> Input {
        Input {
            parser: vte::Parser::new(),
            csi_params: CsiParams::new(),
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

    /// Feeds bytes the pane printed to `s`.
    pub fn feed(&mut self, s: &mut Screen, mut bytes: &[u8]) {
        let c = &mut self.ctx;
        while !bytes.is_empty() {
            if c.shadow != VteState::Ground || c.pre != Pre::None {
                // Not a printable byte in the ground state: tmux's collect item ends.
                s.end_item();
            }
            if c.shadow != VteState::Ground {
                // Hand vte exactly the bytes of the sequence in progress, up to and
                // including the byte that returns it to its ground state.
                let mut k = 0;
                while k < bytes.len() {
                    let b = bytes[k];
                    let before = c.shadow;
                    c.shadow = before.next(b);
                    k += 1;
                    // Track what vte does not tell: how long the CSI parameter text is
                    // (tmux's buffer holds 63 bytes) and which parameters were empty.
                    if c.shadow == VteState::CsiEntry && before != VteState::CsiEntry {
                        c.csi_text = 0;
                        c.csi_group = 0;
                        c.csi_group_empty = true;
                        c.csi_missing = 0;
                    } else if matches!(before, VteState::CsiEntry | VteState::CsiParam) {
                        match b {
                            b'0'..=b'9' | b':' => {
                                c.csi_text += 1;
                                c.csi_group_empty = false;
                            }
                            b';' => {
                                c.csi_text += 1;
                                c.close_csi_group();
                            }
                            0x20..=0x2f | 0x40..=0x7e => c.close_csi_group(),
                            _ => {}
                        }
                    }
                    if c.shadow == VteState::Ground {
                        break;
                    }
                }
                c.csi_discard = c.csi_text > params::MAX_PARAM_BYTES;
                self.parser.advance(&mut Performer { s, c }, &bytes[..k]);
                bytes = &bytes[k..];
                continue;
            }
            match c.pre {
                Pre::None => {}
                Pre::EscPending => {
                    c.pre = Pre::None;
                    if bytes[0] == b'_' || bytes[0] == b'k' {
                        c.start_string(bytes[0]);
                        bytes = &bytes[1..];
                    } else {
                        c.shadow = VteState::Escape;
                        self.parser.advance(&mut Performer { s, c }, b"\x1b");
                    }
                    continue;
                }
                Pre::Rename | Pre::Apc => {
                    let n = c.string_bytes(s, bytes);
                    bytes = &bytes[n..];
                    continue;
                }
            }
            let n = c.ground(s, bytes);
            bytes = &bytes[n..];
            if bytes.is_empty() {
                break;
            }
            // bytes[0] is ESC. Complete simple sequences are dispatched here directly (the
            // hot path for colour and cursor-motion heavy output); vte takes the rest.
            if bytes.len() >= 3 && bytes[1] == b'[' {
                let mut values = [0u16; PLAIN_CSI_MAX];
                if let Some((len, n, action)) = parse_plain_csi(bytes, &mut values) {
                    c.csi_values(s, &values[..n], action as char);
                    bytes = &bytes[len..];
                    continue;
                }
                if let Some(f) = params::parse_fast_csi(bytes, &mut self.csi_params) {
                    c.csi(
                        s,
                        &self.csi_params,
                        &f.inter[..f.ninter],
                        false,
                        f.action as char,
                    );
                    bytes = &bytes[f.len..];
                    continue;
                }
            }
            if bytes.len() >= 2 {
                let b = bytes[1];
                if matches!(b, 0x30..=0x4f | 0x51..=0x57 | 0x59 | 0x5a | 0x5c | 0x60..=0x7e)
                    && b != b'k'
                {
                    c.esc(s, &[], false, b);
                    bytes = &bytes[2..];
                    continue;
                }
                if bytes.len() >= 3
                    && (0x20..=0x2f).contains(&b)
                    && (0x30..=0x7e).contains(&bytes[2])
                {
                    c.esc(s, &[b], false, bytes[2]);
                    bytes = &bytes[3..];
                    continue;
                }
            }
            if bytes.len() == 1 {
                c.pre = Pre::EscPending;
                break;
            }
            if bytes[1] == b'_' || bytes[1] == b'k' {
                c.start_string(bytes[1]);
                bytes = &bytes[2..];
                continue;
            }
            c.shadow = VteState::Escape;
            self.parser.advance(&mut Performer { s, c }, &bytes[..1]);
            bytes = &bytes[1..];
        }
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

    /// Handles ground-state bytes up to (not including) the next ESC; returns how many
    /// were consumed.
    #[inline]
    fn ground(&mut self, s: &mut Screen, bytes: &[u8]) -> usize {
        let mut i = 0;
        let len = bytes.len();
        while i < len {
            let b = bytes[i];
            if (0x20..0x7f).contains(&b) {
                let start = i;
                i += 1 + printable_prefix(&bytes[i + 1..]);
                self.print_ascii_run(s, &bytes[start..i]);
            } else if b == 0x1b {
                // Any byte but printable ASCII ends tmux's collect item.
                s.end_item();
                return i;
            } else if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                // CR LF, the end of almost every line: both at once.
                s.end_item();
                self.utf8.have = 0;
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
                    let n = s.print_utf8_run(&bytes[i..]);
                    if n > 0 {
                        self.last = None;
                        i += n;
                        continue;
                    }
                    if let Some((cp, n)) = decode_utf8(&bytes[i..]) {
                        self.last = None;
                        s.print_char(cp, s.widths().of(cp));
                        i += n;
                        continue;
                    }
                }
                self.top_bit(s, b);
                i += 1;
            }
        }
        len
    }

    /// A run of printable ASCII (tmux `input_print` for each).
    #[inline]
    fn print_ascii_run(&mut self, s: &mut Screen, run: &[u8]) {
        self.utf8.have = 0;
        s.print_ascii_run(run);
        if let Some(&b) = run.last() {
            self.last = Some((b as u32, 1));
        }
    }

    /// Feeds one byte >= 0x80 in the ground state (tmux `input_top_bit_set`).
    fn top_bit(&mut self, s: &mut Screen, b: u8) {
        let u = &mut self.utf8;
        if u.have == 0 {
            let size = match b {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => return,
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
        if u.bad {
            return;
        }
        let Ok(t) = std::str::from_utf8(&u.buf[..u.size as usize]) else {
            return;
        };
        let Some(ch) = t.chars().next() else { return };
        let cp = ch as u32;
        self.last = None;
        s.print_char(cp, s.widths().of(cp));
    }

    fn start_string(&mut self, kind: u8) {
        self.pre = if kind == b'_' { Pre::Apc } else { Pre::Rename };
        self.string.clear();
        self.string_discard = false;
    }

    /// Consumes string bytes up to BEL (ends and consumes it) or ESC (ends, not consumed).
    fn string_bytes(&mut self, s: &mut Screen, bytes: &[u8]) -> usize {
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0x07 || b == 0x1b {
                self.end_string(s);
                return if b == 0x07 { i + 1 } else { i };
            }
            if self.pre == Pre::Apc && b >= 0x20 {
                if self.string.len() < 64 * 1024 {
                    self.string.push(b);
                } else {
                    self.string_discard = true;
                }
            }
        }
        bytes.len()
    }

    fn end_string(&mut self, s: &mut Screen) {
        if self.pre == Pre::Apc && !self.string_discard {
            s.set_title_bytes(&self.string);
        }
        self.pre = Pre::None;
    }
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
            self.c.utf8.have = 0;
            self.s.print_ascii(cp as u8);
            self.c.last = Some((cp, 1));
        } else if cp >= 0x80 {
            self.c.last = None;
            self.s.print_char(cp, self.s.widths().of(cp));
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

    fn osc_dispatch(&mut self, params: &[&[u8]], _bell_terminated: bool) {
        self.c.osc(self.s, params);
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

#[cfg(test)]
mod tests {
    use super::{parse_plain_csi, printable_prefix, PLAIN_CSI_MAX};

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

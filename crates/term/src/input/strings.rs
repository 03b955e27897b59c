//! Strings: OSC, APC, DCS, the rename string (`ESC k`) and SOS/PM, read as tmux 3.3a reads
//! them (`input.c`'s string states).
//!
//! - OSC, APC and rename collect the bytes 0x20..=0xff; other C0 controls are ignored. They
//!   end at ESC (which then starts a new sequence), CAN or SUB (executed), and OSC also at
//!   BEL; the string is then acted on (OSC: title, clipboard; APC: title; rename: nothing
//!   here, tmux names the window). A string that grows to [`STRING_MAX`] + 1 bytes is
//!   dropped whole when it ends, as tmux drops it (its buffer stops at 1 MiB): so memory
//!   stays bounded and titles equal tmux's.
//! - DCS: a header (parameters, intermediates) ended by CAN, SUB or ESC, or by a final byte
//!   that starts the body; the body ends only at `ESC \` (an ESC followed by anything else,
//!   even a second ESC, stays in it). tmux 3.3a passes nothing through by default, so the
//!   body is skipped, not kept.
//! - SOS and PM are skipped up to ESC, CAN or SUB.
//!
//! tmux also gives up on a string after five seconds without its end; there is no clock
//! here, so a string that never ends swallows what follows until its terminator.

use super::Ctx;
use crate::screen::Screen;

/// Most bytes tmux keeps of a string: its buffer doubles up to 1 MiB and the byte that would
/// fill it sets the discard flag.
pub(crate) const STRING_MAX: usize = (1 << 20) - 1;

/// A string buffer bigger than this is released when its string ends (tmux shrinks its
/// buffer back when it returns to the ground state).
const KEEP_CAPACITY: usize = 4096;

/// The string being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pre {
    /// None: the ground state.
    None,
    /// `ESC ] ... BEL|ST`.
    Osc,
    /// `ESC _ ... ST`: sets the pane title.
    Apc,
    /// `ESC k ... ST`: names the window (not the pane's business).
    Rename,
    /// `ESC X`, `ESC ^`: ignored up to ST.
    ConsumeSt,
    /// DCS before its final byte: in the intermediates, or after parameters.
    DcsHead { intermediate: bool, param: bool },
    /// DCS that tmux ignores up to ESC, CAN or SUB.
    DcsIgnore,
    /// The DCS body, and whether the previous byte was ESC.
    DcsBody { escape: bool },
}

/// Whether `b` after ESC starts a string.
#[inline]
pub(super) fn introduces(b: u8) -> bool {
    matches!(b, b']' | b'_' | b'k' | b'P' | b'X' | b'^')
}

/// Index of the first byte below 0x20 in `b` (`b.len()` if none), eight bytes at a time:
/// long strings are scanned at memory speed.
#[inline]
fn first_control(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(w);
        // Bytes below 0x20 (and only they, up to the first one) set their high bit here.
        let low = w.wrapping_sub(LO * 0x20) & !w & HI;
        if low != 0 {
            return i + (low.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..].iter().take_while(|&&c| c >= 0x20).count()
}

impl Ctx {
    /// Starts the string `ESC kind` introduces (see [`introduces`]).
    pub(super) fn start_string(&mut self, kind: u8) {
        self.pre = match kind {
            b']' => Pre::Osc,
            b'_' => Pre::Apc,
            b'k' => Pre::Rename,
            b'P' => Pre::DcsHead {
                intermediate: false,
                param: false,
            },
            _ => Pre::ConsumeSt,
        };
        self.string.clear();
        self.string_discard = false;
        // tmux forgets the character REP would repeat when a string starts.
        self.last = None;
    }

    /// Consumes bytes of the string in progress; returns how many. An ESC that ends it is
    /// not consumed (it starts the next sequence).
    pub(super) fn string_bytes(&mut self, s: &mut Screen, bytes: &[u8]) -> usize {
        match self.pre {
            Pre::Osc | Pre::Apc | Pre::Rename => self.collect(s, bytes),
            Pre::ConsumeSt | Pre::DcsIgnore => {
                for (i, &b) in bytes.iter().enumerate() {
                    if let Some(n) = self.anywhere(s, b, i) {
                        return n;
                    }
                }
                bytes.len()
            }
            Pre::DcsHead {
                mut intermediate,
                mut param,
            } => {
                for (i, &b) in bytes.iter().enumerate() {
                    if let Some(n) = self.anywhere(s, b, i) {
                        return n;
                    }
                    match b {
                        0x20..=0x2f => intermediate = true,
                        // tmux's dcs_enter takes `<=>?` as a parameter prefix; after
                        // parameters, or in the intermediates, they (and `:` anywhere)
                        // make it ignore the string.
                        0x3a => self.pre = Pre::DcsIgnore,
                        0x3c..=0x3f if param || intermediate => self.pre = Pre::DcsIgnore,
                        0x30..=0x3f if intermediate => self.pre = Pre::DcsIgnore,
                        0x30..=0x3f => param = true,
                        0x40..=0x7e => self.pre = Pre::DcsBody { escape: false },
                        _ => {}
                    }
                    if !matches!(self.pre, Pre::DcsHead { .. }) {
                        return i + 1;
                    }
                }
                self.pre = Pre::DcsHead {
                    intermediate,
                    param,
                };
                bytes.len()
            }
            Pre::DcsBody { mut escape } => {
                for (i, &b) in bytes.iter().enumerate() {
                    if escape && b == b'\\' {
                        // The end: tmux passes nothing through by default.
                        self.pre = Pre::None;
                        return i + 1;
                    }
                    escape = !escape && b == 0x1b;
                }
                self.pre = Pre::DcsBody { escape };
                bytes.len()
            }
            Pre::None => 0,
        }
    }

    /// tmux's transitions from any string state but the DCS body: ESC (not consumed), CAN
    /// and SUB (consumed and executed) end it. `Some(consumed)` when `b` at `i` ended it.
    #[inline]
    fn anywhere(&mut self, s: &mut Screen, b: u8, i: usize) -> Option<usize> {
        match b {
            0x1b => {
                self.end_string(s);
                Some(i)
            }
            0x18 | 0x1a => {
                self.end_string(s);
                self.execute(s, b);
                Some(i + 1)
            }
            _ => None,
        }
    }

    /// OSC, APC and rename: collects bytes >= 0x20 up to the string's end.
    fn collect(&mut self, s: &mut Screen, bytes: &[u8]) -> usize {
        let mut i = 0;
        while i < bytes.len() {
            let n = first_control(&bytes[i..]);
            if self.pre != Pre::Rename {
                self.store(&bytes[i..i + n]);
            }
            i += n;
            let Some(&b) = bytes.get(i) else { break };
            if b == 0x07 && self.pre == Pre::Osc {
                self.end_string(s);
                return i + 1;
            }
            if let Some(n) = self.anywhere(s, b, i) {
                return n;
            }
            // Any other control is ignored.
            i += 1;
        }
        bytes.len()
    }

    /// Appends to the string, or drops it once it would grow past tmux's bound.
    #[inline]
    fn store(&mut self, run: &[u8]) {
        if self.string_discard || run.is_empty() {
            return;
        }
        if self.string.len() + run.len() > STRING_MAX {
            self.string_discard = true;
            self.string = Vec::new();
            return;
        }
        self.string.extend_from_slice(run);
    }

    /// The string ended: act on it (tmux `input_exit_osc`, `input_exit_apc`).
    fn end_string(&mut self, s: &mut Screen) {
        let pre = std::mem::replace(&mut self.pre, Pre::None);
        if !self.string_discard {
            match pre {
                Pre::Apc => s.set_title_bytes(&self.string),
                Pre::Osc => osc(s, &self.string),
                _ => {}
            }
        }
        self.string.clear();
        if self.string.capacity() > KEEP_CAPACITY {
            self.string = Vec::new();
        }
    }
}

/// tmux `input_exit_osc`: a number (read as tmux's unsigned int does, wrapping), an
/// optional `;`, then what the number says to do with the rest.
fn osc(s: &mut Screen, p: &[u8]) {
    if !p.first().is_some_and(u8::is_ascii_digit) {
        return;
    }
    let digits = p.iter().take_while(|b| b.is_ascii_digit()).count();
    let option = p[..digits].iter().fold(0u32, |n, &d| {
        n.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
    });
    let mut rest = &p[digits..];
    if rest.first() == Some(&b';') {
        rest = &rest[1..];
    }
    match option {
        0 | 2 => s.set_title_bytes(rest),
        52 => {
            // tmux 3.3a: the selection up to the first `;` (which it ignores), then the
            // data; no data, no clipboard. The data is handed on as sent (base64, or `?`
            // for a query, which the emulator does not answer).
            let Some(semi) = rest.iter().position(|&b| b == b';') else {
                return;
            };
            let data = &rest[semi + 1..];
            if data.is_empty() {
                return;
            }
            s.clipboard(
                String::from_utf8_lossy(&rest[..semi]).into_owned(),
                String::from_utf8_lossy(data).into_owned(),
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::first_control;

    #[test]
    fn first_control_matches_bytewise_scan() {
        for len in 0..40usize {
            for at in 0..=len {
                for bad in [0x00u8, 0x07, 0x18, 0x1b, 0x1f] {
                    let mut v: Vec<u8> = (0..len).map(|i| 0x20 + (i * 37 % 0xe0) as u8).collect();
                    if at < len {
                        v[at] = bad;
                    }
                    let want = v.iter().take_while(|&&b| b >= 0x20).count();
                    assert_eq!(first_control(&v), want, "{v:?}");
                }
            }
        }
    }
}

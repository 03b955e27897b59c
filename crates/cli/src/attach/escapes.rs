//! Finds what the outer terminal reports inside its input stream: bracketed pastes
//! (`ESC [200~ ... ESC [201~`) and mouse reports (`ESC [< b;x;y M/m`, `ESC [M bxy`).
//! Everything else is passed on byte for byte, so keys reach the pane exactly as typed.
//!
//! A report cut between two reads is held back until the rest arrives, or as typed keys once
//! [`ESCAPE_WAIT`] passes without it (an Escape key press is a lone `ESC`). Sans-I/O: the
//! caller passes `now`.

use std::time::{Duration, Instant};

use muxlink_proto::ids::parse_u32;

use super::mouse::MouseEvent;

/// How long an incomplete sequence is held before it is taken as typed keys.
pub(super) const ESCAPE_WAIT: Duration = Duration::from_millis(10);

/// A paste longer than this is passed on in parts (a terminal that never ends a paste must
/// not hold input forever).
const PASTE_MAX: usize = 1 << 20;

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";
/// Longest SGR mouse body (`b;x;y`) accepted.
const SGR_MAX: usize = 32;

/// One piece of terminal input.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Input {
    /// Typed bytes.
    Keys(Vec<u8>),
    /// The text of one bracketed paste (or a part of an oversized one), without markers.
    Paste(Vec<u8>),
    /// A mouse report.
    Mouse(MouseEvent),
}

/// The splitter's state between reads.
#[derive(Debug, Default)]
pub(super) struct InputSplitter {
    /// An incomplete sequence from the end of the last read.
    held: Vec<u8>,
    /// When `held` was held (outside a paste only).
    held_at: Option<Instant>,
    /// Inside a paste: its text so far.
    paste: Option<Vec<u8>>,
}

enum Scan {
    /// Not a report: `ESC` is a typed key.
    No,
    /// Could still become a report.
    Partial,
    PasteStart,
    Mouse(MouseEvent, usize),
}

impl InputSplitter {
    /// Splits `bytes` (a read from the terminal) into `out`, in order.
    pub(super) fn feed(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<Input>) {
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(bytes);
        self.held_at = None;
        let mut keys = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            if let Some(paste) = self.paste.as_mut() {
                let rest = &buf[i..];
                if let Some(j) = find(rest, PASTE_END) {
                    paste.extend_from_slice(&rest[..j]);
                    out.push(Input::Paste(std::mem::take(paste)));
                    self.paste = None;
                    i += j + PASTE_END.len();
                    continue;
                }
                let keep = partial_suffix(rest, PASTE_END);
                paste.extend_from_slice(&rest[..rest.len() - keep]);
                self.held = rest[rest.len() - keep..].to_vec();
                if paste.len() >= PASTE_MAX {
                    out.push(Input::Paste(std::mem::take(paste)));
                }
                break;
            }
            if buf[i] != 0x1b {
                keys.push(buf[i]);
                i += 1;
                continue;
            }
            match scan(&buf[i..]) {
                Scan::No => {
                    keys.push(buf[i]);
                    i += 1;
                }
                Scan::Partial => {
                    self.held = buf[i..].to_vec();
                    self.held_at = Some(now);
                    break;
                }
                Scan::PasteStart => {
                    flush_keys(&mut keys, out);
                    self.paste = Some(Vec::new());
                    i += PASTE_START.len();
                }
                Scan::Mouse(ev, n) => {
                    flush_keys(&mut keys, out);
                    out.push(Input::Mouse(ev));
                    i += n;
                }
            }
        }
        flush_keys(&mut keys, out);
    }

    /// When held bytes are due to be taken as keys, if any are held.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.held_at.map(|t| t + ESCAPE_WAIT)
    }

    /// Passes on held bytes as keys once their wait is over.
    pub(super) fn expire(&mut self, now: Instant, out: &mut Vec<Input>) {
        if self.deadline().is_some_and(|d| d <= now) {
            self.held_at = None;
            out.push(Input::Keys(std::mem::take(&mut self.held)));
        }
    }
}

fn flush_keys(keys: &mut Vec<u8>, out: &mut Vec<Input>) {
    if !keys.is_empty() {
        out.push(Input::Keys(std::mem::take(keys)));
    }
}

/// Reads a report at the start of `rest` (which starts with `ESC`).
fn scan(rest: &[u8]) -> Scan {
    if rest.starts_with(PASTE_START) {
        return Scan::PasteStart;
    }
    if PASTE_START.starts_with(rest) {
        return Scan::Partial;
    }
    if let Some(body) = rest.strip_prefix(b"\x1b[<") {
        return scan_sgr(body);
    }
    if let Some(body) = rest.strip_prefix(b"\x1b[M") {
        if body.len() < 3 {
            return Scan::Partial;
        }
        let v = |b: u8| u32::from(b).checked_sub(32);
        return match (v(body[0]), v(body[1]), v(body[2])) {
            (Some(cb), Some(x), Some(y)) if x > 0 && y > 0 => {
                Scan::Mouse(MouseEvent::decode(cb, x, y, false), 6)
            }
            _ => Scan::No,
        };
    }
    Scan::No
}

/// `b;x;y` then `M` (press, motion) or `m` (release).
fn scan_sgr(body: &[u8]) -> Scan {
    for (k, &c) in body.iter().enumerate().take(SGR_MAX + 1) {
        match c {
            b'0'..=b'9' | b';' => continue,
            b'M' | b'm' => {
                let mut fields = body[..k].split(|&b| b == b';').map(parse_u32);
                return match (fields.next(), fields.next(), fields.next(), fields.next()) {
                    (Some(Some(cb)), Some(Some(x)), Some(Some(y)), None) if x > 0 && y > 0 => {
                        Scan::Mouse(MouseEvent::decode(cb, x, y, c == b'm'), 3 + k + 1)
                    }
                    _ => Scan::No,
                };
            }
            _ => return Scan::No,
        }
    }
    if body.len() <= SGR_MAX {
        Scan::Partial
    } else {
        Scan::No
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Length of the longest end of `hay` that is a proper start of `needle`.
fn partial_suffix(hay: &[u8], needle: &[u8]) -> usize {
    (1..needle.len().min(hay.len() + 1))
        .rev()
        .find(|&n| hay.ends_with(&needle[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::mouse::{Button, MouseKind};
    use super::*;

    fn split(s: &mut InputSplitter, b: &[u8], now: Instant) -> Vec<Input> {
        let mut v = Vec::new();
        s.feed(b, now, &mut v);
        v
    }

    #[test]
    fn keys_pass_through_unchanged() {
        let mut s = InputSplitter::default();
        let t = Instant::now();
        let keys = b"ls\x1b[A\x1bOB\x1b[20~\x1b[2~\x1bx\x02c";
        assert_eq!(split(&mut s, keys, t), vec![Input::Keys(keys.to_vec())]);
        assert_eq!(s.deadline(), None);
    }

    #[test]
    fn pastes_and_mouse_reports_are_cut_out() {
        let mut s = InputSplitter::default();
        let t = Instant::now();
        let got = split(
            &mut s,
            b"a\x1b[200~x\x1b[Ay\x02\r\x1b[201~b\x1b[<0;5;3Mc\x1b[<64;1;2m\x1b[M !\"",
            t,
        );
        assert_eq!(got.len(), 7, "{got:?}");
        assert_eq!(got[0], Input::Keys(b"a".to_vec()));
        assert_eq!(got[1], Input::Paste(b"x\x1b[Ay\x02\r".to_vec()));
        assert_eq!(got[2], Input::Keys(b"b".to_vec()));
        let Input::Mouse(m) = &got[3] else {
            panic!("{got:?}")
        };
        assert_eq!(
            (m.button, m.kind, m.x, m.y),
            (Button::Left, MouseKind::Press, 4, 2)
        );
        assert_eq!(got[4], Input::Keys(b"c".to_vec()));
        let Input::Mouse(m) = &got[5] else {
            panic!("{got:?}")
        };
        assert_eq!((m.button, m.kind), (Button::WheelUp, MouseKind::Release));
        let Input::Mouse(m) = &got[6] else {
            panic!("{got:?}")
        };
        assert_eq!((m.button, m.x, m.y), (Button::Left, 0, 1));
    }

    #[test]
    fn sequences_cut_between_reads() {
        let mut s = InputSplitter::default();
        let t = Instant::now();
        assert_eq!(
            split(&mut s, b"q\x1b[<0;1", t),
            vec![Input::Keys(b"q".to_vec())]
        );
        assert!(s.deadline().is_some());
        let got = split(&mut s, b"2;7M", t);
        assert!(matches!(&got[..], [Input::Mouse(m)] if m.x == 11 && m.y == 6));
        // A paste whose end marker is cut, then arrives.
        assert_eq!(split(&mut s, b"\x1b[20", t), vec![]);
        assert_eq!(split(&mut s, b"0~one\x1b[2", t), vec![]);
        assert_eq!(s.deadline(), None, "no timeout inside a paste");
        assert_eq!(
            split(&mut s, b"01~z", t),
            vec![Input::Paste(b"one".to_vec()), Input::Keys(b"z".to_vec())]
        );
    }

    #[test]
    fn lone_escape_becomes_a_key_after_the_wait() {
        let mut s = InputSplitter::default();
        let t = Instant::now();
        assert_eq!(split(&mut s, b"\x1b", t), vec![]);
        let mut out = Vec::new();
        s.expire(t, &mut out);
        assert!(out.is_empty());
        s.expire(t + ESCAPE_WAIT, &mut out);
        assert_eq!(out, vec![Input::Keys(b"\x1b".to_vec())]);
        assert_eq!(s.deadline(), None);
        // Not a report after all: the bytes go on as keys, in order.
        assert_eq!(
            split(&mut s, b"\x1b[<1;x", t),
            vec![Input::Keys(b"\x1b[<1;x".to_vec())]
        );
    }
}

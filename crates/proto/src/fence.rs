//! Fences: reply framing that text from a pane cannot forge.
//!
//! `capture-pane -p` writes a pane's lines raw inside its `%begin`..`%end` block, so a pane
//! that shows the exact line `%end TIME NUMBER 1` (the number is a guessable server-wide
//! counter) could end the block early and have the lines after it read as notifications. A
//! fenced command is written between two `display-message -p NONCE` commands on the same line,
//! whose nonces are random and unknown to anything in a pane; the parser keeps the fenced
//! block's lines until the fence after it shows up, and only then decides where the block
//! really ended: at the **last** line that is exactly its terminator. The rules, and the tmux
//! facts they rest on, are in `crates/proto/FRAMING.md`.
//!
//! This module holds the pieces: [`Nonce`], where nonces come from ([`NonceSource`],
//! [`OsNonces`]), and the [`FencePlan`] that tells a [`crate::Parser`] which fences a written
//! line will produce. The line itself is built by [`crate::command::fenced_line`].

use std::collections::VecDeque;
use std::fmt;

/// Length of a nonce as written on the wire: 128 bits as 32 lowercase hex digits.
pub const NONCE_LEN: usize = 32;

/// One fence's name: 128 random bits, written as 32 lowercase hex digits (text that tmux's
/// format and `strftime` expansion leave unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// The nonce for 128 bits. They must come from a source no pane can predict (see
    /// [`NonceSource`]).
    pub fn from_bits(bits: [u8; 16]) -> Nonce {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; NONCE_LEN];
        for (i, b) in bits.iter().enumerate() {
            hex[2 * i] = HEX[usize::from(b >> 4)];
            hex[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        Nonce(hex)
    }

    /// The nonce as written on the wire (32 lowercase hex digits).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hex digits only.
        f.write_str(std::str::from_utf8(&self.0).unwrap_or_default())
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({self})")
    }
}

/// Why no nonce could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no random nonce: {0}")]
pub struct NonceError(pub String);

/// Where fence nonces come from.
///
/// Every nonce must be unique and unpredictable to whatever writes to a pane: a client's
/// fences are only as strong as its source. [`OsNonces`] reads the operating system's random
/// source. Any `FnMut() -> [u8; 16]` closure is a source too, for tests that need
/// predictable nonces; never use a predictable one against a real tmux.
pub trait NonceSource {
    /// The next nonce.
    fn next_nonce(&mut self) -> Result<Nonce, NonceError>;
}

impl<F: FnMut() -> [u8; 16]> NonceSource for F {
    fn next_nonce(&mut self) -> Result<Nonce, NonceError> {
        Ok(Nonce::from_bits(self()))
    }
}

/// Nonces from the operating system's random source (`getrandom(2)` on Linux, the
/// platform's equivalent elsewhere), fetched 64 at a time.
///
/// This is the one place in this crate that asks the operating system for anything; the
/// parser and the encoders never call it on their own.
pub struct OsNonces {
    pool: [u8; 16 * OsNonces::BATCH],
    used: usize,
}

impl OsNonces {
    const BATCH: usize = 64;

    /// A source whose first batch is already read, so that a system without a random source
    /// is found out here rather than at the first fence.
    pub fn new() -> Result<OsNonces, NonceError> {
        let mut s = OsNonces {
            pool: [0; 16 * OsNonces::BATCH],
            used: OsNonces::BATCH,
        };
        s.refill()?;
        Ok(s)
    }

    fn refill(&mut self) -> Result<(), NonceError> {
        getrandom::fill(&mut self.pool).map_err(|e| NonceError(e.to_string()))?;
        self.used = 0;
        Ok(())
    }
}

impl NonceSource for OsNonces {
    fn next_nonce(&mut self) -> Result<Nonce, NonceError> {
        if self.used == OsNonces::BATCH {
            self.refill()?;
        }
        let mut bits = [0u8; 16];
        bits.copy_from_slice(&self.pool[16 * self.used..16 * (self.used + 1)]);
        // Used bits are not kept around.
        self.pool[16 * self.used..16 * (self.used + 1)].fill(0);
        self.used += 1;
        Ok(Nonce::from_bits(bits))
    }
}

impl fmt::Debug for OsNonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool holds future nonces: never print it.
        f.debug_struct("OsNonces")
            .field("left", &(OsNonces::BATCH - self.used))
            .finish()
    }
}

/// One fence of a written line, in the order tmux prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FenceMark {
    pub(crate) nonce: Nonce,
    /// A fenced command follows this fence in the same group: the next reply block of this
    /// client is fenced.
    pub(crate) opens: bool,
    /// The line's closing fence (a line of its own, which tmux always runs): the plan is done.
    pub(crate) closes_line: bool,
}

/// What a [`crate::Parser`] must know about one fenced line: its fences, in the order tmux
/// prints them. Made by [`crate::command::fenced_line`], handed to
/// [`crate::Parser::expect_fences`]. Holds a few dozen bytes per fence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FencePlan {
    pub(crate) marks: Vec<FenceMark>,
}

impl FencePlan {
    /// The nonces of the line's fences, in the order tmux prints them (the closing fence
    /// last).
    pub fn nonces(&self) -> impl Iterator<Item = &Nonce> + '_ {
        self.marks.iter().map(|m| &m.nonce)
    }
}

/// Where a nonce was found among the registered plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    plan: usize,
    mark: usize,
}

#[derive(Debug)]
struct PlanState {
    marks: Vec<FenceMark>,
    /// Fences before this one have been seen or skipped.
    next: usize,
}

/// The parser's record of fenced lines written and not yet closed, in send order.
#[derive(Debug, Default)]
pub(crate) struct FenceBook {
    plans: VecDeque<PlanState>,
    /// The last fence seen opens a fenced block: the next flags-1 `%begin` starts one.
    armed: bool,
}

/// What [`FenceBook::apply`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Earlier plans dropped because a later plan's fence came first (their closing fence
    /// never arrived: tmux answers lines in order, so it never will).
    pub(crate) abandoned: usize,
}

impl FenceBook {
    /// No plan is registered: nothing to look for.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.plans.is_empty()
    }

    pub(crate) fn push(&mut self, plan: FencePlan) {
        if plan.marks.is_empty() {
            return;
        }
        self.plans.push_back(PlanState {
            marks: plan.marks,
            next: 0,
        });
    }

    /// Number of plans whose closing fence has not arrived.
    pub(crate) fn pending(&self) -> usize {
        self.plans.len()
    }

    /// Whether `line` is the nonce of a fence still expected (of any plan: a later plan's
    /// fence also proves that everything before it is over).
    pub(crate) fn find(&self, line: &[u8]) -> Option<Found> {
        if line.len() != NONCE_LEN {
            return None;
        }
        for (p, plan) in self.plans.iter().enumerate() {
            for (m, mark) in plan.marks.iter().enumerate().skip(plan.next) {
                if mark.nonce.as_bytes() == line {
                    return Some(Found { plan: p, mark: m });
                }
            }
        }
        None
    }

    /// Records that the fence `found` was printed: fences before it (of its own line, after
    /// a failed command; of earlier lines, abnormally) will never come.
    pub(crate) fn apply(&mut self, found: Found) -> Applied {
        let abandoned = found.plan;
        self.plans.drain(..found.plan);
        let Some(plan) = self.plans.front_mut() else {
            self.armed = false;
            return Applied { abandoned };
        };
        let mark = plan.marks[found.mark];
        plan.next = found.mark + 1;
        self.armed = mark.opens;
        if mark.closes_line || plan.next >= plan.marks.len() {
            self.plans.pop_front();
        }
        Applied { abandoned }
    }

    /// Whether a flags-1 `%begin` starts a fenced block; disarms.
    #[inline]
    pub(crate) fn take_armed(&mut self) -> bool {
        std::mem::take(&mut self.armed)
    }

    pub(crate) fn clear(&mut self) {
        self.plans.clear();
        self.armed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_lowercase_hex() {
        let n = Nonce::from_bits([
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0, 0, 0xf0, 0x0f,
        ]);
        assert_eq!(n.as_bytes(), b"0123456789abcdef000000000000f00f");
        assert_eq!(n.to_string(), "0123456789abcdef000000000000f00f");
        assert_eq!(format!("{n:?}"), "Nonce(0123456789abcdef000000000000f00f)");
    }

    #[test]
    fn os_nonces_differ_and_are_not_printed() {
        let mut s = OsNonces::new().expect("OS random source");
        let mut seen = std::collections::HashSet::new();
        // More than one batch, so that a refill happens.
        for _ in 0..3 * OsNonces::BATCH {
            assert!(seen.insert(s.next_nonce().unwrap()), "repeated nonce");
        }
        assert_eq!(format!("{s:?}"), "OsNonces { left: 0 }");
    }

    fn plan(marks: &[(u8, bool, bool)]) -> FencePlan {
        FencePlan {
            marks: marks
                .iter()
                .map(|&(b, opens, closes_line)| FenceMark {
                    nonce: Nonce::from_bits([b; 16]),
                    opens,
                    closes_line,
                })
                .collect(),
        }
    }

    #[test]
    fn book_skips_and_abandons() {
        let mut book = FenceBook::default();
        book.push(plan(&[
            (1, true, false),
            (2, true, false),
            (3, false, false),
            (4, false, true),
        ]));
        book.push(plan(&[(5, true, false), (6, false, true)]));
        let n = |b: u8| Nonce::from_bits([b; 16]);
        assert_eq!(book.find(b"short"), None);
        let f = book.find(n(1).as_bytes()).unwrap();
        assert_eq!(book.apply(f), Applied { abandoned: 0 });
        assert!(book.take_armed());
        assert!(!book.take_armed());
        // Seen fences are not expected again.
        assert_eq!(book.find(n(1).as_bytes()), None);
        // A failure skips fences 2 and 3: the closing fence retires the line.
        let f = book.find(n(4).as_bytes()).unwrap();
        book.apply(f);
        assert!(!book.take_armed());
        assert_eq!(book.pending(), 1);
        // Abnormal: the next line's fence first abandons nothing here, its own close retires it.
        book.push(plan(&[(7, false, true)]));
        let f = book.find(n(7).as_bytes()).unwrap();
        assert_eq!(book.apply(f), Applied { abandoned: 1 });
        assert!(book.is_empty());
    }
}

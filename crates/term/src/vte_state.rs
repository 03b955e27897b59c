//! A mirror of `vte::Parser`'s state transitions (vte 0.15), without its actions.
//!
//! vte does not say which state it is in, and some sequences return it to the ground state
//! without a callback (the end of an ignored CSI, CAN/SUB, ST as 0x9C in a DCS). Tracking the
//! state here lets `Terminal::feed` give vte only escape-sequence bytes and keep all
//! ground-state text (printing, UTF-8, C0 controls) on its own tmux-exact path.

/// vte's parser states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VteState {
    Ground,
    Escape,
    EscapeIntermediate,
    CsiEntry,
    CsiParam,
    CsiIntermediate,
    CsiIgnore,
    DcsEntry,
    DcsParam,
    DcsIntermediate,
    DcsPassthrough,
    DcsIgnore,
    OscString,
    SosPmApcString,
}

/// C0 controls that the CSI/DCS/escape states execute or ignore in place.
#[inline]
fn c0_in_place(b: u8) -> bool {
    matches!(b, 0x00..=0x17 | 0x19 | 0x1c..=0x1f)
}

impl VteState {
    /// vte's "anywhere" transitions: CAN/SUB to ground, ESC to escape.
    #[inline]
    fn anywhere(self, b: u8) -> VteState {
        match b {
            0x18 | 0x1a => VteState::Ground,
            0x1b => VteState::Escape,
            _ => self,
        }
    }

    /// The state after vte consumes byte `b` in this state (never called in `Ground`,
    /// where vte is not used).
    #[inline]
    pub(crate) fn next(self, b: u8) -> VteState {
        use VteState::*;
        match self {
            Ground => match b {
                0x1b => Escape,
                _ => Ground,
            },
            Escape => match b {
                0x18 | 0x1a => Ground,
                _ if c0_in_place(b) => Escape,
                0x20..=0x2f => EscapeIntermediate,
                0x50 => DcsEntry,
                0x58 | 0x5e | 0x5f => SosPmApcString,
                0x5b => CsiEntry,
                0x5d => OscString,
                0x30..=0x7e => Ground,
                _ => Escape,
            },
            EscapeIntermediate => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f | 0x7f => self,
                0x30..=0x7e => Ground,
                _ => self.anywhere(b),
            },
            CsiEntry => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f => CsiIntermediate,
                0x30..=0x3f => CsiParam,
                0x40..=0x7e => Ground,
                _ => self.anywhere(b),
            },
            CsiIgnore => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x3f | 0x7f => self,
                0x40..=0x7e => Ground,
                _ => self.anywhere(b),
            },
            CsiIntermediate => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f | 0x7f => self,
                0x30..=0x3f => CsiIgnore,
                0x40..=0x7e => Ground,
                _ => self.anywhere(b),
            },
            CsiParam => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f => CsiIntermediate,
                0x30..=0x3b | 0x7f => self,
                0x3c..=0x3f => CsiIgnore,
                0x40..=0x7e => Ground,
                _ => self.anywhere(b),
            },
            DcsEntry => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f => DcsIntermediate,
                0x30..=0x3f => DcsParam,
                0x40..=0x7e => DcsPassthrough,
                0x7f => self,
                _ => self.anywhere(b),
            },
            DcsIntermediate => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f | 0x7f => self,
                0x30..=0x3f => DcsIgnore,
                0x40..=0x7e => DcsPassthrough,
                _ => self.anywhere(b),
            },
            DcsParam => match b {
                _ if c0_in_place(b) => self,
                0x20..=0x2f => DcsIntermediate,
                0x30..=0x3b | 0x7f => self,
                0x3c..=0x3f => DcsIgnore,
                0x40..=0x7e => DcsPassthrough,
                _ => self.anywhere(b),
            },
            DcsPassthrough => match b {
                0x18 | 0x1a | 0x9c => Ground,
                0x1b => Escape,
                _ => self,
            },
            DcsIgnore | SosPmApcString => self.anywhere(b),
            OscString => match b {
                0x07 | 0x18 | 0x1a => Ground,
                0x1b => Escape,
                _ => self,
            },
        }
    }
}

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

#[cfg(test)]
mod tests {
    //! The mirror is checked against vte itself (the version `Cargo.toml` pins): after any
    //! input, fed the way `Input::feed` feeds vte, vte must behave on every probe exactly as
    //! a fresh vte brought into the mirror's state does.
    use super::VteState;
    use proptest::prelude::*;

    /// What vte did, without the parameters (two parsers in the same state may have
    /// collected different ones).
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Act {
        Print(char),
        Execute(u8),
        Csi(char),
        Esc(u8),
        Osc,
        Hook(char),
        Put,
        Unhook,
    }

    #[derive(Default)]
    struct Rec(Vec<Act>);

    impl vte::Perform for Rec {
        fn print(&mut self, c: char) {
            self.0.push(Act::Print(c));
        }
        fn execute(&mut self, b: u8) {
            self.0.push(Act::Execute(b));
        }
        fn csi_dispatch(&mut self, _: &vte::Params, _: &[u8], _: bool, c: char) {
            self.0.push(Act::Csi(c));
        }
        fn esc_dispatch(&mut self, _: &[u8], _: bool, b: u8) {
            self.0.push(Act::Esc(b));
        }
        fn osc_dispatch(&mut self, _: &[&[u8]], _: bool) {
            self.0.push(Act::Osc);
        }
        fn hook(&mut self, _: &vte::Params, _: &[u8], _: bool, c: char) {
            self.0.push(Act::Hook(c));
        }
        fn put(&mut self, _: u8) {
            self.0.push(Act::Put);
        }
        fn unhook(&mut self) {
            self.0.push(Act::Unhook);
        }
    }

    const ALL: [VteState; 14] = [
        VteState::Ground,
        VteState::Escape,
        VteState::EscapeIntermediate,
        VteState::CsiEntry,
        VteState::CsiParam,
        VteState::CsiIntermediate,
        VteState::CsiIgnore,
        VteState::DcsEntry,
        VteState::DcsParam,
        VteState::DcsIntermediate,
        VteState::DcsPassthrough,
        VteState::DcsIgnore,
        VteState::OscString,
        VteState::SosPmApcString,
    ];

    /// Bytes that bring a fresh vte into `s`.
    fn canonical(s: VteState) -> &'static [u8] {
        match s {
            VteState::Ground => b"",
            VteState::Escape => b"\x1b",
            VteState::EscapeIntermediate => b"\x1b ",
            VteState::CsiEntry => b"\x1b[",
            VteState::CsiParam => b"\x1b[1",
            VteState::CsiIntermediate => b"\x1b[ ",
            VteState::CsiIgnore => b"\x1b[1<",
            VteState::DcsEntry => b"\x1bP",
            VteState::DcsParam => b"\x1bP1",
            VteState::DcsIntermediate => b"\x1bP ",
            VteState::DcsPassthrough => b"\x1bPq",
            VteState::DcsIgnore => b"\x1bP1<",
            VteState::OscString => b"\x1b]",
            VteState::SosPmApcString => b"\x1bX",
        }
    }

    /// Byte sequences whose effects tell the states apart.
    const PROBES: &[&[u8]] = &[
        b"A", b"0A", b"1;2A", b" A", b"<A", b":A", b"\x7fA", b"\x07A", b"\x9cA", b"\x18A",
        b"\x1aA", b"\x1b\\A", b"\x1bAB", b"\x00A", b"\x19A", b"\x80A", b"\xffA", b"0 0A", b"P",
        b"]", b"X",
    ];

    /// What vte does on every probe after `prefix` (a fresh parser for each).
    fn traces(prefix: &[u8]) -> Vec<Vec<Act>> {
        PROBES
            .iter()
            .map(|probe| {
                let mut p = vte::Parser::new();
                p.advance(&mut Rec::default(), prefix);
                let mut rec = Rec::default();
                p.advance(&mut rec, probe);
                rec.0
            })
            .collect()
    }

    /// The mirror's state after `prefix` from the ground state.
    fn mirror(prefix: &[u8]) -> VteState {
        prefix.iter().fold(VteState::Ground, |s, &b| s.next(b))
    }

    #[test]
    fn canonical_prefixes_reach_their_state_and_probes_tell_states_apart() {
        // vte handles these two alike (both wait for the end of a string they ignore), so
        // no input can tell them apart and the mirror may confuse them harmlessly.
        let alike = |a: VteState, b: VteState| {
            matches!(
                (a, b),
                (VteState::DcsIgnore, VteState::SosPmApcString)
                    | (VteState::SosPmApcString, VteState::DcsIgnore)
            )
        };
        let all: Vec<_> = ALL.iter().map(|&s| (s, traces(canonical(s)))).collect();
        for (s, t) in &all {
            assert_eq!(mirror(canonical(*s)), *s);
            for (u, v) in &all {
                assert!(
                    s == u || alike(*s, *u) || t != v,
                    "{s:?} and {u:?} look the same to every probe"
                );
            }
        }
    }

    /// Bytes that steer the state machine: controls, ESC, introducers, parameters,
    /// intermediates, finals, C1 and UTF-8 bytes.
    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => Just(0x1b),
            2 => prop::sample::select(b"[]P_X^\\".to_vec()),
            2 => prop::sample::select(b"0123456789;:<=>?".to_vec()),
            2 => prop::sample::select(b" !\"#/".to_vec()),
            2 => prop::sample::select(b"@AHmqpr~".to_vec()),
            1 => prop::sample::select(vec![0x00u8, 0x07, 0x08, 0x0a, 0x18, 0x19, 0x1a, 0x1f, 0x7f]),
            1 => prop::sample::select(vec![0x80u8, 0x90, 0x9b, 0x9c, 0x9d, 0xc3, 0xe2, 0xff]),
            1 => any::<u8>(),
        ]
    }

    /// Escape sequences begun and continued with steering bytes (so that every state is
    /// reached often), and stray bytes between them.
    fn input() -> impl Strategy<Value = Vec<u8>> {
        let segment = (
            prop::sample::select(b"[]P_X^ (#\\A7".to_vec()),
            proptest::collection::vec(byte(), 0..10),
        )
            .prop_map(|(intro, rest)| {
                let mut v = vec![0x1b, intro];
                v.extend(rest);
                v
            });
        proptest::collection::vec(
            prop_oneof![4 => segment, 1 => proptest::collection::vec(byte(), 0..4)],
            0..6,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

        #[test]
        fn mirror_equals_vte_after_any_input(bytes in input()) {
            // As `Input::feed` feeds vte: from the ground state only an ESC, then every byte
            // until vte is back in the ground state. Checked after every byte.
            let mut fed = Vec::new();
            let mut state = VteState::Ground;
            for b in bytes {
                if state == VteState::Ground && b != 0x1b {
                    continue;
                }
                fed.push(b);
                state = state.next(b);
                prop_assert_eq!(
                    traces(&fed),
                    traces(canonical(state)),
                    "after {:?} (mirror: {:?})",
                    &fed,
                    state
                );
            }
        }
    }
}

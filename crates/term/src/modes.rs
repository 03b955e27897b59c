//! Terminal modes a host needs to know (tmux's `MODE_*` that a pane can set).

use bitflags::bitflags;

bitflags! {
    /// Modes set by the program in the pane.
    #[repr(transparent)]
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    pub struct Modes: u32 {
        /// DECTCEM (`?25`): cursor visible.
        const CURSOR_VISIBLE = 1 << 0;
        /// DECCKM (`?1`): application cursor keys.
        const APP_CURSOR = 1 << 1;
        /// DECKPAM (`ESC =`) / DECKPNM (`ESC >`): application keypad.
        const APP_KEYPAD = 1 << 2;
        /// `?2004`: bracketed paste.
        const BRACKETED_PASTE = 1 << 3;
        /// `?1000`: mouse button press/release reporting.
        const MOUSE_STANDARD = 1 << 4;
        /// `?1002`: mouse button-motion reporting.
        const MOUSE_BUTTON = 1 << 5;
        /// `?1003`: all mouse motion reporting.
        const MOUSE_ANY = 1 << 6;
        /// `?1005`: UTF-8 mouse encoding.
        const MOUSE_UTF8 = 1 << 7;
        /// `?1006`: SGR mouse encoding.
        const MOUSE_SGR = 1 << 8;
        /// `?1004`: focus in/out events.
        const FOCUS_EVENTS = 1 << 9;
        /// DECOM (`?6`): origin mode.
        const ORIGIN = 1 << 10;
        /// IRM (`4`): insert mode.
        const INSERT = 1 << 11;
        /// DECAWM (`?7`): autowrap.
        const AUTOWRAP = 1 << 12;
        /// `?12`: blinking cursor.
        const CURSOR_BLINKING = 1 << 13;
        /// Any of the three mouse reporting modes.
        const MOUSE_ANY_REPORTING = Self::MOUSE_STANDARD.bits() | Self::MOUSE_BUTTON.bits() | Self::MOUSE_ANY.bits();
    }
}

impl Modes {
    /// The modes of a fresh pane (tmux: `MODE_CURSOR | MODE_WRAP`).
    pub const INITIAL: Modes = Modes::CURSOR_VISIBLE.union(Modes::AUTOWRAP);
}

//! Mouse reports: read from the outer terminal (SGR `ESC [ < b ; x ; y M/m`, or the older
//! `ESC [ M b x y`), and written again for a pane that asked for them, in the encoding the
//! pane chose (as tmux's `input_key_mouse` does).

use muxlink_term::Modes;

/// A mouse button, or the wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Button {
    Left,
    Middle,
    Right,
    WheelUp,
    WheelDown,
    /// Motion with no button held, a button the legacy encoding does not name on release,
    /// or an extra button.
    Other,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MouseKind {
    Press,
    Release,
    /// Motion (with `button` held, or none).
    Drag,
}

/// One mouse report, at a 0-based cell of the outer terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MouseEvent {
    pub(super) kind: MouseKind,
    pub(super) button: Button,
    pub(super) x: u16,
    pub(super) y: u16,
    /// Modifier bits as the protocol carries them (4 shift, 8 meta, 16 control).
    pub(super) mods: u8,
}

impl MouseEvent {
    /// From the protocol's button byte (`cb`, without the +32 of the legacy encoding),
    /// 1-based coordinates, and whether the SGR final byte was `m` (release).
    pub(super) fn decode(cb: u32, x: u32, y: u32, sgr_release: bool) -> MouseEvent {
        let mods = (cb & 0b1_1100) as u8;
        let motion = cb & 32 != 0;
        let button = match (cb & 0b1100_0011, cb & 64 != 0) {
            (0, false) => Button::Left,
            (1, false) => Button::Middle,
            (2, false) => Button::Right,
            (64, true) => Button::WheelUp,
            (65, true) => Button::WheelDown,
            _ => Button::Other,
        };
        let kind = if motion {
            MouseKind::Drag
        } else if sgr_release || (cb & 0b1100_0011) == 3 {
            MouseKind::Release
        } else {
            MouseKind::Press
        };
        let to_cell = |v: u32| u16::try_from(v.saturating_sub(1)).unwrap_or(u16::MAX);
        MouseEvent {
            kind,
            button,
            x: to_cell(x),
            y: to_cell(y),
            mods,
        }
    }

    /// The report a pane with `modes` expects for this event at the pane's 0-based cell
    /// (`x`, `y`), or `None` when the pane did not ask for this kind of event.
    pub(super) fn encode_for_pane(&self, modes: Modes, x: u16, y: u16) -> Option<Vec<u8>> {
        if !modes.intersects(Modes::MOUSE_ANY_REPORTING) {
            return None;
        }
        let wheel = matches!(self.button, Button::WheelUp | Button::WheelDown);
        let code: u32 = match self.button {
            Button::Left => 0,
            Button::Middle => 1,
            Button::Right => 2,
            Button::WheelUp => 64,
            Button::WheelDown => 65,
            Button::Other => 3,
        };
        let mut cb = code | u32::from(self.mods);
        match self.kind {
            MouseKind::Press => {}
            // The wheel has no release.
            MouseKind::Release if wheel => return None,
            MouseKind::Release => {}
            MouseKind::Drag => {
                let wanted = if self.button == Button::Other {
                    modes.contains(Modes::MOUSE_ANY)
                } else {
                    modes.intersects(Modes::MOUSE_BUTTON | Modes::MOUSE_ANY)
                };
                if !wanted {
                    return None;
                }
                cb |= 32;
            }
        }
        let (x, y) = (u32::from(x) + 1, u32::from(y) + 1);
        if modes.contains(Modes::MOUSE_SGR) {
            let end = if self.kind == MouseKind::Release {
                'm'
            } else {
                'M'
            };
            return Some(format!("\x1b[<{cb};{x};{y}{end}").into_bytes());
        }
        if self.kind == MouseKind::Release {
            // The legacy encodings do not say which button was released.
            cb = (cb & !0b11) | 3;
        }
        let mut out = b"\x1b[M".to_vec();
        if modes.contains(Modes::MOUSE_UTF8) {
            for v in [cb + 32, x + 32, y + 32] {
                // UTF-8 mode carries values up to 0x7ff (2015 cells).
                let ch = char::from_u32(v).filter(|_| v <= 0x7ff)?;
                let mut b = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            }
        } else {
            for v in [cb + 32, x + 32, y + 32] {
                // One byte each: a cell past 223 cannot be reported (tmux drops it too).
                out.push(u8::try_from(v).ok()?);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_sgr_and_legacy_reports() {
        let e = MouseEvent::decode(0, 5, 3, false);
        assert_eq!(
            e,
            MouseEvent {
                kind: MouseKind::Press,
                button: Button::Left,
                x: 4,
                y: 2,
                mods: 0
            }
        );
        assert_eq!(MouseEvent::decode(0, 5, 3, true).kind, MouseKind::Release);
        assert_eq!(MouseEvent::decode(3, 5, 3, false).kind, MouseKind::Release);
        let w = MouseEvent::decode(65 | 16, 1, 1, false);
        assert_eq!(
            (w.button, w.kind, w.mods),
            (Button::WheelDown, MouseKind::Press, 16)
        );
        let d = MouseEvent::decode(32, 2, 2, false);
        assert_eq!((d.button, d.kind), (Button::Left, MouseKind::Drag));
        assert_eq!(MouseEvent::decode(66, 1, 1, false).button, Button::Other);
    }

    #[test]
    fn encodes_as_the_pane_asked() {
        let up = MouseEvent::decode(64, 50, 9, false);
        assert_eq!(up.encode_for_pane(Modes::empty(), 2, 3), None);
        let sgr = Modes::MOUSE_STANDARD | Modes::MOUSE_SGR;
        assert_eq!(
            up.encode_for_pane(sgr, 2, 3).as_deref(),
            Some(&b"\x1b[<64;3;4M"[..])
        );
        let release = MouseEvent::decode(0, 1, 1, true);
        assert_eq!(
            release.encode_for_pane(sgr, 0, 0).as_deref(),
            Some(&b"\x1b[<0;1;1m"[..])
        );
        // Legacy: release is button 3; coordinates +32.
        assert_eq!(
            release
                .encode_for_pane(Modes::MOUSE_STANDARD, 0, 0)
                .as_deref(),
            Some(&b"\x1b[M#!!"[..])
        );
        // Drags only for 1002/1003; a cell past 223 cannot be said in one byte.
        let drag = MouseEvent::decode(32, 1, 1, false);
        assert_eq!(drag.encode_for_pane(Modes::MOUSE_STANDARD, 0, 0), None);
        assert!(drag.encode_for_pane(Modes::MOUSE_BUTTON, 0, 0).is_some());
        let click = MouseEvent::decode(0, 1, 1, false);
        assert_eq!(click.encode_for_pane(Modes::MOUSE_STANDARD, 300, 0), None);
        assert_eq!(
            click
                .encode_for_pane(Modes::MOUSE_STANDARD | Modes::MOUSE_UTF8, 300, 0)
                .as_deref(),
            Some("\x1b[M \u{14d}!".as_bytes())
        );
    }
}

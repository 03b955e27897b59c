//! Terminal input of `muxlink attach`: the prefix key and what it does.

use super::escapes::Input;
use super::mouse::MouseEvent;

/// What the prefix key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Command2 {
    Detach,
    NewWindow,
    NextWindow,
    PrevWindow,
    SplitRight,
    SplitDown,
    NextPane,
    KillPane,
    Zoom,
    /// `[`: muxlink's own copy mode.
    CopyMode,
}

/// Splits terminal input into bytes for the active pane, pastes, mouse reports and prefix
/// commands.
#[derive(Debug, Default)]
pub(super) struct KeyReader {
    prefix_pending: bool,
}

/// One step of key handling.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum KeyAction {
    Input(Vec<u8>),
    Command(Command2),
    Paste(Vec<u8>),
    Mouse(MouseEvent),
}

const PREFIX: u8 = 0x02; // Ctrl-b

impl KeyReader {
    /// Turns one piece of terminal input into actions. Pastes and mouse reports leave a
    /// pending prefix waiting for its key.
    pub(super) fn push(&mut self, input: Input, out: &mut Vec<KeyAction>) {
        match input {
            Input::Keys(bytes) => self.feed(&bytes, out),
            Input::Paste(text) => out.push(KeyAction::Paste(text)),
            Input::Mouse(m) => out.push(KeyAction::Mouse(m)),
        }
    }

    pub(super) fn feed(&mut self, bytes: &[u8], out: &mut Vec<KeyAction>) {
        let mut plain = Vec::new();
        for &b in bytes {
            if self.prefix_pending {
                self.prefix_pending = false;
                let cmd = match b {
                    b'd' => Some(Command2::Detach),
                    b'c' => Some(Command2::NewWindow),
                    b'n' => Some(Command2::NextWindow),
                    b'p' => Some(Command2::PrevWindow),
                    b'%' => Some(Command2::SplitRight),
                    b'"' => Some(Command2::SplitDown),
                    b'o' => Some(Command2::NextPane),
                    b'x' => Some(Command2::KillPane),
                    b'z' => Some(Command2::Zoom),
                    b'[' => Some(Command2::CopyMode),
                    PREFIX => {
                        plain.push(PREFIX);
                        None
                    }
                    _ => None,
                };
                if let Some(c) = cmd {
                    if !plain.is_empty() {
                        out.push(KeyAction::Input(std::mem::take(&mut plain)));
                    }
                    out.push(KeyAction::Command(c));
                }
            } else if b == PREFIX {
                self.prefix_pending = true;
            } else {
                plain.push(b);
            }
        }
        if !plain.is_empty() {
            out.push(KeyAction::Input(plain));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(k: &mut KeyReader, b: &[u8]) -> Vec<KeyAction> {
        let mut v = Vec::new();
        k.feed(b, &mut v);
        v
    }

    #[test]
    fn prefix_keys() {
        let mut k = KeyReader::default();
        assert_eq!(
            feed(&mut k, b"ls\x02cx"),
            vec![
                KeyAction::Input(b"ls".to_vec()),
                KeyAction::Command(Command2::NewWindow),
                KeyAction::Input(b"x".to_vec())
            ]
        );
        // Prefix split across reads, then a literal Ctrl-b.
        assert_eq!(feed(&mut k, b"\x02"), vec![]);
        assert_eq!(
            feed(&mut k, b"%"),
            vec![KeyAction::Command(Command2::SplitRight)]
        );
        assert_eq!(feed(&mut k, b"\x02\x02"), vec![KeyAction::Input(vec![2])]);
        assert_eq!(
            feed(&mut k, b"\x02d"),
            vec![KeyAction::Command(Command2::Detach)]
        );
        assert_eq!(
            feed(&mut k, b"\x02["),
            vec![KeyAction::Command(Command2::CopyMode)]
        );
        // Unknown keys after the prefix are swallowed, as tmux does.
        assert_eq!(
            feed(&mut k, b"\x02qa"),
            vec![KeyAction::Input(b"a".to_vec())]
        );
    }
}

//! Operations: commands the host asks for, queued as bytes for tmux's stdin.
//!
//! Targets are built from integer ids only; user-given strings are quoted so tmux reads back
//! exactly what was meant; keys go as `send-keys -H` hex. Nothing that came from tmux is ever
//! put into a command.

use muxlink_proto::{PaneId, SessionId, WindowId};

use muxlink_proto::command::{self, NewWindow, Resize, SplitWindow};

use crate::client::Client;
use crate::error::ClientError;
use crate::events::ReplyCallback;
use crate::ids::CommandId;
use crate::outbox::LineKind;

/// Which way [`Client::split`] cuts a pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitDirection {
    /// New pane to the right (`split-window -h`).
    Right,
    /// New pane below (`split-window -v`).
    Down,
}

/// Longest `send-keys -H` line written for input.
const INPUT_LINE: usize = 4096;

impl Client {
    fn writable(&self) -> Result<(), ClientError> {
        if self.core.closed {
            return Err(ClientError::Closed);
        }
        if self.core.config.read_only {
            return Err(ClientError::ReadOnly);
        }
        Ok(())
    }

    fn known_pane(&self, pane: PaneId) -> Result<(), ClientError> {
        if self.core.model.panes.contains_key(&pane) {
            Ok(())
        } else {
            Err(ClientError::UnknownPane(pane.0))
        }
    }

    fn known_window(&self, window: WindowId) -> Result<(), ClientError> {
        if self.core.model.windows.contains_key(&window) {
            Ok(())
        } else {
            Err(ClientError::UnknownWindow(window.0))
        }
    }

    fn op(&mut self, cmd: command::Command) -> CommandId {
        self.core.outbox.send(&cmd, LineKind::Op)
    }

    /// Types `bytes` into `pane` as `send-keys -H` hex, chunked into lines of at most 4 KiB.
    /// Fails when read-only, closed or the pane is unknown. Returns the id of the last chunk's
    /// command, `None` when `bytes` is empty (nothing is sent): the chunks have consecutive
    /// ids ending there, and tmux answers in order, so its
    /// [`crate::ClientEvent::CommandSucceeded`] means every chunk ran. Allocates the
    /// command text.
    pub fn send_input(
        &mut self,
        pane: PaneId,
        bytes: &[u8],
    ) -> Result<Option<CommandId>, ClientError> {
        self.writable()?;
        self.known_pane(pane)?;
        let mut last = None;
        for cmd in command::send_keys_hex_chunks(pane, bytes, INPUT_LINE)? {
            last = Some(self.op(cmd));
        }
        Ok(last)
    }

    /// Pastes `bytes` into `pane`, wrapped in bracketed-paste markers when the pane's program
    /// asked for them (mode 2004, as the emulator saw it; in bytes mode the host wraps).
    /// Returns the last command's id, as [`Client::send_input`] does.
    pub fn paste(&mut self, pane: PaneId, bytes: &[u8]) -> Result<Option<CommandId>, ClientError> {
        self.writable()?;
        self.known_pane(pane)?;
        let bracketed = self
            .core
            .model
            .panes
            .get(&pane)
            .and_then(|p| p.emu.as_ref())
            .is_some_and(|e| e.bracketed_paste());
        if bracketed {
            let mut all = Vec::with_capacity(bytes.len() + 12);
            all.extend_from_slice(b"\x1b[200~");
            // A paste must not end the bracket early.
            let mut rest = bytes;
            while let Some(i) = find(rest, b"\x1b[201~") {
                all.extend_from_slice(&rest[..i]);
                rest = &rest[i + 6..];
            }
            all.extend_from_slice(rest);
            all.extend_from_slice(b"\x1b[201~");
            self.send_input(pane, &all)
        } else {
            self.send_input(pane, bytes)
        }
    }

    /// Sets the client size (`refresh-client -C WxH`). Fails when read-only.
    pub fn set_client_size(&mut self, cols: u16, rows: u16) -> Result<CommandId, ClientError> {
        self.writable()?;
        if cols == 0 || rows == 0 || cols > 10000 || rows > 10000 {
            return Err(ClientError::InvalidSize(cols, rows));
        }
        self.core.config.cols = cols;
        self.core.config.rows = rows;
        Ok(self.op(command::refresh_client_size(
            u32::from(cols),
            u32::from(rows),
        )))
    }

    /// Sets one window's size for this client (`refresh-client -C @W:WxH`, tmux 3.3+).
    pub fn set_window_size(
        &mut self,
        window: WindowId,
        cols: u16,
        rows: u16,
    ) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_window(window)?;
        if cols == 0 || rows == 0 || cols > 10000 || rows > 10000 {
            return Err(ClientError::InvalidSize(cols, rows));
        }
        if !self.core.version_at_least(3, 3) {
            return Err(ClientError::Unsupported {
                have: self.core.version_string(),
                need: "3.3",
            });
        }
        Ok(self.op(command::refresh_client_window_size(
            window,
            u32::from(cols),
            u32::from(rows),
        )))
    }

    /// Opens a new window in the attached session, optionally named.
    pub fn new_window(&mut self, name: Option<&str>) -> Result<CommandId, ClientError> {
        self.writable()?;
        let mut nw = NewWindow::new();
        nw.session = self.core.model.attached_session;
        nw.name = name.map(str::as_bytes);
        let cmd = nw.build()?;
        Ok(self.op(cmd))
    }

    /// Splits `pane`.
    pub fn split(&mut self, pane: PaneId, dir: SplitDirection) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_pane(pane)?;
        let d = match dir {
            SplitDirection::Right => command::SplitDirection::Horizontal,
            SplitDirection::Down => command::SplitDirection::Vertical,
        };
        let cmd = SplitWindow::new(pane, d).build()?;
        Ok(self.op(cmd))
    }

    /// Makes `window` the current window.
    pub fn select_window(&mut self, window: WindowId) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_window(window)?;
        Ok(self.op(command::select_window(window)))
    }

    /// Makes `pane` its window's active pane.
    pub fn select_pane(&mut self, pane: PaneId) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_pane(pane)?;
        Ok(self.op(command::select_pane(pane)))
    }

    /// Kills `pane`.
    pub fn kill_pane(&mut self, pane: PaneId) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_pane(pane)?;
        Ok(self.op(command::kill_pane(pane)))
    }

    /// Kills `window`.
    pub fn kill_window(&mut self, window: WindowId) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_window(window)?;
        Ok(self.op(command::kill_window(window)))
    }

    /// Renames `window` (the name is quoted; tmux reads it back exactly).
    pub fn rename_window(
        &mut self,
        window: WindowId,
        name: &str,
    ) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_window(window)?;
        let cmd = command::rename_window(window, name.as_bytes())?;
        Ok(self.op(cmd))
    }

    /// Renames `session`.
    pub fn rename_session(
        &mut self,
        session: SessionId,
        name: &str,
    ) -> Result<CommandId, ClientError> {
        self.writable()?;
        if !self.core.model.sessions.contains_key(&session) {
            return Err(ClientError::UnknownSession(session.0));
        }
        let cmd = command::rename_session(session, name.as_bytes())?;
        Ok(self.op(cmd))
    }

    /// Toggles zoom of `pane` (`resize-pane -Z`).
    pub fn zoom(&mut self, pane: PaneId) -> Result<CommandId, ClientError> {
        self.writable()?;
        self.known_pane(pane)?;
        let cmd = command::resize_pane(pane, Resize::ToggleZoom)?;
        Ok(self.op(cmd))
    }

    /// Attaches this client to another session (`switch-client`); the model follows when
    /// tmux confirms with `%session-changed`.
    pub fn switch_session(&mut self, session: SessionId) -> Result<CommandId, ClientError> {
        if self.core.closed {
            return Err(ClientError::Closed);
        }
        if !self.core.model.sessions.contains_key(&session) {
            return Err(ClientError::UnknownSession(session.0));
        }
        Ok(self.op(command::switch_client(session)))
    }

    /// Detaches (`detach-client`); tmux answers with `%exit`. Allowed when read-only.
    pub fn detach(&mut self) -> Result<CommandId, ClientError> {
        if self.core.closed {
            return Err(ClientError::Closed);
        }
        Ok(self.op(command::detach_client()))
    }

    /// Resumes a paused pane (`refresh-client -A '%P:continue'`) and re-captures it, after
    /// which it equals tmux's again ([`crate::ClientEvent::Resumed`]). Returns the
    /// `refresh-client` command's id.
    pub fn resume_pane(&mut self, pane: PaneId) -> Result<CommandId, ClientError> {
        if self.core.closed {
            return Err(ClientError::Closed);
        }
        self.core
            .resume(pane)
            .ok_or(ClientError::UnknownPane(pane.0))
    }

    /// Sends the user's own command text (one line) and calls `on_reply` with tmux's answer
    /// (during the call that delivers it). Never compose `text` from strings that came from
    /// tmux.
    pub fn raw_command(
        &mut self,
        text: &str,
        on_reply: ReplyCallback,
    ) -> Result<CommandId, ClientError> {
        self.raw(text, Some(on_reply))
    }

    /// Sends the user's own command text (one line); tmux's answer comes as
    /// [`crate::ClientEvent::CommandReply`] with the returned id (for hosts that pull events
    /// rather than register callbacks). Never compose `text` from strings that came from
    /// tmux.
    pub fn send_command(&mut self, text: &str) -> Result<CommandId, ClientError> {
        self.raw(text, None)
    }

    fn raw(
        &mut self,
        text: &str,
        on_reply: Option<ReplyCallback>,
    ) -> Result<CommandId, ClientError> {
        if self.core.closed {
            return Err(ClientError::Closed);
        }
        if text.trim().is_empty() {
            return Err(ClientError::InvalidCommand("empty"));
        }
        if text.contains(['\n', '\r']) {
            return Err(ClientError::InvalidCommand("holds a line break"));
        }
        if text.contains(';') {
            // One reply per command is assumed: a `;` list would answer several times.
            return Err(ClientError::InvalidCommand(
                "holds `;` (send one command per call)",
            ));
        }
        let cmd = command::raw(text.as_bytes())?;
        let refresh = is_refresh_client(text);
        Ok(self
            .core
            .outbox
            .send(&cmd, LineKind::Raw { on_reply, refresh }))
    }
}

/// Whether tmux reads `text` as `refresh-client`: its first word is the alias `refresh` or a
/// prefix of `refresh-client` long enough to name it alone (`ref`; `re` is ambiguous).
fn is_refresh_client(text: &str) -> bool {
    let word = text
        .trim_start_matches([' ', '\t'])
        .split([' ', '\t'])
        .next()
        .unwrap_or("");
    word.len() >= 3 && "refresh-client".starts_with(word)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::is_refresh_client;

    #[test]
    fn refresh_client_names() {
        for t in [
            "refresh-client -A '%1:pause'",
            "  refresh -A %1:continue",
            "ref\t-A x",
        ] {
            assert!(is_refresh_client(t), "{t}");
        }
        for t in [
            "re -A x",
            "rename-window x",
            "display-message -p refresh",
            "refresh-clientx",
        ] {
            assert!(!is_refresh_client(t), "{t}");
        }
    }
}

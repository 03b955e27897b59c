//! A scripted tmux for the tests on virtual time: answers every command a client wrote,
//! in order, from its own state (windows, version, platform widths).

use std::time::Instant;

use muxlink_proto::layout::layout_checksum;
use muxlink_runtime::{Client, ClientConfig, ClientEvent, TmuxRelease};
use muxlink_term::width_tables::WidthTable;

use super::Rec;

/// A scripted tmux: session `$0` with windows `(id, index)`, one pane `%id` each. Answers
/// every command the client wrote, in order, from its current state.
pub struct Fake {
    /// `(id, index)` of every window.
    pub windows: Vec<(u32, u32)>,
    number: u64,
    /// Every command line the client wrote, in order.
    pub sent: Vec<String>,
    /// What `#{version}` prints.
    pub version: &'static str,
    /// The widths of this server's platform where they differ from the table of the
    /// release `version` names (what the width probe asks).
    pub platform: Vec<(u32, u8)>,
    /// What `#{alternate_on}` prints.
    pub alternate: bool,
}

impl Fake {
    /// A tmux 3.3a with these windows and glibc 2.36's widths.
    pub fn new(windows: Vec<(u32, u32)>) -> Fake {
        Fake {
            windows,
            number: 0,
            sent: Vec::new(),
            version: "3.3a",
            platform: Vec::new(),
            alternate: false,
        }
    }

    /// The answer to a width probe (`W#{w;l:X} #{w;l:Y} ...`): each code point's width.
    fn probe(&self, format: &str) -> String {
        // Undo the command's quoting: every byte outside printable ASCII is `\ooo`.
        let mut bytes = Vec::new();
        let mut rest = format.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            if b == b'\\' && tail.len() >= 3 {
                let o = |c: u8| c - b'0';
                bytes.push(o(tail[0]) << 6 | o(tail[1]) << 3 | o(tail[2]));
                rest = &tail[3..];
            } else {
                bytes.push(b);
                rest = tail;
            }
        }
        let format = String::from_utf8(bytes).expect("UTF-8 inside the probe");
        let release = TmuxRelease::from_name(self.version).expect("a known release");
        let table = WidthTable::for_release(release);
        let widths: Vec<String> = format
            .split("#{w;l:")
            .skip(1)
            .map(|item| {
                let cp = item.chars().next().expect("a character") as u32;
                let w = match self.platform.iter().find(|e| e.0 == cp) {
                    Some(&(_, w)) => w,
                    None => table.width(cp),
                };
                // What tmux's `w:` says for a character its grid drops.
                if w > 2 { 1 } else { w }.to_string()
            })
            .collect();
        format!("W{}", widths.join(" "))
    }

    fn layout(id: u32) -> String {
        let body = format!("80x24,0,0,{id}");
        format!("{:04x},{body}", layout_checksum(body.as_bytes()))
    }

    fn window_line(&self, id: u32, index: u32) -> String {
        let l = Fake::layout(id);
        let active = u8::from(id == self.windows[0].0);
        format!("@{id}\t$0\t{l}\t{l}\t0\t%{id}\t{active}\t{index}\tw{id}")
    }

    fn pane_line(id: u32) -> String {
        format!(
            "%{id}\t@{id}\t80\t24\t0\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t1\t0\t0\t23\t0\t0\t1\t\t2000\tt"
        )
    }

    /// The reply body to one command, `None` for `%error`.
    fn body(&self, cmd: &str) -> Option<String> {
        let mut sorted = self.windows.clone();
        sorted.sort_by_key(|w| w.1);
        let target = |sigil: char| -> Option<u32> {
            let t = cmd.split(" -t ").nth(1)?;
            t.strip_prefix(sigil)?.split(' ').next()?.parse().ok()
        };
        let has = |id: u32| self.windows.iter().any(|w| w.0 == id);
        let quoted = cmd
            .strip_prefix("display-message -p -- \"")
            .and_then(|q| q.strip_suffix('"'));
        Some(if cmd.ends_with("\"A#{alternate_on}\"") {
            format!("A{}", u8::from(self.alternate))
        } else if let Some(q) = quoted {
            match q {
                "#{version}" => self.version.into(),
                q if q.starts_with("W#{w;l:") => self.probe(q),
                "H#{host}" => "Hhost".into(),
                // A fence: its nonce, printed back.
                q if q.len() == 32 && q.bytes().all(|b| b.is_ascii_hexdigit()) => q.into(),
                _ => String::new(),
            }
        } else if cmd.starts_with("list-sessions") {
            "$0\t@0\tmain".into()
        } else if cmd.starts_with("list-windows") {
            let lines: Vec<String> = sorted.iter().map(|w| self.window_line(w.0, w.1)).collect();
            lines.join("\n")
        } else if cmd.starts_with("list-panes -s") {
            let lines: Vec<String> = sorted.iter().map(|w| Fake::pane_line(w.0)).collect();
            lines.join("\n")
        } else if let Some(id) = cmd
            .starts_with("display-message -p -t @")
            .then(|| target('@'))
            .flatten()
        {
            let w = self.windows.iter().find(|w| w.0 == id)?;
            self.window_line(w.0, w.1)
        } else if let Some(id) = cmd
            .starts_with("list-panes -t @")
            .then(|| target('@'))
            .flatten()
        {
            has(id).then(|| Fake::pane_line(id))?
        } else if let Some(id) = cmd
            .starts_with("display-message -p -t %")
            .then(|| target('%'))
            .flatten()
        {
            has(id).then(|| Fake::pane_line(id))?
        } else {
            // refresh-client, capture-pane
            String::new()
        })
    }

    /// A client made with `config`, attached to this server: control mode's first block
    /// and `%session-changed`, then every question answered until the client asks nothing
    /// more (a width probe's second round comes after the first's reply).
    pub fn attach(&mut self, config: ClientConfig) -> (Client, Rec) {
        let mut c = Client::new(config);
        let mut h = Rec::default();
        c.receive(
            b"%begin 1 0 0\n%end 1 0 0\n%session-changed $0 main\n",
            Instant::now(),
            &mut h,
        );
        for _ in 0..10 {
            if c.outgoing().is_empty() {
                break;
            }
            self.answer(&mut c, &mut h);
        }
        assert!(c.outgoing().is_empty(), "still asking");
        assert!(h.saw(ClientEvent::Ready), "{:?}", h.events);
        (c, h)
    }

    /// Answers everything the client has written so far.
    pub fn answer(&mut self, c: &mut Client, h: &mut Rec) {
        let out = String::from_utf8(c.outgoing().to_vec()).unwrap();
        c.consume_outgoing(out.len());
        let mut reply = String::new();
        for line in out.lines() {
            self.sent.push(line.to_string());
            for cmd in line.split(" ; ") {
                self.number += 1;
                let n = self.number;
                match self.body(cmd) {
                    Some(b) if b.is_empty() => {
                        reply.push_str(&format!("%begin 1 {n} 1\n%end 1 {n} 1\n"))
                    }
                    Some(b) => reply.push_str(&format!("%begin 1 {n} 1\n{b}\n%end 1 {n} 1\n")),
                    None => {
                        reply.push_str(&format!("%begin 1 {n} 1\nno such\n%error 1 {n} 1\n"));
                        break; // tmux skips the rest of the line
                    }
                }
            }
        }
        c.receive(reply.as_bytes(), Instant::now(), h);
    }

    pub fn listings_sent(&self) -> usize {
        self.sent
            .iter()
            // Fenced: the listing sits between two fences on its line.
            .filter(|l| l.contains("list-windows"))
            .count()
    }
}

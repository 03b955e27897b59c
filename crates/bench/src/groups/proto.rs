//! `proto`: control-mode stream parsing. muxlink's `Parser` against termwiz's `tmux_cc::Parser`,
//! both fed the same bytes in 64 KiB chunks, each event looked at by a sink that adds up the
//! output bytes (so neither side's work can be skipped).

use anyhow::Result;
use muxlink_proto::{Event, Parser};

use super::{Context, Group, Row, CHUNK};
use crate::measure::{measure, Subject};
use crate::workloads::{self, SPECS};

/// The `proto` group.
pub struct ProtoGroup;

/// What a parser made of a stream: used to check both sides saw the same output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events (of any kind) delivered.
    pub events: u64,
    /// `%output` / `%extended-output` events.
    pub outputs: u64,
    /// Unescaped output bytes.
    pub output_bytes: u64,
    /// Lines the parser rejected (muxlink: error events; termwiz: `Err` results).
    pub rejected: u64,
}

/// muxlink's parser.
pub struct Muxlink {
    parser: Parser,
    /// Totals of the last feed.
    pub tally: Tally,
}

impl Muxlink {
    /// A fresh parser for a plain `tmux -C` stream.
    pub fn new() -> Self {
        Muxlink {
            parser: Parser::new(),
            tally: Tally::default(),
        }
    }
}

impl Default for Muxlink {
    fn default() -> Self {
        Self::new()
    }
}

fn count(t: &mut Tally, ev: &Event<'_>) {
    t.events += 1;
    match ev {
        Event::Output { data, .. } | Event::ExtendedOutput { data, .. } => {
            t.outputs += 1;
            t.output_bytes += data.len() as u64;
        }
        Event::Error { .. } => t.rejected += 1,
        _ => {}
    }
}

impl Subject for Muxlink {
    fn name(&self) -> &'static str {
        "muxlink"
    }
    fn reset(&mut self) {
        self.parser = Parser::new();
        self.tally = Tally::default();
    }
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        let tally = &mut self.tally;
        for chunk in bytes.chunks(CHUNK) {
            self.parser.feed(chunk, |ev| count(tally, &ev));
        }
        self.parser.finish(|ev| count(tally, &ev));
        tally.output_bytes + tally.events
    }
}

/// termwiz's `tmux_cc::Parser` (wezterm's control-mode client).
pub struct Termwiz {
    parser: termwiz::tmux_cc::Parser,
    /// Totals of the last feed.
    pub tally: Tally,
}

impl Termwiz {
    /// A fresh parser.
    pub fn new() -> Self {
        Termwiz {
            parser: termwiz::tmux_cc::Parser::new(),
            tally: Tally::default(),
        }
    }
}

impl Default for Termwiz {
    fn default() -> Self {
        Self::new()
    }
}

impl Subject for Termwiz {
    fn name(&self) -> &'static str {
        "termwiz"
    }
    fn reset(&mut self) {
        self.parser = termwiz::tmux_cc::Parser::new();
        self.tally = Tally::default();
    }
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        use termwiz::tmux_cc::Event as E;
        // `advance_bytes` is a loop over `advance_byte` that collects into a Vec and gives up on
        // the rest of the chunk at the first line it cannot parse; driving `advance_byte`
        // ourselves does the same work and lets us go on after such a line. termwiz keeps the
        // rejected line in its buffer, so a new parser takes over (what a client would have to
        // do to resume).
        for chunk in bytes.chunks(CHUNK) {
            for &b in chunk {
                match self.parser.advance_byte(b) {
                    Ok(None) => {}
                    Ok(Some(ev)) => {
                        self.tally.events += 1;
                        match ev {
                            E::Output { text, .. } | E::ExtendedOutput { text, .. } => {
                                self.tally.outputs += 1;
                                self.tally.output_bytes += text.len() as u64;
                            }
                            _ => {}
                        }
                    }
                    Err(_) => {
                        self.tally.rejected += 1;
                        self.parser = termwiz::tmux_cc::Parser::new();
                    }
                }
            }
        }
        self.tally.output_bytes + self.tally.events
    }
}

impl Group for ProtoGroup {
    fn name(&self) -> &'static str {
        "proto"
    }

    fn run(&self, ctx: &Context, notes: &mut Vec<String>) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        for spec in SPECS
            .iter()
            .filter(|s| s.group == "proto" && ctx.selected(s.name))
        {
            let w = workloads::load(&ctx.dir, spec)?;
            // One untimed pass each, to report what each side made of the bytes.
            let (mut m, mut t) = (Muxlink::new(), Termwiz::new());
            m.feed(&w.bytes);
            t.feed(&w.bytes);
            notes.push(tally_note(spec.name, &m.tally, &t.tally));
            let mut subjects: Vec<Box<dyn Subject>> = vec![Box::new(m), Box::new(t)];
            ctx.keep_selected(&mut subjects);
            for meas in measure(&w.bytes, &mut subjects, ctx.budget) {
                rows.push(Row::from_measurement("proto", spec.name, &meas));
            }
        }
        Ok(rows)
    }
}

fn tally_note(workload: &str, m: &Tally, t: &Tally) -> String {
    format!(
        "proto/{workload}: muxlink {} events, {} outputs, {} output bytes, {} errors; \
         termwiz {} events, {} outputs, {} output bytes, {} rejected lines",
        m.events,
        m.outputs,
        m.output_bytes,
        m.rejected,
        t.events,
        t.outputs,
        t.output_bytes,
        t.rejected
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen;

    #[test]
    fn both_parsers_see_the_same_plain_output() {
        let bytes = gen::proto_plain_output(300_000);
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let (mut m, mut t) = (Muxlink::new(), Termwiz::new());
        m.feed(&bytes);
        t.feed(&bytes);
        assert_eq!(m.tally.outputs, lines);
        assert_eq!(m.tally.rejected, 0);
        assert_eq!(t.tally.outputs, lines);
        assert_eq!(m.tally.output_bytes, t.tally.output_bytes);
    }

    #[test]
    fn unescaped_bytes_agree_on_escaped_output() {
        let mut bytes = Vec::new();
        for i in 0..100u32 {
            gen::push_output_line(&mut bytes, i % 3, b"\x1b[1;31mred\x1b[0m \\ tab\there\r\n");
        }
        let (mut m, mut t) = (Muxlink::new(), Termwiz::new());
        m.feed(&bytes);
        t.feed(&bytes);
        assert_eq!(m.tally.outputs, 100);
        assert_eq!(m.tally.output_bytes, 100 * 27);
        assert_eq!(m.tally.output_bytes, t.tally.output_bytes);
    }
}

//! `muxlink parse`: a control-mode stream in, one JSON object per event out (JSON Lines).
//!
//! The input is read in fixed-size chunks and fed to [`muxlink_proto::Parser`] as it comes;
//! nothing holds the whole stream. Each event is rendered into one reused line buffer and
//! written to a buffered stdout.

use std::io::{self, BufWriter, Read, Write};

use anyhow::Context;
use clap::Args;
use muxlink_proto::layout::{Layout, LayoutKind, LayoutNode};
use muxlink_proto::{Event, Parser, Reply};

use crate::json::Obj;

/// Read size; also the most passthrough bytes held back before they are printed.
const CHUNK: usize = 64 * 1024;

/// Arguments of `muxlink parse`.
#[derive(Args, Debug)]
pub struct ParseArgs {
    /// Read a host terminal stream: bytes outside control mode are `passthrough`, DCS 1000p
    /// enters control mode. Default: guessed from the first byte (`%` means a plain
    /// `tmux -C` stream).
    #[arg(long, conflicts_with = "control")]
    pub host_stream: bool,
    /// Read a plain `tmux -C` stdout whatever its first byte.
    #[arg(long)]
    pub control: bool,
    /// The stream to read, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Runs `muxlink parse`: exit status 0 for any input; only I/O failures are errors.
pub fn run(args: ParseArgs) -> anyhow::Result<()> {
    let mut input = crate::open_input(&args.input)?;
    let stdout = io::stdout().lock();
    let mut sink = JsonSink::new(BufWriter::with_capacity(CHUNK, stdout));
    let mut chunk = vec![0u8; CHUNK];

    let first = read_some(&mut input, &mut chunk).context("reading input")?;
    if first == 0 {
        return Ok(());
    }
    let host_stream = if args.host_stream {
        true
    } else if args.control {
        false
    } else {
        chunk[0] != b'%'
    };
    let mut parser = if host_stream {
        Parser::host_stream()
    } else {
        Parser::new()
    };

    let mut n = first;
    while n > 0 {
        feed_all(&mut parser, &chunk[..n], &mut sink);
        sink.check()?;
        n = read_some(&mut input, &mut chunk).context("reading input")?;
    }
    parser.finish(|ev| sink.event(&ev));
    sink.finish()
}

/// Feeds a whole chunk. The CLI accepts DCS 1000p at once (it only prints what it sees), so a
/// parser configured to ask is answered here rather than left waiting.
fn feed_all<W: Write>(parser: &mut Parser, mut bytes: &[u8], sink: &mut JsonSink<W>) {
    while !bytes.is_empty() {
        let used = parser.feed(bytes, |ev| sink.event(&ev));
        if used >= bytes.len() {
            break;
        }
        if parser.enter_pending() {
            parser.accept_enter(|ev| sink.event(&ev));
        } else if used == 0 {
            // Not reachable with the default policy; never spin.
            break;
        }
        bytes = &bytes[used..];
    }
}

/// `read` that retries on `Interrupted`; returns 0 only at end of input.
fn read_some(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Renders events as JSON lines into a writer.
///
/// Passthrough bytes are coalesced (up to [`CHUNK`] bytes per object) so that the output does
/// not depend on how the input happened to be chunked.
pub struct JsonSink<W: Write> {
    out: W,
    line: Vec<u8>,
    passthrough: Vec<u8>,
    error: Option<io::Error>,
}

impl<W: Write> JsonSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonSink {
            out,
            line: Vec::with_capacity(4096),
            passthrough: Vec::new(),
            error: None,
        }
    }

    /// Renders one event (passthrough may be held back until the next other event).
    pub fn event(&mut self, ev: &Event<'_>) {
        if self.error.is_some() {
            return;
        }
        if let Event::Passthrough(bytes) = ev {
            self.passthrough.extend_from_slice(bytes);
            while self.passthrough.len() >= CHUNK {
                let rest = self.passthrough.split_off(CHUNK);
                self.flush_passthrough();
                self.passthrough = rest;
            }
            return;
        }
        self.flush_passthrough();
        self.line.clear();
        render_event(&mut self.line, ev);
        self.line.push(b'\n');
        self.write_line();
    }

    fn flush_passthrough(&mut self) {
        if self.passthrough.is_empty() {
            return;
        }
        self.line.clear();
        let mut o = Obj::open(&mut self.line);
        o.str("event", "passthrough")
            .u64("len", self.passthrough.len() as u64)
            .bytes("data", &self.passthrough);
        o.close();
        self.line.push(b'\n');
        self.passthrough.clear();
        self.write_line();
    }

    fn write_line(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.line) {
                self.error = Some(e);
            }
        }
    }

    /// Returns the first write error, if any.
    pub fn check(&mut self) -> anyhow::Result<()> {
        match self.error.take() {
            Some(e) => Err(anyhow::Error::new(e).context("writing output")),
            None => Ok(()),
        }
    }

    /// Prints what is held back and flushes the writer.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.flush_passthrough();
        self.check()?;
        self.out.flush().context("writing output")
    }
}

/// The `event` name of an event: the notification's name without `%`.
pub fn event_name(ev: &Event<'_>) -> &'static str {
    ev.name()
}

/// Appends one event as a JSON object (no newline).
pub fn render_event(buf: &mut Vec<u8>, ev: &Event<'_>) {
    let mut o = Obj::open(buf);
    o.str("event", event_name(ev));
    match ev {
        Event::Passthrough(bytes) => {
            o.u64("len", bytes.len() as u64).bytes("data", bytes);
        }
        Event::Enter | Event::Leave | Event::SessionsChanged => {}
        Event::Output { pane, data } => {
            o.display("pane", pane)
                .u64("len", data.len() as u64)
                .bytes("data", data);
        }
        Event::ExtendedOutput { pane, age, data } => {
            o.display("pane", pane)
                .u64("age", *age)
                .u64("len", data.len() as u64)
                .bytes("data", data);
        }
        Event::Reply(reply) => render_reply(&mut o, reply),
        Event::LayoutChange {
            window,
            layout,
            visible_layout,
            flags,
        } => {
            o.display("window", window)
                .bytes("layout", layout)
                .opt_bytes("visible_layout", *visible_layout)
                .opt_bytes("flags", *flags);
            // The parser has already rejected bad layouts (they come as `error` events), so
            // this parse succeeds; `null` covers the impossible case rather than panicking.
            match Layout::parse(layout) {
                Ok(parsed) => {
                    render_node(o.key("tree"), &parsed.root);
                    let buf = o.key("floating");
                    buf.push(b'[');
                    for (i, node) in parsed.floating.iter().enumerate() {
                        if i > 0 {
                            buf.push(b',');
                        }
                        render_node(buf, node);
                    }
                    buf.push(b']');
                }
                Err(_) => {
                    o.null("tree").null("floating");
                }
            }
        }
        Event::WindowAdd { window }
        | Event::WindowClose { window }
        | Event::UnlinkedWindowAdd { window }
        | Event::UnlinkedWindowClose { window } => {
            o.display("window", window);
        }
        Event::WindowRenamed { window, name } | Event::UnlinkedWindowRenamed { window, name } => {
            o.display("window", window).bytes("name", name);
        }
        Event::SessionChanged { session, name } => {
            o.display("session", session).bytes("name", name);
        }
        Event::SessionRenamed { session, name } => {
            o.opt_display("session", *session).bytes("name", name);
        }
        Event::SessionWindowChanged { session, window } => {
            o.display("session", session).display("window", window);
        }
        Event::WindowPaneChanged { window, pane } => {
            o.display("window", window).display("pane", pane);
        }
        Event::ClientSessionChanged {
            client,
            session,
            name,
        } => {
            o.bytes("client", client)
                .display("session", session)
                .bytes("name", name);
        }
        Event::ClientDetached { client } => {
            o.bytes("client", client);
        }
        Event::PaneModeChanged { pane } | Event::Pause { pane } | Event::Continue { pane } => {
            o.display("pane", pane);
        }
        Event::SubscriptionChanged {
            name,
            session,
            window,
            window_index,
            pane,
            value,
        } => {
            o.bytes("name", name)
                .opt_display("session", *session)
                .opt_display("window", *window)
                .opt_u64("window_index", window_index.map(u64::from))
                .opt_display("pane", *pane)
                .bytes("value", value);
        }
        Event::Exit { reason } => {
            o.opt_bytes("reason", *reason);
        }
        Event::ConfigError { message } | Event::Message { message } => {
            o.bytes("message", message);
        }
        Event::PasteBufferChanged { name } | Event::PasteBufferDeleted { name } => {
            o.bytes("name", name);
        }
        Event::Unknown { line } => {
            o.bytes("line", line);
        }
        Event::Error {
            line_number,
            error,
            line,
        } => {
            o.u64("line_number", *line_number)
                .str("message", &error.to_string())
                .bytes("line", line);
        }
    }
    o.close();
}

fn render_reply(o: &mut Obj<'_>, reply: &Reply<'_>) {
    o.u64("number", reply.number)
        .u64("time", reply.time)
        .u64("flags", u64::from(reply.flags))
        .bool("ok", reply.ok)
        .bytes_array("lines", reply.lines());
}

/// Appends a layout node: `{"cols","rows","x","y","pane":"%N"}` or
/// `{"cols","rows","x","y","split":..,"children":[..]}`. Recursion depth is bounded by the
/// layout parser's nesting limit.
fn render_node(buf: &mut Vec<u8>, node: &LayoutNode) {
    let mut o = Obj::open(buf);
    o.u64("cols", u64::from(node.cols))
        .u64("rows", u64::from(node.rows))
        .i64("x", i64::from(node.x))
        .i64("y", i64::from(node.y));
    let (split, children) = match &node.kind {
        LayoutKind::Pane(pane) => {
            o.display("pane", pane);
            o.close();
            return;
        }
        LayoutKind::LeftRight(children) => ("left-right", children),
        LayoutKind::TopBottom(children) => ("top-bottom", children),
    };
    o.str("split", split);
    let buf = o.key("children");
    buf.push(b'[');
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        render_node(buf, child);
    }
    buf.push(b']');
    o.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use muxlink_proto::{PaneId, SessionId, WindowId};
    use serde_json::Value;

    fn json(ev: &Event<'_>) -> Value {
        let mut buf = Vec::new();
        render_event(&mut buf, ev);
        serde_json::from_slice(&buf).unwrap()
    }

    #[test]
    fn subscription_changed_with_missing_fields() {
        let v = json(&Event::SubscriptionChanged {
            name: b"sub",
            session: Some(SessionId(1)),
            window: None,
            window_index: Some(3),
            pane: Some(PaneId(12)),
            value: b"a \"b\"",
        });
        assert_eq!(v["event"], "subscription-changed");
        assert_eq!(v["session"], "$1");
        assert!(v["window"].is_null());
        assert_eq!(v["window_index"], 3);
        assert_eq!(v["pane"], "%12");
        assert_eq!(v["value"], "a \"b\"");
    }

    #[test]
    fn ids_and_names() {
        let v = json(&Event::SessionRenamed {
            session: None,
            name: b"x\xffy",
        });
        assert!(v["session"].is_null());
        assert_eq!(v["name"], "x\u{fffd}y");
        let v = json(&Event::WindowPaneChanged {
            window: WindowId(3),
            pane: PaneId(7),
        });
        assert_eq!(
            v,
            serde_json::json!({"event":"window-pane-changed","window":"@3","pane":"%7"})
        );
        let v = json(&Event::Exit { reason: None });
        assert_eq!(v, serde_json::json!({"event":"exit","reason":null}));
    }

    #[test]
    fn extended_output_and_reply() {
        let v = json(&Event::ExtendedOutput {
            pane: PaneId(2),
            age: 1500,
            data: b"\x1b[1mhi\r\n",
        });
        assert_eq!(v["age"], 1500);
        assert_eq!(v["len"], 8);
        assert_eq!(v["data"], "\u{1b}[1mhi\r\n");
        let v = json(&Event::Reply(Reply {
            time: 1,
            number: 2,
            flags: 1,
            ok: false,
            body: b"%end 1 2 1\nsecond",
        }));
        assert_eq!(
            v,
            serde_json::json!({"event":"reply","number":2,"time":1,"flags":1,"ok":false,
                               "lines":["%end 1 2 1","second"]})
        );
    }

    #[test]
    fn floating_layout_tree() {
        // As tmux 3.7c prints it: the floating pane %2 is a cell of the tiled tree and is
        // listed again in `<...>`.
        let layout = b"c346,80x24,0,0[80x12,0,0,0,80x11,0,13,1,40x6,4,2,2]<40x6,4,2,2>";
        let v = json(&Event::LayoutChange {
            window: WindowId(0),
            layout,
            visible_layout: None,
            flags: Some(b"*"),
        });
        assert_eq!(v["window"], "@0");
        assert_eq!(v["tree"]["split"], "top-bottom");
        assert_eq!(v["tree"]["cols"], 80);
        assert_eq!(v["tree"]["children"][1]["pane"], "%1");
        assert_eq!(v["tree"]["children"][1]["y"], 13);
        assert_eq!(v["tree"]["children"].as_array().unwrap().len(), 3);
        assert_eq!(
            v["floating"],
            serde_json::json!([{"cols":40,"rows":6,"x":4,"y":2,"pane":"%2"}])
        );
        assert!(v["visible_layout"].is_null());
        assert_eq!(v["flags"], "*");
    }

    #[test]
    fn passthrough_is_coalesced_across_events() {
        let mut out = Vec::new();
        let mut sink = JsonSink::new(&mut out);
        sink.event(&Event::Passthrough(b"ab"));
        sink.event(&Event::Passthrough(b"c"));
        sink.event(&Event::Enter);
        sink.event(&Event::Passthrough(b"z"));
        sink.finish().unwrap();
        let lines: Vec<Value> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["data"], "abc");
        assert_eq!(lines[0]["len"], 3);
        assert_eq!(lines[1]["event"], "enter");
        assert_eq!(lines[2]["data"], "z");
    }
}

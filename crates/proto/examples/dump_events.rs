//! Prints the events of a control-mode stream, one per line (debugging aid).
//!
//! `cargo run -p muxlink-proto --example dump_events -- FILE [--host]`

use muxlink_proto::{Event, Parser};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: dump_events FILE [--host]");
    let host = args.next().as_deref() == Some("--host");
    let data = std::fs::read(&path).expect("read input");
    let mut parser = if host {
        Parser::host_stream()
    } else {
        Parser::new()
    };
    let mut print = |ev: Event<'_>| match ev {
        Event::Output { pane, data } => {
            println!("Output {pane} {:?}", String::from_utf8_lossy(data))
        }
        Event::Reply(r) => println!(
            "Reply #{} flags={} ok={} {:?}",
            r.number,
            r.flags,
            r.ok,
            String::from_utf8_lossy(r.body)
        ),
        other => println!("{other:?}"),
    };
    parser.feed(&data, &mut print);
    parser.finish(&mut print);
}

//! Host terminal streams: passthrough, DCS 1000p entry (split anywhere), `ESC \` exit, and the
//! host's say on entering.

use muxlink_proto::{EnterPolicy, Event, Parser, ParserConfig};

#[derive(Debug, PartialEq, Eq)]
enum H {
    Pass(Vec<u8>),
    Enter,
    Leave,
    Out(Vec<u8>),
    Reply(Vec<u8>),
    Err(String),
    Other(String),
}

fn push(out: &mut Vec<H>, ev: Event<'_>) {
    let h = match ev {
        Event::Passthrough(b) => {
            if let Some(H::Pass(prev)) = out.last_mut() {
                prev.extend_from_slice(b);
                return;
            }
            H::Pass(b.to_vec())
        }
        Event::Enter => H::Enter,
        Event::Leave => H::Leave,
        Event::Output { data, .. } => H::Out(data.to_vec()),
        Event::Reply(r) => H::Reply(r.body.to_vec()),
        Event::Error { error, .. } => H::Err(error.to_string()),
        other => H::Other(format!("{other:?}")),
    };
    out.push(h);
}

fn run(mut p: Parser, chunks: &[&[u8]]) -> Vec<H> {
    let mut out = Vec::new();
    for c in chunks {
        assert_eq!(p.feed(c, |ev| push(&mut out, ev)), c.len());
    }
    p.finish(|ev| push(&mut out, ev));
    out
}

const SESSION: &[u8] = b"$ tmux -CC\r\n\x1bP1000p%begin 1 1 0\r\n%end 1 1 0\r\n%output %0 hi\\015\\012\r\n%exit\r\n\x1b\\$ echo \x1b[1mdone\x1b[0m\r\n";

fn expected() -> Vec<H> {
    vec![
        H::Pass(b"$ tmux -CC\r\n".to_vec()),
        H::Enter,
        H::Reply(vec![]),
        H::Out(b"hi\r\n".to_vec()),
        H::Other("Exit { reason: None }".into()),
        H::Leave,
        H::Pass(b"$ echo \x1b[1mdone\x1b[0m\r\n".to_vec()),
    ]
}

#[test]
fn a_whole_session_in_one_chunk() {
    assert_eq!(run(Parser::host_stream(), &[SESSION]), expected());
}

#[test]
fn split_at_every_point_and_byte_at_a_time() {
    for cut in 0..=SESSION.len() {
        let (a, b) = SESSION.split_at(cut);
        assert_eq!(
            run(Parser::host_stream(), &[a, b]),
            expected(),
            "cut at {cut}"
        );
    }
    let bytes: Vec<&[u8]> = SESSION.chunks(1).collect();
    assert_eq!(run(Parser::host_stream(), &bytes), expected());
}

#[test]
fn passthrough_is_untouched_and_borrowed() {
    let input: &[u8] = b"\x00\xff\x1b[31mred\x1bP1000q\x1bP1000\x1bP\x1b\\\r\n";
    let mut p = Parser::host_stream();
    let mut joined = Vec::new();
    let range = input.as_ptr_range();
    p.feed(input, |ev| match ev {
        Event::Passthrough(b) => {
            assert!(range.contains(&b.as_ptr()));
            joined.extend_from_slice(b);
        }
        other => panic!("{other:?}"),
    });
    p.finish(|ev| panic!("{ev:?}"));
    assert_eq!(joined, input);
    assert!(!p.in_control_mode());
}

#[test]
fn partial_dcs_at_end_of_input_is_passed_through() {
    assert_eq!(
        run(Parser::host_stream(), &[b"abc\x1bP10"]),
        [H::Pass(b"abc\x1bP10".to_vec())]
    );
    // Held across chunks, then not a DCS after all.
    assert_eq!(
        run(Parser::host_stream(), &[b"abc\x1bP10", b"0x"]),
        [H::Pass(b"abc\x1bP100x".to_vec())]
    );
    assert_eq!(
        run(Parser::host_stream(), &[b"\x1b", b"\x1bP1000p"]),
        [H::Pass(b"\x1b".to_vec()), H::Enter]
    );
}

#[test]
fn refuse_policy_keeps_passing_through() {
    let mut p = Parser::host_stream();
    p.set_enter_policy(EnterPolicy::Refuse);
    let out = run(p, &[SESSION]);
    assert_eq!(out, [H::Pass(SESSION.to_vec())]);
}

#[test]
fn ask_policy_stops_after_the_dcs_until_the_host_decides() {
    let cfg = ParserConfig {
        host_stream: true,
        enter_policy: EnterPolicy::Ask,
        ..ParserConfig::default()
    };
    // Accepting.
    let mut p = Parser::with_config(cfg.clone());
    let mut out = Vec::new();
    let n = p.feed(SESSION, |ev| push(&mut out, ev));
    let dcs_end = SESSION.windows(7).position(|w| w == b"\x1bP1000p").unwrap() + 7;
    assert_eq!(n, dcs_end);
    assert!(p.enter_pending());
    assert_eq!(p.feed(&SESSION[n..], |ev| push(&mut out, ev)), 0);
    p.accept_enter(|ev| push(&mut out, ev));
    assert!(p.in_control_mode());
    assert_eq!(
        p.feed(&SESSION[n..], |ev| push(&mut out, ev)),
        SESSION.len() - n
    );
    p.finish(|ev| push(&mut out, ev));
    assert_eq!(out, expected());

    // Refusing: the DCS and everything after pass through.
    let mut p = Parser::with_config(cfg);
    let mut out = Vec::new();
    let n = p.feed(SESSION, |ev| push(&mut out, ev));
    p.refuse_enter(|ev| push(&mut out, ev));
    p.feed(&SESSION[n..], |ev| push(&mut out, ev));
    p.finish(|ev| push(&mut out, ev));
    assert_eq!(out, [H::Pass(SESSION.to_vec())]);
}

#[test]
fn leaving_inside_a_block_reports_it() {
    let input = b"\x1bP1000p%begin 1 9 1\npartial body\n%exit\n\x1b\\prompt";
    let out = run(Parser::host_stream(), &[input]);
    assert_eq!(
        out,
        [
            H::Enter,
            H::Err("reply block 9 not terminated".into()),
            H::Leave,
            H::Pass(b"prompt".to_vec()),
        ]
    );
}

#[test]
fn second_session_and_line_numbers_restart() {
    let input = b"\x1bP1000pbad\n%exit\n\x1b\\x\x1bP1000pbad again\n";
    let mut p = Parser::host_stream();
    let mut lines = Vec::new();
    p.feed(input, |ev| {
        if let Event::Error { line_number, .. } = ev {
            lines.push(line_number)
        }
    });
    assert_eq!(lines, [1, 1]);
    assert!(p.in_control_mode());
    assert_eq!(p.line_number(), 1);
}

#[test]
fn plain_stream_does_not_look_for_dcs() {
    let out = run(Parser::new(), &[b"\x1b\\%output %1 x\n"]);
    assert_eq!(out, [H::Err("line is not a notification".into())]);
}

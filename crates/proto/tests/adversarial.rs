//! Hostile and malformed control-mode input: every bad line becomes one error event, parsing
//! resumes at the next line, nothing panics, memory stays bounded.

use muxlink_proto::layout::LayoutError;
use muxlink_proto::{Event, PaneId, Parser, ParserConfig, ProtoError, WindowId};

/// A flattened, owned view of what tests look at.
#[derive(Debug, PartialEq, Eq)]
enum E {
    Output(u32, Vec<u8>),
    Reply(u64, bool, Vec<u8>),
    Error(u64, ProtoError, Vec<u8>),
    Unknown(Vec<u8>),
    Other(String),
}

fn run(mut p: Parser, chunks: &[&[u8]]) -> Vec<E> {
    let mut out = Vec::new();
    let mut on = |ev: Event<'_>| {
        out.push(match ev {
            Event::Output { pane, data } => E::Output(pane.0, data.to_vec()),
            Event::Reply(r) => E::Reply(r.number, r.ok, r.body.to_vec()),
            Event::Error {
                line_number,
                error,
                line,
            } => E::Error(line_number, error, line.to_vec()),
            Event::Unknown { line } => E::Unknown(line.to_vec()),
            other => E::Other(format!("{other:?}")),
        })
    };
    for c in chunks {
        p.feed(c, &mut on);
    }
    p.finish(&mut on);
    out
}

fn parse(input: &[u8]) -> Vec<E> {
    run(Parser::new(), &[input])
}

fn errors(events: &[E]) -> Vec<&ProtoError> {
    events
        .iter()
        .filter_map(|e| match e {
            E::Error(_, err, _) => Some(err),
            _ => None,
        })
        .collect()
}

#[test]
fn garbage_nul_and_invalid_utf8_are_errors_and_parsing_resumes() {
    let ev = parse(b"hello\n\x00\x00\n\xff\xfe\xc3\x28\n%\n%\x00x\n\n%output %1 ok\n");
    assert_eq!(
        ev[..6],
        [
            E::Error(1, ProtoError::NotANotification, b"hello".to_vec()),
            E::Error(2, ProtoError::NotANotification, b"\x00\x00".to_vec()),
            E::Error(
                3,
                ProtoError::NotANotification,
                b"\xff\xfe\xc3\x28".to_vec()
            ),
            E::Error(4, ProtoError::NotANotification, b"%".to_vec()),
            E::Error(5, ProtoError::NotANotification, b"%\x00x".to_vec()),
            E::Error(6, ProtoError::NotANotification, b"".to_vec()),
        ]
    );
    assert_eq!(ev[6], E::Output(1, b"ok".to_vec()));
    assert_eq!(ev.len(), 7);
}

#[test]
fn output_data_may_hold_nul_and_invalid_utf8() {
    let ev = parse(b"%output %1 \x00\xff\\000\\377 \xe2\x82\n");
    assert_eq!(ev, [E::Output(1, b"\x00\xff\x00\xff \xe2\x82".to_vec())]);
}

#[test]
fn body_lines_imitating_terminators_are_body() {
    let input = b"%begin 100 7 1\n%end 100 7 0\n%end 100 8 1\n%error 101 7 1\n%end 100 7 1 \n%end  100 7 1\n%begin 100 7 1\n%output %1 x\n%exit\n%end 100 7 1\n%output %1 after\n";
    let ev = parse(input);
    assert_eq!(
        ev,
        [
            E::Reply(
                7,
                true,
                b"%end 100 7 0\n%end 100 8 1\n%error 101 7 1\n%end 100 7 1 \n%end  100 7 1\n%begin 100 7 1\n%output %1 x\n%exit".to_vec()
            ),
            E::Output(1, b"after".to_vec()),
        ]
    );
}

#[test]
fn error_terminator_and_empty_and_crlf_bodies() {
    let ev = parse(
        b"%begin 1 2 1\r\nline one\r\n\r\nline three\r\n%error 1 2 1\r\n%begin 1 3 1\n%end 1 3 1\n",
    );
    assert_eq!(
        ev,
        [
            E::Reply(2, false, b"line one\n\nline three".to_vec()),
            E::Reply(3, true, b"".to_vec()),
        ]
    );
}

#[test]
fn unterminated_block_at_eof() {
    let ev = parse(b"%begin 1 42 1\nsome body\n");
    assert_eq!(
        ev,
        [E::Error(
            2,
            ProtoError::UnterminatedBlock { number: 42 },
            vec![]
        )]
    );
    let ev = parse(b"%output %1 x\n%begin 1 43 1\nbody without newline");
    assert_eq!(ev.len(), 3);
    assert_eq!(
        ev[1],
        E::Error(3, ProtoError::PartialLine, b"body without newline".to_vec())
    );
    assert_eq!(
        ev[2],
        E::Error(3, ProtoError::UnterminatedBlock { number: 43 }, vec![])
    );
}

#[test]
fn stray_terminators_and_bad_begins() {
    let ev = parse(b"%end 1 2 1\n%error 1 2 1\n%begin 1 2\n%begin x y z\n%begin 1 2 3 4\n%begin\n%output %1 ok\n");
    let errs = errors(&ev);
    assert_eq!(errs.len(), 6);
    assert_eq!(*errs[0], ProtoError::UnexpectedTerminator);
    assert_eq!(*errs[1], ProtoError::UnexpectedTerminator);
    assert!(errs[2..]
        .iter()
        .all(|e| matches!(e, ProtoError::BadNotification { name: "begin", .. })));
    assert_eq!(ev[6], E::Output(1, b"ok".to_vec()));
}

#[test]
fn bad_ids_and_missing_arguments() {
    let lines: &[&[u8]] = &[
        b"%output x1 data",
        b"%output %",
        b"%output %4294967296 data",
        b"%window-add",
        b"%window-add 1",
        b"%window-close @-1",
        b"%window-renamed $1 name",
        b"%session-changed @1 name",
        b"%session-window-changed $1",
        b"%window-pane-changed @1 @2",
        b"%pane-mode-changed",
        b"%pause %",
        b"%continue @1",
        b"%layout-change",
        b"%layout-change @1",
        b"%layout-change %1 b25f,80x24,0,0,2",
        b"%extended-output %1",
        b"%extended-output %1 age : x",
        b"%extended-output %1 5 x",
        b"%subscription-changed name",
        b"%subscription-changed name $1 @1 x %1 : v",
        b"%client-session-changed client",
        b"%client-detached",
        b"%paste-buffer-deleted",
    ];
    let mut input = Vec::new();
    for l in lines {
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    input.extend_from_slice(b"%window-add @9\n");
    let ev = parse(&input);
    assert_eq!(ev.len(), lines.len() + 1);
    for (i, (e, l)) in ev.iter().zip(lines).enumerate() {
        match e {
            E::Error(n, ProtoError::BadNotification { .. }, line) => {
                assert_eq!(*n, i as u64 + 1);
                assert_eq!(line, l);
            }
            other => panic!("line {:?} gave {other:?}", String::from_utf8_lossy(l)),
        }
    }
    assert_eq!(
        ev[lines.len()],
        E::Other(format!(
            "{:?}",
            Event::WindowAdd {
                window: WindowId(9)
            }
        ))
    );
}

#[test]
fn bad_layout_checksums_and_syntax_are_errors() {
    let ev = parse(
        b"%layout-change @1 b25e,80x24,0,0,2 b25f,80x24,0,0,2 *\n\
          %layout-change @1 b25f,80x24,0,0,2 b25f,80x24,0,0,3 *\n\
          %layout-change @1 b25f,80x24,0,0{ b25f,80x24,0,0,2 *\n\
          %layout-change @1 nothex,80x24 x *\n\
          %layout-change @1 b25f,80x24,0,0,2 b25f,80x24,0,0,2 *\n",
    );
    assert_eq!(ev.len(), 5);
    assert_eq!(
        *errors(&ev)[0],
        ProtoError::Layout(LayoutError::Checksum {
            expected: 0xb25e,
            computed: 0xb25f
        })
    );
    // The visible layout is checked too.
    assert!(matches!(
        errors(&ev)[1],
        ProtoError::Layout(LayoutError::Checksum { .. })
    ));
    assert!(matches!(errors(&ev)[2], ProtoError::Layout(_)));
    assert!(matches!(errors(&ev)[3], ProtoError::Layout(_)));
    assert!(matches!(&ev[4], E::Other(s) if s.starts_with("LayoutChange")));
}

/// `%layout-change @1 LAYOUT LAYOUT *` with a correct checksum.
fn layout_change(body: &[u8]) -> Vec<u8> {
    let mut l = format!("{:04x},", muxlink_proto::layout::layout_checksum(body)).into_bytes();
    l.extend_from_slice(body);
    let mut line = b"%layout-change @1 ".to_vec();
    line.extend_from_slice(&l);
    line.push(b' ');
    line.extend_from_slice(&l);
    line.extend_from_slice(b" *\n");
    line
}

#[test]
fn layouts_larger_than_tmux_allows_are_refused() {
    // 65535x65535; 4,000 panes of 1000x1000 (a 150 KB line); then tmux's largest window,
    // which is accepted.
    let mut many = b"1000x1000,0,0{".to_vec();
    for i in 0..4000 {
        if i > 0 {
            many.push(b',');
        }
        many.extend_from_slice(format!("1000x1000,0,0,{i}").as_bytes());
    }
    many.push(b'}');
    let mut input = layout_change(b"65535x65535,0,0,0");
    input.extend_from_slice(&layout_change(&many));
    input.extend_from_slice(&layout_change(b"10000x10000,0,0,0"));
    assert!(input.len() > 100_000);
    let ev = parse(&input);
    assert_eq!(ev.len(), 3, "{:?}", errors(&ev));
    assert_eq!(
        *errors(&ev)[0],
        ProtoError::Layout(LayoutError::TooLarge {
            offset: 5,
            value: 65535
        })
    );
    assert_eq!(
        *errors(&ev)[1],
        ProtoError::Layout(LayoutError::TooMuchArea)
    );
    assert!(matches!(&ev[2], E::Other(s) if s.starts_with("LayoutChange")));
}

#[test]
fn newer_tmux_lines_are_unknown() {
    let ev = parse(b"%pane-floated %3\n%window-layout-v2 @1 x y\n%x\n%output %3 ok\n");
    assert_eq!(
        ev,
        [
            E::Unknown(b"%pane-floated %3".to_vec()),
            E::Unknown(b"%window-layout-v2 @1 x y".to_vec()),
            E::Unknown(b"%x".to_vec()),
            E::Output(3, b"ok".to_vec()),
        ]
    );
}

fn long_line_case(cfg: ParserConfig, line_len: usize, chunk: usize) {
    let limit = cfg.max_line_len;
    let mut input = b"%output %1 before\n%output %2 ".to_vec();
    input.resize(input.len() + line_len, b'x');
    input.extend_from_slice(b"\n%output %1 after\n");
    let mut p = Parser::with_config(cfg);
    let mut seen = Vec::new();
    let mut peak = 0;
    for c in input.chunks(chunk) {
        peak = peak.max(p.buffered_capacity());
        p.feed(c, |ev| {
            seen.push(match ev {
                Event::Output { pane, data } => format!("out {pane} {}", data.len()),
                Event::Error {
                    line_number,
                    error,
                    line,
                } => {
                    assert!(line.starts_with(b"%output %2 xxx"));
                    format!("err {line_number} {error:?} {}", line.len())
                }
                other => format!("{other:?}"),
            })
        });
    }
    p.finish(|ev| panic!("unexpected {ev:?}"));
    peak = peak.max(p.buffered_capacity());
    // The parser never held more than (about) the limit, whatever the line length.
    assert!(peak <= 2 * limit + 64, "peak {peak} for limit {limit}");
    assert_eq!(
        seen,
        [
            "out %1 6".to_string(),
            format!("err 2 LineTooLong {{ limit: {limit} }} {limit}"),
            "out %1 5".to_string(),
        ]
    );
}

#[test]
fn eight_mib_line_with_small_limit() {
    let cfg = ParserConfig {
        max_line_len: 64 << 10,
        ..ParserConfig::default()
    };
    for chunk in [usize::MAX, 1 << 20, 4096, 1000] {
        long_line_case(cfg.clone(), 8 << 20, chunk);
    }
}

#[test]
fn eight_mib_line_with_default_limit() {
    for chunk in [usize::MAX, 65536, 4093] {
        long_line_case(ParserConfig::default(), 8 << 20, chunk);
    }
}

#[test]
fn line_exactly_at_the_limit_is_accepted() {
    let cfg = ParserConfig {
        max_line_len: 20,
        ..ParserConfig::default()
    };
    // 20 bytes: accepted; 21: rejected (the `\r` of CRLF counts).
    let ev = run(
        Parser::with_config(cfg),
        &[b"%output %1 123456789\n%output %1 123456789\r\n%output %1 12345678\r\n"],
    );
    assert_eq!(ev[0], E::Output(1, b"123456789".to_vec()));
    assert_eq!(
        ev[1],
        E::Error(
            2,
            ProtoError::LineTooLong { limit: 20 },
            b"%output %1 123456789".to_vec()
        )
    );
    assert_eq!(ev[2], E::Output(1, b"12345678".to_vec()));
}

#[test]
fn block_body_is_bounded() {
    let cfg = ParserConfig {
        max_block_len: 1000,
        ..ParserConfig::default()
    };
    let mut input = b"%begin 1 5 1\n".to_vec();
    for i in 0..10_000 {
        input.extend_from_slice(format!("line {i:05} of the body\n").as_bytes());
    }
    input.extend_from_slice(b"%end 1 5 1\n%output %1 next\n");
    let ev = run(Parser::with_config(cfg), &[&input]);
    assert_eq!(ev.len(), 3);
    // 22-byte lines + separators: 43 lines fit in 1000 bytes, the 44th overflows.
    assert_eq!(
        ev[0],
        E::Error(
            45,
            ProtoError::BlockTooLong {
                number: 5,
                limit: 1000
            },
            b"line 00043 of the body".to_vec()
        )
    );
    match &ev[1] {
        E::Reply(5, true, body) => {
            assert!(body.len() <= 1000);
            assert_eq!(body.split(|&b| b == b'\n').count(), 43);
            assert!(body.ends_with(b"line 00042 of the body"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ev[2], E::Output(1, b"next".to_vec()));
}

#[test]
fn crlf_everywhere() {
    let ev = parse(b"%output %1 a\\015\r\n%window-add @2\r\n%exit\r\n");
    assert_eq!(ev[0], E::Output(1, b"a\r".to_vec()));
    assert_eq!(
        ev[1],
        E::Other(format!(
            "{:?}",
            Event::WindowAdd {
                window: WindowId(2)
            }
        ))
    );
    assert_eq!(ev[2], E::Other("Exit { reason: None }".into()));
}

#[test]
fn output_line_ends_are_the_line_s_not_the_data_s() {
    // Whole lines in one chunk (the one-pass path) and the same lines a byte at a time.
    let input = b"%output %1 cr\\015\n%output %1 a\rb\\015\r\n%output %1 \r\n%output %2 x\\01\n\
                  %output %3 \\\r\n%output %1\r\n";
    let want = [
        E::Output(1, b"cr\r".to_vec()),
        E::Output(1, b"a\rb\r".to_vec()),
        E::Output(1, Vec::new()),
        E::Output(2, b"x\\01".to_vec()),
        E::Output(3, b"\\".to_vec()),
        E::Output(1, Vec::new()),
    ];
    assert_eq!(parse(input), want);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(Parser::new(), &bytes), want);
}

#[test]
fn output_lines_over_the_limit_are_errors_whichever_the_path() {
    let cfg = ParserConfig {
        max_line_len: 24,
        ..ParserConfig::default()
    };
    // 24 bytes before the `\n` (accepted), then 25 (refused), escapes in both.
    let input = b"%output %1 \\033[1mab\\033\n%output %1 \\033[1mabc\\033\n%output %1 ok\n";
    let ev = run(Parser::with_config(cfg.clone()), &[input]);
    assert_eq!(ev[0], E::Output(1, b"\x1b[1mab\x1b".to_vec()));
    assert_eq!(
        ev[1],
        E::Error(
            2,
            ProtoError::LineTooLong { limit: 24 },
            input[25..49].to_vec()
        )
    );
    assert_eq!(ev[2], E::Output(1, b"ok".to_vec()));
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(Parser::with_config(cfg), &bytes), ev);
}

#[test]
fn output_is_borrowed_from_the_chunk_when_unescaped() {
    let input = b"%output %7 no escapes here\n%output %7 one\\033escape\n";
    let mut p = Parser::new();
    let range = input.as_ptr_range();
    let mut n = 0;
    p.feed(input, |ev| {
        if let Event::Output { pane, data } = ev {
            assert_eq!(pane, PaneId(7));
            let inside = range.contains(&data.as_ptr());
            // The plain line is a slice of the input; the escaped one is not.
            assert_eq!(inside, n == 0, "event {n}");
            n += 1;
        }
    });
    assert_eq!(n, 2);
}

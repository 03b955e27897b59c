//! Any split of the input into chunks gives the same events as feeding it whole (passthrough
//! pieces joined, since their boundaries follow the chunks by design).

mod common;

use common::{parse_bytewise, parse_split, parse_whole, Owned};
use muxlink_proto::{Event, Parser, ParserConfig};
use proptest::prelude::*;

/// A control-mode stream exercising every path: notifications, escapes, CRLF, blocks with
/// imitation terminators, garbage, NUL, invalid UTF-8, long lines, bad layouts.
fn adversarial_control() -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(b"%begin 1 10 0\n%end 1 10 0\n");
    s.extend_from_slice(b"%output %1 plain text\n");
    s.extend_from_slice(b"%output %1 \\033[1mbold\\033[0m \\134 \\015\\012\r\n");
    s.extend_from_slice(b"%output %2 bad \\9 \\12\n");
    s.extend_from_slice(b"%begin 2 11 1\nbody\n%end 2 11 0\n%end 9 9 9\n%output %1 body\n\n%begin 3 3 3\n%error 2 11 1\r\n");
    s.extend_from_slice(b"garbage line\n\x00\x00\x00\n\xff\xfe%\xc3\x28\n");
    s.extend_from_slice(b"%window-add @x\n%window-pane-changed @1\n%end 1 1 1\n");
    s.extend_from_slice(b"%layout-change @1 0000,80x24,0,0,1 0000,80x24,0,0,1 *\n");
    s.extend_from_slice(b"%layout-change @1 b25f,80x24,0,0,2 b25f,80x24,0,0,2 *Z\n");
    s.extend_from_slice(b"%layout-change @1 b25f,80x24,0,0{{{{\n");
    s.extend_from_slice(b"%brand-new-notification 1 2 3\n");
    s.extend_from_slice(b"%extended-output %3 17 : \\033x\n");
    s.extend_from_slice(b"%subscription-changed n $1 - - - : v\n");
    // The `%output` fast path's edges: no space after the id, ids that do not parse, raw and
    // escaped CR at the line's end, escapes cut by the line's end, lines around the limit.
    s.extend_from_slice(b"%output %1\r\n%output %1 \r\n%output % x\n%output %99999999999 x\n");
    s.extend_from_slice(
        b"%output %1 a\rb\\015\r\n%output %1 cr\\015\n%output %12 x\\01\n%output %1 \\\n",
    );
    s.extend_from_slice(b"%output %1 \\015\\012\\015\\01\n%output %1 \\\\033\\134\\x\n");
    for n in [10, 11, 12, 20] {
        let mut line = b"%output %5 ".to_vec();
        for _ in 0..n {
            line.extend_from_slice(b"\\033[");
        }
        line.extend_from_slice(b"\r\n");
        s.extend_from_slice(&line);
    }
    let mut long = b"%output %4 ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 300));
    long.push(b'\n');
    s.extend_from_slice(&long);
    s.extend_from_slice(b"%begin 5 5 1\n");
    for i in 0..40 {
        s.extend_from_slice(format!("body line {i} with some text\n").as_bytes());
    }
    s.extend_from_slice(b"%end 5 5 1\n");
    s.extend_from_slice(b"%session-renamed $1 a b\n%exit too bad\n");
    s.extend_from_slice(b"%begin 6 6 1\nnever terminated\npartial");
    s
}

/// The same wrapped in a host terminal stream: passthrough with near-miss DCS prefixes, two
/// control-mode sessions.
fn adversarial_host() -> Vec<u8> {
    let mut s = b"shell$ \x1b[1mprompt\x1b[0m \x1bP100x \x1bP1000q \x1b".to_vec();
    s.extend_from_slice(b"\x1bP1000p%begin 1 1 0\n%end 1 1 0\n%output %1 hi\\015\n");
    s.extend_from_slice(b"%begin 2 2 1\n\x1b[1m body with escape\n%end 2 2 1\n");
    s.extend_from_slice(b"%exit\n\x1b\\after exit \x1b\\ \x1bP1000");
    s.extend_from_slice(b"p%window-add @4\r\n%begin 3 3 1\ncut short\n\x1b\\tail\x1b");
    s
}

fn small_limits(host: bool) -> Parser {
    Parser::with_config(ParserConfig {
        max_line_len: 64,
        max_block_len: 200,
        host_stream: host,
        ..ParserConfig::default()
    })
}

fn check_all_splittings(make: impl Fn() -> Parser, input: &[u8]) -> Vec<Owned> {
    let whole = parse_whole(make(), input);
    assert_eq!(parse_bytewise(make(), input), whole, "byte at a time");
    for step in [2, 3, 7, 64, 4096] {
        let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
        assert_eq!(parse_split(make(), input, &cuts), whole, "chunks of {step}");
    }
    whole
}

#[test]
fn adversarial_control_stream_is_chunking_independent() {
    let input = adversarial_control();
    let whole = check_all_splittings(Parser::new, &input);
    assert_eq!(whole.len(), 37, "{whole:#?}");
    check_all_splittings(|| small_limits(false), &input);
}

#[test]
fn adversarial_host_stream_is_chunking_independent() {
    let input = adversarial_host();
    let whole = check_all_splittings(Parser::host_stream, &input);
    let enters = whole
        .iter()
        .filter(|e| matches!(e, Owned::Other(s) if s == "Enter"))
        .count();
    assert_eq!(enters, 2);
    check_all_splittings(|| small_limits(true), &input);
}

#[test]
fn recorded_fixtures_are_chunking_independent() {
    let mut inputs = vec![
        common::own_fixture("tmux-3.3a-windows.stream"),
        common::own_fixture("tmux-3.3a-vim.stream"),
    ];
    for name in ["tmux-3.5a-splits.stream", "tmux-3.7c-floating.stream"] {
        if let Some(s) = common::shared_fixture(name) {
            inputs.push(s);
        }
    }
    for input in &inputs {
        check_all_splittings(Parser::new, input);
    }
    // The 1.9 MB flood: byte at a time too.
    let flood = common::own_fixture("tmux-3.3a-flood.stream");
    let whole = parse_whole(Parser::new(), &flood);
    assert_eq!(parse_bytewise(Parser::new(), &flood), whole);
}

fn cuts_strategy(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..48).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_splits_control(cuts in cuts_strategy(adversarial_control().len())) {
        let input = adversarial_control();
        prop_assert_eq!(parse_split(Parser::new(), &input, &cuts), parse_whole(Parser::new(), &input));
        prop_assert_eq!(
            parse_split(small_limits(false), &input, &cuts),
            parse_whole(small_limits(false), &input)
        );
    }

    #[test]
    fn random_splits_host(cuts in cuts_strategy(adversarial_host().len())) {
        let input = adversarial_host();
        prop_assert_eq!(
            parse_split(Parser::host_stream(), &input, &cuts),
            parse_whole(Parser::host_stream(), &input)
        );
        prop_assert_eq!(
            parse_split(small_limits(true), &input, &cuts),
            parse_whole(small_limits(true), &input)
        );
    }

    #[test]
    fn random_splits_recorded(cuts in cuts_strategy(4177)) {
        let input = common::own_fixture("tmux-3.3a-windows.stream");
        prop_assert_eq!(parse_split(Parser::new(), &input, &cuts), parse_whole(Parser::new(), &input));
    }

    /// Arbitrary bytes never panic, and still do not depend on chunking.
    #[test]
    fn random_bytes(input in prop::collection::vec(
        prop_oneof![Just(b'\n'), Just(b'%'), Just(b'\\'), Just(0x1b), Just(b' '), any::<u8>()], 0..600),
        cuts in cuts_strategy(600))
    {
        for host in [false, true] {
            let make = || if host { small_limits(true) } else { small_limits(false) };
            prop_assert_eq!(parse_split(make(), &input, &cuts), parse_whole(make(), &input));
        }
    }
}

/// A parser that hands `%output` data on escaped.
fn escaped_output() -> Parser {
    Parser::with_config(ParserConfig {
        output_escaped: true,
        ..ParserConfig::default()
    })
}

/// tmux's `\ooo` escapes undone as the parser undoes them (a malformed one keeps its `\`).
fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let oct = data
            .get(i + 1..i + 4)
            .filter(|d| d[0].wrapping_sub(b'0') < 4 && d.iter().all(|c| c.wrapping_sub(b'0') < 8));
        match oct {
            Some(d) if data[i] == b'\\' => {
                out.push((d[0] - b'0') << 6 | (d[1] - b'0') << 3 | (d[2] - b'0'));
                i += 4;
            }
            _ => {
                out.push(data[i]);
                i += 1;
            }
        }
    }
    out
}

/// Events with `%output` data unescaped by the test when `escaped`.
fn events_unescaped(mut parser: Parser, input: &[u8], escaped: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |ev: Event<'_>| {
        let ev = match ev {
            Event::Output { pane, data } if escaped => format!(
                "{:?}",
                Event::Output {
                    pane,
                    data: &unescape(data),
                }
            ),
            Event::ExtendedOutput { pane, age, data } if escaped => {
                format!(
                    "{:?}",
                    Event::ExtendedOutput {
                        pane,
                        age,
                        data: &unescape(data),
                    }
                )
            }
            other => format!("{other:?}"),
        };
        out.push(ev);
    };
    parser.feed(input, &mut push);
    parser.finish(&mut push);
    out
}

#[test]
fn escaped_output_is_the_unescaped_output_before_unescaping() {
    let input = adversarial_control();
    let escaped = check_all_splittings(escaped_output, &input);
    assert_eq!(escaped.len(), 37, "{escaped:#?}");
    assert!(escaped.contains(&Owned::Other(
        r#"Output { pane: PaneId(1), data: [92, 48, 51, 51, 91, 49, 109, 98, 111, 108, 100, 92, 48, 51, 51, 91, 48, 109, 32, 92, 49, 51, 52, 32, 92, 48, 49, 53, 92, 48, 49, 50] }"#.into()
    )), "{escaped:#?}");
    let mut inputs = vec![input, common::own_fixture("tmux-3.3a-vim.stream")];
    inputs.push(common::own_fixture("tmux-3.3a-flood.stream"));
    for input in &inputs {
        assert_eq!(
            events_unescaped(escaped_output(), input, true),
            events_unescaped(Parser::new(), input, false)
        );
    }
}
